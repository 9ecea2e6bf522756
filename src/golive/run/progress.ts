import type { CancelReadDecision } from '../cancelConfirmation';
import { cancelRefused } from '../cancelConfirmation';
import type {
  CancelOperationResult,
  FindRunningOperationResult,
  ReadOperationResult,
  SubmitGoLiveResult,
} from '../contracts';
import type { JoinVerdict, RunJoin } from './membership';
import {
  type FinishedRecord,
  MAX_RUN_CHECKS,
  type RunDriver,
  type RunError,
  type RunOutcome,
  type RunOutput,
  type RunRecord,
  type RunSettings,
  toOutput,
} from './record';

/**
 * What the partner API's answers do to the run record, and the lines the run logs about them: plain functions the
 * orchestration (`orchestration.ts`) calls after each step. Nothing here knows Durable Functions.
 */

export const MAX_WARNINGS = 10;
export const NEW_DRIVER: RunDriver = { readErrors: 0, generation: 0 };

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface Note {
  message: string;
  level: Level;
}
/** How the run ends. */
export interface Ending {
  outcome: RunOutcome;
  error?: RunError;
}
/** An activity call that failed (the activity threw, or its retries ran out). */
export interface Threw {
  threw: RunError;
}

const threw = (answer: object): answer is Threw => 'threw' in answer;

// ---- answers: a failed call means what the step's own vocabulary says ----

/** A submit that threw may have reached the partner API: its outcome is unknown. */
export function submitAnswer(answer: SubmitGoLiveResult | Threw): SubmitGoLiveResult {
  return threw(answer) ? { kind: 'outcomeUnknown', error: answer.threw } : answer;
}
export function findAnswer(answer: FindRunningOperationResult | Threw): FindRunningOperationResult {
  return threw(answer) ? { kind: 'error', error: answer.threw } : answer;
}
export function readAnswer(answer: ReadOperationResult | Threw): ReadOperationResult {
  return threw(answer) ? { kind: 'transient', error: answer.threw } : answer;
}
export function cancelAnswer(answer: CancelOperationResult | Threw): CancelOperationResult {
  return threw(answer) ? { kind: 'error', error: answer.threw } : answer;
}

/** A history-safe error for an activity that threw. */
export function failure(e: unknown): RunError {
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'ActivityFailed', message: message.length > 1000 ? `${message.slice(0, 1000)}…` : message };
}

// ---- the record ----

/** Operation ids earlier runs of the offer followed (never attached to once finished). */
export function earlierOps(r: RunRecord): string[] {
  return r.previousRuns.flatMap((run) => (run.operationId === undefined ? [] : [run.operationId]));
}

type Follows =
  | Extract<SubmitGoLiveResult, { kind: 'accepted' | 'attached' }>
  | Extract<FindRunningOperationResult, { kind: 'found' }>;

/** The run follows an operation: the one it started (`accepted`), or one it found running (read at once). */
export function attach(r: RunRecord, answer: Follows, now: Date): Note {
  r.operationId = answer.operationId;
  r.operationUrl = answer.operationUrl;
  r.acceptedAt = now.toISOString();
  r.state = 'polling';
  if (answer.kind === 'accepted') {
    if (answer.minPollIntervalSeconds !== undefined) r.pollFloorSeconds = answer.minPollIntervalSeconds;
    return { message: `Go Live accepted, operation ${answer.operationId}`, level: 'info' };
  }
  r.attached = true;
  r.nextCheckAt = now.toISOString();
  r.operationStatus = answer.rawStatus;
  const message =
    answer.kind === 'found'
      ? `outcome unknown resolved: attached to operation ${answer.operationId}`
      : `attached to running operation ${answer.operationId}`;
  return { message, level: 'info' };
}

export function alreadyLive(r: RunRecord, answer: Extract<SubmitGoLiveResult, { kind: 'alreadyLive' }>): Note {
  r.operationId = answer.operationId;
  r.operationStatus = answer.rawStatus;
  r.steps = answer.steps;
  if (answer.progressPercentage !== undefined) r.progressPercentage = answer.progressPercentage;
  if (answer.phase !== undefined) r.phase = answer.phase;
  r.alreadyLive = true;
  addWarning(r, answer.warning);
  return { message: `already live (${answer.operationId}): no Go Live sent`, level: 'info' };
}

