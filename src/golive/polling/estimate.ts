/**
 * When the go-live's operation is likely to end: a lognormal distribution of the time from the current step's
 * start to the operation's end, from what is known of each remaining step. Pure (no clock, no I/O): the run and
 * the polling benchmark call it with values they hold. Documented in docs/workflow.md ("When a go-live is likely
 * to end").
 *
 * For each remaining step (the current one and those after it), the best source that says something wins:
 * 1. the same offer's earlier runs of that step (their measured durations);
 * 2. the same publisher's earlier runs of that step (other offers: a wider spread);
 * 3. the step's `estimatedTimeFrame` (CPP: `< 15 min`, `< 1 day`, `~2-5 days`);
 * 4. the phase (Product Ingestion: `Submit` is the configure job, `Publish to live` takes more than 30 minutes).
 * When a remaining step has none of these, there is no estimate (the run then reads at the configured interval).
 * The steps' distributions are added by matching mean and variance (Fenton-Wilkinson), so the result is again
 * one lognormal: `median = exp(mu)`, spread `sigma` (in log space).
 */

export interface DurationPrior {
  /** Log of the median duration in seconds. */
  mu: number;
  /** Spread in log space (lognormal sigma). */
  sigma: number;
  /** Where the figure came from: `offer history (n=3)`, `estimatedTimeFrame "< 1 day"`, ... */
  basis: string;
}

/** One remaining step of the operation, as the estimate needs it. */
export interface StepToCome {
  /** The key earlier durations are kept under (the step name; Product Ingestion: the phase). */
  key: string;
  estimatedTimeFrame?: string | undefined;
  /** The go-live phase (Product Ingestion: `Submit`, `Publish to live`). */
  phase?: string | undefined;
}

export interface EstimateInput {
  /** The current step first, then the steps after it (at least one). */
  steps: readonly StepToCome[];
  /** When the current step started (ms since epoch), as observed. */
  sinceMs: number;
  /** Seconds the same offer's earlier runs spent in a step, by key (newest first). */
  offerDurations?: Readonly<Record<string, readonly number[]>> | undefined;
  /** Seconds the same publisher's other offers spent in a step, by key (newest first). */
  publisherDurations?: Readonly<Record<string, readonly number[]>> | undefined;
}

export interface EndEstimate {
  /** The current step's start (ms since epoch): the distribution is of the time from here to the end. */
  sinceMs: number;
  mu: number;
  sigma: number;
  /** The current step's own prior (the basis shown to people). */
  basis: string;
}

// The spread a single earlier run leaves (a run varies around the offer's typical duration), and the spread
// between offers of one publisher.
const RUN_SIGMA = 0.25;
const PUBLISHER_SIGMA = 0.6;
/** `< N unit`: the step takes up to N; the median at N/3, N at about the 90th percentile. */
const UPPER_BOUND_MEDIAN_SHARE = 1 / 3;
const UPPER_BOUND_SIGMA = 0.9;
/** `~A-B units`: A..B is about the middle 80%, never narrower than this. */
const RANGE_MIN_SIGMA = 0.5;
/** Product Ingestion phases: the configure job (`Submit`) and the publish to live (more than 30 minutes). */
const PHASE_PRIORS: Readonly<Record<string, DurationPrior>> = {
  submit: { mu: Math.log(600), sigma: 1.2, basis: 'phase Submit (minutes)' },
  'publish to live': { mu: Math.log(3_600), sigma: 1.2, basis: 'phase Publish to live (more than 30 min)' },
};

const UNIT_SECONDS: ReadonlyArray<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3_600],
  [/^(d|day|days)$/, 86_400],
  [/^(w|wk|wks|week|weeks)$/, 604_800],
];

export type TimeFrame = { kind: 'upTo'; seconds: number } | { kind: 'range'; fromSeconds: number; toSeconds: number };

/**
 * Parses a CPP `estimatedTimeFrame`, leniently: `< 15 min`, `<1 day`, `< 5 day`, `~2-5 days`, `2 - 5 days`,
 * `about 3 hours`, `1 week`. Undefined when it says no duration.
 */
