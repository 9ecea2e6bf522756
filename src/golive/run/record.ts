import { z } from 'zod';

import type { AnyErrorCode } from '../../errorCodes';
import { RUN_OUTCOMES, RUN_STATES, type RunOutcome } from './states';

/**
 * The run record: one schema for a go-live run's state. The orchestration keeps it as it works, persists it (the
 * continueAsNew input is the record with the settings, the custom status and the output are picks of it:
 * `toCustomStatus`, `toOutput`), and every reader gets it back through `readRun(status)`: the starter, the HTTP API,
 * the reconciler and the completion event. Views (`run/view.ts`, the completion event) pick from it. A field added here and to the
 * views that show it is carried everywhere else unchanged. Everything here is stored in orchestration history, so
 * nothing here may ever hold a token.
 */

export { RUN_OUTCOMES, RUN_STATES } from './states';
/** Checks a run keeps (custom status is limited to 16 KB). */
export const MAX_RUN_CHECKS = 20;
/** Request ids shown in the custom status (the newest; the output lists them all). */
export const STATUS_REQUEST_IDS = 50;

const runTarget = z.object({
  api: z.enum(['cpp', 'productIngestion']),
  publisherId: z.string(),
  offerId: z.string(),
  productId: z.string().optional(),
});
/** A request recorded on a run (the one that started it and every one that joined it). */
const runRequest = z.object({ requestId: z.string(), requestedBy: z.string().optional(), receivedAt: z.string() });
/** Compact operation step, as the run reports it. */
const runStep = z.object({
  name: z.string(),
  status: z.string(),
  progress: z.number().optional(),
  /** The partner API's estimate of the step's duration (CPP: `< 1 day`, `~2-5 days`), as it said. */
  estimatedTimeFrame: z.string().optional(),
});
/** One of the app's codes, or the partner API's own for a failed operation (`src/errorCodes.ts`). */
const errorCode = z.custom<AnyErrorCode>((value) => typeof value === 'string');
const runError = z.object({
  code: errorCode,
  message: z.string(),
  statusCode: z.number().optional(),
  body: z.unknown().optional(),
});
/** One read of the partner operation (`status` is `error` when the read failed, with the error's code). */
const runCheck = z.object({
  at: z.string(),
  status: z.string(),
  progress: z.number().optional(),
  error: z.string().optional(),
});
/** A finished run, as later runs of the same offer carry it (bounded list, newest first). */
const runSummary = z.object({
  runId: z.string(),
  runNumber: z.number(),
  outcome: z.enum(RUN_OUTCOMES),
  operationId: z.string().optional(),
  requestIds: z.array(z.string()),
  startedAt: z.string(),
  completedAt: z.string(),
  pollCount: z.number(),
  error: z.object({ code: errorCode, message: z.string(), statusCode: z.number().optional() }).optional(),
  /** Seconds each finished step of the operation took, by step name (the polling estimate of later runs). */
  stepDurations: z.record(z.string(), z.number()).optional(),
});
// ---- the polling plan (polling/): when the operation is likely to end, and why the next read is when it is ----
/** When a step of the operation started and ended, as the reads saw it. */
const stepTime = z.object({ name: z.string(), startedAt: z.string(), endedAt: z.string().optional() });
/** When the operation is expected to end: the median, the central 90% and what the estimate rests on. */
const expectedEnd = z.object({ at: z.string(), earliest: z.string(), latest: z.string(), basis: z.string() });

