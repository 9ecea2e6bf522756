/**
 * The local Functions host: loads settings and host.json, installs `@azure/functions-core`, loads the unmodified
 * app (package.json `main`), runs appStart hooks, serves HTTP, drives queue and timer triggers, and hands the
 * trigger types it does not own to its extensions (Durable). One host per process at a time.
 */
import path from 'node:path';

import { loadApp } from './appLoader';
import { attachCoreTarget, type CoreLogLevel, getCoreApi, installCoreModule } from './core';
import { createDurableExtension } from './durable';
import { HostConfigError } from './errors';
import type { HostContext, HostExtension, InvokeResult, RegisteredFunction, RpcTypedData } from './extension';
import { type HostJsonView, loadHostJson } from './hostJson';
import { ADMIN_FUNCTIONS_PREFIX, adminInvokeHandler } from './http/adminInvoke';
import { HttpServer, isHttpFunction } from './http/server';
import { type HostInvokeOptions, type InputProvider, Invoker, type OutputWriter } from './invoke';
import { Logger, type LogLevel, type LogSink } from './logger';
import { realProcessEnv } from './nodeModule';
import { QueueService } from './queues/service';
import { executeHooks, FunctionRegistry, type HostFunction } from './registry';
import {
  type Env,
  isDevelopmentStorage,
  readLocalSettings,
  resolveStorageConnection,
  type StoragePorts,
} from './settings';
import { TimerService } from './timers/service';

export const DEFAULT_PORT = 7071;

export interface HostOptions {
  /** The function app directory (package.json, host.json, local.settings.json). */
  appDir: string;
  /** HTTP port; default local.settings.json `Host.LocalHttpPort`, else 7071. 0 = a free port. */
  port?: number;
  /** Interface to listen on (default: every interface, IPv4 and IPv6, so `localhost` works either way). */
  listenHost?: string;
  /** Extensions; default `[createDurableExtension()]`. */
  extensions?: HostExtension[];
  /** Variables set into `process.env` before local.settings.json values are applied (these win). */
  env?: Record<string, string>;
  /** Deep-merged over host.json (tests use small polling intervals and dequeue counts). */
  hostJson?: Record<string, unknown>;
  /** Lowest level logged in every category, on top of host.json `logging.logLevel`. */
  logLevel?: LogLevel;
  /** Where log lines go (default: stdout/stderr). */
  logSink?: LogSink;
  /** Ports of an Azurite the caller started: `UseDevelopmentStorage=true` resolves to them. */
  azurite?: StoragePorts;
  /** How long received queue messages stay invisible while they run (host: 10 minutes); tests shorten it. */
  queueMessageLeaseMs?: number;
  /** Hint in the port-in-use error (default names `Host.LocalHttpPort` and `--port`). */
  portHint?: string;
  /** Require this key on `function`/`admin` HTTP routes, as Azure does (default: none, as Core Tools). */
  functionKey?: string;
}

/** A function and how it is driven, for start-up listings. */
export interface FunctionSummary {
  name: string;
  triggerType: string;
  /** e.g. `[GET,POST] http://localhost:7071/api/x`, `queue golive-requests`, `timer 0 0 6 * * *`, `durable`. */
  detail: string;
  /** `host`, or the name of the extension that drives the trigger. */
  drivenBy: string;
}

export class FunctionsHost {
  readonly appDir: string;
  readonly logger: Logger;
  readonly hostJson: HostJsonView;
  readonly registry: FunctionRegistry;
  readonly extensions: readonly HostExtension[];
  readonly appHookData: Record<string, unknown> = {};
  readonly #appLevelHookData: Record<string, unknown> = {};
  readonly #env: Env = realProcessEnv();
  readonly #envBefore = new Map<string, string | undefined>();
  readonly #http: HttpServer;
  readonly #invoker: Invoker;
  readonly #queues: QueueService;
  readonly #timers: TimerService;
  #storage = '';
  #detachCore: (() => void) | undefined;
  #baseUrl = '';
  #started = false;
  #stopping: Promise<void> | undefined;
  readonly #options: HostOptions;
  readonly #localHttpPort: number | undefined;
  readonly #localSettings: Record<string, string>;

