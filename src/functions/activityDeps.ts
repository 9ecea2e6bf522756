import { getConfig } from '../config';
import { createEventGridPublisher, type EventGridPublisher } from '../events/eventGrid';
import { tagRun } from '../events/scope';
import { GoLiveTelemetry, startTelemetry } from '../events/telemetry';
import type { ActivityDeps } from '../golive/activities';
import { createSubmitLedger, type SubmitLedger } from '../golive/submitLedger';
import { createPartnerApi } from '../partner';

/** What the activities and the queue trigger use: the telemetry (one per process) and the partner API clients. */

let telemetry: GoLiveTelemetry | undefined;
export function goLiveTelemetry(): GoLiveTelemetry {
  const config = getConfig();
  // Started by src/index.ts when the app loads; this returns the same sink.
  telemetry ??= new GoLiveTelemetry(startTelemetry(config));
  return telemetry;
}

let ledger: { value: SubmitLedger | undefined } | undefined;

/**
 * The activities' dependencies: the partner API client of a kind comes from `createPartnerApi`'s per-kind cache;
 * the submit ledger is one per process; `warn` goes to the invocation's log.
 */
export function activityDeps(warn?: (message: string) => void): ActivityDeps {
  ledger ??= { value: createSubmitLedger(getConfig().storage) };
  return {
    partnerApi: (kind) => createPartnerApi(kind, getConfig()),
    telemetry: goLiveTelemetry(),
    ...(ledger.value ? { submits: ledger.value } : {}),
    ...(warn ? { warn } : {}),
  };
}

let eventGrid: { publisher: EventGridPublisher | undefined } | undefined;
/** The Event Grid topic's publisher (one per process), or undefined when `GOLIVE_EVENTGRID_ENDPOINT` is unset. */
export function eventGridPublisher(): EventGridPublisher | undefined {
  eventGrid ??= { publisher: createEventGridPublisher(getConfig().golive.eventGrid) };
  return eventGrid.publisher;
}

/** An activity's result, after tagging the invocation's telemetry with the partner operation id it names. */
export function withOperationTag<R>(result: R): R {
  const operationId = (result as { operationId?: unknown } | undefined)?.operationId;
  if (typeof operationId === 'string') tagRun({ operationId });
  return result;
}
