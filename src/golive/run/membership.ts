import { stepDurations } from '../polling/stepClock';
import { REQUEST_ID_PATTERN, REQUESTED_BY_MAX } from '../request';
import type { Run, RunError, RunRecord, RunRequest, RunSummary } from './record';

/**
 * Which requests a run accounts for, in one place. The run alone decides (`joinVerdict`, in the orchestrator); the
 * starter reads what it decided (`requestSeen`) and raises a join again when a `continueAsNew` may have dropped it
 * (`joinNeedsResend`). A request is accounted for by exactly one run: the one that records its id. Its completion
 * event lists exactly the ids it records.
 *
 * - A join is taken when it is addressed to this run (`runId`, when given), its id is not one this run or an
 *   earlier run of the offer recorded (`previousRuns`), the run has not yet decided to complete, and the run has
 *   room (`MAX_RUN_REQUESTS`).
 * - A request id the current run or a run it carries recorded is a redelivery: nothing to do.
 * - A join the run did not take starts or joins the next run (the starter keeps the message until one records it).
 */

/**
 * Most requests a run records. The custom status shows only the newest (it is limited to 16 KB); the output lists
 * them all and the completion event pages them. A join beyond this is not taken: the starter leaves its message on
 * the queue, so it joins or starts a later run.
 */
export const MAX_RUN_REQUESTS = 1_000;
/** Previous runs a run always carries (newest first). */
export const MAX_PREVIOUS_RUNS = 10;
/**
 * Older runs are carried as well while they ended within this window: a message of theirs can still come back
 * (visibility timeout 30 s x maxDequeueCount 5, a function timeout of 10 min, host restarts), and a redelivery must
 * find its id. Bounded by `MAX_REMEMBERED_RUNS` all the same.
 */
export const REDELIVERY_WINDOW_MS = 30 * 60_000;
export const MAX_REMEMBERED_RUNS = 30;

/** The `requestJoined` event data: the request, addressed to the run the starter saw. */
export interface RunJoin extends RunRequest {
  runId?: string;
}

/** Whether an event payload is a joined request (`requestJoined` data comes from our own starter, but is checked). */
export function isValidJoin(value: unknown): value is RunJoin {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.requestId === 'string' &&
    REQUEST_ID_PATTERN.test(v.requestId) &&
    typeof v.receivedAt === 'string' &&
    (v.runId === undefined || typeof v.runId === 'string') &&
    (v.requestedBy === undefined || (typeof v.requestedBy === 'string' && v.requestedBy.length <= REQUESTED_BY_MAX))
  );
}

export type JoinVerdict = 'taken' | 'otherRun' | 'earlierRun' | 'closed' | 'duplicate' | 'full';

/** Whether the run takes a joined request; `closed` once it has decided to complete. */
export function joinVerdict(record: RunRecord, join: RunJoin, closed: boolean): JoinVerdict {
  if (join.runId !== undefined && join.runId !== record.runId) return 'otherRun';
  if (record.previousRuns.some((run) => run.requestIds.includes(join.requestId))) return 'earlierRun';
  if (closed) return 'closed';
  if (record.requests.some((r) => r.requestId === join.requestId)) return 'duplicate';
  if (record.requests.length >= MAX_RUN_REQUESTS) return 'full';
  return 'taken';
}

/** The request as the run records it (without the address). */
export function requestOf(join: RunJoin): RunRequest {
  const entry: RunRequest = { requestId: join.requestId, receivedAt: join.receivedAt };
  if (join.requestedBy !== undefined) entry.requestedBy = join.requestedBy;
  return entry;
}

/** Whether a request id was handled by the run or one of the previous runs it carries (a redelivery). */
export function requestSeen(run: Run, requestId: string): boolean {
  return run.requestIds.includes(requestId) || run.record.previousRuns.some((p) => p.requestIds.includes(requestId));
}

/** Whether the run is full: a join would not be taken. */
export function runFull(run: Run): boolean {
  return run.requestCount >= MAX_RUN_REQUESTS;
}

/**
 * Whether a join raised while the run was in generation `raisedAt` must be raised again: the run has continued as
 * new since and does not show the request. An event that reached the episode calling `continueAsNew` after the
 * orchestrator's last step is dropped with that generation; raising it again carries it into the next one (a copy
 * the run already took is ignored by request id).
 */
export function joinNeedsResend(raisedAt: number, run: Run, requestId: string): boolean {
  return run.active && run.generation > raisedAt && !run.requestIds.includes(requestId);
}

/**
 * Where a join raised to run `runId` in generation `raisedAt` stands, from a read of the instance: `recorded` once
 * the run shows the request; `ended` when the run ended or another run replaced it without taking it; `full` when
 * the run takes no more; else `waiting`. `resend`: raise it again (see `joinNeedsResend`).
 */
export function joinState(
  run: Run | undefined,
  join: { requestId: string; runId: string | undefined },
  raisedAt: number,
): { state: 'recorded' | 'ended' | 'full' | 'waiting'; resend: boolean } {
  if (!run) return { state: 'ended', resend: false };
  if (run.requestIds.includes(join.requestId)) return { state: 'recorded', resend: false };
  if (!run.active || run.record.runId !== join.runId) return { state: 'ended', resend: false };
  return { state: runFull(run) ? 'full' : 'waiting', resend: joinNeedsResend(raisedAt, run, join.requestId) };
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

/**
 * The ended run's summary plus the runs it carried: the previous runs list of the next run (newest first). A run
 * that ended without our output (failed or terminated) is summarized from what its input says.
 */
export function previousRunsAfter(
  run: Run | undefined,
  now: Date = new Date(),
): { previousRuns: RunSummary[]; lastRunNumber: number } {
  if (!run || (!run.finished && !run.hasInput)) return { previousRuns: [], lastRunNumber: 0 };
  const { record } = run;
  const summary: RunSummary = {
    runId: record.runId,
    runNumber: record.runNumber,
    outcome: run.finished ? (record.outcome ?? 'failed') : 'failed',
    requestIds: run.requestIds,
    startedAt: record.startedAt,
    completedAt: run.finished ? (record.completedAt ?? record.startedAt) : (run.lastUpdatedTime ?? record.startedAt),
    pollCount: record.pollCount,
  };
  if (record.operationId !== undefined) summary.operationId = record.operationId;
  const durations = stepDurations(record.stepTimes ?? []);
  if (Object.keys(durations).length > 0) summary.stepDurations = durations;
  const error: RunError | undefined = run.finished
    ? record.error
    : {
        code: run.runtimeStatus === 'Terminated' ? 'RunTerminated' : 'RunFailed',
        message: `the run's orchestration ${run.runtimeStatus}`,
      };
  if (error) {
    summary.error = { code: error.code, message: error.message.slice(0, 500) };
    if (error.statusCode !== undefined) summary.error.statusCode = error.statusCode;
  }
  return { previousRuns: keptRuns([summary, ...record.previousRuns], now), lastRunNumber: record.runNumber };
}
