import type { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';

import type { StatusClient } from '../golive/httpApi';
import type { ReconcileClient } from '../golive/reconcile';
import type { RunClient } from '../golive/startOrJoin';

/**
 * The Durable client as the plain modules see it (this file registers no function): a missing instance is
 * `undefined`, not an error, and statuses come with their inputs.
 */

/** The start-or-join view: status with input, start, raise. */
export function runClient(client: DurableClient): RunClient {
  return {
    async getStatus(instanceId) {
      try {
        return await client.getStatus(instanceId, { showInput: true });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    startNew: (name, options) => client.startNew(name, options),
    raiseEvent: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}

/** The HTTP API's view: status, list, raise. */
export function statusClient(client: DurableClient): StatusClient {
  const base = runClient(client);
  return {
    getStatus: (instanceId) => base.getStatus(instanceId),
    raiseEvent: (instanceId, eventName, data) => base.raiseEvent(instanceId, eventName, data),
    listInstances: (runtimeStatus) =>
      runtimeStatus
        ? client.getStatusBy({ runtimeStatus: runtimeStatus as OrchestrationRuntimeStatus[] })
        : client.getStatusAll(),
  };
}

/** The reconciler's view: ended instances with their inputs, start. */
export function reconcileClient(client: DurableClient): ReconcileClient {
  return {
    async listEnded(runtimeStatuses) {
      const listed = await client.getStatusBy({ runtimeStatus: runtimeStatuses as OrchestrationRuntimeStatus[] });
      // Listing may omit inputs: read each candidate with its input.
      return Promise.all(
        listed.map(async (s) =>
          s.input === undefined || s.input === null ? client.getStatus(s.instanceId, { showInput: true }) : s,
        ),
      );
    },
    startNew: (name, options) => client.startNew(name, options),
  };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && /\b404\b|not found/i.test(e.message);
}
