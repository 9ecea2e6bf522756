/**
 * End to end with the Product Ingestion API: the BUILT app in the local Functions host with its Durable backend,
 * against Azurite (in memory, free ports) and the simulator's `/rp/product-ingestion` endpoints. Requests choose
 * the API with `api: 'productIngestion'` (the default stays `cpp`); results are read from `golive-events`, the
 * status route and the simulator's request log.
 */
import type { CloudEvent, CompletionData } from '../../src/events/completionEvent';
import { StaticTokenCredential } from '../../src/partner/credential';
import { ProductIngestionClient } from '../../src/partner/productIngestionClient';
import { productGuidFor, type RunningSimulator } from '../../tools/simulator';
import { enqueue, type RunningAzurite } from '../support/azurite';
import { waitFor } from '../support/wait';
import { type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(180_000);

const PUB = 'e2epi';
const V = '2022-03-01-preview2';

let stack: GoLiveStack;
let azurite: RunningAzurite;
let sim: RunningSimulator;
let base: string;

const completionFor = (offerId: string): Promise<CloudEvent<CompletionData>> => stack.completionFor(PUB, offerId);

/** Requests the app sent about an offer (the Product Ingestion side records the offer it resolved to). */
const requestsFor = (offerId: string) => sim.admin.requests({ offerId });
const configurePosts = (offerId: string) =>
  requestsFor(offerId).filter((r) => r.method === 'POST' && r.path === '/rp/product-ingestion/configure');

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'goliveprodingest',
    offers: [
      [PUB, 'pi-ok-offer'],
      [PUB, 'pi-failing-offer', { outcome: 'failed', durationMs: 2_000 }],
      [PUB, 'pi-attach-offer', { durationMs: 4_000 }],
      [PUB, 'pi-http-offer'],
    ],
    env: (simulatorUrl) => ({
      PRODUCT_INGESTION_BASE_URL: `${simulatorUrl}/rp/product-ingestion`,
      PRODUCT_INGESTION_TOKEN: 'local-dev-token',
      PRODUCT_INGESTION_SCHEMA_VERSION: V,
      GOLIVE_DEADLINE_MINUTES: '2',
    }),
  });
  ({ azurite, sim, base } = stack);
});

afterAll(async () => {
  await stack?.close();
});

