import type { PartnerApiKind } from '../partner/types';

/**
 * The go-live run's shapes: orchestration input (carried through `continueAsNew`), custom status, output, and
 * the activities' inputs and results. Everything here is stored in orchestration history, so nothing here may
 * ever hold a token.
 */

export const ORCHESTRATOR_NAME = 'goLiveOrchestrator';
/** Publishes the completion event of a run that ended without one (see `reconcile.ts`), on the run's instance. */
export const RECONCILE_ORCHESTRATOR_NAME = 'goLiveReconcileOrchestrator';

export const ACTIVITY = {
  submitGoLive: 'submitGoLive',
  readOperation: 'readOperation',
  findRunningOperation: 'findRunningOperation',
  cancelOperation: 'cancelOperation',
  publishCompletion: 'publishCompletion',
} as const;

/** External events a run listens to. */
export const RUN_EVENT = {
  /**
   * A second request for the same offer while the run is active: `{ requestId, requestedBy?, receivedAt, runId? }`.
   * `runId` names the run the starter saw; any other run of the offer ignores the event.
   */
  requestJoined: 'requestJoined',
  /** Cancel the run: `{ requestedBy?, reason? }`. */
  cancel: 'cancel',
} as const;

export type RunOutcome = 'succeeded' | 'failed' | 'canceled' | 'timedOut';

/** `submitting` until the partner API accepted the Go Live; `polling` while the operation runs. */
export type RunState = 'submitting' | 'polling' | 'canceling' | RunOutcome;

export const RUN_STATES: readonly RunState[] = [
  'submitting',
  'polling',
  'canceling',
  'succeeded',
  'failed',
  'canceled',
  'timedOut',
];

export interface RunTarget {
  api: PartnerApiKind;
  publisherId: string;
  offerId: string;
  productId?: string;
}

/** A request recorded on a run (the one that started it and every one that joined it). */
export interface RunRequest {
  requestId: string;
  requestedBy?: string;
  receivedAt: string;
}

/** The `requestJoined` event data: the request, addressed to the run the starter saw. */
export interface RunJoin extends RunRequest {
  runId?: string;
}

/** Compact operation step, as the run reports it. */
export interface RunStep {
  name: string;
  status: string;
  progress?: number;
}

export interface RunError {
  code: string;
  message: string;
  statusCode?: number;
  body?: unknown;
}

/** One read of the partner operation, as the run's checks list keeps it (the newest `MAX_RUN_CHECKS`). */
export interface RunCheck {
  /** When the run read the operation. */
  at: string;
  /** The partner API's status string, or `error` when the read failed. */
  status: string;
  progress?: number;
  /** The error code of a failed read. */
  error?: string;
}

/** Checks a run keeps (custom status is limited to 16 KB). */
export const MAX_RUN_CHECKS = 20;

/** A finished run, as later runs of the same offer carry it (bounded list, newest first). */
export interface RunSummary {
  runId: string;
  runNumber: number;
  outcome: RunOutcome;
  operationId?: string;
  requestIds: string[];
  startedAt: string;
  completedAt: string;
  pollCount: number;
  error?: { code: string; message: string; statusCode?: number };
}

/** Settings the orchestrator needs; read by the starter, never by the orchestrator. */
export interface RunSettings {
  pollIntervalSeconds: number;
  pollMaxIntervalSeconds: number;
  deadlineMinutes: number;
  pollsPerHistory: number;
  /** Attempts of the Go Live submit (transient errors and unresolved unknown outcomes together). */
  maxSubmitAttempts: number;
}

/** Mutable progress of a run; carried whole through `continueAsNew`. */
export interface RunProgress {
  state: RunState;
  operationId?: string;
  operationUrl?: string;
  operationStatus?: string;
  steps: RunStep[];
  progressPercentage?: number;
  pollCount: number;
  /** Consecutive transient read errors (drives the backoff). */
  readErrors: number;
  lastCheckedAt?: string;
  nextCheckAt?: string;
  /** `true` when the run attached to an operation it found running instead of starting one. */
  attached?: boolean;
  /** The partner API's polling floor (seconds between reads), as the last activity result reported it. */
  pollFloorSeconds?: number;
  /** Go Lives submitted again because the partner adapter advised it after a failure (collision, stale preview). */
  resubmits?: number;
  /** The go-live phase the adapter last reported (Product Ingestion: `Submit`, `Publish to live`). */
  phase?: string;
  /** Set when the offer was already live as asked: nothing was sent. */
  alreadyLive?: boolean;
  warnings: string[];
  generation: number;
  /** The newest operation reads (at most `MAX_RUN_CHECKS`). */
  checks?: RunCheck[];
}

