import {
  afterCancelRead,
  cancelConfirmDelaySeconds,
  cancelRefused,
  MAX_CANCEL_CONFIRM_READS,
} from '../cancelConfirmation';
import {
  ACTIVITY,
  type CancelOperationResult,
  type FindRunningOperationResult,
  type ReadOperationResult,
  type SubmitGoLiveResult,
} from '../contracts';
import { operationError, outcomeOfOperation } from '../outcome';
import { joinVerdict, requestOf, type RunJoin } from '../run/membership';
import {
  type FinishedRecord,
  MAX_RUN_CHECKS,
  type RunCheck,
  type RunError,
  type RunOutcome,
  type RunRecord as Record_,
  type RunSettings,
} from '../run/record';
import { nextCheckTime, nextPollDelaySeconds, submitRetryDelaySeconds } from './pollingPolicy';

/** The record as this orchestrator keeps it: with its bookkeeping (`readErrors`, `generation`) inside. */
export type RunRecord = Record_ & { readErrors: number; generation: number };

/**
 * The run's decisions, as pure functions: `next(state, observation, context) -> { state, action, notes }`. The
 * driver (`orchestration.ts`) performs the action (an activity call, a durable timer, `continueAsNew`, the end) and
 * feeds what came back in as the next observation. Nothing here knows Durable Functions or which partner API runs;
 * the adapter's answers arrive as the activities' typed results.
 *
 * submit Go Live -> (outcome unknown: look for a running operation) -> loop { wait (cancelable) -> read } ->
 * on cancel: cancel the operation, then read it until it is terminal (bounded) -> end.
 */

export const MAX_WARNINGS = 10;

/** What the run waits for: the answer of the call it made, or the end of its wait. */
export type Step =
  | { at: 'submit'; attempt: number; lastError?: RunError }
  | { at: 'find'; attempt: number; lastError: RunError }
  | { at: 'submitWait'; attempt: number; lastError?: RunError }
  | { at: 'pollWait' }
  | { at: 'read' }
  | { at: 'cancel' }
  | { at: 'cancelWait'; reads: number }
  | { at: 'cancelRead'; reads: number }
  | { at: 'end' };

export interface RunProgress {
  record: RunRecord;
  step: Step;
  /** Reads since this generation started (`continueAsNew` after `pollsPerHistory`). */
  polls: number;
}

export interface DecisionContext {
  now: Date;
  settings: RunSettings;
  /** A cancel event reached the run (it is acted on before the next wait). */
  cancelRequested?: boolean;
}

export type Observation =
  | { kind: 'start' }
  | { kind: 'answer'; value: unknown }
  | { kind: 'threw'; error: RunError }
  | { kind: 'waited'; canceled: boolean };

export type Action =
  | { kind: 'call'; activity: (typeof ACTIVITY)[keyof typeof ACTIVITY]; input: unknown }
  | { kind: 'wait'; until: Date; cancelable: boolean }
  | { kind: 'continueAsNew' }
  | { kind: 'end'; outcome: RunOutcome; error?: RunError };

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface Note {
  message: string;
  level: Level;
}

export interface Decision {
  state: RunProgress;
  action: Action;
  notes: Note[];
}

export function begin(record: RunRecord): RunProgress {
  return { record, step: { at: 'end' }, polls: 0 };
}

