/**
 * `npm run bench -- polling`: the go-live polling policy (src/golive/polling/) against fixed pollers, on a virtual
 * clock. A seeded corpus of go-live timelines is replayed read by read through the real policy (`planRunRead`,
 * `observeSteps`, the same calls the run makes); nothing waits. Prints reads per go-live and the detection delay
 * (from the operation's end to the read that sees it) for fixed 30 s, 60 s and 300 s pollers and the policy, with
 * the goals of the polling design beside them. `--seed=N`, `--offers=N` change the corpus.
 *
 * Corpus (docs/performance.md, "Polling"): each offer has its own typical step durations, drawn from lognormals
 * (CPP certification median 1 day, p95 4 days; CPP live median 2 days, p95 5 days; Product Ingestion publish
 * median 2 hours, p95 12 hours); each run varies around them (lognormal sigma 0.2); offers have 0-5 earlier runs;
 * a slice of 10% of the offers with history ends 10x earlier or later than its history says.
 */
import { planRunRead, type ReportedStep } from '../../src/golive/polling/plan';
import { observeSteps, openStepSince, type StepTime } from '../../src/golive/polling/stepClock';
import { Prng } from '../soak/prng';

export const description = 'ETA-driven polling vs fixed pollers, replayed on a virtual clock';

const DAY = 86_400;
const HOUR = 3_600;
const Z95 = 1.6448536;
const INTERVAL_SECONDS = 120;
const MAX_INTERVAL_SECONDS = 3_600;
const PRODUCT_INGESTION_FLOOR = 60;
const FIXED = [30, 60, 300] as const;
const DEFAULT_SEED = 20_261_202;
const DEFAULT_OFFERS = 1_200;

interface StepShape {
  name: string;
  estimatedTimeFrame?: string;
  median: number;
  p95: number;
}
const CPP_STEPS: StepShape[] = [
  { name: 'Certification', estimatedTimeFrame: '< 5 day', median: DAY, p95: 4 * DAY },
  { name: 'Live', estimatedTimeFrame: '~2-5 days', median: 2 * DAY, p95: 5 * DAY },
];
const PI_STEPS: StepShape[] = [{ name: 'Publish to live', median: 2 * HOUR, p95: 12 * HOUR }];
const PI_DONE_STEP = 'Submit';

type Group = 'all' | 'history3' | 'noHistory' | 'slice';
interface Timeline {
  api: 'cpp' | 'productIngestion';
  steps: { name: string; estimatedTimeFrame?: string; seconds: number }[];
  history: Record<string, number[]>;
  earlierRuns: number;
  slice: boolean;
}
interface Result {
  reads: number;
  delay: number;
}

export function corpus(seed: number, offers: number): Timeline[] {
  const rng = new Prng(seed);
  const normal = (): number => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const lognormal = (median: number, sigma: number): number => median * Math.exp(sigma * normal());
  const out: Timeline[] = [];
  for (let i = 0; i < offers; i++) {
    const api = rng.chance(0.6) ? 'cpp' : 'productIngestion';
    const shapes = api === 'cpp' ? CPP_STEPS : PI_STEPS;
    const typical = shapes.map((s) => lognormal(s.median, Math.log(s.p95 / s.median) / Z95));
    const run = (): number[] => typical.map((t) => lognormal(t, 0.2));
    const earlierRuns = rng.int(0, 5);
    const history: Record<string, number[]> = {};
    for (let r = 0; r < earlierRuns; r++) {
      run().forEach((seconds, k) => (history[shapes[k]?.name ?? ''] ??= []).push(Math.round(seconds)));
    }
    const slice = earlierRuns > 0 && rng.chance(0.1);
    const factor = slice ? (rng.chance(0.5) ? 10 : 0.1) : 1;
    const steps = run().map((seconds, k) => {
      const shape = shapes[k] as StepShape;
      return {
        name: shape.name,
        ...(shape.estimatedTimeFrame !== undefined ? { estimatedTimeFrame: shape.estimatedTimeFrame } : {}),
        seconds: Math.max(1, Math.round(seconds * factor)),
      };
    });
    out.push({ api, steps, history, earlierRuns, slice });
  }
  return out;
}

/** What a read at `t` seconds after the Go Live sees: the steps and whether the operation ended. */
function readAt(tl: Timeline, t: number): { steps: ReportedStep[]; ended: boolean } {
  let start = 0;
  const steps: ReportedStep[] = tl.api === 'productIngestion' ? [{ name: PI_DONE_STEP, status: 'complete' }] : [];
  let ended = true;
  for (const s of tl.steps) {
    const status = t >= start + s.seconds ? 'complete' : t >= start ? 'inProgress' : 'notStarted';
    if (status !== 'complete') ended = false;
    steps.push({ name: s.name, status, ...(s.estimatedTimeFrame ? { estimatedTimeFrame: s.estimatedTimeFrame } : {}) });
    start += s.seconds;
  }
  return { steps, ended };
}

