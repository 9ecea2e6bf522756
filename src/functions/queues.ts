import { output } from '@azure/functions';

import { getConfig } from '../config';

/**
 * The queue output bindings the registrations share; queue names from the settings, read once at load, so a bad
 * setting stops start-up. This file registers no function.
 */

const { golive } = getConfig();

/** `golive-requests`: the HTTP route and the schedule enqueue here, the same path upstream systems use. */
export const requestsQueueOutput = output.storageQueue({
  queueName: golive.requestsQueue,
  connection: 'AzureWebJobsStorage',
});

/** `golive-events`: completion events (CloudEvents 1.0 JSON). */
export const eventsQueueOutput = output.storageQueue({
  queueName: golive.eventsQueue,
  connection: 'AzureWebJobsStorage',
});

/** `golive-rejected`: invalid requests with their reason. */
export const rejectedQueueOutput = output.storageQueue({
  queueName: golive.rejectedQueue,
  connection: 'AzureWebJobsStorage',
});
