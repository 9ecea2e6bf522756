import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { ACTIVITY, type PublishEventsInput } from '../golive/contracts';
import { eventsQueueOutput } from './queues';

/** Activity: progress events onto `golive-events` (queue output binding, one message per event, in order). */
export function publishEventsHandler(input: PublishEventsInput, context: InvocationContext) {
  const texts = input.events.map((e) => JSON.stringify(e));
  context.extraOutputs.set(eventsQueueOutput, texts.length === 1 ? texts[0] : texts);
  return { eventIds: input.events.map((e) => e.id) };
}

df.app.activity(ACTIVITY.publishEvents, { extraOutputs: [eventsQueueOutput], handler: publishEventsHandler });
