/**
 * Follows one offer's run over the HTTP API until it ends. On a terminal: the steps with progress bars and the next
 * check's countdown, redrawn in place. Otherwise (pipeline logs): one plain line per change. Ends with the
 * completion event and an exit code: 0 succeeded, 1 failed, 2 canceled or timedOut, 3 rejected, 4 unreachable.
 */
import { countdown, formatDuration, textBar } from '../../src/console/answers';
import { readRunModel, type RunModel } from '../../src/console/runModel';
import { type AppTarget, callApi, UnreachableError } from './api';

export const EXIT = { succeeded: 0, failed: 1, canceledOrTimedOut: 2, rejected: 3, unreachable: 4 } as const;

export function exitCodeFor(state: string): number {
  if (state === 'succeeded') return EXIT.succeeded;
  if (state === 'canceled' || state === 'timedOut') return EXIT.canceledOrTimedOut;
  if (state === 'rejected') return EXIT.rejected;
  return EXIT.failed;
}

export interface WatchOptions {
  target: AppTarget;
  publisherId: string;
  offerId: string;
  /** Follow the run that took this request (`enqueue --wait`); default the offer's current or last run. */
  requestId?: string;
  /** Resolves to a reason when the request was rejected (a `golive.rejected` event for it). */
  rejected?: () => Promise<string | undefined>;
  /** Draw in place (a terminal) or print one line per change. */
  tty: boolean;
  write: (text: string) => void;
  /** Between reads of the run (default 2 s). */
  intervalMs?: number;
  /**
   * Once the app has answered, give up with exit 4 after it has not answered for this long (default 60 s: a host
   * restart is waited out). An app that never answered ends the watch at once.
   */
  unreachableMs?: number;
  /** Give up waiting for the request to be taken after this long (default 5 min). */
  startTimeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
}

function pctText(p: number | null): string {
  return p === null ? '' : ` ${Math.round(p)}%`;
}

/** The changes between two reads, as one line's parts; the first read describes the run. */
export function changes(before: RunModel | undefined, after: RunModel): string[] {
  const parts: string[] = [];
  if (!before || before.runId !== after.runId) {
    parts.push(`run ${after.runNumber ?? '?'} (${after.runId}) ${after.state}`);
    if (after.operationId) parts.push(`operation ${after.operationId}`);
  } else {
    if (before.state !== after.state) parts.push(after.state);
    if (before.operationId !== after.operationId && after.operationId) parts.push(`operation ${after.operationId}`);
  }
  if (
    after.operationStatus !== null &&
    (before?.runId !== after.runId ||
      before.operationStatus !== after.operationStatus ||
      before.progress !== after.progress)
  ) {
    parts.push(`partner status ${after.operationStatus}${pctText(after.progress)}`);
  }
  for (const step of after.steps) {
    const old = before?.runId === after.runId ? before.steps.find((s) => s.name === step.name) : undefined;
    if (!old || old.status !== step.status || old.progress !== step.progress) {
      parts.push(`step "${step.name}" ${step.status}${pctText(step.progress)}`);
    }
  }
  if (before?.runId === after.runId && after.requestCount > before.requestCount) {
    parts.push(`${after.requestCount} requests`);
  }
  return parts;
}

/** The terminal block: a header line and one line per step. */
export function block(run: RunModel, now: number): string[] {
  const next = countdown(run.nextCheckAt, now);
  const head =
    `${run.key}  ${run.state}` +
    (run.operationStatus ? `  partner status ${run.operationStatus}` : '') +
    `  checks ${run.pollCount}` +
    (next ? `  next check ${next}${run.nextCheckReason ? ` (${run.nextCheckReason})` : ''}` : '') +
    (run.expectedEnd ? `  expected end ${expectedEndText(run.expectedEnd.at, now)}` : '');
  const width = Math.max(0, ...run.steps.map((s) => s.name.length));
  const lines = [head, `  ${textBar(run.progress, 30)}`];
  for (const s of run.steps) {
    const mark = s.done ? '✓' : s === run.currentStep && run.active ? '›' : ' ';
    lines.push(`  ${mark} ${s.name.padEnd(width)}  ${textBar(s.progress)}  ${s.status}`);
  }
  return lines;
}

