import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ts from 'typescript';

import { UsageError } from '../../../tools/cliArgs';
import { DEFAULT_PORT, parseArgs } from '../../../tools/simulator/cli';

const ROOT = join(__dirname, '../../..');

/** Transpiles tools/simulator into a temporary folder so the CLI runs as `node cli.js` without a full build. */
function transpileSimulator(): string {
  const out = mkdtempSync(join(tmpdir(), 'simulator-cli-'));
  const dir = join(out, 'simulator');
  mkdirSync(dir);
  const src = join(ROOT, 'tools/simulator');
  const files = readdirSync(src)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [join(src, f), join(dir, f)]);
  // The CLI's command-line helper, shared by every CLI of the project.
  files.push([join(ROOT, 'tools/cliArgs.ts'), join(out, 'cliArgs.ts')]);
  for (const [from, to] of files as [string, string][]) {
    const { outputText } = ts.transpileModule(readFileSync(from, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    writeFileSync(to.replace(/\.ts$/, '.js'), outputText);
  }
  return out;
}

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runCli(cliDir: string, args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [join(cliDir, 'simulator/cli.js'), ...args], {
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), PARTNER_API_TOKEN: '', SIMULATOR_PORT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForOutput(cli: Cli, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let i = 0; i < 200; i++) {
    const m = pattern.exec(cli.stdout());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no match for ${pattern}; stdout: ${cli.stdout()} stderr: ${cli.stderr()}`);
}

describe('simulator CLI', () => {
  describe('parseArgs', () => {
    it('takes the port from --port, else SIMULATOR_PORT, else 7080', () => {
      expect(parseArgs([], {}).port).toBe(DEFAULT_PORT);
      expect(DEFAULT_PORT).toBe(7080);
      expect(parseArgs([], { SIMULATOR_PORT: '7181' }).port).toBe(7181);
      expect(parseArgs(['--port', '0'], { SIMULATOR_PORT: '7181' }).port).toBe(0);
      expect(parseArgs(['--port=7090', '--duration-ms', '500'], {})).toEqual({
        port: 7090,
        host: '127.0.0.1',
        durationMs: 500,
      });
    });

    it('refuses bad arguments with a usage message', () => {
      expect(() => parseArgs(['--port', 'x'], {})).toThrow(UsageError);
      expect(() => parseArgs(['--port', '70000'], {})).toThrow(/--port must be an integer/);
      expect(() => parseArgs(['--what'], {})).toThrow(/Unknown option '--what'/);
      expect(() => parseArgs([], { SIMULATOR_PORT: 'abc' })).toThrow(/SIMULATOR_PORT/);
    });
  });

  describe('as a process', () => {
    let cliDir: string;
    let blocker: Server | undefined;

    beforeAll(() => {
      cliDir = transpileSimulator();
    });
    afterAll(async () => {
      rmSync(cliDir, { recursive: true, force: true });
      if (blocker) await new Promise((r) => blocker!.close(r));
    });

    it('starts on a free port, prints the URL, offers and a curl example, serves, and stops on Ctrl-C', async () => {
      const cli = runCli(cliDir, ['--port', '0'], { PARTNER_API_TOKEN: 'cli-test-token' });
      try {
        const [, url] = await waitForOutput(cli, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
        await waitForOutput(cli, /Ctrl-C/);
        expect(cli.stdout()).toContain('contoso/contoso-vm-offer');
        expect(cli.stdout()).toContain('fabrikam/fabrikam-container');
        expect(cli.stdout()).toMatch(/curl .*\$PARTNER_API_TOKEN.*\/golive\?api-version=2017-10-31/);
        expect(cli.stdout()).not.toContain('cli-test-token');

        const res = await fetch(`${url}/api/publishers/contoso/offers/contoso-vm-offer/golive?api-version=2017-10-31`, {
          method: 'POST',
          headers: { Authorization: 'Bearer cli-test-token' },
        });
        expect(res.status).toBe(202);
        expect(res.headers.get('location')).toContain('/operations/');
      } finally {
        cli.child.kill('SIGINT');
      }
      expect(await cli.exited).toBe(0);
      expect(cli.stdout()).toContain('Simulator stopped.');
    });

    it('names the port and how to move it when the port is in use', async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      const cli = runCli(cliDir, [], { SIMULATOR_PORT: String(port) });
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain(`Port ${port} is already in use`);
      expect(cli.stderr()).toContain('--port');
      expect(cli.stderr()).toContain('SIMULATOR_PORT');
    });

    it('exits 64 with the usage on a bad argument', async () => {
      const cli = runCli(cliDir, ['--bogus']);
      expect(await cli.exited).toBe(64);
      expect(cli.stderr()).toContain('Usage: npm run simulator');
    });
  });
});
