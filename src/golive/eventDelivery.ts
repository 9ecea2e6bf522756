import type { OrchestrationContext, Task } from 'durable-functions';

import type { AnyCloudEvent } from '../events/eventGrid';
import {
  ACTIVITY,
  type PublishEventGridInput,
  type PublishEventGridResult,
  type PublishEventsInput,
} from './contracts';
import { buildProgressEvent, progressKey } from './progressEvent';
import type { EventSettings, RunRecord } from './run/record';

/**
 * Orchestrator-side delivery of events beyond the completion event's queue write (deterministic: `context.df`
 * only). Event Grid: at least once, in order, with durable timers between tries, until the topic took every event or
 * `GOLIVE_EVENTGRID_RETRY_HOURS` ran out. A host that dies between the queue write and the topic's answer replays
 * to the same point and sends the same events (same ids) again. Progress events: one per change of the run's
 * progress, on the queue at once and to the topic in order (one that the topic did not take yet goes first in the
 * next batch).
 */

/** First wait between tries to the topic; it doubles up to `EVENTGRID_MAX_BACKOFF_SECONDS`. */
export const EVENTGRID_FIRST_BACKOFF_SECONDS = 2;
export const EVENTGRID_MAX_BACKOFF_SECONDS = 600;
/** Tries of the progress events' queue write (it is an output binding: it fails only when storage does). */
const QUEUE_WRITE_ATTEMPTS = 3;

/** What a run carries across `continueAsNew` for its events. */
export interface EventState {
  /** Progress events emitted so far (the next is number `progressCount + 1`). */
  progressCount: number;
  /** What the last progress event reported (`progressKey`). */
  progressKey?: string;
  /** Events the topic has not taken yet, oldest first. */
  pending: AnyCloudEvent[];
  /** Warnings for the run's output (giving up, identity refused). */
  warnings: string[];
}

export const NO_EVENT_SETTINGS: EventSettings = { eventGrid: false, eventGridRetryHours: 24, progress: false };

export function initialEventState(record: RunRecord): EventState {
  return { progressCount: 0, progressKey: progressKey(record), pending: [], warnings: [] };
}

export function backoffSeconds(attempt: number, retryAfterSeconds?: number): number {
  const exp = Math.min(EVENTGRID_MAX_BACKOFF_SECONDS, EVENTGRID_FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1));
  return Math.max(exp, Math.min(retryAfterSeconds ?? 0, EVENTGRID_MAX_BACKOFF_SECONDS));
}

const IDENTITY_REFUSED = "The Event Grid topic refused the app's identity";
function identityRefused(error: { statusCode?: number; code: string }, until: string): string {
  return `${IDENTITY_REFUSED} (${error.statusCode ?? 'no token'} ${error.code}); retrying until ${until}`;
}

type Log = (message: string, level: 'info' | 'warn' | 'error') => void;

export interface Delivery {
  /** Warnings the delivery adds to the run (identity refused, gave up). */
  warnings: string[];
  /** Every event was taken. */
  delivered: boolean;
}

/**
 * Sends `events` to the topic until it took them all or the retry window ran out. `onWarning` is told each
 * warning as it arises (the run shows it while it retries).
 */
export function* deliverToEventGrid(
  context: OrchestrationContext,
  events: readonly AnyCloudEvent[],
  settings: EventSettings,
  ids: Pick<PublishEventGridInput, 'runId' | 'target'>,
  log: Log,
  onWarning: (warning: string) => void = () => undefined,
): Generator<Task, Delivery, unknown> {
  const df = context.df;
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    onWarning(w);
  };
  if (!settings.eventGrid || events.length === 0) return { warnings, delivered: true };
  const giveUpAt = new Date(df.currentUtcDateTime.getTime() + settings.eventGridRetryHours * 3_600_000);
  let pending = [...events];
  let authReported = false;
  for (let attempt = 1; ; attempt++) {
    const now = df.currentUtcDateTime.getTime();
    // The window's end gets a try of its own: the waits stop there.
    const lastAttempt = now >= giveUpAt.getTime();
    const input: PublishEventGridInput = {
      ...ids,
      events: pending,
      attempt,
      lastAttempt,
      giveUpAt: giveUpAt.toISOString(),
    };
    let result: PublishEventGridResult;
    try {
      result = (yield df.callActivity(ACTIVITY.publishEventGrid, input)) as PublishEventGridResult;
    } catch (e) {
      // The activity itself failed (not the topic): try again like a transient answer.
      result = {
        kind: 'failed',
        published: 0,
        gaveUp: lastAttempt,
        error: {
          code: 'EventGridConnectionFailed',
          message: `the publish activity failed: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`,
          retryable: true,
          auth: false,
        },
      };
    }
    if (result.kind !== 'failed') return { warnings, delivered: true };
    pending = pending.slice(result.published);
    const { error } = result;
    if (error.auth && !authReported) {
      authReported = true;
      warn(identityRefused(error, giveUpAt.toISOString()));
    }
    if (lastAttempt || !error.retryable || result.gaveUp) {
      const ids = pending.map((e) => e.id);
      warn(
        `Event Grid did not take ${ids.length} event(s) (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}): ` +
          `${error.code}${error.statusCode !== undefined ? ` (${error.statusCode})` : ''}; gave up after ${attempt} ` +
          `attempt(s); they are on the golive-events queue`,
      );
      log(`gave up publishing to Event Grid after ${attempt} attempt(s): ${error.code}`, 'error');
      return { warnings, delivered: false };
    }
    const waitSeconds = backoffSeconds(attempt, error.retryAfterSeconds);
    const until = Math.min(df.currentUtcDateTime.getTime() + waitSeconds * 1000, giveUpAt.getTime());
    log(`Event Grid did not take the events (${error.code}, attempt ${attempt}); retrying in ${waitSeconds} s`, 'warn');
    yield df.createTimer(new Date(until));
  }
}

