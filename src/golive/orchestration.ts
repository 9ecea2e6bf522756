import type { OrchestrationContext, Task } from 'durable-functions';

import { COMPLETION_PUBLISH_RETRY, retryDelayMs } from '../retryPolicy';
import { afterCancelRead, MAX_CANCEL_CONFIRM_READS, nextCancelReadAt } from './cancelConfirmation';
import { buildCompletionEvents } from './completionEvent';
import type * as C from './contracts';
import { ACTIVITY } from './contracts';
import {
  deliverToEventGrid,
  emitProgress,
  type EventState,
  initialEventState,
  NO_EVENT_SETTINGS,
} from './eventDelivery';
import { afterFailedSubmit, endOfStatus } from './outcome';
import { planAfterRead } from './polling/forRun';
import { nextReadAt } from './pollingPolicy';
import { runDriver } from './run/driver';
import * as P from './run/progress';
import { fromInput, type RunError, type RunInput, type RunOutput, toCustomStatus, toInput } from './run/record';

/**
 * The go-live, top-down: check and submit (or attach, or find it already live), follow the operation until it ends
 * (wait for the next read, raced with cancel and joins), on cancel ask the partner API and confirm, publish the
 * outcome. Policies are pure functions (`pollingPolicy`, `outcome`, `cancelConfirmation`); what an answer does to
 * the record is `run/progress.ts`. Deterministic: times from `currentUtcDateTime`, settings from the input, I/O in
 * activities, logs only when not replaying. A change to what this yields ships under a new name (`docs/deploy.md`).
 */
