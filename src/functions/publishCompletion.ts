import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { withTraceContext } from '../events/cloudEvent';
import { publishCompletionEvents } from '../golive/activities';
import { ACTIVITY, type PublishCompletionInput, type PublishCompletionResult } from '../golive/contracts';
import { activityDeps } from './activityDeps';
import { eventsQueueOutput } from './queues';

/**
 * Activity: the run's completion event onto `golive-events` (queue output binding; one message per page of request
 * ids when the run recorded more than fit one event) plus its metrics.
 */
export function publishCompletionHandler(
  input: PublishCompletionInput,
  context: InvocationContext,
): PublishCompletionResult {
  const events = publishCompletionEvents(input, activityDeps()).map((e) => withTraceContext(e, context.traceContext));
  const texts = events.map((e) => JSON.stringify(e));
  context.extraOutputs.set(eventsQueueOutput, texts.length === 1 ? texts[0] : texts);
  const first = events[0];
  const trace = first?.traceparent
    ? { traceparent: first.traceparent, ...(first.tracestate ? { tracestate: first.tracestate } : {}) }
    : undefined;
  return {
    eventId: first?.id,
    type: first?.type,
    ...(events.length === 1 ? {} : { pages: events.length }),
    ...(trace ? { trace } : {}),
  };
}

df.app.activity(ACTIVITY.publishCompletion, {
  extraOutputs: [eventsQueueOutput],
  handler: publishCompletionHandler,
});
