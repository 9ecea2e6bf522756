import type { AppConfig } from '../config';
import {
  DIMENSIONS,
  DURATION_METRIC,
  EVENTGRID_GAVE_UP_EVENT,
  EVENTGRID_PUBLISH_FAILED_EVENT,
  PARTNER_API_ERROR_EVENT,
  POLL_COUNT_METRIC,
  REQUEST_REJECTED_EVENT,
  STATE_CHANGED_EVENT,
} from './names';
import type { OpenTelemetryOptions } from './otel';

/**
 * Application Insights custom events and metrics of the go-live workflow, sent from activities and intake
 * (never from the orchestrator, which replays). Sent through OpenTelemetry (`otel.ts`: custom events as log records
 * named by `microsoft.custom_event.name`, metrics as histograms) only when `APPLICATIONINSIGHTS_CONNECTION_STRING` is
 * set; otherwise a no-op sink, and the OpenTelemetry SDK is never loaded. Properties are built from ids, states and
 * error codes only: never a token, never a partner error body.
 */

export type Dimension = (typeof DIMENSIONS)[number];
export type Dimensions = Partial<Record<Dimension, string>>;

export interface TelemetrySink {
  trackEvent(name: string, properties: Record<string, string>): void;
  trackMetric(name: string, value: number, properties: Record<string, string>): void;
}

export const noopTelemetrySink: TelemetrySink = {
  trackEvent: () => undefined,
  trackMetric: () => undefined,
};

/** Collects what was sent, for tests. */
export class MemoryTelemetrySink implements TelemetrySink {
  readonly events: { name: string; properties: Record<string, string> }[] = [];
  readonly metrics: { name: string; value: number; properties: Record<string, string> }[] = [];
  trackEvent(name: string, properties: Record<string, string>): void {
    this.events.push({ name, properties });
  }
  trackMetric(name: string, value: number, properties: Record<string, string>): void {
    this.metrics.push({ name, value, properties });
  }
}

export interface TelemetryAuthentication {
  /** Send with Entra ID: required when the Application Insights resource disables local (key) auth. */
  aad: boolean;
  /** The user-assigned identity's client id; the system-assigned identity when absent. */
  clientId?: string;
}

export type StartOpenTelemetry = (options: OpenTelemetryOptions) => TelemetrySink;

// Loaded only when configured: `otel.ts` loads the OpenTelemetry SDK.
const loadOpenTelemetry: () => StartOpenTelemetry = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./otel') as typeof import('./otel')).startOpenTelemetry;

/**
 * Starts telemetry when the app loads (before `@azure/functions` and any handler): OpenTelemetry to Application
 * Insights when a connection string is set, nothing otherwise. Returns the sink (the no-op sink when off).
 */
export function startTelemetry(
  config: Pick<AppConfig, 'applicationInsightsConnectionString' | 'applicationInsightsAuthentication'> & {
    partnerApi: { baseUrl: string };
    productIngestion: { baseUrl: string };
  },
  load: () => StartOpenTelemetry = loadOpenTelemetry,
): TelemetrySink {
  const connectionString = config.applicationInsightsConnectionString;
  if (!connectionString) return noopTelemetrySink;
  const { aad, clientId } = config.applicationInsightsAuthentication;
  return load()({
    connectionString,
    authentication: clientId ? { aad, clientId } : { aad },
    partnerOrigins: [config.partnerApi.baseUrl, config.productIngestion.baseUrl],
  });
}

/**
 * The Application Insights sink (OpenTelemetry, started once per process), or the no-op sink when no connection
 * string is set. With `aad`, the exporter authenticates with the managed identity named in
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`.
 */
export function createTelemetrySink(
  connectionString: string | undefined,
  authentication: TelemetryAuthentication = { aad: false },
  load: () => StartOpenTelemetry = loadOpenTelemetry,
  partnerOrigins: string[] = [],
): TelemetrySink {
  if (!connectionString) return noopTelemetrySink;
  return load()({ connectionString, authentication, partnerOrigins });
}

/** The workflow's telemetry vocabulary (names from `names.ts`). */
export class GoLiveTelemetry {
  constructor(private readonly sink: TelemetrySink) {}

  /** `GoLiveStateChanged`: one per run state change. */
  stateChanged(dimensions: Dimensions, previousState: string | undefined): void {
    const properties = pick(dimensions);
    if (previousState !== undefined) properties.previousState = previousState;
    this.safe(() => this.sink.trackEvent(STATE_CHANGED_EVENT, properties));
  }

  /** The run ended: its final state change plus `GoLiveDurationSeconds` and `GoLivePollCount`. */
  completed(dimensions: Dimensions, durationSeconds: number, pollCount: number, errorCode?: string): void {
    const properties = pick(dimensions);
    if (errorCode !== undefined) properties.errorCode = errorCode;
    this.safe(() => {
      this.sink.trackEvent(STATE_CHANGED_EVENT, properties);
      this.sink.trackMetric(DURATION_METRIC, durationSeconds, pick(dimensions));
      this.sink.trackMetric(POLL_COUNT_METRIC, pollCount, pick(dimensions));
    });
  }

  rejected(reason: string, messageId: string, dimensions: Dimensions = {}): void {
    const properties = { ...pick(dimensions), reason: reason.slice(0, 500), messageId, outcome: 'rejected' };
    this.safe(() => this.sink.trackEvent(REQUEST_REJECTED_EVENT, properties));
  }

  partnerApiError(dimensions: Dimensions, code: string, statusCode: number | undefined, activity: string): void {
    const properties: Record<string, string> = { ...pick(dimensions), errorCode: code, activity };
    if (statusCode !== undefined) properties.statusCode = String(statusCode);
    this.safe(() => this.sink.trackEvent(PARTNER_API_ERROR_EVENT, properties));
  }

  /** `EventGridPublishFailed`: the topic refused a publish or did not answer (one per try). */
  eventGridFailed(dimensions: Dimensions, code: string, statusCode: number | undefined, attempt: number): void {
    const properties: Record<string, string> = { ...pick(dimensions), errorCode: code, attempt: String(attempt) };
    if (statusCode !== undefined) properties.statusCode = String(statusCode);
    this.safe(() => this.sink.trackEvent(EVENTGRID_PUBLISH_FAILED_EVENT, properties));
  }

  /** `EventGridPublishGaveUp` (alerted): events the topic never took; they stay on the queue only. */
  eventGridGaveUp(
    dimensions: Dimensions,
    code: string,
    statusCode: number | undefined,
    eventIds: string[],
    attempts: number,
  ): void {
    const properties: Record<string, string> = {
      ...pick(dimensions),
      errorCode: code,
      attempts: String(attempts),
      eventIds: eventIds.join(',').slice(0, 1_000),
    };
    if (statusCode !== undefined) properties.statusCode = String(statusCode);
    this.safe(() => this.sink.trackEvent(EVENTGRID_GAVE_UP_EVENT, properties));
  }

  /** Telemetry never breaks the workflow. */
  private safe(send: () => void): void {
    try {
      send();
    } catch {
      // ignored: telemetry is best effort
    }
  }
}

function pick(dimensions: Dimensions): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const key of DIMENSIONS) {
    const value = dimensions[key];
    if (value !== undefined && value !== '') properties[key] = value;
  }
  return properties;
}
