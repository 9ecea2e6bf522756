/**
 * What the reliability runs start: Azurite (in memory, or on disk so it can be restarted keeping its data), the
 * partner API simulator (in this process, so it outlives host crashes and keeps its request log), and the local
 * Functions host running the built app in a child process that can be killed with SIGKILL and started again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';

import { type RunningAzurite, startAzurite } from '../../tools/host/azurite';
import { statePaths } from '../../tools/host/cli';
import { type RunningSimulator, type ScenarioPatch, startSimulator } from '../../tools/simulator';
import { createSimulatorPersistence, type SimulatorPersistence } from '../../tools/simulator/persistence';
import { repoRoot } from './badInput';
import type { HostMainOptions } from './hostMain';
import { AZURITE_ACCOUNT_KEY, randomSecret, type SecretValues } from './secrets';

export const READY_MARK = 'SOAK_HOST_READY';
export const HUB_NAME = 'golive';

export interface StackOptions {
  /** Azurite data folder: on disk and restartable. Omit for in memory. */
  dataDir?: string;
  /**
   * `npm start`'s configuration: Azurite and the simulator keep their state in this folder as `npm start` keeps
   * them in `.local/` (`statePaths`: Azurite's location, the simulator's persisted file). Wins over `dataDir`.
   */
  stateDir?: string;
  /** Node options for the Azurite process (profiling aid, e.g. `--cpu-prof`). */
  azuriteNodeOptions?: string[];
  /** App settings for the host on top of the defaults below (GOLIVE_*, PARTNER_API_*). */
  settings?: Record<string, string>;
  /** Scenario defaults for every simulator offer. */
  simulatorDefaults?: ScenarioPatch;
  /** host.json overrides (deep-merged by the host). */
  hostJson?: Record<string, unknown>;
  /** Where host log lines are appended as well (they are always kept in memory). */
  logFile?: string;
  /** How long a received request message stays invisible while it runs (renewed); short so crashes redeliver soon. */
  queueMessageLeaseMs?: number;
}

/** host.json overrides for fast local runs: short polling, short visibility after a failure or a crash. */
export const FAST_HOST_JSON: Record<string, unknown> = {
  extensions: {
    queues: { maxPollingInterval: '00:00:01', visibilityTimeout: '00:00:02' },
    durableTask: {
      storageProvider: {
        maxQueuePollingInterval: '00:00:01',
        controlQueueVisibilityTimeout: '00:00:15',
        workItemQueueVisibilityTimeout: '00:00:15',
      },
    },
  },
};

export class HostStartError extends Error {
  readonly code = 'HostStartFailed';
  override readonly name = 'HostStartError';
}

/** The host child process: start, SIGKILL, restart; its log lines; exits nobody asked for. */
export class HostProcess {
  readonly lines: string[] = [];
  /** Exits that were not caused by `kill()` or `stop()`. */
  readonly unexpectedExits: { pid: number | undefined; code: number | null; signal: string | null }[] = [];
  starts = 0;
  kills = 0;
  #child: ChildProcess | undefined;
  #baseUrl = '';
  #expectingExit = false;

  constructor(
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string | undefined,
  ) {}

  get baseUrl(): string {
    return this.#baseUrl;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  #line(text: string): void {
    this.lines.push(text);
    if (this.logFile) appendFileSync(this.logFile, `${text}\n`);
  }

  async start(timeoutMs = 90_000): Promise<string> {
    if (this.running) throw new HostStartError('the host is already running');
    this.starts++;
    const generation = this.starts;
    const child = spawn(process.execPath, [this.entry], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#expectingExit = false;
    const tag = `[host ${generation} pid ${child.pid}]`;
    const split = (stream: NodeJS.ReadableStream | null, onLine: (l: string) => void): void => {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        rest += chunk;
        const parts = rest.split('\n');
        rest = parts.pop() ?? '';
        for (const p of parts) onLine(p);
      });
      stream?.on('end', () => {
        if (rest) onLine(rest);
      });
    };
    return new Promise<string>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          child.kill('SIGKILL');
          reject(
            new HostStartError(`the host did not start within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`),
          );
        }
      }, timeoutMs);
      split(child.stdout, (l) => {
        this.#line(`${tag} ${l}`);
        const m = new RegExp(`^${READY_MARK} (\\S+)`).exec(l);
        if (m?.[1] && !ready) {
          ready = true;
          clearTimeout(timer);
          this.#baseUrl = m[1];
          resolve(m[1]);
        }
      });
      split(child.stderr, (l) => this.#line(`${tag} stderr ${l}`));
      child.once('exit', (code, signal) => {
        this.#line(`${tag} exited code=${code} signal=${signal}`);
        if (!this.#expectingExit) this.unexpectedExits.push({ pid: child.pid, code, signal });
        if (!ready) {
          clearTimeout(timer);
          reject(new HostStartError(`the host exited before it was ready:\n${this.lines.slice(-20).join('\n')}`));
        }
      });
    });
  }

  #exit(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.#expectingExit = true;
    return new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** SIGKILL: no clean-up, in-flight work is lost as in a crash. */
  async kill(): Promise<void> {
    this.kills++;
    await this.#exit('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exit('SIGTERM');
    clearTimeout(timer);
  }
}