export function parseTimeFrame(text: string | undefined): TimeFrame | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase().replace(/,/g, '.');
  const m =
    /^(<=?|≤|~|about|approx\.?|up to|within)?\s*(\d+(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*([a-z]+)\.?$/.exec(
      t,
    );
  if (!m) return undefined;
  const unit = UNIT_SECONDS.find(([re]) => re.test(m[4] ?? ''))?.[1];
  if (unit === undefined) return undefined;
  const a = Number(m[2]) * unit;
  const b = m[3] !== undefined ? Number(m[3]) * unit : undefined;
  if (!(a > 0) && !(b !== undefined && b > 0)) return undefined;
  if (b !== undefined) return { kind: 'range', fromSeconds: Math.max(1, Math.min(a, b)), toSeconds: Math.max(a, b) };
  const upTo = m[1] === undefined || m[1].startsWith('<') || m[1] === '≤' || m[1] === 'up to' || m[1] === 'within';
  return upTo ? { kind: 'upTo', seconds: a } : { kind: 'range', fromSeconds: a / 1.5, toSeconds: a * 1.5 };
}

/** The prior of one step's duration from its sources (see the module comment). */
export function stepPrior(
  step: StepToCome,
  offerDurations?: readonly number[],
  publisherDurations?: readonly number[],
): DurationPrior | undefined {
  const own = fromDurations(offerDurations, 0, 'offer history');
  if (own) return own;
  const publisher = fromDurations(publisherDurations, PUBLISHER_SIGMA, 'publisher history');
  if (publisher) return publisher;
  const frame = parseTimeFrame(step.estimatedTimeFrame);
  if (frame?.kind === 'upTo') {
    return {
      mu: Math.log(frame.seconds * UPPER_BOUND_MEDIAN_SHARE),
      sigma: UPPER_BOUND_SIGMA,
      basis: `estimatedTimeFrame "${step.estimatedTimeFrame ?? ''}"`,
    };
  }
  if (frame?.kind === 'range') {
    const mu = (Math.log(frame.fromSeconds) + Math.log(frame.toSeconds)) / 2;
    const sigma = Math.max(RANGE_MIN_SIGMA, (Math.log(frame.toSeconds) - Math.log(frame.fromSeconds)) / (2 * 1.2816));
    return { mu, sigma, basis: `estimatedTimeFrame "${step.estimatedTimeFrame ?? ''}"` };
  }
  return step.phase !== undefined ? PHASE_PRIORS[step.phase.trim().toLowerCase()] : undefined;
}

/**
 * A lognormal from measured durations: the log mean, and a spread from the sample shrunk towards the spread one run
 * leaves (so one or two runs do not claim certainty), widened for the estimate's own error (1 + 1/n) and by
 * `extraSigma` (another offer's runs).
 */
function fromDurations(
  durations: readonly number[] | undefined,
  extraSigma: number,
  label: string,
): DurationPrior | undefined {
  const logs = (durations ?? []).filter((d) => Number.isFinite(d) && d > 0).map((d) => Math.log(d));
  const n = logs.length;
  if (n === 0) return undefined;
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  const sampleVar = n > 1 ? logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const prior = 2; // weight of RUN_SIGMA, in runs
  const variance = ((n - 1) * sampleVar + prior * RUN_SIGMA ** 2) / (n - 1 + prior);
  const sigma = Math.sqrt(variance * (1 + 1 / n) + extraSigma ** 2);
  return { mu: mean, sigma, basis: `${label} (${n} run${n === 1 ? '' : 's'})` };
}

/** The distribution of the time from the current step's start to the operation's end. */
export function estimateEnd(input: EstimateInput): EndEstimate | undefined {
  if (input.steps.length === 0) return undefined;
  let mean = 0;
  let variance = 0;
  let basis = '';
  for (const [i, step] of input.steps.entries()) {
    const prior = stepPrior(step, input.offerDurations?.[step.key], input.publisherDurations?.[step.key]);
    if (prior === undefined) return undefined;
    if (i === 0) basis = `${step.key}: ${prior.basis}`;
    const s2 = prior.sigma ** 2;
    mean += Math.exp(prior.mu + s2 / 2);
    variance += (Math.exp(s2) - 1) * Math.exp(2 * prior.mu + s2);
  }
  const sigma2 = Math.log(1 + variance / (mean * mean));
  const more =
    input.steps.length > 1 ? ` (+${input.steps.length - 1} later step${input.steps.length > 2 ? 's' : ''})` : '';
  return { sinceMs: input.sinceMs, mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2), basis: basis + more };
}

/** The time (ms since epoch) by which the operation ends with probability `p`. */
export function endQuantile(estimate: EndEstimate, p: number): number {
  return estimate.sinceMs + 1000 * Math.exp(estimate.mu + estimate.sigma * normalQuantile(p));
}

/** The inverse of the standard normal distribution function (Acklam's rational approximation, error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
