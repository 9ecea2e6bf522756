/**
 * Product Ingestion answers as the workflow sees them (reference/partner-api.md section 2): job and submission URLs,
 * configure-status normalisation, synthesized steps, job error classification, submission lists, error bodies.
 * Pure functions over parsed JSON; no I/O.
 */
import { OperationUrlRefusedError, PartnerApiError } from './errors';
import { isRecord, MAX_TEXT, normKey, operationUrlOnOrigin, type ParsedStatus, safeBody, str } from './shared';
import type { OperationState, OperationStep, PartnerErrorDetail, RunningOperation } from './types';
import { TERMINAL_STATES } from './types';

/** The schema host of configure and submission resources (the older azureedge host stopped answering in 2024). */
export const SCHEMA_HOST = 'https://schema.mp.microsoft.com/schema';

/** The documented limit: read a job's status at most once per minute. */
export const PRODUCT_INGESTION_MIN_POLL_SECONDS = 60;

const MAX_ERRORS = 20;

// ---- URLs ----

/** What a Product Ingestion operation URL points at. */
export type ProductIngestionLocator =
  | { kind: 'job'; jobId: string }
  /** A live submission found running (attached after an unknown outcome): polled through the submission list. */
  | { kind: 'submission'; productGuid: string; submissionNumber: string };

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Resolves an operation URL (absolute, or relative to the base URL's origin) against the configured base URL and
 * says what it points at: `{base}/configure/{jobId}/status` or `{base}/submission/{productGuid}/{number}`. Refuses,
 * before any request, a URL on another origin, with user information, or with any other path: the bearer token
 * never leaves the configured API.
 * @throws OperationUrlRefusedError
 */
export function parseOperationUrl(value: string, baseUrl: string): ProductIngestionLocator {
  const base = new URL(baseUrl);
  const url = operationUrlOnOrigin(value, base);
  const basePath = base.pathname.replace(/\/+$/, '');
  const refuse = () =>
    new OperationUrlRefusedError(
      url.origin,
      `the operation URL is not a job status (${basePath}/configure/{jobId}/status) or live submission URL`,
    );
  if (/%2f|%5c/i.test(url.pathname) || !url.pathname.startsWith(`${basePath}/`)) throw refuse();
  const rest = url.pathname.slice(basePath.length + 1).split('/');
  if (rest.length === 3 && rest[0] === 'configure' && rest[2] === 'status' && SEGMENT.test(rest[1] ?? '')) {
    return { kind: 'job', jobId: rest[1] ?? '' };
  }
  if (rest.length === 3 && rest[0] === 'submission' && SEGMENT.test(rest[1] ?? '') && /^\d{1,9}$/.test(rest[2] ?? '')) {
    return { kind: 'submission', productGuid: rest[1] ?? '', submissionNumber: rest[2] ?? '' };
  }
  throw refuse();
}

/** `{base}/configure/{jobId}/status?$version=...`: the operation URL of a go-live job. */
export function jobStatusUrl(baseUrl: string, jobId: string, schemaVersion: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/configure/${encodeURIComponent(jobId)}/status?$version=${encodeURIComponent(schemaVersion)}`;
}

/** `{base}/submission/{productGuid}/{number}?$version=...`: the operation URL of an attached live submission. */
export function submissionUrl(baseUrl: string, submissionId: string, schemaVersion: string): string | undefined {
  const parsed = parseSubmissionId(submissionId);
  if (!parsed) return undefined;
  return `${baseUrl.replace(/\/+$/, '')}/submission/${encodeURIComponent(parsed.productGuid)}/${parsed.number}?$version=${encodeURIComponent(schemaVersion)}`;
}

/** `submission/<productGuid>/<number>` → its parts. */
export function parseSubmissionId(id: string): { productGuid: string; number: string } | undefined {
  const m = /^submission\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\/(\d{1,9})$/.exec(id.trim());
  return m ? { productGuid: m[1] ?? '', number: m[2] ?? '' } : undefined;
}

/**
 * The product GUID from a request's `productId`: `product/<guid>` or the bare `<guid>`.
 * @throws PartnerApiError('BadRequest') for anything else
 */
export function productGuidFrom(productId: string): string {
  const guid = productId.trim().replace(/^product\//i, '');
  if (!SEGMENT.test(guid)) {
    throw new PartnerApiError(
      'BadRequest',
      `productId "${productId.slice(0, 140)}" is not a Product Ingestion product id (product/<guid> or <guid>).`,
    );
  }
  return guid;
}

// ---- configure-status ----

/**
 * A job's state from `jobStatus` and `jobResult`, compared without case: notStarted → notStarted, running →
 * running, completed + succeeded → succeeded, completed + failed → failed, completed + cancelled/canceled →
 * canceled. Anything else (a new status, completed with a pending or missing result) → `unknown`, not terminal.
 */
export function jobState(jobStatus: string | undefined, jobResult: string | undefined): OperationState {
  switch (normKey(jobStatus)) {
    case 'notstarted':
      return 'notStarted';
    case 'running':
    case 'inprogress':
      return 'running';
    case 'completed':
    case 'complete':
      switch (normKey(jobResult)) {
        case 'succeeded':
          return 'succeeded';
        case 'failed':
          return 'failed';
        case 'cancelled':
        case 'canceled':
          return 'canceled';
        default:
          return 'unknown';
      }
    default:
      return 'unknown';
  }
}

/** The raw status the run reports: `running`, `completed/succeeded`, `completed/failed`, ... */
export function rawJobStatus(jobStatus: string | undefined, jobResult: string | undefined): string {
  const status = jobStatus ?? '';
  if (normKey(status) === 'completed' || normKey(status) === 'complete') {
    return jobResult ? `${status}/${jobResult}` : status;
  }
  return status;
}

export const STEP_SUBMIT = 'Submit';
export const STEP_PUBLISH = 'Publish to live';

/**
 * The steps a Product Ingestion job shows, in the CPP step vocabulary so runs and events look the same for both
 * APIs: "Submit" (the configure job picked up the submission) and "Publish to live".
 */
export function synthesizeSteps(state: OperationState, rawStatus: string): OperationStep[] {
  const submitDone = state !== 'notStarted';
  const publish: Record<OperationState, string> = {
    notStarted: 'notStarted',
    running: 'inProgress',
    succeeded: 'complete',
    failed: 'failed',
    canceled: 'canceled',
    unknown: rawStatus || 'unknown',
  };
  const submit: OperationStep = {
    id: 'submit',
    stepName: STEP_SUBMIT,
    status: submitDone ? 'complete' : 'notStarted',
    progressPercentage: submitDone ? 100 : 0,
  };
  const live: OperationStep = {
    id: 'live',
    stepName: STEP_PUBLISH,
    status: publish[state],
    progressPercentage: state === 'succeeded' ? 100 : 0,
  };
  return [submit, live];
}

/** 0 before the job starts, 50 while it runs, 100 once it succeeded; undefined for an unknown state. */
export function jobProgress(state: OperationState): number | undefined {
  switch (state) {
    case 'notStarted':
      return 0;
    case 'running':
      return 50;
    case 'succeeded':
      return 100;
    case 'failed':
    case 'canceled':
      return 50;
    default:
      return undefined;
  }
}

// ---- job errors ----

/** Stable codes the client puts first in `errors[].code` for the job failures the workflow acts on. */
export const JOB_ERROR = {
  /** `internalServerError` "An In Progress submission … already exists.": another submission runs; attach or retry later. */
  inProgress: 'SubmissionInProgress',
  /** `conflict` "… not the latest submission.": the preview id was stale; re-read submissions and submit again (once). */
  notLatest: 'SubmissionNotLatest',
  /** `invalidState` about certification: permanent for this submission. */
  certification: 'CertificationFailed',
} as const;

export type JobErrorCode = (typeof JOB_ERROR)[keyof typeof JOB_ERROR];

/** What the workflow does about a failed job. */
export type JobFailureDisposition =
  /** Another submission is in progress: attach to it (running live submission) or submit again later. */
  | 'inProgress'
  /** The submitted preview was not the latest: read the submissions again and submit once more. */
  | 'resubmit'
  /** Nothing to retry (certification failure, validation errors, anything unrecognised). */
  | 'permanent';

/** Classifies one job error (codes and messages compared without case). */
export function classifyJobError(error: { code?: string; message?: string }): JobErrorCode | undefined {
  const code = normKey(error.code);
  const message = (error.message ?? '').toLowerCase();
  if (
    code === normKey(JOB_ERROR.inProgress) ||
    (/in ?progress submission/.test(message) && /already exists/.test(message))
  ) {
    return JOB_ERROR.inProgress;
  }
  if (code === normKey(JOB_ERROR.notLatest) || (code === 'conflict' && /not the latest submission/.test(message))) {
    return JOB_ERROR.notLatest;
  }
  if (code === normKey(JOB_ERROR.certification) || (code === 'invalidstate' && /certif/.test(message))) {
    return JOB_ERROR.certification;
  }
  return undefined;
}

/**
 * The run decision for a failed job from its errors (as `getOperation` returns them, or raw): in-progress
 * collision → `inProgress`; stale preview → `resubmit`; certification or anything else → `permanent`.
 */
export function jobFailureDisposition(
  errors: readonly { code?: string; message?: string }[] | undefined,
): JobFailureDisposition {
  const kinds = new Set((errors ?? []).map(classifyJobError));
  if (kinds.has(JOB_ERROR.certification)) return 'permanent';
  if (kinds.has(JOB_ERROR.inProgress)) return 'inProgress';
  if (kinds.has(JOB_ERROR.notLatest)) return 'resubmit';
  return 'permanent';
}

const ERROR_ORDER: (JobErrorCode | undefined)[] = [
  JOB_ERROR.certification,
  JOB_ERROR.inProgress,
  JOB_ERROR.notLatest,
  undefined,
];

/**
 * A job's `errors[]` as error details: recognised failures get the stable code (the partner code is kept as the
 * first detail) and come first, so `errors[0].code` is what the run acts on; others keep their code.
 */
export function mapJobErrors(v: unknown): PartnerErrorDetail[] {
  if (!Array.isArray(v)) return [];
  const out: { detail: PartnerErrorDetail; kind: JobErrorCode | undefined }[] = [];
  for (const e of v.slice(0, MAX_ERRORS)) {
    if (!isRecord(e)) continue;
    const rawCode = str(e['code']) ?? 'jobError';
    const message = (str(e['message']) ?? '').slice(0, MAX_TEXT);
    const kind = classifyJobError({ code: rawCode, message });
    const details: { code?: string; message?: string }[] = [];
    if (kind !== undefined) details.push({ code: rawCode, message: 'partner API error code' });
    if (Array.isArray(e['details'])) {
      for (const d of e['details'].slice(0, MAX_ERRORS)) {
        if (!isRecord(d)) continue;
        const item: { code?: string; message?: string } = {};
        const c = str(d['code']);
        const m = str(d['message']);
        if (c !== undefined) item.code = c;
        if (m !== undefined) item.message = m.slice(0, MAX_TEXT);
        details.push(item);
      }
    }
    const resourceId = str(e['resourceId']);
    if (resourceId !== undefined) details.push({ code: 'resourceId', message: resourceId.slice(0, 300) });
    const detail: PartnerErrorDetail = { code: kind ?? rawCode, message };
    if (details.length > 0) detail.details = details;
    out.push({ detail, kind });
  }
  return out
    .map((item, index) => ({ ...item, index }))
    .sort((a, b) => ERROR_ORDER.indexOf(a.kind) - ERROR_ORDER.indexOf(b.kind) || a.index - b.index)
    .map((item) => item.detail);
}

export interface ParsedJobStatus extends ParsedStatus {
  jobId: string;
}

/**
 * Reads a configure-status object (`jobId` or `jobID`).
 * @throws PartnerApiError('UnexpectedResponse') when it is not an object with a job id
 */
export function parseJobStatus(body: unknown, statusCode: number, requestId?: string): ParsedJobStatus {
  const jobId = isRecord(body) ? (str(body['jobId']) ?? str(body['jobID']) ?? str(body['jobid'])) : undefined;
  if (!isRecord(body) || !jobId) {
    throw unexpected('The Product Ingestion API answered without a configure-status object (no jobId).', {
      statusCode,
      body,
      requestId,
    });
  }
  const jobStatus = str(body['jobStatus']);
  const jobResult = str(body['jobResult']);
  const state = jobState(jobStatus, jobResult);
  const rawStatus = rawJobStatus(jobStatus, jobResult);
  const parsed: ParsedJobStatus = {
    jobId,
    rawStatus,
    state,
    terminal: TERMINAL_STATES.has(state),
    steps: synthesizeSteps(state, rawStatus),
  };
  const progress = jobProgress(state);
  if (progress !== undefined) parsed.progressPercentage = progress;
  const errors = mapJobErrors(body['errors']);
  if (errors.length > 0) parsed.errors = errors;
  return parsed;
}

// ---- products and submissions ----

/**
 * The product GUID for an external id (offer id) from a `GET product?externalId=` answer. Only entries whose
 * `identity.externalId` equals it count (the answer may list more).
 * @throws PartnerApiError NotFound (none), UnexpectedResponse (several, or no list)
 */
export function productGuidFromList(body: unknown, externalId: string, statusCode = 200): string {
  const list = isRecord(body) && Array.isArray(body['value']) ? body['value'] : undefined;
  if (!list) {
    throw unexpected('The Product Ingestion API answered the product search without a list.', { statusCode, body });
  }
  const guids = new Set<string>();
  for (const p of list) {
    if (!isRecord(p)) continue;
    const identity = p['identity'];
    const ext = isRecord(identity) ? str(identity['externalId']) : undefined;
    const id = str(p['id']);
    if (ext !== externalId || !id) continue;
    const m = /^product\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(id);
    if (m?.[1]) guids.add(m[1]);
  }
  if (guids.size === 0) {
    throw new PartnerApiError(
      'NotFound',
      `No Product Ingestion product has the external id "${externalId}"; check the offer id or send productId.`,
      { statusCode },
    );
  }
  if (guids.size > 1) {
    throw new PartnerApiError(
      'UnexpectedResponse',
      `${guids.size} Product Ingestion products have the external id "${externalId}"; send productId to choose one.`,
      { statusCode },
    );
  }
  return [...guids][0] as string;
}

export interface Submission {
  id: string;
  number: number;
  targetType: string;
  /** Absent on the draft pseudo-submission (`/0`). */
  status?: string;
  result?: string;
  created?: string;
}

/**
 * A `GET submission/{productGuid}` answer (`{ value: [...] }`; a bare array tolerated) as submissions.
 * @throws PartnerApiError('UnexpectedResponse') when there is no list
 */
export function parseSubmissions(body: unknown, statusCode = 200): Submission[] {
  const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body['value']) ? body['value'] : undefined;
  if (!list)
    throw unexpected('The Product Ingestion API answered the submission list without a list.', { statusCode, body });
  const out: Submission[] = [];
  for (const s of list) {
    if (!isRecord(s)) continue;
    const id = str(s['id']);
    const parsed = id === undefined ? undefined : parseSubmissionId(id);
    if (!id || !parsed) continue;
    const target = s['target'];
    const submission: Submission = {
      id,
      number: Number.parseInt(parsed.number, 10),
      targetType: (isRecord(target) ? str(target['targetType']) : undefined) ?? '',
    };
    const status = str(s['status']);
    if (status !== undefined && status !== '') submission.status = status;
    const result = str(s['result']);
    if (result !== undefined && result !== '') submission.result = result;
    const created = str(s['created']);
    if (created !== undefined) submission.created = created;
    out.push(submission);
  }
  return out;
}

/** A submission with a status other than `completed`: still being processed. The draft (no status) never is. */
export function isInFlight(s: Submission): boolean {
  return s.status !== undefined && normKey(s.status) !== 'completed' && normKey(s.status) !== 'complete';
}

/** The preview submission to push live: the newest `preview` entry that is not the draft `/0`. */
export function currentPreview(submissions: readonly Submission[]): Submission | undefined {
  return submissions
    .filter((s) => normKey(s.targetType) === 'preview' && s.number !== 0)
    .reduce<Submission | undefined>((best, s) => (best === undefined || s.number > best.number ? s : best), undefined);
}

/** The live submissions still being processed, as running operations (operation URL = the submission URL). */
export function runningLiveSubmissions(
  submissions: readonly Submission[],
  baseUrl: string,
  schemaVersion: string,
): RunningOperation[] {
  const out: RunningOperation[] = [];
  for (const s of submissions) {
    if (normKey(s.targetType) !== 'live' || !isInFlight(s)) continue;
    const url = submissionUrl(baseUrl, s.id, schemaVersion);
    if (!url) continue;
    const op: RunningOperation = {
      operationUrl: url,
      operationId: s.id,
      submissionType: 'live',
      rawStatus: s.status ?? '',
    };
    if (s.created !== undefined) op.changedTime = s.created;
    out.push(op);
  }
  return out;
}

/**
 * The state of a live submission followed through the submission list: the in-flight `live` entry with that id,
 * else the newest finished one. `status` notStarted/running map as jobs do; completed + `result` succeeded/failed.
 * Undefined when no `live` entry has the id.
 */
export function liveSubmissionState(
  submissions: readonly Submission[],
  submissionId: string,
): { submission: Submission; state: OperationState; rawStatus: string } | undefined {
  const live = submissions.filter((s) => normKey(s.targetType) === 'live' && s.id === submissionId);
  const pick =
    live.find(isInFlight) ?? [...live].sort((a, b) => (a.created ?? '').localeCompare(b.created ?? '')).pop();
  if (!pick) return undefined;
  const state = jobState(pick.status, pick.result);
  return { submission: pick, state, rawStatus: rawJobStatus(pick.status, pick.result) };
}

// ---- HTTP error bodies ----

export { errorCodeForStatus, normKey, safeBody } from './shared';

function unexpected(message: string, o: { statusCode: number; body: unknown; requestId?: string | undefined }) {
  return new PartnerApiError('UnexpectedResponse', message, {
    statusCode: o.statusCode,
    body: safeBody(o.body),
    ...(o.requestId === undefined ? {} : { requestId: o.requestId }),
  });
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The polling floor for a base URL: the documented once-a-minute limit for the real API; none for a loopback base
 * URL (the local simulator, which the development token is limited to), so local runs and tests poll quickly.
 */
export function minPollIntervalFor(baseUrl: string): number {
  try {
    return LOOPBACK.test(new URL(baseUrl).hostname) ? 0 : PRODUCT_INGESTION_MIN_POLL_SECONDS;
  } catch {
    return PRODUCT_INGESTION_MIN_POLL_SECONDS;
  }
}
