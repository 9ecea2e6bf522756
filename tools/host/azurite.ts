/**
 * Azurite (the storage emulator) as a child process: in memory, or with its data in `location` so that it can be
 * stopped and started again on the same ports keeping queues, blobs and tables. A small watchdog in the child ends
 * it if this process dies without closing it, so no emulator is left behind.
 *
 * On disk, Azurite's queue service appends every message to one extent file and waits for its `fdatasync` before it
 * answers, one message at a time (its write concurrency is 1): under a Durable load that serialised flush was the
 * limit of `npm start` (docs/performance.md). With data on disk the child raises it to `QUEUE_WRITE_CONCURRENCY`
 * extent files written at once (Azurite's blob service uses 50) and gives libuv more threads, so the flushes overlap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { AzuriteStartError, PortInUseError } from './errors';
import { azuriteConnectionString, type StoragePorts } from './settings';

export interface AzuriteOptions {
  /** Keep data in memory only (default true unless `location` is given). */
  inMemory?: boolean;
  /** Folder for Azurite's data (implies on-disk persistence unless `inMemory` is true). */
  location?: string;
  /** Ports; 0 = a free port (default 0 for each). */
  ports?: Partial<StoragePorts>;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Milliseconds to wait for the three services to listen (default 30 s). */
  startTimeoutMs?: number;
  /** Node options for the emulator's process (profiling aid, e.g. `--cpu-prof`). */
  nodeOptions?: string[];
}

export interface RunningAzurite {
  connectionString: string;
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  ports: StoragePorts;
  /** Azurite's process id. */
  readonly pid: number | undefined;
  /** Stops the emulator (SIGTERM, then SIGKILL after 15 s). */
  close(): Promise<void>;
  /** Stops and starts it again on the same ports (data kept when it has a `location`). */
  restart(): Promise<void>;
}

const SERVICES = ['Blob', 'Queue', 'Table'] as const;

/** Extent files Azurite's queue service appends to at once when its data is on disk (Azurite's own default: 1). */
export const QUEUE_WRITE_CONCURRENCY = 16;
/** libuv threads of the emulator on disk: the overlapping flushes and the extent reads run there (default 4). */
const THREADPOOL_SIZE = 24;

// The child starts a watchdog on the parent's pid, sets the queue service's write concurrency when asked (the
// persistence array Azurite's CLI hands to its queue service; the CLI itself sets its folder there), then runs the CLI.
const WATCHDOG = [
  'const [entry, ...rest] = process.argv.slice(1);',
  'process.argv = [process.argv[0], entry, ...rest];',
  'const parent = Number(process.env.AZURITE_PARENT_PID);',
  'setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 1000).unref();',
  'if (process.env.AZURITE_QUEUE_WRITE_CONCURRENCY) {',
  '  const array = require(process.env.AZURITE_QUEUE_CONSTANTS).DEFAULT_QUEUE_PERSISTENCE_ARRAY;',
  "  if (!Array.isArray(array) || array.length !== 1 || typeof array[0].maxConcurrency !== 'number')",
  "    throw new Error('DEFAULT_QUEUE_PERSISTENCE_ARRAY not found: the queue write concurrency cannot be set');",
  '  array[0].maxConcurrency = Number(process.env.AZURITE_QUEUE_WRITE_CONCURRENCY);',
  '}',
  'require(entry);',
].join('\n');

function azuriteDir(): string {
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src');
}

function azuriteEntry(): string {
  return path.join(azuriteDir(), 'azurite.js');
}

/** Environment for the child: on disk, the queue write concurrency and the larger libuv pool. */
function childEnv(onDisk: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AZURITE_PARENT_PID: String(process.pid) };
  if (!onDisk) return env;
  const constants = path.join(azuriteDir(), 'queue', 'utils', 'constants.js');
  if (!existsSync(constants)) throw new AzuriteStartError(`Azurite's queue constants are missing: ${constants}`);
  return {
    ...env,
    AZURITE_QUEUE_WRITE_CONCURRENCY: String(QUEUE_WRITE_CONCURRENCY),
    AZURITE_QUEUE_CONSTANTS: constants,
    UV_THREADPOOL_SIZE: String(THREADPOOL_SIZE),
  };
}

interface Started {
  child: ChildProcess;
  ports: StoragePorts;
}

async function spawnAzurite(options: AzuriteOptions, ports: StoragePorts): Promise<Started> {
  const host = options.host ?? '127.0.0.1';
  const inMemory = options.inMemory ?? options.location === undefined;
  const args = [
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    '--blobHost',
    host,
    '--queueHost',
    host,
    '--tableHost',
    host,
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
  ];
  if (inMemory) args.push('--inMemoryPersistence');
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  }
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), '-e', WATCHDOG, azuriteEntry(), ...args], {
    cwd: options.location ?? process.cwd(),
    env: childEnv(!inMemory),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const found: Partial<StoragePorts> = {};
  let output = '';
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new AzuriteStartError(`Azurite did not start in time.\n${output}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const service of SERVICES) {
        const m = new RegExp(`Azurite ${service} service is successfully listening at https?://[^:]+:(\\d+)`).exec(
          output,
        );
        if (m) found[service.toLowerCase() as keyof StoragePorts] = Number(m[1]);
      }
      const inUse = /EADDRINUSE[^\n]*?:(\d+)/.exec(output);
      if (inUse) {
        fail(
          new PortInUseError(
            Number(inUse[1]),
            'Azurite needs it; stop the other emulator or choose other storage ports.',
          ),
        );
        return;
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ child, ports: { blob: found.blob, queue: found.queue, table: found.table } });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => fail(new AzuriteStartError(`Azurite could not be started: ${err.message}`)));
    child.once('exit', (code) =>
      fail(new AzuriteStartError(`Azurite exited (code ${code}) before it listened.\n${output}`)),
    );
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    // Azurite saves its on-disk data while shutting down: give it time before SIGKILL.
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Azurite and resolves once blob, queue and table services listen. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  let started = await spawnAzurite(options, { blob: 0, queue: 0, table: 0, ...options.ports });
  const ports = started.ports;
  const url = (port: number): string => `http://${host}:${port}/devstoreaccount1`;
  return {
    connectionString: azuriteConnectionString(ports, host),
    blobUrl: url(ports.blob),
    queueUrl: url(ports.queue),
    tableUrl: url(ports.table),
    ports,
    get pid() {
      return started.child.pid;
    },
    close: () => stopChild(started.child),
    async restart(): Promise<void> {
      await stopChild(started.child);
      started = await spawnAzurite(options, ports);
    },
  };
}
