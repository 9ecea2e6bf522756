/**
 * `npm run start:func [-- <func start options>]`: the app on the real Functions host, Azure Functions Core Tools.
 *
 * After `npm run build`: creates local.settings.json from local.settings.sample.json when it is missing, checks that
 * Core Tools (`func`) is installed (if not: how to install it, exit 1, nothing started), starts Azurite (in memory)
 * when `AzureWebJobsStorage` is Azurite on this machine (`UseDevelopmentStorage=true`: ports 10000-10002, or an
 * Azurite connection string with 127.0.0.1/localhost endpoints: their ports), and the partner API simulator when
 * `PARTNER_API_BASE_URL` is a localhost URL (7080 in the sample), then runs `func start` until it exits or Ctrl-C.
 * Where something already listens on those ports, it is used as it is.
 *
 * The real host keeps Durable state in the task hub host.json names (`golive`); the local host of `npm start` uses
 * its own (`golivelocal`, tools/host/settings.ts), so the two never read each other's runs on one Azurite.
 *
 *   node dist/scripts/startFunc.js [--app <dir>] [<func start options>] [--help]   (exit 64 on a bad command line)
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';

import { asksForHelp, HelpRequested, UsageError, usageExit } from '../tools/cliArgs';
import { startAzurite } from '../tools/host/azurite';
import { HostError, PortInUseError } from '../tools/host/errors';
import {
  DEFAULT_AZURITE_PORTS,
  DEV_ACCOUNT,
  isDevelopmentStorage,
  LOCAL_SETTINGS_FILE,
  parseConnectionString,
  readLocalSettings,
  SAMPLE_SETTINGS_FILE,
  type StoragePorts,
} from '../tools/host/settings';
import { startSimulator } from '../tools/simulator';

export const CORE_TOOLS_INSTALL_URL =
  'https://learn.microsoft.com/azure/azure-functions/functions-run-local#install-the-azure-functions-core-tools';
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export class StartFuncError extends Error {
  override readonly name = 'StartFuncError';
  constructor(
    readonly code: 'NoCoreTools' | 'NoSettings',
    message: string,
  ) {
    super(message);
  }
}

/** Copies the sample settings to local.settings.json when that file is missing; returns whether it did. */
export function ensureLocalSettings(appDir: string): boolean {
  const target = path.join(appDir, LOCAL_SETTINGS_FILE);
  if (existsSync(target)) return false;
  const sample = path.join(appDir, SAMPLE_SETTINGS_FILE);
  if (!existsSync(sample)) {
    throw new StartFuncError('NoSettings', `Neither ${LOCAL_SETTINGS_FILE} nor ${SAMPLE_SETTINGS_FILE} in ${appDir}.`);
  }
  copyFileSync(sample, target);
  return true;
}

/** Core Tools' version, or undefined when `func` is not on PATH (or does not run). */
export function coreToolsVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const result = spawnSync('func', ['--version'], { env, encoding: 'utf8', timeout: 60_000 });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim().split('\n').pop();
}

export function noCoreToolsMessage(): string {
  return [
    'Azure Functions Core Tools (func) is not installed, or not on PATH: npm run start:func runs the app on it.',
    `Install Core Tools 4.x: ${CORE_TOOLS_INSTALL_URL}`,
    '(for example: npm install -g azure-functions-core-tools@4, or your package manager), then run this again.',
    'Without Core Tools, `npm start` runs the app on the local host in tools/host (see tools/host/README.md).',
  ].join('\n');
}

/** Ours; any other option goes to `func start`. */
export const OPTIONS = { app: { type: 'string' } } as const;

export const USAGE =
  'Usage: npm run start:func -- [--app <dir>] [<func start options>] [--help]\n' +
  '  Options other than --app and --help go to func start (after --, every argument does).';

/**
 * `--app <dir>` is ours; every other argument goes to `func start` in its order (everything after `--` too), so
 * `npm run start:func -- --port 7072` works as `func start --port 7072`.
 */
