/**
 * Cloud Partner Portal operation answers as the workflow sees them: operation URL checks, status normalisation,
 * steps, overall progress and error details. Pure functions over parsed JSON (docs/partner-apis.md).
 */
import { isRecord } from '../util';
import { OperationUrlRefusedError, PartnerApiError } from './errors';
import { MAX_TEXT, normKey, operationUrlOnOrigin, type ParsedStatus, safeBody, str } from './shared';
import type { GoLiveOperation, OperationMessage, OperationState, OperationStep, PartnerErrorDetail } from './types';
import { TERMINAL_STATES } from './types';

/**
 * Resolves an operation URL (absolute, or a path relative to the partner API origin) against the configured origin.
 * Refuses, before any request is made, a URL on another origin (scheme, host or port), with user info, or with a path
 * outside `/api/`: the bearer token never leaves the configured origin.
 * @throws OperationUrlRefusedError
 */
export function resolveOperationUrl(value: string, origin: string | URL): URL {
  const url = operationUrlOnOrigin(value, new URL(origin));
  // The URL parser has already collapsed `.`/`..` segments (also percent-encoded ones).
  if (!url.pathname.startsWith('/api/') || /%2f|%5c/i.test(url.pathname)) {
    throw new OperationUrlRefusedError(url.origin, 'the operation URL path is not under /api/');
  }
  url.hash = '';
  return url;
}

/** The operation id: the last path segment of the operation URL, decoded (a GUID, or the legacy `pub$offer$n$slot`). */
export function operationIdFromUrl(url: URL): string {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1] ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * Normalises a CPP operation status string (compared without case, spaces, dashes or underscores):
 * `complete`/`completed`/`succeeded` → succeeded, `failed` → failed, `canceled`/`cancelled` → canceled,
 * `notStarted`/`not started` → notStarted, `running`/`inProgress` → running; anything else → `unknown`
 * (not terminal, never thrown).
 */
export function normalizeOperationStatus(raw: string | undefined | null): OperationState {
  switch (normKey(raw)) {
    case 'complete':
    case 'completed':
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    case 'notstarted':
      return 'notStarted';
    case 'running':
    case 'inprogress':
      return 'running';
    default:
      return 'unknown';
  }
}

function pct(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : undefined;
}

/** The operation object from a plain object or the documented one-element array. */
export function unwrapOperationBody(body: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(body)) return body.length >= 1 && isRecord(body[0]) ? body[0] : undefined;
  return isRecord(body) ? body : undefined;
}

const MAX_MESSAGES_PER_STEP = 20;

function mapMessages(v: unknown): OperationMessage[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: OperationMessage[] = [];
  for (const m of v.slice(0, MAX_MESSAGES_PER_STEP)) {
    if (!isRecord(m)) continue;
    const message: OperationMessage = {};
    const html = str(m['messageHtml']) ?? str(m['message']);
    if (html !== undefined) message.messageHtml = html.slice(0, MAX_TEXT);
    const level = str(m['level']);
    if (level !== undefined) message.level = level;
    const timestamp = str(m['timestamp']);
    if (timestamp !== undefined) message.timestamp = timestamp;
    out.push(message);
  }
  return out;
}

export function mapSteps(v: unknown): OperationStep[] {
  if (!Array.isArray(v)) return [];
  const steps: OperationStep[] = [];
  for (const s of v) {
    if (!isRecord(s)) continue;
    const id = str(s['id']);
    const step: OperationStep = {
      stepName: str(s['stepName']) ?? id ?? '',
      status: str(s['status']) ?? '',
    };
    if (id !== undefined) step.id = id;
    const description = str(s['description']);
    if (description !== undefined) step.description = description.slice(0, MAX_TEXT);
    const estimate = str(s['estimatedTimeFrame']);
    if (estimate !== undefined) step.estimatedTimeFrame = estimate;
    const progress = pct(s['progressPercentage']);
    if (progress !== undefined) step.progressPercentage = progress;
    const messages = mapMessages(s['messages']);
    if (messages !== undefined) step.messages = messages;
    steps.push(step);
  }
  return steps;
}

/**
 * Overall progress 0-100: 100 once succeeded; otherwise the mean of the steps' progress (a complete step counts
 * 100); undefined without steps.
 */
