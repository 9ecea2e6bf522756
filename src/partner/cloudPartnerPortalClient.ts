/**
 * The Cloud Partner Portal API adapter (reference/partner-api.md section 1): Go Live, operation status, running
 * operations, cancel. undici over one keep-alive pool, a bearer token per request from a `TokenCredential`, retries
 * with backoff and `Retry-After`, typed errors. The bearer token is sent only to the configured origin.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import type { TokenCredential } from '@azure/identity';
import type { Dispatcher } from 'undici';

import { getAccessToken } from './credential';
import { GoLiveOutcomeUnknownError, PartnerApiError, type PartnerErrorCode, PartnerTransportError } from './errors';
import { type HttpResponse, PartnerHttp, type ResponseHook } from './http';
import { operationIdFromUrl, parseOperation, parseRunningOperations, resolveOperationUrl } from './operation';
import { backoffDelayMs, retryAfterFromHeaders, shouldRetryGoLive, shouldRetryRead } from './retry';
import type {
  CancelResult,
  GoLiveAccepted,
  GoLiveTarget,
  OperationStatus,
  PartnerApi,
  PartnerErrorDetail,
  PartnerRequestOptions,
  RunningOperation,
} from './types';

export interface CloudPartnerPortalClientOptions {
  /** The partner API origin, e.g. `https://cloudpartner.azure.com` (a path, if any, is ignored). */
  baseUrl: string;
  apiVersion: string;
  /** Token scope, e.g. `https://cloudpartner.azure.com/.default`. */
  scope: string;
  credential: TokenCredential;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Retries after the first attempt (reads; Go Live only where it is safe). */
  maxRetries: number;
  /** First backoff delay (default 1000 ms). */
  retryBaseMs?: number;
  /**
   * Longest wait between attempts (default 30000 ms). A `Retry-After` longer than this ends the in-call retries: the
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

type RetryPolicy = 'read' | 'goLive';

interface CallSpec {
  method: 'GET' | 'POST';
  url: URL;
  body?: string;
  /** Statuses that count as success. */
  expect: readonly number[];
  retry: RetryPolicy;
  target?: GoLiveTarget;
  options: PartnerRequestOptions | undefined;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, signal ? { signal } : undefined).then(() => undefined);

