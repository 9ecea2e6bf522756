import { createRequire } from 'node:module';

import type { TokenCredential } from '@azure/identity';
import { ManagedIdentityCredential } from '@azure/identity';

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

/**
 * Application Insights custom events and metrics of the go-live workflow, sent from activities and intake
 * (never from the orchestrator, which replays). Sent through the `applicationinsights` package only when
 * `APPLICATIONINSIGHTS_CONNECTION_STRING` is set; otherwise a no-op sink. Properties are built from ids, states
 * and error codes only: never a token, never a partner error body.
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

export interface AppInsightsModule {
  TelemetryClient: new (connectionString: string) => {
    config: { aadTokenCredential?: TokenCredential };
    trackEvent(t: { name: string; properties?: Record<string, string> }): void;
    trackMetric(t: { name: string; value: number; properties?: Record<string, string> }): void;
  };
}

export interface TelemetryAuthentication {
  /** Send with Entra ID: required when the Application Insights resource disables local (key) auth. */
  aad: boolean;
  /** The user-assigned identity's client id; the system-assigned identity when absent. */
  clientId?: string;
}

/**
 * The Application Insights sink, or the no-op sink when no connection string is set. With `aad`, the
 * client authenticates with the managed identity named in `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`
 * (only the package's auto-attach loader reads that setting, not `TelemetryClient`).
 */
export function createTelemetrySink(
  connectionString: string | undefined,
  authentication: TelemetryAuthentication = { aad: false },
  // Loaded only when configured: the package starts OpenTelemetry exporters on load.
  loadAppInsights: () => AppInsightsModule = () =>
    createRequire(__filename)('applicationinsights') as AppInsightsModule,
): TelemetrySink {
  if (!connectionString) return noopTelemetrySink;
  const appInsights = loadAppInsights();
  const client = new appInsights.TelemetryClient(connectionString);
  if (authentication.aad) {
    // Set before the first track call: the client builds its exporter lazily from this config.
    client.config.aadTokenCredential = new ManagedIdentityCredential(
      authentication.clientId ? { clientId: authentication.clientId } : {},
    );
  }
  return {
    trackEvent: (name, properties) => client.trackEvent({ name, properties }),
    trackMetric: (name, value, properties) => client.trackMetric({ name, value, properties }),
  };
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
