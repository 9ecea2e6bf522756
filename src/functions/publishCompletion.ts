import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { publishCompletion } from '../golive/activities';
import { ACTIVITY, type PublishCompletionInput } from '../golive/types';
import { activityDeps, eventsQueueOutput } from './shared';

/** Activity: the run's one completion event onto `golive-events` (queue output binding) plus its metrics. */
export function publishCompletionHandler(input: PublishCompletionInput, context: InvocationContext) {
  const event = publishCompletion(input, activityDeps());
  context.extraOutputs.set(eventsQueueOutput, JSON.stringify(event));
  return { eventId: event.id, type: event.type };
}

df.app.activity(ACTIVITY.publishCompletion, {
  extraOutputs: [eventsQueueOutput],
  handler: publishCompletionHandler,
});
