import type { AnyCloudEvent, EventGridFailure } from '../events/eventGrid';
import type { RunError, RunOutput, RunState, RunStep, RunTarget } from './run/record';

/**
 * What the orchestration and its activities agree on: the function names, the run's external events, and the
 * activities' inputs and results (the run's own state is `run/record.ts`). Everything here is stored in
 * orchestration history, so nothing here may ever hold a token.
 */

/**
 * The go-live orchestrator new runs start on. A change to what an orchestrator yields ships under a new name; the
 * retired names stay registered, on their frozen code, until their runs end (`docs/deploy.md`).
 */
export const ORCHESTRATOR_NAME = 'goLiveOrchestratorV2';
export const RETIRED_ORCHESTRATOR_NAMES = { v1: 'goLiveOrchestrator' } as const;
/** Every name a go-live run's instance may have. */
export const RUN_ORCHESTRATOR_NAMES: readonly string[] = [
  ORCHESTRATOR_NAME,
  ...Object.values(RETIRED_ORCHESTRATOR_NAMES),
];
/** Publishes the completion event of a run that ended without one (see `reconcile.ts`), on the run's instance. */
export const RECONCILE_ORCHESTRATOR_NAME = 'goLiveReconcileOrchestrator';
/** Delivers a rejection's event to the Event Grid topic with durable retries (see `eventDelivery.ts`). */
export const EVENTGRID_ORCHESTRATOR_NAME = 'goLiveEventGridPublish';

export const ACTIVITY = {
  submitGoLive: 'submitGoLive',
  readOperation: 'readOperation',
  findRunningOperation: 'findRunningOperation',
  cancelOperation: 'cancelOperation',
  publishCompletion: 'publishCompletion',
  /** Progress events onto `golive-events`. */
  publishEvents: 'publishEvents',
  /** Events to the Event Grid topic (one try; the orchestration retries). */
  publishEventGrid: 'publishEventGrid',
} as const;

/** External events a run listens to. */
export const RUN_EVENT = {
  /** A second request for the same offer while the run is active: a `RunJoin` (see `run/membership.ts`). */
  requestJoined: 'requestJoined',
  /** Cancel the run: `{ requestedBy?, reason? }`. */
  cancel: 'cancel',
} as const;

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

/** Progress events for `golive-events`, in order. */
export interface PublishEventsInput {
  events: AnyCloudEvent[];
}

export interface PublishEventGridInput {
  events: AnyCloudEvent[];
  /** The run's or rejection's ids, for logs and telemetry. */
  runId?: string;
  target?: { publisherId: string; offerId: string };
  attempt: number;
  /** The orchestration will not try again after this one: a failure is reported as giving up. */
  lastAttempt: boolean;
  /** When the orchestration gives up (the end of `GOLIVE_EVENTGRID_RETRY_HOURS`), for the reports. */
  giveUpAt: string;
}

export type PublishEventGridResult =
  | { kind: 'published'; count: number }
  /** No topic configured (`GOLIVE_EVENTGRID_ENDPOINT` unset on this host). */
  | { kind: 'disabled' }
  | { kind: 'failed'; published: number; error: EventGridFailure; gaveUp: boolean };
