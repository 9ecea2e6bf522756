/**
 * A host restart in the middle of a run: the BUILT app in the local host with its Durable backend on Azurite is
 * stopped while the run polls, a duplicate request is queued while no host runs, and a new host on the same
 * storage carries on. The run resumes from storage: one Go Live call, both request ids, one completion event.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import type { RunView } from '../../src/golive/run/view';
import { createDurableExtension } from '../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../tools/host/host';
import { startSimulator } from '../../tools/simulator';
import type { RunningSimulator } from '../../tools/simulator/types';
import { enqueue, peekAll, type RunningAzurite, startAzurite } from '../support/azurite';
import { RESTART_HOST_JSON } from '../support/hostProcess';
import { waitFor } from '../support/wait';

jest.setTimeout(150_000);

const APP_DIR = path.resolve(__dirname, '../..');
let azurite: RunningAzurite;
let sim: RunningSimulator;
let host: FunctionsHost | undefined;

async function start(): Promise<FunctionsHost> {
  return startHost({
    appDir: APP_DIR,
    port: 0,
    extensions: [createDurableExtension({ hubName: 'goliverestart' })],
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      PARTNER_API_BASE_URL: sim.url,
      PARTNER_API_TOKEN: 'local-dev-token',
      GOLIVE_POLL_INTERVAL_SECONDS: '1',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '2',
      GOLIVE_POLLS_PER_HISTORY: '3',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    },
    hostJson: RESTART_HOST_JSON,
    logLevel: 'warning',
    logSink: () => undefined,
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  azurite = await startAzurite({ inMemory: true });
  sim = await startSimulator({ defaults: { durationMs: 10_000 } });
  sim.admin.addOffer('restart', 'offer');
});

afterAll(async () => {
  await host?.stop();
  await sim?.close();
  await azurite?.close();
});

describe('go-live across a host restart', () => {
  it('resumes the run from storage: one Go Live call, the request queued while down joins, one completion event', async () => {
    host = await start();
    const first = host;
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: 'restart',
      offerId: 'offer',
      requestId: 'before-restart',
    });
    await waitFor(
      async () => {
        const res = await fetch(`${first.baseUrl}/api/golive/restart/offer`);
        const view = res.status === 200 ? ((await res.json()) as RunView) : undefined;
        return view?.state === 'polling' && view.pollCount >= 1;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the run to poll' },
    );
    await first.stop();
    host = undefined;

    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: 'restart',
      offerId: 'offer',
      requestId: 'while-down',
    });
    host = await start();

    const event = await waitFor(
      async () => {
        const texts = await peekAll(azurite.connectionString, 'golive-events');
        return texts
          .map((t) => JSON.parse(t) as CloudEvent<CompletionData>)
          .find((e) => e.source === '/publishers/restart/offers/offer');
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the completion event' },
    );
    expect(event.type).toBe('golive.succeeded');
    expect(event.data.requestIds).toEqual(['before-restart', 'while-down']);
    const posts = sim.admin
      .requests({ method: 'POST', publisherId: 'restart', offerId: 'offer' })
      .filter((r) => r.path.endsWith('/golive'));
    expect(posts).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_000));
    const all = (await peekAll(azurite.connectionString, 'golive-events')).map((t) => JSON.parse(t) as { id: string });
    expect(all.filter((e) => e.id === event.id)).toHaveLength(1);
  });
});
