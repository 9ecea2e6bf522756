/**
 * The simulator's public types: per-offer scenarios, recorded requests and the admin surface.
 * Other parts (client tests, end-to-end tests, soak, bench) code against these names.
 */

export type ScenarioOutcome = 'succeeded' | 'failed' | 'canceled';

export interface OfferScenario {
  /** How the go-live operation (CPP) or the live submission (Product Ingestion) ends. Default `succeeded`. */
  outcome: ScenarioOutcome;
  /** How long a CPP go-live operation, or a Product Ingestion live submission, runs before it ends. Default 20000. */
  durationMs: number;
  /** Product Ingestion: how long the configure job runs before it completes (then the live submission runs). Default 1000. */
  jobDurationMs: number;
  /**
   * Product Ingestion: the configure job fails with a nested error instead of pushing the preview: `certification`
   * (`internalServerError` with an `invalidState` certification detail) or `productLocked`. Default `none`.
   */
  jobError: 'none' | 'certification' | 'productLocked' | 'serverError';
  /** Product Ingestion: the key the product lookup names the external id with (`externalID` in the 2023 samples). */
  identityKey: 'externalId' | 'externalID';
  /** Product Ingestion: the preview was promoted already, so preview and live share its id. Default false. */
  previewAlreadyLive: boolean;
  /**
   * CPP: how the offer status reads while no go-live runs: `awaitingSignoff` (default; the sign-off step
   * `waitingForPublisherReview`, also again after each go-live, as if a new preview were published), `certifying`
   * (certification in progress), `live` (published, nothing waiting for sign-off).
   */
  offerStatus: 'awaitingSignoff' | 'certifying' | 'live';
  /** The next `count` requests about this offer answer 429 with `Retry-After: retryAfterSeconds`. */
  throttle: { count: number; retryAfterSeconds: number };
  /** The next `count` requests about this offer answer `status` (default 503). */
  serverErrors: { count: number; status: number };
  /** Added delay before each answer about this offer. */
  latencyMs: number;
  /**
   * The next `count` requests about this offer lose their connection: `before` = the socket is destroyed before the
   * request is handled; `after` = the request is handled (a go-live creates its operation) and then the socket is destroyed.
   */
  resetConnections: { count: number; phase: 'before' | 'after' };
  /** The operation stays running forever. */
  neverEnds: boolean;
  /**
   * How the go-live (and cancel) answer names the operation URL. Added: `location-legacy` = relative `Location` in
   * the non-migrated form `/api/operations/{publisherId}${offerId}${version}$production?api-version=...` (go-live
   * only; a cancel then answers in the default form).
   */
  locationHeader: 'location-relative' | 'operation-location-absolute' | 'both' | 'hostile' | 'location-legacy';
  /** The wire string of a finished operation. Default `complete`. */
  statusSpelling: 'complete' | 'completed';
  /** The answer to a go-live while an operation runs. Default 409 (not documented by the partner API). */
  conflictStatus: number;
  /** Added: delay before a cancelled operation shows `canceled`. Default 500. */
  cancelDelayMs: number;
  /** Added: `accepted` = cancel answers 202 + operation URL (default); `ok` = 200, cancelled at once. */
  cancelResponse: 'accepted' | 'ok';
  /** Added: `Retry-After` seconds sent on the go-live 202 and on reads of a running operation; 0 = not sent (default). */
  operationRetryAfterSeconds: number;
  /**
   * PI: list answers (`GET product`, `GET submission/{guid}`) carry at most this many entries per page, the rest behind
   * `@nextLink` (with `$maxpagesize` and `continuationToken`). 0 = one page (default).
   */
  pageSize: number;
  /**
   * PI: the form of the next page link: `absolute` (default, `@nextLink`) or `relative` to the API base (`nextLink`,
   * as the Partner Center ingestion API's recorded answers name it).
   */
  nextLinkForm: 'absolute' | 'relative';
  /**
   * PI: `GET configure/{jobId}` once the job completed: `full` (default: the pushed submission), `empty` (no
   * resources), `fails` (500).
   */
  jobDetail: 'full' | 'empty' | 'fails';
  /** PI: the submission list has no `preview` entry (after a promotion the live entry stands for both). */
  noPreviewEntry: boolean;
  /** PI: a pushed submission is listed as `live` only this long after its job completed (eventual consistency). */
  lateListingMs: number;
  /** PI: the key the configure-status answers name the job with: `jobId` (default) or `jobID`. */
  jobIdKey: 'jobId' | 'jobID';
  /** Both APIs: unknown extra fields on every answer object (the client must ignore them). */
  extraFields: boolean;
  /**
   * CPP: the offer's top-level status while its sign-off step waits (`offerStatus: awaitingSignoff`): any of the
   * documented values, `running` by default.
   */
  offerTopStatus:
    'neverPublished' | 'notStarted' | 'waitingForPublisherReview' | 'running' | 'succeeded' | 'canceled' | 'failed';
  /** CPP: the `estimatedTimeFrame` every running go-live step shows instead of its own (e.g. `< 1 day`). */
  stepTimeFrame?: string;
}

/** A scenario change: any field, and nested objects in part (e.g. `{ throttle: { count: 2 } }`). */
export type ScenarioPatch = {
  [K in keyof OfferScenario]?: OfferScenario[K] extends object ? Partial<OfferScenario[K]> : OfferScenario[K];
};

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** ISO time the request arrived. */
  time: string;
  /** The status the client received; 0 when the connection was reset instead. */
  status: number;
  origin: 'primary' | 'other';
  publisherId?: string;
  offerId?: string;
  /** Which API the request addressed. */
  api?: 'cpp' | 'productIngestion';
  /** Whether an Authorization header was present (its value is never recorded). */
  hadAuthorization: boolean;
  /** Set when the connection was reset by a `resetConnections` scenario. */
  connectionReset?: 'before' | 'after';
}

export interface RequestFilter {
  method?: string;
  publisherId?: string;
  offerId?: string;
  pathIncludes?: string;
  origin?: 'primary' | 'other';
}

export interface SimulatorAdmin {
  addOffer(publisherId: string, offerId: string, scenario?: ScenarioPatch): void;
  setScenario(publisherId: string, offerId: string, scenario: ScenarioPatch): void;
  /** Added: the offer's current scenario (counters show what is left). */
  getScenario(publisherId: string, offerId: string): OfferScenario;
  requests(filter?: RequestFilter): RecordedRequest[];
  resetRequests(): void;
  /** Back to the seeded offers and default scenarios; forgets operations, jobs and recorded requests. */
  reset(): void;
}

export interface SimulatorOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The bearer token accepted by both APIs. Default `local-dev-token`. */
  token?: string;
  /** Seed the four sample offers. Default true. */
  seed?: boolean;
  /** Scenario defaults for every offer (seeded and added). */
  defaults?: ScenarioPatch;
  /** Added: the clock (ms since epoch). Default Date.now. */
  now?: () => number;
  /** Added: every offer (seeded and added) draws a variant (`variants.ts`) from this seed; none by default. */
  variantSeed?: number;
  /** Added: the other origin's port. Default 0 (a free port). */
  otherOriginPort?: number;
  /** Added: called with the state once it is created (persistence.ts reads it back and saves it). */
  onState?: (state: import('./state').SimulatorState) => void;
}

export interface RunningSimulator {
  /** Primary origin, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** A second server on another port that answers 404 and records every request with origin `other`. */
  otherOriginUrl: string;
  admin: SimulatorAdmin;
  close(): Promise<void>;
}
