import { buildCompletionEvent, type CloudEvent, type CompletionData } from '../events/completionEvent';
import { isRunInstanceId } from './runIdentity';
import {
  ORCHESTRATOR_NAME,
  RECONCILE_ORCHESTRATOR_NAME,
  RUN_STATES,
  type RunCheck,
  type RunCustomStatus,
  type RunError,
  type RunInput,
  type RunOutput,
  type RunRequest,
  type RunState,
  type RunStep,
  type RunSummary,
} from './types';

/**
 * Reading a run from its Durable instance status (input, custom status, output), for the starter's duplicate
 * checks and for the HTTP status routes. Values in a status come from storage: everything is checked, nothing
 * is trusted to have our shape.
 */

/** What the starter and the routes need of `DurableOrchestrationStatus`. */
export interface InstanceStatus {
  name?: string;
  instanceId?: string;
  runtimeStatus: string;
  input?: unknown;
  output?: unknown;
  customStatus?: unknown;
  createdTime?: Date | string;
  lastUpdatedTime?: Date | string;
}

export const ACTIVE_RUNTIME_STATUSES = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

export function isActive(status: InstanceStatus): boolean {
  return ACTIVE_RUNTIME_STATUSES.has(status.runtimeStatus);
}

/** Previous runs a run always carries (newest first). */
export const MAX_PREVIOUS_RUNS = 10;
/**
 * Older runs are carried as well while they ended within this window: a message of theirs can still come back
 * (visibility timeout 30 s x maxDequeueCount 5, a function timeout of 10 min, host restarts), and a redelivery must
 * find its id. Bounded by `MAX_REMEMBERED_RUNS` all the same.
 */
export const REDELIVERY_WINDOW_MS = 30 * 60_000;
export const MAX_REMEMBERED_RUNS = 30;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asRunInput(v: unknown): RunInput | undefined {
  return isObject(v) && typeof v.runId === 'string' && isObject(v.target) && Array.isArray(v.requests)
    ? (v as unknown as RunInput)
    : undefined;
}

function asRunOutput(v: unknown): RunOutput | undefined {
  return isObject(v) && typeof v.runId === 'string' && typeof v.outcome === 'string' && Array.isArray(v.requestIds)
    ? (v as unknown as RunOutput)
    : undefined;
}

