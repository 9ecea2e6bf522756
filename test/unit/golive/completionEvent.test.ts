import { withTraceContext } from '../../../src/events/cloudEvent';
import { COMPLETION_EVENT_TYPES } from '../../../src/events/names';
import {
  buildCompletionEvent,
  buildCompletionEvents,
  buildRejectedEvent,
  REQUEST_IDS_PER_EVENT,
} from '../../../src/golive/completionEvent';
import { rejectedRecord } from '../../../src/golive/request';
import type { RunOutput } from '../../../src/golive/run/record';

const output: RunOutput = {
  runId: '0b0e7c1a-1111-5222-8333-444455556666',
  runNumber: 2,
  target: { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-app' },
  outcome: 'failed',
  operationId: 'op-1',
  operationStatus: 'failed',
  steps: [{ name: 'Certification', status: 'blocked', progress: 30 }],
  pollCount: 5,
  requests: [{ requestId: 'req-1', receivedAt: '2026-01-01T00:00:00.000Z' }],
  requestIds: ['req-1', 'req-2'],
  startedAt: '2026-01-01T00:00:00.000Z',
  acceptedAt: '2026-01-01T00:00:05.000Z',
  completedAt: '2026-01-01T01:00:00.000Z',
  durationSeconds: 3600,
  error: { code: 'BadRequest', message: 'not ready', statusCode: 400, body: { error: { code: 'x', message: 'y' } } },
  warnings: [],
  eventId: 'golive-0b0e7c1a-1111-5222-8333-444455556666',
  previousRuns: [],
};

describe('buildCompletionEvent', () => {
  it('is a CloudEvents 1.0 structured event with the documented data', () => {
    const event = buildCompletionEvent(output);
    expect(event).toEqual({
      specversion: '1.0',
      type: 'golive.failed',
      source: '/publishers/contoso/offers/contoso-app',
      id: output.eventId,
      time: output.completedAt,
      datacontenttype: 'application/json',
      subject: 'publishers/contoso/offers/contoso-app',
      data: {
        publisherId: 'contoso',
        offerId: 'contoso-app',
        api: 'cpp',
        requestIds: ['req-1', 'req-2'],
        runId: output.runId,
        operationId: 'op-1',
        operationStatus: 'failed',
        outcome: 'failed',
        startedAt: output.startedAt,
        acceptedAt: '2026-01-01T00:00:05.000Z',
        completedAt: output.completedAt,
        durationSeconds: 3600,
        pollCount: 5,
        steps: output.steps,
        error: output.error,
        warnings: [],
      },
    });
    expect(COMPLETION_EVENT_TYPES).toContain(event.type);
  });

  it('says alreadyLive: true only when the offer was already live and nothing was sent', () => {
    const live: RunOutput = { ...output, outcome: 'succeeded', alreadyLive: true, pollCount: 0 };
    delete live.error;
    expect(buildCompletionEvent(live)).toMatchObject({ type: 'golive.succeeded', data: { alreadyLive: true } });
    expect('alreadyLive' in buildCompletionEvent(output).data).toBe(false);
  });

  it('is the same event (same id and time) when built again on replay or redelivery', () => {
    expect(JSON.stringify(buildCompletionEvent(structuredClone(output)))).toBe(
      JSON.stringify(buildCompletionEvent(output)),
    );
  });

  it('has a distinct id per run and null error/operation where there is none', () => {
    const other = {
      ...output,
      runId: 'r2',
      eventId: 'golive-r2',
      outcome: 'succeeded' as const,
      error: undefined,
      operationId: undefined,
    };
    const event = buildCompletionEvent(other);
    expect(event.id).not.toBe(buildCompletionEvent(output).id);
    expect(event.type).toBe('golive.succeeded');
    expect(event.data.error).toBeNull();
    expect(event.data.operationId).toBeNull();
    for (const outcome of ['canceled', 'timedOut'] as const) {
      expect(buildCompletionEvent({ ...output, outcome }).type).toBe(`golive.${outcome}`);
    }
  });
});

describe('buildRejectedEvent', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('names the offer in its source when the message had valid ids', () => {
    const text = '{"publisherId":"contoso","offerId":"app","requestedBy":""}';
    const event = buildRejectedEvent(
      rejectedRecord(text, 'requestedBy must not be empty', 'msg-1', now),
      JSON.parse(text),
    );
    expect(event).toEqual({
      specversion: '1.0',
      type: 'golive.rejected',
      source: '/publishers/contoso/offers/app',
      id: 'golive-rejected-msg-1',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
      subject: 'publishers/contoso/offers/app',
      data: {
        outcome: 'rejected',
        messageId: 'msg-1',
        reason: 'requestedBy must not be empty',
        rejectedAt: '2026-01-01T00:00:00.000Z',
        publisherId: 'contoso',
        offerId: 'app',
        requestId: null,
        originalText: text,
      },
    });
  });

  it('uses the intake source when the ids are missing or invalid, and never reads inherited keys', () => {
    const event = buildRejectedEvent(rejectedRecord('not json', 'message is not valid JSON', 'm2', now), undefined);
    expect(event.source).toBe('/golive/requests');
    const polluted = JSON.parse('{"__proto__":{"publisherId":"contoso","offerId":"a"}}') as unknown;
    expect(buildRejectedEvent(rejectedRecord('x', 'r', 'm3', now), polluted).source).toBe('/golive/requests');
    const bad = buildRejectedEvent(rejectedRecord('x', 'r', 'm4', now), { publisherId: 'A/B', offerId: 'x' });
    expect(bad.data.publisherId).toBeNull();
  });
});

