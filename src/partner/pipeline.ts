/**
 * The call loop both partner API clients share: a bearer token per attempt from a `TokenCredential`, send over one
 * keep-alive pool, map an unexpected status to a typed error, retry as the policy allows (backoff, or `Retry-After`
 * up to `retryMaxMs`; a longer one is the workflow's to wait), report every attempt to `onResponse`, and turn an
 * ambiguous Go Live answer into `GoLiveOutcomeUnknownError`. Each client supplies only what differs: its URLs, how
 * it names itself in messages, and the advice for an unexpected status.
 */
import { randomUUID } from 'node:crypto';

import type { TokenCredential } from '@azure/identity';
import type { Dispatcher } from 'undici';

import { withPartnerAttempt } from '../events/scope';
import { PARTNER_CALL_RETRY } from '../retryPolicy';
import { isRecord, sleep } from '../util';
import { getAccessToken } from './credential';
import { GoLiveOutcomeUnknownError, PartnerApiError, type PartnerErrorCode, PartnerTransportError } from './errors';
import { type HttpResponse, PartnerHttp, type ResponseHook } from './http';
import { backoffDelayMs, retryAfterFromHeaders, shouldRetryGoLive, shouldRetryRead } from './retry';
import { errorCodeForStatus, MAX_TEXT } from './shared';
import type { GoLiveTarget, PartnerErrorDetail, PartnerRequestOptions } from './types';

/** `read`: safe to repeat. `goLive`: retried only where the partner API cannot have acted on it. */
export type RetryPolicy = 'read' | 'goLive';

/** One logical call to a partner API. */
export interface PartnerCall {
  method: 'GET' | 'POST';
  url: URL;
  body?: string;
  /** Statuses that count as success. */
  expect: readonly number[];
  retry: RetryPolicy;
  target?: GoLiveTarget;
  options: PartnerRequestOptions | undefined;
}

/**
 * What a client says about an unexpected status; the pipeline adds the status, the error code, the partner's detail
 * and the rest.
 */
export interface StatusDescription {
  /** What was called, e.g. `GET /api/…` (the message reads `{subject} answered {status}. {advice}`). */
  subject: string;
  /** What to check. */
  advice: string;
}

/** What both partner API clients take for their calls (each client adds its URLs and scope). */
export interface PartnerClientCallOptions {
  credential: TokenCredential;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Retries after the first attempt (reads; the Go Live only where it is safe). */
  maxRetries: number;
  /** First backoff delay (default `PARTNER_CALL_RETRY.baseMs`). */
  retryBaseMs?: number;
  /**
   * Longest wait between attempts (default `PARTNER_CALL_RETRY.maxMs`). A `Retry-After` longer than this ends the in-call retries: the
   * error carries `retryAfterSeconds` so the workflow waits on a durable timer instead of holding an activity.
   */
  retryMaxMs?: number;
  /** A dispatcher instead of the client's own keep-alive pool (undici `MockAgent` in tests). */
  dispatcher?: Dispatcher;
  /** Called once per attempt (telemetry counts 429 and 5xx with it); errors in the hook are ignored. */
  onResponse?: ResponseHook;
  /** The wait between attempts (injectable for tests); must honour the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Randomness for backoff jitter, [0, 1). */
  random?: () => number;
  userAgent?: string;
}

export interface PartnerCallPipelineOptions extends PartnerClientCallOptions {
  scope: string;
  userAgent: string;
  /** How messages name a call, e.g. `The partner API call` (`… was aborted before it was sent.`). */
  callName: string;
  /** How messages introduce the partner's own error detail, e.g. `The partner API says`. */
  detailLabel: string;
  /** The error body as kept on the error (before the token is removed from it). */
  errorBody?: (body: unknown) => unknown;
  /** The subject and advice for an unexpected status. */
  describeStatus: (res: HttpResponse, call: PartnerCall, detail: PartnerErrorDetail | undefined) => StatusDescription;
}