export function overallProgress(state: OperationState, steps: readonly OperationStep[]): number | undefined {
  if (state === 'succeeded') return 100;
  if (steps.length === 0) return undefined;
  const sum = steps.reduce((acc, step) => {
    const done = normalizeOperationStatus(step.status) === 'succeeded';
    return acc + (done ? 100 : (step.progressPercentage ?? 0));
  }, 0);
  return Math.round(sum / steps.length);
}

/** `<b>x</b>` → `x`: messages are HTML fragments; errors carry text. */
export function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

const BLOCKING_STEP_STATES = new Set(['blocked', 'rejected', 'failed']);

/** Why an operation failed: error-level messages (operation and steps), blocked or rejected steps, an `error` field. */
export function operationErrors(op: Record<string, unknown>, steps: readonly OperationStep[]): PartnerErrorDetail[] {
  const errors: PartnerErrorDetail[] = [];
  const seen = new Set<string>();
  const add = (code: string, message: string) => {
    const text = message.slice(0, MAX_TEXT);
    if (text === '' || seen.has(text)) return;
    seen.add(text);
    errors.push({ code, message: text });
  };
  for (const step of steps) {
    const blocked = BLOCKING_STEP_STATES.has(step.status.toLowerCase());
    const errorMessages = (step.messages ?? []).filter((m) => m.level?.toLowerCase() === 'error');
    const code = blocked ? `Step${step.status.charAt(0).toUpperCase()}${step.status.slice(1)}` : 'StepError';
    for (const m of errorMessages) add(code, htmlToText(m.messageHtml ?? ''));
    if (blocked && errorMessages.length === 0) add(code, `Step '${step.stepName}' is ${step.status}.`);
  }
  for (const m of mapMessages(op['messages']) ?? []) {
    if (m.level?.toLowerCase() === 'error') add('OperationError', htmlToText(m.messageHtml ?? ''));
  }
  const error = op['error'];
  if (typeof error === 'string') add('OperationError', error);
  if (isRecord(error)) add(str(error['code']) ?? 'OperationError', str(error['message']) ?? '');
  return errors;
}

export interface ParsedOperation extends ParsedStatus {
  id?: string;
}

/**
 * Reads a single-operation answer.
 * @throws PartnerApiError('UnexpectedResponse') when the body is neither an object nor a one-element array of one
 */
export function parseOperation(body: unknown, statusCode: number, requestId?: string): ParsedOperation {
  const op = unwrapOperationBody(body);
  if (!op) {
    throw new PartnerApiError(
      'UnexpectedResponse',
      'The partner API answered the operation read without an operation object.',
      { statusCode, body: safeBody(body), ...(requestId ? { requestId } : {}) },
    );
  }
  const rawStatus = str(op['status']) ?? str(op['submissionState']) ?? '';
  const state = normalizeOperationStatus(rawStatus);
  const steps = mapSteps(op['steps']);
  const parsed: ParsedOperation = { rawStatus, state, terminal: TERMINAL_STATES.has(state), steps };
  const progress = overallProgress(state, steps);
  if (progress !== undefined) parsed.progressPercentage = progress;
  const errors = operationErrors(op, steps);
  if (errors.length > 0) parsed.errors = errors;
  const id = str(op['id']);
  if (id !== undefined) parsed.id = id;
  return parsed;
}

/**
 * Reads a list-operations answer (a JSON array; `{ value: [...] }` tolerated) into the offer's operations: every one
 * that has not ended, and ended ones created (`createdDateTime`, else `changedTime`) at or after `finishedSince`
 * (without it, running ones only). `operationUrl(id)` builds each operation's URL.
 */
export function parseOperationList(
  body: unknown,
  operationUrl: (id: string) => string,
  statusCode: number,
  finishedSince?: string,
): GoLiveOperation[] {
  const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body['value']) ? body['value'] : undefined;
  if (list === undefined) {
    if (body === undefined) return [];
    throw new PartnerApiError('UnexpectedResponse', 'The partner API answered the operation list without a list.', {
      statusCode,
      body: safeBody(body),
    });
  }
  const since = finishedSince === undefined ? Number.NaN : Date.parse(finishedSince);
  const out: GoLiveOperation[] = [];
  for (const item of list) {
    if (!isRecord(item)) continue;
    const id = str(item['id']) ?? str(item['operationId']);
    if (!id) continue;
    const rawStatus = str(item['submissionState']) ?? str(item['status']) ?? '';
    const running = !TERMINAL_STATES.has(normalizeOperationStatus(rawStatus));
    const created = str(item['createdDateTime']) ?? str(item['changedTime']);
    if (!running) {
      const at = created === undefined ? Number.NaN : Date.parse(created);
      if (Number.isNaN(since) || Number.isNaN(at) || at < since) continue;
    }
    const op: GoLiveOperation = { operationUrl: operationUrl(id), operationId: id, rawStatus, running };
    const submissionType = str(item['submissionType']);
    if (submissionType !== undefined) op.submissionType = submissionType;
    const changed = str(item['changedTime']) ?? str(item['lastActionDateTime']);
    if (changed !== undefined) op.changedTime = changed;
    if (created !== undefined) op.createdAt = created;
    out.push(op);
  }
  return out;
}