describe('buildCompletionEvents (request ids paged)', () => {
  it('is the one event, without a page, while the ids fit one event', () => {
    expect(buildCompletionEvents(output)).toEqual([buildCompletionEvent(output)]);
    expect(buildCompletionEvents(output)[0]?.data.requestPage).toBeUndefined();
  });

  it('lists every request id of a run with 250 requests in exactly one of 3 events, the first with the stable id', () => {
    const ids = Array.from({ length: 250 }, (_, i) => `req-${i + 1}`);
    const events = buildCompletionEvents({ ...output, requestIds: ids });
    expect(events.map((e) => e.id)).toEqual([
      output.eventId,
      `${output.eventId}-requests-2`,
      `${output.eventId}-requests-3`,
    ]);
    expect(events.map((e) => e.data.requestIds.length)).toEqual([REQUEST_IDS_PER_EVENT, REQUEST_IDS_PER_EVENT, 50]);
    expect(events.flatMap((e) => e.data.requestIds)).toEqual(ids);
    expect(events.map((e) => e.data.requestPage)).toEqual([
      { page: 1, pages: 3, total: 250 },
      { page: 2, pages: 3, total: 250 },
      { page: 3, pages: 3, total: 250 },
    ]);
    for (const e of events) {
      expect(e.type).toBe('golive.failed');
      expect(e.data.runId).toBe(output.runId);
    }
    // A queue message is at most 64 KB and base64 adds a third: a page of the longest ids stays under it.
    const longest = Array.from({ length: 250 }, (_, i) => `${'r'.repeat(120)}-${String(i).padStart(6, '0')}`);
    for (const e of buildCompletionEvents({ ...output, requestIds: longest })) {
      expect(Buffer.from(JSON.stringify(e)).toString('base64').length).toBeLessThan(64 * 1024);
    }
  });
});

describe('withTraceContext (CloudEvents distributed tracing extension)', () => {
  const event = buildCompletionEvent(output);
  const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it("adds the invocation's traceparent and tracestate", () => {
    const traced = withTraceContext(event, { traceParent, traceState: 'congo=t61rcWkgMzE' });
    expect(traced).toEqual({ ...event, traceparent: traceParent, tracestate: 'congo=t61rcWkgMzE' });
    expect(JSON.parse(JSON.stringify(traced))).toMatchObject({ specversion: '1.0', traceparent: traceParent });
  });

  it('leaves the event as it is without a W3C trace context', () => {
    expect(withTraceContext(event, undefined)).toBe(event);
    expect(withTraceContext(event, { traceParent: '' })).toBe(event);
    expect(withTraceContext(event, { traceParent: 'not-a-trace' })).toBe(event);
    expect(withTraceContext(event, { traceParent: traceParent.replace(/^00/, 'ff') })).toBe(event);
    expect(withTraceContext(event, { traceParent, traceState: '' })).toEqual({ ...event, traceparent: traceParent });
  });
});
