/**
 * End to end: the BUILT app (`npm run build`; package.json main = dist/src/...) in the local Functions host with
 * its Durable backend, against Azurite (in memory, free ports) and the partner API simulator (free port).
 * Requests go in through the queue (base64, as upstream systems send them) and the HTTP routes; results are read
 * from `golive-events`, `golive-rejected`, the status routes and the simulator's request log.
 *
 * One host for the file (the app reads its settings once per process). The deadline scenario is started first
 * and checked last, so its one-minute deadline overlaps the other scenarios.
 */
import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import type { RunView } from '../../src/golive/run/view';
import type { RunningSimulator } from '../../tools/simulator/types';
import { enqueue, peekAll, type RunningAzurite } from '../support/azurite';
import { waitFor } from '../support/wait';
import { type AnyEvent, type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(180_000);

const REJECTED = 'golive-rejected';
const REQUESTS = 'golive-requests';

let stack: GoLiveStack;
let azurite: RunningAzurite;
let sim: RunningSimulator;
let base: string;

const events = (): Promise<AnyEvent[]> => stack.events();
const completionFor = (publisherId: string, offerId: string, what: string): Promise<CloudEvent<CompletionData>> =>
  stack.completionFor(publisherId, offerId, what);

async function api(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${base}/api/${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const goLivePosts = (publisherId: string, offerId: string) =>
  sim.admin.requests({ method: 'POST', publisherId, offerId, pathIncludes: '/golive' });

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'golivee2e',
    offers: [
      ['e2e', 'ok-offer'],
      ['e2e', 'dup-offer', { durationMs: 6_000 }],
      // Long enough to still be running when the list is read after the first poll.
      ['e2e', 'http-offer', { durationMs: 15_000 }],
      ['e2e', 'cancel-offer', { neverEnds: true }],
      ['e2e', 'deadline-offer', { neverEnds: true }],
      ['e2e', 'failing-offer', { outcome: 'failed', durationMs: 2_000 }],
      ['e2e', 'late-offer', { durationMs: 4_000 }],
      ['e2e', 'batch-offer', { durationMs: 4_000 }],
    ],
    env: { GOLIVE_DEADLINE_MINUTES: '1', GOLIVE_POLLS_PER_HISTORY: '4' },
  });
  ({ azurite, sim, base } = stack);
  // The deadline scenario runs the whole minute in the background; the last test checks it.
  await enqueue(azurite.connectionString, REQUESTS, {
    publisherId: 'e2e',
    offerId: 'deadline-offer',
    requestId: 'deadline-1',
  });
});

afterAll(async () => {
  await stack?.close();
});

