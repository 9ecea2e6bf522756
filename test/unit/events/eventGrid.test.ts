/**
 * The Event Grid publisher against the local Event Grid endpoint (tools/eventgrid): real HTTPS with the endpoint's
 * self-signed certificate trusted through the dispatcher, real checks, scripted answers.
 */
import { readFileSync } from 'node:fs';

import { Agent } from 'undici';

import {
  type AnyCloudEvent,
  batchesOf,
  EVENTGRID_BATCH_CONTENT_TYPE,
  EventGridPublisher,
  failureOf,
} from '../../../src/events/eventGrid';
import { StaticTokenCredential } from '../../../src/partner/credential';
import { type RunningEventGridEndpoint, startEventGridEndpoint } from '../../../tools/eventgrid';

let endpoint: RunningEventGridEndpoint;
let agent: Agent;

const event = (id: string, data: unknown = { n: id }): AnyCloudEvent => ({
  specversion: '1.0',
  type: 'golive.succeeded',
  source: '/publishers/p/offers/o',
  subject: 'publishers/p/offers/o',
  id,
  time: '2026-01-01T00:00:00.000Z',
  datacontenttype: 'application/json',
  data,
});

const publisher = (token = endpoint.token, options: { maxBatchBytes?: number; timeoutMs?: number } = {}) =>
  new EventGridPublisher(endpoint.url, new StaticTokenCredential(token), { dispatcher: agent, ...options });

beforeAll(async () => {
  endpoint = await startEventGridEndpoint();
  agent = new Agent({ connect: { ca: readFileSync(endpoint.caPath) } });
});
afterAll(async () => {
  await agent.close();
  await endpoint.close();
});
beforeEach(() => endpoint.reset());

describe('EventGridPublisher', () => {
  it('publishes a batch as application/cloudevents-batch+json with the bearer token; the topic takes it', async () => {
    const result = await publisher().publish([event('a'), event('b')]);
    expect(result).toEqual({ kind: 'published', count: 2, batches: 1 });
    expect(endpoint.requests()).toEqual([
      expect.objectContaining({ answer: 200, contentType: EVENTGRID_BATCH_CONTENT_TYPE, eventIds: ['a', 'b'] }),
    ]);
    expect(endpoint.accepted().map((e) => e.id)).toEqual(['a', 'b']);
  });

  it.each([
    [429, 'EventGridThrottled', true, false],
    [500, 'EventGridUnavailable', true, false],
    [403, 'EventGridForbidden', true, true],
    [400, 'EventGridBadRequest', false, false],
    [413, 'EventGridPayloadTooLarge', false, false],
  ] as const)(
    'a scripted %i is %s (retryable %s, auth %s) with the error body',
    async (status, code, retryable, auth) => {
      endpoint.script(status);
      const result = await publisher().publish([event('x')]);
      expect(result).toMatchObject({
        kind: 'failed',
        published: 0,
        error: { code, statusCode: status, retryable, auth, body: { error: { code: expect.any(String) } } },
      });
      if (status === 429) expect(result.kind === 'failed' && result.error.retryAfterSeconds).toBe(1);
      expect(endpoint.accepted()).toEqual([]);
    },
  );

  it('a wrong token is 401 EventGridUnauthorized (auth, retryable) and the token is nowhere in the result', async () => {
    const result = await publisher('not-the-token-secret-value').publish([event('x')]);
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'EventGridUnauthorized', statusCode: 401, auth: true },
    });
    expect(JSON.stringify(result)).not.toContain('not-the-token-secret-value');
  });

  it('a dropped connection is EventGridConnectionFailed, retryable; nothing taken', async () => {
    endpoint.script('drop');
    const result = await publisher().publish([event('x')]);
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'EventGridConnectionFailed', retryable: true } });
    expect(endpoint.requests()[0]!.answer).toBe('drop');
  });

  it('no answer in time is EventGridTimeout', async () => {
    endpoint.setLatency(1_500);
    try {
      const result = await publisher(endpoint.token, { timeoutMs: 300 }).publish([event('x')]);
      expect(result).toMatchObject({ kind: 'failed', error: { code: 'EventGridTimeout', retryable: true } });
    } finally {
      endpoint.setLatency(0);
    }
  });

  it('splits over 1 MB into ordered batches and reports how many were taken before a refused one', async () => {
    const big = 'x'.repeat(400_000);
    const events = ['1', '2', '3', '4'].map((id) => event(id, { big }));
    endpoint.script('ok', 500);
    const result = await publisher().publish(events);
    // 2 events (~800 KB) fit one batch; the second batch is refused
    expect(result).toMatchObject({ kind: 'failed', published: 2, error: { code: 'EventGridUnavailable' } });
    expect(endpoint.requests().map((r) => r.eventIds)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    const again = await publisher().publish(events.slice(2));
    expect(again).toEqual({ kind: 'published', count: 2, batches: 1 });
    expect([...endpoint.copiesById().values()]).toEqual([1, 1, 1, 1]);
  });

  it('the endpoint refuses a batch over 1 MB with 413 and an event missing a required attribute with 400', async () => {
    const tooBig = await publisher(endpoint.token, { maxBatchBytes: 4_000_000 }).publish([
      event('a', { big: 'x'.repeat(700_000) }),
      event('b', { big: 'x'.repeat(700_000) }),
    ]);
    expect(tooBig).toMatchObject({ kind: 'failed', error: { code: 'EventGridPayloadTooLarge', statusCode: 413 } });
    const { source: _source, ...noSource } = event('c') as unknown as Record<string, unknown>;
    const bad = await publisher().publish([noSource as unknown as AnyCloudEvent]);
    expect(bad).toMatchObject({
      kind: 'failed',
      error: { code: 'EventGridBadRequest', body: { error: { message: expect.stringContaining('"source"') } } },
    });
  });
});

describe('batchesOf and failureOf', () => {
  it('keeps order and puts an event over the limit alone', () => {
    expect(batchesOf([1, 2, 3, 4, 5], 6)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batchesOf(['x'.repeat(50), 'y'], 10)).toEqual([['x'.repeat(50)], ['y']]);
  });

  it('quotes Event Grid error message and never retries a 404', () => {
    const f = failureOf(404, { error: { code: 'NotFound', message: 'no such topic' } });
    expect(f).toMatchObject({ code: 'EventGridNotFound', retryable: false });
    expect(f.message).toContain('no such topic');
  });
});
