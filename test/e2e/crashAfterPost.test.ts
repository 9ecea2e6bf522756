/**
 * End to end with a host that dies: the BUILT app in the local Functions host (Durable backend on Azurite) in a
 * child process, killed with SIGKILL right after its Go Live POST reached the partner API and before the activity's
 * result was stored. While it is down the go-live finishes; the restarted host runs the activity again, and its
 * attach lookup finds the go-live created since the run started (finished, not only running), so nothing is posted
 * twice. Also here: a CPP offer not waiting for the publisher's sign-off ends `NotReadyForGoLive` without a POST.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import { type RunningSimulator, startSimulator, submissionIdsFor } from '../../tools/simulator';
import { enqueue, peekAll, type RunningAzurite, startAzurite } from '../support/azurite';
import { type HostChild, RESTART_HOST_JSON, spawnHostChild, testAppSettings } from '../support/hostProcess';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const APP_DIR = path.resolve(__dirname, '../..');
const V = '2022-03-01-preview2';
const PUB = 'crash';
/** Each answer about an offer waits this long before it is handled: the window in which the host is killed. */
const LATENCY_MS = 1_500;

let azurite: RunningAzurite;
let sim: RunningSimulator;
let child: HostChild | undefined;

async function startChild(): Promise<string> {
  child = await spawnHostChild({
    hub: 'golivecrash',
    settings: testAppSettings(azurite.connectionString, sim.url, {
      PRODUCT_INGESTION_BASE_URL: `${sim.url}/rp/product-ingestion`,
      PRODUCT_INGESTION_TOKEN: 'local-dev-token',
      PRODUCT_INGESTION_SCHEMA_VERSION: V,
      GOLIVE_DEADLINE_MINUTES: '3',
    }),
    // An activity the dead host had taken is offered again after 3 s, not the default 5 min.
    hostJson: RESTART_HOST_JSON,
  });
  return child.base;
}

async function killChild(): Promise<void> {
  const running = child;
  child = undefined;
  await running?.stop('SIGKILL');
}

const completionFor = (offerId: string) =>
  waitFor(
    async () =>
      (await peekAll(azurite.connectionString, 'golive-events'))
        .map((t) => JSON.parse(t) as CloudEvent<CompletionData>)
        .find((e) => e.source === `/publishers/${PUB}/offers/${offerId}`),
    { timeoutMs: 120_000, intervalMs: 250, what: `the completion event of ${PUB}/${offerId}` },
  );

/** Enqueues a request, kills the host as soon as the partner API has the Go Live POST, waits until `finished`. */
async function crashRightAfterThePost(
  offerId: string,
  api: 'cpp' | 'productIngestion',
  isPost: (path: string) => boolean,
  finished: () => Promise<boolean>,
): Promise<void> {
  sim.admin.setScenario(PUB, offerId, { latencyMs: LATENCY_MS });
  await enqueue(azurite.connectionString, 'golive-requests', {
    publisherId: PUB,
    offerId,
    requestId: `${offerId}-1`,
    api,
  });
  await waitFor(async () => sim.admin.requests({ method: 'POST', offerId }).some((r) => isPost(r.path)), {
    timeoutMs: 60_000,
    intervalMs: 5,
    what: 'the Go Live POST',
  });
  // The POST is in the partner API's hands (it is handled after LATENCY_MS); the host dies before the answer.
  await killChild();
  sim.admin.setScenario(PUB, offerId, { latencyMs: 0 });
  await waitFor(finished, { timeoutMs: 60_000, intervalMs: 100, what: 'the go-live to finish while the host is down' });
}

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  azurite = await startAzurite({ inMemory: true });
  sim = await startSimulator({ defaults: { durationMs: 2_000, jobDurationMs: 500 } });
  sim.admin.addOffer(PUB, 'cpp-offer');
  sim.admin.addOffer(PUB, 'pi-offer');
  sim.admin.addOffer(PUB, 'not-ready-offer', { offerStatus: 'certifying' });
});

afterAll(async () => {
  await killChild();
  await sim?.close();
  await azurite?.close();
});

describe('a host killed right after the Go Live POST', () => {
  it('CPP: the restarted run attaches to the go-live that finished meanwhile: one POST, golive.succeeded', async () => {
    await startChild();
    const posts = () =>
      sim.admin.requests({ method: 'POST', offerId: 'cpp-offer' }).filter((r) => r.path.endsWith('/golive'));
    await crashRightAfterThePost(
      'cpp-offer',
      'cpp',
      (p) => p.endsWith('/golive'),
      async () => {
        const res = await fetch(
          `${sim.url}/api/publishers/${PUB}/offers/cpp-offer/submissions/?api-version=2017-10-31`,
          {
            headers: { authorization: 'Bearer local-dev-token' },
          },
        );
        const list = (await res.json()) as { submissionState: string }[];
        return list.length === 1 && list[0]!.submissionState === 'complete';
      },
    );
    // The offer waits for sign-off again (as if a new preview were published): a second POST would be taken.
    await startChild();
    const event = await completionFor('cpp-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: { outcome: 'succeeded', operationStatus: 'complete' },
    });
    expect(posts()).toHaveLength(1);
  });

  it('Product Ingestion: the restarted run follows the live submission that completed meanwhile: one POST', async () => {
    const { preview } = submissionIdsFor('pi-offer');
    const configurePosts = () =>
      sim.admin
        .requests({ method: 'POST', offerId: 'pi-offer' })
        .filter((r) => r.path === '/rp/product-ingestion/configure');
    await crashRightAfterThePost(
      'pi-offer',
      'productIngestion',
      (p) => p === '/rp/product-ingestion/configure',
      async () => {
        const res = await fetch(
          `${sim.url}/rp/product-ingestion/submission/${preview.split('/')[1]}?$version=${V}&targetType=live`,
          { headers: { authorization: 'Bearer local-dev-token' } },
        );
        const live = ((await res.json()) as { value: { id: string; status: string }[] }).value;
        return live.some((s) => s.id === preview && s.status === 'completed');
      },
    );
    await startChild();
    const event = await completionFor('pi-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: { outcome: 'succeeded', operationId: preview, operationStatus: 'completed/succeeded' },
    });
    // attached to its own go-live, not mistaken for a preview that was live before the run
    expect(event.data.alreadyLive).toBeUndefined();
    expect(configurePosts()).toHaveLength(1);
  });
});

describe('a CPP offer not waiting for the publisher sign-off', () => {
  it('ends golive.failed with NotReadyForGoLive, the status and steps in the error, and no POST', async () => {
    await enqueue(azurite.connectionString, 'golive-requests', { publisherId: PUB, offerId: 'not-ready-offer' });
    const event = await completionFor('not-ready-offer');
    expect(event).toMatchObject({
      type: 'golive.failed',
      data: {
        outcome: 'failed',
        operationId: null,
        error: {
          code: 'NotReadyForGoLive',
          message: expect.stringContaining('Certification inProgress'),
          body: {
            status: 'running',
            steps: expect.arrayContaining([{ stepName: 'Publisher signoff', status: 'notStarted' }]),
          },
        },
      },
    });
    expect(sim.admin.requests({ method: 'POST', offerId: 'not-ready-offer' })).toHaveLength(0);
  });
});