/** A read of the operation: the check, the status, the floor; the lines a person cares about. */
export function recordRead(r: RunRecord, read: ReadOperationResult, now: Date, readErrors: number): Note[] {
  r.pollCount += 1;
  r.lastCheckedAt = now.toISOString();
  r.checks.push(
    read.kind === 'status'
      ? { at: r.lastCheckedAt, status: read.rawStatus, ...progressOf(read) }
      : { at: r.lastCheckedAt, status: 'error', error: read.error.code },
  );
  if (r.checks.length > MAX_RUN_CHECKS) r.checks.splice(0, r.checks.length - MAX_RUN_CHECKS);
  if (read.kind !== 'permanent' && read.minPollIntervalSeconds !== undefined) {
    r.pollFloorSeconds = read.minPollIntervalSeconds;
  }
  if (read.kind === 'permanent') {
    return [{ message: `reading the operation failed: ${describeError(read.error)}`, level: 'error' }];
  }
  if (read.kind === 'transient') {
    addWarning(r, `transient error reading the operation: ${read.error.code}`);
    if (readErrors !== 1) return [];
    return [{ message: `reading the operation failed, will retry: ${describeError(read.error)}`, level: 'warn' }];
  }
  const notes: Note[] = [];
  const before = { status: r.operationStatus, progress: r.progressPercentage, steps: r.steps };
  recordStatus(r, read);
  if (read.operationUrl !== undefined && read.operationUrl !== r.operationUrl) {
    // The adapter moved on to the go-live's next phase (Product Ingestion: the live submission).
    notes.push({ message: `following ${read.operationId} from now on`, level: 'info' });
    r.operationUrl = read.operationUrl;
    r.operationId = read.operationId;
  }
  if (read.phase !== undefined) r.phase = read.phase;
  const change = describeChange(before, { status: r.operationStatus, progress: r.progressPercentage, steps: r.steps });
  if (change) notes.push({ message: `check ${r.pollCount}: ${change}`, level: 'info' });
  if (read.state === 'unknown') addWarning(r, `unknown operation status "${read.rawStatus}" (treated as running)`);
  return notes;
}

/** A read after the cancel: counted, and its status shown. */
export function recordCancelRead(r: RunRecord, read: ReadOperationResult, now: Date): void {
  r.pollCount += 1;
  r.lastCheckedAt = now.toISOString();
  if (read.kind === 'status') recordStatus(r, read);
}

function recordStatus(r: RunRecord, read: Extract<ReadOperationResult, { kind: 'status' }>): void {
  r.operationStatus = read.rawStatus;
  r.steps = read.steps;
  if (read.progressPercentage !== undefined) r.progressPercentage = read.progressPercentage;
}

const progressOf = (read: { progressPercentage?: number | undefined }) =>
  read.progressPercentage !== undefined ? { progress: read.progressPercentage } : {};

export function addWarning(r: RunRecord, warning: string): void {
  if (r.warnings.includes(warning)) return;
  r.warnings.push(warning);
  if (r.warnings.length > MAX_WARNINGS) r.warnings.shift();
}

/**
 * Whether a failed operation is worth another Go Live, as the partner adapter advises (e.g. a Product Ingestion
 * job that collided with a submission in progress); if so forgets the operation so the submit runs again (it
 * attaches to a running go-live before it posts anything). At most `advice.maxTimes` resubmits per run.
 */
export function resubmitOnAdvice(
  r: RunRecord,
  advice: { reason: string; maxTimes: number } | undefined,
  log: (note: Note) => void,
): boolean {
  const resubmits = r.resubmits ?? 0;
  if (advice === undefined || resubmits >= advice.maxTimes) return false;
  r.resubmits = resubmits + 1;
  const what = `operation ${r.operationId ?? ''} failed with ${advice.reason}`;
  addWarning(r, `${what}; submitting the Go Live again`);
  log({ message: `${what}; submitting again (${r.resubmits})`, level: 'warn' });
  delete r.operationId;
  delete r.operationUrl;
  delete r.attached;
  delete r.phase;
  return true;
}