export const RunRecordSchema = z.object({
  // who and when
  runId: z.string(),
  runNumber: z.number(),
  target: runTarget,
  startedAt: z.string(),
  deadlineAt: z.string(),
  // membership: the requests the run took, and the finished runs of the offer it carries
  requests: z.array(runRequest),
  previousRuns: z.array(runSummary),
  // progress
  state: z.enum(RUN_STATES),
  operationId: z.string().optional(),
  /** Internal: the URL the run reads (the adapter may move it to the go-live's next phase). */
  operationUrl: z.string().optional(),
  operationStatus: z.string().optional(),
  /** The go-live phase the adapter reports (Product Ingestion: `Submit`, `Publish to live`). */
  phase: z.string().optional(),
  steps: z.array(runStep),
  progressPercentage: z.number().optional(),
  pollCount: z.number(),
  lastCheckedAt: z.string().optional(),
  nextCheckAt: z.string().optional(),
  /** When the partner API accepted the run's Go Live, or the run attached to the go-live it found running. */
  acceptedAt: z.string().optional(),
  /** The run attached to an operation it found running instead of starting one. */
  attached: z.boolean().optional(),
  /** Internal: the partner API's polling floor (seconds between reads), as it last said. */
  pollFloorSeconds: z.number().optional(),
  /** Go Lives submitted again on the adapter's advice after a failure (collision, stale preview). */
  resubmits: z.number().optional(),
  /** The offer was already live as asked: nothing was sent. */
  alreadyLive: z.boolean().optional(),
  warnings: z.array(z.string()),
  /** The newest operation reads (at most `MAX_RUN_CHECKS`), oldest first. */
  checks: z.array(runCheck),
  // the polling plan (polling/plan.ts)
  /** When each step of the operation started and ended, as the reads saw it (bounded). */
  stepTimes: z.array(stepTime).optional(),
  /** When the operation is expected to end, while it runs. */
  expectedEnd: expectedEnd.optional(),
  /** Why the next read is at `nextCheckAt` (`likely end`, `before likely end`, `after likely end`, ...). */
  nextCheckReason: z.string().optional(),
  // the end
  outcome: z.enum(RUN_OUTCOMES).optional(),
  error: runError.optional(),
  completedAt: z.string().optional(),
  durationSeconds: z.number().optional(),
});

export type RunRecord = z.infer<typeof RunRecordSchema>;
export type { RunOutcome, RunState } from './states';
export type RunTarget = z.infer<typeof runTarget>;
export type RunRequest = z.infer<typeof runRequest>;
export type RunStep = z.infer<typeof runStep>;
export type RunError = z.infer<typeof runError>;
export type RunCheck = z.infer<typeof runCheck>;
export type RunSummary = z.infer<typeof runSummary>;
export type RunStepTime = z.infer<typeof stepTime>;
export type RunExpectedEnd = z.infer<typeof expectedEnd>;

/**
 * A pick of a record for a reader (the HTTP view, the completion event): every picked field present, `null` where
 * the record has none.
 */
export type Shown<T, K extends keyof T> = { [P in K]-?: Exclude<T[P], undefined> | null };

/** Settings the orchestrator needs; read by the starter, never by the orchestrator. */
export interface RunSettings {
  pollIntervalSeconds: number;
  pollMaxIntervalSeconds: number;
  deadlineMinutes: number;
  pollsPerHistory: number;
  /** Attempts of the Go Live submit (transient errors and unresolved unknown outcomes together). */
  maxSubmitAttempts: number;
  /** The event sinks beyond `golive-events` (absent in runs started before they existed: none). */
  events?: EventSettings;
}

/** Event Grid delivery and progress events, as the run's starter read them (`eventDelivery.ts`). */
export interface EventSettings {
  /** `GOLIVE_EVENTGRID_ENDPOINT` is set: events go to the topic too. */
  eventGrid: boolean;
  /** `GOLIVE_EVENTGRID_RETRY_HOURS`: how long a publish to the topic is retried. */
  eventGridRetryHours: number;
  /** `GOLIVE_PROGRESS_EVENTS`. */
  progress: boolean;
}

/**
 * The orchestration's own bookkeeping, beside the record (never shown): consecutive transient read errors (they
 * drive the backoff) and how many times the run continued as new.
 */
export interface RunDriver {
  readErrors: number;
  generation: number;
}

/**
 * The orchestration input: the record, the settings and the driver's bookkeeping. The starter gives the start
 * fields (the rest starts empty, `newRecord`); every `continueAsNew` gives the whole record (`toInput`).
 */
export type RunInput = RunStart & Partial<RunRecord> & { settings: RunSettings; driver?: RunDriver };

/** Fields the starter sets; the rest of a new record starts empty. */
export type RunStart = Pick<
  RunRecord,
  'runId' | 'runNumber' | 'target' | 'startedAt' | 'deadlineAt' | 'requests' | 'previousRuns'
