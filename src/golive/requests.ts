import { REQUEST_ID_PATTERN, REQUESTED_BY_MAX } from './request';
import type { RunJoin, RunRequest } from './types';

/**
 * Most requests a run records. The custom status shows only the newest (it is limited to 16 KB); the output lists
 * them all and the completion event pages them (`REQUEST_IDS_PER_EVENT`). A join beyond this is not taken: the
 * starter leaves its message on the queue, so it joins or starts a later run.
 */
export const MAX_RUN_REQUESTS = 1_000;

/** Whether an event payload is a joined request (`requestJoined` data comes from our own starter, but is checked). */
export function isValidJoin(value: unknown): value is RunJoin {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.requestId === 'string' &&
    REQUEST_ID_PATTERN.test(v.requestId) &&
    typeof v.receivedAt === 'string' &&
    (v.runId === undefined || typeof v.runId === 'string') &&
    (v.requestedBy === undefined || (typeof v.requestedBy === 'string' && v.requestedBy.length <= REQUESTED_BY_MAX))
  );
}

/** Adds a request to the run's list unless it is already there (redelivery) or the list is full. */
export function mergeRequest(requests: RunRequest[], request: RunRequest): boolean {
  if (requests.some((r) => r.requestId === request.requestId)) return false;
  if (requests.length >= MAX_RUN_REQUESTS) return false;
  const entry: RunRequest = { requestId: request.requestId, receivedAt: request.receivedAt };
  if (request.requestedBy !== undefined) entry.requestedBy = request.requestedBy;
  requests.push(entry);
  return true;
}
