import type { RunErrorCode } from '../../errorCodes';
import { RECONCILE_ORCHESTRATOR_NAME, RUN_ORCHESTRATOR_NAMES } from '../contracts';
import { isRunInstanceId } from './identity';
import { type EventSettings, type InstanceStatus, readRun, type Run, type RunOutput, toOutput } from './record';

/**
 * The completion event a run owes when its instance ended without publishing it (terminated through the Durable
 * API, or failed before publishing), and how it is paid: `goLiveReconcileOrchestrator` on the same instance (see
 * `../reconcile.ts`). The starter (before it starts the offer's next run over such an instance) and the reconciler
 * (timer) both ask here; neither imports the other.
 */

export const RUN_TERMINATED: RunErrorCode = 'RunTerminated';
export const RUN_FAILED: RunErrorCode = 'RunFailed';
/** Runtime statuses of runs that may have ended without publishing. */
export const UNPUBLISHED_RUNTIME_STATUSES = ['Terminated', 'Failed'] as const;
export const MAX_REASON_CHARS = 500;

export interface ReconcileInput {
  output: RunOutput;
  /** Where the event goes besides the queue (the Event Grid topic when set); absent = the queue only. */
  events?: EventSettings;
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
  if (status.name !== undefined && !RUN_ORCHESTRATOR_NAMES.includes(status.name)) return undefined;
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

/** Starts the reconcile orchestration on the run's instance (same instance id). */
export async function publishUnpublished(
  client: {
    startNew(orchestratorName: string, options: { instanceId: string; input: ReconcileInput }): Promise<string>;
  },
  instanceId: string,
  output: RunOutput,
  events?: EventSettings,
): Promise<void> {
  await client.startNew(RECONCILE_ORCHESTRATOR_NAME, { instanceId, input: { output, ...(events ? { events } : {}) } });
}
