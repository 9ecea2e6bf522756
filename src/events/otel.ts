/**
 * OpenTelemetry to Application Insights, started once when the app loads (`src/index.ts` → `startTelemetry`), and
 * only when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set: this module is the only one that loads the OpenTelemetry
 * SDK, so with telemetry off none of it is loaded.
 *
 * - `@azure/monitor-opentelemetry` (`useAzureMonitor`): traces, logs and metrics to the resource of the connection
 *   string, with Entra ID (the app's managed identity) when `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` asks for it.
 *   Its HTTP and Azure SDK instrumentations are off: the app's own calls over `node:http` are to the Durable
 *   extension of the host and to Entra ID, not to the partner, and stay out of the dependency list.
 * - `@azure/functions-opentelemetry-instrumentation`: each invocation runs under the trace context the host passes
 *   (`invocationContext.traceContext`), and `context.log` lines are sent as traces under it.
 * - `@opentelemetry/instrumentation-undici`: every partner API request is a dependency (requests to other origins
 *   are ignored), named by its route template, with the attempt number and the partner's request id header.
 * - Every span, log and custom event of an invocation that belongs to a run carries `golive.runId`, the offer and the
 *   partner operation id (see `scope.ts`).
 */
import { ManagedIdentityCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { type Context, metrics, type Span, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';

import {
  currentPartnerAttempt,
  currentRunScope,
  PARTNER_ATTRIBUTES,
  runAttributes,
  runTagsFromInput,
  withRunScope,
} from './scope';
import type { TelemetryAuthentication, TelemetrySink } from './telemetry';

export interface OpenTelemetryOptions {
  connectionString: string;
  authentication: TelemetryAuthentication;
  /** Origins of the partner APIs: requests to these are dependencies, requests elsewhere are not traced. */
  partnerOrigins: string[];
}

/** The attribute Application Insights reads a custom event's name from (a log record with it is a custom event). */
export const CUSTOM_EVENT_NAME_ATTRIBUTE = 'microsoft.custom_event.name';
/** Response headers that carry the partner's id for a request (the first present one is the partner request id). */
export const PARTNER_REQUEST_ID_HEADERS = ['x-ms-request-id', 'x-ms-correlation-request-id', 'request-id'];
const INSTRUMENTATION_SCOPE = 'marketplace-golive';

let started: TelemetrySink | undefined;

/** Starts OpenTelemetry once per process; returns the sink custom events and metrics go through. */
export function startOpenTelemetry(options: OpenTelemetryOptions): TelemetrySink {
  if (started) return started;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded here only, so nothing loads with telemetry off */
  const { useAzureMonitor, shutdownAzureMonitor } =
    require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
  const { registerInstrumentations } =
    require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { UndiciInstrumentation } =
    require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { AzureFunctionsInstrumentation } =
    require('@azure/functions-opentelemetry-instrumentation') as typeof import('@azure/functions-opentelemetry-instrumentation');
  /* eslint-enable @typescript-eslint/no-require-imports */

  useAzureMonitor(azureMonitorOptions(options));

  const partnerOrigins = new Set(options.partnerOrigins.map((o) => new URL(o).origin));
  registerInstrumentations({
    instrumentations: [
      new UndiciInstrumentation({
        ignoreRequestHook: (request) => !partnerOrigins.has(originOf(request.origin)),
        startSpanHook: (request) => partnerSpanAttributes(request.origin, request.path),
        responseHook: (span, { response }) => {
          const requestId = requestIdOf(response.headers);
          if (requestId) span.setAttribute(PARTNER_ATTRIBUTES.requestId, requestId);
        },
      }),
      // Patches `@azure/functions` when it loads (below, and by the function modules).
      new AzureFunctionsInstrumentation(),
    ],
  });

  // Loaded after the instrumentation is registered, so it is patched.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app } = require('@azure/functions') as typeof import('@azure/functions');
  app.hook.preInvocation((context) => {
    const span = recording(trace.getActiveSpan());
    const tags = runTagsFromInput(context.inputs[0]) ?? {};
    span?.setAttributes(runAttributes(tags));
    const handler = context.functionHandler as (...args: unknown[]) => unknown;
    const scope = { tags, onTag: (added: typeof tags) => span?.setAttributes(runAttributes(added)) };
    context.functionHandler = (...args: unknown[]) => withRunScope(scope, () => handler(...args));
  });
  // Flush what is buffered before the worker stops.
  app.hook.appTerminate(() => shutdownAzureMonitor());

  const logger = logs.getLogger(INSTRUMENTATION_SCOPE);
  const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  const histograms = new Map<string, ReturnType<typeof meter.createHistogram>>();
  started = {
    trackEvent: (name, properties) =>
      logger.emit({ attributes: { ...properties, [CUSTOM_EVENT_NAME_ATTRIBUTE]: name } }),
    trackMetric: (name, value, properties) => {
      let histogram = histograms.get(name);
      if (!histogram) histograms.set(name, (histogram = meter.createHistogram(name)));
      histogram.record(value, { ...properties, ...runAttributes(currentRunScope()?.tags) });
    },
  };
  return started;
}

/**
 * The Azure Monitor distro's options: the connection string (Entra ID with the app's managed identity when asked),
 * every item kept (a go-live is a handful of invocations and an operator follows one run end to end), no live
 * metrics or performance counters, and none of the distro's own instrumentations: the app's `node:http` calls go to
 * the Durable extension and Entra ID, not to the partner, and stay out of the dependency list.
 */
export function azureMonitorOptions(options: OpenTelemetryOptions): AzureMonitorOpenTelemetryOptions {
  const { aad, clientId } = options.authentication;
  return {
    azureMonitorExporterOptions: {
      connectionString: options.connectionString,
      ...(aad ? { credential: new ManagedIdentityCredential(clientId ? { clientId } : {}) } : {}),
    },
    samplingRatio: 1,
    tracesPerSecond: 0,
    enableLiveMetrics: false,
    enablePerformanceCounters: false,
    instrumentationOptions: {
      http: { enabled: false },
      azureSdk: { enabled: false },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
    },
    spanProcessors: [runSpanProcessor],
    logRecordProcessors: [runLogProcessor],
  };
}

/** Copies the run tags of the invocation onto every span that starts in it. */
const runSpanProcessor = {
  onStart(span: Span, _parent: Context): void {
    const tags = currentRunScope()?.tags;
    if (tags) span.setAttributes(runAttributes(tags));
  },
  onEnd: (): void => undefined,
  forceFlush: (): Promise<void> => Promise.resolve(),
  shutdown: (): Promise<void> => Promise.resolve(),
};

/** Copies the run tags of the invocation onto every log record and custom event emitted in it. */
const runLogProcessor = {
  onEmit(record: { setAttributes(attributes: Record<string, string>): unknown }): void {
    const tags = currentRunScope()?.tags;
    if (tags) record.setAttributes(runAttributes(tags));
  },
  forceFlush: (): Promise<void> => Promise.resolve(),
  shutdown: (): Promise<void> => Promise.resolve(),
};

function recording(span: Span | undefined): Span | undefined {
  return span?.isRecording() ? span : undefined;
}

function originOf(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return '';
  }
}

/**
 * A partner request's span attributes: the URL reduced to its route template (ids replaced by their names, no query
 * string), the attempt number, and `golive.partner.retry` on a retry.
 */
export function partnerSpanAttributes(origin: string, path: string): Record<string, string | number | boolean> {
  const template = routeTemplate(path);
  const attributes: Record<string, string | number | boolean> = {
    'url.full': `${originOf(origin)}${template}`,
    'url.path': template,
    'url.template': template,
    'http.route': template,
  };
  const attempt = currentPartnerAttempt();
  if (attempt) {
    attributes[PARTNER_ATTRIBUTES.attempt] = attempt.attempt;
    attributes[PARTNER_ATTRIBUTES.retry] = attempt.attempt > 1;
    // OpenTelemetry's name for it: how many times this request was sent before.
    if (attempt.attempt > 1) attributes['http.request.resend_count'] = attempt.attempt - 1;
  }
  return attributes;
}

/** Segments after these name the resource that follows (`/offers/contoso-app` → `/offers/:offerId`). */
const ID_AFTER: Record<string, string> = {
  publishers: ':publisherId',
  offers: ':offerId',
  operations: ':operationId',
  products: ':productId',
  submission: ':productId',
  submissions: ':submissionId',
  configure: ':jobId',
  jobs: ':jobId',
};
const STATIC_SEGMENT = /^[a-z][a-z-]*$/i;

/**
 * The route template of a partner API path: ids become `:name` (a form that stays readable in the dependency's name,
 * which Application Insights takes from the URL path), the query string is dropped.
 */
export function routeTemplate(path: string): string {
  const pathname = path.split(/[?#]/, 1)[0] ?? '';
  const segments = pathname.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const named = i > 0 ? ID_AFTER[(segments[i - 1] ?? '').toLowerCase()] : undefined;
    if (segment === '') out.push(segment);
    else if (named && !isVerb(segment)) out.push(named);
    else if (STATIC_SEGMENT.test(segment) || /^v\d+(\.\d+)*$/.test(segment)) out.push(segment);
    else out.push(':id');
  }
  return out.join('/');
}

/** Action segments that follow a collection without an id (`/configure` then `/{jobId}/status`). */
function isVerb(segment: string): boolean {
  return segment === 'golive' || segment === 'cancel' || segment === 'status';
}

function requestIdOf(headers: Buffer[] | string[] | undefined): string | undefined {
  if (!headers) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = String(headers[i]).toLowerCase();
    if (PARTNER_REQUEST_ID_HEADERS.includes(name)) return String(headers[i + 1]).slice(0, 200);
  }
  return undefined;
}
