import type { PartnerErrorCode } from '../errorCodes';
import type { PartnerErrorDetail } from './types';

/**
 * Errors from the partner API clients. Each has a stable `code`; HTTP errors also carry the status,
 * the partner API's error body and its request id. Messages say what to do. None ever holds a token.
 */

export type { PartnerErrorCode } from '../errorCodes';

export interface PartnerApiErrorOptions {
  statusCode?: number;
  /** The partner API's error body (parsed JSON where it was JSON, else text, truncated). */
  body?: unknown;
  /** `{ error: { code, message } }` from the body, when present. */
  detail?: PartnerErrorDetail;
  requestId?: string;
  /** true when trying again later may succeed (429, 5xx, network). */
  retriable?: boolean;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class PartnerApiError extends Error {
  override readonly name: string = 'PartnerApiError';
  readonly statusCode?: number;
  readonly body?: unknown;
  readonly detail?: PartnerErrorDetail;
  readonly requestId?: string;
  readonly retriable: boolean;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: PartnerErrorCode,
    message: string,
    options: PartnerApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = options.statusCode;
    this.body = options.body;
    this.detail = options.detail;
    this.requestId = options.requestId;
    this.retriable = options.retriable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** A plain, history-safe summary for orchestration outputs and completion events. */
  toJSON(): PartnerErrorSummary {
    return {
      code: this.code,
      message: this.message,
      ...(this.statusCode === undefined ? {} : { statusCode: this.statusCode }),
      ...(this.body === undefined ? {} : { body: this.body }),
      ...(this.requestId === undefined ? {} : { requestId: this.requestId }),
      retriable: this.retriable,
    };
  }
}

export interface PartnerErrorSummary {
  code: string;
  message: string;
  statusCode?: number;
  body?: unknown;
  requestId?: string;
  retriable?: boolean;
}

/** An operation URL on another origin than the configured partner API: refused, never requested. */
export class OperationUrlRefusedError extends PartnerApiError {
  override readonly name = 'OperationUrlRefusedError';
  /**
   * @param refusedOrigin the URL's origin (or a short description when it is not a URL)
   * @param reason why it was refused when the origin is right but the URL is not (e.g. a path outside `/api/`)
   */
  constructor(
    readonly refusedOrigin: string,
    reason?: string,
  ) {
    super(
      'OperationUrlRefused',
      reason === undefined
        ? `Refused an operation URL on ${refusedOrigin}: it is not the configured partner API origin, so the bearer token is not sent there.`
        : `Refused an operation URL on ${refusedOrigin}: ${reason}; the bearer token is not sent there.`,
    );
  }
}

/**
 * The Go Live POST was sent but no answer came back (connection lost, timeout). The partner API may or may
 * not have accepted it; the caller resolves it by listing the offer's running operations before any retry.
 */
export class GoLiveOutcomeUnknownError extends PartnerApiError {
  override readonly name = 'GoLiveOutcomeUnknownError';
  /**
   * @param cause what happened (a transport error, or the `PartnerApiError` of an ambiguous answer)
   * @param response set when an answer did arrive but does not say whether the Go Live was accepted (500, 502, 504)
   */
  constructor(cause: unknown, response?: Pick<PartnerApiErrorOptions, 'statusCode' | 'body' | 'detail' | 'requestId'>) {
    super(
      'OutcomeUnknown',
      response?.statusCode === undefined
        ? 'The Go Live request was sent but no response arrived; look for the running operation before trying again.'
        : `The Go Live request was sent and the partner API answered ${response.statusCode}, which does not say whether it was accepted; look for the running operation before trying again.`,
      { retriable: true, cause, ...response },
    );
  }
}

/**
 * The offer is not waiting for the publisher's sign-off, so a Go Live now would be refused or push something else:
 * nothing was sent. `offerStatus` and `steps` are what the partner API said (also in `body`).
 */
export class NotReadyForGoLiveError extends PartnerApiError {
  override readonly name = 'NotReadyForGoLiveError';
  constructor(
    readonly offerStatus: string,
    readonly steps: readonly { stepName: string; status: string }[],
    options: { requestId?: string } = {},
  ) {
    const list = steps.map((s) => `${s.stepName} ${s.status}`).join(', ');
    super(
      'NotReadyForGoLive',
      `The offer is not waiting for the publisher's sign-off (offer status "${offerStatus || 'none'}"; steps: ${list || 'none'}), so no Go Live was sent. Publish to preview and wait for the sign-off step to show waitingForPublisherReview.`,
      {
        ...options,
        body: { status: offerStatus, steps: steps.map((s) => ({ stepName: s.stepName, status: s.status })) },
      },
    );
  }
}

/**
 * No HTTP response arrived: a network error (`NetworkError`), the per-request timeout (`Timeout`) or the caller's
 * abort signal (`Aborted`). `sent` is false only when the request surely never reached the server.
 */
export class PartnerTransportError extends PartnerApiError {
  override readonly name = 'PartnerTransportError';
  readonly sent: boolean;
  /** The socket error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...) for network errors. */
  readonly networkCode?: string;

  constructor(
    code: 'NetworkError' | 'Timeout' | 'Aborted',
    message: string,
    options: { sent: boolean; networkCode?: string; retriable?: boolean; cause?: unknown },
  ) {
    super(code, message, { retriable: options.retriable ?? false, cause: options.cause });
    this.sent = options.sent;
    if (options.networkCode !== undefined) this.networkCode = options.networkCode;
  }
}

export function isPartnerApiError(e: unknown): e is PartnerApiError {
  return (
    e instanceof PartnerApiError ||
    (e instanceof Error && (e as { code?: unknown }).code !== undefined && 'retriable' in e)
  );
}
