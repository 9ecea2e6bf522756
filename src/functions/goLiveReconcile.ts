import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';

import { getConfig } from '../config';
import { type ReconcileClient, reconcileRuns } from '../golive/reconcile';
import { runSettingsFrom } from '../golive/settings';
import { reconcileClient } from './durableClients';

/**
 * Timer trigger (`GOLIVE_RECONCILE_SCHEDULE`): publishes the completion event of every run that ended `Terminated`
 * or `Failed` without one (see `golive/reconcile.ts`).
 */
export async function goLiveReconcileHandler(
  _timer: Timer,
  client: ReconcileClient,
  context: InvocationContext,
): Promise<void> {
  const events = runSettingsFrom(getConfig().golive).events;
  const result = await reconcileRuns(client, new Date(), (m) => context.log(m), events);
  if (result.started.length > 0 || result.failed.length > 0) {
    context.log(
      `reconcile: ${result.examined} ended runs examined, ${result.started.length} events being published, ${result.failed.length} not started`,
    );
  }
}

df.app.client.timer('goLiveReconcile', {
  schedule: getConfig().golive.reconcileSchedule,
  handler: (timer, client, context) => goLiveReconcileHandler(timer, reconcileClient(client), context),
});