export interface Stack {
  azurite: RunningAzurite;
  simulator: RunningSimulator;
  host: HostProcess;
  connectionString: string;
  secrets: SecretValues;
  /** Settings the host was given (no secrets). */
  settings: Record<string, string>;
  close(): Promise<void>;
}

/** Built host entry; `npm run build` makes it. */
export function hostEntry(root = repoRoot()): string {
  const entry = path.join(root, 'dist', 'scripts', 'soak', 'hostMain.js');
  const app = path.join(root, 'dist', 'src', 'index.js');
  if (!existsSync(entry) || !existsSync(app)) {
    throw new HostStartError(`${path.relative(root, existsSync(entry) ? app : entry)} is missing: run npm run build`);
  }
  return entry;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = repoRoot();
  const entry = hostEntry(root);
  const secrets: SecretValues = {
    token: randomSecret('soak-token'),
    clientSecret: randomSecret('fake-client-secret'),
    accountKey: AZURITE_ACCOUNT_KEY,
  };
  const paths = options.stateDir ? statePaths(options.stateDir) : undefined;
  const dataDir = paths?.azurite ?? options.dataDir;
  const azurite = await startAzurite({
    ...(dataDir ? { location: dataDir, inMemory: false } : { inMemory: true }),
    ...(options.azuriteNodeOptions ? { nodeOptions: options.azuriteNodeOptions } : {}),
  });
  let simulator: RunningSimulator | undefined;
  const persistence: SimulatorPersistence | undefined = paths ? createSimulatorPersistence(paths.simulator) : undefined;
  try {
    simulator = await startSimulator({
      token: secrets.token,
      ...(options.simulatorDefaults ? { defaults: options.simulatorDefaults } : {}),
      ...(persistence ? { onState: (state) => persistence.attach(state) } : {}),
    });
    const settings: Record<string, string> = {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      PARTNER_API_BASE_URL: simulator.url,
      PARTNER_API_VERSION: '2017-10-31',
      PARTNER_API_TIMEOUT_SECONDS: '10',
      PARTNER_API_MAX_RETRIES: '4',
      PRODUCT_INGESTION_BASE_URL: `${simulator.url}/rp/product-ingestion`,
      GOLIVE_DEFAULT_API: 'cpp',
      GOLIVE_REQUESTS_QUEUE: 'golive-requests',
      GOLIVE_EVENTS_QUEUE: 'golive-events',
      GOLIVE_REJECTED_QUEUE: 'golive-rejected',
      GOLIVE_POLL_INTERVAL_SECONDS: '1',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '4',
      GOLIVE_DEADLINE_MINUTES: '2',
      GOLIVE_POLLS_PER_HISTORY: '5',
      GOLIVE_SCHEDULE: '0 0 0 1 1 *',
      GOLIVE_SCHEDULED_OFFERS: '',
      // The soak reads the task hub's tables and queues by this name (the local host's default is HUB_NAME + 'local').
      LOCAL_HOST_TASK_HUB: HUB_NAME,
      ...options.settings,
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'production',
      WEBSITE_HOSTNAME: '',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      AZURE_TENANT_ID: '',
      AZURE_CLIENT_ID: '',
      AZURE_CLIENT_SECRET: secrets.clientSecret,
      PARTNER_API_TOKEN: secrets.token,
      PRODUCT_INGESTION_TOKEN: secrets.token,
      ...settings,
    };
    const hostOptions: HostMainOptions = {
      appDir: root,
      azurite: azurite.ports,
      hostJson: options.hostJson ?? FAST_HOST_JSON,
      queueMessageLeaseMs: options.queueMessageLeaseMs ?? 20_000,
    };
    env['SOAK_HOST_OPTIONS'] = JSON.stringify(hostOptions);
    const host = new HostProcess(entry, env, options.logFile);
    const sim = simulator;
    const stack: Stack = {
      azurite,
      simulator: sim,
      host,
      connectionString: azurite.connectionString,
      secrets,
      settings,
      async close() {
        await host.stop().catch(() => undefined);
        await sim.close().catch(() => undefined);
        persistence?.close();
        await azurite.close().catch(() => undefined);
      },
    };
    await host.start();
    return stack;
  } catch (e) {
    await simulator?.close().catch(() => undefined);
    persistence?.close();
    await azurite.close().catch(() => undefined);
    throw e;
  }
}
