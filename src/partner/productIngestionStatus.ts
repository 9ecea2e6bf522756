/**
 * Product Ingestion answers as the workflow sees them (docs/partner-apis.md): job and submission
 * URLs, configure-status normalisation, the two phases of a go-live (`Submit`, `Publish to live`) as steps, job error
 * classification (nested details included), submission lists with opaque ids, error bodies.
 * Pure functions over parsed JSON; no I/O.
 */
import { isLoopbackUrl, isRecord } from '../util';
import { OperationUrlRefusedError, PartnerApiError } from './errors';
import { MAX_TEXT, normKey, operationUrlOnOrigin, type ParsedStatus, safeBody, str } from './shared';
import type { GoLiveOperation, OperationState, OperationStep, PartnerErrorDetail } from './types';
import { TERMINAL_STATES } from './types';

/** The schema host of configure and submission resources (the older azureedge host stopped answering in 2024). */
export const SCHEMA_HOST = 'https://schema.mp.microsoft.com/schema';

/**
 * The version the `submission` and `configure` resource schemas exist at: public clients (azure-img-utils, the
 * partnercenter CLI extension, cloudpub's submission model, Microsoft's GitHub action) pin it whatever `$version`
 * they send; the `$schema` of the resources the adapter posts is pinned to it, independent of `$version`.
 */
export const SUBMISSION_SCHEMA_VERSION = '2022-03-01-preview2';
export const CONFIGURE_SCHEMA_VERSION = '2022-03-01-preview2';

/** How long a submission the run pushed may stay unlisted as `live` after its job succeeded (eventual consistency). */
export const DEFAULT_LISTING_GRACE_MS = 15 * 60_000;

/** The most list pages one read follows through `@nextLink`. */
export const MAX_LIST_PAGES = 100;

/** The documented limit: read a job's status at most once per minute. */
export const PRODUCT_INGESTION_MIN_POLL_SECONDS = 60;

const MAX_ERRORS = 20;

// ---- URLs and ids ----

/** What a Product Ingestion operation URL points at. */
export type ProductIngestionLocator =
  /** `submissionId`: the submission the run posted (kept in the URL's fragment, never sent). */
  | { kind: 'job'; jobId: string; submissionId?: string }
  /**
   * A live submission (the `Publish to live` phase, or one attached to): followed through the submission list.
   * `notListedSince`: when the run first read it as not listed yet (kept in the URL's fragment, never sent).
   */
  | { kind: 'submission'; productGuid: string; submissionNumber: string; notListedSince?: string };

/** The fragment's `key=value` pairs (a fragment is never sent in a request). */
function fragmentValues(url: URL): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of url.hash.replace(/^#/, '').split('&')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out.set(part.slice(0, i), decodeURIComponent(part.slice(i + 1)));
    } catch {
      // a malformed value is ignored
    }
  }
  return out;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The last part of a submission id: opaque (real ones are 14-19 digit numbers, the draft is `0`); no length limit. */
const SUBMISSION_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Resolves an operation URL (absolute, or relative to the base URL's origin) against the configured base URL and
 * says what it points at: `{base}/configure/{jobId}/status` or `{base}/submission/{productGuid}/{n}`. Refuses,
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
  const fragment = fragmentValues(url);
  if (rest.length === 3 && rest[0] === 'configure' && rest[2] === 'status' && SEGMENT.test(rest[1] ?? '')) {
    const posted = fragment.get('submission');
    return {
      kind: 'job',
      jobId: rest[1] ?? '',
      ...(posted !== undefined && parseSubmissionId(posted) ? { submissionId: posted.trim() } : {}),
    };
  }
  if (
    rest.length === 3 &&
    rest[0] === 'submission' &&
    SEGMENT.test(rest[1] ?? '') &&
    SUBMISSION_PART.test(rest[2] ?? '')
  ) {
    const since = fragment.get('notListedSince');
    return {
      kind: 'submission',
      productGuid: rest[1] ?? '',
      submissionNumber: rest[2] ?? '',
      ...(since !== undefined && !Number.isNaN(Date.parse(since)) ? { notListedSince: since } : {}),
    };
  }
  throw refuse();
}

