/**
 * The Event Grid sink: publishes CloudEvents 1.0 to an Event Grid topic (CloudEvents input schema) as batches of
 * `application/cloudevents-batch+json; charset=utf-8`, at most 1 MB each, authenticated with a Microsoft Entra token
 * for `https://eventgrid.azure.net/.default` (the app's managed identity; the topic has local auth disabled) or,
 * for a loopback endpoint only, a fixed development token. One call sends the batches in order and stops at the
 * first one refused; the result says how many events the topic took, so a retry sends only the rest.
 *
 * Never logs or returns the token: errors carry the status, Event Grid's error body and a message of our own.
 * Contract (docs/events.md cites the sources): 200 = taken; 400 bad format (error body
 * `{ error: { code, message, details } }`); 401/403 authentication/authorization; 404 wrong endpoint; 413 over the
 * size limits; 429 and 5xx transient.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { Agent, type Dispatcher, request } from 'undici';

import { StaticTokenCredential } from '../partner/credential';
import { KEEP_ALIVE_IDLE_MS } from '../partner/http';
import type { CloudEvent } from './cloudEvent';

export const EVENTGRID_SCOPE = 'https://eventgrid.azure.net/.default';
export const EVENTGRID_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json; charset=utf-8';
/** Event Grid's limit on one publish request (the whole array). */
export const EVENTGRID_MAX_BATCH_BYTES = 1_048_576;
export const EVENTGRID_TIMEOUT_MS = 30_000;

/** Any CloudEvent this app emits (completion, rejection, progress). */
export type AnyCloudEvent = Omit<CloudEvent<unknown>, 'type'> & { type: string };

export type EventGridErrorCode =
  | 'EventGridBadRequest'
  | 'EventGridUnauthorized'
  | 'EventGridForbidden'
  | 'EventGridNotFound'
  | 'EventGridPayloadTooLarge'
  | 'EventGridThrottled'
  | 'EventGridUnavailable'
  | 'EventGridUnexpectedStatus'
  | 'EventGridTimeout'
  | 'EventGridConnectionFailed'
  | 'EventGridCredentialFailed';

/** Why a publish failed; plain data (it is an activity result stored in orchestration history). */
export interface EventGridFailure {
  code: EventGridErrorCode;
  message: string;
  statusCode?: number;
  /** Event Grid's error body, when it sent one (never request headers). */
  body?: unknown;
  /** Worth trying again later (429, 5xx, timeouts, connection errors, 401/403: a role assignment may still land). */
  retryable: boolean;
  /** 401 or 403, or no token could be had: the app's identity is refused. */
  auth: boolean;
  retryAfterSeconds?: number;
}

export type EventGridPublishResult =
  | { kind: 'published'; count: number; batches: number }
  /** `published` events (the first ones, in order) were taken before the failing batch. */
  | { kind: 'failed'; published: number; error: EventGridFailure };

/** An Event Grid failure as an error class (code, status, Event Grid's body), for callers that throw. */
export class EventGridError extends Error {
  override readonly name = 'EventGridError';
  readonly code: EventGridErrorCode;
  readonly statusCode: number | undefined;
  readonly body: unknown;
  constructor(readonly failure: EventGridFailure) {
    super(failure.message);
    this.code = failure.code;
    this.statusCode = failure.statusCode;
    this.body = failure.body;
  }
}

/** Splits events, in order, into batches whose JSON array stays within `maxBytes` (an event over it goes alone). */
export function batchesOf<T>(events: readonly T[], maxBytes = EVENTGRID_MAX_BATCH_BYTES): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 2; // "[" and "]"
  for (const event of events) {
    const bytes = Buffer.byteLength(JSON.stringify(event)) + 1; // the comma
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(current);
      current = [];
      size = 2;
    }
    current.push(event);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface EventGridPublisherOptions {
  timeoutMs?: number;
  /** Tests pass an `Agent` that trusts the local endpoint's certificate, or a `MockAgent`. */
  dispatcher?: Dispatcher;
  maxBatchBytes?: number;
}

export class EventGridPublisher {
  readonly #credential: TokenCredential;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #maxBatchBytes: number;

  constructor(
    readonly endpoint: string,
    credential: TokenCredential,
    options: EventGridPublisherOptions = {},
  ) {
    this.#credential = credential;
    this.#timeoutMs = options.timeoutMs ?? EVENTGRID_TIMEOUT_MS;
    this.#maxBatchBytes = options.maxBatchBytes ?? EVENTGRID_MAX_BATCH_BYTES;
    this.#dispatcher = options.dispatcher ?? new Agent({ connections: 4, keepAliveTimeout: KEEP_ALIVE_IDLE_MS });
  }