// ---- endings ----

export function timedOut(r: RunRecord, settings: RunSettings): Ending {
  const operation = r.operationId ? `operation ${r.operationId} was left running` : 'no operation';
  const message = `no terminal status within ${settings.deadlineMinutes} minutes; ${operation}`;
  return { outcome: 'timedOut', error: { code: 'DeadlineExceeded', message } };
}

export function cancelRefusedEnding(r: RunRecord, error: RunError): Ending {
  addWarning(r, 'the partner API did not accept the cancel; the operation may still run');
  return { outcome: 'canceled', error: cancelRefused(error, r.operationId) };
}

export function cancelEnding(
  r: RunRecord,
  decision: Extract<CancelReadDecision, { kind: 'end' }>,
  log: (note: Note) => void,
): Ending {
  if (decision.warning) addWarning(r, decision.warning);
  const confirmed = decision.outcome === 'canceled' && !decision.error;
  log({ message: `cancel ${confirmed ? 'confirmed' : `ended ${decision.outcome}`}`, level: 'info' });
  return decision.error ? { outcome: decision.outcome, error: decision.error } : { outcome: decision.outcome };
}

/** The record the run ends with, and the output (what the completion event says). */
export function finish(r: RunRecord, ending: Ending, now: Date): { record: FinishedRecord; output: RunOutput } {
  const { nextCheckAt: _next, nextCheckReason: _why, expectedEnd: _end, ...rest } = r;
  const record: FinishedRecord = {
    ...rest,
    state: ending.outcome,
    outcome: ending.outcome,
    ...(ending.error ? { error: ending.error } : {}),
    completedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(r.startedAt)) / 1000)),
  };
  return { record, output: toOutput(record) };
}

// ---- lines ----

export function startNote(r: RunRecord): Note {
  return {
    message: `run ${r.runNumber} started for requests ${r.requests.map((q) => q.requestId).join(', ')}`,
    level: 'info',
  };
}

export function cancelNote(data: unknown): Note {
  const by = (data as { requestedBy?: unknown } | undefined)?.requestedBy;
  return { message: `cancel requested${typeof by === 'string' ? ` by ${by}` : ''}`, level: 'info' };
}

export function joinNote(join: RunJoin, verdict: JoinVerdict, requests: number): Note {
  if (verdict !== 'taken') return { message: `request ${join.requestId} not taken: ${verdict}`, level: 'debug' };
  const by = join.requestedBy ? ` (${join.requestedBy})` : '';
  return { message: `request ${join.requestId}${by} joined the run (${requests} requests)`, level: 'info' };
}

/** The run's end line. */
export function endNote(record: FinishedRecord): Note {
  const reason = record.error ? `: ${describeError(record.error)}` : '';
  const took = `after ${record.pollCount} checks, ${record.durationSeconds} s`;
  const level: Level = record.outcome === 'failed' ? 'error' : record.outcome === 'succeeded' ? 'info' : 'warn';
  return { message: `run ended ${record.outcome} ${took}${reason}`, level };
}

/** `code: message (HTTP n)`: the partner's reason as a log line gives it. */
export function describeError(error: RunError): string {
  const status = error.statusCode !== undefined ? ` (HTTP ${error.statusCode})` : '';
  return `${error.code}: ${error.message}${status}`;
}

type Observed = {
  status?: string | undefined;
  progress?: number | undefined;
  steps: readonly { name: string; status: string; progress?: number | undefined }[];
};

/** What changed between two reads of the operation, in words; empty when nothing did. */
export function describeChange(before: Observed, after: Observed): string {
  const parts: string[] = [];
  const pct = (p: number | undefined): string => (p === undefined ? '' : ` ${p}%`);
  if (before.status !== after.status || before.progress !== after.progress) {
    parts.push(`operation ${after.status ?? 'unknown'}${pct(after.progress)}`);
  }
  for (const step of after.steps) {
    const old = before.steps.find((s) => s.name === step.name);
    if (!old || old.status !== step.status || old.progress !== step.progress) {
      parts.push(`step "${step.name}" ${step.status}${pct(step.progress)}`);
    }
  }
  return parts.join('; ');
}
