import { type CloudEvent } from '../../events/cloudEvent';
import { buildCompletionEvent, type CompletionData } from '../completionEvent';
import { RECONCILE_ORCHESTRATOR_NAME, RUN_ORCHESTRATOR_NAMES } from '../contracts';
import { isRunInstanceId } from './identity';
import { type InstanceStatus, readRun, type RunRecord, type RunTarget, type Shown, toOutput } from './record';

/** The run as the HTTP routes show it (`GET /api/golive/...`): a pick of the record and the instance's status. */
export type RunView = Pick<RunTarget, 'publisherId' | 'offerId' | 'api' | 'productId'> &
  Pick<RunRecord, 'runId' | 'runNumber' | 'steps' | 'pollCount' | 'requests' | 'warnings' | 'previousRuns' | 'checks'> &
  Shown<
    RunRecord,
    | 'operationId'
    | 'operationStatus'
    | 'acceptedAt'
    | 'phase'
    | 'progressPercentage'
    | 'lastCheckedAt'
    | 'nextCheckAt'
    | 'nextCheckReason'
    | 'expectedEnd'
    | 'error'
    | 'startedAt'
    | 'deadlineAt'
    | 'completedAt'
    | 'durationSeconds'
  > & {
    instanceId: string;
    /** A run state (`golive/run/states.ts`); `pending` before the first step; `terminated`. */
    state: string;
    active: boolean;
    runtimeStatus: string;
    /** The outcome once ended (`terminated` for a run stopped through the Durable API). */
    outcome: string | null;
    requestIds: string[];
    createdTime: string | null;
    lastUpdatedTime: string | null;
    /** The completion event the run published (as it stands on `golive-events`); null while active. */
    completionEvent: CloudEvent<CompletionData> | null;
  };

export function runView(status: InstanceStatus): RunView | undefined {
  const run = readRun(status);
  if (!run) return undefined;
  const { record: r, active } = run;
  let state: string;
  if (run.finished) state = r.outcome ?? 'failed';
  else if (run.runtimeStatus === 'Terminated') state = 'terminated';
  else if (run.runtimeStatus === 'Failed' || run.runtimeStatus === 'Canceled') state = 'failed';
  else if (run.runtimeStatus === 'Pending') state = 'pending';
  else state = r.state;
  const view: RunView = {
    publisherId: r.target.publisherId,
    offerId: r.target.offerId,
    api: r.target.api,
    instanceId: run.instanceId ?? '',
    runId: r.runId,
    runNumber: r.runNumber,
    state,
    active,
    runtimeStatus: run.runtimeStatus,
    operationId: r.operationId ?? null,
    operationStatus: r.operationStatus ?? null,
    acceptedAt: r.acceptedAt ?? null,
    phase: r.phase ?? null,
    steps: r.steps,
    progressPercentage: r.progressPercentage ?? null,
    pollCount: r.pollCount,
    lastCheckedAt: r.lastCheckedAt ?? null,
    nextCheckAt: active ? (r.nextCheckAt ?? null) : null,
    nextCheckReason: active ? (r.nextCheckReason ?? null) : null,
    expectedEnd: active ? (r.expectedEnd ?? null) : null,
    outcome: run.finished ? (r.outcome ?? null) : active ? null : state,
    error: run.finished ? (r.error ?? null) : null,
    requestIds: run.requestIds,
    requests: r.requests,
    startedAt: r.startedAt || null,
    deadlineAt: r.deadlineAt || null,
    completedAt: run.finished ? (r.completedAt ?? null) : active ? null : (run.lastUpdatedTime ?? null),
    durationSeconds: run.finished ? (r.durationSeconds ?? null) : null,
    warnings: r.warnings,
    createdTime: run.createdTime ?? null,
    lastUpdatedTime: run.lastUpdatedTime ?? null,
    previousRuns: r.previousRuns,
    checks: r.checks,
    completionEvent: run.finished ? completionEventOf(r) : null,
  };
  if (r.target.productId !== undefined) view.productId = r.target.productId;
  return view;
}

/** Whether a listed status lacks what only the instance input holds (listing may omit inputs). */
export function needsInput(status: InstanceStatus): boolean {
  const run = readRun(status);
  return run === undefined || (!run.hasInput && !run.finished);
}

/** Whether a listed instance is a go-live run. */
export function isRunStatus(status: InstanceStatus): boolean {
  return (
    (status.name === undefined ||
      RUN_ORCHESTRATOR_NAMES.includes(status.name) ||
      status.name === RECONCILE_ORCHESTRATOR_NAME) &&
    status.instanceId !== undefined &&
    isRunInstanceId(status.instanceId)
  );
}

import { type StateFilter } from './states';
export { STATE_FILTERS, type StateFilter } from './states';

export function matchesState(view: RunView, filter: StateFilter): boolean {
  return filter === 'running' ? view.active : view.state === filter;
}

function completionEventOf(record: RunRecord): CloudEvent<CompletionData> | null {
  if (record.outcome === undefined || record.completedAt === undefined) return null;
  try {
    return buildCompletionEvent(
      toOutput({
        ...record,
        outcome: record.outcome,
        completedAt: record.completedAt,
        durationSeconds: record.durationSeconds ?? 0,
      }),
    );
  } catch {
    return null;
  }
}
