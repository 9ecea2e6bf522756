/**
 * The simulator's in-memory state: offers with their scenarios, CPP operations, Product Ingestion jobs and the
 * request log. Operation progress is derived from the clock at read time (no timers), so nothing keeps running
 * after the servers close.
 */
import { createHash, randomUUID } from 'node:crypto';

import type { OfferScenario, RecordedRequest, RequestFilter, ScenarioOutcome, ScenarioPatch } from './types';
import { variantFor } from './variants';

export const DEFAULT_SCENARIO: Readonly<OfferScenario> = Object.freeze<OfferScenario>({
  outcome: 'succeeded',
  durationMs: 20_000,
  jobDurationMs: 1_000,
  jobError: 'none',
  identityKey: 'externalId',
  previewAlreadyLive: false,
  offerStatus: 'awaitingSignoff',
  throttle: { count: 0, retryAfterSeconds: 1 },
  serverErrors: { count: 0, status: 503 },
  latencyMs: 0,
  resetConnections: { count: 0, phase: 'before' },
  neverEnds: false,
  locationHeader: 'location-relative',
  statusSpelling: 'complete',
  conflictStatus: 409,
  cancelDelayMs: 500,
  cancelResponse: 'accepted',
  operationRetryAfterSeconds: 0,
  pageSize: 0,
  nextLinkForm: 'absolute',
  jobDetail: 'full',
  noPreviewEntry: false,
  lateListingMs: 0,
  jobIdKey: 'jobId',
  extraFields: false,
  offerTopStatus: 'running',
});

export const SEEDED_OFFERS: readonly { publisherId: string; offerId: string }[] = [
  { publisherId: 'contoso', offerId: 'contoso-vm-offer' },
  { publisherId: 'contoso', offerId: 'contoso-app' },
  { publisherId: 'fabrikam', offerId: 'fabrikam-vm' },
  { publisherId: 'fabrikam', offerId: 'fabrikam-container' },
];

/** The share of an operation's duration spent in `notStarted` before it shows `running`. */
const NOT_STARTED_SHARE = 0.1;
/** Oldest requests are dropped past this many (long soaks). */
const MAX_RECORDED_REQUESTS = 50_000;

export type Phase = 'notStarted' | 'running' | ScenarioOutcome;

/** When an operation or job starts, ends and how; shared by both APIs. */
export interface Timeline {
  createdAt: number;
  durationMs: number;
  outcome: ScenarioOutcome;
  neverEnds: boolean;
  /** When a cancel takes effect (set by a cancel request). */
  cancelAt?: number;
}

export interface PhaseAt {
  phase: Phase;
  /** When the running phase began. */
  runningFrom: number;
  /** When the terminal phase began, if terminal. */
  endedAt?: number;
}

export function phaseAt(t: Timeline, now: number): PhaseAt {
  const runningFrom = t.createdAt + t.durationMs * NOT_STARTED_SHARE;
  const naturalEnd = t.neverEnds ? Number.POSITIVE_INFINITY : t.createdAt + t.durationMs;
  // A cancel that takes effect after the natural end is too late.
  if (t.cancelAt !== undefined && t.cancelAt < naturalEnd && now >= t.cancelAt) {
    return { runningFrom, phase: 'canceled', endedAt: t.cancelAt };
  }
  if (now >= naturalEnd) return { runningFrom, phase: t.outcome, endedAt: naturalEnd };
  return { runningFrom, phase: now < runningFrom ? 'notStarted' : 'running' };
}

export function isTerminal(phase: Phase): boolean {
  return phase !== 'notStarted' && phase !== 'running';
}

export interface CppOperation extends Timeline {
  id: string;
  kind: 'goLive' | 'cancel';
  publisherId: string;
  offerId: string;
  statusSpelling: OfferScenario['statusSpelling'];
  publishingVersion: number;
  /** The scenario's `stepTimeFrame` when the go-live started. */
  stepTimeFrame?: string;
  /** For a go-live: when a cancel was requested. */
  cancelRequestedAt?: number;
  /** For a cancel operation: the go-live it cancels. */
  targetOperationId?: string;
}

