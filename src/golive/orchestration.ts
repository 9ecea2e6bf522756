import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';

import {
  afterCancelRead,
  cancelConfirmDelaySeconds,
  cancelRefused,
  MAX_CANCEL_CONFIRM_READS,
} from './cancelConfirmation';
import {
  ACTIVITY,
  type CancelOperationInput,
  type CancelOperationResult,
  type FindRunningOperationInput,
  type FindRunningOperationResult,
  type PublishCompletionInput,
  type ReadOperationInput,
  type ReadOperationResult,
  RUN_EVENT,
  type SubmitGoLiveInput,
  type SubmitGoLiveResult,
} from './contracts';
import { operationError, outcomeOfOperation } from './outcome';
import { nextCheckTime, nextPollDelaySeconds, submitRetryDelaySeconds } from './pollingPolicy';
import { isValidJoin, joinVerdict, requestOf } from './run/membership';
import {
  fromInput,
  MAX_RUN_CHECKS,
  type RunCheck,
  type RunError,
  type RunInput,
  type RunOutcome,
  type RunOutput,
  type RunRecord,
  toCustomStatus,
  toInput,
  toOutput,
} from './run/record';

/**
 * The go-live run: the monitor pattern over `context.df` only.
 *
 * submit Go Live (activity) -> loop { durable timer (raced with `cancel` and `requestJoined` events) -> read the
 * operation (activity) -> custom status } -> one completion event (activity) -> output.
 *
 * Deterministic: every time comes from `currentUtcDateTime`, every setting from the input, all I/O from
 * activities; logs only when not replaying. `continueAsNew` every `pollsPerHistory` reads keeps history bounded.
 *
 * Membership: the run alone decides which requests it accounts for. A join is taken only when it is addressed to
 * this run (`runId`, when given), its id is not one an earlier run of the offer accounted for (`previousRuns`), and
 * the run has not yet decided to complete; the completion event lists exactly the requests taken.
 *
 * External events: a `waitForExternalEvent` task that lost a `Task.any` stays open in the SDK and takes the next
 * event of its name (the SDK hands an event to the newest open waiter, and buffers it only when none is open).
 * So every waiter this generation created is kept and scanned after each step: no joined request or cancel is
 * missed, whichever waiter took it.
 */

export const MAX_WARNINGS = 10;
export const MAX_PUBLISH_ATTEMPTS = 5;

type PhaseEnd = { outcome: RunOutcome; error?: RunError } | { continued: true };

