import type { EventType } from './names';

/**
 * The CloudEvents 1.0 envelope every event of the app has (structured JSON), the offer's source and subject, and
 * the W3C trace context a published event carries. What goes in `data` is the run's (src/golive/completionEvent.ts,
 * src/golive/progressEvent.ts).
 */

export interface CloudEvent<T> {
  specversion: '1.0';
  type: EventType;
  source: string;
  id: string;
  time: string;
  datacontenttype: 'application/json';
  subject?: string;
  /**
   * W3C trace context of the invocation that published the event (CloudEvents distributed tracing extension), so a
   * subscriber's work joins the go-live's trace in Application Insights.
   */
  traceparent?: string;
  tracestate?: string;
  data: T;
}

export function offerSource(publisherId: string, offerId: string): string {
  return `/publishers/${publisherId}/offers/${offerId}`;
}

/** The subject of every event about an offer (Event Grid subscriptions filter on it: `subjectBeginsWith`). */
export function offerSubject(publisherId: string, offerId: string): string {
  return `publishers/${publisherId}/offers/${offerId}`;
}

/** An event about an offer: the envelope with the offer's source and subject around `data`. */
export function offerEvent<T>(
  type: EventType,
  offer: { publisherId: string; offerId: string },
  id: string,
  time: string,
  data: T,
): CloudEvent<T> {
  return {
    specversion: '1.0',
    type,
    source: offerSource(offer.publisherId, offer.offerId),
    id,
    time,
    datacontenttype: 'application/json',
    subject: offerSubject(offer.publisherId, offer.offerId),
    data,
  };
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The event with the invocation's W3C trace context as CloudEvents distributed tracing extension attributes
 * (`traceparent`, `tracestate`); unchanged when the host passed none or one that is not W3C.
 */
export function withTraceContext<E extends CloudEvent<unknown>>(
  event: E,
  traceContext: { traceParent?: string | null; traceState?: string | null } | undefined,
): E {
  const traceparent = traceContext?.traceParent?.trim().toLowerCase();
  if (!traceparent || !TRACEPARENT.test(traceparent) || traceparent.startsWith('ff')) return event;
  const tracestate = traceContext?.traceState?.trim();
  return { ...event, traceparent, ...(tracestate ? { tracestate: tracestate.slice(0, 512) } : {}) };
}
