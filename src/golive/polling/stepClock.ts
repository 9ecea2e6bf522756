import { currentStep, type ReportedStep } from './plan';

/**
 * When each step of the run's operation started and ended, as the run observed it: a step change seen by a read is
 * placed halfway between that read and the one before (the best guess the reads allow). Pure; the run keeps the
 * list in its record (bounded) and the next run of the offer takes the durations (`stepDurations`).
 */
export interface StepTime {
  name: string;
  startedAt: string;
  endedAt?: string | undefined;
}

/** Steps a run keeps times for (CPP has 6, Product Ingestion 2). */
export const MAX_STEP_TIMES = 12;
/** Earlier durations kept per step and run summary. */
export const MAX_STEP_DURATIONS = 12;

/**
 * The step times after a read at `now` that saw `steps`; `previousReadAt` is the read before (or the Go Live's
 * acceptance). `ended`: the operation is terminal (the running step ends too).
 */
export function observeSteps(
  times: readonly StepTime[],
  steps: readonly ReportedStep[],
  previousReadAt: string,
  now: string,
  ended = false,
): StepTime[] {
  const out = times.map((t) => ({ ...t }));
  const open = out.length > 0 && out[out.length - 1]?.endedAt === undefined ? out[out.length - 1] : undefined;
  const current = ended ? undefined : currentStep(steps);
  if (open && open.name === current?.name) return out;
  const change = midpoint(previousReadAt, now);
  if (open) open.endedAt = change;
  if (current && !out.some((t) => t.name === current.name)) {
    out.push({ name: current.name, startedAt: out.length === 0 ? previousReadAt : change });
  }
  return out.slice(-MAX_STEP_TIMES);
}

/** The open step's start (undefined when no step is open). */
export function openStepSince(times: readonly StepTime[]): string | undefined {
  const last = times[times.length - 1];
  return last !== undefined && last.endedAt === undefined ? last.startedAt : undefined;
}

/** Seconds each finished step took, by name. */
export function stepDurations(times: readonly StepTime[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of times) {
    if (t.endedAt === undefined) continue;
    const seconds = Math.round((Date.parse(t.endedAt) - Date.parse(t.startedAt)) / 1000);
    if (Number.isFinite(seconds) && seconds > 0) out[t.name] = seconds;
  }
  return out;
}

/** Earlier runs' durations by step name (newest first, at most `MAX_STEP_DURATIONS` each). */
export function durationsByStep(
  runs: readonly { stepDurations?: Record<string, number> | undefined }[],
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const run of runs) {
    for (const [name, seconds] of Object.entries(run.stepDurations ?? {})) {
      const list = (out[name] ??= []);
      if (list.length < MAX_STEP_DURATIONS) list.push(seconds);
    }
  }
  return out;
}

function midpoint(a: string, b: string): string {
  const x = Date.parse(a);
  const y = Date.parse(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return b;
  return new Date(Math.round((x + y) / 2)).toISOString();
}
