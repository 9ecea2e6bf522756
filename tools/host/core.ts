/**
 * The `@azure/functions-core` module the Azure Functions Node worker provides to an app at run time, and its
 * installation. The package is not on npm: the worker wraps `Module.prototype.require` so that exactly that id
 * resolves to its core API object (azure-functions-nodejs-worker `src/setupCoreModule.ts`). This host does the same,
 * before the app loads, so `@azure/functions` finds the runtime and does not fall back to "test mode".
 *
 * `@azure/functions` caches the first `require('@azure/functions-core')` result for the life of the process
 * (azure-functions-nodejs-library `src/utils/tryGetCoreApiLazy.ts`), so the module object here is a process-wide
 * singleton whose calls go to whichever host is currently loaded (`attachCoreTarget`). The programming model is kept
 * on the singleton, because the library sets it only once per process (`src/app.ts` `hasSetModel`).
 */
import type Module from 'node:module';

import type { RpcTypedData } from './extension';
import { realModule } from './nodeModule';

export const CORE_MODULE_ID = '@azure/functions-core';
/** The worker version this host reports (a Node worker of the 3.x line speaks this contract). */
export const WORKER_VERSION = '3.10.1';
/** The Functions host version reported as `hostVersion`. */
export const HOST_VERSION = '4.1036.0';

export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type CoreLogCategory = 'user' | 'system' | 'customMetric';
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

/** `FunctionMetadata` as `@azure/functions` passes it (types-core/index.d.ts). */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, Record<string, unknown>>;
  retryOptions?: Record<string, unknown>;
  [key: string]: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** RpcInvocationRequest (types-core). */
export interface CoreInvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  traceContext?: { traceParent?: string; traceState?: string; attributes?: Record<string, string> };
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined;

/** CoreInvocationContext (types-core): what `getInvocationModel` receives. */
export interface CoreInvocationContext {
  invocationId: string;
  request: CoreInvocationRequest;
  metadata: CoreFunctionMetadata;
  state?: InvocationState;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

/** RpcInvocationResponse (types-core). */
export interface CoreInvocationResponse {
  invocationId: string;
  outputData?: { name?: string | null; data?: RpcTypedData | null }[] | null;
  returnValue?: RpcTypedData | null;
}

export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<CoreInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(
    defaultCapabilities: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

/** `Disposable` as the worker exports it. */
export class Disposable {
  #callOnDispose: (() => void) | undefined;

  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }

  static from(...likes: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const like of likes) like.dispose();
    });
  }

  dispose(): void {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    call?.();
  }
}

/** What a loaded host plugs into the core module (the registry implements it). */
export interface CoreTarget {
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(name: HookName, callback: HookCallback): Disposable;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

/** The members of the `@azure/functions-core` module. */
export interface CoreApi {
  readonly version: string;
  readonly hostVersion: string;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(hookName: string, callback: HookCallback): Disposable;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
  Disposable: typeof Disposable;
}

/** A RangeError the library recognises as a system error (worker `src/hooks/getHooks.ts`). */
export class UnknownHookError extends RangeError {
  readonly code = 'UNKNOWN_HOOK';
  readonly isAzureFunctionsSystemError = true;
  constructor(hookName: string) {
    super(`Unrecognized hook "${hookName}"`);
    this.name = 'UnknownHookError';
  }
}

/** No host is loaded in this process (a registration outside a host start). */
export class NoHostError extends Error {
  readonly code = 'NO_HOST';
  readonly isAzureFunctionsSystemError = true;
  constructor(what: string) {
    super(`${what}: no Functions host is loading an app in this process.`);
    this.name = 'NoHostError';
  }
}

interface CoreState {
  api: CoreApi;
  target: CoreTarget | undefined;
  model: ProgrammingModel | undefined;
  installed: boolean;
}

// Kept on the `module` builtin (one per process) rather than in this file's scope: a test runner may load this file
// several times in one process, while the app and `@azure/functions` are loaded once through Node's own loader.
const STATE_KEY = Symbol.for('marketplace-golive.local-host.functions-core');

function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

function coreState(): CoreState {
  const holder = realModule() as unknown as Record<symbol, CoreState | undefined>;
  const existing = holder[STATE_KEY];
  if (existing) return existing;
  const state: CoreState = {
    api: undefined as unknown as CoreApi,
    target: undefined,
    model: undefined,
    installed: false,
  };
  state.api = {
    version: WORKER_VERSION,
    get hostVersion(): string {
      return HOST_VERSION;
    },
    setProgrammingModel(model: ProgrammingModel): void {
      if (state.model) {
        state.target?.log(
          'information',
          'system',
          `Setting Node.js programming model to "${model.name}" version "${model.version}"`,
        );
      }
      state.model = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return state.model;
    },
    registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
      if (!state.target) throw new NoHostError(`registerFunction("${String(metadata?.name)}")`);
      return state.target.registerFunction(metadata, callback);
    },
    registerHook(hookName: string, callback: HookCallback): Disposable {
      if (!isHookName(hookName)) throw new UnknownHookError(hookName);
      if (!state.target) throw new NoHostError(`registerHook("${hookName}")`);
      return state.target.registerHook(hookName, callback);
    },
    log(level: CoreLogLevel, category: CoreLogCategory, message: string): void {
      if (state.target) state.target.log(level, category, message);
      else process.stderr.write(`[${level}] ${message}\n`);
    },
    Disposable,
  };
  holder[STATE_KEY] = state;
  return state;
}

/** The `@azure/functions-core` module object of this process. */
export function getCoreApi(): CoreApi {
  return coreState().api;
}

/**
 * Makes `require('@azure/functions-core')` resolve to the core API in this process, the way the worker does: a Proxy
 * around `Module.prototype.require` that answers that one id and passes every other id through. Idempotent.
 */
export function installCoreModule(): CoreApi {
  const state = coreState();
  if (!state.installed) {
    const api = state.api;
    const NodeModule: typeof Module = realModule();
    // eslint-disable-next-line @typescript-eslint/unbound-method
    NodeModule.prototype.require = new Proxy(NodeModule.prototype.require, {
      apply(target, thisArg, args: unknown[]): unknown {
        if (args[0] === CORE_MODULE_ID) return api;
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
    state.installed = true;
  }
  return state.api;
}

/** Whether `installCoreModule` has run in this process. */
export function isCoreModuleInstalled(): boolean {
  return coreState().installed;
}

/** Routes core calls to `target` (one loaded host per process); returns a function that detaches it. */
export function attachCoreTarget(target: CoreTarget): () => void {
  const state = coreState();
  if (state.target && state.target !== target) {
    throw new Error('Another Functions host is already loaded in this process; stop it first.');
  }
  state.target = target;
  return () => {
    if (state.target === target) state.target = undefined;
  };
}
