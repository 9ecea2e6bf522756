import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { getConfig } from '../config';
import { offerTagsFromText, tagRun } from '../events/scope';
import { EVENTGRID_ORCHESTRATOR_NAME } from '../golive/contracts';
import { type EventGridPublishInput, eventGridPublishInstanceId } from '../golive/eventDelivery';
import { intake, queueMessage } from '../golive/intake';
import { runSettingsFrom } from '../golive/settings';
import type { RunClient } from '../golive/startOrJoin';
import { goLiveTelemetry } from './activityDeps';
import { runClient } from './durableClients';
import { eventsQueueOutput, rejectedQueueOutput } from './queues';

/** Queue trigger on `golive-requests`: validate, then start or join the offer's run (see `golive/intake.ts`). */
export async function goLiveRequestsHandler(message: unknown, client: RunClient, context: InvocationContext) {
  const config = getConfig();
  const { text, messageId } = queueMessage(message, context.triggerMetadata, context.invocationId);
  tagRun(offerTagsFromText(text));
  const result = await intake(text, messageId, {
    client,
    settings: runSettingsFrom(config.golive),
    defaultApi: config.golive.defaultApi,
    log: (m) => context.log(m),
  });
  // The invocation's telemetry carries the offer from the start and joins the run once intake knows it.
  if (result.kind === 'accepted') {
    if ('runId' in result.outcome) tagRun({ runId: result.outcome.runId });
  }
  if (result.kind === 'rejected') {
    const settings = runSettingsFrom(config.golive).events;
    if (settings?.eventGrid) {
      // The queue gets the event with this invocation; the topic through an orchestration that retries it.
      const instanceId = eventGridPublishInstanceId(result.event.id);
      if ((await client.getStatus(instanceId)) === undefined) {
        const { publisherId, offerId } = result.event.data;
        const input: EventGridPublishInput = {
          events: [result.event],
          settings,
          ...(publisherId && offerId ? { target: { publisherId, offerId } } : {}),
        };
        await client.startNew(EVENTGRID_ORCHESTRATOR_NAME, { instanceId, input });
      }
    }
    context.extraOutputs.set(rejectedQueueOutput, JSON.stringify(result.record));
    context.extraOutputs.set(eventsQueueOutput, JSON.stringify(result.event));
    const { publisherId, offerId } = result.event.data;
    goLiveTelemetry().rejected(result.record.reason, messageId, {
      ...(publisherId ? { publisherId } : {}),
      ...(offerId ? { offerId } : {}),
    });
    context.warn(`request ${messageId} rejected: ${result.record.reason}`);
    return;
  }
  context.log(`request ${result.request.requestId}: ${result.outcome.kind} (${result.outcome.instanceId})`);
}

df.app.client.storageQueue('goLiveRequests', {
  queueName: getConfig().golive.requestsQueue,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [rejectedQueueOutput, eventsQueueOutput],
  handler: (message, client, context) => goLiveRequestsHandler(message, runClient(client), context),
});