function asCustomStatus(v: unknown): RunCustomStatus | undefined {
  return isObject(v) && typeof v.runId === 'string' && Array.isArray(v.requestIds)
    ? (v as unknown as RunCustomStatus)
    : undefined;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Every request id the instance's current run has recorded. A finished run's output is the record (it is what the
 * completion event lists); while the run is active, its input and custom status.
 */
export function recordedRequestIds(status: InstanceStatus): Set<string> {
  const ids = new Set<string>();
  const output = asRunOutput(status.output);
  if (output) {
    for (const id of stringList(output.requestIds)) ids.add(id);
    return ids;
  }
  const input = asRunInput(status.input);
  for (const r of input?.requests ?? []) if (typeof r.requestId === 'string') ids.add(r.requestId);
  for (const id of stringList(asCustomStatus(status.customStatus)?.requestIds)) ids.add(id);
  return ids;
}

/** How many requests the run has recorded (its custom status says, else the ids seen). */
export function requestCountOf(status: InstanceStatus): number {
  const count = (asCustomStatus(status.customStatus) as { requestCount?: unknown } | undefined)?.requestCount;
  return typeof count === 'number' ? count : recordedRequestIds(status).size;
}

/** Whether a request id was handled by the instance's current run or one of the previous runs it carries. */
export function requestSeen(status: InstanceStatus, requestId: string): boolean {
  if (recordedRequestIds(status).has(requestId)) return true;
  const previous = asRunOutput(status.output)?.previousRuns ?? asRunInput(status.input)?.previousRuns ?? [];
  return previous.some((run) => stringList(run.requestIds).includes(requestId));
}

/**
 * The runs to carry (newest first): the `MAX_PREVIOUS_RUNS` newest, and older ones that ended within the
 * redelivery window, at most `MAX_REMEMBERED_RUNS` in all.
 */
export function keptRuns(runs: RunSummary[], now: Date): RunSummary[] {
  const since = now.getTime() - REDELIVERY_WINDOW_MS;
  return runs
    .filter((run, i) => i < MAX_PREVIOUS_RUNS || Date.parse(run.completedAt) >= since)
    .slice(0, MAX_REMEMBERED_RUNS);
}

/** The finished run's summary plus the runs it carried: the previous runs list of the next run (newest first). */
export function previousRunsAfter(
  status: InstanceStatus,
  now: Date = new Date(),
): { previousRuns: RunSummary[]; lastRunNumber: number } {
  const output = asRunOutput(status.output);
  const input = asRunInput(status.input);
  if (output) {
    const summary: RunSummary = {
      runId: output.runId,
      runNumber: output.runNumber,
      outcome: output.outcome,
      requestIds: output.requestIds,
      startedAt: output.startedAt,
      completedAt: output.completedAt,
      pollCount: output.pollCount,
    };
    if (output.operationId !== undefined) summary.operationId = output.operationId;
    if (output.error) {
      summary.error = { code: output.error.code, message: output.error.message.slice(0, 500) };
      if (output.error.statusCode !== undefined) summary.error.statusCode = output.error.statusCode;
    }
    return {
      previousRuns: keptRuns([summary, ...(output.previousRuns ?? [])], now),
      lastRunNumber: output.runNumber,
    };
  }
  if (input) {
    // The orchestration failed or was terminated without our output: keep what its input says.
    const summary: RunSummary = {
      runId: input.runId,
      runNumber: input.runNumber,
      outcome: 'failed',
      requestIds: input.requests.map((r) => r.requestId),
      startedAt: input.startedAt,
      completedAt: toIso(status.lastUpdatedTime) ?? input.startedAt,
      pollCount: input?.progress?.pollCount ?? 0,
      error: {
        code: `Orchestration${status.runtimeStatus}`,
        message: `the run's orchestration ${status.runtimeStatus}`,
      },
    };
    if (input?.progress?.operationId !== undefined) summary.operationId = input.progress.operationId;
    return {
      previousRuns: keptRuns([summary, ...(input.previousRuns ?? [])], now),
      lastRunNumber: input.runNumber,
    };
  }
  return { previousRuns: [], lastRunNumber: 0 };
}

/** The run as the HTTP routes show it. */
export interface RunView {
  publisherId: string;
  offerId: string;
  api: string;
  productId?: string;
  instanceId: string;
  runId: string;
  runNumber: number;
  /** submitting, polling, canceling, succeeded, failed, canceled, timedOut; pending before the first step; terminated. */
  state: string;
  active: boolean;
  runtimeStatus: string;
  operationId: string | null;
  operationStatus: string | null;
  steps: RunStep[];
  progressPercentage: number | null;
  pollCount: number;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
  outcome: string | null;
  error: RunError | null;
  requestIds: string[];
  requests: RunRequest[];
  startedAt: string | null;
  deadlineAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
  warnings: string[];
  createdTime: string | null;
  lastUpdatedTime: string | null;
  previousRuns: RunSummary[];
  /** The newest operation reads, oldest first (at most `MAX_RUN_CHECKS`). */
  checks: RunCheck[];
  /** The completion event the run published (as it stands on `golive-events`); null while active. */
  completionEvent: CloudEvent<CompletionData> | null;
}

export function runView(status: InstanceStatus): RunView | undefined {
  const input = asRunInput(status.input);
  const output = asRunOutput(status.output);
  const custom = asCustomStatus(status.customStatus);
  const target = output?.target ?? input?.target;
  const runId = output?.runId ?? custom?.runId ?? input?.runId;
  if (!target || runId === undefined) return undefined;
  const active = isActive(status);
  const requests = output?.requests ?? input?.requests ?? [];
  const requestIds = [...recordedRequestIds(status)];
  let state: string;
  if (output) state = output.outcome;
  else if (status.runtimeStatus === 'Terminated') state = 'terminated';
  else if (status.runtimeStatus === 'Failed' || status.runtimeStatus === 'Canceled') state = 'failed';
  else
    state = custom?.state ?? (status.runtimeStatus === 'Pending' ? 'pending' : (input?.progress?.state ?? 'pending'));

  const view: RunView = {
    publisherId: target.publisherId,
    offerId: target.offerId,
    api: target.api,
    instanceId: status.instanceId ?? '',
    runId,
    runNumber: output?.runNumber ?? input?.runNumber ?? 0,
    state,
    active,
    runtimeStatus: status.runtimeStatus,
    operationId: output?.operationId ?? custom?.operationId ?? input?.progress?.operationId ?? null,
    operationStatus: output?.operationStatus ?? custom?.operationStatus ?? input?.progress?.operationStatus ?? null,
    steps: output?.steps ?? custom?.steps ?? input?.progress?.steps ?? [],
    progressPercentage: output?.progressPercentage ?? custom?.progressPercentage ?? null,
    pollCount: output?.pollCount ?? custom?.pollCount ?? input?.progress?.pollCount ?? 0,
    lastCheckedAt: custom?.lastCheckedAt ?? input?.progress?.lastCheckedAt ?? null,
    nextCheckAt: active ? (custom?.nextCheckAt ?? input?.progress?.nextCheckAt ?? null) : null,
    outcome: output?.outcome ?? (active ? null : state),
    error: output?.error ?? null,
    requestIds,
    requests: requests.filter((r) => requestIds.includes(r.requestId)),
    startedAt: output?.startedAt ?? custom?.startedAt ?? input?.startedAt ?? null,
    deadlineAt: custom?.deadlineAt ?? input?.deadlineAt ?? null,
    completedAt: output?.completedAt ?? (active ? null : (toIso(status.lastUpdatedTime) ?? null)),
    durationSeconds: output?.durationSeconds ?? null,
    warnings: output?.warnings ?? custom?.warnings ?? [],
    createdTime: toIso(status.createdTime) ?? null,
    lastUpdatedTime: toIso(status.lastUpdatedTime) ?? null,
    previousRuns: output?.previousRuns ?? input?.previousRuns ?? [],
    checks: output?.checks ?? custom?.checks ?? input?.progress?.checks ?? [],
    completionEvent: output ? completionEventOf(output) : null,
  };
  if (target.productId !== undefined) view.productId = target.productId;
  return view;
}

/** Whether a view lacks what only the instance input holds (listing may omit inputs). */
export function needsInput(status: InstanceStatus): boolean {
  return asRunInput(status.input) === undefined && asRunOutput(status.output) === undefined;
}

/** Whether a listed instance is a go-live run. */
export function isRunStatus(status: InstanceStatus): boolean {
  return (
    (status.name === undefined || status.name === ORCHESTRATOR_NAME || status.name === RECONCILE_ORCHESTRATOR_NAME) &&
    status.instanceId !== undefined &&
    isRunInstanceId(status.instanceId)
  );
}

/** `state` filter values of `GET /api/golive`: a run state, or `running` (any active run), `pending`, `terminated`. */
export type StateFilter = 'running' | 'pending' | RunState | 'terminated';
export const STATE_FILTERS: readonly StateFilter[] = ['running', 'pending', ...RUN_STATES, 'terminated'];

export function matchesState(view: RunView, filter: StateFilter): boolean {
  return filter === 'running' ? view.active : view.state === filter;
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function completionEventOf(output: RunOutput): CloudEvent<CompletionData> | null {
  try {
    return buildCompletionEvent(output);
  } catch {
    return null;
  }
}