export function next(previous: RunProgress, observation: Observation, context: DecisionContext): Decision {
  const state: RunProgress = structuredClone(previous);
  const r = state.record;
  const { now, settings } = context;
  const deadline = new Date(r.deadlineAt);
  const notes: Note[] = [];
  const note = (message: string, level: Level = 'info'): void => void notes.push({ message, level });
  const act = (step: Step, action: Action): Decision => {
    state.step = step;
    return { state, action, notes };
  };
  const call = (step: Step, activity: Action & { kind: 'call' }): Decision => act(step, activity);
  const end = (outcome: RunOutcome, error?: RunError): Decision =>
    act({ at: 'end' }, error ? { kind: 'end', outcome, error } : { kind: 'end', outcome });
  const pastDeadline = (): boolean => now.getTime() >= deadline.getTime();
  const timedOut = (): Decision => {
    const operation = r.operationId ? `operation ${r.operationId} was left running` : 'no operation';
    const message = `no terminal status within ${settings.deadlineMinutes} minutes; ${operation}`;
    return end('timedOut', { code: 'DeadlineExceeded', message });
  };
  const lookup = {
    startedAt: r.startedAt,
    earlierOperationIds: r.previousRuns.flatMap((run) => (run.operationId === undefined ? [] : [run.operationId])),
  };
  const { runId, target } = r;

  const submit = (attempt: number, lastError?: RunError): Decision => {
    if (pastDeadline()) return timedOut();
    r.state = 'submitting';
    const input = { runId, target, attempt, ...lookup };
    return call(
      { at: 'submit', attempt, ...(lastError ? { lastError } : {}) },
      { kind: 'call', activity: ACTIVITY.submitGoLive, input },
    );
  };
  const retrySubmit = (attempt: number, lastError: RunError | undefined, retryAfterSeconds?: number): Decision => {
    if (attempt >= settings.maxSubmitAttempts) {
      const error: RunError = lastError
        ? { ...lastError, message: `Go Live not accepted after ${attempt} attempts: ${lastError.message}` }
        : { code: 'SubmitFailed', message: `Go Live not accepted after ${attempt} attempts` };
      return end('failed', error);
    }
    const delay = submitRetryDelaySeconds({
      attempt,
      retryAfterSeconds,
      intervalSeconds: settings.pollIntervalSeconds,
      maxIntervalSeconds: settings.pollMaxIntervalSeconds,
    });
    const until = nextCheckTime(now, delay, deadline);
    r.nextCheckAt = until.toISOString();
    const step: Step = { at: 'submitWait', attempt, ...(lastError ? { lastError } : {}) };
    return act(step, { kind: 'wait', until, cancelable: true });
  };
  const attach = (operationId: string, operationUrl: string, attached: boolean): void => {
    r.operationId = operationId;
    r.operationUrl = operationUrl;
    r.acceptedAt = now.toISOString();
    r.state = 'polling';
    if (attached) {
      r.attached = true;
      r.nextCheckAt = now.toISOString();
    }
  };
  const poll = (): Decision => {
    if (context.cancelRequested) return cancel();
    if (pastDeadline()) return timedOut();
    r.state = 'polling';
    const at = r.nextCheckAt ? new Date(r.nextCheckAt) : now;
    return act({ at: 'pollWait' }, { kind: 'wait', until: at > deadline ? deadline : at, cancelable: true });
  };
  const read = (step: Step): Decision =>
    call(step, {
      kind: 'call',
      activity: ACTIVITY.readOperation,
      input: { runId, target, operationUrl: r.operationUrl ?? '', previousState: r.state },
    });
  const cancel = (): Decision => {
    r.state = 'canceling';
    delete r.nextCheckAt;
    if (r.operationUrl === undefined) return end('canceled');
    const input = { runId, target, operationUrl: r.operationUrl };
    return call({ at: 'cancel' }, { kind: 'call', activity: ACTIVITY.cancelOperation, input });
  };
  const confirmCancel = (reads: number, now_: boolean): Decision => {
    const delay = cancelConfirmDelaySeconds(settings.pollIntervalSeconds, r.pollFloorSeconds);
    const until = now_ ? now : nextCheckTime(now, delay, deadline);
    if (until > now) return act({ at: 'cancelWait', reads }, { kind: 'wait', until, cancelable: false });
    return read({ at: 'cancelRead', reads });
  };

  const step = previous.step;
  if (observation.kind === 'start') {
    if (r.generation === 0 && r.pollCount === 0 && r.operationUrl === undefined) {
      note(`run ${r.runNumber} started for requests ${r.requests.map((q) => q.requestId).join(', ')}`);
    }
    return r.operationUrl === undefined ? submit(1) : poll();
  }
  if (observation.kind === 'waited') {
    switch (step.at) {
      case 'submitWait':
        return observation.canceled ? end('canceled') : submit(step.attempt + 1, step.lastError);
      case 'pollWait':
        if (observation.canceled) return cancel();
        return pastDeadline() ? timedOut() : read({ at: 'read' });
      case 'cancelWait':
        return read({ at: 'cancelRead', reads: step.reads });
      default:
        throw new Error(`no wait at step ${step.at}`);
    }
  }
  const threw = observation.kind === 'threw' ? observation.error : undefined;
  const value = observation.kind === 'answer' ? observation.value : undefined;
  switch (step.at) {
    case 'submit': {
      const result = threw ? { kind: 'outcomeUnknown' as const, error: threw } : (value as SubmitGoLiveResult);
      switch (result.kind) {
        case 'accepted': {
          attach(result.operationId, result.operationUrl, false);
          note(`Go Live accepted, operation ${result.operationId}`);
          if (result.minPollIntervalSeconds !== undefined) r.pollFloorSeconds = result.minPollIntervalSeconds;
          const delay = pollDelay(r, settings, result.retryAfterSeconds, 0);
          r.nextCheckAt = nextCheckTime(now, delay, deadline).toISOString();
          return poll();
        }
        case 'attached':
          attach(result.operationId, result.operationUrl, true);
          r.operationStatus = result.rawStatus;
          note(`attached to running operation ${result.operationId}`);
          return poll();
        case 'alreadyLive':
          r.operationId = result.operationId;
          r.operationStatus = result.rawStatus;
          r.steps = result.steps;
          if (result.progressPercentage !== undefined) r.progressPercentage = result.progressPercentage;
          if (result.phase !== undefined) r.phase = result.phase;
          r.alreadyLive = true;
          addWarning(r, result.warning);
          note(`already live (${result.operationId}): no Go Live sent`);
          return end('succeeded');
        case 'rejected':
          note(`Go Live rejected: ${describeError(result.error)}`, 'error');
          return end('failed', result.error);
        case 'outcomeUnknown':
          addWarning(r, `Go Live outcome unknown on attempt ${step.attempt}; looked for a running operation`);
          return call(
            { at: 'find', attempt: step.attempt, lastError: result.error },
            { kind: 'call', activity: ACTIVITY.findRunningOperation, input: { runId, target, ...lookup } },
          );
        case 'transient':
          return retrySubmit(step.attempt, result.error, result.retryAfterSeconds);
      }
      break;
    }
    case 'find': {
      const found = threw ? { kind: 'error' as const, error: threw } : (value as FindRunningOperationResult);
      if (found.kind === 'found') {
        attach(found.operationId, found.operationUrl, true);
        r.operationStatus = found.rawStatus;
        note(`outcome unknown resolved: attached to operation ${found.operationId}`);
        return poll();
      }
      return retrySubmit(step.attempt, step.lastError, found.kind === 'error' ? found.retryAfterSeconds : undefined);
    }
    case 'read': {
      const result = threw ? { kind: 'transient' as const, error: threw } : (value as ReadOperationResult);
      r.pollCount += 1;
      state.polls += 1;
      r.lastCheckedAt = now.toISOString();
      const before = { status: r.operationStatus, progress: r.progressPercentage, steps: r.steps };
      addCheck(r, checkOf(r.lastCheckedAt, result));
      if (result.kind !== 'permanent' && result.minPollIntervalSeconds !== undefined) {
        r.pollFloorSeconds = result.minPollIntervalSeconds;
      }
      let delay: number;
      if (result.kind === 'status') {
        r.readErrors = 0;
        r.operationStatus = result.rawStatus;
        r.steps = result.steps;
        if (result.operationUrl !== undefined && result.operationUrl !== r.operationUrl) {
          // The adapter moved on to the go-live's next phase (Product Ingestion: the live submission).
          note(`following ${result.operationId} from now on`);
          r.operationUrl = result.operationUrl;
          r.operationId = result.operationId;
        }
        if (result.phase !== undefined) r.phase = result.phase;
        if (result.progressPercentage !== undefined) r.progressPercentage = result.progressPercentage;
        const change = describeChange(before, {
          status: r.operationStatus,
          progress: r.progressPercentage,
          steps: r.steps,
        });
        if (change) note(`check ${r.pollCount}: ${change}`);
        if (result.state === 'unknown')
          addWarning(r, `unknown operation status "${result.rawStatus}" (treated as running)`);
        const outcome = outcomeOfOperation(result.state);
        if (outcome === 'failed' && resubmitOnAdvice(r, result.submitAgain, note)) return submit(1);
        if (outcome !== undefined) return end(outcome, operationError(outcome, result.rawStatus, result.errors));
        delay = pollDelay(r, settings, result.retryAfterSeconds, 0);
      } else if (result.kind === 'transient') {
        r.readErrors += 1;
        addWarning(r, `transient error reading the operation: ${result.error.code}`);
        if (r.readErrors === 1)
          note(`reading the operation failed, will retry: ${describeError(result.error)}`, 'warn');
        delay = pollDelay(r, settings, result.retryAfterSeconds, r.readErrors);
      } else {
        note(`reading the operation failed: ${describeError(result.error)}`, 'error');
        return end('failed', result.error);
      }
      r.nextCheckAt = nextCheckTime(now, delay, deadline).toISOString();
      if (state.polls >= settings.pollsPerHistory) {
        r.generation += 1;
        note(`continuing as new after ${state.polls} polls (generation ${r.generation})`, 'debug');
        return act({ at: 'end' }, { kind: 'continueAsNew' });
      }
      return poll();
    }
    case 'cancel': {
      const result = threw ? { kind: 'error' as const, error: threw } : (value as CancelOperationResult);
      if (result.kind === 'error') {
        addWarning(r, 'the partner API did not accept the cancel; the operation may still run');
        return end('canceled', cancelRefused(result.error, r.operationId));
      }
      // The run ends once the partner API shows the operation terminal (bounded reads), so it reports what it says.
      return confirmCancel(1, result.completed);
    }
    case 'cancelRead': {
      const result = threw ? { kind: 'transient' as const, error: threw } : (value as ReadOperationResult);
      r.pollCount += 1;
      r.lastCheckedAt = now.toISOString();
      if (result.kind === 'status') {
        r.operationStatus = result.rawStatus;
        r.steps = result.steps;
        if (result.progressPercentage !== undefined) r.progressPercentage = result.progressPercentage;
      }
      const reads = pastDeadline() ? MAX_CANCEL_CONFIRM_READS : step.reads;
      const decision = afterCancelRead(result, reads, MAX_CANCEL_CONFIRM_READS);
      if (decision.kind === 'again') return confirmCancel(step.reads + 1, false);
      if (decision.warning) addWarning(r, decision.warning);
      note(`cancel ${decision.outcome === 'canceled' && !decision.error ? 'confirmed' : `ended ${decision.outcome}`}`);
      return end(decision.outcome, decision.error);
    }
    default:
      break;
  }
  throw new Error(`no answer expected at step ${step.at}`);
}

