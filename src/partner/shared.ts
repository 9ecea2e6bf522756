/**
 * Small pure helpers both partner API adapters use: JSON shape checks, status keys, error codes for HTTP statuses,
 * history-safe bodies, the common part of the operation URL checks, and the results built from parsed answers. No I/O.
 */
import { OperationUrlRefusedError, type PartnerErrorCode } from './errors';
import { retryAfterFromHeaders } from './retry';
import type { GoLiveAccepted, OperationStatus } from './types';

/** Longest error or message text kept from a partner answer. */
export const MAX_TEXT = 2_000;

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Lowercase, without spaces, dashes or underscores: `Not Started`, `notStarted` and `not_started` compare equal. */
export function normKey(v: string | undefined | null): string {
  return (v ?? '').toLowerCase().replace(/[\s_-]+/g, '');
}

/** The error code for an HTTP status (408 is not mapped here: the call pipeline calls it `Timeout`). */
export function errorCodeForStatus(status: number): PartnerErrorCode {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 412:
      return 'PreconditionFailed';
    case 422:
      return 'UnprocessableEntity';
    case 429:
      return 'Throttled';
    default:
      return status >= 500 ? 'ServerError' : 'UnexpectedResponse';
  }
}

/** A history-safe copy of a body: text cut to 500 characters, JSON kept as is (bounded later by the workflow). */
export function safeBody(body: unknown): unknown {
  return typeof body === 'string' ? body.slice(0, 500) : body;
}

/**
 * The checks every operation URL passes before anything else: not empty, parses (relative to the base origin),
 * http(s), the base's origin, no user information. Each adapter then checks the path.
 * @throws OperationUrlRefusedError
 */
export function operationUrlOnOrigin(value: string, base: URL): URL {
  const text = value.trim();
  if (text === '') throw new OperationUrlRefusedError(base.origin, 'the operation URL is empty');
  let url: URL;
  try {
    url = new URL(text, `${base.origin}/`);
  } catch {
    throw new OperationUrlRefusedError('(not a URL)', 'the operation URL does not parse');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OperationUrlRefusedError(url.protocol);
  if (url.origin !== base.origin) throw new OperationUrlRefusedError(url.origin);
  if (url.username !== '' || url.password !== '') {
    throw new OperationUrlRefusedError(url.origin, 'the operation URL carries user information');
  }
  return url;
}

/** What an adapter reads from the partner's answer about an operation. */
export type ParsedStatus = Pick<
  OperationStatus,
  'rawStatus' | 'state' | 'terminal' | 'steps' | 'progressPercentage' | 'errors'
>;

type Headers = Readonly<Record<string, string | undefined>>;

/** An operation status from a parsed answer, with the answer's `Retry-After` when it has one. */
export function operationStatusFrom(
  operationUrl: string,
  operationId: string,
  parsed: ParsedStatus,
  headers: Headers,
): OperationStatus {
  const status: OperationStatus = {
    operationUrl,
    operationId,
    rawStatus: parsed.rawStatus,
    state: parsed.state,
    terminal: parsed.terminal,
    steps: parsed.steps,
  };
  if (parsed.progressPercentage !== undefined) status.progressPercentage = parsed.progressPercentage;
  if (parsed.errors !== undefined) status.errors = parsed.errors;
  const retryAfter = retryAfterFromHeaders(headers);
  if (retryAfter !== undefined) status.retryAfterSeconds = retryAfter;
  return status;
}

/** An accepted Go Live, with the answer's `Retry-After` when it has one. */
export function goLiveAccepted(operationUrl: string, operationId: string, headers: Headers): GoLiveAccepted {
  const accepted: GoLiveAccepted = { operationUrl, operationId };
  const retryAfter = retryAfterFromHeaders(headers);
  if (retryAfter !== undefined) accepted.retryAfterSeconds = retryAfter;
  return accepted;
}

/** How long a read by the attach lookup may stand for the Go Live's own read right after it (the same activity). */
export const LOOKUP_REUSE_MS = 5_000;

/**
 * What the attach lookup just read, per key (offer or product), for the Go Live that follows it at once: taken once,
 * within `LOOKUP_REUSE_MS`, so one read before the first Go Live answers both "already running?" and "ready?".
 * Bounded; status reads never use it.
 */
export class LookupMemo<T> {
  private readonly entries = new Map<string, { at: number; value: T }>();

  constructor(private readonly now: () => number) {}

  remember(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), value });
    if (this.entries.size > 1_000) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The value remembered for `key` within `LOOKUP_REUSE_MS`, forgotten as it is taken. */
  take(key: string): T | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry === undefined) return undefined;
    const age = this.now() - entry.at;
    return age >= 0 && age <= LOOKUP_REUSE_MS ? entry.value : undefined;
  }
}