export interface RunInput {
  runId: string;
  runNumber: number;
  target: RunTarget;
  requests: RunRequest[];
  startedAt: string;
  deadlineAt: string;
  settings: RunSettings;
  previousRuns: RunSummary[];
  /** Absent on the first generation; present after `continueAsNew`. */
  progress?: RunProgress;
}

/** The run's custom status (what `GET /api/golive/{publisherId}/{offerId}` shows while it runs). */
export interface RunCustomStatus {
  runId: string;
  api: PartnerApiKind;
  state: RunState;
  operationId?: string;
  operationStatus?: string;
  steps: RunStep[];
  /** The go-live phase the partner adapter reports (Product Ingestion: `Submit`, `Publish to live`). */
  phase?: string;
  progressPercentage?: number;
  pollCount: number;
  lastCheckedAt?: string;
  nextCheckAt?: string;
  /** The most recent request ids (at most `STATUS_REQUEST_IDS`; custom status is limited to 16 KB). */
  requestIds: string[];
  /** How many requests the run has recorded. */
  requestCount: number;
  startedAt: string;
  deadlineAt: string;
  warnings: string[];
  /** The newest operation reads (at most `MAX_RUN_CHECKS`). */
  checks?: RunCheck[];
}

/** Request ids shown in the custom status (the newest; the output lists them all). */
export const STATUS_REQUEST_IDS = 50;

/** The orchestration output. */
export interface RunOutput {
  runId: string;
  runNumber: number;
  target: RunTarget;
  outcome: RunOutcome;
  operationId?: string;
  operationStatus?: string;
  steps: RunStep[];
  progressPercentage?: number;
  pollCount: number;
  requests: RunRequest[];
  requestIds: string[];
  startedAt: string;
  completedAt: string;
  durationSeconds: number;
  error?: RunError;
  warnings: string[];
  /** true when the offer was already live as asked and nothing was sent. */
  alreadyLive?: boolean;
  eventId: string;
  previousRuns: RunSummary[];
  /** The newest operation reads (at most `MAX_RUN_CHECKS`). */
  checks?: RunCheck[];
}

// ---- activity inputs and results ----

export interface SubmitGoLiveInput {
  runId: string;
  target: RunTarget;
  attempt: number;
  /** When the run started: go-lives finished since then (less a clock-skew margin) are this run's to attach to. */
  startedAt?: string;
  /** Operation ids earlier runs of the offer followed: never attached to once finished. */
  earlierOperationIds?: string[];
}

export type SubmitGoLiveResult =
  | {
      kind: 'accepted';
      operationId: string;
      operationUrl: string;
      retryAfterSeconds?: number;
      minPollIntervalSeconds?: number;
    }
  | { kind: 'attached'; operationId: string; operationUrl: string; rawStatus: string }
  | {
      kind: 'alreadyLive';
      operationId: string;
      rawStatus: string;
      steps: RunStep[];
      progressPercentage?: number;
      phase?: string;
      /** Why nothing was sent. */
      warning: string;
    }
  | { kind: 'outcomeUnknown'; error: RunError }
  | { kind: 'transient'; error: RunError; retryAfterSeconds?: number }
  | { kind: 'rejected'; error: RunError };

export interface FindRunningOperationInput {
  runId: string;
  target: RunTarget;
  /** As in `SubmitGoLiveInput`. */
  startedAt?: string;
  earlierOperationIds?: string[];
}

export type FindRunningOperationResult =
  | { kind: 'found'; operationId: string; operationUrl: string; rawStatus: string }
  | { kind: 'none' }
  | { kind: 'error'; error: RunError; retryAfterSeconds?: number };

export interface ReadOperationInput {
  runId: string;
  target: RunTarget;
  operationUrl: string;
  previousState: RunState;
}

export type ReadOperationResult =
  | {
      kind: 'status';
      operationId: string;
      /** The URL to read next time: the adapter moves it on when the go-live enters its next phase. */
      operationUrl?: string;
      /** The go-live phase (Product Ingestion: `Submit`, `Publish to live`). */
      phase?: string;
      /** The adapter's advice on a failure: a new Go Live may succeed, at most `maxTimes` per run. */
      submitAgain?: { reason: string; maxTimes: number };
      rawStatus: string;
      state: 'notStarted' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'unknown';
      terminal: boolean;
      steps: RunStep[];
      progressPercentage?: number;
      retryAfterSeconds?: number;
      minPollIntervalSeconds?: number;
      errors?: { code: string; message: string }[];
    }
  | { kind: 'transient'; error: RunError; retryAfterSeconds?: number; minPollIntervalSeconds?: number }
  | { kind: 'permanent'; error: RunError };

export interface CancelOperationInput {
  runId: string;
  target: RunTarget;
  operationUrl?: string;
  requestedBy?: string;
}

export type CancelOperationResult = { kind: 'canceled'; completed: boolean } | { kind: 'error'; error: RunError };

export interface PublishCompletionInput {
  output: RunOutput;
}
