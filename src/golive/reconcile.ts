import type { OrchestrationContext, Task } from 'durable-functions';

import { buildCompletionEvents } from '../events/completionEvent';
import { ORCHESTRATOR_NAME, RECONCILE_ORCHESTRATOR_NAME } from './contracts';
import { deliverToEventGrid, NO_EVENT_SETTINGS } from './eventDelivery';
import { publishCompletion } from './orchestration';
import { isRunInstanceId } from './run/identity';
import { type EventSettings, type InstanceStatus, readRun, type Run, type RunOutput, toOutput } from './run/record';

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

export const RUN_TERMINATED = 'RunTerminated';
export const RUN_FAILED = 'RunFailed';
/** Runtime statuses of runs that may have ended without publishing. */
export const UNPUBLISHED_RUNTIME_STATUSES = ['Terminated', 'Failed'] as const;
export const MAX_REASON_CHARS = 500;

export interface ReconcileInput {
  output: RunOutput;
  /** The ended run's event sinks (from its input): the event goes to the Event Grid topic too when it had one. */
  events?: EventSettings;
}

/** The event settings an instance's input carried, if any. */
function eventSettingsOf(input: unknown): EventSettings | undefined {
  const settings = (input as { settings?: { events?: EventSettings } } | undefined)?.settings;
  return settings?.events;
}

function looksLikeRunOutput(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { eventId?: unknown }).eventId === 'string';
}

function reasonOf(output: unknown): string {
  let text: string;
  if (typeof output === 'string') text = output;
  else if (output === undefined || output === null) text = '';
  else {
    try {
      text = JSON.stringify(output) ?? '';
    } catch {
      text = '(unreadable reason)';
    }
  }
  text = text.trim();
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/**
 * The completion a run is owed when its instance ended `Terminated` or `Failed` without our output (so without
 * publishing), else undefined. Pure: everything comes from the status (its input must be shown).
 */
export function unpublishedRun(
  status: InstanceStatus,
  now: Date,
  run: Run | undefined = readRun(status),
): RunOutput | undefined {
  if (!(UNPUBLISHED_RUNTIME_STATUSES as readonly string[]).includes(status.runtimeStatus)) return undefined;
  if (status.instanceId === undefined || !isRunInstanceId(status.instanceId)) return undefined;
  if (status.name !== undefined && status.name !== ORCHESTRATOR_NAME) return undefined;
  if (looksLikeRunOutput(status.output)) return undefined;
  if (!run?.hasInput) return undefined;
  const { record } = run;
  const completedAt = run.lastUpdatedTime ?? now.toISOString();
  const startedAt = record.startedAt || completedAt;
  const reason = reasonOf(status.output);
  const terminated = status.runtimeStatus === 'Terminated';
  const error = terminated
    ? {
        code: RUN_TERMINATED,
        message: `the run was terminated through the Durable API: ${reason || '(no reason given)'}`,
      }
    : {
        code: RUN_FAILED,
        message: `the run's orchestration failed before it published its event: ${reason || '(no detail)'}`,
      };
  const known = new Map(record.requests.map((r) => [r.requestId, r]));
  return toOutput({
    ...record,
    // What the run records: every request id it shows, never a progress field the run no longer reports.
    state: 'failed',
    outcome: 'failed',
    requests: run.requestIds.map((id) => known.get(id) ?? { requestId: id, receivedAt: startedAt }),
    startedAt,
    completedAt,
    durationSeconds: Math.max(0, Math.round((Date.parse(completedAt) - Date.parse(startedAt)) / 1000)),
    error,
  });
}

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

/** Starts the reconcile orchestration on the run's instance (same instance id). */
export async function publishUnpublished(
  client: Pick<ReconcileClient, 'startNew'>,
  instanceId: string,
  output: RunOutput,
  events?: EventSettings,
): Promise<void> {
  await client.startNew(RECONCILE_ORCHESTRATOR_NAME, { instanceId, input: { output, ...(events ? { events } : {}) } });
}

/** One reconciler pass: every run that ended without an event gets its reconcile orchestration started. */
export async function reconcileRuns(
  client: ReconcileClient,
  now: Date,
  log: (message: string) => void = () => undefined,
): Promise<ReconcileResult> {
  const result: ReconcileResult = { examined: 0, started: [], failed: [] };
  for (const status of await client.listEnded(UNPUBLISHED_RUNTIME_STATUSES)) {
    result.examined++;
    const output = unpublishedRun(status, now);
    if (!output || status.instanceId === undefined) continue;
    try {
      await publishUnpublished(client, status.instanceId, output, eventSettingsOf(status.input));
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
  yield* publishCompletion(context, output);
  const warnings: string[] = [];
  const target = { publisherId: output.target.publisherId, offerId: output.target.offerId };
  yield* deliverToEventGrid(
    context,
    buildCompletionEvents(output),
    events ?? NO_EVENT_SETTINGS,
    { runId: output.runId, target },
    (message, level) => {
      if (df.isReplaying) return;
      const line = `[golive reconcile ${output.runId}] ${message}`;
      if (level === 'error') context.error(line);
      else if (level === 'warn') context.warn(line);
      else context.log(line);
    },
    (warning) => warnings.push(warning),
  );
  if (warnings.length > 0) return { ...output, warnings: [...output.warnings, ...warnings] };
  if (!df.isReplaying)
    context.log(`[golive reconcile ${output.runId}] published ${output.eventId} (${output.error?.code ?? ''})`);
  return output;
}
