import type { ReadOperationResult } from './contracts';
import { operationError, outcomeOfOperation } from './outcome';
import { nextCheckTime, type NextReadInput } from './pollingPolicy';
import type { RunError, RunOutcome } from './run/record';

/**
 * After the partner API accepted a cancel, the run reads the operation until it is terminal (at most
 * `MAX_CANCEL_CONFIRM_READS` reads, one every `cancelConfirmDelaySeconds`, never past the deadline), so the run's
 * outcome and the event's `operationStatus` say what the partner API says. Pure decisions over plain values.
 */

export const MAX_CANCEL_CONFIRM_READS = 10;
/** Longest wait between two reads of a canceled operation. */
export const MAX_CANCEL_CONFIRM_DELAY_SECONDS = 30;

export type CancelReadDecision =
  { kind: 'again' } | { kind: 'end'; outcome: RunOutcome; error?: RunError; warning?: string };

/** Seconds before the next read of a canceled operation: the poll interval, at most 30 s, never below the floor. */
export function cancelConfirmDelaySeconds(intervalSeconds: number, floorSeconds?: number): number {
  return Math.max(floorSeconds ?? 0, Math.min(intervalSeconds, MAX_CANCEL_CONFIRM_DELAY_SECONDS));
}

/** When the run reads a canceled operation next: `cancelConfirmDelaySeconds` from now, never past the deadline. */
export function nextCancelReadAt(input: Omit<NextReadInput, 'retryAfterSeconds' | 'readErrors'>): Date {
  const delay = cancelConfirmDelaySeconds(input.settings.pollIntervalSeconds, input.record.pollFloorSeconds);
  return nextCheckTime(input.now, delay, new Date(input.record.deadlineAt));
}

/** What a read after the cancel means: the operation ended (its outcome), or read again, or stop unconfirmed. */
export function afterCancelRead(
  read: ReadOperationResult,
  reads: number,
  maxReads: number = MAX_CANCEL_CONFIRM_READS,
): CancelReadDecision {
  if (read.kind === 'status') {
    const outcome = outcomeOfOperation(read.state);
    if (outcome === 'canceled') return { kind: 'end', outcome: 'canceled' };
    if (outcome === 'succeeded') {
      return {
        kind: 'end',
        outcome: 'succeeded',
        warning: 'the cancel came too late: the operation completed and the offer is live',
      };
    }
    if (outcome === 'failed') {
      const error = operationError('failed', read.rawStatus, read.errors);
      return error ? { kind: 'end', outcome: 'failed', error } : { kind: 'end', outcome: 'failed' };
    }
    if (reads < maxReads) return { kind: 'again' };
    return {
      kind: 'end',
      outcome: 'canceled',
      error: cancelNotConfirmed(`the operation still says "${read.rawStatus}" after ${reads} reads`),
    };
  }
  if (read.kind === 'transient' && reads < maxReads) return { kind: 'again' };
  return {
    kind: 'end',
    outcome: 'canceled',
    error: cancelNotConfirmed(`reading the operation failed (${read.error.code}: ${read.error.message})`),
  };
}

/** The run's error when the partner API would not cancel (the operation may still run and go live). */
export function cancelRefused(error: RunError, operationId: string | undefined): RunError {
  const refused: RunError = {
    code: 'CancelRefused',
    message: `the partner API did not cancel operation ${operationId ?? '(unknown)'}: ${error.code} ${error.message}; the operation may still run`,
  };
  if (error.statusCode !== undefined) refused.statusCode = error.statusCode;
  if (error.body !== undefined) refused.body = error.body;
  return refused;
}

/** The run's error when the cancel was accepted but the operation was not seen to end. */
export function cancelNotConfirmed(detail: string): RunError {
  return {
    code: 'CancelNotConfirmed',
    message: `the partner API accepted the cancel but did not confirm it: ${detail}; the operation may still run`,
  };
}
