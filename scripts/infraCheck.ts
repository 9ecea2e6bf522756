/**
 * `npm run infra:check [-- --restore]`
 *
 * Compiles infra/ with the real Bicep CLI. The CLI comes from NuGet at the version pinned in
 * tools/bicep/bicep.csproj (`dotnet restore` into .tools/nuget, git-ignored; the package carries the executable at
 * tools/bicep). It runs `bicep build` and `bicep lint` on infra/main.bicep and fails on any error or warning.
 *
 * One kind of diagnostic is tolerated, by code, and counted: the public registry's modules (`br/public:avm/...`)
 * cannot be restored without a connection to that registry, so the compiler reports each one as not restored
 * (BCP190, or BCP192 when a restore was tried and failed), every use of such a module as an invalid declaration
 * (BCP062), and every local module that holds one as a module with errors (BCP104). Those are tolerated only where
 * they point at a registry module (or at a local module whose own diagnostics are all tolerated); anything else
 * fails. With the modules in the local Bicep cache (`--restore` on a connected machine), they are checked too and
 * nothing is tolerated, because nothing of the kind is reported. The checks that stay in test/unit/infra cover what
 * the compiler cannot check offline: the parameters given to the registry modules, and settings parity.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { parseCommandLine, usageExit } from '../tools/cliArgs';

/** The repository root, from scripts/ (ts-jest) or dist/scripts/ (npm run infra:check). */
export const ROOT = existsSync(join(__dirname, '..', 'package.json'))
  ? resolve(__dirname, '..')
  : resolve(__dirname, '..', '..');
export const BICEP_PROJECT = join(ROOT, 'tools', 'bicep', 'bicep.csproj');
export const PACKAGES_DIR = join(ROOT, '.tools', 'nuget');
export const ENTRY = join(ROOT, 'infra', 'main.bicep');

export class InfraCheckError extends Error {
  override readonly name = 'InfraCheckError';
  constructor(
    readonly code: 'NoDotnet' | 'RestoreFailed' | 'NoBicep' | 'UnreadableOutput',
    message: string,
  ) {
    super(message);
  }
}

export interface Diagnostic {
  /** Absolute path, as the CLI prints it. */
  file: string;
  line: number;
  column: number;
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  message: string;
}

/** Codes the compiler gives a registry module it could not restore, and what follows from it. */
export const REGISTRY_MODULE_CODES = {
  BCP190: 'registry module not restored',
  BCP192: 'registry module could not be restored',
  BCP062: 'use of a registry module that was not restored',
  BCP104: 'local module that holds a registry module that was not restored',
} as const;

const LINE = /^(.+)\((\d+),(\d+)\) : (Error|Warning|Info) ([A-Za-z0-9-]+): (.*?)(?: \[https?:\/\/[^\]]*\])?$/;

/** Parses the CLI's default diagnostics format; a line it cannot read is an error (never silently dropped). */
export function parseDiagnostics(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new InfraCheckError('UnreadableOutput', `Unexpected Bicep CLI output: ${line}`);
    diagnostics.push({
      file: m[1]!,
      line: Number(m[2]),
      column: Number(m[3]),
      level: m[4] as Diagnostic['level'],
      code: m[5]!,
      message: m[6]!,
    });
  }
  return diagnostics;
}

/** The same diagnostic reported by both build and lint counts once. */
export function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Map<string, Diagnostic>();
  for (const d of diagnostics) seen.set(`${d.file}|${d.line}|${d.column}|${d.code}|${d.message}`, d);
  return [...seen.values()];
}

export interface Verdict {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  infos: Diagnostic[];
  /** Registry-module diagnostics, by code. */
  tolerated: Diagnostic[];
  /** The registry module references that were not restored. */
  registryModules: string[];
}

/** Reads a file's lines through `readSource` (tests pass sources in memory). */
type ReadSource = (file: string) => string | undefined;

