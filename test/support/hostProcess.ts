/**
 * The local Functions host in a child process, as `npm start` runs it: `node dist/tools/host/cli.js start` (needs
 * `npm run build` first). By default without Azurite and the simulator (pass the connection string and the partner
 * API URL in `env`) and on a free port.
 *
 *   const host = await startHostProcess({ appDir, env: { AzureWebJobsStorage: azurite.connectionString } });
 *   await fetch(`${host.baseUrl}/api/...`);
 *   await host.stop();            // SIGTERM, waits for exit
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const HOST_CLI = path.join(REPO_ROOT, 'dist/tools/host/cli.js');
const READY = /Local host ready at (http:\/\/\S+)/;

export interface HostProcessOptions {
  /** The function app directory (default: the repository, i.e. the real app in dist/). */
  appDir?: string;
  /** Extra environment for the child (merged over this process's environment). */
  env?: Record<string, string>;
  /** HTTP port (default 0 = a free port). */
  port?: number;
  /** Start Azurite / the simulator in the child as `npm start` does (default false: tests bring their own). */
  azurite?: boolean;
  simulator?: boolean;
  /** More CLI arguments. */
  args?: string[];
  /** How long to wait for the ready line (default 30 s). */
  readyTimeoutMs?: number;
}

export interface HostProcess {
  /** e.g. `http://localhost:41234` */
  baseUrl: string;
  port: number;
  child: ChildProcess;
  /** Everything the child printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Sends a signal (default SIGTERM) without waiting. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (SIGKILL after `graceMs`, default 10 s) and waits for exit; resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves when the child exits. */
  exited: Promise<number | null>;
}

export class HostProcessError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(`${message}\n--- host output ---\n${output}`);
    this.name = 'HostProcessError';
  }
}

/** Runs the CLI with `args` until it exits; for start-up failures (e.g. a port in use). */
export async function runHostCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [HOST_CLI, ...args], {
    env: { ...process.env, LOCAL_HOST_PARENT_PID: String(process.pid), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

export async function startHostProcess(options: HostProcessOptions = {}): Promise<HostProcess> {
  if (!existsSync(HOST_CLI)) throw new Error(`${HOST_CLI} is missing: run "npm run build" first.`);
  const args = ['start', '--port', String(options.port ?? 0)];
  if (options.appDir) args.push('--app', options.appDir);
  if (!options.azurite) args.push('--no-azurite');
  if (!options.simulator) args.push('--no-simulator');
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, [HOST_CLI, ...args], {
    cwd: REPO_ROOT,
    // The host stops by itself if this process dies without stopping it.
    env: { ...process.env, LOCAL_HOST_PARENT_PID: String(process.pid), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new HostProcessError('The host did not print its ready line in time.', output, null));
    }, options.readyTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = READY.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new HostProcessError('The host exited before it was ready.', output, code));
    });
  });
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    const code = await exited;
    clearTimeout(kill);
    return code;
  };
  return {
    baseUrl,
    port: Number(new URL(baseUrl).port),
    child,
    logs: () => output,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => void child.kill(signal),
    stop,
    exited,
  };
}

/**
 * The base URL a child host process prints as `READY <url>` once it listens (the crash tests' child scripts);
 * rejects with its stderr if it exits first.
 */
export function childReady(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => reject(new Error(`the host exited (${code}): ${err}`)));
  });
}

/**
 * host.json overrides for tests that stop or kill a host and start another on the same storage: queues polled
 * often, and messages a stopped host held (dequeued, not yet deleted) visible again after seconds instead of the
 * extension's 5 minutes.
 */
export const RESTART_HOST_JSON = {
  extensions: {
    queues: { maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:01' },
    durableTask: {
      storageProvider: {
        maxQueuePollingInterval: '00:00:01',
        controlQueueVisibilityTimeout: '00:00:03',
        workItemQueueVisibilityTimeout: '00:00:03',
      },
    },
  },
};

/**
 * The app's settings for a test host against Azurite and the simulator: one retry, short timeouts, reads every
 * 1-2 s, no schedule, no telemetry; `overrides` on top.
 */
export function testAppSettings(
  storage: string,
  partnerApiUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AzureWebJobsStorage: storage,
    PARTNER_API_BASE_URL: partnerApiUrl,
    PARTNER_API_TOKEN: 'local-dev-token',
    PARTNER_API_MAX_RETRIES: '1',
    PARTNER_API_TIMEOUT_SECONDS: '10',
    GOLIVE_POLL_INTERVAL_SECONDS: '1',
    GOLIVE_POLL_MAX_INTERVAL_SECONDS: '2',
    GOLIVE_SCHEDULED_OFFERS: '',
    APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    ...overrides,
  };
}

export interface HostChildOptions {
  /** The Durable task hub. */
  hub: string;
  /** The app's settings (`testAppSettings`). */
  settings: Record<string, string>;
  /** host.json overrides (e.g. `RESTART_HOST_JSON`). */
  hostJson?: Record<string, unknown>;
  /** The child process's own environment on top of this one's (CA files, exporter intervals). */
  env?: Record<string, string>;
  /** Keep the host's warning and error lines (`logs()`). */
  logs?: boolean;
}

export interface HostChild {
  proc: ChildProcess;
  base: string;
  logs(): string;
  /** Sends `signal` (SIGKILL: a host that dies; SIGTERM: one that stops) and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** The built app in the local host in a child process a test can kill (`test/e2e/support/hostChild.js`). */
export async function spawnHostChild(options: HostChildOptions): Promise<HostChild> {
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'test/e2e/support/hostChild.js')], {
    env: {
      ...process.env,
      ...options.env,
      CHILD_APP_DIR: REPO_ROOT,
      CHILD_HUB: options.hub,
      ...(options.logs ? { CHILD_LOGS: '1' } : {}),
      CHILD_ENV: JSON.stringify(options.settings),
      CHILD_HOST_JSON: JSON.stringify(options.hostJson ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  proc.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  const base = await childReady(proc);
  return {
    proc,
    base,
    logs: () => logs,
    stop: (signal) =>
      proc.exitCode !== null || proc.signalCode !== null
        ? Promise.resolve(proc.exitCode)
        : new Promise((resolve) => {
            proc.once('exit', (code) => resolve(code));
            proc.kill(signal);
          }),
  };
}