  constructor(options: HostOptions) {
    this.#options = options;
    this.appDir = path.resolve(options.appDir);
    const local = readLocalSettings(this.appDir);
    this.#localSettings = local.values;
    this.#localHttpPort = local.localHttpPort;
    this.hostJson = loadHostJson(this.appDir, options.hostJson);
    this.logger = new Logger(this.hostJson.logLevels, options.logSink, options.logLevel);
    if (local.source) this.logger.log('debug', 'Host.Startup', `App settings from ${path.basename(local.source)}`);
    this.registry = new FunctionRegistry((level: CoreLogLevel, _category, message) =>
      this.logger.log(level, 'Host.Function.Console', message),
    );
    this.extensions = options.extensions ?? [createDurableExtension()];
    this.#http = new HttpServer({
      routePrefix: this.hostJson.routePrefix,
      logger: this.logger,
      invoke: (fn, data, opts) => this.invoke(fn, data, opts),
      ...(options.functionKey ? { functionKey: options.functionKey } : {}),
      portHint:
        options.portHint ??
        'Stop whatever is using it, or choose another port with --port <n> (or "Host": { "LocalHttpPort": <n> } in local.settings.json).',
    });
    const inputProviders = new Map<string, InputProvider>();
    for (const ext of this.extensions) {
      for (const type of ext.inputTypes) inputProviders.set(type, (b, fn) => ext.provideInput(b, fn));
    }
    this.#queues = new QueueService({
      logger: this.logger,
      options: this.hostJson.queues,
      env: this.#env,
      connection: (name) => this.#connection(name),
      invoke: (fn, data, opts) => this.invoke(fn, data, opts),
      leaseMs: options.queueMessageLeaseMs,
    });
    this.#timers = new TimerService({
      logger: this.logger,
      env: this.#env,
      appDir: this.appDir,
      connection: () => this.#connection(undefined),
      invoke: (fn, data, opts) => this.invoke(fn, data, opts),
    });
    const outputWriters = new Map<string, OutputWriter>([['queue', (b, data, fn) => this.#queues.write(b, data, fn)]]);
    this.#invoker = new Invoker({
      registry: this.registry,
      programmingModel: () => getCoreApi().getProgrammingModel(),
      inputProviders,
      outputWriters,
      logger: this.logger,
      appHookData: this.appHookData,
      functionTimeoutMs: this.hostJson.functionTimeoutMs,
    });
  }

  /** `options.env`, then local.settings.json Values, which never override variables already set (as Core Tools). */
  #applySettings(): void {
    for (const [k, v] of Object.entries(this.#options.env ?? {})) this.#setEnv(k, v);
    for (const [k, v] of Object.entries(this.#localSettings)) {
      if (this.#env[k] === undefined) this.#setEnv(k, v);
    }
  }

  /** Sets a variable the app sees, remembering the previous value for `stop()`. */
  #setEnv(key: string, value: string): void {
    if (!this.#envBefore.has(key)) this.#envBefore.set(key, this.#env[key]);
    this.#env[key] = value;
  }

  /** Puts back the environment as it was before the host started (several hosts may run in one process in turn). */
  #restoreEnv(): void {
    for (const [k, v] of this.#envBefore) {
      if (v === undefined) delete this.#env[k];
      else this.#env[k] = v;
    }
    this.#envBefore.clear();
  }

  /** The storage connection string (`AzureWebJobsStorage` resolved; Azurite locally). */
  get storageConnectionString(): string {
    return this.#storage;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  get port(): number {
    return this.#http.port;
  }

  functions(): readonly HostFunction[] {
    return this.registry.functions();
  }

  /** Invokes a function through the full pipeline (what extensions call through `HostContext.invoke`). */
  invoke(fn: RegisteredFunction, triggerData: RpcTypedData, options?: HostInvokeOptions): Promise<InvokeResult> {
    return this.#invoker.invoke(fn, triggerData, options);
  }

  #connection(name: string | undefined): string {
    if (!name || name === 'AzureWebJobsStorage') {
      if (!this.#storage)
        throw new HostConfigError('AzureWebJobsStorage is not set; queue and timer triggers need it.');
      return this.#storage;
    }
    return resolveStorageConnection(name, this.#env, this.#options.azurite);
  }

  #resolveStorage(): void {
    const raw = this.#env.AzureWebJobsStorage;
    const identity = Object.keys(this.#env).some((k) => k.startsWith('AzureWebJobsStorage__'));
    if ((raw === undefined || raw === '') && !identity) {
      this.logger.log('warning', 'Host.Startup', 'AzureWebJobsStorage is not set: only HTTP functions can run.');
      return;
    }
    this.#storage = resolveStorageConnection('AzureWebJobsStorage', this.#env, this.#options.azurite);
    // The app's own storage clients read the same setting: give them the endpoints the host uses.
    if (raw && isDevelopmentStorage(raw)) this.#setEnv('AzureWebJobsStorage', this.#storage);
  }

  async start(): Promise<this> {
    if (this.#started) return this;
    this.#started = true;
    const t0 = Date.now();
    try {
      this.#applySettings();
      this.#resolveStorage();
      installCoreModule();
      this.#detachCore = attachCoreTarget(this.registry);
      await this.#loadApp();
      await this.#listen();
      await this.#startTriggers();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
    this.logger.log('information', 'Host.Startup', `Host started (${Date.now() - t0}ms)`);
    return this;
  }

  async #loadApp(): Promise<void> {
    await loadApp(this.appDir, (file) =>
      this.logger.log('debug', 'Host.Startup', `Loading entry point file "${file}"`),
    );
    // appStart hooks (worker `src/startApp.ts`), then capabilities, which locks `app.setup()`.
    const startCtx = this.#appHookContext({ functionAppDirectory: this.appDir });
    await executeHooks(this.registry.hooks('appStart'), startCtx);
    const model = getCoreApi().getProgrammingModel();
    const capabilities = model?.getCapabilities ? await model.getCapabilities({}) : {};
    // With `app.setup({ enableHttpStream: true })` the library opens an HTTP proxy (`HttpUri`) and waits for the
    // host to forward each request there; this host passes requests over the invocation instead.
    if (capabilities.HttpUri) {
      throw new HostConfigError(
        'HTTP streaming (app.setup({ enableHttpStream: true })) is not supported by the local host.',
      );
    }
    this.registry.lock();
    if (this.registry.functions().length === 0) this.logger.log('warning', 'Host.Startup', 'No job functions found.');
  }

  #appHookContext(rest: Record<string, unknown>): Record<string, unknown> {
    const ctx: Record<string, unknown> = { ...rest };
    Object.defineProperty(ctx, 'hookData', { enumerable: true, get: () => this.#appLevelHookData });
    Object.defineProperty(ctx, 'appHookData', { enumerable: true, get: () => this.appHookData });
    return ctx;
  }

  async #listen(): Promise<void> {
    this.#http.setFunctions(this.registry.functions().filter((fn) => !this.isDisabled(fn.name)));
    const port = this.#options.port ?? this.#localHttpPort ?? DEFAULT_PORT;
    this.#http.addHandler(
      ADMIN_FUNCTIONS_PREFIX,
      adminInvokeHandler({
        find: (name) => {
          const fn = this.registry.get(name);
          if (!fn || this.isDisabled(fn.name) || isHttpFunction(fn) || this.#owner(fn.trigger.type)) return undefined;
          return fn;
        },
        triggerData: (fn, input) =>
          fn.trigger.type.toLowerCase() === 'timertrigger'
            ? { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false }) }
            : { string: input },
        invoke: (fn, data, opts) => this.invoke(fn, data, opts),
      }),
    );
    const actual = await this.#http.listen(port, this.#options.listenHost);
    this.#baseUrl = `http://localhost:${actual}`;
  }

  /** `AzureWebJobs.<name>.Disabled` = true/1 disables a function, as in the host. */
  isDisabled(name: string): boolean {
    const v = this.#env[`AzureWebJobs.${name}.Disabled`] ?? this.#env[`AzureWebJobs_${name}_Disabled`];
    return v !== undefined && /^(true|1)$/i.test(v.trim());
  }

  /** Which trigger types each extension owns. */
  #owner(type: string): HostExtension | undefined {
    const t = type.toLowerCase();
    return this.extensions.find((e) => e.triggerTypes.some((x) => x.toLowerCase() === t));
  }

  async #startTriggers(): Promise<void> {
    for (const fn of this.registry.functions()) {
      const type = fn.trigger.type.toLowerCase();
      if (this.isDisabled(fn.name)) {
        this.logger.log(
          'information',
          'Host.Startup',
          `Function "${fn.name}" is disabled (AzureWebJobs.${fn.name}.Disabled).`,
        );
        continue;
      }
      if (this.#owner(type) || isHttpFunction(fn)) continue;
      if (type === 'queuetrigger') this.#queues.addFunction(fn);
      else if (type === 'timertrigger') this.#timers.addFunction(fn);
      else {
        this.logger.log(
          'warning',
          'Host.Startup',
          `Function "${fn.name}": trigger type "${fn.trigger.type}" is not supported by the local host; it will not run.`,
        );
      }
    }
    // Extensions first (as the real host starts its extension listeners before the triggers fire): a queue or
    // timer function that uses the durable client must find the Durable extension ready on its first message.
    const ctx = this.#context();
    for (const ext of this.extensions) await ext.start(ctx);
    await this.#queues.start();
    await this.#timers.start();
  }

  #context(): HostContext {
    return {
      functions: () => this.registry.functions(),
      invoke: (fn, data, options) => this.invoke(fn, data, options),
      storageConnectionString: this.#storage,
      hostJson: this.hostJson.raw,
      baseUrl: this.#baseUrl,
      logger: this.logger,
      addHttpHandler: (prefix, handler) => this.#http.addHandler(prefix, handler),
    };
  }

  /** How each function is driven, for the start-up listing. */
  summaries(): FunctionSummary[] {
    return this.registry.functions().map((fn) => {
      const owner = this.#owner(fn.trigger.type);
      const t = fn.trigger;
      let detail = t.type;
      if (owner) detail = `${t.type} (${owner.name})`;
      else if (isHttpFunction(fn)) {
        const methods = this.#http.methodsOf(fn);
        detail = `[${methods.length ? methods.join(',') : 'ALL'}] ${this.#baseUrl}/${this.#http.routeOf(fn) ?? ''}`;
      } else if (t.type.toLowerCase() === 'queuetrigger')
        detail = `queueTrigger ${this.#queues.queueNameOf(fn) ?? String(t.queueName)}`;
      else if (t.type.toLowerCase() === 'timertrigger')
        detail = `timerTrigger ${this.#timers.scheduleOf(fn) ?? String(t.schedule)}`;
      return { name: fn.name, triggerType: t.type, detail, drivenBy: owner ? owner.name : 'host' };
    });
  }

  /**
   * Stops the host: trigger listeners (in-flight invocations finish), extensions, then appTerminate hooks (the
   * worker runs them when the host terminates it, after listeners stopped), then the HTTP server.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (what: () => Promise<void>): Promise<void> => {
      try {
        await what();
      } catch (err) {
        errors.push(err);
      }
    };
    await attempt(() => this.#timers.stop());
    await attempt(() => this.#queues.stop());
    for (const ext of [...this.extensions].reverse()) await attempt(() => ext.stop());
    if (this.#detachCore) {
      await attempt(() => executeHooks(this.registry.hooks('appTerminate'), this.#appHookContext({})));
    }
    await attempt(() => this.#http.close());
    this.#detachCore?.();
    this.#detachCore = undefined;
    this.#restoreEnv();
    this.logger.log('information', 'Host.General', 'Host stopped');
    if (errors.length) throw errors[0];
  }
}

/** Creates and starts a host. */
export async function startHost(options: HostOptions): Promise<FunctionsHost> {
  const host = new FunctionsHost(options);
  return host.start();
}