/**
 * Progress: when the record's progress changed since the last event, emits the next `golive.progressed` event on
 * the queue and offers the topic every event it has not taken yet (one try; the completion's delivery retries the
 * rest). Returns the new state.
 */
export function* emitProgress(
  context: OrchestrationContext,
  record: RunRecord,
  state: EventState,
  settings: EventSettings,
  log: Log,
): Generator<Task, EventState, unknown> {
  if (!settings.progress) return state;
  const key = progressKey(record);
  if (key === state.progressKey) return state;
  const df = context.df;
  const n = state.progressCount + 1;
  const event = buildProgressEvent(record, n, df.currentUtcDateTime);
  const queueInput: PublishEventsInput = { events: [event] };
  for (let attempt = 1; ; attempt++) {
    try {
      yield df.callActivity(ACTIVITY.publishEvents, queueInput);
      break;
    } catch (e) {
      if (attempt >= QUEUE_WRITE_ATTEMPTS) {
        log(`progress event ${event.id} was not written to the queue: ${(e as Error).message}`, 'error');
        break;
      }
      yield df.createTimer(new Date(df.currentUtcDateTime.getTime() + 2_000 * attempt));
    }
  }
  let next: EventState = { ...state, progressCount: n, progressKey: key };
  if (!settings.eventGrid) return next;
  const pending = [...state.pending, event];
  const input: PublishEventGridInput = {
    runId: record.runId,
    target: { publisherId: record.target.publisherId, offerId: record.target.offerId },
    events: pending,
    attempt: 1,
    lastAttempt: false,
    giveUpAt: new Date(df.currentUtcDateTime.getTime() + settings.eventGridRetryHours * 3_600_000).toISOString(),
  };
  let result: PublishEventGridResult;
  try {
    result = (yield df.callActivity(ACTIVITY.publishEventGrid, input)) as PublishEventGridResult;
  } catch {
    result = {
      kind: 'failed',
      published: 0,
      gaveUp: false,
      error: { code: 'EventGridConnectionFailed', message: 'activity failed', retryable: true, auth: false },
    };
  }
  if (result.kind !== 'failed') return { ...next, pending: [] };
  const left = pending.slice(result.published);
  if (result.error.auth && !next.warnings.some((w) => w.startsWith(IDENTITY_REFUSED))) {
    next = { ...next, warnings: [...next.warnings, identityRefused(result.error, input.giveUpAt)] };
  }
  if (!result.error.retryable) {
    next = {
      ...next,
      pending: [],
      warnings: [
        ...next.warnings,
        `Event Grid refused progress event(s) ${left.map((e) => e.id).join(', ')}: ${result.error.code}`,
      ],
    };
    return next;
  }
  log(`Event Grid did not take progress event ${event.id} yet (${result.error.code}); it goes with the next`, 'warn');
  return { ...next, pending: left };
}

/** Input of `goLiveEventGridPublish`: events that are on the queue already and owed to the topic. */
export interface EventGridPublishInput {
  events: AnyCloudEvent[];
  settings: EventSettings;
  target?: { publisherId: string; offerId: string };
}

/**
 * `goLiveEventGridPublish`: delivers events outside a run (a rejected request's `golive.rejected`) to the topic
 * with the same durable retries; its instance id is derived from the event id, so a start is done once.
 */
export function* eventGridPublishOrchestration(context: OrchestrationContext): Generator<Task, Delivery, unknown> {
  const df = context.df;
  const { events, settings, target } = df.getInput<EventGridPublishInput>();
  return yield* deliverToEventGrid(context, events, settings, target ? { target } : {}, (message, level) => {
    if (df.isReplaying) return;
    const line = `[eventgrid ${events.map((e) => e.id).join(', ')}] ${message}`;
    if (level === 'error') context.error(line);
    else if (level === 'warn') context.warn(line);
    else context.log(line);
  });
}

export function eventGridPublishInstanceId(eventId: string): string {
  return `${eventId}-eventgrid`;
}