export class PartnerCallPipeline {
  private readonly credential: TokenCredential;
  private readonly scope: string;
  private readonly http: PartnerHttp;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onResponse: ResponseHook | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly callName: string;
  private readonly detailLabel: string;
  private readonly errorBody: (body: unknown) => unknown;
  private readonly describeStatus: PartnerCallPipelineOptions['describeStatus'];

  constructor(options: PartnerCallPipelineOptions) {
    this.credential = options.credential;
    this.scope = options.scope;
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries));
    this.retryBaseMs = options.retryBaseMs ?? PARTNER_CALL_RETRY.baseMs;
    this.retryMaxMs = options.retryMaxMs ?? PARTNER_CALL_RETRY.maxMs;
    this.onResponse = options.onResponse;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.callName = options.callName;
    this.detailLabel = options.detailLabel;
    this.errorBody = options.errorBody ?? ((body) => body);
    this.describeStatus = options.describeStatus;
    this.http = new PartnerHttp({
      timeoutMs: options.timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      userAgent: options.userAgent,
    });
  }

  /** Closes the keep-alive pool. */
  async close(): Promise<void> {
    await this.http.close();
  }

  /** One logical call: token, send, map, retry as the policy allows. */
  async call(spec: PartnerCall): Promise<HttpResponse> {
    const signal = spec.options?.abortSignal;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) {
        throw new PartnerTransportError('Aborted', `${this.callName} was aborted before it was sent.`, {
          sent: false,
          cause: signal.reason,
        });
      }
      const token = await getAccessToken(this.credential, this.scope, signal ? { abortSignal: signal } : {});
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'x-ms-client-request-id': randomUUID(),
      };
      if (spec.body !== undefined) headers['content-type'] = 'application/json';

      let res: HttpResponse;
      const sentAt = performance.now();
      try {
        // The attempt number rides along to the request's telemetry (a retry is marked as one).
        res = await withPartnerAttempt({ attempt, policy: spec.retry }, () =>
          this.http.send({
            method: spec.method,
            url: spec.url,
            headers,
            ...(spec.body === undefined ? {} : { body: spec.body }),
            ...(spec.options?.timeoutMs === undefined ? {} : { timeoutMs: spec.options.timeoutMs }),
            ...(signal ? { abortSignal: signal } : {}),
          }),
        );
      } catch (e) {
        const error = e instanceof PartnerTransportError ? e : this.unexpected(e);
        const durationMs = performance.now() - sentAt;
        this.report(spec, attempt, undefined, error.code, undefined, durationMs);
        const retry = spec.retry === 'goLive' ? shouldRetryGoLive(error) : shouldRetryRead(error);
        if (retry && attempt <= this.maxRetries) {
          await this.wait(attempt, undefined, signal);
          continue;
        }
        // A Go Live that may have reached the partner API has an unknown outcome.
        if (spec.retry === 'goLive' && error.sent) throw new GoLiveOutcomeUnknownError(error);
        throw error;
      }

      if (spec.expect.includes(res.status)) {
        this.report(spec, attempt, res.status, undefined, res.requestId, res.durationMs);
        return res;
      }
      const error = this.errorFor(res, spec, token);
      this.report(spec, attempt, res.status, error.code, res.requestId, res.durationMs);
      const retry = spec.retry === 'goLive' ? shouldRetryGoLive(res.status) : shouldRetryRead(res.status);
      if (retry && attempt <= this.maxRetries) {
        const retryAfter = error.retryAfterSeconds;
        // A long Retry-After is the workflow's to wait (durable timer), not this call's.
        if (retryAfter === undefined || retryAfter * 1000 <= this.retryMaxMs) {
          await this.wait(attempt, retryAfter, signal);
          continue;
        }
      }
      // A 5xx other than 503 (or a 408) to the Go Live does not say whether it was accepted.
      if (spec.retry === 'goLive' && !retry && (res.status >= 500 || res.status === 408)) {
        throw new GoLiveOutcomeUnknownError(error, {
          statusCode: res.status,
          body: error.body,
          ...(error.detail ? { detail: error.detail } : {}),
          ...(res.requestId ? { requestId: res.requestId } : {}),
        });
      }
      throw error;
    }
  }

  private async wait(attempt: number, retryAfterSeconds: number | undefined, signal: AbortSignal | undefined) {
    const ms =
      retryAfterSeconds !== undefined
        ? Math.min(retryAfterSeconds * 1000, this.retryMaxMs)
        : backoffDelayMs(attempt, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs }, this.random);
    try {
      await this.sleep(ms, signal);
    } catch (e) {
      throw new PartnerTransportError('Aborted', `${this.callName} was aborted while waiting to retry.`, {
        sent: false,
        cause: e,
      });
    }
  }

  private report(
    spec: PartnerCall,
    attempt: number,
    status: number | undefined,
    errorCode: string | undefined,
    requestId: string | undefined,
    durationMs: number,
  ): void {
    if (!this.onResponse) return;
    try {
      this.onResponse({
        method: spec.method,
        path: spec.url.pathname,
        ...(status === undefined ? {} : { status }),
        durationMs,
        attempt,
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(requestId === undefined ? {} : { requestId }),
      });
    } catch {
      // Telemetry never breaks a call.
    }
  }

  private unexpected(e: unknown): PartnerTransportError {
    return new PartnerTransportError(
      'NetworkError',
      `${this.callName} failed: ${e instanceof Error ? e.name : 'unknown error'}.`,
      { sent: true, retriable: true, cause: e },
    );
  }

  /** The typed error for an unexpected status; its message says what to check. Never contains the token. */
  private errorFor(res: HttpResponse, spec: PartnerCall, token: string): PartnerApiError {
    const status = res.status;
    const body = redact(this.errorBody(res.body), token);
    const detail = errorDetailOf(body);
    const code: PartnerErrorCode = status === 408 ? 'Timeout' : errorCodeForStatus(status);
    const { subject, advice } = this.describeStatus(res, spec, detail);
    const partnerSays = detail ? ` ${this.detailLabel}: ${detail.code ? `${detail.code}: ` : ''}${detail.message}` : '';
    const retriable = shouldRetryRead(status);
    const retryAfter = retriable ? retryAfterFromHeaders(res.headers) : undefined;
    return new PartnerApiError(code, redactText(`${subject} answered ${status}. ${advice}${partnerSays}`, token), {
      statusCode: status,
      ...(body === undefined ? {} : { body }),
      ...(detail ? { detail } : {}),
      ...(res.requestId ? { requestId: res.requestId } : {}),
      retriable,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    });
  }
}