/**
 * `{base}/configure/{jobId}/status?$version=...`: the operation URL of a go-live job; with `submissionId` (the
 * submission the run posted) in its fragment `#submission=...`, which no request ever carries.
 */
export function jobStatusUrl(baseUrl: string, jobId: string, schemaVersion: string, submissionId?: string): string {
  const url = `${baseUrl.replace(/\/+$/, '')}/configure/${encodeURIComponent(jobId)}/status?$version=${encodeURIComponent(schemaVersion)}`;
  return submissionId === undefined ? url : `${url}#submission=${encodeURIComponent(submissionId)}`;
}

/**
 * `{base}/submission/{productGuid}/{n}?$version=...`: the operation URL of a live submission; with `notListedSince`
 * (when the run first found it not listed yet) in its fragment.
 */
export function submissionUrl(
  baseUrl: string,
  submissionId: string,
  schemaVersion: string,
  notListedSince?: string,
): string | undefined {
  const parsed = parseSubmissionId(submissionId);
  if (!parsed) return undefined;
  const url = `${baseUrl.replace(/\/+$/, '')}/submission/${encodeURIComponent(parsed.productGuid)}/${encodeURIComponent(parsed.number)}?$version=${encodeURIComponent(schemaVersion)}`;
  return notListedSince === undefined ? url : `${url}#notListedSince=${encodeURIComponent(notListedSince)}`;
}

/**
 * `submission/<productGuid>/<n>` → its parts. `n` stays a string: real ids end in 14-19 digits, past 2^53, where a
 * JS number loses precision; nothing limits its length.
 */
export function parseSubmissionId(id: string): { productGuid: string; number: string } | undefined {
  const m = /^submission\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(id.trim());
  return m ? { productGuid: m[1] ?? '', number: m[2] ?? '' } : undefined;
}

/**
 * Orders two submission numbers: as BigInts when both are digits (`1152921515689848683` vs `1152921515689848690`
 * differ only past 2^53), else as strings. Negative when `a` is older.
 */