/** Takes a joined request when the membership rules say so (`run/membership.ts`); `closed` once the run ends. */
export function takeJoin(state: RunProgress, join: RunJoin, closed: boolean): { state: RunProgress; note: Note } {
  const verdict = joinVerdict(state.record, join, closed);
  if (verdict !== 'taken') {
    return { state, note: { message: `request ${join.requestId} not taken: ${verdict}`, level: 'debug' } };
  }
  const record = { ...state.record, requests: [...state.record.requests, requestOf(join)] };
  const by = join.requestedBy ? ` (${join.requestedBy})` : '';
  const message = `request ${join.requestId}${by} joined the run (${record.requests.length} requests)`;
  return { state: { ...state, record }, note: { message, level: 'info' } };
}

/** The record the run ends with. */
export function finish(record: RunRecord, outcome: RunOutcome, error: RunError | undefined, now: Date): FinishedRecord {
  const { nextCheckAt: _next, readErrors: _errors, generation: _generation, ...rest } = record;
  return {
    ...rest,
    state: outcome,
    outcome,
    ...(error ? { error } : {}),
    completedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(record.startedAt)) / 1000)),
  };
}

/** The run's end line. */
export function endNote(record: FinishedRecord): Note {
  const reason = record.error ? `: ${describeError(record.error)}` : '';
  const took = `after ${record.pollCount} checks, ${record.durationSeconds} s`;
  const level: Level = record.outcome === 'failed' ? 'error' : record.outcome === 'succeeded' ? 'info' : 'warn';
  return { message: `run ended ${record.outcome} ${took}${reason}`, level };
}

