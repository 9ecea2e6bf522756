/**
 * `npm start`: Azurite (unless `AzureWebJobsStorage` points elsewhere), the partner API simulator on 7080 (or the
 * local port `PARTNER_API_BASE_URL` names; not started when it points elsewhere) and the local Functions host on
 * 7071, until Ctrl-C. Azurite's and the simulator's state stay on disk under `.local/` (git-ignored), so a go-live in
 * flight resumes after Ctrl-C and `npm start`; `--fresh` clears it first. The banner says which.
 *
 *   node dist/tools/host/cli.js start [--port <n>] [--app <dir>] [--no-azurite] [--no-simulator] [--verbose]
 *                                     [--fresh] [--state <dir>] [--azurite-ports <blob>,<queue>,<table>] [--eventgrid]
 *                                     [--help]
 *
 * `--help` prints the usage (exit 0); a bad command line prints what was wrong and the usage (exit 64).
 *
 * `--eventgrid` also starts the local Event Grid endpoint (tools/eventgrid; its certificate kept under the state
 * folder) and points the app at it (`GOLIVE_EVENTGRID_ENDPOINT`, `GOLIVE_EVENTGRID_TOKEN`). Node reads
 * `NODE_EXTRA_CA_CERTS` only when it starts, so the CLI runs itself again with that variable naming the certificate.
 *
 * Prints `Local host ready at <url>` once everything listens (test helpers wait for that line).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

import { asksForHelp, HelpRequested, intValue, parseCommandLine, UsageError, usageExit } from '../cliArgs';
import { ensureCertificate, type RunningEventGridEndpoint, startEventGridEndpoint } from '../eventgrid';
import { type RunningSimulator, startSimulator } from '../simulator';
import { createSimulatorPersistence, removeSimulatorState, type SimulatorPersistence } from '../simulator/persistence';
import { type RunningAzurite, startAzurite } from './azurite';
import { HostError, PortInUseError } from './errors';
import { DEFAULT_PORT, type FunctionsHost, startHost } from './host';
import { consoleSink } from './logger';
import { DEFAULT_AZURITE_PORTS, isDevelopmentStorage, readLocalSettings, type StoragePorts } from './settings';

export const READY_LINE = 'Local host ready at';
const SIMULATOR_PORT = 7080;

export interface CliOptions {
  command: string;
  port?: number;
  appDir: string;
  azurite: boolean;
  simulator: boolean;
  verbose: boolean;
  /** Clear the kept state before starting. */
  fresh: boolean;
  /** Where Azurite's and the simulator's state is kept (default `<app>/.local`). */
  stateDir: string;
  /** Azurite's ports (default 10000-10002). */
  azuritePorts?: StoragePorts;
  /** Start the local Event Grid endpoint and point the app at it. */
  eventGrid: boolean;
}

export const STATE_DIR = '.local';

export const USAGE =
  'Usage: node dist/tools/host/cli.js start [--port <n>] [--app <dir>] [--no-azurite] [--no-simulator] [--verbose]\n' +
  '                                         [--fresh] [--state <dir>] [--azurite-ports <blob>,<queue>,<table>] [--eventgrid]\n' +
  '                                         [--help]\n' +
  '  (npm start -- <options>; exit 64 on a bad command line)';

export const OPTIONS = {
  port: { type: 'string' },
  app: { type: 'string' },
  'no-azurite': { type: 'boolean', default: false },
  'no-simulator': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  fresh: { type: 'boolean', default: false },
  state: { type: 'string' },
  'azurite-ports': { type: 'string' },
  eventgrid: { type: 'boolean', default: false },
} as const;

export function parseArgs(argv: readonly string[], cwd = process.cwd()): CliOptions {
  const args = [...argv];
  const command = args[0] !== undefined && !args[0].startsWith('-') ? args.shift()! : 'start';
  if (asksForHelp(args)) throw new HelpRequested(USAGE);
  if (command !== 'start') throw new UsageError(`Unknown command "${command}".`, USAGE);
  const { values } = parseCommandLine(args, USAGE, OPTIONS);
  const appDir = values.app === undefined ? cwd : path.resolve(cwd, values.app);
  const opts: CliOptions = {
    command,
    appDir,
    azurite: !values['no-azurite'],
    simulator: !values['no-simulator'],
    verbose: values.verbose,
    fresh: values.fresh,
    stateDir: path.resolve(appDir, values.state ?? STATE_DIR),
    eventGrid: values.eventgrid,
  };
  if (values.port !== undefined) opts.port = intValue('--port', values.port, 0, 65535, USAGE);
  if (values['azurite-ports'] !== undefined) {
    const ports = values['azurite-ports'].split(',').map(Number);
    if (ports.length !== 3 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      throw new UsageError('--azurite-ports must be three port numbers: <blob>,<queue>,<table>.', USAGE);
    }
    opts.azuritePorts = { blob: ports[0]!, queue: ports[1]!, table: ports[2]! };
  }
  return opts;
}