export interface PiSubmission {
  /** `submission/<productGuid>/<n>`: `n` a 19-digit number past 2^53, as real ids are (the draft's is `0`). */
  id: string;
  number: string;
  targetType: 'draft' | 'preview' | 'live';
  created: number;
}

/** A configure job; a job that pushed a preview live is followed by its live submission (`liveTimeline`). */
export interface PiJob extends Timeline {
  jobId: string;
  productGuid: string;
  offerKey: string;
  submission: PiSubmission;
  /** Set when the job was refused because another submission was in progress (that submission's number). */
  collidesWith?: string;
  /** Set when the submission was not the latest preview. */
  staleSubmission?: boolean;
  /** Set when the job fails with a nested error instead of pushing the preview. */
  jobError?: 'certification' | 'productLocked' | 'serverError';
  /** How the live submission that follows a successful job runs and ends. */
  live: { durationMs: number; outcome: ScenarioOutcome; neverEnds: boolean };
  /** How long after the job completed the live submission is first listed. */
  lateListingMs?: number;
  schemaVersion: string;
}

export interface PiProduct {
  guid: string;
  externalId: string;
  type: string;
  draft: PiSubmission;
  /** The version live before any go-live here (an older live entry). */
  previousLive: PiSubmission;
  /** The preview to push live. */
  preview: PiSubmission;
  jobs: PiJob[];
}

/** Whether a job pushes its preview live (it was not refused and has no job error). */
export function pushesLive(job: PiJob): boolean {
  return job.collidesWith === undefined && !job.staleSubmission && job.jobError === undefined;
}

/** The live submission's timeline: it starts when the job completes successfully; undefined before or otherwise. */
export function liveTimeline(job: PiJob, now: number): Timeline | undefined {
  if (!pushesLive(job)) return undefined;
  const p = phaseAt(job, now);
  if (p.phase !== 'succeeded' || p.endedAt === undefined) return undefined;
  return { createdAt: p.endedAt, ...job.live };
}

/** The smallest 19-digit submission numbers start at 2^60 (real ones look like 1152921515689848683). */
const SUBMISSION_BASE = 1n << 60n;

/**
 * The stable 19-digit submission numbers of an offer's product: the previous live version and the preview. They
 * differ only in their last digits, past 2^53, where a JS number can no longer tell them apart.
 */
export function submissionNumbersFor(offerId: string): { previousLive: string; preview: string } {
  const h = BigInt(`0x${createHash('sha1').update(`submission:${offerId}`).digest('hex').slice(0, 8)}`);
  const first = SUBMISSION_BASE + h * 1000n;
  return { previousLive: String(first + 3n), preview: String(first + 11n) };
}

export interface OfferState {
  publisherId: string;
  offerId: string;
  offerTypeId: string;
  scenario: OfferScenario;
  operations: CppOperation[];
  product: PiProduct;
  publishingVersion: number;
}

export class UnknownOfferError extends Error {
  readonly code = 'UnknownOffer';
  override readonly name = 'UnknownOfferError';
  constructor(publisherId: string, offerId: string) {
    super(`The simulator has no offer ${publisherId}/${offerId}; add it with admin.addOffer first.`);
  }
}

/** What the next request about an offer meets, decided by its scenario counters. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'reset'; phase: 'before' | 'after' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'serverError'; status: number };

const offerKey = (publisherId: string, offerId: string) => `${publisherId}/${offerId}`;

/** A stable GUID per offer, so product ids stay the same across resets and restarts. */
export function stableGuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function offerTypeFor(offerId: string): { cpp: string; pi: string } {
  if (offerId.includes('container')) return { cpp: 'microsoft-azure-containers', pi: 'azureContainer' };
  if (offerId.includes('app')) return { cpp: 'microsoft-azure-applications', pi: 'azureApplication' };
  return { cpp: 'microsoft-azure-virtualmachines', pi: 'azureVirtualMachine' };
}

