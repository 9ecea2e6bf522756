/**
 * How the local host and its extensions (the Durable backend) meet. The host owns the `@azure/functions-core`
 * contract, function registrations, the invocation pipeline, output bindings, the HTTP server and storage
 * connection; an extension owns trigger types the host does not drive itself and input binding types it supplies.
 *
 * This mirrors the split in the real host: the Durable extension drives `orchestrationTrigger`,
 * `activityTrigger` and `entityTrigger` and supplies the `durableClient` input binding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** RpcTypedData as the worker passes it (see types-core/index.d.ts in azure-functions-nodejs-library). */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { int: number }
  | { double: number }
  | { http: unknown }
  | { stream: Uint8Array }
  | { collectionString: { string: string[] } }
  | { collectionBytes: { bytes: Uint8Array[] } }
  | { collectionDouble: { double: number[] } }
  | { collectionSint64: { sint64: (number | bigint)[] } }
  | Record<string, never>;

/** One binding of a registered function, as `@azure/functions` passes it to `registerFunction`. */
export interface BindingMetadata {
  name: string;
  type: string;
  direction: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface RegisteredFunction {
  name: string;
  /** The trigger binding (exactly one per function). */
  trigger: BindingMetadata;
  /** Every binding, keyed by binding name, including the trigger and `$return`. */
  bindings: Record<string, BindingMetadata>;
}

export interface InvokeOptions {
  /** Defaults to a new GUID. */
  invocationId?: string;
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  abortSignal?: AbortSignal;
}

export interface InvokeResult {
  invocationId: string;
  /** The function's return value (the `$return` binding or the plain return), as typed data. */
  returnValue?: RpcTypedData;
  /** Output binding values by binding name, already written by the host where it owns the binding type. */
  outputData: { name: string; data: RpcTypedData }[];
}

export interface HostLogger {
  log(level: 'trace' | 'debug' | 'information' | 'warning' | 'error', category: string, message: string): void;
}

export type RawHttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export interface HostContext {
  /** Every registered function. */
  functions(): readonly RegisteredFunction[];
  /**
   * Invokes a function the way the worker does (pre/post hooks, extra inputs from their providers, output
   * bindings written). Rejects with the function's error when it throws.
   */
  invoke(fn: RegisteredFunction, triggerData: RpcTypedData, options?: InvokeOptions): Promise<InvokeResult>;
  /** The storage connection string the host resolved from `AzureWebJobsStorage` (Azurite locally). */
  storageConnectionString: string;
  /** Parsed host.json (with defaults applied by the host where it reads them). */
  hostJson: Record<string, unknown>;
  /** The host's public base URL, e.g. `http://localhost:7071`. */
  baseUrl: string;
  logger: HostLogger;
  /**
   * Serves requests whose path starts with `pathPrefix` (e.g. `/runtime/webhooks/durabletask/`) on the
   * host's HTTP server, ahead of function routes.
   */
  addHttpHandler(pathPrefix: string, handler: RawHttpHandler): void;
}

export interface HostExtension {
  readonly name: string;
  /** Trigger types this extension drives (the host does not poll or route them). */
  readonly triggerTypes: readonly string[];
  /** Input binding types this extension supplies. */
  readonly inputTypes: readonly string[];
  /** The value of an input binding of one of `inputTypes`, for an invocation of `fn`. */
  provideInput(binding: BindingMetadata, fn: RegisteredFunction): Promise<RpcTypedData>;
  /** Called once the app is loaded and the HTTP server listens. */
  start(ctx: HostContext): Promise<void>;
  /** Stops listeners; in-flight work is left to be resumed after a restart (state lives in storage). */
  stop(): Promise<void>;
}
