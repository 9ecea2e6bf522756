import { codeOf, partnerReported } from '../errorCodes';
import { GoLiveOutcomeUnknownError, isPartnerApiError } from '../partner/errors';
import type { OperationState, OperationStep, PartnerErrorDetail, RunningOperation } from '../partner/types';
import type { ReadOperationResult } from './contracts';
import { nextCheckTime, submitRetryDelaySeconds } from './pollingPolicy';
import type { RunError, RunOutcome, RunSettings, RunStep } from './run/record';

/**
 * How partner API answers and errors become run decisions. Pure functions over plain values.
 */

/** Longest partner error body kept (as JSON text) in history and events. */
export const MAX_ERROR_BODY_CHARS = 8_192;
export const MAX_STEPS = 30;

/** The run outcome of a terminal operation state; undefined while the operation runs (or its state is unknown). */
export function outcomeOfOperation(state: OperationState): RunOutcome | undefined {
  switch (state) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      return undefined;
  }
}

/** A history-safe error summary: code, message, status and a bounded partner error body. Never a token. */
export function toRunError(e: unknown): RunError {
  if (isPartnerApiError(e)) {
    const error: RunError = { code: e.code, message: e.message };
    if (e.statusCode !== undefined) error.statusCode = e.statusCode;
    const body = boundBody(e.body);
    if (body !== undefined) error.body = body;
    return error;
  }
  if (e instanceof Error) return { code: codeOf(e), message: e.message };
  return { code: 'UnexpectedError', message: typeof e === 'string' ? e : 'unknown error' };
}

/** The run error of an operation that ended failed or canceled, from the partner API's error details. */
export function operationError(
  outcome: RunOutcome,
  rawStatus: string,
  errors: readonly PartnerErrorDetail[] | readonly { code: string; message: string }[] | undefined,
): RunError | undefined {
  if (outcome === 'succeeded') return undefined;
  const first = errors?.[0];
  const error: RunError = first
    ? { code: partnerReported(first.code), message: first.message }
    : { code: outcome === 'failed' ? 'OperationFailed' : 'OperationCanceled', message: `operation ended ${rawStatus}` };
  if (errors && errors.length > 0) error.body = boundBody({ errors });
  return error;
}

/** How a read ends the run: a terminal status's outcome (with the partner's errors), a permanent error; else undefined. */
export function endOfStatus(read: ReadOperationResult): { outcome: RunOutcome; error?: RunError } | undefined {
  if (read.kind === 'permanent') return { outcome: 'failed', error: read.error };
  if (read.kind !== 'status') return undefined;
  const outcome = outcomeOfOperation(read.state);
  if (outcome === undefined) return undefined;
  const error = operationError(outcome, read.rawStatus, read.errors);
  return error ? { outcome, error } : { outcome };
}

export interface FailedSubmit {
  /** Submit attempts made so far (1 after the first). */
  attempt: number;
  error: RunError;
  retryAfterSeconds?: number | undefined;
  settings: Pick<RunSettings, 'maxSubmitAttempts' | 'pollIntervalSeconds' | 'pollMaxIntervalSeconds'>;
  now: Date;
  deadlineAt: string;
}

/**
 * What a Go Live submit that was not accepted (a transient answer, or an unknown outcome with no running operation
 * found) means: submit again at `at` (backoff, never before `Retry-After`, never after the deadline), or fail once
 * the attempts are spent.
 */
export function afterFailedSubmit(f: FailedSubmit): { kind: 'retry'; at: string } | { kind: 'fail'; error: RunError } {
  if (f.attempt >= f.settings.maxSubmitAttempts) {
    const message = `Go Live not accepted after ${f.attempt} attempts: ${f.error.message}`;
    return { kind: 'fail', error: { ...f.error, message } };
  }
  const delay = submitRetryDelaySeconds({
    attempt: f.attempt,
    retryAfterSeconds: f.retryAfterSeconds,
    intervalSeconds: f.settings.pollIntervalSeconds,
    maxIntervalSeconds: f.settings.pollMaxIntervalSeconds,
  });
  return { kind: 'retry', at: nextCheckTime(f.now, delay, new Date(f.deadlineAt)).toISOString() };
}

export type SubmitErrorKind = 'outcomeUnknown' | 'transient' | 'rejected';

/**
 * What a failed Go Live submit means.
 * - `GoLiveOutcomeUnknownError` and anything unclassified: the POST may have been accepted, so look for the
 *   running operation before any retry.
 * - A retriable answer (429, 5xx): retry later (the submit activity still checks for a running operation first).
 * - Any other partner answer (400, 401, 403, 404, 409, 422, refused URL): the run fails with it.
 */
export function classifySubmitError(e: unknown): SubmitErrorKind {
  if (e instanceof GoLiveOutcomeUnknownError) return 'outcomeUnknown';
  if (isPartnerApiError(e)) {
    if (e.code === 'OutcomeUnknown') return 'outcomeUnknown';
    if (e.retriable) return e.statusCode === undefined ? 'outcomeUnknown' : 'transient';
    return 'rejected';
  }
  return 'outcomeUnknown';
}

/** A read error is transient when retrying may help (429, 5xx, network); else the run fails with it. */
export function isTransientReadError(e: unknown): boolean {
  if (isPartnerApiError(e)) return e.retriable;
  return true;
}

export function retryAfterOf(e: unknown): number | undefined {
  return isPartnerApiError(e) ? e.retryAfterSeconds : undefined;
}

/**
 * Whether a running operation found on the offer is a go-live we may attach to. An operation whose type the API
 * does not say is treated as a go-live: attaching to it is safe, starting a second Go Live is not.
 */
export function isGoLiveOperation(op: RunningOperation): boolean {
  if (op.submissionType === undefined || op.submissionType === '') return true;
  return /^(go-?live|live)$/i.test(op.submissionType);
}

export function compactSteps(steps: readonly OperationStep[]): RunStep[] {
  return steps.slice(0, MAX_STEPS).map((s) => {
    const step: RunStep = { name: truncate(s.stepName || s.id || 'step', 100), status: truncate(s.status, 50) };
    if (typeof s.progressPercentage === 'number' && Number.isFinite(s.progressPercentage)) {
      step.progress = s.progressPercentage;
    }
    if (typeof s.estimatedTimeFrame === 'string' && s.estimatedTimeFrame !== '') {
      step.estimatedTimeFrame = truncate(s.estimatedTimeFrame, 50);
    }
    return step;
  });
}

function boundBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  let text: string | undefined;
  try {
    text = typeof body === 'string' ? body : JSON.stringify(body);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  if (text.length <= MAX_ERROR_BODY_CHARS) return body;
  return `${text.slice(0, MAX_ERROR_BODY_CHARS)}…(truncated)`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
