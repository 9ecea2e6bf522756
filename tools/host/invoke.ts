/**
 * The invocation pipeline, in the worker's order (azure-functions-nodejs-worker
 * `src/eventHandlers/InvocationHandler.ts`): CoreInvocationContext → `getInvocationModel` → `getArguments` →
 * preInvocation hooks (which may replace inputs and the callback) → `invokeFunction` → postInvocation hooks (which
 * may replace result and error) → `getResponse`. The host then writes the output bindings it owns.
 *
 * Like the real host, every invocation gets a W3C trace context (`InvocationRequest.traceContext`: the host's
 * invocation activity), and `log` hooks see every log line of the invocation. When the process has an
 * OpenTelemetry tracer provider (the app's telemetry is on), the invocation is recorded as a server span (the
 * Application Insights request item the real host sends) and its context is the one passed.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { context as otelContext, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

import type {
  CoreInvocationContext,
  CoreInvocationRequest,
  CoreLogCategory,
  CoreLogLevel,
  FunctionCallback,
  ProgrammingModel,
} from './core';
import { FunctionTimeoutError, HostError } from './errors';
import type { BindingMetadata, InvokeOptions, InvokeResult, RegisteredFunction, RpcTypedData } from './extension';
import type { Logger } from './logger';
import { executeHooks, type FunctionRegistry, type HostFunction } from './registry';

/** Supplies the value of an extra input binding (the durable client comes from the Durable extension). */
export type InputProvider = (binding: BindingMetadata, fn: RegisteredFunction) => Promise<RpcTypedData>;
/** Writes an output binding's value where it belongs (queue messages into storage). */
export type OutputWriter = (binding: BindingMetadata, data: RpcTypedData, fn: RegisteredFunction) => Promise<void>;

export interface HostInvokeOptions extends InvokeOptions {
  /** Why the function runs, for the "Executing" log line (e.g. "New queue message detected on 'q'."). */
  reason?: string;
}

export interface InvokerOptions {
  registry: FunctionRegistry;
  programmingModel(): ProgrammingModel | undefined;
  /** Extra input providers by binding type. */
  inputProviders: ReadonlyMap<string, InputProvider>;
  /** Output writers by binding type. */
  outputWriters: ReadonlyMap<string, OutputWriter>;
  logger: Logger;
  /** Shared by every hook of the app (`appHookData`). */
  appHookData: Record<string, unknown>;
  /** host.json `functionTimeout` in ms; unset or ≤ 0 = no limit. */
  functionTimeoutMs?: number;
}

export class FunctionNotFoundError extends HostError {
  constructor(name: string) {
    super('FUNCTION_NOT_FOUND', `Function "${name}" is not registered.`);
  }
}

export class NoProgrammingModelError extends HostError {
  constructor() {
    super('NO_PROGRAMMING_MODEL', 'The app did not set a programming model (does it use @azure/functions v4?).');
  }
}

/** Properties a hook may not replace (the worker throws ReadOnlyError for these). */
class ReadOnlyError extends TypeError {
  readonly isAzureFunctionsSystemError = true;
  constructor(name: string) {
    super(`Cannot assign to read only property '${name}'`);
  }
}

function hookContext(
  base: { hookData: Record<string, unknown>; appHookData: Record<string, unknown>; invocationContext: unknown },
  rest: Record<string, unknown>,
): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...rest };
  for (const key of ['hookData', 'appHookData', 'invocationContext'] as const) {
    Object.defineProperty(ctx, key, {
      enumerable: true,
      get: () => base[key],
      set: () => {
        throw new ReadOnlyError(key);
      },
    });
  }
  return ctx;
}

function isError(value: unknown): boolean {
  return value !== null && value !== undefined;
}

export class Invoker {
  constructor(private readonly options: InvokerOptions) {}