export function compareSubmissionNumbers(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders submissions oldest first: by `created` (an entry without one is older), then by number. */
export function compareSubmissions(a: Submission, b: Submission): number {
  const ta = a.created === undefined ? Number.NEGATIVE_INFINITY : Date.parse(a.created);
  const tb = b.created === undefined ? Number.NEGATIVE_INFINITY : Date.parse(b.created);
  const ca = Number.isNaN(ta) ? Number.NEGATIVE_INFINITY : ta;
  const cb = Number.isNaN(tb) ? Number.NEGATIVE_INFINITY : tb;
  if (ca !== cb) return ca < cb ? -1 : 1;
  return compareSubmissionNumbers(a.number, b.number);
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
 * A job's (or a submission's) state from its status and result, compared without case: notStarted → notStarted,
 * running → running, completed + succeeded → succeeded, completed + failed → failed, completed + cancelled/canceled
 * → canceled. Anything else (a new status, completed with a pending or missing result) → `unknown`, not terminal.
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

/** The phase a go-live is in, and how that phase stands. */
export type GoLivePhase = { phase: 'submit'; state: OperationState } | { phase: 'publish'; state: OperationState };

const STEP_STATUS: Record<OperationState, string> = {
  notStarted: 'notStarted',
  running: 'inProgress',
  succeeded: 'complete',
  failed: 'failed',
  canceled: 'canceled',
  unknown: 'unknown',
};

/**
 * The two steps of a Product Ingestion go-live, in the CPP step vocabulary so runs and events look the same for
 * both APIs: `Submit` (the configure job) and `Publish to live` (the live submission with the preview's id).
 */
export function synthesizeSteps(p: GoLivePhase, rawStatus = ''): OperationStep[] {
  const status = (state: OperationState) => (state === 'unknown' ? rawStatus || 'unknown' : STEP_STATUS[state]);
  const submitStatus = p.phase === 'submit' ? status(p.state) : 'complete';
  const publishStatus = p.phase === 'publish' ? status(p.state) : 'notStarted';
  return [
    {
      id: 'submit',
      stepName: STEP_SUBMIT,
      status: submitStatus,
      progressPercentage: submitStatus === 'complete' ? 100 : p.state === 'running' ? 50 : 0,
    },
    {
      id: 'live',
      stepName: STEP_PUBLISH,
      status: publishStatus,
      progressPercentage: publishStatus === 'complete' ? 100 : 0,
    },
  ];
}

/**
 * Overall progress: the job runs through the first half (0, 25), its success is 50, the live submission runs at 75
 * and its success is 100; a failure keeps the progress reached. Undefined for an unknown state.
 */
export function goLiveProgress(p: GoLivePhase): number | undefined {
  const offset = p.phase === 'submit' ? 0 : 50;
  switch (p.state) {
    case 'notStarted':
      return offset;
    case 'running':
    case 'failed':
    case 'canceled':
      return offset + 25;
    case 'succeeded':
      return offset + 50;
    default:
      return undefined;
  }
}

// ---- job errors ----

/** Stable codes the client puts first in `errors[].code` for the job failures the workflow acts on. */
export const JOB_ERROR = {
  /**
   * Another submission runs: attach or retry later. Only this code itself names it: the API sends the collision as a
   * plain `internalServerError` (classified `JobServerError`, whose next submit attaches just the same).
   */
  inProgress: 'SubmissionInProgress',
  /**
   * The preview id was stale: re-read submissions and submit again (once). Only this code itself names it: the API's
   * `conflict` is also every other conflict, so it stays permanent with the API's code.
   */
  notLatest: 'SubmissionNotLatest',
  /** `invalidState` (at the top or in a detail; the record shows it for certification): permanent for this submission. */
  certification: 'CertificationFailed',
  /** `productLocked` (top or detail): another change holds the product; permanent for this run. */
  productLocked: 'ProductLocked',
  /**
   * `internalServerError` (or another server-side code) with no permanent code at any depth: the service failed the
   * job, or it collided with a submission in progress (same code); submitted again, at most twice (cloudpub tries a live push 3 times, 60 s apart).
   */
  serverError: 'JobServerError',
} as const;

/**
 * Every job error code the public record shows (docs/partner-apis.md), compared without case, and what the run
 * does with a failed job that carries it (top level or nested) when its message says nothing more specific.
 */
export const JOB_ERROR_CODE_DISPOSITION: Readonly<Record<string, 'transient' | 'permanent'>> = {
  internalservererror: 'transient',
  serviceunavailable: 'transient',
  toomanyrequests: 'transient',
  timeout: 'transient',
  badrequest: 'permanent',
  notfound: 'permanent',
  conflict: 'permanent',
  invalidstate: 'permanent',
  locked: 'permanent',
  productlocked: 'permanent',
  unauthorized: 'permanent',
  forbidden: 'permanent',
  businessvalidationerror: 'permanent',
  invalidrequest: 'permanent',
  invalidresource: 'permanent',
};

export type JobErrorCode = (typeof JOB_ERROR)[keyof typeof JOB_ERROR];

/** What the workflow does about a failed job. */
export type JobFailureDisposition =
  /** Another submission is in progress: attach to it (running live submission) or submit again later. */
  | 'inProgress'
  /** The submitted preview was not the latest: read the submissions again and submit once more. */
  | 'resubmit'
  /** The service failed the job (`internalServerError` and nothing more specific): submit again, at most twice. */
  | 'transient'
  /** Nothing to retry (certification failure, locked product, validation errors, anything unrecognised). */
  | 'permanent';

/** A job error as the API sends it: code and message, nested details (any depth), where the error is about. */
export interface RawJobError {
  code?: string;
  message?: string;
  details?: readonly RawJobError[];
}

/**
 * One error's kind, by its code alone (never its message). The codes the client itself puts first
 * (`SubmissionInProgress`, ...) name their kind. Of the API's codes, `invalidState` is certification (the only
 * `invalidState` the record shows for a go-live job; permanent in every reading), `productLocked` / `locked` a locked
 * product, and `internalServerError` (like every server-side code) a server failure: the record also shows it for a
 * collision with a submission in progress, which the same path covers, since every submit reads the submissions first
 * and attaches to a running live submission. A `conflict` is left to the API's code: a stale preview and any other
 * conflict share it, so the run does not post again on it.
 */
function classifyOne(code: string): JobErrorCode | undefined {
  if (code === normKey(JOB_ERROR.inProgress)) return JOB_ERROR.inProgress;
  if (code === normKey(JOB_ERROR.notLatest)) return JOB_ERROR.notLatest;
  if (code === normKey(JOB_ERROR.certification) || code === 'invalidstate') return JOB_ERROR.certification;
  if (code === 'productlocked' || code === 'locked' || code === normKey(JOB_ERROR.productLocked)) {
    return JOB_ERROR.productLocked;
  }
  if (code === normKey(JOB_ERROR.serverError) || JOB_ERROR_CODE_DISPOSITION[code] === 'transient') {
    return JOB_ERROR.serverError;
  }
  return undefined;
}

const KIND_ORDER: (JobErrorCode | undefined)[] = [
  JOB_ERROR.certification,
  JOB_ERROR.productLocked,
  JOB_ERROR.inProgress,
  JOB_ERROR.notLatest,
  JOB_ERROR.serverError,
  undefined,
];

/** Whether an error (or any detail at any depth) carries a code the record shows as permanent. */
function hasPermanentCode(error: RawJobError, depth = 0): boolean {
  if (JOB_ERROR_CODE_DISPOSITION[normKey(error.code)] === 'permanent') return true;
  return depth < 4 && (error.details ?? []).some((d) => hasPermanentCode(d, depth + 1));
}

/**
 * Classifies a job error by its top-level code and every nested detail's code (compared without case; messages are
 * never read). A permanent kind found anywhere wins over a retryable one.
 */
export function classifyJobError(error: RawJobError, depth = 0): JobErrorCode | undefined {
  const kinds: (JobErrorCode | undefined)[] = [classifyOne(normKey(error.code))];
  if (depth < 4) for (const d of error.details ?? []) kinds.push(classifyJobError(d, depth + 1));
  const found = kinds.filter((k): k is JobErrorCode => k !== undefined);
  if (found.length === 0) return undefined;
  const first = found.sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))[0];
  // A server error is transient only when nothing at any depth says the job cannot succeed.
  if (first === JOB_ERROR.serverError && depth === 0 && hasPermanentCode(error)) return undefined;
  return first;
}

