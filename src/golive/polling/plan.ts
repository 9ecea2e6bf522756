import { type EndEstimate, endQuantile, estimateEnd, type StepToCome } from './estimate';
import { planNextRead, type ReadPlan } from './policy';

/**
 * The narrow entry the run (and the polling benchmark) calls after each read of the operation: from the steps the
 * partner API reported, when the current step started, and the offer's earlier step durations, the next read and
 * the expected end. Pure.
 */

/** A step as the run keeps it (`RunStep` plus its `estimatedTimeFrame`). */
export interface ReportedStep {
  name: string;
  status: string;
  estimatedTimeFrame?: string | undefined;
}

/** When the operation is expected to end: the median, and the central 90%. */
export interface ExpectedEnd {
  at: string;
  earliest: string;
  latest: string;
  /** Where the estimate comes from, in words. */
  basis: string;
}

export interface RunReadInput {
  now: Date;
  deadline: Date;
  api: 'cpp' | 'productIngestion';
  steps: readonly ReportedStep[];
  /** When the current step started (ISO), as the run observed it; `now` when unknown. */
  stepSince?: string | undefined;
  /** Seconds earlier runs of the same offer spent in each step, by step name (newest first). */
  offerDurations?: Readonly<Record<string, readonly number[]>> | undefined;
  /** Seconds the same publisher's other offers spent in each step, by step name. */
  publisherDurations?: Readonly<Record<string, readonly number[]>> | undefined;
  intervalSeconds: number;
  maxIntervalSeconds: number;
  floorSeconds?: number | undefined;
  retryAfterSeconds?: number | undefined;
  consecutiveErrors: number;
}

export interface RunReadPlan extends ReadPlan {
  expectedEnd?: ExpectedEnd;
}

const DONE = /^(complete|completed|succeeded|success|skipped)$/i;
/** Statuses of a step nobody waits for (CPP: the sign-off the Go Live itself gave). */
const PRODUCT_INGESTION_PHASES = new Set(['submit', 'publish to live']);

/** The step now running: the first one not done (undefined when all are). */
export function currentStep(steps: readonly ReportedStep[]): ReportedStep | undefined {
  return steps.find((s) => !DONE.test(s.status.trim()));
}

/** The current step and the steps after it, as the estimate takes them. */
export function stepsToCome(api: RunReadInput['api'], steps: readonly ReportedStep[]): StepToCome[] {
  const i = steps.findIndex((s) => !DONE.test(s.status.trim()));
  if (i < 0) return [];
  return steps.slice(i).map((s) => ({
    key: s.name,
    estimatedTimeFrame: s.estimatedTimeFrame,
    phase: api === 'productIngestion' || PRODUCT_INGESTION_PHASES.has(s.name.toLowerCase()) ? s.name : undefined,
  }));
}

export function planRunRead(input: RunReadInput): RunReadPlan {
  const since = input.stepSince !== undefined ? Date.parse(input.stepSince) : Number.NaN;
  const estimate = estimateEnd({
    steps: stepsToCome(input.api, input.steps),
    sinceMs: Number.isFinite(since) ? Math.min(since, input.now.getTime()) : input.now.getTime(),
    offerDurations: input.offerDurations,
    publisherDurations: input.publisherDurations,
  });
  const plan = planNextRead({
    now: input.now,
    deadline: input.deadline,
    intervalSeconds: input.intervalSeconds,
    maxIntervalSeconds: input.maxIntervalSeconds,
    floorSeconds: input.floorSeconds,
    retryAfterSeconds: input.retryAfterSeconds,
    consecutiveErrors: input.consecutiveErrors,
    estimate,
  });
  return estimate ? { ...plan, expectedEnd: expectedEndOf(estimate) } : plan;
}

export function expectedEndOf(e: EndEstimate): ExpectedEnd {
  const iso = (ms: number): string => new Date(Math.min(ms, 8.64e15)).toISOString();
  return {
    at: iso(endQuantile(e, 0.5)),
    earliest: iso(endQuantile(e, 0.05)),
    latest: iso(endQuantile(e, 0.95)),
    basis: e.basis,
  };
}
