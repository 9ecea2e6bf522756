import { app, type InvocationContext, type Timer } from '@azure/functions';

import { getConfig } from '../config';
import { scheduledRequests } from '../golive/schedule';
import { requestsQueueOutput } from './queues';

/** Timer trigger (`GOLIVE_SCHEDULE`): enqueues one request per `GOLIVE_SCHEDULED_OFFERS` pair. */
export function goLiveScheduleHandler(timer: Timer, context: InvocationContext): void {
  const { scheduledOffers } = getConfig().golive;
  const messages = scheduledRequests(scheduledOffers, timer, new Date());
  if (messages.length === 0) {
    context.log('scheduled go-live: no offers configured (GOLIVE_SCHEDULED_OFFERS)');
    return;
  }
  context.extraOutputs.set(requestsQueueOutput, messages);
  context.log(`scheduled go-live: enqueued ${messages.length} request(s)${timer.isPastDue ? ' (past due)' : ''}`);
}

app.timer('goLiveSchedule', {
  schedule: getConfig().golive.schedule,
  extraOutputs: [requestsQueueOutput],
  handler: goLiveScheduleHandler,
});
