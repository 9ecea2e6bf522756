import { getConfig } from '../config';
import { createEventGridPublisher, type EventGridPublisher } from '../events/eventGrid';
import { createTelemetrySink, GoLiveTelemetry } from '../events/telemetry';
import type { ActivityDeps } from '../golive/activities';
import { createPartnerApi } from '../partner';

/** What the activities and the queue trigger use: the telemetry (one per process) and the partner API clients. */

let telemetry: GoLiveTelemetry | undefined;
export function goLiveTelemetry(): GoLiveTelemetry {
  const config = getConfig();
  telemetry ??= new GoLiveTelemetry(
    createTelemetrySink(config.applicationInsightsConnectionString, config.applicationInsightsAuthentication),
  );
  return telemetry;
}

/** The activities' dependencies: the partner API client of a kind comes from `createPartnerApi`'s per-kind cache. */
export function activityDeps(): ActivityDeps {
  return { partnerApi: (kind) => createPartnerApi(kind, getConfig()), telemetry: goLiveTelemetry() };
}

let eventGrid: { publisher: EventGridPublisher | undefined } | undefined;
/** The Event Grid topic's publisher (one per process), or undefined when `GOLIVE_EVENTGRID_ENDPOINT` is unset. */
export function eventGridPublisher(): EventGridPublisher | undefined {
  eventGrid ??= { publisher: createEventGridPublisher(getConfig().golive.eventGrid) };
  return eventGrid.publisher;
}
