/**
 * The scheduled go-lives end to end: the BUILT app's timer trigger (every 2 s here) enqueues one request per
 * configured offer onto `golive-requests`; the intake starts (or joins) each offer's run. Local host + Durable
 * backend, Azurite, simulator.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { RunView } from '../../src/golive/run/view';
import { createDurableExtension } from '../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../tools/host/host';
import { startSimulator } from '../../tools/simulator';
import type { RunningSimulator } from '../../tools/simulator/types';
import { type RunningAzurite, startAzurite } from '../support/azurite';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

const APP_DIR = path.resolve(__dirname, '../..');
let azurite: RunningAzurite;
let sim: RunningSimulator;
let host: FunctionsHost;

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  azurite = await startAzurite({ inMemory: true });
  sim = await startSimulator({ defaults: { durationMs: 60_000 } });
  sim.admin.addOffer('sched', 'offer-a');
  sim.admin.addOffer('sched', 'offer-b');
  host = await startHost({
    appDir: APP_DIR,
    port: 0,
    extensions: [createDurableExtension({ hubName: 'goliveschedule' })],
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      PARTNER_API_BASE_URL: sim.url,
      PARTNER_API_TOKEN: 'local-dev-token',
      GOLIVE_POLL_INTERVAL_SECONDS: '1',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '2',
      GOLIVE_SCHEDULE: '*/2 * * * * *',
      GOLIVE_SCHEDULED_OFFERS: 'sched/offer-a, sched/offer-b',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    },
    hostJson: { extensions: { queues: { maxPollingInterval: '00:00:00.250' } } },
    logLevel: 'warning',
    logSink: () => undefined,
  });
});

afterAll(async () => {
  await host?.stop();
  await sim?.close();
  await azurite?.close();
});

async function run(offerId: string): Promise<RunView | undefined> {
  const res = await fetch(`${host.baseUrl}/api/golive/sched/${offerId}`);
  return res.status === 200 ? ((await res.json()) as RunView) : undefined;
}

describe('scheduled go-lives end to end', () => {
  it('each firing requests every configured offer; later firings join the running run, one Go Live per offer', async () => {
    for (const offerId of ['offer-a', 'offer-b']) {
      const view = await waitFor(
        async () => {
          const v = await run(offerId);
          return v && v.requestIds.length >= 2 ? v : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `two scheduled requests on sched/${offerId}` },
      );
      expect(view.active).toBe(true);
      expect(view.requests.every((r) => r.requestedBy === 'schedule')).toBe(true);
      for (const id of view.requestIds) expect(id).toMatch(new RegExp(`^schedule-\\d{8}T\\d{6}Z-sched-${offerId}$`));
      expect(new Set(view.requestIds).size).toBe(view.requestIds.length);
      const posts = sim.admin
        .requests({ method: 'POST', publisherId: 'sched', offerId })
        .filter((r) => r.path.endsWith('/golive'));
      expect(posts).toHaveLength(1);
    }
  });
});
