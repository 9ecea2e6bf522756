import { type CloudEvent, offerEvent, offerSource, offerSubject } from '../events/cloudEvent';
import { own } from '../util';
import type { RejectedRecord } from './request';
import { ID_PATTERN, REQUEST_ID_PATTERN } from './request';
import type { RunOutput, RunTarget, Shown } from './run/record';

/**
 * Completion events on `golive-events`: CloudEvents 1.0 structured JSON (one JSON object per queue message).
 * The id is derived from the run id (or the rejected message id), so a replay or redelivery that publishes again
 * sends the same id and consumers can drop the copy.
 */

/** The event's data: a pick of the run's output (`run/record.ts`); absent optional fields are `null`. */
export type CompletionData = Pick<RunTarget, 'publisherId' | 'offerId' | 'api' | 'productId'> &
  Pick<
    RunOutput,
    | 'requestIds'
    | 'runId'
    | 'outcome'
    | 'startedAt'
    | 'completedAt'
    | 'durationSeconds'
    | 'pollCount'
    | 'steps'
    | 'warnings'
  > &
  Shown<RunOutput, 'operationId' | 'operationStatus' | 'acceptedAt' | 'error'> & {
    /** Present when the run's requests fill more than one event: which page of `requestIds` this event lists. */
    requestPage?: RequestPage;
    /** Present (true) only when the offer was already live as asked and no Go Live was sent. */
    alreadyLive?: true;
  };

/** One page of a run's request ids (`total` ids over `pages` events, each event a page). */
export interface RequestPage {
  page: number;
  pages: number;
  total: number;
}

/** Request ids one completion event lists (100 ids of at most 128 characters keep a message well under 64 KB). */
export const REQUEST_IDS_PER_EVENT = 100;

export interface RejectedData {
  outcome: 'rejected';
  messageId: string;
  reason: string;
  rejectedAt: string;
  publisherId: string | null;
  offerId: string | null;
  requestId: string | null;
  /** The first 2,000 characters of the message; the whole text is on `golive-rejected`. */
  originalText: string;
}

export const REJECTED_TEXT_IN_EVENT = 2_000;

/** Source of a rejected message whose publisher/offer could not be read. */
export const INTAKE_SOURCE = '/golive/requests';

export function buildCompletionEvent(output: RunOutput): CloudEvent<CompletionData> {
  const { target } = output;
  const data: CompletionData = {
    publisherId: target.publisherId,
    offerId: target.offerId,
    api: target.api,
    requestIds: output.requestIds,
    runId: output.runId,
    operationId: output.operationId ?? null,
    operationStatus: output.operationStatus ?? null,
    outcome: output.outcome,
    startedAt: output.startedAt,
    acceptedAt: output.acceptedAt ?? null,
    completedAt: output.completedAt,
    durationSeconds: output.durationSeconds,
    pollCount: output.pollCount,
    steps: output.steps,
    error: output.error ?? null,
    warnings: output.warnings,
  };
  if (target.productId !== undefined) data.productId = target.productId;
  if (output.alreadyLive === true) data.alreadyLive = true;
  return offerEvent(`golive.${output.outcome}`, target, output.eventId, output.completedAt, data);
}

/**
 * The run's completion events: one, or one per `REQUEST_IDS_PER_EVENT` request ids when the run recorded more, so
 * every request id is in exactly one event. The first page has the run's stable event id, page N (N > 1) that id
 * with `-requests-N`; every page carries the same outcome and says which page it is (`requestPage`).
 */
export function buildCompletionEvents(output: RunOutput): CloudEvent<CompletionData>[] {
  const ids = output.requestIds;
  const pages = Math.max(1, Math.ceil(ids.length / REQUEST_IDS_PER_EVENT));
  if (pages === 1) return [buildCompletionEvent(output)];
  return Array.from({ length: pages }, (_, i) => {
    const slice = ids.slice(i * REQUEST_IDS_PER_EVENT, (i + 1) * REQUEST_IDS_PER_EVENT);
    const event = buildCompletionEvent({ ...output, requestIds: slice });
    if (i > 0) event.id = `${output.eventId}-requests-${i + 1}`;
    event.data.requestPage = { page: i + 1, pages, total: ids.length };
    return event;
  });
}

export function buildRejectedEvent(record: RejectedRecord, parsed: unknown): CloudEvent<RejectedData> {
  const fields = readableFields(parsed);
  const data: RejectedData = {
    outcome: 'rejected',
    messageId: record.messageId,
    reason: record.reason,
    rejectedAt: record.rejectedAt,
    publisherId: fields.publisherId ?? null,
    offerId: fields.offerId ?? null,
    requestId: fields.requestId ?? null,
    originalText: record.originalText.slice(0, REJECTED_TEXT_IN_EVENT),
  };
  return {
    specversion: '1.0',
    type: 'golive.rejected',
    source:
      fields.publisherId !== undefined && fields.offerId !== undefined
        ? offerSource(fields.publisherId, fields.offerId)
        : INTAKE_SOURCE,
    id: `golive-rejected-${record.messageId}`,
    time: record.rejectedAt,
    datacontenttype: 'application/json',
    ...(fields.publisherId !== undefined && fields.offerId !== undefined
      ? { subject: offerSubject(fields.publisherId, fields.offerId) }
      : {}),
    data,
  };
}

/** publisherId/offerId/requestId of an invalid message, where they are there and well-formed. */
function readableFields(parsed: unknown): { publisherId?: string; offerId?: string; requestId?: string } {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const result: { publisherId?: string; offerId?: string; requestId?: string } = {};
  const pub = own(parsed, 'publisherId');
  const offer = own(parsed, 'offerId');
  const req = own(parsed, 'requestId');
  if (typeof pub === 'string' && ID_PATTERN.test(pub)) result.publisherId = pub;
  if (typeof offer === 'string' && ID_PATTERN.test(offer)) result.offerId = offer;
  if (typeof req === 'string' && REQUEST_ID_PATTERN.test(req)) result.requestId = req;
  return result;
}