describe('go-live through the Product Ingestion API, end to end', () => {
  it('a queued request with api productIngestion goes live: golive.succeeded with api productIngestion, one configure job', async () => {
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: 'pi-ok-offer',
      requestId: 'pi-ok-1',
      api: 'productIngestion',
    });
    const event = await completionFor('pi-ok-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      source: `/publishers/${PUB}/offers/pi-ok-offer`,
      data: {
        api: 'productIngestion',
        publisherId: PUB,
        offerId: 'pi-ok-offer',
        requestIds: ['pi-ok-1'],
        outcome: 'succeeded',
        operationStatus: 'completed/succeeded',
        error: null,
      },
    });
    expect(event.data.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.data.steps).toEqual([
      { name: 'Submit', status: 'complete', progress: 100 },
      { name: 'Publish to live', status: 'complete', progress: 100 },
    ]);
    expect(event.data.pollCount).toBeGreaterThanOrEqual(1);

    const requests = requestsFor('pi-ok-offer');
    expect(configurePosts('pi-ok-offer')).toHaveLength(1);
    // Nothing went to the CPP API for this request; every call carried $version and the token.
    expect(requests.every((r) => r.api === 'productIngestion')).toBe(true);
    expect(requests.every((r) => r.query['$version'] === V && r.hadAuthorization)).toBe(true);
    expect(
      requests.filter((r) => r.path === `/rp/product-ingestion/configure/${event.data.operationId}/status`).length,
    ).toBe(event.data.pollCount);
    // The product is now live: its submissions show a completed live entry.
    const status = await fetch(`${base}/api/golive/${PUB}/pi-ok-offer`);
    expect(await status.json()).toMatchObject({ state: 'succeeded', outcome: 'succeeded' });
  });

  it('a certification failure ends golive.failed with CertificationFailed and is not submitted again', async () => {
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: 'pi-failing-offer',
      requestId: 'pi-fail-1',
      api: 'productIngestion',
    });
    const event = await completionFor('pi-failing-offer');
    expect(event).toMatchObject({
      type: 'golive.failed',
      data: {
        api: 'productIngestion',
        outcome: 'failed',
        operationStatus: 'completed/failed',
        error: { code: 'CertificationFailed', message: expect.stringContaining('certification') },
      },
    });
    expect(event.data.steps.map((s) => s.status)).toEqual(['complete', 'failed']);
    expect(configurePosts('pi-failing-offer')).toHaveLength(1);
  });

  it('a request while a live submission already runs attaches to it: no second configure job', async () => {
    const outside = new ProductIngestionClient({
      baseUrl: `${sim.url}/rp/product-ingestion`,
      schemaVersion: V,
      credential: new StaticTokenCredential('local-dev-token'),
      timeoutMs: 5_000,
      maxRetries: 1,
    });
    try {
      await outside.startGoLive({ api: 'productIngestion', publisherId: PUB, offerId: 'pi-attach-offer' });
    } finally {
      await outside.close();
    }
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: 'pi-attach-offer',
      requestId: 'pi-attach-1',
      api: 'productIngestion',
    });
    const event = await completionFor('pi-attach-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: {
        api: 'productIngestion',
        operationId: `submission/${productGuidFor('pi-attach-offer')}/1`,
        operationStatus: 'completed/succeeded',
      },
    });
    expect(configurePosts('pi-attach-offer')).toHaveLength(1);
  });

  it('a job that collides with a submission started meanwhile is submitted again and attaches: golive.succeeded', async () => {
    // Every answer about the offer waits L ms and is computed after the wait. The app's go-live reads the
    // submissions twice (running list, then startGoLive) and posts. An outside go-live started L/2 after the app's
    // first read arrives creates its job after the app's second read was answered and before the app's POST is:
    // the app's job then fails with "An In Progress submission ... already exists".
    const L = 1_500;
    sim.admin.addOffer(PUB, 'pi-collide-offer', { durationMs: 12_000, latencyMs: L });
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: 'pi-collide-offer',
      requestId: 'pi-collide-1',
      api: 'productIngestion',
    });
    const submissionPath = `/rp/product-ingestion/submission/${productGuidFor('pi-collide-offer')}`;
    await waitFor(() => requestsFor('pi-collide-offer').some((r) => r.path === submissionPath), {
      intervalMs: 1,
      timeoutMs: 30_000,
      what: "the app's first submission read",
    });
    await new Promise((r) => setTimeout(r, L / 2));
    const outside = new ProductIngestionClient({
      baseUrl: `${sim.url}/rp/product-ingestion`,
      schemaVersion: V,
      credential: new StaticTokenCredential('local-dev-token'),
      timeoutMs: 10_000,
      maxRetries: 0,
    });
    try {
      await outside.startGoLive({
        api: 'productIngestion',
        publisherId: PUB,
        offerId: 'pi-collide-offer',
        productId: productGuidFor('pi-collide-offer'),
      });
    } finally {
      await outside.close();
    }
    const event = await completionFor('pi-collide-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: {
        api: 'productIngestion',
        operationId: `submission/${productGuidFor('pi-collide-offer')}/1`,
        operationStatus: 'completed/succeeded',
      },
    });
    expect(event.data.warnings.join(' ')).toContain('SubmissionInProgress');
    // The outside job and the app's one job that collided; the app did not post again, it attached.
    expect(configurePosts('pi-collide-offer')).toHaveLength(2);
  });

  it('the HTTP route takes api and productId: no product search, productId in the event', async () => {
    // The request schema takes the product GUID (the client also accepts the durable id form `product/<guid>`).
    const productId = productGuidFor('pi-http-offer');
    const res = await fetch(`${base}/api/golive/${PUB}/pi-http-offer`, {
      method: 'POST',
      body: JSON.stringify({ api: 'productIngestion', productId, requestedBy: 'e2e' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    const event = await completionFor('pi-http-offer');
    expect(event).toMatchObject({ type: 'golive.succeeded', data: { api: 'productIngestion', productId } });
    expect(requestsFor('pi-http-offer').filter((r) => r.path === '/rp/product-ingestion/product')).toHaveLength(0);
    expect(configurePosts('pi-http-offer')).toHaveLength(1);
  });
});
