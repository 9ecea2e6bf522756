import type { HttpRequest } from '@azure/functions';
import type { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';

import type { StatusClient } from '../golive/httpApi';
import { runClient } from './shared';

/** Helpers of the HTTP registrations (this file registers no function). */

/** Status URLs on the origin the caller used. */
export function statusUrlFor(request: HttpRequest): (publisherId: string, offerId: string) => string {
  const origin = new URL(request.url).origin;
  return (publisherId, offerId) => `${origin}/api/golive/${publisherId}/${offerId}`;
}

export function statusClient(client: DurableClient): StatusClient {
  const base = runClient(client);
  return {
    getStatus: (instanceId) => base.getStatus(instanceId),
    raiseEvent: (instanceId, eventName, data) => base.raiseEvent(instanceId, eventName, data),
    async listInstances(runtimeStatus) {
      const list = runtimeStatus
        ? await client.getStatusBy({ runtimeStatus: runtimeStatus as OrchestrationRuntimeStatus[] })
        : await client.getStatusAll();
      return list;
    },
  };
}