describe('go-live workflow end to end', () => {
  it('a queued request goes live: golive.succeeded with the documented fields, one Go Live call', async () => {
    await enqueue(azurite.connectionString, REQUESTS, {
      publisherId: 'e2e',
      offerId: 'ok-offer',
      requestId: 'req-ok-1',
      requestedBy: 'e2e test',
    });
    const event = await completionFor('e2e', 'ok-offer', 'golive.succeeded for e2e/ok-offer');
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'golive.succeeded',
      source: '/publishers/e2e/offers/ok-offer',
      datacontenttype: 'application/json',
      data: {
        publisherId: 'e2e',
        offerId: 'ok-offer',
        api: 'cpp',
        requestIds: ['req-ok-1'],
        outcome: 'succeeded',
        error: null,
      },
    });
    expect(event.id).toBe(`golive-${event.data.runId}`);
    expect(event.data.operationId).toEqual(expect.any(String));
    expect(event.data.pollCount).toBeGreaterThanOrEqual(1);
    expect(event.data.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(event.data.steps.length).toBeGreaterThan(0);
    expect(Date.parse(event.data.completedAt)).toBeGreaterThanOrEqual(Date.parse(event.data.startedAt));
    expect(goLivePosts('e2e', 'ok-offer')).toHaveLength(1);
    // exactly one completion event for the run
    expect((await events()).filter((e) => e.id === event.id)).toHaveLength(1);
    // The event is published just before the orchestration completes: the status has its outcome once it has.
    const status = await waitFor(
      async () => {
        const answer = await api('GET', 'golive/e2e/ok-offer');
        return (answer.body as { outcome?: unknown }).outcome === null ? undefined : answer;
      },
      { what: 'the run to complete' },
    );
    expect(status.body).toMatchObject({ state: 'succeeded', outcome: 'succeeded', runId: event.data.runId });
    expect(JSON.stringify(status.body)).not.toContain('local-dev-token');
  });

  it('an invalid message goes to golive-rejected with a golive.rejected event, and nothing reaches the partner API', async () => {
    // Only the background deadline run talks to the partner API meanwhile.
    const others = () => sim.admin.requests().filter((r) => r.offerId !== 'deadline-offer').length;
    const before = others();
    const messageId = await enqueue(azurite.connectionString, REQUESTS, '{"publisherId":"e2e","offerId":"Bad Offer!"}');
    const rejected = await waitFor(
      async () => {
        const texts = await peekAll(azurite.connectionString, REJECTED);
        return texts.map((t) => JSON.parse(t) as Record<string, unknown>).find((r) => r.messageId === messageId);
      },
      { timeoutMs: 30_000, what: 'the rejected record' },
    );
    expect(rejected).toEqual({
      originalText: '{"publisherId":"e2e","offerId":"Bad Offer!"}',
      reason: expect.stringContaining('offerId'),
      rejectedAt: expect.any(String),
      messageId,
    });
    const event = await waitFor(async () => (await events()).find((e) => e.id === `golive-rejected-${messageId}`), {
      what: 'golive.rejected',
    });
    expect(event).toMatchObject({
      type: 'golive.rejected',
      data: { outcome: 'rejected', messageId, publisherId: 'e2e' },
    });
    expect(others()).toBe(before);
    // not retried into the poison queue
    expect(await peekAll(azurite.connectionString, `${REQUESTS}-poison`)).toEqual([]);
  });

  it('a failing offer ends golive.failed with the partner error body; an unknown offer with the 404 body', async () => {
    await enqueue(azurite.connectionString, REQUESTS, {
      publisherId: 'e2e',
      offerId: 'failing-offer',
      requestId: 'req-f',
    });
    await enqueue(azurite.connectionString, REQUESTS, {
      publisherId: 'e2e',
      offerId: 'no-such-offer',
      requestId: 'req-404',
    });
    const failed = await completionFor('e2e', 'failing-offer', 'golive.failed for e2e/failing-offer');
    expect(failed.type).toBe('golive.failed');
    expect(failed.data.error).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
      body: expect.anything(),
    });
    expect(failed.data.operationId).toEqual(expect.any(String));
    const missing = await completionFor('e2e', 'no-such-offer', 'golive.failed for e2e/no-such-offer');
    expect(missing.type).toBe('golive.failed');
    expect(missing.data.error).toMatchObject({ statusCode: 404, body: expect.anything() });
    expect(missing.data.operationId).toBeNull();
    expect(goLivePosts('e2e', 'no-such-offer')).toHaveLength(0);
  });

  it('a duplicate request while running makes one Go Live call and both request ids are in the event', async () => {
    await enqueue(azurite.connectionString, REQUESTS, { publisherId: 'e2e', offerId: 'dup-offer', requestId: 'dup-1' });
    await waitFor(async () => goLivePosts('e2e', 'dup-offer').length === 1, {
      timeoutMs: 30_000,
      what: 'the Go Live call',
    });
    await enqueue(azurite.connectionString, REQUESTS, {
      publisherId: 'e2e',
      offerId: 'dup-offer',
      requestId: 'dup-2',
      requestedBy: 'second',
    });
    // a redelivered copy of the first request as well
    await enqueue(azurite.connectionString, REQUESTS, { publisherId: 'e2e', offerId: 'dup-offer', requestId: 'dup-1' });
    const event = await completionFor('e2e', 'dup-offer', 'golive.succeeded for e2e/dup-offer');
    expect(event.type).toBe('golive.succeeded');
    expect(event.data.requestIds).toEqual(['dup-1', 'dup-2']);
    expect(goLivePosts('e2e', 'dup-offer')).toHaveLength(1);
  });

  it('a late redelivery of the previous run’s request while the next run goes is accounted for once', async () => {
    const cs = azurite.connectionString;
    const completions = async () =>
      (await events()).filter(
        (e): e is CloudEvent<CompletionData> =>
          e.type !== 'golive.rejected' && e.source === '/publishers/e2e/offers/late-offer',
      );
    await enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'late-offer', requestId: 'late-1' });
    await waitFor(async () => (await completions()).length === 1, { timeoutMs: 90_000, what: 'the first run' });
    await enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'late-offer', requestId: 'late-2' });
    await waitFor(async () => goLivePosts('e2e', 'late-offer').length === 2, {
      timeoutMs: 30_000,
      what: 'the second run’s Go Live call',
    });
    // the first run's message again, while the second run goes
    await enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'late-offer', requestId: 'late-1' });
    const all = await waitFor(async () => ((await completions()).length === 2 ? completions() : undefined), {
      timeoutMs: 90_000,
      what: 'the second run',
    });
    expect(all.map((e) => e.data.requestIds)).toEqual([['late-1'], ['late-2']]);
    expect(goLivePosts('e2e', 'late-offer')).toHaveLength(2);
  });

  it('requests for an offer in one batch (two ids, and two copies of one) make one run and one Go Live call', async () => {
    const cs = azurite.connectionString;
    await Promise.all([
      enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'batch-offer', requestId: 'batch-1' }),
      enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'batch-offer', requestId: 'batch-2' }),
      enqueue(cs, REQUESTS, { publisherId: 'e2e', offerId: 'batch-offer', requestId: 'batch-1' }),
    ]);
    const event = await completionFor('e2e', 'batch-offer', 'golive.succeeded for e2e/batch-offer');
    expect(event.type).toBe('golive.succeeded');
    expect([...event.data.requestIds].sort()).toEqual(['batch-1', 'batch-2']);
    expect(goLivePosts('e2e', 'batch-offer')).toHaveLength(1);
  });

  it('POST route answers 202 with the status URL; GET shows progress and the list shows the run', async () => {
    const posted = await api('POST', 'golive/e2e/http-offer', { requestedBy: 'alice' });
    expect(posted.status).toBe(202);
    const body = posted.body as { requestId: string; statusUrl: string };
    expect(posted.headers.get('location')).toBe(`${base}/api/golive/e2e/http-offer`);
    expect(body.statusUrl).toBe(`${base}/api/golive/e2e/http-offer`);
    const polling = await waitFor(
      async () => {
        const r = await api('GET', 'golive/e2e/http-offer');
        const view = r.body as RunView;
        return r.status === 200 && view.state === 'polling' && view.pollCount >= 1 ? view : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the run to show progress' },
    );
    expect(polling).toMatchObject({ active: true, requestIds: [body.requestId], operationStatus: expect.any(String) });
    expect(polling.nextCheckAt).toEqual(expect.any(String));
    expect(polling.steps.length).toBeGreaterThan(0);
    const list = await api('GET', 'golive?state=running');
    expect((list.body as { runs: RunView[] }).runs.map((r) => r.offerId)).toContain('http-offer');
    const event = await completionFor('e2e', 'http-offer', 'golive.succeeded for e2e/http-offer');
    expect(event.data.requestIds).toEqual([body.requestId]);
    expect((await api('GET', 'golive?state=succeeded')).body).toMatchObject({
      runs: expect.arrayContaining([expect.objectContaining({ offerId: 'http-offer' })]),
    });
    expect((await api('GET', 'golive/e2e/never-ran')).status).toBe(404);
    expect((await api('POST', 'golive/E2E/x')).status).toBe(400);
  });

  it('cancel ends the run canceled and cancels the partner operation', async () => {
    await enqueue(azurite.connectionString, REQUESTS, {
      publisherId: 'e2e',
      offerId: 'cancel-offer',
      requestId: 'c-1',
    });
    await waitFor(
      async () => ((await api('GET', 'golive/e2e/cancel-offer')).body as RunView | undefined)?.state === 'polling',
      { timeoutMs: 30_000, what: 'the run to poll' },
    );
    const canceled = await api('POST', 'golive/e2e/cancel-offer/cancel', { requestedBy: 'ops' });
    expect(canceled.status).toBe(202);
    const event = await completionFor('e2e', 'cancel-offer', 'golive.canceled for e2e/cancel-offer');
    expect(event.type).toBe('golive.canceled');
    const cancels = sim.admin
      .requests({ method: 'POST', offerId: 'cancel-offer' })
      .filter((r) => r.path.endsWith('/cancel'));
    expect(cancels).toHaveLength(1);
    expect(goLivePosts('e2e', 'cancel-offer')).toHaveLength(1);
    const again = await api('POST', 'golive/e2e/cancel-offer/cancel');
    expect(again.status).toBe(409);
  });

  it('a run past its deadline ends golive.timedOut and leaves the operation running', async () => {
    const event = await completionFor('e2e', 'deadline-offer', 'golive.timedOut for e2e/deadline-offer');
    expect(event.type).toBe('golive.timedOut');
    expect(event.data.error).toMatchObject({ code: 'DeadlineExceeded' });
    expect(event.data.operationId).toEqual(expect.any(String));
    expect(sim.admin.requests({ offerId: 'deadline-offer' }).filter((r) => r.path.endsWith('/cancel'))).toHaveLength(0);
    // continueAsNew every 4 polls kept one run: one Go Live call, polls counted across generations
    expect(goLivePosts('e2e', 'deadline-offer')).toHaveLength(1);
    expect(event.data.pollCount).toBeGreaterThan(4);
  });
});