  async invoke(
    fnRef: RegisteredFunction,
    triggerData: RpcTypedData,
    options: HostInvokeOptions = {},
  ): Promise<InvokeResult> {
    const fn = this.options.registry.get(fnRef.name);
    if (!fn) throw new FunctionNotFoundError(fnRef.name);
    const invocationId = options.invocationId ?? randomUUID();
    const { logger } = this.options;
    const category = `Function.${fn.name}`;
    const started = Date.now();
    logger.log(
      'information',
      category,
      `Executing 'Functions.${fn.name}' (Reason='${options.reason ?? 'This function was programmatically called via the host APIs.'}', Id=${invocationId})`,
      invocationId,
    );
    const span = invocationSpan(fn, invocationId);
    const traceContext = { traceParent: traceParentOf(span), traceState: '', attributes: {} };
    try {
      const run = this.#withAbort(
        otelContext.with(trace.setSpan(otelContext.active(), span), () =>
          this.#run(fn, invocationId, triggerData, options, traceContext),
        ),
        options.abortSignal,
      );
      const result = await this.#withTimeout(fn, invocationId, run);
      await this.#writeOutputs(fn, result);
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
      logger.log(
        'information',
        category,
        `Executed 'Functions.${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
        invocationId,
      );
      return result;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
      span.end();
      logger.log(
        'error',
        category,
        `Executed 'Functions.${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${describeError(err)}`,
        invocationId,
      );
      throw err;
    }
  }

  /** Settles early with the signal's reason when `signal` aborts (the handler itself cannot be stopped). */
  async #withAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return work;
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('The invocation was aborted.'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      work.catch(() => undefined);
    }
  }

  async #withTimeout<T>(fn: HostFunction, invocationId: string, work: Promise<T>): Promise<T> {
    const limit = this.options.functionTimeoutMs;
    if (!limit || limit <= 0) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, invocationId, limit)), limit);
      timer.unref();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined); // a timed-out invocation may still settle later
    }
  }

  async #inputData(fn: HostFunction, triggerData: RpcTypedData): Promise<{ name: string; data: RpcTypedData }[]> {
    const inputData = [{ name: fn.trigger.name, data: triggerData }];
    for (const binding of Object.values(fn.bindings)) {
      if (binding === fn.trigger || binding.direction === 'out') continue;
      const provider = this.options.inputProviders.get(binding.type);
      if (provider) inputData.push({ name: binding.name, data: await provider(binding, fn) });
    }
    return inputData;
  }

  async #run(
    fn: HostFunction,
    invocationId: string,
    triggerData: RpcTypedData,
    options: HostInvokeOptions,
    traceContext: NonNullable<CoreInvocationRequest['traceContext']>,
  ): Promise<InvokeResult> {
    const model = this.options.programmingModel();
    if (!model) throw new NoProgrammingModelError();
    const { logger, registry, appHookData } = this.options;
    const request: CoreInvocationRequest = {
      invocationId,
      functionId: fn.metadata.functionId ?? fn.name,
      inputData: await this.#inputData(fn, triggerData),
      triggerMetadata: options.triggerMetadata ?? {},
      traceContext,
    };
    if (options.retryContext) request.retryContext = options.retryContext;
    const userCategory = `Function.${fn.name}.User`;
    const systemCategory = `Function.${fn.name}`;
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request,
      metadata: fn.metadata,
      state: undefined,
      log(level: CoreLogLevel, logCategory: CoreLogCategory, message: string): void {
        // `log` hooks run first, synchronously, and may change the level and message (worker behaviour).
        const hooks = registry.hooks('log');
        const line: Record<string, unknown> = { level, message };
        if (hooks.length > 0) {
          const hookCtx = hookContext(
            { hookData: {}, appHookData, invocationContext: current.invocationContext },
            { level, message, category: logCategory },
          );
          Object.defineProperty(hookCtx, 'category', { enumerable: true, value: logCategory, writable: false });
          for (const hook of hooks) {
            try {
              void hook(hookCtx);
            } catch (err) {
              logger.log('warning', systemCategory, `A log hook failed: ${describeError(err)}`, invocationId);
            }
          }
          line.level = hookCtx.level;
          line.message = hookCtx.message;
        }
        logger.log(
          line.level as CoreLogLevel,
          logCategory === 'user' ? userCategory : systemCategory,
          String(line.message),
          invocationId,
        );
      },
    };
    // The library's InvocationContext, once built (log lines before it see none).
    const current: { invocationContext?: unknown } = {};

    const invocationModel = await model.getInvocationModel(coreCtx);
    const hookData: Record<string, unknown> = {};
    const args = await invocationModel.getArguments();
    const context = args.context;
    current.invocationContext = context;
    let inputs = args.inputs;
    let callback: FunctionCallback = fn.callback;
    const base = { hookData, appHookData, invocationContext: context };

    const pre = hookContext(base, { functionCallback: callback, inputs });
    coreCtx.state = 'preInvocationHooks';
    try {
      await executeHooks(registry.hooks('preInvocation'), pre);
    } finally {
      coreCtx.state = undefined;
    }
    inputs = pre.inputs as unknown[];
    callback = pre.functionCallback as FunctionCallback;

    const post = hookContext(base, { inputs, result: null, error: null });
    coreCtx.state = 'invocation';
    try {
      post.result = await invocationModel.invokeFunction(context, inputs, callback);
    } catch (err) {
      post.error = err;
    } finally {
      coreCtx.state = undefined;
    }

    coreCtx.state = 'postInvocationHooks';
    try {
      await executeHooks(registry.hooks('postInvocation'), post);
    } finally {
      coreCtx.state = undefined;
    }
    if (isError(post.error)) throw post.error;

    const response = await invocationModel.getResponse(context, post.result);
    const result: InvokeResult = { invocationId, outputData: [] };
    if (response.returnValue) result.returnValue = response.returnValue;
    for (const entry of response.outputData ?? []) {
      if (entry.name && entry.data) result.outputData.push({ name: entry.name, data: entry.data });
    }
    return result;
  }

  async #writeOutputs(fn: HostFunction, result: InvokeResult): Promise<void> {
    const writes: [BindingMetadata, RpcTypedData][] = [];
    const ret = fn.bindings.$return;
    if (ret && ret.direction === 'out' && result.returnValue) writes.push([ret, result.returnValue]);
    for (const { name, data } of result.outputData) {
      const binding = fn.bindings[name];
      if (binding) writes.push([binding, data]);
    }
    for (const [binding, data] of writes) {
      const writer = this.options.outputWriters.get(binding.type);
      if (writer) await writer(binding, data, fn);
    }
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Trigger types as OpenTelemetry's `faas.trigger` names them. */
function faasTrigger(type: string): string {
  if (type === 'httpTrigger') return 'http';
  if (type === 'timerTrigger') return 'timer';
  if (type.endsWith('QueueTrigger') || type === 'queueTrigger') return 'pubsub';
  return 'other';
}

/** The invocation's server span: recording only when the process has a tracer provider (a no-op span otherwise). */
function invocationSpan(fn: HostFunction, invocationId: string): Span {
  return trace.getTracer('local-functions-host').startSpan(
    fn.name,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'faas.name': fn.name,
        'faas.trigger': faasTrigger(fn.trigger.type),
        'faas.invocation_id': invocationId,
      },
    },
    otelContext.active(),
  );
}

/** `00-{trace id}-{span id}-01` of the span, or of fresh ids when the span is a no-op one (telemetry off). */
function traceParentOf(span: Span): string {
  const sc = span.spanContext();
  if (trace.isSpanContextValid(sc)) return `00-${sc.traceId}-${sc.spanId}-01`;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
