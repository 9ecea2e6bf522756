import type { OrchestrationContext, Task } from 'durable-functions';

import { RUN_EVENT } from '../contracts';
import { isValidJoin, joinVerdict, requestOf } from './membership';
import { cancelNote, failure, joinNote, type Note, type Threw } from './progress';
import { type RunDriver, type RunRecord, toCustomStatus } from './record';

/**
 * What the go-live process (`../orchestration.ts`) does with `context.df`: activity calls, the wait for the next
 * read (a durable timer raced with cancel and joins), the joins and the cancel it took, the custom status and the
 * log. Deterministic: every time from `currentUtcDateTime`, logs only when not replaying.
 *
 * External events: a `waitForExternalEvent` task that lost a `Task.any` stays open in the SDK and takes the next
 * event of its name (the SDK hands an event to the newest open waiter, and buffers it only when none is open). So
 * every waiter this generation created is kept and scanned after each step: no joined request or cancel is missed,
 * whichever waiter took it.
 */
export function runDriver(context: OrchestrationContext, r: RunRecord, bookkeeping: RunDriver) {
  const df = context.df;
  const waiters: { task: Task; cancel: boolean }[] = [];
  const seen = new Set<Task>();
  const driver = {
    ...bookkeeping,
    /** Reads in this generation (`continueAsNew` after `pollsPerHistory`). */
    reads: 0,
    /** A cancel reached the run. */
    canceled: false,
    /** The run decided to complete: it takes no more joins. */
    closed: false,
    now: (): Date => df.currentUtcDateTime,
    log: (note: Note): void => {
      if (df.isReplaying) return;
      const line = `[golive ${r.target.publisherId}/${r.target.offerId} run ${r.runId}] ${note.message}`;
      if (note.level === 'debug') context.debug(line);
      else if (note.level === 'warn') context.warn(line);
      else if (note.level === 'error') context.error(line);
      else context.log(line);
    },
    /** Takes the joins and the cancel any waiter of this generation received; shows the record. */
    collect(): void {
      for (const { task, cancel } of waiters.filter((w) => w.task.isCompleted && !seen.has(w.task))) {
        seen.add(task);
        if (cancel && !driver.canceled) driver.log(cancelNote(task.result));
        if (cancel) driver.canceled = true;
        else if (isValidJoin(task.result)) {
          const verdict = joinVerdict(r, task.result, driver.closed);
          if (verdict === 'taken') r.requests.push(requestOf(task.result));
          driver.log(joinNote(task.result, verdict, r.requests.length));
        }
      }
      // The status an episode ends with is what the backend keeps: replayed steps need not compute it.
      if (!driver.closed && !df.isReplaying) df.setCustomStatus(toCustomStatus(r));
    },
    /** Calls an activity; a call that failed answers `{ threw }`. */
    *call<T>(name: string, input: unknown): Generator<Task, T | Threw, unknown> {
      driver.collect();
      try {
        return (yield df.callActivity(name, input)) as T;
      } catch (e) {
        return { threw: failure(e) };
      } finally {
        driver.collect();
      }
    },
    /** Waits until `until`: a durable timer raced with cancel and joins (when cancelable); true on cancel. */
    *waitUntil(until: Date, cancelable = true): Generator<Task, boolean, unknown> {
      for (;;) {
        driver.collect();
        if (cancelable && driver.canceled) return true;
        if (until <= driver.now()) return false;
        const timer = df.createTimer(until);
        if (!cancelable) {
          yield timer;
          return false;
        }
        const cancel = df.waitForExternalEvent(RUN_EVENT.cancel);
        const join = df.waitForExternalEvent(RUN_EVENT.requestJoined);
        waiters.push({ task: cancel, cancel: true }, { task: join, cancel: false });
        if ((yield df.Task.any([timer, cancel, join])) === timer) {
          driver.collect();
          return driver.canceled;
        }
        timer.cancel();
      }
    },
  };
  return driver;
}
