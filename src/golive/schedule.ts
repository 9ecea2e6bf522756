/**
 * The scheduled go-lives: one request per configured offer per schedule occurrence. The request id is derived from
 * the occurrence, so a re-fired occurrence (host restart, past-due catch-up) enqueues the same ids and the intake
 * treats the copies as redeliveries rather than new requests.
 */

export interface ScheduleTimer {
  isPastDue?: boolean;
  scheduleStatus?: { last?: string; next?: string; lastUpdated?: string } | null;
}

/** How far the recorded occurrence may lie from now and still be taken as the one firing. */
const OCCURRENCE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

/**
 * The occurrence this firing stands for: the schedule monitor's `next` (the expected occurrence, which is the one
 * firing, or the missed one when past due) when it is near now; else now, to the second.
 */
export function scheduledOccurrence(timer: ScheduleTimer, now: Date): Date {
  const next = timer.scheduleStatus?.next;
  if (next) {
    const at = Date.parse(next);
    if (!Number.isNaN(at) && at <= now.getTime() + 60_000 && now.getTime() - at <= OCCURRENCE_TOLERANCE_MS) {
      return new Date(Math.floor(at / 1000) * 1000);
    }
  }
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/** `schedule-20260101T060000Z` for the occurrence 2026-01-01T06:00:00Z. */
export function scheduledRequestId(occurrence: Date): string {
  return `schedule-${occurrence
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** The queue messages (JSON text) of one firing. */
export function scheduledRequests(
  offers: readonly { publisherId: string; offerId: string }[],
  timer: ScheduleTimer,
  now: Date,
): string[] {
  const requestId = scheduledRequestId(scheduledOccurrence(timer, now));
  return offers.map((o) =>
    JSON.stringify({
      publisherId: o.publisherId,
      offerId: o.offerId,
      requestId: `${requestId}-${o.publisherId}-${o.offerId}`.slice(0, 128),
      requestedBy: 'schedule',
    }),
  );
}