export function* goLiveOrchestration(context: OrchestrationContext): Generator<Task, RunOutput | undefined, unknown> {
  const df = context.df;
  const input = df.getInput<RunInput>();
  const { settings, target, runId } = input;
  const deadline = new Date(input.deadlineAt);
  const progress: RunRecord = fromInput(input);
  const requests = progress.requests;
  /** What the attach lookup needs: go-lives finished since the run started are its own, earlier runs' are not. */
  const lookup = {
    startedAt: input.startedAt,
    earlierOperationIds: input.previousRuns.flatMap((run) => (run.operationId === undefined ? [] : [run.operationId])),
  };

  const joinWaiters: Task[] = [];
  const cancelWaiters: Task[] = [];
  const taken = new Set<Task>();
  /** Set once the run has built its completion: membership is final, later joins are not taken. */
  let membershipClosed = false;
  let cancelRequested = false;
  let pollsThisGeneration = 0;

  const now = (): Date => df.currentUtcDateTime;
  /** One line per change a person cares about, never on replay; `debug` for the run's inner workings. */
  const log = (message: string, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): void => {
    if (df.isReplaying) return;
    const line = `[golive ${target.publisherId}/${target.offerId} run ${runId}] ${message}`;
    if (level === 'debug') context.debug(line);
    else if (level === 'warn') context.warn(line);
    else if (level === 'error') context.error(line);
    else context.log(line);
  };
  const recordCheck = (check: RunCheck): void => {
    const checks = progress.checks;
    checks.push(check);
    if (checks.length > MAX_RUN_CHECKS) checks.splice(0, checks.length - MAX_RUN_CHECKS);
  };
  const warn = (warning: string): void => {
    if (!progress.warnings.includes(warning)) {
      progress.warnings.push(warning);
      if (progress.warnings.length > MAX_WARNINGS) progress.warnings.shift();
    }
  };
  const publishStatus = (): void => {
    df.setCustomStatus(toCustomStatus(progress));
  };

  /** Records every joined request and cancel that any waiter of this generation took. */
  const collectEvents = (): void => {
    let changed = false;
    for (const waiter of joinWaiters) {
      if (waiter.isCompleted && !taken.has(waiter)) {
        taken.add(waiter);
        if (!isValidJoin(waiter.result)) continue;
        const join = waiter.result;
        const verdict = joinVerdict(progress, join, membershipClosed);
        if (verdict !== 'taken') {
          log(`request ${join.requestId} not taken: ${verdict}`, 'debug');
        } else {
          requests.push(requestOf(join));
          log(
            `request ${join.requestId}${join.requestedBy ? ` (${join.requestedBy})` : ''} joined the run ` +
              `(${requests.length} requests)`,
          );
          changed = true;
        }
      }
    }
    for (const waiter of cancelWaiters) {
      if (waiter.isCompleted && !taken.has(waiter)) {
        taken.add(waiter);
        if (!cancelRequested) {
          const by = (waiter.result as { requestedBy?: unknown } | undefined)?.requestedBy;
          log(`cancel requested${typeof by === 'string' ? ` by ${by}` : ''}`);
        }
        cancelRequested = true;
      }
    }
    if (changed) publishStatus();
  };

  function* activity<T>(name: string, activityInput: unknown): Generator<Task, T, unknown> {
    try {
      return (yield df.callActivity(name, activityInput)) as T;
    } finally {
      collectEvents();
    }
  }

  /** Waits until `fireAt` (a durable timer), recording joined requests; returns early on cancel. */
  function* waitUntil(fireAt: Date): Generator<Task, 'fired' | 'cancel', unknown> {
    for (;;) {
      collectEvents();
      if (cancelRequested) return 'cancel';
      if (fireAt.getTime() <= now().getTime()) return 'fired';
      const timer: TimerTask = df.createTimer(fireAt);
      const cancel = df.waitForExternalEvent(RUN_EVENT.cancel);
      const join = df.waitForExternalEvent(RUN_EVENT.requestJoined);
      cancelWaiters.push(cancel);
      joinWaiters.push(join);
      const winner = yield df.Task.any([timer, cancel, join]);
      if (winner === timer) {
        collectEvents();
        return cancelRequested ? 'cancel' : 'fired';
      }
      timer.cancel();
    }
  }

  function* submitPhase(): Generator<Task, PhaseEnd | undefined, unknown> {
    let lastError: RunError | undefined;
    for (let attempt = 1; ; attempt++) {
      if (now().getTime() >= deadline.getTime()) return timedOut();
      progress.state = 'submitting';
      publishStatus();
      const submitInput: SubmitGoLiveInput = { runId, target, attempt, ...lookup };
      let result: SubmitGoLiveResult;
      try {
        result = yield* activity<SubmitGoLiveResult>(ACTIVITY.submitGoLive, submitInput);
      } catch (e) {
        // The activity itself failed: the Go Live may or may not have been sent.
        result = { kind: 'outcomeUnknown', error: activityFailure(e) };
      }
      let retryAfterSeconds: number | undefined;
      switch (result.kind) {
        case 'accepted': {
          attach(result.operationId, result.operationUrl, false);
          log(`Go Live accepted, operation ${result.operationId}`);
          if (result.minPollIntervalSeconds !== undefined) progress.pollFloorSeconds = result.minPollIntervalSeconds;
          const delay = nextPollDelaySeconds({
            retryAfterSeconds: result.retryAfterSeconds,
            consecutiveErrors: 0,
            intervalSeconds: settings.pollIntervalSeconds,
            maxIntervalSeconds: settings.pollMaxIntervalSeconds,
            minIntervalSeconds: progress.pollFloorSeconds,
          });
          progress.nextCheckAt = nextCheckTime(now(), delay, deadline).toISOString();
          return undefined;
        }
        case 'attached':
          attach(result.operationId, result.operationUrl, true);
          progress.operationStatus = result.rawStatus;
          log(`attached to running operation ${result.operationId}`);
          return undefined;
        case 'alreadyLive':
          progress.operationId = result.operationId;
          progress.operationStatus = result.rawStatus;
          progress.steps = result.steps;
          if (result.progressPercentage !== undefined) progress.progressPercentage = result.progressPercentage;
          if (result.phase !== undefined) progress.phase = result.phase;
          progress.alreadyLive = true;
          warn(result.warning);
          log(`already live (${result.operationId}): no Go Live sent`);
          return { outcome: 'succeeded' };
        case 'rejected':
          log(`Go Live rejected: ${describeError(result.error)}`, 'error');
          return { outcome: 'failed', error: result.error };
        case 'outcomeUnknown': {
          lastError = result.error;
          warn(`Go Live outcome unknown on attempt ${attempt}; looked for a running operation`);
          const findInput: FindRunningOperationInput = { runId, target, ...lookup };
          let found: FindRunningOperationResult;
          try {
            found = yield* activity<FindRunningOperationResult>(ACTIVITY.findRunningOperation, findInput);
          } catch (e) {
            found = { kind: 'error', error: activityFailure(e) };
          }
          if (found.kind === 'found') {
            attach(found.operationId, found.operationUrl, true);
            progress.operationStatus = found.rawStatus;
            log(`outcome unknown resolved: attached to operation ${found.operationId}`);
            return undefined;
          }
          if (found.kind === 'error') retryAfterSeconds = found.retryAfterSeconds;
          break;
        }
        case 'transient':
          lastError = result.error;
          retryAfterSeconds = result.retryAfterSeconds;
          break;
      }
      if (attempt >= settings.maxSubmitAttempts) {
        const error: RunError = lastError
          ? { ...lastError, message: `Go Live not accepted after ${attempt} attempts: ${lastError.message}` }
          : { code: 'SubmitFailed', message: `Go Live not accepted after ${attempt} attempts` };
        return { outcome: 'failed', error };
      }
      const delay = submitRetryDelaySeconds({
        attempt,
        retryAfterSeconds,
        intervalSeconds: settings.pollIntervalSeconds,
        maxIntervalSeconds: settings.pollMaxIntervalSeconds,
      });
      const fireAt = nextCheckTime(now(), delay, deadline);
      progress.nextCheckAt = fireAt.toISOString();
      publishStatus();
      if ((yield* waitUntil(fireAt)) === 'cancel') return { outcome: 'canceled' };
    }
  }

  function* pollPhase(): Generator<Task, PhaseEnd, unknown> {
    for (;;) {
      collectEvents();
      if (cancelRequested) return yield* cancelPhase();
      if (now().getTime() >= deadline.getTime()) return timedOut();
      progress.state = 'polling';
      publishStatus();
      const fireAt = progress.nextCheckAt ? new Date(progress.nextCheckAt) : now();
      const waited = yield* waitUntil(fireAt.getTime() > deadline.getTime() ? deadline : fireAt);
      if (waited === 'cancel') return yield* cancelPhase();
      if (now().getTime() >= deadline.getTime()) return timedOut();

      const readInput: ReadOperationInput = {
        runId,
        target,
        operationUrl: progress.operationUrl ?? '',
        previousState: progress.state,
      };
      let read: ReadOperationResult;
      try {
        read = yield* activity<ReadOperationResult>(ACTIVITY.readOperation, readInput);
      } catch (e) {
        read = { kind: 'transient', error: activityFailure(e) };
      }
      progress.pollCount += 1;
      pollsThisGeneration += 1;
      progress.lastCheckedAt = now().toISOString();
      const before = { status: progress.operationStatus, progress: progress.progressPercentage, steps: progress.steps };
      if (read.kind === 'status') {
        recordCheck({
          at: progress.lastCheckedAt,
          status: read.rawStatus,
          ...(read.progressPercentage !== undefined ? { progress: read.progressPercentage } : {}),
        });
      } else {
        recordCheck({ at: progress.lastCheckedAt, status: 'error', error: read.error.code });
      }
      let delay: number;
      if (read.kind !== 'permanent' && read.minPollIntervalSeconds !== undefined) {
        progress.pollFloorSeconds = read.minPollIntervalSeconds;
      }
      if (read.kind === 'status') {
        progress.readErrors = 0;
        progress.operationStatus = read.rawStatus;
        progress.steps = read.steps;
        if (read.operationUrl !== undefined && read.operationUrl !== progress.operationUrl) {
          // The adapter moved on to the go-live's next phase (Product Ingestion: the live submission).
          log(`following ${read.operationId} from now on`);
          progress.operationUrl = read.operationUrl;
          progress.operationId = read.operationId;
        }
        if (read.phase !== undefined) progress.phase = read.phase;
        if (read.progressPercentage !== undefined) progress.progressPercentage = read.progressPercentage;
        const change = describeChange(before, {
          status: progress.operationStatus,
          progress: progress.progressPercentage,
          steps: progress.steps,
        });
        if (change) log(`check ${progress.pollCount}: ${change}`);
        if (read.state === 'unknown') warn(`unknown operation status "${read.rawStatus}" (treated as running)`);
        const outcome = outcomeOfOperation(read.state);
        if (outcome === 'failed' && resubmitOnAdvice(read.submitAgain)) {
          const end = yield* submitPhase();
          if (end) return end;
          continue;
        }
        if (outcome !== undefined) {
          const error = operationError(outcome, read.rawStatus, read.errors);
          return error ? { outcome, error } : { outcome };
        }
        delay = nextPollDelaySeconds({
          retryAfterSeconds: read.retryAfterSeconds,
          consecutiveErrors: 0,
          intervalSeconds: settings.pollIntervalSeconds,
          maxIntervalSeconds: settings.pollMaxIntervalSeconds,
          minIntervalSeconds: progress.pollFloorSeconds,
        });
      } else if (read.kind === 'transient') {
        progress.readErrors += 1;
        warn(`transient error reading the operation: ${read.error.code}`);
        if (progress.readErrors === 1)
          log(`reading the operation failed, will retry: ${describeError(read.error)}`, 'warn');
        delay = nextPollDelaySeconds({
          retryAfterSeconds: read.retryAfterSeconds,
          consecutiveErrors: progress.readErrors,
          intervalSeconds: settings.pollIntervalSeconds,
          maxIntervalSeconds: settings.pollMaxIntervalSeconds,
          minIntervalSeconds: progress.pollFloorSeconds,
        });
      } else {
        log(`reading the operation failed: ${describeError(read.error)}`, 'error');
        return { outcome: 'failed', error: read.error };
      }
      progress.nextCheckAt = nextCheckTime(now(), delay, deadline).toISOString();
      publishStatus();

      if (pollsThisGeneration >= settings.pollsPerHistory) {
        collectEvents();
        const next: RunInput = toInput({ ...progress, generation: progress.generation + 1 }, settings);
        log(`continuing as new after ${pollsThisGeneration} polls (generation ${progress.generation + 1})`, 'debug');
        df.continueAsNew(next);
        return { continued: true };
      }
    }
  }

  function* cancelPhase(): Generator<Task, PhaseEnd, unknown> {
    progress.state = 'canceling';
    progress.nextCheckAt = undefined;
    publishStatus();
    if (progress.operationUrl === undefined) return { outcome: 'canceled' };
    const cancelInput: CancelOperationInput = { runId, target, operationUrl: progress.operationUrl };
    let result: CancelOperationResult;
    try {
      result = yield* activity<CancelOperationResult>(ACTIVITY.cancelOperation, cancelInput);
    } catch (e) {
      result = { kind: 'error', error: activityFailure(e) };
    }
    if (result.kind === 'error') {
      warn('the partner API did not accept the cancel; the operation may still run');
      return { outcome: 'canceled', error: cancelRefused(result.error, progress.operationId) };
    }
    // The run ends once the partner API shows the operation terminal (bounded reads), so it reports what it says.
    const readInput: ReadOperationInput = {
      runId,
      target,
      operationUrl: progress.operationUrl,
      previousState: 'canceling',
    };
    for (let reads = 1; ; reads++) {
      const delay = cancelConfirmDelaySeconds(settings.pollIntervalSeconds, progress.pollFloorSeconds);
      const fireAt = reads === 1 && result.completed ? now() : nextCheckTime(now(), delay, deadline);
      if (fireAt.getTime() > now().getTime()) yield df.createTimer(fireAt);
      let read: ReadOperationResult;
      try {
        read = yield* activity<ReadOperationResult>(ACTIVITY.readOperation, readInput);
      } catch (e) {
        read = { kind: 'transient', error: activityFailure(e) };
      }
      progress.pollCount += 1;
      progress.lastCheckedAt = now().toISOString();
      if (read.kind === 'status') {
        progress.operationStatus = read.rawStatus;
        progress.steps = read.steps;
        if (read.progressPercentage !== undefined) progress.progressPercentage = read.progressPercentage;
      }
      const atDeadline = now().getTime() >= deadline.getTime();
      const decision = afterCancelRead(read, atDeadline ? MAX_CANCEL_CONFIRM_READS : reads, MAX_CANCEL_CONFIRM_READS);
      if (decision.kind === 'end') {
        if (decision.warning) warn(decision.warning);
        log(`cancel ${decision.outcome === 'canceled' && !decision.error ? 'confirmed' : `ended ${decision.outcome}`}`);
        return decision.error ? { outcome: decision.outcome, error: decision.error } : { outcome: decision.outcome };
      }
      publishStatus();
    }
  }

  function* complete(outcome: RunOutcome, error: RunError | undefined): Generator<Task, RunOutput, unknown> {
    collectEvents();
    // From here the request list is final: it is what the completion event, the output and the status say. A join
    // that arrives later is not taken; the starter sees the run end without it and starts the next run.
    membershipClosed = true;
    progress.state = outcome;
    progress.nextCheckAt = undefined;
    publishStatus();
    const completedAt = now();
    const output: RunOutput = toOutput({
      ...progress,
      outcome,
      ...(error !== undefined ? { error } : {}),
      completedAt: completedAt.toISOString(),
      durationSeconds: Math.max(0, Math.round((completedAt.getTime() - Date.parse(input.startedAt)) / 1000)),
    });

    const publishInput: PublishCompletionInput = { output };
    for (let attempt = 1; ; attempt++) {
      try {
        yield* activity<unknown>(ACTIVITY.publishCompletion, publishInput);
        break;
      } catch (e) {
        if (attempt >= MAX_PUBLISH_ATTEMPTS) throw e;
        log(`publishing the completion event failed (attempt ${attempt}); retrying`, 'warn');
        yield df.createTimer(new Date(now().getTime() + 5_000 * 2 ** (attempt - 1)));
      }
    }
    const reason = error ? `: ${describeError(error)}` : '';
    const took = `after ${output.pollCount} checks, ${output.durationSeconds} s`;
    log(
      `run ended ${outcome} ${took}${reason}`,
      outcome === 'failed' ? 'error' : outcome === 'succeeded' ? 'info' : 'warn',
    );
    return output;
  }

  /**
   * Whether a failed operation is worth another Go Live, as the partner adapter advises (e.g. a Product Ingestion
   * job that collided with a submission in progress); if so forgets the operation so the submit phase runs again
   * (it attaches to a running go-live before it posts anything). At most `advice.maxTimes` resubmits per run.
   */
  function resubmitOnAdvice(advice: { reason: string; maxTimes: number } | undefined): boolean {
    const resubmits = progress.resubmits ?? 0;
    if (advice === undefined || resubmits >= advice.maxTimes) return false;
    progress.resubmits = resubmits + 1;
    warn(`operation ${progress.operationId ?? ''} failed with ${advice.reason}; submitting the Go Live again`);
    log(
      `operation ${progress.operationId ?? ''} failed with ${advice.reason}; submitting again (${progress.resubmits})`,
      'warn',
    );
    progress.operationId = undefined;
    progress.operationUrl = undefined;
    progress.attached = undefined;
    progress.phase = undefined;
    return true;
  }

  function attach(operationId: string, operationUrl: string, attached: boolean): void {
    progress.operationId = operationId;
    progress.operationUrl = operationUrl;
    progress.state = 'polling';
    if (attached) {
      progress.attached = true;
      progress.nextCheckAt = now().toISOString();
    }
  }

  function timedOut(): PhaseEnd {
    const operation = progress.operationId ? `operation ${progress.operationId} was left running` : 'no operation';
    return {
      outcome: 'timedOut',
      error: {
        code: 'DeadlineExceeded',
        message: `no terminal status within ${settings.deadlineMinutes} minutes; ${operation}`,
      },
    };
  }

  // ---- the run ----
  if (progress.generation === 0 && progress.pollCount === 0 && progress.operationUrl === undefined) {
    log(`run ${input.runNumber} started for requests ${requests.map((r) => r.requestId).join(', ')}`);
  }
  publishStatus();
  let end: PhaseEnd;
  try {
    end = (progress.operationUrl === undefined ? yield* submitPhase() : undefined) ?? (yield* pollPhase());
  } catch (e) {
    end = { outcome: 'failed', error: { code: 'InternalError', message: activityFailure(e).message } };
  }
  if ('continued' in end) return undefined;
  return yield* complete(end.outcome, end.error);
}

function activityFailure(e: unknown): RunError {
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'ActivityFailed', message: message.length > 1000 ? `${message.slice(0, 1000)}…` : message };
}

/** `code: message (HTTP n)`: the partner's reason as a log line gives it. */
function describeError(error: RunError): string {
  const status = error.statusCode !== undefined ? ` (HTTP ${error.statusCode})` : '';
  return `${error.code}: ${error.message}${status}`;
}

type Observed = {
  status?: string;
  progress?: number;
  steps: readonly { name: string; status: string; progress?: number }[];
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
