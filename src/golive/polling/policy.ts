import { type EndEstimate, endQuantile } from './estimate';

/**
 * When to read the partner operation next: the one function the run calls after each read. Pure and
 * deterministic (the same input gives the same answer, so a replayed orchestration plans the same reads).
 *
 * With an estimate of the operation's end (`estimate.ts`), the time between `since` and the end is split in three:
 * - before the likely window: sparse reads, at most `maxIntervalSeconds` apart, and one read where the window opens;
 * - in the likely window (the central `WINDOW_COVERAGE` of the distribution): dense reads, `intervalSeconds` apart
 *   (the API's floor when higher), a little sparser when the estimate is wide;
 * - after it (the step overran its estimate): backing off, the interval growing with the overrun.
 * Whatever the estimate says: never sooner than the API's floor or `Retry-After`, never later than
 * `maxIntervalSeconds` after now (except when `Retry-After` asks for longer), never after the deadline. A transient
 * read error backs off exponentially from the interval, capped by the maximum.
 */

/** The central share of the end distribution read densely. */
export const WINDOW_COVERAGE = 0.95;
/** Spread (log space) up to which the window is read at the plain dense interval. */
export const NARROW_SIGMA = 0.35;
/** How much sparser a wide estimate reads its window: interval x (sigma / NARROW_SIGMA) ^ WIDE_EXPONENT. */
export const WIDE_EXPONENT = 1.5;
/** After the window, the interval grows by this share of the overrun. */
export const BACKOFF_SHARE = 0.1;
/** Never less than a second between reads, never more than a day. */
export const MIN_SECONDS = 1;
export const MAX_SECONDS = 86_400;

export type ReadReason =
  | 'likely end'
  | 'before likely end'
  | 'after likely end'
  | 'no estimate'
  | 'retry after error'
  | 'partner Retry-After'
  | 'deadline';

export interface ReadPlanInput {
  now: Date;
  deadline: Date;
  /** The configured interval between reads where the end is likely (`GOLIVE_POLL_INTERVAL_SECONDS`). */
  intervalSeconds: number;
  /** The longest time between two reads (`GOLIVE_POLL_MAX_INTERVAL_SECONDS`). */
  maxIntervalSeconds: number;
  /** The partner API's floor between reads (Product Ingestion: once a minute). */
  floorSeconds?: number | undefined;
  /** What the partner API asked for on the last answer. */
  retryAfterSeconds?: number | undefined;
  /** Transient read errors in a row (0 after a successful read). */
  consecutiveErrors: number;
  estimate?: EndEstimate | undefined;
}

export interface ReadPlan {
  at: Date;
  delaySeconds: number;
  reason: ReadReason;
}

export function planNextRead(input: ReadPlanInput): ReadPlan {
  const now = input.now.getTime();
  const floor = Math.max(MIN_SECONDS, valid(input.floorSeconds) ?? 0);
  const retryAfter = valid(input.retryAfterSeconds);
  const dense = Math.min(MAX_SECONDS, Math.max(floor, input.intervalSeconds, MIN_SECONDS));
  const max = Math.min(MAX_SECONDS, Math.max(dense, input.maxIntervalSeconds));

  let delay: number;
  let reason: ReadReason;
  if (input.consecutiveErrors > 0) {
    delay = Math.min(max, dense * 2 ** Math.min(input.consecutiveErrors - 1, 30));
    reason = 'retry after error';
  } else if (input.estimate === undefined || !isUsable(input.estimate)) {
    delay = dense;
    reason = 'no estimate';
  } else {
    ({ delay, reason } = fromEstimate(input.estimate, now, dense, max));
  }
  delay = Math.max(delay, floor);
  if (retryAfter !== undefined && retryAfter > delay) {
    delay = retryAfter;
    reason = 'partner Retry-After';
  }
  delay = Math.min(MAX_SECONDS, Math.max(MIN_SECONDS, Math.ceil(delay)));
  const deadline = input.deadline.getTime();
  if (now + delay * 1000 >= deadline) {
    return {
      at: new Date(Math.max(now, deadline)),
      delaySeconds: Math.max(0, (deadline - now) / 1000),
      reason: 'deadline',
    };
  }
  return { at: new Date(now + delay * 1000), delaySeconds: delay, reason };
}

function fromEstimate(e: EndEstimate, now: number, dense: number, max: number): { delay: number; reason: ReadReason } {
  const tail = (1 - WINDOW_COVERAGE) / 2;
  const opens = endQuantile(e, tail);
  const closes = endQuantile(e, 1 - tail);
  const inWindow = Math.min(max, dense * Math.max(1, e.sigma / NARROW_SIGMA) ** WIDE_EXPONENT);
  if (now < opens) {
    const untilOpen = (opens - now) / 1000;
    return untilOpen <= inWindow
      ? { delay: inWindow, reason: 'likely end' }
      : { delay: Math.min(max, untilOpen), reason: 'before likely end' };
  }
  if (now <= closes) return { delay: inWindow, reason: 'likely end' };
  const overrun = (now - closes) / 1000;
  return { delay: Math.min(max, inWindow + BACKOFF_SHARE * overrun), reason: 'after likely end' };
}

function isUsable(e: EndEstimate): boolean {
  return Number.isFinite(e.sinceMs) && Number.isFinite(e.mu) && Number.isFinite(e.sigma) && e.sigma >= 0;
}

function valid(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}
