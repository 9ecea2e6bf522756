import type { OrchestrationContext, Task } from 'durable-functions';

import { buildCompletionEvents } from './completionEvent';
import { deliverToEventGrid } from './eventDelivery';
import { publishCompletion } from './orchestration';
import { publishUnpublished, type ReconcileInput, UNPUBLISHED_RUNTIME_STATUSES, unpublishedRun } from './run/owed';
import type { EventSettings, InstanceStatus, RunOutput } from './run/record';

/**
 * Runs that ended without a completion event: terminated through the Durable API (the orchestrator never runs
 * again, so it publishes nothing), or failed before publishing (the orchestrator threw). A consumer would wait for
 * their event forever. The reconciler (timer trigger, `GOLIVE_RECONCILE_SCHEDULE`) and the starter (before it
 * starts the offer's next run over such an instance) find them and start `goLiveReconcileOrchestrator` on the same
 * instance: it publishes `golive.failed` (code `RunTerminated` or `RunFailed`, the reason, every request the run
 * recorded) with the run's own event id and ends `Completed` with that output. From then on the instance is a
 * finished run with its record, so it is published once: the next pass, and the starter, see a published run
 * (and its request ids stay known to later runs of the offer, for redeliveries).
 */

export {
  MAX_REASON_CHARS,
  publishUnpublished,
  type ReconcileInput,
  RUN_FAILED,
  RUN_TERMINATED,
  UNPUBLISHED_RUNTIME_STATUSES,
  unpublishedRun,
} from './run/owed';

/** The Durable client calls the reconciler needs. */
export interface ReconcileClient {
  /** Instances in these runtime statuses, with their inputs. */
  listEnded(runtimeStatuses: readonly string[]): Promise<InstanceStatus[]>;
  startNew(orchestratorName: string, options: { instanceId: string; input: ReconcileInput }): Promise<string>;
}

export interface ReconcileResult {
  examined: number;
  started: { instanceId: string; runId: string; eventId: string }[];
  failed: { instanceId: string; message: string }[];
}

/** One reconciler pass: every run that ended without an event gets its reconcile orchestration started. */
export async function reconcileRuns(
  client: ReconcileClient,
  now: Date,
  log: (message: string) => void = () => undefined,
  events?: EventSettings,
): Promise<ReconcileResult> {
  const result: ReconcileResult = { examined: 0, started: [], failed: [] };
  for (const status of await client.listEnded(UNPUBLISHED_RUNTIME_STATUSES)) {
    result.examined++;
    const output = unpublishedRun(status, now);
    if (!output || status.instanceId === undefined) continue;
    try {
      await publishUnpublished(client, status.instanceId, output, events);
      result.started.push({ instanceId: status.instanceId, runId: output.runId, eventId: output.eventId });
      log(
        `run ${output.runId} of ${status.instanceId} ended ${status.runtimeStatus} without an event: publishing ${output.eventId}`,
      );
    } catch (e) {
      // Another start (the starter's, or a new run) won: that one publishes it or carries it.
      const message = e instanceof Error ? e.message : String(e);
      result.failed.push({ instanceId: status.instanceId, message });
      log(`run ${output.runId} of ${status.instanceId}: could not start its reconcile orchestration: ${message}`);
    }
  }
  return result;
}

/** The reconcile orchestration: publish the run's event (retried with durable timers), end with the run's output. */
export function* reconcileOrchestration(context: OrchestrationContext): Generator<Task, RunOutput, unknown> {
  const df = context.df;
  const { output, events } = df.getInput<ReconcileInput>();
  const published = yield* publishCompletion(context, output);
  if (!df.isReplaying)
    context.log(`[golive reconcile ${output.runId}] published ${output.eventId} (${output.error?.code ?? ''})`);
  if (events?.eventGrid) {
    // The Event Grid topic gets the same event, as a run's own completion does (docs/events.md).
    const delivery = yield* deliverToEventGrid(
      context,
      buildCompletionEvents(output).map((e) => ({ ...e, ...published?.trace })),
      events,
      { runId: output.runId, target: { publisherId: output.target.publisherId, offerId: output.target.offerId } },
      (message, level) => {
        if (df.isReplaying) return;
        const line = `[golive reconcile ${output.runId}] ${message}`;
        if (level === 'error') context.error(line);
        else if (level === 'warn') context.warn(line);
        else context.log(line);
      },
    );
    if (delivery.warnings.length > 0) return { ...output, warnings: [...output.warnings, ...delivery.warnings] };
  }
  return output;
}
