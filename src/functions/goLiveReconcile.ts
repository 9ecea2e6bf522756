import type { InvocationContext, Timer } from '@azure/functions';
import type { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import * as df from 'durable-functions';

import { getConfig } from '../config';
import { type ReconcileClient, reconcileRuns } from '../golive/reconcile';

/**
 * Timer trigger (`GOLIVE_RECONCILE_SCHEDULE`): publishes the completion event of every run that ended `Terminated`
 * or `Failed` without one (see `golive/reconcile.ts`).
 */
export async function goLiveReconcileHandler(
  _timer: Timer,
  client: ReconcileClient,
  context: InvocationContext,
): Promise<void> {
  const result = await reconcileRuns(client, new Date(), (m) => context.log(m));
  if (result.started.length > 0 || result.failed.length > 0) {
    context.log(
      `reconcile: ${result.examined} ended runs examined, ${result.started.length} events being published, ${result.failed.length} not started`,
    );
  }
}

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

df.app.client.timer('goLiveReconcile', {
  schedule: getConfig().golive.reconcileSchedule,
  handler: (timer, client, context) => goLiveReconcileHandler(timer, reconcileClient(client), context),
});