const STATUS_CODES: Record<number, PartnerErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  422: 'UnprocessableEntity',
  429: 'Throttled',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ error: { code, message, details } }` from a partner error body, when it has one. */
export function errorDetailOf(body: unknown): PartnerErrorDetail | undefined {
  const error = isRecord(body) ? body['error'] : undefined;
  if (!isRecord(error)) return undefined;
  const code = typeof error['code'] === 'string' ? error['code'] : '';
  const message = typeof error['message'] === 'string' ? error['message'] : '';
  if (code === '' && message === '') return undefined;
  const detail: PartnerErrorDetail = { code, message: message.slice(0, 2_000) };
  if (Array.isArray(error['details'])) {
    detail.details = error['details'].filter(isRecord).map((d) => ({
      ...(typeof d['code'] === 'string' ? { code: d['code'] } : {}),
      ...(typeof d['message'] === 'string' ? { message: d['message'].slice(0, 2_000) } : {}),
    }));
  }
  return detail;
}

export class CloudPartnerPortalClient implements PartnerApi {
  readonly kind = 'cpp' as const;
  private readonly origin: URL;
  private readonly apiVersion: string;
  private readonly scope: string;
  private readonly credential: TokenCredential;
  private readonly http: PartnerHttp;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onResponse: ResponseHook | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(options: CloudPartnerPortalClientOptions) {
    this.origin = new URL(new URL(options.baseUrl).origin);
    this.apiVersion = options.apiVersion;
    this.scope = options.scope;
    this.credential = options.credential;
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries));
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.onResponse = options.onResponse;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.http = new PartnerHttp({
      timeoutMs: options.timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      userAgent: options.userAgent ?? 'marketplace-golive (cpp)',
    });
  }

  /** The configured origin, e.g. `https://cloudpartner.azure.com`. */
  get baseUrl(): string {
    return this.origin.origin;
  }

  async startGoLive(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<GoLiveAccepted> {
    const url = this.offerUrl(target, 'golive');
    const res = await this.call({
      method: 'POST',
      url,
      body: '{}',
      expect: [200, 201, 202],
      retry: 'goLive',
      target,
      options,
    });
    const header = res.headers['location'] ?? res.headers['operation-location'];
    if (header === undefined || header.trim() === '') {
      throw new PartnerApiError(
        'UnexpectedResponse',
        `The partner API accepted the Go Live for ${target.publisherId}/${target.offerId} (${res.status}) but sent no Location or Operation-Location header; look for the offer's running operation.`,
        { statusCode: res.status, ...(res.requestId ? { requestId: res.requestId } : {}) },
      );
    }
    const operationUrl = this.operationUrl(header);
    const accepted: GoLiveAccepted = { operationUrl: operationUrl.href, operationId: operationIdFromUrl(operationUrl) };
    const retryAfter = retryAfterFromHeaders(res.headers);
    if (retryAfter !== undefined) accepted.retryAfterSeconds = retryAfter;
    return accepted;
  }

  async getOperation(
    target: GoLiveTarget,
    operationUrl: string,
    options?: PartnerRequestOptions,
  ): Promise<OperationStatus> {
    // Checked before anything else: a refused URL never gets a request, let alone the token.
    const url = this.operationUrl(operationUrl);
    const res = await this.call({ method: 'GET', url, expect: [200], retry: 'read', target, options });
    const parsed = parseOperation(res.body, res.status, res.requestId);
    const status: OperationStatus = {
      operationUrl: url.href,
      operationId: operationIdFromUrl(url),
      rawStatus: parsed.rawStatus,
      state: parsed.state,
      terminal: parsed.terminal,
      steps: parsed.steps,
    };
    if (parsed.progressPercentage !== undefined) status.progressPercentage = parsed.progressPercentage;
    if (parsed.errors !== undefined) status.errors = parsed.errors;
    const retryAfter = retryAfterFromHeaders(res.headers);
    if (retryAfter !== undefined) status.retryAfterSeconds = retryAfter;
    return status;
  }

  async listRunningOperations(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<RunningOperation[]> {
    const url = this.offerUrl(target, 'submissions/');
    url.searchParams.set('status', 'running');
    const res = await this.call({ method: 'GET', url, expect: [200], retry: 'read', target, options });
    return parseRunningOperations(
      res.body,
      (id) => this.offerUrl(target, `operations/${encodeURIComponent(id)}`).href,
      res.status,
    );
  }

  /** Cancels the offer's running operation (CPP cancels per offer; `operationUrl` is not needed). */
  async cancel(target: GoLiveTarget, _operationUrl?: string, options?: PartnerRequestOptions): Promise<CancelResult> {
    const url = this.offerUrl(target, 'cancel');
    // Cancelling twice is harmless (the partner API answers 202 even when nothing runs), so it retries as a read.
    const res = await this.call({
      method: 'POST',
      url,
      body: '{}',
      expect: [200, 202],
      retry: 'read',
      target,
      options,
    });
    if (res.status === 200) return { completed: true };
    const header = res.headers['location'] ?? res.headers['operation-location'];
    const result: CancelResult = { completed: false };
    if (header !== undefined && header.trim() !== '') result.operationUrl = this.operationUrl(header).href;
    return result;
  }

  /** Closes the client's keep-alive pool. */
  async close(): Promise<void> {
    await this.http.close();
  }

  /** `{origin}/api/publishers/{pub}/offers/{offer}/{suffix}?api-version=…`, path segments encoded. */
  private offerUrl(target: GoLiveTarget, suffix: string): URL {
    const url = new URL(
      `/api/publishers/${encodeURIComponent(target.publisherId)}/offers/${encodeURIComponent(target.offerId)}/${suffix}`,
      this.origin,
    );
    url.searchParams.set('api-version', this.apiVersion);
    return url;
  }

  /** Resolves and checks an operation URL, adding the api-version query when it is missing. */
  private operationUrl(value: string): URL {
    const url = resolveOperationUrl(value, this.origin);
    if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', this.apiVersion);
    return url;
  }

  /** One logical call: token, send, map, retry as the policy allows. */
  private async call(spec: CallSpec): Promise<HttpResponse> {
    const signal = spec.options?.abortSignal;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) {
        throw new PartnerTransportError('Aborted', 'The partner API call was aborted before it was sent.', {
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
        res = await this.http.send({
          method: spec.method,
          url: spec.url,
          headers,
          ...(spec.body === undefined ? {} : { body: spec.body }),
          ...(spec.options?.timeoutMs === undefined ? {} : { timeoutMs: spec.options.timeoutMs }),
          ...(signal ? { abortSignal: signal } : {}),
        });
      } catch (e) {
        const error = e instanceof PartnerTransportError ? e : this.unexpected(e);
        this.report(spec, attempt, undefined, error.code, undefined, performance.now() - sentAt);
        const retry = spec.retry === 'goLive' ? shouldRetryGoLive(error) : shouldRetryRead(error);
        if (retry && attempt <= this.maxRetries) {
          await this.wait(attempt, undefined, signal);
          continue;
        }
        if (spec.retry === 'goLive' && (!(error instanceof PartnerTransportError) || error.sent)) {
          throw new GoLiveOutcomeUnknownError(error);
        }
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
      throw new PartnerTransportError('Aborted', 'The partner API call was aborted while waiting to retry.', {
        sent: false,
        cause: e,
      });
    }
  }

  private report(
    spec: CallSpec,
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

  private unexpected(e: unknown): PartnerApiError {
    return new PartnerTransportError(
      'NetworkError',
      `The partner API call failed: ${e instanceof Error ? e.name : 'unknown error'}.`,
      { sent: true, retriable: true, cause: e },
    );
  }

  /** The typed error for an unexpected status; its message says what to check. Never contains the token. */
  private errorFor(res: HttpResponse, spec: CallSpec, token: string): PartnerApiError {
    const status = res.status;
    const body = redact(res.body, token);
    const detail = errorDetailOf(body);
    const code: PartnerErrorCode =
      STATUS_CODES[status] ?? (status >= 500 ? 'ServerError' : status === 408 ? 'Timeout' : 'UnexpectedResponse');
    const what = `${spec.method} ${spec.url.pathname}`;
    const partnerSays = detail
      ? ` The partner API says: ${detail.code ? `${detail.code}: ` : ''}${detail.message}`
      : '';
    const t = spec.target;
    const ids = t ? `publisherId '${t.publisherId}', offerId '${t.offerId}'` : 'the publisher and offer ids';
    let advice: string;
    switch (status) {
      case 400:
        advice =
          detail?.code === 'InvalidAPIVersion'
            ? `The api-version '${this.apiVersion}' was refused: check PARTNER_API_VERSION.`
            : 'The partner API refused the request as malformed.';
        break;
      case 401:
        advice =
          'The bearer token is missing, expired or for the wrong audience: check PARTNER_API_SCOPE and the credential (managed identity, AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET).';
        break;
      case 403:
        advice = `The identity may not act on ${ids}: add the service principal to the publisher account (Partner Center > Account settings > Microsoft Entra applications) using the Object ID of its enterprise application, not of the app registration, with the Owner or Contributor role, and check the publisherId.`;
        break;
      case 404:
        advice = `Not found: check ${ids} (and that the offer is still served by the Cloud Partner Portal API).`;
        break;
      case 409:
        advice = 'The offer already has a running operation: wait for it or cancel it.';
        break;
      case 412:
        advice = 'A precondition failed (stale ETag).';
        break;
      case 422:
        advice = 'The offer failed the partner API validation.';
        break;
      case 429:
        advice = 'The partner API is throttling requests; retry after the Retry-After delay.';
        break;
      default:
        advice =
          status >= 500
            ? 'The partner API had a server error; retry later.'
            : `The partner API answered an unexpected ${status}.`;
    }
    const retriable = shouldRetryRead(status);
    const retryAfter = retriable ? retryAfterFromHeaders(res.headers) : undefined;
    return new PartnerApiError(code, redactText(`${what} answered ${status}. ${advice}${partnerSays}`, token), {
      statusCode: status,
      ...(body === undefined ? {} : { body }),
      ...(detail ? { detail } : {}),
      ...(res.requestId ? { requestId: res.requestId } : {}),
      retriable,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    });
  }
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