  /** Publishes `events` in order; never throws (the result says what was taken and why the rest was not). */
  async publish(events: readonly AnyCloudEvent[]): Promise<EventGridPublishResult> {
    const batches = batchesOf(events, this.#maxBatchBytes);
    let published = 0;
    for (const batch of batches) {
      const error = await this.#send(batch);
      if (error) return { kind: 'failed', published, error };
      published += batch.length;
    }
    return { kind: 'published', count: published, batches: batches.length };
  }

  async #send(batch: readonly AnyCloudEvent[]): Promise<EventGridFailure | undefined> {
    let token: string;
    try {
      const got = await this.#credential.getToken(EVENTGRID_SCOPE);
      if (!got?.token) throw new Error('no token');
      token = got.token;
    } catch (e) {
      return {
        code: 'EventGridCredentialFailed',
        message: `No token for Event Grid (${EVENTGRID_SCOPE}) from the app's identity: ${errorName(e)}`,
        retryable: true,
        auth: true,
      };
    }
    try {
      const res = await request(this.endpoint, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers: { 'content-type': EVENTGRID_BATCH_CONTENT_TYPE, authorization: `Bearer ${token}` },
        body: JSON.stringify(batch),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return undefined;
      return failureOf(res.statusCode, parseBody(text), retryAfter(res.headers['retry-after']));
    } catch (e) {
      const timeout = isTimeout(e);
      return {
        code: timeout ? 'EventGridTimeout' : 'EventGridConnectionFailed',
        message: timeout
          ? `Event Grid did not answer within ${Math.round(this.#timeoutMs / 1000)} s`
          : `Event Grid could not be reached: ${errorName(e)}`,
        retryable: true,
        auth: false,
      };
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/** Maps an Event Grid answer to a failure (status, code, whether to retry). */
export function failureOf(status: number, body: unknown, retryAfterSeconds?: number): EventGridFailure {
  const said = errorMessage(body);
  const base = (code: EventGridErrorCode, what: string, retryable: boolean, auth = false): EventGridFailure => {
    const failure: EventGridFailure = {
      code,
      message: `Event Grid answered ${status}: ${what}${said ? ` (Event Grid says: ${said})` : ''}`,
      statusCode: status,
      retryable,
      auth,
    };
    if (body !== undefined) failure.body = body;
    if (retryAfterSeconds !== undefined) failure.retryAfterSeconds = retryAfterSeconds;
    return failure;
  };
  if (status === 400) return base('EventGridBadRequest', 'the events are not valid CloudEvents', false);
  if (status === 401)
    return base('EventGridUnauthorized', "the app's token was not accepted (audience, tenant)", true, true);
  if (status === 403)
    return base(
      'EventGridForbidden',
      "the app's identity lacks the EventGrid Data Sender role on the topic (or the topic refuses the network)",
      true,
      true,
    );
  if (status === 404) return base('EventGridNotFound', 'no topic at GOLIVE_EVENTGRID_ENDPOINT', false);
  if (status === 413) return base('EventGridPayloadTooLarge', 'an event or the batch exceeds the size limits', false);
  if (status === 429) return base('EventGridThrottled', 'throttled', true);
  if (status === 408 || status >= 500) return base('EventGridUnavailable', 'unavailable', true);
  return base('EventGridUnexpectedStatus', 'an unexpected status', false);
}

function errorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: { message?: unknown } }).error;
  return typeof error?.message === 'string' ? error.message.slice(0, 500) : undefined;
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 2_000);
  }
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3_600);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.min(3_600, Math.max(0, Math.ceil((at - Date.now()) / 1000)));
}

function isTimeout(e: unknown): boolean {
  const name = (e as { name?: string; code?: string } | undefined)?.name;
  const code = (e as { code?: string } | undefined)?.code;
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  );
}

/** An error's name and code only: never its message (it could quote a header). */
function errorName(e: unknown): string {
  if (!(e instanceof Error)) return 'unknown error';
  const code = (e as { code?: unknown }).code;
  const cause = (e as { cause?: { code?: unknown } }).cause?.code;
  return [e.name, typeof code === 'string' ? code : undefined, typeof cause === 'string' ? cause : undefined]
    .filter(Boolean)
    .join(' ');
}

export interface EventGridSettings {
  endpoint: string | undefined;
  /** Fixed development token; the settings allow it only for a loopback endpoint. */
  devToken: string | undefined;
}

/**
 * The publisher of the configured topic, or undefined when `GOLIVE_EVENTGRID_ENDPOINT` is unset. In Azure the
 * credential is `DefaultAzureCredential` (the app's managed identity; `AZURE_CLIENT_ID` names a user-assigned one).
 */
export function createEventGridPublisher(
  settings: EventGridSettings,
  env: NodeJS.ProcessEnv = process.env,
): EventGridPublisher | undefined {
  if (!settings.endpoint) return undefined;
  const clientId = env['AZURE_CLIENT_ID']?.trim();
  const credential = settings.devToken
    ? new StaticTokenCredential(settings.devToken)
    : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  return new EventGridPublisher(settings.endpoint, credential);
}
