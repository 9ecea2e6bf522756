/**
 * The docs name commands and settings a newcomer types as written: each is held to the code here, as the settings
 * parity test (test/unit/infra/settings.test.ts) holds docs/settings.md. Every `npm run X` names a package.json
 * script; every option after `--` is one that command parses (its `OPTIONS`, given to `node:util` `parseArgs`), and
 * a `golive` command or a benchmark exists; every `node dist/...js` is built from a source file; every setting-like
 * name in capitals (`GOLIVE_URL`) is documented in docs/settings.md or read by the code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { OPTIONS as ENQUEUE_OPTIONS } from '../../../scripts/enqueue';
import { COMMANDS as GOLIVE_COMMANDS, OPTIONS as GOLIVE_OPTIONS } from '../../../scripts/golive';
import { OPTIONS as INFRA_CHECK_OPTIONS } from '../../../scripts/infraCheck';
import { OPTIONS as SOAK_OPTIONS } from '../../../scripts/soak';
import { OPTIONS as START_FUNC_OPTIONS } from '../../../scripts/startFunc';
import { OPTIONS as HOST_OPTIONS } from '../../../tools/host/cli';
import { OPTIONS as SIMULATOR_OPTIONS } from '../../../tools/simulator/cli';

const ROOT = join(__dirname, '../../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

const DOCS = [
  'README.md',
  'tools/host/README.md',
  'tools/simulator/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((f) => existsSync(join(ROOT, f)));

const SCRIPTS = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** The options each command parses (`--help` everywhere); undefined: its arguments go to another tool. */
const HELP = { help: { type: 'boolean' } };
const OPTIONS_OF: Record<string, Record<string, unknown> | undefined> = {
  start: { ...HOST_OPTIONS, ...HELP },
  enqueue: { ...ENQUEUE_OPTIONS, ...HELP },
  simulator: { ...SIMULATOR_OPTIONS, ...HELP },
  soak: { ...SOAK_OPTIONS, ...HELP },
  bench: { ...HELP },
  'infra:check': { ...INFRA_CHECK_OPTIONS, ...HELP },
};
const BENCHMARKS = readdirSync(join(ROOT, 'scripts/bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));

/** Names of other programs the docs cite, and the file of node_modules that holds each. */
const EXTERNAL_NAMES: Record<string, string> = {
  DEFAULT_GC_INTERVAL_MS: 'node_modules/azurite/dist/src/queue/utils/constants.js',
};

/** Code the docs show: inline code spans and the lines of fenced blocks. */
function codeOf(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push(line);
    else for (const m of line.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  }
  return out;
}

interface Invocation {
  doc: string;
  text: string;
  script: string;
  /** The arguments after `--`, as the docs write them (brackets of optional parts removed). */
  args: string[];
}

function invocations(): Invocation[] {
  const found: Invocation[] = [];
  for (const doc of DOCS) {
    for (const code of codeOf(read(doc))) {
      for (const m of code.matchAll(/\bnpm (run ([\w:-]+)|start|test)\b([^|;&#`]*)/g)) {
        const script = m[2] ?? m[1]!;
        const tokens = (m[3] ?? '')
          .replace(/\\$/, '')
          .split(/\s+/)
          .map((t) => t.replace(/^\[+|\]+$/g, ''))
          .filter((t) => t !== '');
        const dashes = tokens.indexOf('--');
        found.push({ doc, text: m[0].trim(), script, args: dashes < 0 ? [] : tokens.slice(dashes + 1) });
      }
    }
  }
  return found;
}

/** Problems of one documented invocation (none when it matches the code). */
function problems(inv: Invocation): string[] {
  const out: string[] = [];
  if (!['start', 'test'].includes(inv.script) && !SCRIPTS.includes(inv.script)) {
    return [`no package.json script "${inv.script}"`];
  }
  const flags = inv.args.filter((a) => /^--[a-z]/.test(a)).map((a) => a.slice(2).split('=')[0]!);
  const words = inv.args.filter((a) => /^[a-z]/.test(a));
  let options: Record<string, unknown> | undefined = OPTIONS_OF[inv.script];
  if (inv.script === 'golive') {
    const command = words[0];
    if (command === undefined || !(GOLIVE_COMMANDS as readonly string[]).includes(command)) {
      // `npm run golive -- <command>` (a placeholder) names none; every option of any command goes.
      if (command !== undefined) out.push(`no golive command "${command}"`);
      options = { ...HELP, ...Object.assign({}, ...Object.values(GOLIVE_OPTIONS)) };
    } else options = { ...GOLIVE_OPTIONS[command as keyof typeof GOLIVE_OPTIONS], ...HELP };
  }
  if (inv.script === 'start:func') {
    // Only --app is ours; the rest goes to `func start`.
    for (const f of flags) if (f === 'app' && !('app' in START_FUNC_OPTIONS)) out.push('--app');
    return out;
  }
  if (inv.script === 'bench') {
    for (const w of words) if (!BENCHMARKS.includes(w)) out.push(`no benchmark "${w}"`);
  }
  if (options) for (const f of flags) if (!(f in options)) out.push(`no option --${f}`);
  return out;
}

describe('docs hold to the code', () => {
  const all = invocations();

  it('finds the commands the docs show (the test reads them)', () => {
    if (process.env['DOCS_COMMANDS_LIST'])
      console.log(all.map((i) => `${i.doc}: ${i.script} ${i.args.join(' ')}`).join('\n'));
    const scripts = new Set(all.map((i) => i.script));
    for (const s of ['start', 'golive', 'enqueue', 'simulator', 'bench', 'start:func']) expect(scripts).toContain(s);
    expect(all.filter((i) => i.args.some((a) => a.startsWith('--'))).length).toBeGreaterThan(10);
  });

  it('every npm command, its options and golive commands exist', () => {
    const wrong = all.flatMap((inv) => problems(inv).map((p) => `${inv.doc}: \`${inv.text}\`: ${p}`));
    expect(wrong).toEqual([]);
  });

  it('catches a command, an option and a golive command the code does not have', () => {
    const inv = (script: string, args: string[]): Invocation => ({ doc: 'x', text: 'x', script, args });
    expect(problems(inv('deploy', []))).toEqual(['no package.json script "deploy"']);
    expect(problems(inv('start', ['--bogus']))).toEqual(['no option --bogus']);
    expect(problems(inv('golive', ['fly']))).toEqual(['no golive command "fly"']);
    expect(problems(inv('golive', ['list', '--wait']))).toEqual(['no option --wait']);
    expect(problems(inv('bench', ['nope']))).toEqual(['no benchmark "nope"']);
    expect(problems(inv('golive', ['watch', 'p/o', '--request-id', 'r', '--interval', '30']))).toEqual([]);
  });

  it('every node dist/...js the docs run is built from a source file', () => {
    const missing: string[] = [];
    for (const doc of DOCS) {
      for (const code of codeOf(read(doc))) {
        for (const m of code.matchAll(/\bnode (dist\/[\w/.-]+\.js)/g)) {
          const source = m[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
          if (!existsSync(join(ROOT, source))) missing.push(`${doc}: ${m[1]}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('every node-version the docs set up satisfies package.json engines', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const [minMajor, minMinor] = /^>=(\d+)\.(\d+)/.exec(engines)!.slice(1).map(Number) as [number, number];
    const wrong: string[] = [];
    for (const doc of DOCS) {
      for (const m of read(doc).matchAll(/node-version:\s*['"]?([\d.x]+)/g)) {
        const [major, minor] = m[1]!.split('.').map((p) => (p === 'x' ? Infinity : Number(p)));
        const ok = major! > minMajor || (major === minMajor && (minor === undefined || minor >= minMinor));
        if (!ok) wrong.push(`${doc}: node-version ${m[1]} (engines ${engines})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the POST body docs/http-api.md documents is the body the route reads', () => {
    const read_ = [...read('src/golive/httpApi.ts').matchAll(/own\(body, '(\w+)'\)/g)].map((m) => m[1]!);
    const row = read('docs/http-api.md')
      .split('\n')
      .find((l) => l.startsWith('| `POST /api/golive/{publisherId}/{offerId}`'));
    const documented = /JSON body `\{ ([^}]*) \}`/.exec(row ?? '')?.[1]?.split(/,\s*/) ?? [];
    expect([...new Set(documented)].sort()).toEqual([...new Set(read_)].sort());
  });

  it('docs/http-api.md is one table: no row stranded after a blank line', () => {
    const lines = read('docs/http-api.md').split('\n');
    const stranded = lines.filter(
      (l, i) => l.startsWith('|') && i > 0 && lines[i - 1]!.trim() === '' && !lines[i + 1]?.startsWith('| -'),
    );
    expect(stranded).toEqual([]);
  });

  it('every setting the docs name is in docs/settings.md or read by the code', () => {
    const settingsDoc = read('docs/settings.md');
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (/\.(ts|mjs|json|bicep)$/.test(e.name)) sources.push(read(rel));
      }
    };
    for (const dir of ['src', 'tools', 'scripts', 'infra', 'test']) walk(dir);
    sources.push(read('local.settings.sample.json'), read('host.json'));
    // Names of other programs the docs cite with the file that holds them.
    for (const [name, file] of Object.entries(EXTERNAL_NAMES)) {
      if (read(file).includes(name)) sources.push(name);
    }
    const code = sources.join('\n');
    const unknown = new Set<string>();
    for (const doc of DOCS) {
      for (const span of codeOf(read(doc))) {
        for (const m of span.matchAll(/\b([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+|AzureWebJobs\w+|APPLICATIONINSIGHTS_\w+)\b/g)) {
          const name = m[1]!;
          if (!settingsDoc.includes(name) && !code.includes(name))
            unknown.add(`${relative(ROOT, join(ROOT, doc))}: ${name}`);
        }
      }
    }
    expect([...unknown]).toEqual([]);
  });
});
