/**
 * The partner API as the go-live workflow sees it. One adapter per real API implements it:
 * the Cloud Partner Portal API (`CloudPartnerPortalClient`) and the Partner Center Product Ingestion API.
 * Nothing here may carry a bearer token: these values are stored in orchestration history.
 */

export type PartnerApiKind = 'cpp' | 'productIngestion';

/** What to take live. `productId` is the Product Ingestion product (defaults to `offerId` as its external id). */
export interface GoLiveTarget {
  api: PartnerApiKind;
  publisherId: string;
  offerId: string;
  productId?: string;
}

/**
 * Normalised operation state. `unknown` is a status string we have not seen documented: it is not terminal,
 * and the run reports the raw string so an operator can see it.
 */
export type OperationState = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'unknown';

export const TERMINAL_STATES: ReadonlySet<OperationState> = new Set(['succeeded', 'failed', 'canceled']);

export interface OperationMessage {
  messageHtml?: string;
  level?: string;
  timestamp?: string;
}

export interface OperationStep {
  id?: string;
  stepName: string;
  description?: string;
  status: string;
  estimatedTimeFrame?: string;
  progressPercentage?: number;
  messages?: OperationMessage[];
}

/** A partner API error detail (from an error body or a failed job). */
export interface PartnerErrorDetail {
  code: string;
  message: string;
  details?: { code?: string; message?: string }[];
}

export interface OperationStatus {
  /** Absolute URL on the configured partner origin (CPP) or the job status URL (Product Ingestion). */
  operationUrl: string;
  operationId: string;
  /** The status string exactly as the partner API sent it. */
  rawStatus: string;
  state: OperationState;
  terminal: boolean;
  steps: OperationStep[];
  /** Overall progress 0-100 where it can be derived from the steps. */
  progressPercentage?: number;
  /** Seconds the partner API asked us to wait before the next read (`Retry-After`), if it said. */
  retryAfterSeconds?: number;
  /** Why a failed or canceled operation ended, where the partner API says. */
  errors?: PartnerErrorDetail[];
  /**
   * The phase of the go-live this read saw, in the words of its steps (Product Ingestion: `Submit` while the
   * configure job runs, `Publish to live` while the live submission runs). Absent when the API has one phase.
   */
  phase?: string;
  /**
   * The adapter's advice on a failed operation: a new Go Live may succeed (e.g. it collided with a submission in
   * progress). `maxTimes` bounds how often one run follows this advice; `reason` is a stable code for warnings.
   */
  submitAgain?: { reason: string; maxTimes: number };
}

export interface GoLiveAccepted {
  operationUrl: string;
  operationId: string;
  retryAfterSeconds?: number;
  /**
   * Set when nothing was sent because the offer is already live as asked (Product Ingestion: the preview's id is a
   * `completed` + `succeeded` live submission): the final status to report and why nothing was pushed.
   */
  alreadyLive?: { status: OperationStatus; reason: string };
}

export interface RunningOperation {
  operationUrl: string;
  operationId: string;
  /** e.g. `publish`, `goLive` (CPP `submissionType`), `live` (Product Ingestion target). */
  submissionType?: string;
  rawStatus: string;
  changedTime?: string;
}

/** A go-live of the offer as the partner API lists it: running, or finished. */
export interface GoLiveOperation extends RunningOperation {
  /** false once the operation ended (succeeded, failed, canceled). */
  running: boolean;
  /** When the partner API says it was created (ISO), where it says. */
  createdAt?: string;
}

/** Which go-lives `findGoLives` lists. */
export interface GoLiveQuery {
  /** Also list finished go-lives created at or after this time (ISO); without it, running ones only. */
  finishedSince?: string;
  /**
   * The lookup right before a Go Live (not after a conflict): an adapter may answer it from the read that also says
   * whether the offer is ready, keep that read for the Go Live that follows (`LookupMemo`), and skip reads that cannot
   * find anything when the offer is ready.
   */
  beforeGoLive?: boolean;
  /**
   * With `beforeGoLive`: this run has sent no Go Live yet (its first submit, executed once). When the offer's
   * readiness read says it is ready, no go-live of it runs and none finished since is this run's: an adapter may
   * answer from that read alone.
   */
  unsent?: boolean;
}

export interface CancelResult {
  /** true when the partner API cancelled synchronously (CPP 200). */
  completed: boolean;
  /** The cancel operation's URL when cancelling is itself long-running (CPP 202). */
  operationUrl?: string;
}

/** Options every call takes, in the Azure SDK style. */
export interface PartnerRequestOptions {
  abortSignal?: AbortSignal;
  /** Overrides the configured per-request timeout. */
  timeoutMs?: number;
}

export interface PartnerApi {
  readonly kind: PartnerApiKind;
  /** The fewest seconds between two reads of an operation the API allows (Product Ingestion: 60); absent = none. */
  readonly minPollIntervalSeconds?: number;
  /** Starts the go-live. Not idempotent: on an unknown outcome it throws `GoLiveOutcomeUnknownError`. */
  startGoLive(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<GoLiveAccepted>;
  /** Reads an operation. Unknown statuses come back as `state: 'unknown'`, never thrown. */
  getOperation(target: GoLiveTarget, operationUrl: string, options?: PartnerRequestOptions): Promise<OperationStatus>;
  /**
   * The offer's go-lives: every running one, and finished ones created since `query.finishedSince` (used to attach
   * after an unknown outcome or a crash after the Go Live was sent, instead of sending it again).
   */
  findGoLives(target: GoLiveTarget, query?: GoLiveQuery, options?: PartnerRequestOptions): Promise<GoLiveOperation[]>;
  /** Cancels the offer's running operation. */
  cancel(target: GoLiveTarget, operationUrl?: string, options?: PartnerRequestOptions): Promise<CancelResult>;
}
