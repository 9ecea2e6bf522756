import { ACTIVE_STATES } from '../golive/run/states';
import type { RunView } from '../golive/run/view';

/**
 * How the console and the `golive` command read a run from the HTTP API's JSON (`GET /api/golive/...`): the one
 * place that knows the answer's field names. Everything is checked; a field that is missing or has another type
 * reads as absent, so the views keep working when the run's shape grows. Runs in the browser and in Node: it imports
 * only the state lists (`golive/run/states.ts`, bundled into the page with it).
 */

export interface RunStepView {
  name: string;
  status: string;
  /** 0-100 when the partner API gives one. */
  progress: number | null;
  done: boolean;
  /** The partner API's estimate of the step's duration (`< 1 day`), if it gave one. */
  estimatedTimeFrame: string | null;
}

/** When the operation is expected to end (the run's estimate while it runs). */
export interface ExpectedEndView {
  at: string;
  earliest: string | null;
  latest: string | null;
  basis: string | null;
}

/** Consecutive identical checks folded into one row: the first and last time, and how many. */
export interface FoldedCheckView extends RunCheckView {
  /** The last check of the row (equal to `at` when the row holds one). */
  until: string;
  count: number;
}

export interface RunCheckView {
  at: string;
  status: string;
  progress: number | null;
  error: string | null;
}

export interface RunRequestView {
  requestId: string;
  requestedBy: string | null;
  receivedAt: string | null;
}

export interface RunErrorView {
  code: string;
  message: string;
  statusCode: number | null;
  /** The partner API's error body, as it came. */
  body: unknown;
}

export interface PreviousRunView {
  runId: string;
  runNumber: number | null;
  outcome: string;
  startedAt: string | null;
  completedAt: string | null;
  pollCount: number | null;
  requestIds: string[];
  error: RunErrorView | null;
}

/**
 * The run view's fields the console reads (`golive/run/view.ts`, itself a pick of the run record): a field renamed
 * or dropped there fails to compile here. Their values are read tolerantly (below), so the model's types are its own.
 */
type ViewFields = keyof Pick<
  RunView,
  | 'publisherId'
  | 'offerId'
  | 'api'
  | 'productId'
  | 'runId'
  | 'runNumber'
  | 'state'
  | 'active'
  | 'operationId'
  | 'operationStatus'
  | 'steps'
  | 'pollCount'
  | 'lastCheckedAt'
  | 'nextCheckAt'
  | 'nextCheckReason'
  | 'expectedEnd'
  | 'startedAt'
  | 'acceptedAt'
  | 'deadlineAt'
  | 'completedAt'
  | 'durationSeconds'
  | 'requests'
  | 'error'
  | 'warnings'
  | 'checks'
  | 'completionEvent'
  | 'previousRuns'
>;

/** A run as the console shows it: the view's fields (`ViewFields`), and what the console derives from them. */
export interface RunModel extends Record<ViewFields, unknown> {
  /** `publisherId/offerId`. */
  key: string;
  publisherId: string;
  offerId: string;
  api: string;
  productId: string | null;
  runId: string;
  runNumber: number | null;
  /** pending, submitting, polling, canceling, succeeded, failed, canceled, timedOut, terminated (or a newer one). */
  state: string;
  active: boolean;
  operationId: string | null;
  operationStatus: string | null;
  steps: RunStepView[];
  /** The first step not done (else the last step). */
  currentStep: RunStepView | null;
  /** 0-100: the operation's percentage, else the current step's, else the share of steps done. */
  progress: number | null;
  pollCount: number;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
  /** Why the next check is then (`likely end`, `before likely end`, ...). */
  nextCheckReason: string | null;
  expectedEnd: ExpectedEndView | null;
  startedAt: string | null;
  /** When the partner API accepted the Go Live (or the run attached to one running). */
  acceptedAt: string | null;
  deadlineAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
  requests: RunRequestView[];
  requestCount: number;
  error: RunErrorView | null;
  warnings: string[];
  checks: RunCheckView[];
  /** The CloudEvent the run published on `golive-events` (null while it runs). */
  completionEvent: Record<string, unknown> | null;
  previousRuns: PreviousRunView[];
}

/** The run states and the `state` filter values of `GET /api/golive`, from the one list (`golive/run/states.ts`). */
export { ACTIVE_STATES, STATE_FILTERS } from '../golive/run/states';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function pct(v: unknown): number | null {
  const n = num(v);
  return n === null ? null : Math.max(0, Math.min(100, n));
}

const DONE = /^(complete|completed|succeeded|done|skipped)$/i;

function readStep(v: unknown): RunStepView | undefined {
  const o = obj(v);
  const name = str(o?.name) ?? str(o?.stepName);
  if (!o || name === null) return undefined;
  const status = str(o.status) ?? 'unknown';
  return {
    name,
    status,
    progress: pct(o.progress ?? o.progressPercentage),
    done: DONE.test(status),
    estimatedTimeFrame: str(o.estimatedTimeFrame),
  };
}

function readError(v: unknown): RunErrorView | null {
  const o = obj(v);
  if (!o) return null;
  return {
    code: str(o.code) ?? 'Error',
    message: str(o.message) ?? '',
    statusCode: num(o.statusCode),
    body: o.body ?? null,
  };
}

