import type { RunRecord, RunSettings } from '../run/record';
import { planRunRead } from './plan';
import { durationsByStep, observeSteps, openStepSince } from './stepClock';

/**
 * The polling plan for a go-live run, in the run record's terms: the one call the run makes after a read of the
 * operation. Takes the record as it stands after the read (steps, status, `lastCheckedAt` = now) and the time of the
 * read before, and gives the fields to set on the record. Pure.
 */
export interface RunReadFacts {
  now: Date;
  /** The read before this one, or when the Go Live was accepted (ISO). */
  previousReadAt: string;
  settings: Pick<RunSettings, 'pollIntervalSeconds' | 'pollMaxIntervalSeconds'>;
  retryAfterSeconds?: number | undefined;
  /** Transient read errors in a row (0 after this read succeeded). */
  consecutiveErrors: number;
  /** The operation ended with this read; `succeeded` closes the running step too (its duration counts). */
  ended?: 'succeeded' | 'other' | undefined;
}

export type PlannedFields = Pick<RunRecord, 'stepTimes' | 'nextCheckAt' | 'nextCheckReason' | 'expectedEnd'>;

export function planAfterRead(r: RunRecord, facts: RunReadFacts): PlannedFields {
  const now = facts.now.toISOString();
  const stepTimes =
    facts.consecutiveErrors > 0
      ? (r.stepTimes ?? [])
      : observeSteps(r.stepTimes ?? [], r.steps, facts.previousReadAt, now, facts.ended === 'succeeded');
  if (facts.ended !== undefined) return { stepTimes };
  const plan = planRunRead({
    now: facts.now,
    deadline: new Date(r.deadlineAt),
    api: r.target.api,
    steps: r.steps,
    stepSince: openStepSince(stepTimes),
    offerDurations: durationsByStep(r.previousRuns),
    intervalSeconds: facts.settings.pollIntervalSeconds,
    maxIntervalSeconds: facts.settings.pollMaxIntervalSeconds,
    floorSeconds: r.pollFloorSeconds,
    retryAfterSeconds: facts.retryAfterSeconds,
    consecutiveErrors: facts.consecutiveErrors,
  });
  const fields: PlannedFields = { stepTimes, nextCheckAt: plan.at.toISOString(), nextCheckReason: plan.reason };
  const expectedEnd = plan.expectedEnd ?? (facts.consecutiveErrors > 0 ? r.expectedEnd : undefined);
  if (expectedEnd !== undefined) fields.expectedEnd = expectedEnd;
  return fields;
}