/** `in 3 h 05 min (2026-01-05 12:00 UTC)`, or `overdue since ...` once the median end passed. */
export function expectedEndText(at: string, now: number): string {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return at;
  const stamp = `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return t >= now
    ? `${countdown(at, now)} (${stamp})`
    : `was likely ${formatDuration((now - t) / 1000)} ago (${stamp})`;
}

export function endLines(run: RunModel): string[] {
  const took = run.durationSeconds === null ? '' : ` after ${formatDuration(run.durationSeconds)}`;
  const reason = run.error
    ? `: ${run.error.code}: ${run.error.message}${run.error.statusCode !== null ? ` (HTTP ${run.error.statusCode})` : ''}`
    : '';
  const lines = [`${run.key} ended ${run.state}${took}, ${run.pollCount} checks${reason}`];
  if (run.completionEvent) lines.push('Completion event:', JSON.stringify(run.completionEvent, null, 2));
  return lines;
}

function takes(run: RunModel, requestId: string): boolean {
  return run.requests.some((r) => r.requestId === requestId);
}

export async function watchRun(options: WatchOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? wait;
  const interval = options.intervalMs ?? 2_000;
  const { write, tty } = options;
  const path = `/${options.publisherId}/${options.offerId}`;
  const key = `${options.publisherId}/${options.offerId}`;
  const started = now();
  let lastAnswer: number | undefined;
  let previous: RunModel | undefined;
  let drawn = 0;
  let waitingSaid = false;

  const draw = (run: RunModel): void => {
    const lines = block(run, now());
    write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const say = (line: string): void => {
    if (tty && drawn > 0) drawn = 0; // keep the block above; the line goes below it
    write(`${tty ? '' : `${stamp(now())} `}${line}\n`);
  };

  for (;;) {
    let run: RunModel | undefined;
    let status = 0;
    try {
      const answer = await callApi(options.target, path);
      lastAnswer = now();
      status = answer.status;
      if (answer.status === 200) run = readRunModel(answer.body);
      else if (answer.status !== 404) say(`reading ${key} answered HTTP ${answer.status}; retrying`);
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      const gaveUp = lastAnswer === undefined || now() - lastAnswer >= (options.unreachableMs ?? 60_000);
      if (/refused the key/.test(e.message) || gaveUp) {
        say(e.message);
        return EXIT.unreachable;
      }
    }

    if (options.requestId !== undefined) {
      const reason = await options.rejected?.();
      if (reason !== undefined) {
        say(`request ${options.requestId} was rejected: ${reason}`);
        return EXIT.rejected;
      }
      if (run && !takes(run, options.requestId)) {
        const earlier = run.previousRuns.find((p) => p.requestIds.includes(options.requestId!));
        if (earlier) {
          say(
            `request ${options.requestId} was taken by run ${earlier.runNumber ?? earlier.runId}, which ended ${earlier.outcome}`,
          );
          return exitCodeFor(earlier.outcome);
        }
        run = undefined;
      }
    }

    if (!run) {
      if (!waitingSaid && (status === 404 || status === 200)) {
        say(`waiting for ${options.requestId ? `request ${options.requestId}` : key} to be taken by a run…`);
        waitingSaid = true;
      }
      if (now() - started >= (options.startTimeoutMs ?? 300_000)) {
        say(`no run took ${options.requestId ? `request ${options.requestId}` : key} in time`);
        return EXIT.failed;
      }
      await sleep(interval);
      continue;
    }

    if (tty) {
      draw(run);
    } else {
      const parts = changes(previous, run);
      if (parts.length) say(`${key} ${parts.join('; ')}`);
    }
    previous = run;
    if (!run.active) {
      for (const line of endLines(run)) write(`${line}\n`);
      return exitCodeFor(run.state);
    }
    // Tick the countdown on a terminal between reads.
    for (let waited = 0; waited < interval; waited += 1_000) {
      await sleep(Math.min(1_000, interval - waited));
      if (tty) draw(run);
    }
  }
}