function pollDelay(r: RunRecord, settings: RunSettings, retryAfterSeconds: number | undefined, errors: number): number {
  return nextPollDelaySeconds({
    retryAfterSeconds,
    consecutiveErrors: errors,
    intervalSeconds: settings.pollIntervalSeconds,
    maxIntervalSeconds: settings.pollMaxIntervalSeconds,
    minIntervalSeconds: r.pollFloorSeconds,
  });
}

function checkOf(at: string, read: ReadOperationResult): RunCheck {
  if (read.kind !== 'status') return { at, status: 'error', error: read.error.code };
  return {
    at,
    status: read.rawStatus,
    ...(read.progressPercentage !== undefined ? { progress: read.progressPercentage } : {}),
  };
}

function addCheck(r: RunRecord, check: RunCheck): void {
  r.checks.push(check);
  if (r.checks.length > MAX_RUN_CHECKS) r.checks.splice(0, r.checks.length - MAX_RUN_CHECKS);
}

function addWarning(r: RunRecord, warning: string): void {
  if (r.warnings.includes(warning)) return;
  r.warnings.push(warning);
  if (r.warnings.length > MAX_WARNINGS) r.warnings.shift();
}

/**
 * Whether a failed operation is worth another Go Live, as the partner adapter advises (e.g. a Product Ingestion
 * job that collided with a submission in progress); if so forgets the operation so the submit step runs again
 * (it attaches to a running go-live before it posts anything). At most `advice.maxTimes` resubmits per run.
 */
function resubmitOnAdvice(
  r: RunRecord,
  advice: { reason: string; maxTimes: number } | undefined,
  note: (message: string, level: Level) => void,
): boolean {
  const resubmits = r.resubmits ?? 0;
  if (advice === undefined || resubmits >= advice.maxTimes) return false;
  r.resubmits = resubmits + 1;
  addWarning(r, `operation ${r.operationId ?? ''} failed with ${advice.reason}; submitting the Go Live again`);
  note(`operation ${r.operationId ?? ''} failed with ${advice.reason}; submitting again (${r.resubmits})`, 'warn');
  delete r.operationId;
  delete r.operationUrl;
  delete r.attached;
  delete r.phase;
  return true;
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
