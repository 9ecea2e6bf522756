import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';

import { ACTIVITY, type PublishCompletionInput, RUN_EVENT } from '../contracts';
import { isValidJoin } from '../run/membership';
import { fromInput, type RunError, type RunInput, type RunOutput, toCustomStatus, toOutput } from '../run/record';
import {
  type Action,
  begin,
  type Decision,
  endNote,
  finish,
  next,
  type Note,
  type Observation,
  type RunRecord,
  takeJoin,
} from './decide';

/**
 * RETIRED: the go-live orchestrator as it ran until the process was rewritten (`../orchestration.ts`), frozen with
 * its reducer (`decide.ts`) and polling policy, and registered under its old name (`goLiveOrchestrator`) so go-lives
 * it started replay and finish on the code that started them. New runs never start here. Do not change what it
 * yields; delete this folder once no instance of `goLiveOrchestrator` is active (`docs/deploy.md`).
 *
 * The go-live run's driver: it performs what the decisions (`run/decide.ts`) ask for with `context.df` only, and
 * feeds back what happened. Deterministic: every time comes from `currentUtcDateTime`, every setting from the
 * input, all I/O from activities; logs only when not replaying.
 *
 * External events: a `waitForExternalEvent` task that lost a `Task.any` stays open in the SDK and takes the next
 * event of its name (the SDK hands an event to the newest open waiter, and buffers it only when none is open). So
 * every waiter this generation created is kept and scanned after each step: no joined request or cancel is missed,
 * whichever waiter took it.
 */

const MAX_PUBLISH_ATTEMPTS = 5;

export function* goLiveOrchestrationV1(context: OrchestrationContext): Generator<Task, RunOutput | undefined, unknown> {
  const df = context.df;
  const input = df.getInput<RunInput>();
  const { settings } = input;
  // The input carries the bookkeeping inside the record (`fromInput` keeps every field it holds).
  let state = begin({ readErrors: 0, generation: 0, ...(fromInput(input) as Partial<RunRecord>) } as RunRecord);
  const joins: Task[] = [];
  const cancels: Task[] = [];
  const seen = new Set<Task>();
  let cancelRequested = false;
  let closed = false;

  const log = ({ message, level }: Note): void => {
    if (df.isReplaying) return;
    const line = `[golive ${input.target.publisherId}/${input.target.offerId} run ${input.runId}] ${message}`;
    if (level === 'debug') context.debug(line);
    else if (level === 'warn') context.warn(line);
    else if (level === 'error') context.error(line);
    else context.log(line);
  };
  /** Takes every joined request and cancel that any waiter of this generation received. */
  const collect = (): void => {
    for (const waiter of [...joins, ...cancels]) {
      if (!waiter.isCompleted || seen.has(waiter)) continue;
      seen.add(waiter);
      if (cancels.includes(waiter)) {
        const by = (waiter.result as { requestedBy?: unknown } | undefined)?.requestedBy;
        if (!cancelRequested)
          log({ message: `cancel requested${typeof by === 'string' ? ` by ${by}` : ''}`, level: 'info' });
        cancelRequested = true;
      } else if (isValidJoin(waiter.result)) {
        const taken = takeJoin(state, waiter.result, closed);
        log(taken.note);
        if (taken.state === state) continue;
        state = taken.state;
        df.setCustomStatus(toCustomStatus(state.record));
      }
    }
  };
  /** Waits until `until` (a durable timer, raced with the run's events when cancelable); true on cancel. */
  function* wait(until: Date, cancelable: boolean): Generator<Task, boolean, unknown> {
    for (;;) {
      collect();
      if (cancelable && cancelRequested) return true;
      if (until.getTime() <= df.currentUtcDateTime.getTime()) return false;
      const timer: TimerTask = df.createTimer(until);
      if (!cancelable) {
        yield timer;
        return false;
      }
      const cancel = df.waitForExternalEvent(RUN_EVENT.cancel);
      const join = df.waitForExternalEvent(RUN_EVENT.requestJoined);
      cancels.push(cancel);
      joins.push(join);
      if ((yield df.Task.any([timer, cancel, join])) === timer) {
        collect();
        return cancelRequested;
      }
      timer.cancel();
    }
  }
  function* perform(action: Action): Generator<Task, Observation, unknown> {
    if (action.kind === 'wait') return { kind: 'waited', canceled: yield* wait(action.until, action.cancelable) };
    if (action.kind !== 'call') throw new Error(`not performed: ${action.kind}`);
    try {
      return { kind: 'answer', value: yield df.callActivity(action.activity, action.input) };
    } catch (e) {
      return { kind: 'threw', error: failure(e) };
    } finally {
      collect();
    }
  }

  let outcome: Extract<Action, { kind: 'end' }>;
  try {
    let decision: Decision = next(state, { kind: 'start' }, { now: df.currentUtcDateTime, settings, cancelRequested });
    for (;;) {
      state = decision.state;
      decision.notes.forEach(log);
      df.setCustomStatus(toCustomStatus(state.record));
      if (decision.action.kind === 'end') {
        outcome = decision.action;
        break;
      }
      if (decision.action.kind === 'continueAsNew') {
        collect();
        df.continueAsNew({ ...state.record, settings });
        return undefined;
      }
      const observation = yield* perform(decision.action);
      decision = next(state, observation, { now: df.currentUtcDateTime, settings, cancelRequested });
    }
  } catch (e) {
    outcome = { kind: 'end', outcome: 'failed', error: { code: 'InternalError', message: failure(e).message } };
  }

  // From here the request list is final: it is what the completion event, the output and the status say. A join
  // that arrives later is not taken; the starter sees the run end without it and starts the next run.
  collect();
  closed = true;
  const record = finish(state.record, outcome.outcome, outcome.error, df.currentUtcDateTime);
  df.setCustomStatus(toCustomStatus(record));
  const output = toOutput(record);
  yield* publishCompletion(context, output, (attempt) => {
    log({ message: `publishing the completion event failed (attempt ${attempt}); retrying`, level: 'warn' });
  });
  log(endNote(record));
  return output;
}

/** Publishes the run's completion event (the activity), retried with durable timers; throws after the last try. */
function* publishCompletion(
  context: OrchestrationContext,
  output: RunOutput,
  onRetry: (attempt: number) => void = () => undefined,
): Generator<Task, void, unknown> {
  const df = context.df;
  const input: PublishCompletionInput = { output };
  for (let attempt = 1; ; attempt++) {
    try {
      yield df.callActivity(ACTIVITY.publishCompletion, input);
      return;
    } catch (e) {
      if (attempt >= MAX_PUBLISH_ATTEMPTS) throw e;
      onRetry(attempt);
      yield df.createTimer(new Date(df.currentUtcDateTime.getTime() + 5_000 * 2 ** (attempt - 1)));
    }
  }
}

function failure(e: unknown): RunError {
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'ActivityFailed', message: message.length > 1000 ? `${message.slice(0, 1000)}…` : message };
}