>;

export function newRecord(start: RunStart): RunRecord {
  return {
    ...start,
    state: 'submitting',
    steps: [],
    pollCount: 0,
    warnings: [],
    checks: [],
  };
}

// ---- record <-> storage: the input, the custom status and the output ----

/** The record an input holds (the one mapping from input to record). */
export function fromInput(input: RunInput): RunRecord {
  const { settings: _settings, driver: _driver, ...fields } = input;
  return { ...newRecord(fields), ...fields };
}

export function toInput(record: RunRecord, settings: RunSettings, driver: RunDriver): RunInput {
  return { ...record, settings, driver };
}

/** The generation an input says: the driver's (or, for a run of the retired orchestrator, its record's). */
export function generationOf(input: unknown): number {
  const i = input as { driver?: { generation?: unknown }; generation?: unknown } | null | undefined;
  const generation = i?.driver?.generation ?? i?.generation;
  return typeof generation === 'number' && Number.isInteger(generation) ? generation : 0;
}

const CUSTOM_STATUS_FIELDS = [
  'runId',
  'target',
  'state',
  'operationId',
  'operationStatus',
  'phase',
  'steps',
  'progressPercentage',
  'pollCount',
  'lastCheckedAt',
  'nextCheckAt',
  'startedAt',
  'deadlineAt',
  'warnings',
  'checks',
  'acceptedAt',
  'attached',
  'resubmits',
  'alreadyLive',
  'expectedEnd',
  'nextCheckReason',
] as const satisfies readonly (keyof RunRecord)[];

/** The run's custom status: a pick of the record, with the newest request ids (custom status is limited to 16 KB). */
export type RunCustomStatus = Pick<RunRecord, (typeof CUSTOM_STATUS_FIELDS)[number]> & {
  requestIds: string[];
  requestCount: number;
};

export function toCustomStatus(record: RunRecord): RunCustomStatus {
  return {
    ...pick(record, CUSTOM_STATUS_FIELDS),
    requestIds: record.requests.slice(-STATUS_REQUEST_IDS).map((r) => r.requestId),
    requestCount: record.requests.length,
  };
}

/** Fields only the orchestration itself needs (and `state`, which the outcome says): left out of the output. */
const INTERNAL_FIELDS = [
  'state',
  'operationUrl',
  'pollFloorSeconds',
  'nextCheckAt',
  'nextCheckReason',
  'expectedEnd',
] as const;
type Internal = (typeof INTERNAL_FIELDS)[number];
/** Output fields older runs may lack. */
type Recent = 'checks' | 'deadlineAt';

/** The orchestration output: the finished record without its internal fields, with every request id and event id. */
export type RunOutput = Omit<RunRecord, Internal | Recent | 'outcome' | 'completedAt' | 'durationSeconds'> &
  Partial<Pick<RunRecord, Recent>> & {
    outcome: RunOutcome;
    completedAt: string;
    durationSeconds: number;
    requestIds: string[];
    eventId: string;
  };

export type FinishedRecord = RunRecord & Pick<RunOutput, 'outcome' | 'completedAt' | 'durationSeconds'>;

export function toOutput(record: FinishedRecord): RunOutput {
  const output: Record<string, unknown> = { ...record };
  for (const key of INTERNAL_FIELDS) delete output[key];
  return {
    ...(output as Omit<RunOutput, 'requestIds' | 'eventId'>),
    requestIds: record.requests.map((r) => r.requestId),
    eventId: completionEventId(record.runId),
  };
}

/** The completion event id of a run: stable for the run, unique across runs. */
export function completionEventId(runId: string): string {
  return `golive-${runId}`;
}

// ---- storage -> record: the one reader ----

/** What the readers need of `DurableOrchestrationStatus`. */
export interface InstanceStatus {
  name?: string;
  instanceId?: string;
  runtimeStatus: string;
  input?: unknown;
  output?: unknown;
  customStatus?: unknown;
  createdTime?: Date | string;
  lastUpdatedTime?: Date | string;
}

