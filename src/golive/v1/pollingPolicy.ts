/**
 * When to check the partner operation next. Pure: the orchestrator calls it with values from its history.
 *
 * - After a successful read: the partner API's `Retry-After` when it sent one, else the configured interval.
 * - After a transient read error: exponential backoff from the configured interval (x2 per consecutive error),
 *   capped by the maximum interval; a `Retry-After` that asks for longer wins (never poll before the partner
 *   API allows).
 * - Never less than 1 second, never more than one day.
 */

export const MIN_DELAY_SECONDS = 1;
export const MAX_DELAY_SECONDS = 86_400;

export interface PollDelayInput {
  /** Seconds the partner API asked for (`Retry-After`) on the last answer, if it said. */
  retryAfterSeconds?: number | undefined;
  /** Transient read errors in a row (0 after a successful read). */
  consecutiveErrors: number;
  intervalSeconds: number;
  maxIntervalSeconds: number;
  /** The partner API's floor between two reads (Product Ingestion: once a minute); wins over everything else. */
  minIntervalSeconds?: number | undefined;
}

export function nextPollDelaySeconds(input: PollDelayInput): number {
  const interval = Math.max(MIN_DELAY_SECONDS, input.intervalSeconds);
  const max = Math.max(interval, input.maxIntervalSeconds);
  const retryAfter = validSeconds(input.retryAfterSeconds);
  const floor = validSeconds(input.minIntervalSeconds) ?? 0;
  if (input.consecutiveErrors <= 0) {
    return clamp(Math.max(retryAfter ?? interval, floor));
  }
  const backoff = Math.min(max, interval * 2 ** Math.min(input.consecutiveErrors - 1, 30));
  return clamp(Math.max(backoff, retryAfter ?? 0, floor));
}

export interface SubmitDelayInput {
  /** Submit attempts made so far (1 after the first). */
  attempt: number;
  retryAfterSeconds?: number | undefined;
  intervalSeconds: number;
  maxIntervalSeconds: number;
}

/**
 * Delay before another Go Live submit after a transient error or an unresolved unknown outcome: exponential
 * from min(interval, 30 s), capped by the maximum interval, and never sooner than `Retry-After`.
 */
export function submitRetryDelaySeconds(input: SubmitDelayInput): number {
  const base = Math.max(MIN_DELAY_SECONDS, Math.min(input.intervalSeconds, 30));
  const max = Math.max(base, input.maxIntervalSeconds);
  const backoff = Math.min(max, base * 2 ** Math.min(Math.max(input.attempt - 1, 0), 30));
  return clamp(Math.max(backoff, validSeconds(input.retryAfterSeconds) ?? 0));
}

/** The time of the next check: `now + delay`, but never after the run's deadline. */
export function nextCheckTime(now: Date, delaySeconds: number, deadline: Date): Date {
  const at = now.getTime() + delaySeconds * 1000;
  return new Date(Math.min(at, deadline.getTime()));
}

function validSeconds(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function clamp(seconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(MIN_DELAY_SECONDS, Math.ceil(seconds)));
}