function moduleDeclaration(source: string | undefined, line: number): { name: string; path: string } | undefined {
  const text = source?.split('\n')[line - 1];
  const m = text && /^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^']+)'/.exec(text);
  return m ? { name: m[1]!, path: m[2]! } : undefined;
}

function registryModuleNames(source: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const m of (source ?? '').matchAll(/^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'br\/public:avm\/[^']+'/gm)) {
    names.add(m[1]!);
  }
  return names;
}

/**
 * Splits diagnostics into failures and tolerated registry-module ones. A diagnostic is tolerated only when
 * - BCP190/BCP192: it sits on a `module X 'br/public:avm/...'` line of its file;
 * - BCP062: the declaration it names is such a module of the same file;
 * - BCP104: it sits on a local module whose file has diagnostics, all of them tolerated.
 */
export function judge(all: readonly Diagnostic[], readSource: ReadSource): Verdict {
  const diagnostics = dedupe(all);
  const sources = new Map<string, string | undefined>();
  const source = (file: string): string | undefined => {
    if (!sources.has(file)) sources.set(file, readSource(file));
    return sources.get(file);
  };
  const registryModules = new Set<string>();
  const tolerated = new Set<Diagnostic>();

  for (const d of diagnostics) {
    if (d.level !== 'Error') continue;
    if (d.code === 'BCP190' || d.code === 'BCP192') {
      const decl = moduleDeclaration(source(d.file), d.line);
      if (decl?.path.startsWith('br/public:avm/')) {
        tolerated.add(d);
        registryModules.add(decl.path);
      }
    } else if (d.code === 'BCP062') {
      const name = /^The referenced declaration with name "([^"]+)" is not valid\.$/.exec(d.message)?.[1];
      if (name && registryModuleNames(source(d.file)).has(name)) tolerated.add(d);
    }
  }
  // BCP104 on a local module: tolerated once every diagnostic of that module's file is; repeat until nothing changes
  // (main.bicep -> app/api.bicep -> registry module).
  for (let changed = true; changed;) {
    changed = false;
    for (const d of diagnostics) {
      if (d.level !== 'Error' || d.code !== 'BCP104' || tolerated.has(d)) continue;
      const decl = moduleDeclaration(source(d.file), d.line);
      if (!decl || decl.path.startsWith('br')) continue;
      const target = resolve(dirname(d.file), decl.path);
      const inTarget = diagnostics.filter((x) => x.file === target && x.level !== 'Info');
      if (inTarget.length > 0 && inTarget.every((x) => tolerated.has(x))) {
        tolerated.add(d);
        changed = true;
      }
    }
  }

  const rest = diagnostics.filter((d) => !tolerated.has(d));
  return {
    errors: rest.filter((d) => d.level === 'Error'),
    warnings: rest.filter((d) => d.level === 'Warning'),
    infos: rest.filter((d) => d.level === 'Info'),
    tolerated: diagnostics.filter((d) => tolerated.has(d)),
    registryModules: [...registryModules].sort(),
  };
}

/** The pinned Bicep CLI version: the csproj's BicepVersion property. */
export function pinnedVersion(csproj = readFileSync(BICEP_PROJECT, 'utf8')): string {
  const m = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(csproj);
  if (!m) throw new InfraCheckError('NoBicep', `No <BicepVersion> in ${relative(ROOT, BICEP_PROJECT)}.`);
  return m[1]!.trim();
}