/** Reads one run of `GET /api/golive/{publisherId}/{offerId}` (or an entry of `GET /api/golive`). */
export function readRunModel(json: unknown): RunModel | undefined {
  const o = obj(json);
  const publisherId = str(o?.publisherId);
  const offerId = str(o?.offerId);
  if (!o || publisherId === null || offerId === null) return undefined;
  const steps = list(o.steps)
    .map(readStep)
    .filter((s): s is RunStepView => s !== undefined);
  const currentStep = steps.find((s) => !s.done) ?? steps.at(-1) ?? null;
  const state = str(o.state) ?? 'unknown';
  const active = typeof o.active === 'boolean' ? o.active : (ACTIVE_STATES as readonly string[]).includes(state);
  const requestIds = list(o.requestIds).filter((x): x is string => typeof x === 'string');
  const requests: RunRequestView[] = list(o.requests)
    .map(obj)
    .filter((r): r is Json => r !== undefined && typeof r.requestId === 'string')
    .map((r) => ({ requestId: r.requestId as string, requestedBy: str(r.requestedBy), receivedAt: str(r.receivedAt) }));
  for (const id of requestIds) {
    if (!requests.some((r) => r.requestId === id))
      requests.push({ requestId: id, requestedBy: null, receivedAt: null });
  }
  let progress = pct(o.progressPercentage) ?? currentStep?.progress ?? null;
  if (progress === null && steps.length > 0)
    progress = Math.round((100 * steps.filter((s) => s.done).length) / steps.length);
  // 100% only once the run ended: a run still checking shows at most 99%.
  if (state === 'succeeded') progress = 100;
  else if (active && progress !== null) progress = Math.min(progress, 99);
  const end = obj(o.expectedEnd);
  return {
    key: `${publisherId}/${offerId}`,
    publisherId,
    offerId,
    api: str(o.api) ?? 'unknown',
    productId: str(o.productId),
    runId: str(o.runId) ?? '',
    runNumber: num(o.runNumber),
    state,
    active,
    operationId: str(o.operationId),
    operationStatus: str(o.operationStatus),
    steps,
    currentStep,
    progress,
    pollCount: num(o.pollCount) ?? 0,
    lastCheckedAt: str(o.lastCheckedAt),
    nextCheckAt: active ? str(o.nextCheckAt) : null,
    nextCheckReason: active ? str(o.nextCheckReason) : null,
    expectedEnd:
      active && end && str(end.at) !== null
        ? { at: end.at as string, earliest: str(end.earliest), latest: str(end.latest), basis: str(end.basis) }
        : null,
    startedAt: str(o.startedAt) ?? str(o.createdTime),
    acceptedAt: str(o.acceptedAt),
    deadlineAt: str(o.deadlineAt),
    completedAt: str(o.completedAt),
    durationSeconds: num(o.durationSeconds),
    requests,
    requestCount: Math.max(requests.length, requestIds.length),
    error: readError(o.error),
    warnings: list(o.warnings).filter((x): x is string => typeof x === 'string'),
    checks: list(o.checks)
      .map(obj)
      .filter((c): c is Json => c !== undefined && typeof c.at === 'string')
      .map((c) => {
        const status = str(c.status) ?? 'unknown';
        const progress = pct(c.progress);
        // A read that still saw the operation running is below 100%, whatever its steps added up to.
        const ended = DONE.test(status) || /^(completed?\/)?(succeeded|failed|canceled|cancelled)$/i.test(status);
        return {
          at: c.at as string,
          status,
          progress: progress !== null && !ended ? Math.min(progress, 99) : progress,
          error: str(c.error),
        };
      }),
    completionEvent: obj(o.completionEvent) ?? null,
    previousRuns: list(o.previousRuns)
      .map(obj)
      .filter((r): r is Json => r !== undefined && typeof r.runId === 'string')
      .map((r) => ({
        runId: r.runId as string,
        runNumber: num(r.runNumber),
        outcome: str(r.outcome) ?? 'unknown',
        startedAt: str(r.startedAt),
        completedAt: str(r.completedAt),
        pollCount: num(r.pollCount),
        requestIds: list(r.requestIds).filter((x): x is string => typeof x === 'string'),
        error: readError(r.error),
      })),
  };
}

/** Reads `GET /api/golive`: its runs, newest start first. */
export function readRunList(json: unknown): RunModel[] {
  const runs = list(obj(json)?.runs)
    .map(readRunModel)
    .filter((r): r is RunModel => r !== undefined);
  return runs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

/** The API's error answer `{ error: { code, message } }`, if the JSON is one. */
export function readApiError(json: unknown): { code: string; message: string } | undefined {
  const e = obj(obj(json)?.error);
  return e ? { code: str(e.code) ?? 'Error', message: str(e.message) ?? '' } : undefined;
}

/** Checks newest first, consecutive identical ones (same status, progress and error) folded into one row. */
export function foldChecks(checks: readonly RunCheckView[]): FoldedCheckView[] {
  const rows: FoldedCheckView[] = [];
  for (const c of [...checks].reverse()) {
    const last = rows.at(-1);
    if (last && last.status === c.status && last.progress === c.progress && last.error === c.error) {
      last.count += 1;
      last.at = c.at;
    } else rows.push({ ...c, until: c.at, count: 1 });
  }
  return rows;
}
