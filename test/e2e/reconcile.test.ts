/**
 * End to end: a run terminated through the Durable API (an operator's terminate) still ends in exactly one
 * completion event: `golive.failed` with code `RunTerminated`, the reason and the run's requests, under the run's
 * stable event id; published by the reconciler (timer trigger, every 2 s here) or, when a new request for the offer
 * comes first, by the starter before it starts the next run. The built app in the local host, Azurite, simulator.
 */
import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import { enqueue } from '../support/azurite';
import { waitFor } from '../support/wait';
import { type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(180_000);

const REQUESTS = 'golive-requests';
let stack: GoLiveStack;

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'golivereconcile',
    offers: [
      ['rec', 'terminated-offer', { neverEnds: true }],
      ['rec', 'again-offer', { durationMs: 60_000 }],
    ],
    env: { GOLIVE_RECONCILE_SCHEDULE: '*/2 * * * * *' },
  });
});

afterAll(async () => {
  await stack?.close();
});

async function statusOf(offerId: string): Promise<{ runId?: string; state?: string; runtimeStatus?: string }> {
  const res = await fetch(`${stack.base}/api/golive/rec/${offerId}`);
  return res.status === 200 ? ((await res.json()) as { runId?: string; state?: string }) : {};
}

async function terminate(offerId: string, reason: string): Promise<number> {
  const id = encodeURIComponent(`golive:rec:${offerId}`);
  const res = await fetch(
    `${stack.base}/runtime/webhooks/durabletask/instances/${id}/terminate?reason=${encodeURIComponent(reason)}`,
    { method: 'POST' },
  );
  return res.status;
}

async function completions(offerId: string): Promise<CloudEvent<CompletionData>[]> {
  return (await stack.events()).filter(
    (e): e is CloudEvent<CompletionData> =>
      e.type !== 'golive.rejected' && e.source === `/publishers/rec/offers/${offerId}`,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('terminated runs', () => {
  it('the reconciler publishes golive.failed RunTerminated with the reason and the requests, once', async () => {
    await enqueue(stack.azurite.connectionString, REQUESTS, {
      publisherId: 'rec',
      offerId: 'terminated-offer',
      requestId: 'term-1',
    });
    const polling = await waitFor(
      async () => {
        const s = await statusOf('terminated-offer');
        return s.state === 'polling' ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'the run to poll' },
    );
    expect(await terminate('terminated-offer', 'operator: stuck offer')).toBe(202);

    const [event] = await waitFor(
      async () => {
        const list = await completions('terminated-offer');
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 60_000, what: 'the terminated run event' },
    );
    expect(event).toMatchObject({
      type: 'golive.failed',
      id: `golive-${polling.runId ?? ''}`,
      subject: 'publishers/rec/offers/terminated-offer',
      data: {
        runId: polling.runId,
        outcome: 'failed',
        requestIds: ['term-1'],
        error: { code: 'RunTerminated', message: expect.stringContaining('operator: stuck offer') },
      },
    });
    // Several reconciler passes later: still that one event.
    await sleep(6_000);
    expect((await completions('terminated-offer')).map((e) => e.id)).toEqual([event!.id]);
    // The instance is now a finished run with that record.
    expect(await statusOf('terminated-offer')).toMatchObject({ runId: polling.runId, state: 'failed' });
  });

  it('a new request right after the terminate: the terminated run gets its one event, then the next run starts', async () => {
    await enqueue(stack.azurite.connectionString, REQUESTS, {
      publisherId: 'rec',
      offerId: 'again-offer',
      requestId: 'again-1',
    });
    const first = await waitFor(
      async () => {
        const s = await statusOf('again-offer');
        return s.state === 'polling' ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'the first run to poll' },
    );
    expect(await terminate('again-offer', 'operator: wrong offer')).toBe(202);
    await enqueue(stack.azurite.connectionString, REQUESTS, {
      publisherId: 'rec',
      offerId: 'again-offer',
      requestId: 'again-2',
    });

    const second = await waitFor(
      async () => {
        const s = await statusOf('again-offer');
        return s.runId !== undefined && s.runId !== first.runId && s.state === 'polling' ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'the next run to start' },
    );
    const terminatedEvents = await waitFor(
      async () => {
        const list = (await completions('again-offer')).filter((e) => e.data.runId === first.runId);
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 30_000, what: 'the terminated run event' },
    );
    await sleep(5_000);
    const all = await completions('again-offer');
    expect(all.filter((e) => e.data.runId === first.runId).map((e) => e.id)).toEqual([`golive-${first.runId ?? ''}`]);
    expect(terminatedEvents[0]!.data).toMatchObject({ requestIds: ['again-1'], error: { code: 'RunTerminated' } });
    // again-2 belongs to the next run only.
    expect(all.some((e) => e.data.requestIds.includes('again-2'))).toBe(false);
    expect(second.runId).not.toBe(first.runId);
  });
});