/**
 * The run decision for a failed job from its errors (as `getOperation` returns them, or raw): certification or a
 * locked product → `permanent`; in-progress collision → `inProgress`; stale preview → `resubmit`; else `permanent`.
 */
export function jobFailureDisposition(errors: readonly RawJobError[] | undefined): JobFailureDisposition {
  const kinds = new Set((errors ?? []).map((e) => classifyJobError(e)));
  if (kinds.has(JOB_ERROR.certification) || kinds.has(JOB_ERROR.productLocked)) return 'permanent';
  if (kinds.has(JOB_ERROR.inProgress)) return 'inProgress';
  if (kinds.has(JOB_ERROR.notLatest)) return 'resubmit';
  if (kinds.has(JOB_ERROR.serverError) && !kinds.has(undefined)) return 'transient';
  return 'permanent';
}

/** Go Lives one run may send again after a job collided with a submission in progress. */
export const MAX_IN_PROGRESS_RESUBMITS = 3;
/** Go Lives one run may send again after the service failed the job. */
export const MAX_SERVER_ERROR_RESUBMITS = 2;

/**
 * The adapter's "submit again" advice for a failed job: a collision with a submission in progress may be submitted
 * again (the next submit attaches to a running live submission first) up to 3 times; a stale preview once (the
 * submit reads the submissions afresh); anything else never.
 */
