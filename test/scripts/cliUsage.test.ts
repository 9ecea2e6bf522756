/**
 * Every CLI of the project answers alike (tools/cliArgs.ts): `--help` on every command and subcommand prints the
 * usage on stdout and exits 0; a bad flag or value prints what was wrong and the usage on stderr and exits 64 (never
 * 1, which the go-live commands use for a failed go-live). Each runs as `npm run X` runs it, through
 * scripts/run-built.mjs (which builds first only when dist/ is older than the sources).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/run-built.mjs'), script, ...args], {
      cwd: ROOT,
      // No storage or app to reach: nothing here may get that far.
      env: { ...process.env, AzureWebJobsStorage: 'UseDevelopmentStorage=true', GOLIVE_URL: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Each CLI (as package.json runs it), the usage's first words, the --help forms and bad command lines. */
const CLIS: { name: string; script: string; usage: string; help: string[][]; bad: string[][] }[] = [
  {
    name: 'npm run golive',
    script: 'golive',
    usage: 'Usage: npm run golive',
    help: [['--help'], ['-h'], ['help'], ['list', '--help'], ['watch', 'contoso/app', '--help'], ['events', '-h']],
    bad: [
      ['--bogus'],
      ['fly'],
      ['list', '--bogus'],
      ['list', '--state', 'done'],
      ['watch', 'Contoso!/app'],
      ['status', 'contoso'],
      ['watch', 'contoso/app', '--interval', 'x'],
      ['events', '--json=yes'],
    ],
  },
  {
    name: 'npm run enqueue',
    script: 'enqueue',
    usage: 'Usage: npm run enqueue',
    help: [['--help'], ['contoso/app', '-h']],
    bad: [
      [],
      ['contoso/app', '--bogus'],
      ['contoso/app', '--api', 'pi'],
      ['Contoso!/app'],
      ['contoso/app', '--url', 'x'],
    ],
  },
  {
    name: 'npm start',
    script: 'tools/host/cli',
    usage: 'Usage: node dist/tools/host/cli.js start',
    help: [['--help'], ['start', '--help'], ['start', '--port', '1', '-h']],
    bad: [['start', '--bogus'], ['start', '--port', 'x'], ['stop'], ['start', '--azurite-ports', '1,2']],
  },
  {
    name: 'npm run simulator',
    script: 'tools/simulator/cli',
    usage: 'Usage: npm run simulator',
    help: [['--help'], ['-h']],
    bad: [['--bogus'], ['--port', '70000'], ['extra']],
  },
  {
    name: 'npm run start:func',
    script: 'startFunc',
    usage: 'Usage: npm run start:func',
    help: [['--help'], ['--app', '.', '-h']],
    bad: [['--app']],
  },
  {
    name: 'npm run soak',
    script: 'soak',
    usage: 'Usage: npm run soak',
    help: [['--help']],
    bad: [['--bogus'], ['--seed', 'x'], ['--profile', 'huge']],
  },
  {
    name: 'npm run bench',
    script: 'bench',
    usage: 'Usage: npm run bench',
    help: [['--help'], ['golive', '-h']],
    bad: [['--bogus'], ['no-such-benchmark']],
  },
  {
    name: 'npm run infra:check',
    script: 'infraCheck',
    usage: 'Usage: npm run infra:check',
    help: [['--help']],
    bad: [['--bogus'], ['extra']],
  },
];

// Each case starts two processes (run-built.mjs, then the CLI); slow on a loaded machine.
jest.setTimeout(120_000);

describe.each(CLIS)('$name', ({ script, usage, help, bad }) => {
  it('answers --help on each command with the usage and exit 0', async () => {
    for (const args of help) {
      const r = await run(script, args);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect(r.stdout).toContain(usage);
      expect(r.stderr).not.toContain('Error');
    }
  });

  it('answers a bad flag or value with what was wrong, the usage and exit 64', async () => {
    for (const args of bad) {
      const r = await run(script, args);
      expect({ args, code: r.code }).toEqual({ args, code: 64 });
      expect(r.stderr).toContain(usage);
      expect(r.stdout).toBe('');
    }
  });
});