/** `{ error: { code, message, details } }` from a partner error body, when it has one. */
export function errorDetailOf(body: unknown): PartnerErrorDetail | undefined {
  const error = isRecord(body) ? body['error'] : undefined;
  if (!isRecord(error)) return undefined;
  const code = typeof error['code'] === 'string' ? error['code'] : '';
  const message = typeof error['message'] === 'string' ? error['message'] : '';
  if (code === '' && message === '') return undefined;
  const detail: PartnerErrorDetail = { code, message: message.slice(0, MAX_TEXT) };
  if (Array.isArray(error['details'])) {
    detail.details = error['details'].filter(isRecord).map((d) => ({
      ...(typeof d['code'] === 'string' ? { code: d['code'] } : {}),
      ...(typeof d['message'] === 'string' ? { message: d['message'].slice(0, MAX_TEXT) } : {}),
    }));
  }
  return detail;
}

function redactText(text: string, token: string): string {
  return token.length >= 4 && text.includes(token) ? text.split(token).join('***') : text;
}

/** The body with any copy of the token removed (a partner error body never should echo it; be sure). */
function redact(body: unknown, token: string): unknown {
  if (body === undefined || token.length < 4) return body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (!text.includes(token)) return body;
  const cleaned = text.split(token).join('***');
  if (typeof body === 'string') return cleaned;
  try {
    return JSON.parse(cleaned) as unknown;
  } catch {
    return cleaned;
  }
}
