/**
 * Azurite (the storage emulator) as child processes, one per service (blob, queue, table): in memory, or with its
 * data in `location` so that it can be stopped and started again on the same ports keeping queues, blobs and tables.
 * Each service runs Azurite's own per-service entry with its own event loop, so work in one (the table store's
 * periodic save of a large Durable history) does not hold up the others, and the emulator can use more than one
 * core. The three share the folder layout of Azurite's all-in-one command, so a folder from either works with both.
 *
 * On disk, Azurite's queue service appends every message to one extent file and waits for `fdatasync` before it
 * answers, one message at a time (its write concurrency is 1); under a Durable load that serialised flush is the
 * limit (docs/performance.md). The queue process is started with several extent files written at once
 * (`QUEUE_WRITE_CONCURRENCY`, the blob service's own setting is 50) and a larger libuv pool, so the flushes overlap.
 *
 * A small watchdog in each child ends it if this process dies without closing it, so no emulator is left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
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
  /** Node options for the emulator's processes (profiling aid, e.g. `--cpu-prof`). */
  nodeOptions?: string[];
}

export interface RunningAzurite {
  connectionString: string;
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  ports: StoragePorts;
  /** The queue service's process id. */
  readonly pid: number | undefined;
  /** Process ids per service. */
  readonly pids: Readonly<Record<Service, number | undefined>>;
  /** Stops the emulator (SIGINT, then SIGKILL after 15 s). */
  close(): Promise<void>;
  /** Stops and starts it again on the same ports (data kept when it has a `location`). */
  restart(): Promise<void>;
}

export type Service = 'blob' | 'queue' | 'table';
const SERVICES: readonly Service[] = ['blob', 'queue', 'table'];

/** Extent files the queue service appends to at once (Azurite's default is 1; its blob service uses 50). */
export const QUEUE_WRITE_CONCURRENCY = 16;
/** libuv threads of the queue process: the overlapping flushes and the extent reads run there (default 4). */
const QUEUE_THREADPOOL_SIZE = 24;

// The child starts a watchdog on the parent's pid, sets the queue write concurrency when asked, then runs the
// service's entry as Azurite's CLI would.
const LAUNCHER = [
  'const [entry, ...rest] = process.argv.slice(1);',
  'process.argv = [process.argv[0], entry, ...rest];',
  'const parent = Number(process.env.AZURITE_PARENT_PID);',
  'setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 1000).unref();',
  'if (process.env.AZURITE_QUEUE_WRITE_CONCURRENCY) {',
  '  const c = require(process.env.AZURITE_QUEUE_CONSTANTS);',
  '  const array = c.DEFAULT_QUEUE_PERSISTENCE_ARRAY;',
  "  if (!Array.isArray(array) || array.length !== 1 || typeof array[0].maxConcurrency !== 'number')",
  "    throw new Error('azurite: DEFAULT_QUEUE_PERSISTENCE_ARRAY not found; the queue write concurrency cannot be set');",
  '  array[0].maxConcurrency = Number(process.env.AZURITE_QUEUE_WRITE_CONCURRENCY);',
  '}',
  'require(entry);',
].join('\n');

function azuriteDir(): string {
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src');
}

/** Azurite's per-service entry (its `azurite-blob`, `azurite-queue`, `azurite-table` commands). */
function serviceEntry(service: Service): string {
  return path.join(azuriteDir(), service, 'main.js');
}

function queueConstants(): string {
  const file = path.join(azuriteDir(), 'queue', 'utils', 'constants.js');
  if (!existsSync(file)) throw new AzuriteStartError(`Azurite's queue constants are missing: ${file}`);
  return file;
}

/** A port that is free now (the services are then started on it; Azurite's table entry cannot report port 0's). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  children: Record<Service, ChildProcess>;
  ports: StoragePorts;
}

async function spawnService(
  service: Service,
  options: AzuriteOptions,
  port: number,
  host: string,
): Promise<{ child: ChildProcess; port: number }> {
  const inMemory = options.inMemory ?? options.location === undefined;
  const args = [
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    `--${service}Host`,
    host,
    `--${service}Port`,
    String(port),
  ];
  if (inMemory) args.push('--inMemoryPersistence');
  if (options.location) args.push('--location', options.location);
  const env: NodeJS.ProcessEnv = { ...process.env, AZURITE_PARENT_PID: String(process.pid) };
  if (service === 'queue' && !inMemory) {
    env['AZURITE_QUEUE_WRITE_CONCURRENCY'] = String(QUEUE_WRITE_CONCURRENCY);
    env['AZURITE_QUEUE_CONSTANTS'] = queueConstants();
    env['UV_THREADPOOL_SIZE'] = String(QUEUE_THREADPOOL_SIZE);
  }
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), '-e', LAUNCHER, serviceEntry(service), ...args],
    { cwd: options.location ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const name = service[0]!.toUpperCase() + service.slice(1);
  // "successfully listens on http://host:port" (blob, queue), "successfully started on host:port" (table)
  const listening = new RegExp(
    `Azurite ${name} service successfully (?:listens|started) on (?:https?://)?[^\\s]*?:(\\d+)`,
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new AzuriteStartError(`Azurite's ${service} service did not start in time.\n${output}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
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
      const m = listening.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => fail(new AzuriteStartError(`Azurite could not be started: ${err.message}`)));
    child.once('exit', (code) =>
      fail(new AzuriteStartError(`Azurite's ${service} service exited (code ${code}) before it listened.\n${output}`)),
    );
  });
}

async function spawnAzurite(options: AzuriteOptions, requested: StoragePorts): Promise<Started> {
  const host = options.host ?? '127.0.0.1';
  if (options.location) mkdirSync(options.location, { recursive: true });
  const ports = { ...requested };
  for (const s of SERVICES) if (ports[s] === 0) ports[s] = await freePort(host);
  const results = await Promise.allSettled(SERVICES.map((s) => spawnService(s, options, ports[s], host)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.flatMap((r) => (r.status === 'fulfilled' ? [stopChild(r.value.child)] : [])));
    throw failed.reason;
  }
  const ok = results as PromiseFulfilledResult<{ child: ChildProcess; port: number }>[];
  return {
    children: { blob: ok[0]!.value.child, queue: ok[1]!.value.child, table: ok[2]!.value.child },
    ports: { blob: ok[0]!.value.port, queue: ok[1]!.value.port, table: ok[2]!.value.port },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    // Azurite saves its on-disk data while shutting down: give it time before SIGKILL. SIGINT, not SIGTERM: the
    // table service's own entry shuts down (and saves) on SIGINT only; SIGTERM would end it without saving.
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
}

function stopAllChildren(started: Started): Promise<void> {
  return Promise.all(SERVICES.map((s) => stopChild(started.children[s]))).then(() => undefined);
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
      return started.children.queue.pid;
    },
    get pids() {
      return {
        blob: started.children.blob.pid,
        queue: started.children.queue.pid,
        table: started.children.table.pid,
      };
    },
    close: () => stopAllChildren(started),
    async restart(): Promise<void> {
      await stopAllChildren(started);
      started = await spawnAzurite(options, ports);
    },
  };
}
