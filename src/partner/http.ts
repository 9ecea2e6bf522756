/**
 * The partner API's HTTP layer: undici `request` over one keep-alive `Agent` per client, a timeout on every request,
 * JSON bodies (empty bodies tolerated), the partner request id from the response headers, and an `onResponse` hook
 * for telemetry. It sends one request; retry decisions live in the client.
 */
import { Agent, type Dispatcher, request } from 'undici';

import { PartnerTransportError } from './errors';
import { isTimeoutError, networkErrorCode, wasNotSent } from './retry';

/** What the `onResponse` hook sees for every attempt: never a header value, a body or a query string. */
export interface ResponseInfo {
  method: string;
  /** The URL path, without the query string. */
  path: string;
  /** Absent when no response arrived (network error, timeout, abort). */
  status?: number;
  durationMs: number;
  /** 1 for the first attempt of a call, 2 for its first retry, ... */
  attempt: number;
  /** The error code when no response arrived (`NetworkError`, `Timeout`, `Aborted`) or the mapped error code. */
  errorCode?: string;
  requestId?: string;
}

export type ResponseHook = (info: ResponseInfo) => void;

/** How long an idle pooled connection is kept open (the partner API's and the Event Grid topic's). */
export const KEEP_ALIVE_IDLE_MS = 30_000;

export interface HttpOptions {
  /** Default per-request timeout. */
  timeoutMs: number;
  /** A dispatcher to use instead of the client's own keep-alive pool (tests pass a `MockAgent`). */
  dispatcher?: Dispatcher;
  /** Keep-alive connections per origin (default 16). */
  connections?: number;
  userAgent?: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  /** JSON text. */
  body?: string;
  timeoutMs?: number;
  abortSignal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  /** Parsed JSON; the text when it was not JSON; undefined when empty. */
  body: unknown;
  requestId?: string;
  durationMs: number;
}

/** Longest non-JSON body text kept. */
export const MAX_TEXT_BODY_CHARS = 8_192;

const REQUEST_ID_HEADERS = ['x-ms-request-id', 'x-ms-correlation-request-id', 'request-id'] as const;

/** The partner API's id for a response, from the first of the request id headers that is present. */
export function requestIdFrom(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name]?.trim();
    if (value) return value.slice(0, 200);
  }
  return undefined;
}

/** Parses a response body: JSON when it parses, the (truncated) text otherwise, undefined when empty. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.length > MAX_TEXT_BODY_CHARS ? `${text.slice(0, MAX_TEXT_BODY_CHARS)}…(truncated)` : text;
  }
}

function normaliseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class PartnerHttp {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(options: HttpOptions) {
    this.timeoutMs = options.timeoutMs;
    this.userAgent = options.userAgent ?? 'marketplace-golive';
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      // One pool per client, shared by every request: connections stay open between polls and calls.
      this.dispatcher = new Agent({
        connections: options.connections ?? 16,
        keepAliveTimeout: KEEP_ALIVE_IDLE_MS,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: 10_000 },
      });
      this.ownsDispatcher = true;
    }
  }

  /**
   * Sends one request. Resolves with any HTTP status; rejects with `PartnerTransportError` when no response
   * arrived (network error, timeout, abort).
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.abortSignal ? AbortSignal.any([req.abortSignal, timeout]) : timeout;
    const started = performance.now();
    const origin = req.url.origin;
    if (req.abortSignal?.aborted) {
      throw new PartnerTransportError('Aborted', `The request to ${origin} was aborted before it was sent.`, {
        sent: false,
        cause: req.abortSignal.reason,
      });
    }
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: { 'user-agent': this.userAgent, ...req.headers },
        ...(req.body === undefined ? {} : { body: req.body }),
        signal,
        dispatcher: this.dispatcher,
      });
      const text = await res.body.text();
      const headers = normaliseHeaders(res.headers);
      const requestId = requestIdFrom(headers);
      return {
        status: res.statusCode,
        headers,
        body: parseBody(text),
        ...(requestId === undefined ? {} : { requestId }),
        durationMs: performance.now() - started,
      };
    } catch (e) {
      throw this.transportError(e, req, timeoutMs, timeout);
    }
  }

  private transportError(e: unknown, req: HttpRequest, timeoutMs: number, timeout: AbortSignal) {
    const where = `${req.method} ${req.url.origin}${req.url.pathname}`;
    if (req.abortSignal?.aborted) {
      return new PartnerTransportError('Aborted', `The request ${where} was aborted by the caller.`, {
        sent: true,
        cause: e,
      });
    }
    if (timeout.aborted || isTimeoutError(e)) {
      return new PartnerTransportError(
        'Timeout',
        `The partner API did not answer ${where} within ${timeoutMs} ms (PARTNER_API_TIMEOUT_SECONDS).`,
        { sent: true, retriable: true, cause: e },
      );
    }
    const code = networkErrorCode(e) ?? (e instanceof Error ? e.name : 'unknown');
    const notSent = wasNotSent(e);
    return new PartnerTransportError(
      'NetworkError',
      `Could not ${notSent ? 'connect to' : 'complete'} ${where}: ${code}.`,
      { sent: !notSent, networkCode: code, retriable: true, cause: e },
    );
  }

  /** Closes the keep-alive pool (only the client's own; an injected dispatcher belongs to its creator). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