/** Restores the pinned Bicep CLI from NuGet (a no-op when it is there) and returns the executable's path. */
export function ensureBicep(): string {
  const version = pinnedVersion();
  const exe = join(PACKAGES_DIR, 'azure.bicep.commandline.linux-x64', version, 'tools', 'bicep');
  if (!existsSync(exe)) {
    const restore = spawnSync(
      'dotnet',
      ['restore', BICEP_PROJECT, '--packages', PACKAGES_DIR, '--verbosity', 'quiet'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
      },
    );
    if (restore.error) {
      throw new InfraCheckError(
        'NoDotnet',
        `The .NET SDK (dotnet) is needed to restore the Bicep CLI from NuGet: ${restore.error.message}. ` +
          'Install it from https://dotnet.microsoft.com/download.',
      );
    }
    if (restore.status !== 0) {
      throw new InfraCheckError(
        'RestoreFailed',
        `dotnet restore of Azure.Bicep.CommandLine.linux-x64 ${version} failed:\n${restore.stdout}${restore.stderr}`,
      );
    }
    if (!existsSync(exe)) throw new InfraCheckError('NoBicep', `The restored package has no ${exe}.`);
  }
  // NuGet unpacks without the executable bit.
  chmodSync(exe, 0o755);
  return exe;
}

export interface RunResult {
  version: string;
  verdict: Verdict;
}

function runCli(exe: string, args: string[]): { status: number | null; output: string; stdout: string } {
  const result = spawnSync(exe, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stderr, stdout: result.stdout };
}

/** Builds and lints `entry` and judges what the CLI reported. */
export function check(entry = ENTRY, options: { restore?: boolean } = {}): RunResult {
  const exe = ensureBicep();
  const version = /Bicep CLI version (\S+)/.exec(runCli(exe, ['--version']).stdout)?.[1] ?? pinnedVersion();
  if (options.restore) runCli(exe, ['restore', entry]);
  const build = runCli(exe, ['build', entry, '--no-restore', '--stdout']);
  const lint = runCli(exe, ['lint', entry, '--no-restore']);
  const diagnostics = [...parseDiagnostics(build.output), ...parseDiagnostics(lint.output)];
  const verdict = judge(diagnostics, (file) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined));
  // A non-zero exit with nothing reported would otherwise pass.
  if ((build.status !== 0 || lint.status !== 0) && diagnostics.length === 0) {
    throw new InfraCheckError(
      'UnreadableOutput',
      `The Bicep CLI failed without a diagnostic (exit ${build.status}/${lint.status}).`,
    );
  }
  return { version, verdict };
}

function format(d: Diagnostic): string {
  return `${relative(ROOT, d.file)}(${d.line},${d.column}): ${d.level} ${d.code}: ${d.message}`;
}

/** The summary line(s) CI prints. */
export function summarize(entry: string, { version, verdict }: RunResult): string[] {
  const byCode = new Map<string, number>();
  for (const d of verdict.tolerated) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
  const counts = [...byCode]
    .sort()
    .map(([code, n]) => `${code} x${n}`)
    .join(', ');
  const lines = [
    `Bicep CLI ${version} on ${relative(ROOT, entry)}: ${verdict.errors.length} errors, ${verdict.warnings.length} warnings` +
      (verdict.tolerated.length
        ? `; ${verdict.tolerated.length} registry-module diagnostics tolerated (${counts}) for ` +
          `${verdict.registryModules.length} br/public modules not restorable offline`
        : '; no registry-module diagnostics'),
  ];
  for (const ref of verdict.registryModules) lines.push(`  not restored: ${ref}`);
  return lines;
}

const USAGE =
  'Usage: npm run infra:check [-- --restore] [--help]   (exit 1 on a Bicep error or warning, 64 on a bad command line)';

export const OPTIONS = { restore: { type: 'boolean', default: false } } as const;

function main(): void {
  const { values } = parseCommandLine(process.argv.slice(2), USAGE, OPTIONS);
  const restore = values.restore;
  const result = check(ENTRY, { restore });
  for (const d of [...result.verdict.errors, ...result.verdict.warnings, ...result.verdict.infos]) {
    console.log(format(d));
  }
  for (const line of summarize(ENTRY, result)) console.log(line);
  if (result.verdict.errors.length > 0 || result.verdict.warnings.length > 0) process.exit(1);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    const usage = usageExit(e);
    if (usage !== undefined) process.exit(usage);
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