export function submitAgainAdvice(
  errors: readonly RawJobError[] | undefined,
): { reason: string; maxTimes: number } | undefined {
  switch (jobFailureDisposition(errors)) {
    case 'inProgress':
      return { reason: JOB_ERROR.inProgress, maxTimes: MAX_IN_PROGRESS_RESUBMITS };
    case 'resubmit':
      return { reason: JOB_ERROR.notLatest, maxTimes: 1 };
    case 'transient':
      return { reason: JOB_ERROR.serverError, maxTimes: MAX_SERVER_ERROR_RESUBMITS };
    default:
      return undefined;
  }
}

function rawJobErrors(v: unknown, depth = 0): RawJobError[] {
  if (!Array.isArray(v)) return [];
  const out: RawJobError[] = [];
  for (const e of v.slice(0, MAX_ERRORS)) {
    if (!isRecord(e)) continue;
    const item: RawJobError = {};
    const code = str(e['code']);
    const message = str(e['message']);
    if (code !== undefined) item.code = code;
    if (message !== undefined) item.message = message.slice(0, MAX_TEXT);
    if (depth < 4 && Array.isArray(e['details'])) item.details = rawJobErrors(e['details'], depth + 1);
    out.push(item);
  }
  return out;
}

function flatDetails(errors: readonly RawJobError[], out: { code?: string; message?: string }[] = []) {
  for (const d of errors) {
    if (out.length >= MAX_ERRORS) break;
    const item: { code?: string; message?: string } = {};
    if (d.code !== undefined) item.code = d.code;
    if (d.message !== undefined) item.message = d.message;
    out.push(item);
    flatDetails(d.details ?? [], out);
  }
  return out;
}