/** A setting as the host will see it: the environment first, then local.settings.json (or the sample). */
function setting(name: string, values: Record<string, string>): string | undefined {
  return process.env[name] ?? values[name];
}

/** The local port the simulator should listen on, when `PARTNER_API_BASE_URL` is unset or names a local origin. */
function localSimulatorPort(value: string | undefined): number | undefined {
  if (!value) return SIMULATOR_PORT;
  try {
    const url = new URL(value);
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && url.protocol === 'http:'
      ? Number(url.port || 80)
      : undefined;
  } catch {
    return undefined;
  }
}

interface Running {
  eventGrid?: RunningEventGridEndpoint;
  azurite?: RunningAzurite;
  simulator?: RunningSimulator;
  simulatorState?: SimulatorPersistence;
  host?: FunctionsHost;
  /** What the banner says of the kept state. */
  state?: { dir: string; kept: boolean; fresh: boolean };
}

async function stopAll(running: Running): Promise<void> {
  await running.host?.stop().catch((err: unknown) => process.stderr.write(`Stopping the host: ${String(err)}\n`));
  await running.simulator?.close().catch(() => undefined);
  try {
    running.simulatorState?.close();
  } catch (err) {
    process.stderr.write(`Saving the simulator's state: ${String(err)}\n`);
  }
  await running.azurite?.close().catch(() => undefined);
  await running.eventGrid?.close().catch(() => undefined);
}

/** Azurite's folder and the simulator's file under the state folder. */
export function statePaths(stateDir: string): { azurite: string; simulator: string } {
  return { azurite: path.join(stateDir, 'azurite'), simulator: path.join(stateDir, 'simulator.json') };
}

function print(line = ''): void {
  process.stdout.write(line + '\n');
}

function banner(host: FunctionsHost, running: Running, settingsFile: string | undefined): void {
  print('');
  print('Functions:');
  for (const fn of host.summaries()) print(`  ${fn.name}: ${fn.detail}`);
  print('');
  print(`Host:       ${host.baseUrl}`);
  if (running.azurite) {
    print(
      `Azurite:    blob ${running.azurite.blobUrl}  queue ${running.azurite.queueUrl}  table ${running.azurite.tableUrl}`,
    );
  } else {
    print('Azurite:    not started here (AzureWebJobsStorage points elsewhere or --no-azurite)');
  }
  if (running.simulator) print(`Partner API simulator: ${running.simulator.url}`);
  if (running.eventGrid) {
    print(`Event Grid: ${running.eventGrid.url} (local endpoint; what it received: GET `);
    print(
      `            https://127.0.0.1:${running.eventGrid.port}/_admin/received, curl -k or --cacert ${running.eventGrid.caPath})`,
    );
  }
  if (running.state) print(`State:      ${stateLine(running.state)}`);
  print(`Settings:   ${settingsFile ? path.basename(settingsFile) : 'environment only'}`);
  print(`Console:    ${host.baseUrl}/api/console`);
  print('');
  print('Try:');
  print(`  curl -X POST ${host.baseUrl}/api/golive/contoso/contoso-vm-offer`);
  print(`  curl ${host.baseUrl}/api/golive/contoso/contoso-vm-offer`);
  print('  npm run enqueue -- contoso/contoso-vm-offer --wait');
  print('  npm run golive -- list');
  print('');
  print('Press Ctrl-C to stop.');
}

/**
 * The app refused its settings (a `ConfigError`, code `InvalidConfiguration`, thrown while the app loads): one
 * message naming each bad setting and where to set it, instead of the module that failed to load.
 */
export function invalidSettings(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (!(cause instanceof Error) || code !== 'InvalidConfiguration') return undefined;
  return `${cause.message}\nSet it in local.settings.json "Values" or the environment (docs/settings.md).`;
}

export function stateLine(state: { dir: string; kept: boolean; fresh: boolean }): string {
  const where = path.relative(process.cwd(), state.dir) || state.dir;
  if (state.fresh) return `fresh: cleared ${where}/ (runs and the simulator's operations start from nothing)`;
  if (state.kept) return `kept from the last start in ${where}/ (runs in flight resume; --fresh starts clean)`;
  return `new, on disk in ${where}/ (kept across restarts; --fresh starts clean)`;
}

/** A signal within this long of the first is the same Ctrl-C delivered twice (see `main`). */
const DUPLICATE_SIGNAL_MS = 1_000;

/** Set by test helpers: the host stops cleanly when that process is gone, so no host outlives its test run. */
export const PARENT_PID_ENV = 'LOCAL_HOST_PARENT_PID';