export function* goLiveOrchestration(context: OrchestrationContext): Generator<Task, RunOutput | undefined, unknown> {
  const df = context.df;
  const { eventState: carried, ...input } = df.getInput<RunInput & { eventState?: EventState }>();
  const { settings } = input;
  const r = fromInput(input);
  const eventSettings = settings.events ?? NO_EVENT_SETTINGS;
  let events: EventState = carried ?? initialEventState(r);
  const run = runDriver(context, r, { ...P.NEW_DRIVER, ...input.driver });
  const { now, log } = run;
  const lookup = { runId: r.runId, target: r.target, startedAt: r.startedAt, earlierOperationIds: P.earlierOps(r) };
  const readInput = () => ({ ...lookup, operationUrl: r.operationUrl ?? '', previousState: r.state });
  const pastDeadline = (): boolean => now().getTime() >= Date.parse(r.deadlineAt);

  /** Check and submit the Go Live: undefined once it follows an operation, else the run's end. */
  function* submit(): Generator<Task, P.Ending | undefined, unknown> {
    for (let attempt = 1; ; attempt++) {
      if (pastDeadline()) return P.timedOut(r, settings);
      r.state = 'submitting';
      const answer = P.submitAnswer(
        yield* run.call<C.SubmitGoLiveResult>(ACTIVITY.submitGoLive, { ...lookup, attempt }),
      );
      let failed: { error: RunError; retryAfterSeconds?: number | undefined };
      switch (answer.kind) {
        case 'accepted':
          log(P.attach(r, answer, now()));
          r.nextCheckAt = nextReadAt({
            record: r,
            settings,
            now: now(),
            retryAfterSeconds: answer.retryAfterSeconds,
          }).toISOString();
          return undefined;
        case 'attached':
          return void log(P.attach(r, answer, now()));
        case 'alreadyLive':
          log(P.alreadyLive(r, answer));
          return { outcome: 'succeeded' };
        case 'rejected':
          log({ message: `Go Live rejected: ${P.describeError(answer.error)}`, level: 'error' });
          return { outcome: 'failed', error: answer.error };
        case 'transient':
          failed = answer;
          break;
        case 'outcomeUnknown': {
          P.addWarning(r, `Go Live outcome unknown on attempt ${attempt}; looked for a running operation`);
          const found = P.findAnswer(
            yield* run.call<C.FindRunningOperationResult>(ACTIVITY.findRunningOperation, lookup),
          );
          if (found.kind === 'found') return void log(P.attach(r, found, now()));
          failed = {
            error: answer.error,
            retryAfterSeconds: found.kind === 'error' ? found.retryAfterSeconds : undefined,
          };
        }
      }
      const next = afterFailedSubmit({ attempt, ...failed, settings, now: now(), deadlineAt: r.deadlineAt });
      if (next.kind === 'fail') return { outcome: 'failed', error: next.error };
      r.nextCheckAt = next.at;
      if (yield* run.waitUntil(new Date(next.at))) return { outcome: 'canceled' };
    }
  }

  /** Follow the operation until it ends: the end, `submitAgain` (on the adapter's advice) or `continueAsNew`. */
  function* follow(): Generator<Task, P.Ending | 'submitAgain' | 'continueAsNew', unknown> {
    for (;;) {
      // Opt-in progress events: accepted, then each change of the steps or phase the last read saw.
      events = yield* emitProgress(context, { ...r, state: 'polling' }, events, eventSettings, (message, level) =>
        log({ message, level }),
      );
      if (run.canceled) return yield* cancel();
      if (pastDeadline()) return P.timedOut(r, settings);
      r.state = 'polling';
      const due = Math.min(Date.parse(r.nextCheckAt ?? now().toISOString()), Date.parse(r.deadlineAt));
      if (yield* run.waitUntil(new Date(due))) return yield* cancel();
      if (pastDeadline()) return P.timedOut(r, settings);
      const read = P.readAnswer(yield* run.call<C.ReadOperationResult>(ACTIVITY.readOperation, readInput()));
      run.reads += 1;
      run.readErrors = read.kind === 'transient' ? run.readErrors + 1 : 0;
      const previousReadAt = r.lastCheckedAt ?? r.acceptedAt ?? now().toISOString();
      P.recordRead(r, read, now(), run.readErrors).forEach(log);
      const ending = endOfStatus(read);
      const retryAfterSeconds = read.kind === 'permanent' ? undefined : read.retryAfterSeconds;
      const facts = { now: now(), previousReadAt, settings, retryAfterSeconds, consecutiveErrors: run.readErrors };
      if (ending && read.kind === 'status') {
        Object.assign(r, planAfterRead(r, { ...facts, ended: ending.outcome === 'succeeded' ? 'succeeded' : 'other' }));
      }
      if (ending?.outcome === 'failed' && read.kind === 'status' && P.resubmitOnAdvice(r, read.submitAgain, log)) {
        return 'submitAgain';
      }
      if (ending) return ending;
      // When to read next: the polling plan (polling/), from the expected end of the operation.
      Object.assign(r, planAfterRead(r, facts));
      if (run.reads >= settings.pollsPerHistory) return 'continueAsNew';
    }
  }

  /** On cancel: ask the partner API to cancel, then read the operation until it says it ended (bounded). */
  function* cancel(): Generator<Task, P.Ending, unknown> {
    r.state = 'canceling';
    delete r.nextCheckAt;
    if (r.operationUrl === undefined) return { outcome: 'canceled' };
    const cancelInput = { runId: r.runId, target: r.target, operationUrl: r.operationUrl };
    const asked = P.cancelAnswer(yield* run.call<C.CancelOperationResult>(ACTIVITY.cancelOperation, cancelInput));
    if (asked.kind === 'error') return P.cancelRefusedEnding(r, asked.error);
    for (let reads = 1; ; reads++) {
      const at = reads === 1 && asked.completed ? now() : nextCancelReadAt({ record: r, settings, now: now() });
      yield* run.waitUntil(at, false);
      const read = P.readAnswer(yield* run.call<C.ReadOperationResult>(ACTIVITY.readOperation, readInput()));
      P.recordCancelRead(r, read, now());
      const decision = afterCancelRead(read, pastDeadline() ? MAX_CANCEL_CONFIRM_READS : reads);
      if (decision.kind === 'end') return P.cancelEnding(r, decision, log);
    }
  }

  // The go-live: submit (unless the run already follows an operation), follow it, and again on the adapter's advice.
  if (run.generation === 0 && r.pollCount === 0 && r.operationUrl === undefined) log(P.startNote(r));
  let ending: P.Ending | 'submitAgain' | 'continueAsNew' = 'submitAgain';
  try {
    while (ending === 'submitAgain')
      ending = (r.operationUrl === undefined ? yield* submit() : undefined) ?? (yield* follow());
  } catch (e) {
    ending = { outcome: 'failed', error: { code: 'InternalError', message: P.failure(e).message } };
  }
  if (ending === 'continueAsNew') {
    run.collect();
    log({
      message: `continuing as new after ${run.reads} reads (generation ${run.generation + 1})`,
      level: 'debug',
    });
    df.continueAsNew({
      ...toInput(r, settings, { readErrors: run.readErrors, generation: run.generation + 1 }),
      eventState: events,
    });
    return undefined;
  }

  // Publish the outcome. From here the request list is final: a join that comes later starts the next run.
  run.collect();
  run.closed = true;
  const finished = P.finish(r, ending, now());
  const { record } = finished;
  let output = finished.output;
  if (events.warnings.length > 0) output = { ...output, warnings: [...output.warnings, ...events.warnings] };
  df.setCustomStatus(toCustomStatus(record));
  const published = yield* publishCompletion(context, output, (attempt) =>
    log({ message: `publishing the completion event failed (attempt ${attempt}); retrying`, level: 'warn' }),
  );
  // The queue has the outcome; the run ends once the Event Grid topic took it too (or its retry window ran out).
  const warnings: string[] = [];
  const shown = output.warnings;
  yield* deliverToEventGrid(
    context,
    [...events.pending, ...buildCompletionEvents(output).map((e) => ({ ...e, ...published?.trace }))],
    eventSettings,
    { runId: r.runId, target: { publisherId: r.target.publisherId, offerId: r.target.offerId } },
    (message, level) => log({ message, level }),
    (warning) => {
      warnings.push(warning);
      df.setCustomStatus(toCustomStatus({ ...record, warnings: [...shown, ...warnings] }));
    },
  );
  if (warnings.length > 0) output = { ...output, warnings: [...output.warnings, ...warnings] };
  log(P.endNote(record));
  return output;
}

/** Publishes the run's completion event (the activity), retried on durable timers; throws after the last try. */
export function* publishCompletion(
  context: OrchestrationContext,
  output: RunOutput,
  onRetry: (attempt: number) => void = () => undefined,
): Generator<Task, C.PublishCompletionResult | undefined, unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (yield context.df.callActivity(ACTIVITY.publishCompletion, {
        output,
      } satisfies C.PublishCompletionInput)) as C.PublishCompletionResult | undefined;
    } catch (e) {
      if (attempt >= COMPLETION_PUBLISH_RETRY.maxAttempts) throw e;
      onRetry(attempt);
      const wait = retryDelayMs(COMPLETION_PUBLISH_RETRY, attempt);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
    }
  }
}
