import type { EventGridPublisher } from '../events/eventGrid';
import type { GoLiveTelemetry } from '../events/telemetry';
import type { PublishEventGridInput, PublishEventGridResult } from './contracts';

/**
 * The Event Grid activity's logic: one try at the topic, reported. A refused identity (401/403) is logged at
 * error and sent to Application Insights on every try; any other failure is a warning and an event; when the
 * orchestration will not try again (`lastAttempt`, or an answer not worth retrying) it is the give-up event
 * (alerted) and an error. Never a token in any of it.
 */

export interface EventSinkDeps {
  /** The configured topic's publisher; undefined when `GOLIVE_EVENTGRID_ENDPOINT` is unset. */
  eventGrid: () => EventGridPublisher | undefined;
  telemetry: GoLiveTelemetry;
  log: (message: string, level: 'info' | 'warn' | 'error') => void;
}

export async function publishToEventGrid(
  input: PublishEventGridInput,
  deps: EventSinkDeps,
): Promise<PublishEventGridResult> {
  const publisher = deps.eventGrid();
  if (!publisher) return { kind: 'disabled' };
  const result = await publisher.publish(input.events);
  const what = input.target
    ? `${input.target.publisherId}/${input.target.offerId}${input.runId ? ` run ${input.runId}` : ''}`
    : input.events.map((e) => e.id).join(', ');
  if (result.kind === 'published') {
    if (input.attempt > 1) deps.log(`[eventgrid ${what}] published after ${input.attempt} attempts`, 'info');
    return { kind: 'published', count: result.count };
  }
  const { error } = result;
  const gaveUp = input.lastAttempt || !error.retryable;
  const dims = {
    ...(input.target ? { publisherId: input.target.publisherId, offerId: input.target.offerId } : {}),
    ...(input.runId ? { runId: input.runId } : {}),
  };
  deps.telemetry.eventGridFailed(dims, error.code, error.statusCode, input.attempt);
  const left = input.events.slice(result.published).map((e) => e.id);
  const line =
    `[eventgrid ${what}] attempt ${input.attempt}: ${error.message}` +
    (gaveUp ? `; giving up on ${left.join(', ')}` : `; retrying until ${input.giveUpAt}`);
  if (gaveUp) {
    deps.telemetry.eventGridGaveUp(dims, error.code, error.statusCode, left, input.attempt);
    deps.log(line, 'error');
  } else {
    deps.log(line, error.auth ? 'error' : 'warn');
  }
  return { kind: 'failed', published: result.published, error, gaveUp };
}