export function parseArgs(argv: readonly string[], cwd = process.cwd()): { appDir: string; funcArgs: string[] } {
  if (asksForHelp(argv)) throw new HelpRequested(USAGE);
  const { tokens } = nodeParseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  let appDir = cwd;
  const funcArgs: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      funcArgs.push(...argv.slice(token.index + 1));
      break;
    }
    if (token.kind === 'positional') funcArgs.push(token.value);
    else if (token.name !== 'app') funcArgs.push(argv[token.index]!);
    else if (typeof token.value !== 'string' || token.value === '')
      throw new UsageError('--app needs a folder.', USAGE);
    else appDir = path.resolve(cwd, token.value);
  }
  return { appDir, funcArgs };
}

function localPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (!LOCAL_HOSTS.includes(u.hostname) || u.protocol !== 'http:') return undefined;
    return Number(u.port || 80);
  } catch {
    return undefined;
  }
}

/**
 * The Azurite ports a storage connection names on this machine: the defaults for `UseDevelopmentStorage=true`, the
 * endpoints' ports for the development account with blob, queue and table endpoints on localhost; else undefined.
 */
export function localAzuritePorts(connection: string | undefined): StoragePorts | undefined {
  if (connection === undefined) return undefined;
  if (isDevelopmentStorage(connection)) return { ...DEFAULT_AZURITE_PORTS };
  const parts = parseConnectionString(connection);
  if (parts['accountname'] !== DEV_ACCOUNT) return undefined;
  const blob = localPort(parts['blobendpoint']);
  const queue = localPort(parts['queueendpoint']);
  const table = localPort(parts['tableendpoint']);
  return blob && queue && table ? { blob, queue, table } : undefined;
}

/** The port of a partner API URL on this machine (the simulator serves it), else undefined. */
export function localSimulatorPort(baseUrl: string | undefined): number | undefined {
  return localPort(baseUrl);
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { appDir, funcArgs } = parseArgs(argv);
  if (ensureLocalSettings(appDir)) print(`Created ${LOCAL_SETTINGS_FILE} from ${SAMPLE_SETTINGS_FILE}.`);
  const version = coreToolsVersion(env);
  if (!version) {
    process.stderr.write(`${noCoreToolsMessage()}\n`);
    return 1;
  }
  print(`Azure Functions Core Tools ${version}`);

  const local = readLocalSettings(appDir);
  const setting = (name: string): string | undefined => env[name] ?? local.values[name];
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const azuritePorts = localAzuritePorts(setting('AzureWebJobsStorage'));
    if (azuritePorts) {
      try {
        const azurite = await startAzurite({ inMemory: true, ports: azuritePorts });
        stops.push(() => azurite.close());
        print(`Azurite: blob ${azurite.blobUrl}  queue ${azurite.queueUrl}  table ${azurite.tableUrl} (in memory)`);
      } catch (err) {
        if (!(err instanceof PortInUseError)) throw err;
        print(`Azurite: port ${err.port} is in use; using the Azurite that listens there.`);
      }
    }
    const simulatorPort = localSimulatorPort(setting('PARTNER_API_BASE_URL'));
    if (simulatorPort !== undefined) {
      try {
        const simulator = await startSimulator({ port: simulatorPort });
        stops.push(() => simulator.close());
        print(`Partner API simulator: ${simulator.url}`);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'PortInUse' && code !== 'EADDRINUSE') throw err;
        print(`Partner API simulator: port ${simulatorPort} is in use; using what listens there.`);
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  print(`func start ${funcArgs.join(' ')}`.trimEnd());
  const child = spawn('func', ['start', ...funcArgs], { cwd: appDir, env, stdio: 'inherit' });
  const onInt = (): boolean => child.kill('SIGINT');
  const onTerm = (): boolean => child.kill('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`func start failed: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 130 : 1)));
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  await stopAll();
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const usage = usageExit(err);
      if (usage !== undefined) process.exit(usage);
      const known = err instanceof HostError || err instanceof StartFuncError;
      process.stderr.write(
        `Error: ${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