/** The offer's operations that have not ended (`parseOperationList` without finished ones). */
export function parseRunningOperations(
  body: unknown,
  operationUrl: (id: string) => string,
  statusCode: number,
): GoLiveOperation[] {
  return parseOperationList(body, operationUrl, statusCode);
}

// ---- offer status (reference 1.9) ----

/** How an offer stands for a go-live, from `GET .../offers/{offerId}/status`. */
export type OfferReadiness =
  /** Offer `running` and the publisher sign-off step `waitingForPublisherReview`: a Go Live may be sent. */
  | 'ready'
  /** Offer `running` and the sign-off step done: a go-live runs already. */
  | 'goLiveRunning'
  /** Anything else (certification running, never published, already live, failed): nothing to sign off. */
  | 'notReady';

export interface OfferStatusView {
  readiness: OfferReadiness;
  status: string;
  steps: OperationStep[];
}

const isSignoffStep = (s: OperationStep) =>
  normKey(s.id) === 'publishersignoff' || normKey(s.stepName) === 'publishersignoff';

/**
 * The offer's top-level status values the "Retrieve offer status" page documents (compared without case, spaces,
 * dashes or underscores), plus `published` from its list example.
 */
export const DOCUMENTED_OFFER_STATUSES: ReadonlySet<string> = new Set([
  'neverpublished',
  'notstarted',
  'waitingforpublisherreview',
  'running',
  'succeeded',
  'canceled',
  'cancelled',
  'failed',
  'published',
]);

/** Step statuses that mean the step is done (`complete` on the wire, `completed` in the 2020 table). */
const DONE_STEP = new Set(['complete', 'completed', 'succeeded']);
const RUNNING_STEP = new Set(['inprogress', 'running']);

/**
 * Reads an offer status answer. The sign-off step is matched by `id` or `stepName` (`publisher-signoff` or
 * "Publisher signoff"), statuses without case. Ready for a Go Live when the sign-off step waits for the publisher
 * (`waitingForPublisherReview`) under any documented top-level status (the page lists `NeverPublished`,
 * `NotStarted`, `WaitingForPublisherReview`, `Running`, `Succeeded`, `Canceled`, `Failed`; clients saw `running`)
 * or none; a go-live runs already when the sign-off is done and the offer or a later step is still running.
 * @throws PartnerApiError('UnexpectedResponse') when the body is not an object
 */
export function parseOfferStatus(body: unknown, statusCode: number): OfferStatusView {
  const op = unwrapOperationBody(body);
  if (!op) {
    throw new PartnerApiError('UnexpectedResponse', 'The partner API answered the offer status without an object.', {
      statusCode,
      body: safeBody(body),
    });
  }
  const status = str(op['status']) ?? '';
  const steps = mapSteps(op['steps']);
  const index = steps.findIndex(isSignoffStep);
  const signoff = index >= 0 ? steps[index] : undefined;
  let readiness: OfferReadiness = 'notReady';
  const top = normKey(status);
  if (signoff) {
    const signoffStatus = normKey(signoff.status);
    const documented = top === '' || DOCUMENTED_OFFER_STATUSES.has(top);
    if (signoffStatus === 'waitingforpublisherreview' && documented) readiness = 'ready';
    else if (DONE_STEP.has(signoffStatus)) {
      const laterRunning = steps.slice(index + 1).some((s) => RUNNING_STEP.has(normKey(s.status)));
      if (RUNNING_STEP.has(top) || laterRunning) readiness = 'goLiveRunning';
    }
  }
  return { readiness, status, steps };
}