export const ACTIVE_RUNTIME_STATUSES: readonly string[] = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];

export function isActive(status: Pick<InstanceStatus, 'runtimeStatus'>): boolean {
  return ACTIVE_RUNTIME_STATUSES.includes(status.runtimeStatus);
}

/** A run as read from its instance status: the record and what only the instance knows. */
export interface Run {
  record: RunRecord;
  /** Every request id the run recorded: the output's list once it finished; its input's and status's while not. */
  requestIds: string[];
  /** How many requests the run recorded. */
  requestCount: number;
  /** The orchestration wrote its output (the record is final and its event was published). */
  finished: boolean;
  /** The input was shown (a listing may leave it out): the record then holds only what the status has. */
  hasInput: boolean;
  runtimeStatus: string;
  active: boolean;
  /** Generation of the input the instance shows (0 when it does not say). */
  generation: number;
  name?: string;
  instanceId?: string;
  createdTime?: string;
  lastUpdatedTime?: string;
}

const persisted = RunRecordSchema.extend({
  requestIds: z.array(z.string()),
  requestCount: z.number(),
  eventId: z.string(),
});
type Persisted = z.infer<typeof persisted>;

/** Each field checked on its own: a field that is missing or has another shape reads as absent. */
const lenient = z.object(
  Object.fromEntries(
    Object.entries(persisted.shape).map(([key, schema]) => [key, (schema as z.ZodType).optional().catch(undefined)]),
  ),
);

function readPart(value: unknown): Partial<Persisted> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const parsed = lenient.parse(value) as Partial<Persisted>;
  if (parsed.runId === undefined) return undefined;
  for (const key of Object.keys(parsed) as (keyof Persisted)[]) if (parsed[key] === undefined) delete parsed[key];
  return parsed;
}

/**
 * The run an instance status holds, from its input (the record as the generation started), custom status (the
 * record as it last showed) and output (the final record), newest winning; undefined when it is not a run.
 * Values in a status come from storage: every field is checked.
 */
export function readRun(status: InstanceStatus): Run | undefined {
  const input = readPart(status.input);
  const custom = readPart(status.customStatus);
  const output = readPart(status.output);
  const merged: Partial<Persisted> = { ...input, ...custom, ...output };
  if (merged.runId === undefined || merged.target === undefined) return undefined;
  const finished = output?.outcome !== undefined && output.requestIds !== undefined;
  let requestIds: string[];
  if (finished) requestIds = output.requestIds ?? [];
  else {
    const ids = new Set((input?.requests ?? []).map((r) => r.requestId));
    for (const id of custom?.requestIds ?? []) ids.add(id);
    requestIds = [...ids];
  }
  const record: RunRecord = {
    ...newRecord({
      runId: merged.runId,
      runNumber: merged.runNumber ?? 0,
      target: merged.target,
      startedAt: merged.startedAt ?? '',
      deadlineAt: merged.deadlineAt ?? '',
      requests: (finished ? output.requests : input?.requests) ?? [],
      previousRuns: (finished ? output.previousRuns : input?.previousRuns) ?? [],
    }),
    ...withoutExtras(merged),
  };
  const recorded = new Set(requestIds);
  record.requests = record.requests.filter((r) => recorded.has(r.requestId));
  const run: Run = {
    record,
    requestIds,
    requestCount: finished ? requestIds.length : (custom?.requestCount ?? requestIds.length),
    finished,
    hasInput: input !== undefined,
    runtimeStatus: status.runtimeStatus,
    active: isActive(status),
    generation: generationOf(status.input),
  };
  if (status.name !== undefined) run.name = status.name;
  if (status.instanceId !== undefined) run.instanceId = status.instanceId;
  const created = toIso(status.createdTime);
  if (created !== undefined) run.createdTime = created;
  const updated = toIso(status.lastUpdatedTime);
  if (updated !== undefined) run.lastUpdatedTime = updated;
  return run;
}

function withoutExtras(p: Partial<Persisted>): Partial<RunRecord> {
  const { requestIds: _ids, requestCount: _count, eventId: _event, requests: _r, previousRuns: _p, ...rest } = p;
  return rest;
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