/** `resourceId` as text: a string, or an object (e.g. `{ "resourceId": ..., "resourceType": ... }`) as JSON. */
function resourceText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v)) {
    try {
      return JSON.stringify(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A job's `errors[]` as error details: recognised failures get the stable code (the partner code is kept as the
 * first detail), nested details are flattened after it, and recognised failures come first, so `errors[0].code` is
 * what the run acts on; others keep their code.
 */
export function mapJobErrors(v: unknown): PartnerErrorDetail[] {
  if (!Array.isArray(v)) return [];
  const raw = rawJobErrors(v);
  const out: { detail: PartnerErrorDetail; kind: JobErrorCode | undefined }[] = [];
  let i = 0;
  for (const e of v.slice(0, MAX_ERRORS)) {
    if (!isRecord(e)) continue;
    const r = raw[i++] ?? {};
    const rawCode = r.code ?? 'jobError';
    const kind = classifyJobError(r);
    // The most telling message: a recognised detail's where the top level only says "Operation failed".
    const nested = flatDetails(r.details ?? []);
    const telling = kind === undefined ? undefined : nested.find((d) => classifyJobError(d) === kind)?.message;
    const message =
      r.message && (telling === undefined || classifyJobError({ code: r.code, message: r.message }) === kind)
        ? r.message
        : [r.message, telling].filter((m) => m !== undefined && m !== '').join(': ');
    const details: { code?: string; message?: string }[] = [];
    if (kind !== undefined) details.push({ code: rawCode, message: 'partner API error code' });
    details.push(...nested);
    const resourceId = resourceText(e['resourceId']);
    if (resourceId !== undefined) details.push({ code: 'resourceId', message: resourceId.slice(0, 300) });
    const detail: PartnerErrorDetail = { code: kind ?? rawCode, message };
    if (details.length > 0) detail.details = details;
    out.push({ detail, kind });
  }
  return out
    .map((item, index) => ({ ...item, index }))
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.index - b.index)
    .map((item) => item.detail);
}

export interface ParsedJobStatus extends ParsedStatus {
  jobId: string;
  /** The job's errors as sent (nested details kept), for the "submit again" advice. */
  rawErrors: RawJobError[];
}

/**
 * Reads a configure-status object (`jobId` or `jobID`) as the `Submit` phase of a go-live.
 * @throws PartnerApiError('UnexpectedResponse') when it is not an object with a job id
 */
export function parseJobStatus(body: unknown, statusCode: number, requestId?: string): ParsedJobStatus {
  // `jobId` in the documentation and every client; `jobID` in older samples: the key is read without case.
  const jobId = isRecord(body) ? str(valueOf(body, 'jobId')) : undefined;
  if (!isRecord(body) || !jobId) {
    throw unexpected('The Product Ingestion API answered without a configure-status object (no jobId).', {
      statusCode,
      body,
      requestId,
    });
  }
  const jobStatus = str(valueOf(body, 'jobStatus'));
  const jobResult = str(valueOf(body, 'jobResult'));
  const state = jobState(jobStatus, jobResult);
  const rawStatus = rawJobStatus(jobStatus, jobResult);
  const phase: GoLivePhase = { phase: 'submit', state };
  const parsed: ParsedJobStatus = {
    jobId,
    rawStatus,
    state,
    terminal: TERMINAL_STATES.has(state),
    steps: synthesizeSteps(phase, rawStatus),
    rawErrors: rawJobErrors(valueOf(body, 'errors')),
  };
  const progress = goLiveProgress(phase);
  if (progress !== undefined) parsed.progressPercentage = progress;
  const errors = mapJobErrors(valueOf(body, 'errors'));
  if (errors.length > 0) parsed.errors = errors;
  return parsed;
}

/**
 * The submission id a finished configure job pushed live, from a `GET configure/{jobId}` detail answer: the
 * submission resource whose target is `live`. Undefined when the answer lists none.
 */
export function liveSubmissionFromJobDetail(body: unknown): string | undefined {
  const resources = isRecord(body) && Array.isArray(body['resources']) ? body['resources'] : [];
  for (const r of resources) {
    if (!isRecord(r)) continue;
    const id = str(r['id']);
    const target = r['target'];
    const targetType = isRecord(target) ? str(target['targetType']) : undefined;
    if (id !== undefined && parseSubmissionId(id) && normKey(targetType) === 'live') return id;
  }
  return undefined;
}

// ---- products and submissions ----

/** A record's value under `key`, the key compared without case (`externalId`, `externalID`). */
function valueOf(record: Record<string, unknown>, key: string): unknown {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(record)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * The product GUID for an external id (offer id) from a `GET product?externalId=` answer. Only entries whose
 * `identity.externalId` (key in any case: the 2023 samples spell it `externalID`) equals it count.
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
    const identity = valueOf(p, 'identity');
    const ext = isRecord(identity) ? str(valueOf(identity, 'externalId')) : undefined;
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
  /** `submission/<productGuid>/<n>`, kept exactly as sent. */
  id: string;
  /** The `<n>` of the id, a string (never a JS number: real ones pass 2^53). */
  number: string;
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
      id: id.trim(),
      number: parsed.number,
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

const isLive = (s: Submission) => normKey(s.targetType) === 'live';

/** The preview submission to push live: the newest `preview` entry (by `created`, then number) that is not the draft `/0`. */
export function currentPreview(submissions: readonly Submission[]): Submission | undefined {
  return submissions
    .filter((s) => normKey(s.targetType) === 'preview' && s.number !== '0')
    .reduce<Submission | undefined>(
      (best, s) => (best === undefined || compareSubmissions(s, best) > 0 ? s : best),
      undefined,
    );
}

/** The newest `live` entry (by `created`, then number), if any. */
export function newestLive(submissions: readonly Submission[]): Submission | undefined {
  return submissions
    .filter(isLive)
    .reduce<Submission | undefined>(
      (best, s) => (best === undefined || compareSubmissions(s, best) > 0 ? s : best),
      undefined,
    );
}

/** The keys a list answer names its next page with: `@nextLink` (documented), `nextLink`, `@odata.nextLink`. */
export function nextLinkOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  for (const key of ['@nextLink', 'nextLink', '@odata.nextLink']) {
    const v = str(valueOf(body, key));
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** Whether `preview` is already live: a `live` entry with its id is `completed` + `succeeded`. */
export function isAlreadyLive(submissions: readonly Submission[], preview: Submission): boolean {
  return submissions.some((s) => isLive(s) && s.id === preview.id && jobState(s.status, s.result) === 'succeeded');
}

/**
 * The product's live submissions as go-lives: every one still being processed, and finished ones created at or
 * after `finishedSince` (a finished one without `created` is left out: nothing says it is recent). With `onlyId`,
 * only the live submissions with that id (the preview's: the go-live that pushes it).
 */
export function liveGoLives(
  submissions: readonly Submission[],
  baseUrl: string,
  schemaVersion: string,
  finishedSince?: string,
  onlyId?: string,
): GoLiveOperation[] {
  const since = finishedSince === undefined ? undefined : Date.parse(finishedSince);
  const out: GoLiveOperation[] = [];
  for (const s of submissions) {
    if (!isLive(s) || (onlyId !== undefined && s.id !== onlyId)) continue;
    const running = isInFlight(s);
    if (!running) {
      const created = s.created === undefined ? Number.NaN : Date.parse(s.created);
      if (since === undefined || Number.isNaN(since) || Number.isNaN(created) || created < since) continue;
    }
    const url = submissionUrl(baseUrl, s.id, schemaVersion);
    if (!url) continue;
    const op: GoLiveOperation = {
      operationUrl: url,
      operationId: s.id,
      submissionType: 'live',
      rawStatus: rawJobStatus(s.status, s.result),
      running,
    };
    if (s.created !== undefined) {
      op.changedTime = s.created;
      op.createdAt = s.created;
    }
    out.push(op);
  }
  return out;
}

/**
 * The `Publish to live` phase of a go-live pushing `submissionId`: the `live` entry with that id (in flight first,
 * else the newest), mapped as jobs are (completed + `result`). Undefined when no `live` entry has the id.
 */
export function liveSubmissionState(
  submissions: readonly Submission[],
  submissionId: string,
): { submission: Submission; state: OperationState; rawStatus: string } | undefined {
  const live = submissions.filter((s) => isLive(s) && s.id === submissionId);
  const pick = live.find(isInFlight) ?? [...live].sort(compareSubmissions).pop();
  if (!pick) return undefined;
  return {
    submission: pick,
    state: jobState(pick.status, pick.result),
    rawStatus: rawJobStatus(pick.status, pick.result),
  };
}

/**
 * How the `Publish to live` phase stands for `submissionId`: its live entry's state; `notStarted` (status
 * `notListed`) while the id is only a preview, not yet listed as live; undefined when the product lists no such id.
 */
export function publishPhase(submissions: readonly Submission[], submissionId: string): ParsedStatus | undefined {
  const found = liveSubmissionState(submissions, submissionId);
  let state: OperationState;
  let rawStatus: string;
  if (found) {
    ({ state, rawStatus } = found);
  } else if (submissions.some((s) => s.id === submissionId)) {
    state = 'notStarted';
    rawStatus = 'notListed';
  } else {
    return undefined;
  }
  const phase: GoLivePhase = { phase: 'publish', state };
  const parsed: ParsedStatus = {
    rawStatus,
    state,
    terminal: TERMINAL_STATES.has(state),
    steps: synthesizeSteps(phase, rawStatus),
  };
  const progress = goLiveProgress(phase);
  if (progress !== undefined) parsed.progressPercentage = progress;
  if (state === 'failed' || state === 'canceled') {
    parsed.errors = [
      {
        code: 'LiveSubmissionFailed',
        message: `Live submission ${submissionId} completed with result ${found?.submission.result ?? 'none'}; the offer did not go live.`,
      },
    ];
  }
  return parsed;
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

/**
 * The polling floor for a base URL: the documented once-a-minute limit for the real API; none for a loopback base
 * URL (the local simulator, which the development token is limited to), so local runs and tests poll quickly.
 */
export function minPollIntervalFor(baseUrl: string): number {
  return isLoopbackUrl(baseUrl) ? 0 : PRODUCT_INGESTION_MIN_POLL_SECONDS;
}
