import type { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';

import type { ErrorCode } from '../errorCodes';
import type { StatusClient } from '../golive/httpApi';
import type { ReconcileClient } from '../golive/reconcile';
import type { InstanceStatus } from '../golive/run/record';
import type { RunClient } from '../golive/startOrJoin';

/**
 * The Durable client as the plain modules see it (this file registers no function): a missing instance is
 * `undefined`, not an error, and statuses come with their inputs.
 */

/** The start-or-join view: status with input, start, raise. */
export function runClient(client: DurableClient): RunClient {
  return {
    getStatus: (instanceId) => statusOf(client, instanceId),
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

/**
 * The instance status with its input, from the Durable management API's status URL; undefined on 404 (no instance
 * has the id). Classified by the HTTP status, as the extension answers it: 200 ended, 202 still running.
 */
async function statusOf(client: DurableClient, instanceId: string): Promise<InstanceStatus | undefined> {
  const url = new URL(client.createHttpManagementPayload(instanceId).statusQueryGetUri);
  url.searchParams.set('showInput', 'true');
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (res.status !== 200 && res.status !== 202) {
    throw new DurableClientError(`reading go-live instance ${instanceId} failed`, res.status);
  }
  return (await res.json()) as InstanceStatus;
}

/** The Durable management API answered an unexpected status (the URL holds a key: never in the message). */
export class DurableClientError extends Error {
  override readonly name = 'DurableClientError';
  readonly code: ErrorCode = 'DurableClientError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(`${message}: the Durable management API answered HTTP ${statusCode}`);
  }
}