function endOf(tl: Timeline): number {
  return tl.steps.reduce((a, s) => a + s.seconds, 0);
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const iso = (t: number): string => new Date(T0 + t * 1000).toISOString();

/** Replays one timeline through the policy: the run's calls, read by read. */
export function replayPolicy(tl: Timeline): Result {
  const end = endOf(tl);
  const deadline = new Date(T0 + 400 * DAY * 1000); // beyond every timeline: no run times out here
  const floor = tl.api === 'productIngestion' ? PRODUCT_INGESTION_FLOOR : undefined;
  const base = { deadline, api: tl.api, offerDurations: tl.history, intervalSeconds: INTERVAL_SECONDS };
  const settings = { ...base, maxIntervalSeconds: MAX_INTERVAL_SECONDS, floorSeconds: floor, consecutiveErrors: 0 };
  // After the Go Live is accepted the run knows no steps yet.
  let t = planRunRead({ ...settings, now: new Date(T0), steps: [] }).delaySeconds;
  let previous = 0;
  let times: StepTime[] = [];
  let reads = 0;
  for (;;) {
    reads += 1;
    const seen = readAt(tl, t);
    times = observeSteps(times, seen.steps, iso(previous), iso(t), seen.ended);
    if (seen.ended) return { reads, delay: t - end };
    const plan = planRunRead({
      ...settings,
      now: new Date(T0 + t * 1000),
      steps: seen.steps,
      stepSince: openStepSince(times),
    });
    if (plan.delaySeconds <= 0) throw new Error(`the policy planned no wait at ${t} s`);
    previous = t;
    t += plan.delaySeconds;
  }
}

function replayFixed(tl: Timeline, every: number): Result {
  const end = endOf(tl);
  const reads = Math.max(1, Math.ceil(end / every));
  return { reads, delay: reads * every - end };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

interface Figures {
  n: number;
  reads: number;
  p50: number;
  p95: number;
  max: number;
}
function figures(results: Result[]): Figures {
  const delays = results.map((r) => r.delay).sort((a, b) => a - b);
  return {
    n: results.length,
    reads: results.reduce((a, r) => a + r.reads, 0) / Math.max(1, results.length),
    p50: quantile(delays, 0.5),
    p95: quantile(delays, 0.95),
    max: delays[delays.length - 1] ?? Number.NaN,
  };
}

function inGroup(tl: Timeline, g: Group): boolean {
  if (g === 'all') return true;
  if (g === 'slice') return tl.slice;
  if (g === 'noHistory') return tl.earlierRuns === 0;
  return tl.earlierRuns >= 3 && !tl.slice;
}

const GROUP_LABEL: Record<Group, string> = {
  all: 'overall',
  history3: '3+ earlier runs',
  noHistory: 'no history',
  slice: '10% slice (10x off its history)',
};

export interface PollingReport {
  seed: number;
  offers: number;
  table: Record<Group, Record<string, Figures>>;
  goals: { text: string; met: boolean }[];
}

export function measure(seed = DEFAULT_SEED, offers = DEFAULT_OFFERS): PollingReport {
  const timelines = corpus(seed, offers);
  const pollers: Record<string, (tl: Timeline) => Result> = {
    ...Object.fromEntries(FIXED.map((s) => [`fixed ${s} s`, (tl: Timeline) => replayFixed(tl, s)])),
    policy: replayPolicy,
  };
  const results = Object.fromEntries(Object.entries(pollers).map(([name, f]) => [name, timelines.map(f)]));
  const table = {} as PollingReport['table'];
  for (const g of ['all', 'history3', 'noHistory', 'slice'] as Group[]) {
    table[g] = Object.fromEntries(
      Object.entries(results).map(([name, rs]) => [
        name,
        figures(rs.filter((_, i) => inGroup(timelines[i] as Timeline, g))),
      ]),
    );
  }
  const goals: PollingReport['goals'] = [];
  const all = table.all;
  const policy = all['policy'] as Figures;
  for (const s of FIXED) {
    const fixed = all[`fixed ${s} s`] as Figures;
    if (fixed.p95 >= policy.p95) {
      goals.push({
        text: `overall: fewer reads than fixed ${s} s (p95 ${fmtDelay(fixed.p95)} >= ${fmtDelay(policy.p95)}): ${fmtReads(policy.reads)} < ${fmtReads(fixed.reads)}`,
        met: policy.reads < fixed.reads,
      });
    }
  }
  if (!FIXED.some((s) => (all[`fixed ${s} s`] as Figures).p95 >= policy.p95)) {
    const least = Math.min(...FIXED.map((s) => (all[`fixed ${s} s`] as Figures).reads));
    goals.push({
      text: `overall: no fixed poller is as late at p95 (${fmtDelay(policy.p95)}), so none binds; the policy still reads fewer than each: ${fmtReads(policy.reads)} < ${fmtReads(least)}`,
      met: policy.reads < least,
    });
  }
  const h3 = table.history3['policy'] as Figures;
  const h3fixed60 = table.history3['fixed 60 s'] as Figures;
  goals.push({ text: `3+ earlier runs: detection p95 ${fmtDelay(h3.p95)} <= 2 min`, met: h3.p95 <= 120 });
  goals.push({
    text: `3+ earlier runs: reads ${fmtReads(h3.reads)} <= 1/4 of fixed 60 s (${fmtReads(h3fixed60.reads / 4)})`,
    met: h3.reads <= h3fixed60.reads / 4,
  });
  const slice = table.slice['policy'] as Figures;
  goals.push({
    text: `slice: detection p95 ${fmtDelay(slice.p95)} <= the maximum interval (${fmtDelay(MAX_INTERVAL_SECONDS)})`,
    met: slice.p95 <= MAX_INTERVAL_SECONDS,
  });
  return { seed, offers, table, goals };
}

function fmtDelay(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7_200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3_600).toFixed(1)} h`;
}
function fmtReads(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/** The goal beside each policy figure of a group (empty where the design sets none). */
function goalFor(g: Group, column: 'reads' | 'p95', report: PollingReport): string {
  const t = report.table;
  if (g === 'history3' && column === 'p95') return '<= 2 min';
  if (g === 'history3' && column === 'reads')
    return `<= ${fmtReads((t.history3['fixed 60 s'] as Figures).reads / 4)} (1/4 of 60 s)`;
  if (g === 'slice' && column === 'p95') return `<= ${fmtDelay(MAX_INTERVAL_SECONDS)} (max interval)`;
  if (g === 'all' && column === 'reads') {
    const policy = t.all['policy'] as Figures;
    const worse = FIXED.filter((s) => (t.all[`fixed ${s} s`] as Figures).p95 >= policy.p95);
    if (worse.length === 0) return '(no fixed poller as late)';
    const least = Math.min(...worse.map((s) => (t.all[`fixed ${s} s`] as Figures).reads));
    return `< ${fmtReads(least)} (fixed ${worse.join('/')} s)`;
  }
  return '';
}

export function render(report: PollingReport, print: (line: string) => void): void {
  print(
    `seed ${report.seed}, ${report.offers} go-lives; policy: GOLIVE_POLL_INTERVAL_SECONDS=${INTERVAL_SECONDS}, ` +
      `GOLIVE_POLL_MAX_INTERVAL_SECONDS=${MAX_INTERVAL_SECONDS}, Product Ingestion floor ${PRODUCT_INGESTION_FLOOR} s`,
  );
  for (const g of ['all', 'history3', 'noHistory', 'slice'] as Group[]) {
    const rows = report.table[g];
    print('');
    print(`${GROUP_LABEL[g]} (${(rows['policy'] as Figures).n} go-lives)`);
    print(
      `  ${'poller'.padEnd(12)} ${'reads/go-live'.padStart(14)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}   goal`,
    );
    for (const [name, f] of Object.entries(rows)) {
      const goal =
        name === 'policy'
          ? [
              goalFor(g, 'reads', report) && `reads ${goalFor(g, 'reads', report)}`,
              goalFor(g, 'p95', report) && `p95 ${goalFor(g, 'p95', report)}`,
            ]
              .filter(Boolean)
              .join('; ')
          : '';
      print(
        `  ${name.padEnd(12)} ${fmtReads(f.reads).padStart(14)} ${fmtDelay(f.p50).padStart(9)} ${fmtDelay(f.p95).padStart(9)} ${fmtDelay(f.max).padStart(9)}   ${goal}`,
      );
    }
  }
  print('');
  for (const goal of report.goals) print(`${goal.met ? 'met    ' : 'NOT MET'}  ${goal.text}`);
  print('');
  print(`seed ${report.seed}: rerun with \`npm run bench -- polling --seed=${report.seed}\``);
}

function option(name: string): number | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? undefined : Number(arg.slice(name.length + 3));
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function run(print: (line: string) => void): Promise<void> {
  render(measure(option('seed') ?? DEFAULT_SEED, Math.max(1_000, option('offers') ?? DEFAULT_OFFERS)), print);
  return Promise.resolve();
}