function watchParent(pidText: string | undefined, onGone: () => void): void {
  const pid = Number(pidText);
  if (!pidText || !Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}

/** The local Event Grid endpoint's certificate folder under the state folder. */
export function eventGridCertDir(stateDir: string): string {
  return path.join(stateDir, 'eventgrid');
}

/** Runs this CLI again with `NODE_EXTRA_CA_CERTS` naming the endpoint's certificate; resolves to its exit code. */
function rerunTrusting(caPath: string, argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [__filename, ...argv], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    const code = usageExit(err);
    if (code === undefined) throw err;
    return code;
  }
  if (opts.eventGrid) {
    const { certPath } = ensureCertificate(eventGridCertDir(opts.stateDir));
    if (process.env.NODE_EXTRA_CA_CERTS !== certPath) return rerunTrusting(certPath, argv);
  }
  const local = readLocalSettings(opts.appDir);
  const running: Running = {};
  let stopping: Promise<void> | undefined;
  let stoppingSince = 0;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // One Ctrl-C reaches this process more than once within a moment: from the terminal (the whole foreground
      // process group) and forwarded by npm and scripts/run-built.mjs. Only a second press stops without cleanup.
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      process.stderr.write(`Received ${signal} again: exiting now.\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    print(`\nReceived ${signal}: stopping...`);
    stopping = stopAll(running).then(() => {
      print('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  watchParent(process.env[PARENT_PID_ENV], () => shutdown('parent exit'));

  try {
    const storage = setting('AzureWebJobsStorage', local.values);
    const paths = statePaths(opts.stateDir);
    const startAzuriteHere = opts.azurite && (storage === undefined || isDevelopmentStorage(storage));
    const simulatorPort = opts.simulator
      ? localSimulatorPort(setting('PARTNER_API_BASE_URL', local.values))
      : undefined;
    if (startAzuriteHere || simulatorPort !== undefined) {
      const kept =
        (startAzuriteHere && existsSync(paths.azurite)) || (simulatorPort !== undefined && existsSync(paths.simulator));
      if (opts.fresh) {
        if (startAzuriteHere) rmSync(paths.azurite, { recursive: true, force: true });
        if (simulatorPort !== undefined) removeSimulatorState(paths.simulator);
      }
      running.state = { dir: opts.stateDir, kept: kept && !opts.fresh, fresh: opts.fresh };
    }
    if (startAzuriteHere) {
      try {
        running.azurite = await startAzurite({
          location: paths.azurite,
          ports: { ...(opts.azuritePorts ?? DEFAULT_AZURITE_PORTS) },
        });
      } catch (err) {
        if (err instanceof PortInUseError) {
          throw new PortInUseError(
            err.port,
            'Azurite needs ports 10000-10002. Stop the program using it, or, if an Azurite is already running there, ' +
              'start with --no-azurite to use it.',
          );
        }
        throw err;
      }
    }
    if (simulatorPort !== undefined) {
      const persistence = createSimulatorPersistence(paths.simulator);
      try {
        running.simulator = await startSimulator({
          port: simulatorPort,
          onState: (state) => persistence.attach(state),
        });
        running.simulatorState = persistence;
      } catch (err) {
        persistence.close();
        if ((err as { code?: string }).code === 'PortInUse' || (err as { code?: string }).code === 'EADDRINUSE') {
          throw new PortInUseError(
            simulatorPort,
            'The partner API simulator needs it. Stop the program using it, start with --no-simulator, ' +
              'or point PARTNER_API_BASE_URL (local.settings.json) at another partner API.',
          );
        }
        throw err;
      }
    }
    if (opts.eventGrid) {
      running.eventGrid = await startEventGridEndpoint({
        certDir: eventGridCertDir(opts.stateDir),
        ...(process.env.GOLIVE_EVENTGRID_TOKEN ? { token: process.env.GOLIVE_EVENTGRID_TOKEN } : {}),
      });
      process.env.GOLIVE_EVENTGRID_ENDPOINT = running.eventGrid.url;
      process.env.GOLIVE_EVENTGRID_TOKEN = running.eventGrid.token;
    }
    running.host = await startHost({
      appDir: opts.appDir,
      port: opts.port,
      azurite: running.azurite?.ports,
      logLevel: opts.verbose ? 'debug' : undefined,
      logSink: consoleSink,
      portHint:
        `Stop the program using it, or choose another port with --port <n> ` +
        `(or "Host": { "LocalHttpPort": <n> } in local.settings.json; default ${DEFAULT_PORT}).`,
    });
    banner(running.host, running, local.source);
    print(`${READY_LINE} ${running.host.baseUrl}`);
    return await new Promise<number>(() => undefined); // runs until a signal
  } catch (err) {
    await stopAll(running);
    const invalid = invalidSettings(err);
    if (invalid) process.stderr.write(`Error: ${invalid}\n`);
    else if (err instanceof HostError) process.stderr.write(`Error: ${err.message}\n`);
    else process.stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`Error: ${err instanceof HostError ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