function cloneScenario(s: OfferScenario): OfferScenario {
  return {
    ...s,
    throttle: { ...s.throttle },
    serverErrors: { ...s.serverErrors },
    resetConnections: { ...s.resetConnections },
  };
}

export function mergeScenario(base: OfferScenario, patch: ScenarioPatch): OfferScenario {
  const merged = cloneScenario(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const k = key as keyof OfferScenario;
    if (k === 'throttle' || k === 'serverErrors' || k === 'resetConnections') {
      Object.assign(merged[k], value);
    } else {
      (merged as unknown as Record<string, unknown>)[k] = value;
    }
  }
  return merged;
}

export class SimulatorState {
  private offers = new Map<string, OfferState>();
  private records: RecordedRequest[] = [];
  private readonly defaults: OfferScenario;

  constructor(
    private readonly options: {
      seed: boolean;
      defaults: ScenarioPatch;
      now: () => number;
      /** Each offer draws a variant (`variants.ts`) from this seed and its ids. */
      variantSeed?: number;
    },
  ) {
    this.defaults = mergeScenario(DEFAULT_SCENARIO, options.defaults);
    this.reset();
  }

  now(): number {
    return this.options.now();
  }

  reset(): void {
    this.offers = new Map();
    this.records = [];
    if (this.options.seed) for (const o of SEEDED_OFFERS) this.addOffer(o.publisherId, o.offerId);
  }

  addOffer(publisherId: string, offerId: string, scenario: ScenarioPatch = {}): OfferState {
    const types = offerTypeFor(offerId);
    const guid = stableGuid(`product:${offerId}`);
    const numbers = submissionNumbersFor(offerId);
    const created = this.now();
    const offer: OfferState = {
      publisherId,
      offerId,
      offerTypeId: types.cpp,
      scenario: mergeScenario(
        this.options.variantSeed === undefined
          ? this.defaults
          : mergeScenario(this.defaults, variantFor(this.options.variantSeed, publisherId, offerId).patch),
        scenario,
      ),
      operations: [],
      publishingVersion: 1,
      product: {
        guid,
        externalId: offerId,
        type: types.pi,
        // The draft pseudo-submission (no status), the version live a week ago and a preview of an hour ago.
        draft: { id: `submission/${guid}/0`, number: '0', targetType: 'draft', created },
        previousLive: {
          id: `submission/${guid}/${numbers.previousLive}`,
          number: numbers.previousLive,
          targetType: 'live',
          created: created - 7 * 24 * 3_600_000,
        },
        preview: {
          id: `submission/${guid}/${numbers.preview}`,
          number: numbers.preview,
          targetType: 'preview',
          created: created - 3_600_000,
        },
        jobs: [],
      },
    };
    this.offers.set(offerKey(publisherId, offerId), offer);
    return offer;
  }

  setScenario(publisherId: string, offerId: string, patch: ScenarioPatch): OfferScenario {
    const offer = this.requireOffer(publisherId, offerId);
    offer.scenario = mergeScenario(offer.scenario, patch);
    return offer.scenario;
  }

  requireOffer(publisherId: string, offerId: string): OfferState {
    const offer = this.getOffer(publisherId, offerId);
    if (!offer) throw new UnknownOfferError(publisherId, offerId);
    return offer;
  }

  getOffer(publisherId: string, offerId: string): OfferState | undefined {
    return this.offers.get(offerKey(publisherId, offerId));
  }

  hasPublisher(publisherId: string): boolean {
    return this.listOffers().some((o) => o.publisherId === publisherId);
  }

  listOffers(publisherId?: string): OfferState[] {
    const all = [...this.offers.values()];
    return publisherId === undefined ? all : all.filter((o) => o.publisherId === publisherId);
  }

  /** The Product Ingestion side has no publisher: the first offer with that id wins. */
  offerByExternalId(externalId: string): OfferState | undefined {
    return this.listOffers().find((o) => o.product.externalId === externalId);
  }

