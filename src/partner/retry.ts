/**
 * Retry decisions for the partner API client: pure functions, no I/O.
 *
 * Reads (operation status, running operations, cancel) are retried on throttling, server errors, network errors and
 * timeouts. The Go Live POST is not idempotent: it is retried only when the partner API surely did not accept it
 * (429, 503, or a connection that was never made); any other failure after sending is an unknown outcome.
 */

import { PARTNER_CALL_RETRY, retryDelayMs, type RetryPolicy } from '../retryPolicy';

/** The longest `Retry-After` the client believes (a day); longer values are clamped to it. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

const DELTA_SECONDS = /^\s*\d+\s*$/;
/** IMF-fixdate, RFC 850 and asctime all name a weekday or a month; this keeps `Date.parse` from accepting noise. */
const HTTP_DATE_HINT = /\b(mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i;

/**
 * Seconds to wait from a `Retry-After` value: delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`).
 * A date in the past gives 0. Anything else (empty, negative, fractional, garbage) gives undefined.
 * The result is clamped to `maxSeconds`.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
  maxSeconds: number = MAX_RETRY_AFTER_SECONDS,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let seconds: number;
  if (DELTA_SECONDS.test(text)) {
    seconds = Number.parseInt(text, 10);
  } else {
    if (!HTTP_DATE_HINT.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.max(0, Math.ceil((at - now) / 1000));
  }
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(0, seconds), maxSeconds);
}

/** Milliseconds from the millisecond headers some Azure services send (`retry-after-ms`, `x-ms-retry-after-ms`). */
export function parseRetryAfterMs(value: string | null | undefined, maxMs = MAX_RETRY_AFTER_SECONDS * 1000) {
  if (value === undefined || value === null || !DELTA_SECONDS.test(value)) return undefined;
  return Math.min(Number.parseInt(value, 10), maxMs);
}

/** Seconds to wait from a response's headers (lowercase names): the millisecond headers first, then `Retry-After`. */
export function retryAfterFromHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  now: number = Date.now(),
): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = parseRetryAfterMs(headers[name]);
    if (ms !== undefined) return Math.ceil(ms / 1000);
  }
  return parseRetryAfter(headers['retry-after'], now);
}

export type BackoffOptions = Pick<RetryPolicy, 'baseMs' | 'maxMs'>;

/** The in-call backoff: `PARTNER_CALL_RETRY`'s wait (see `src/retryPolicy.ts`) with the given base and cap. */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  return retryDelayMs({ ...PARTNER_CALL_RETRY, ...options }, attempt, random);
}

/** Network error codes (Node and undici) after which a read may be tried again. */
const RETRIABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Codes after which nothing reached the server: the connection was never made. `ECONNREFUSED` is the documented
 * case; a name that does not resolve and a connect timeout likewise send nothing.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** The first error `code` in an error and its `cause` chain (Node and undici put the socket error in `cause`). */
export function networkErrorCode(e: unknown): string | undefined {
  let current: unknown = e;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, errno } = current as { code?: unknown; errno?: unknown };
    if (typeof code === 'string' && (RETRIABLE_NETWORK_CODES.has(code) || code.startsWith('E'))) return code;
    if (typeof errno === 'string') return errno;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether an error is a timeout (our per-request `AbortSignal.timeout`, or undici's own timeouts). */
export function isTimeoutError(e: unknown): boolean {
  let current: unknown = e;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError' || code === 'Timeout' || code === 'ETIMEDOUT') return true;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** An HTTP status (a number), or a thrown error (network failure, timeout, abort). */
export type StatusOrError = unknown;

function isRetriableNetworkError(e: unknown): boolean {
  if (isTimeoutError(e)) return true;
  const code = networkErrorCode(e);
  return code !== undefined && RETRIABLE_NETWORK_CODES.has(code);
}

/** Whether a status retries a read: 408, 429 and 5xx except 501 (not implemented) and 505 (version). */
export function isRetriableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

/** Reads may be retried after throttling, server errors, network errors and timeouts; never after an abort. */
export function shouldRetryRead(statusOrError: StatusOrError): boolean {
  if (typeof statusOrError === 'number') return isRetriableStatus(statusOrError);
  if (isAbortByCaller(statusOrError)) return false;
  return isRetriableNetworkError(statusOrError);
}

/**
 * The Go Live POST may be retried only when the partner API surely did not accept it: 429 (throttled), 503
 * (unavailable), or a connection that was never made (refused, unresolvable, connect timeout). A reset, a timeout
 * or another 5xx after sending leaves the outcome unknown.
 */
export function shouldRetryGoLive(statusOrError: StatusOrError): boolean {
  if (typeof statusOrError === 'number') return statusOrError === 429 || statusOrError === 503;
  if (isAbortByCaller(statusOrError) || isTimeoutError(statusOrError)) return false;
  const code = networkErrorCode(statusOrError);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/** Whether a connection error means nothing was sent (see `shouldRetryGoLive`). */
export function wasNotSent(e: unknown): boolean {
  const code = networkErrorCode(e);
  return code !== undefined && NOT_SENT_CODES.has(code) && !isTimeoutError(e);
}

function isAbortByCaller(e: unknown): boolean {
  let current: unknown = e;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'AbortError' || code === 'Aborted' || code === 'UND_ERR_ABORTED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
