import { output } from '@azure/functions';
import type { DurableClient } from 'durable-functions';

import { getConfig } from '../config';
import { createTelemetrySink, GoLiveTelemetry } from '../events/telemetry';
import type { ActivityDeps } from '../golive/activities';
import type { RunClient } from '../golive/starter';
import { createPartnerApi } from '../partner';
import type { PartnerApi, PartnerApiKind } from '../partner/types';

/**
 * What the registrations share: the queue output bindings (queue names from the settings, read once at load, so
 * a bad setting stops start-up), the Durable client adapter, and the activities' partner API clients and telemetry.
 * This file registers no function.
 */

const config = getConfig();

/** `golive-requests`: the HTTP route and the schedule enqueue here, the same path upstream systems use. */
export const requestsQueueOutput = output.storageQueue({
  queueName: config.golive.requestsQueue,
  connection: 'AzureWebJobsStorage',
});

/** `golive-events`: completion events (CloudEvents 1.0 JSON). */
export const eventsQueueOutput = output.storageQueue({
  queueName: config.golive.eventsQueue,
  connection: 'AzureWebJobsStorage',
});

/** `golive-rejected`: invalid requests with their reason. */
export const rejectedQueueOutput = output.storageQueue({
  queueName: config.golive.rejectedQueue,
  connection: 'AzureWebJobsStorage',
});

let telemetry: GoLiveTelemetry | undefined;
export function goLiveTelemetry(): GoLiveTelemetry {
  telemetry ??= new GoLiveTelemetry(
    createTelemetrySink(getConfig().applicationInsightsConnectionString, getConfig().applicationInsightsAuthentication),
  );
  return telemetry;
}

const partnerApis = new Map<PartnerApiKind, PartnerApi>();
let deps: ActivityDeps | undefined;

/** The activities' dependencies: one partner API client per API kind, created on first use. */
export function activityDeps(): ActivityDeps {
  deps ??= {
    partnerApi(kind) {
      let api = partnerApis.get(kind);
      if (!api) {
        api = createPartnerApi(kind, getConfig());
        partnerApis.set(kind, api);
      }
      return api;
    },
    telemetry: goLiveTelemetry(),
  };
  return deps;
}

/** The starter's view of the Durable client: a missing instance is `undefined`, not an error. */
export function runClient(client: DurableClient): RunClient {
  return {
    async getStatus(instanceId) {
      try {
        const status = await client.getStatus(instanceId, { showInput: true });
        return status;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    startNew: (name, options) => client.startNew(name, options),
    raiseEvent: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && /\b404\b|not found/i.test(e.message);
}