  offerByProductGuid(guid: string): OfferState | undefined {
    const lower = guid.toLowerCase();
    return this.listOffers().find((o) => o.product.guid === lower);
  }

  findJob(jobId: string): { offer: OfferState; job: PiJob } | undefined {
    for (const offer of this.offers.values()) {
      const job = offer.product.jobs.find((j) => j.jobId === jobId);
      if (job) return { offer, job };
    }
    return undefined;
  }

  /** Consumes one counter of the offer's scenario: resets first, then throttling, then server errors. */
  takeFault(offer: OfferState): Fault {
    const s = offer.scenario;
    if (s.resetConnections.count > 0) {
      s.resetConnections.count--;
      return { kind: 'reset', phase: s.resetConnections.phase };
    }
    if (s.throttle.count > 0) {
      s.throttle.count--;
      return { kind: 'throttle', retryAfterSeconds: s.throttle.retryAfterSeconds };
    }
    if (s.serverErrors.count > 0) {
      s.serverErrors.count--;
      return { kind: 'serverError', status: s.serverErrors.status };
    }
    return { kind: 'none' };
  }

  /** The offer's operation that is not terminal yet (at most one by construction). */
  activeOperation(offer: OfferState): CppOperation | undefined {
    const now = this.now();
    return offer.operations.find((op) => !isTerminal(phaseAt(op, now).phase));
  }

  createGoLive(offer: OfferState): CppOperation {
    const s = offer.scenario;
    const op: CppOperation = {
      id: randomUUID(),
      kind: 'goLive',
      publisherId: offer.publisherId,
      offerId: offer.offerId,
      createdAt: this.now(),
      durationMs: s.durationMs,
      outcome: s.outcome,
      neverEnds: s.neverEnds,
      statusSpelling: s.statusSpelling,
      publishingVersion: ++offer.publishingVersion,
      ...(s.stepTimeFrame !== undefined ? { stepTimeFrame: s.stepTimeFrame } : {}),
    };
    offer.operations.push(op);
    return op;
  }

  /** Requests a cancel of the running go-live (if any) and returns the cancel operation. */
  cancelRunning(offer: OfferState, delayMs: number): { cancelOp: CppOperation; target?: CppOperation } {
    const now = this.now();
    const target = offer.operations.find((op) => op.kind === 'goLive' && !isTerminal(phaseAt(op, now).phase));
    if (target && target.cancelAt === undefined) {
      target.cancelRequestedAt = now;
      target.cancelAt = now + delayMs;
    }
    const cancelOp: CppOperation = {
      id: randomUUID(),
      kind: 'cancel',
      publisherId: offer.publisherId,
      offerId: offer.offerId,
      createdAt: now,
      durationMs: target?.cancelAt !== undefined ? Math.max(0, target.cancelAt - now) : 0,
      outcome: 'succeeded',
      neverEnds: false,
      statusSpelling: offer.scenario.statusSpelling,
      publishingVersion: offer.publishingVersion,
      ...(target ? { targetOperationId: target.id } : {}),
    };
    offer.operations.push(cancelOp);
    return { cancelOp, ...(target ? { target } : {}) };
  }

  record(entry: RecordedRequest): void {
    this.records.push(entry);
    if (this.records.length > MAX_RECORDED_REQUESTS)
      this.records.splice(0, this.records.length - MAX_RECORDED_REQUESTS);
  }

  requests(filter: RequestFilter = {}): RecordedRequest[] {
    const method = filter.method?.toUpperCase();
    return this.records
      .filter(
        (r) =>
          (method === undefined || r.method === method) &&
          (filter.publisherId === undefined || r.publisherId === filter.publisherId) &&
          (filter.offerId === undefined || r.offerId === filter.offerId) &&
          (filter.origin === undefined || r.origin === filter.origin) &&
          (filter.pathIncludes === undefined || r.path.includes(filter.pathIncludes)),
      )
      .map((r) => ({ ...r, query: { ...r.query } }));
  }

  resetRequests(): void {
    this.records = [];
  }
}
