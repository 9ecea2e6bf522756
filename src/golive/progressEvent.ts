import { type CloudEvent, offerEvent } from '../events/cloudEvent';
import { PROGRESS_EVENT_TYPE } from '../events/names';
import type { PartnerApiKind } from '../partner/types';
import type { RunRecord, RunStep } from './run/record';

/**
 * Opt-in progress events (`GOLIVE_PROGRESS_EVENTS=true`): a `golive.progressed` CloudEvent each time a run's
 * progress changes: the Go Live was accepted (or the run attached to one running), the phase changed, or a step's
 * status changed (e.g. the publisher sign-off step now waits for review). Built by the orchestrator from its record
 * (pure: the time is the orchestration's), numbered from 1 per run: the id `golive-{runId}-progress-{n}` is the same
 * on every replay.
 */

export interface ProgressData {
  publisherId: string;
  offerId: string;
  api: PartnerApiKind;
  productId?: string;
  runId: string;
  /** 1, 2, ... per run: the order the events were emitted in. */
  sequence: number;
  requestIds: string[];
  state: RunRecord['state'];
  operationId: string | null;
  operationStatus: string | null;
  phase: string | null;
  steps: RunStep[];
  progressPercentage: number | null;
  acceptedAt: string | null;
}

export function progressEventId(runId: string, n: number): string {
  return `golive-${runId}-progress-${n}`;
}

/** What a progress event reports; a new event is emitted when this changes. */
export function progressKey(record: RunRecord): string {
  return JSON.stringify({
    accepted: record.acceptedAt !== undefined || record.operationId !== undefined,
    phase: record.phase ?? null,
    steps: record.steps.map((s) => [s.name, s.status]),
  });
}

export function buildProgressEvent(record: RunRecord, n: number, at: Date): CloudEvent<ProgressData> {
  const { target } = record;
  const data: ProgressData = {
    publisherId: target.publisherId,
    offerId: target.offerId,
    api: target.api,
    runId: record.runId,
    sequence: n,
    requestIds: record.requests.map((r) => r.requestId),
    state: record.state,
    operationId: record.operationId ?? null,
    operationStatus: record.operationStatus ?? null,
    phase: record.phase ?? null,
    steps: record.steps,
    progressPercentage: record.progressPercentage ?? null,
    acceptedAt: record.acceptedAt ?? null,
  };
  if (target.productId !== undefined) data.productId = target.productId;
  return offerEvent(PROGRESS_EVENT_TYPE, target, progressEventId(record.runId, n), at.toISOString(), data);
}
