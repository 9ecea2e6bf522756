/**
 * The app's one list of error codes: what `RunError.code`, the completion event's `error.code`, the HTTP API's
 * error answers, the error classes (`code`) and the console show. Errors are classified by these codes and the
 * HTTP status, never by message text. The one code not from this list is the partner API's own error code of a
 * failed operation, passed through verbatim so the event says what the partner API said (`PartnerReportedCode`).
 */

/** A partner API call failed (`PartnerApiError.code`). */
export const PARTNER_ERROR_CODES = [
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'Conflict',
  'PreconditionFailed',
  'UnprocessableEntity',
  'Throttled',
  'ServerError',
  'UnexpectedResponse',
  'NetworkError',
  'Timeout',
  'Aborted',
  'OperationUrlRefused',
  'OutcomeUnknown',
  'NotReadyForGoLive',
  'CredentialUnavailable',
  /** A submission the go-live pushed stayed unlisted as live past the listing grace period (Product Ingestion). */
  'SubmissionNotListed',
] as const;

/** How a go-live run ended other than succeeded (the run's own codes). */
export const RUN_ERROR_CODES = [
  /** An activity threw (its retries ran out). */
  'ActivityFailed',
  /** The orchestration itself failed. */
  'InternalError',
  /** No terminal status before the run's deadline. */
  'DeadlineExceeded',
  'CancelRefused',
  'CancelNotConfirmed',
  /** The operation failed or was canceled without the partner API saying why. */
  'OperationFailed',
  'OperationCanceled',
  'SubmitFailed',
  /** The reconciler published the event of a run that was terminated, or failed without an output. */
  'RunTerminated',
  'RunFailed',
  /** An error that is none of the above (a bug or an unexpected throw). */
  'UnexpectedError',
] as const;

/** The starter, the HTTP API and the host's clients. */
export const APP_ERROR_CODES = [
  'JoinNotConfirmed',
  'StartConflict',
  'InvalidConfiguration',
  'DurableClientError',
  'RunEnded',
  'InvalidBody',
  'InvalidJson',
  'InvalidLimit',
  'InvalidOfferId',
  'InvalidPublisherId',
  'InvalidRequest',
  'InvalidState',
  'BodyTooLarge',
] as const;

export const ERROR_CODES = [...PARTNER_ERROR_CODES, ...RUN_ERROR_CODES, ...APP_ERROR_CODES] as const;

export type PartnerErrorCode = (typeof PARTNER_ERROR_CODES)[number];
export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
/** The partner API's own error code of a failed operation (its `errors[0].code`), verbatim. */
export type PartnerReportedCode = string & { readonly partnerReported: true };
/** What a run's error may say: one of ours, or the partner API's own. */
export type AnyErrorCode = ErrorCode | PartnerReportedCode;

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** The partner API's own code, marked as such. */
export function partnerReported(code: string): PartnerReportedCode {
  return code as PartnerReportedCode;
}

/** The code of anything thrown: its `code` when it is one of ours, else `UnexpectedError`. */
export function codeOf(e: unknown): ErrorCode {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : 'UnexpectedError';
}
