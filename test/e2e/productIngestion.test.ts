/**
 * End to end with the Product Ingestion API: the BUILT app in the local Functions host with its Durable backend,
 * against Azurite (in memory, free ports) and the simulator's `/rp/product-ingestion` endpoints. Requests choose
 * the API with `api: 'productIngestion'` (the default stays `cpp`); results are read from `golive-events`, the
 * status route and the simulator's request log.
 */
import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import { StaticTokenCredential } from '../../src/partner/credential';
import { ProductIngestionClient } from '../../src/partner/productIngestionClient';
import { productGuidFor, type RunningSimulator, submissionIdsFor } from '../../tools/simulator';
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
      [PUB, 'pi-ok-offer', { jobDurationMs: 1_000, durationMs: 4_000 }],
      [PUB, 'pi-failing-offer', { outcome: 'failed', durationMs: 2_000 }],
      [PUB, 'pi-cert-offer', { jobError: 'certification' }],
      [PUB, 'pi-already-live-offer', { previewAlreadyLive: true }],
      [PUB, 'pi-external-id-offer', { identityKey: 'externalID' }],
      [PUB, 'pi-attach-offer', { durationMs: 6_000 }],
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
  const request = (offerId: string, requestId: string) =>
    enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId,
      requestId,
      api: 'productIngestion',
    });
  /** The offer's live entries as the simulator lists them now. */
  const liveEntries = async (offerId: string) => {
    const res = await fetch(
      `${sim.url}/rp/product-ingestion/submission/${productGuidFor(offerId)}?$version=${V}&targetType=live`,
      { headers: { authorization: 'Bearer local-dev-token' } },
    );
    return ((await res.json()) as { value: { id: string; status: string; result: string; created: string }[] }).value;
  };

  it('goes live in two phases: golive.succeeded only after the live submission completed, one configure POST', async () => {
    await request('pi-ok-offer', 'pi-ok-1');
    const event = await completionFor('pi-ok-offer');
    const { preview } = submissionIdsFor('pi-ok-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      source: `/publishers/${PUB}/offers/pi-ok-offer`,
      data: {
        api: 'productIngestion',
        publisherId: PUB,
        offerId: 'pi-ok-offer',
        requestIds: ['pi-ok-1'],
        outcome: 'succeeded',
        // the run followed the live submission with the preview's 19-digit id, not the job
        operationId: preview,
        operationStatus: 'completed/succeeded',
        error: null,
      },
    });
    expect(event.data.alreadyLive).toBeUndefined();
    expect(event.data.steps).toEqual([
      { name: 'Submit', status: 'complete', progress: 100 },
      { name: 'Publish to live', status: 'complete', progress: 100 },
    ]);
    // The live submission started when the job completed and ran durationMs (4 s): the run ended after that.
    const [live] = await liveEntries('pi-ok-offer');
    expect(live).toMatchObject({ id: preview, status: 'completed', result: 'succeeded' });
    expect(Date.parse(event.data.completedAt)).toBeGreaterThanOrEqual(Date.parse(live!.created) + 4_000);

    const requests = requestsFor('pi-ok-offer');
    expect(configurePosts('pi-ok-offer')).toHaveLength(1);
    // Nothing went to the CPP API for this request; every call carried $version and the token.
    expect(requests.every((r) => r.api === 'productIngestion')).toBe(true);
    expect(requests.every((r) => r.query['$version'] === V && r.hadAuthorization)).toBe(true);
    // Both phases were read: the job's status, then the product's submissions.
    const jobReads = requests.filter((r) => /\/configure\/[0-9a-f-]{36}\/status$/.test(r.path));
    expect(jobReads.length).toBeGreaterThanOrEqual(1);
    // The run follows the submission it posted: the job detail is not needed.
    expect(requests.filter((r) => /\/configure\/[0-9a-f-]{36}$/.test(r.path))).toHaveLength(0);
    // The event is published just before the orchestration completes: the status has its outcome once it has.
    const status = await waitFor(
      async () => {
        const body = (await (await fetch(`${base}/api/golive/${PUB}/pi-ok-offer`)).json()) as { outcome?: unknown };
        return body.outcome === null ? undefined : body;
      },
      { what: 'the run to complete' },
    );
    expect(status).toMatchObject({ state: 'succeeded', outcome: 'succeeded' });
  });

  it('a live submission that fails gives golive.failed with its id and result, after one configure POST', async () => {
    await request('pi-failing-offer', 'pi-fail-1');
    const event = await completionFor('pi-failing-offer');
    const { preview } = submissionIdsFor('pi-failing-offer');
    expect(event).toMatchObject({
      type: 'golive.failed',
      data: {
        api: 'productIngestion',
        outcome: 'failed',
        operationId: preview,
        operationStatus: 'completed/failed',
        error: {
          code: 'LiveSubmissionFailed',
          message: expect.stringContaining(`${preview} completed with result failed`),
        },
      },
    });
    expect(event.data.steps.map((s) => s.status)).toEqual(['complete', 'failed']);
    expect(configurePosts('pi-failing-offer')).toHaveLength(1);
  });

  it('a certification failure nested in the job error ends golive.failed with CertificationFailed, not submitted again', async () => {
    await request('pi-cert-offer', 'pi-cert-1');
    const event = await completionFor('pi-cert-offer');
    expect(event).toMatchObject({
      type: 'golive.failed',
      data: {
        outcome: 'failed',
        operationStatus: 'completed/failed',
        error: { code: 'CertificationFailed', message: expect.stringContaining('Certification') },
      },
    });
    expect(event.data.steps.map((s) => s.status)).toEqual(['failed', 'notStarted']);
    expect(configurePosts('pi-cert-offer')).toHaveLength(1);
  });

  it('an already-live preview gives golive.succeeded with alreadyLive: true, a warning and no POST', async () => {
    await request('pi-already-live-offer', 'pi-already-1');
    const event = await completionFor('pi-already-live-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: {
        outcome: 'succeeded',
        alreadyLive: true,
        operationId: submissionIdsFor('pi-already-live-offer').preview,
        operationStatus: 'completed/succeeded',
        pollCount: 0,
        error: null,
      },
    });
    expect(event.data.warnings.join(' ')).toContain('already live');
    expect(configurePosts('pi-already-live-offer')).toHaveLength(0);
  });

  it('finds a product listed under identity.externalID', async () => {
    await request('pi-external-id-offer', 'pi-extid-1');
    const event = await completionFor('pi-external-id-offer');
    expect(event).toMatchObject({ type: 'golive.succeeded', data: { outcome: 'succeeded' } });
    expect(requestsFor('pi-external-id-offer').filter((r) => r.path === '/rp/product-ingestion/product')).toHaveLength(
      1,
    );
    expect(configurePosts('pi-external-id-offer')).toHaveLength(1);
  });

  it('a request while a live submission already runs attaches to it: no second configure job', async () => {
    const outside = new ProductIngestionClient({
      baseUrl: `${sim.url}/rp/product-ingestion`,
      schemaVersion: V,
      credential: new StaticTokenCredential('local-dev-token'),
      timeoutMs: 5_000,
      maxRetries: 1,
    });
    const target = { api: 'productIngestion' as const, publisherId: PUB, offerId: 'pi-attach-offer' };
    try {
      await outside.startGoLive(target);
      // its configure job completes in about a second; then its live submission runs
      await waitFor(async () => (await outside.findGoLives(target)).length === 1, {
        timeoutMs: 30_000,
        what: 'the outside live submission',
      });
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
        operationId: submissionIdsFor('pi-attach-offer').preview,
        operationStatus: 'completed/succeeded',
      },
    });
    expect(configurePosts('pi-attach-offer')).toHaveLength(1);
  });

  it('a job that collides with a submission started meanwhile is submitted again and attaches: golive.succeeded', async () => {
    // Every answer about the offer waits L ms and is computed after the wait. The app's go-live reads the
    // submissions once (it answers both "already running?" and "ready?") and posts. An outside go-live posted L/2
    // after the app's read arrives creates its job after that read was answered (t+L) and before the app's POST is
    // (t+2L): the app's job then fails with "An In Progress submission ... already exists". The outside go-live is
    // one configure POST, as a client that already knows the preview's id sends it.
    const L = 1_500;
    sim.admin.addOffer(PUB, 'pi-collide-offer', { durationMs: 12_000, latencyMs: L });
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: 'pi-collide-offer',
      requestId: 'pi-collide-1',
      api: 'productIngestion',
    });
    const productGuid = productGuidFor('pi-collide-offer');
    const submissionPath = `/rp/product-ingestion/submission/${productGuid}`;
    await waitFor(() => requestsFor('pi-collide-offer').some((r) => r.path === submissionPath), {
      intervalMs: 1,
      timeoutMs: 30_000,
      what: "the app's submission read",
    });
    await new Promise((r) => setTimeout(r, L / 2));
    const outside = await fetch(`${sim.url}/rp/product-ingestion/configure?$version=${V}`, {
      method: 'POST',
      headers: { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        $schema: `https://schema.mp.microsoft.com/schema/configure/${V}`,
        resources: [
          {
            $schema: `https://schema.mp.microsoft.com/schema/submission/${V}`,
            id: submissionIdsFor('pi-collide-offer').preview,
            product: `product/${productGuid}`,
            target: { targetType: 'live' },
          },
        ],
      }),
    });
    expect(outside.status).toBeLessThan(300);
    const event = await completionFor('pi-collide-offer');
    expect(event).toMatchObject({
      type: 'golive.succeeded',
      data: {
        api: 'productIngestion',
        operationId: submissionIdsFor('pi-collide-offer').preview,
        operationStatus: 'completed/succeeded',
      },
    });
    expect(event.data.warnings.join(' ')).toContain('JobServerError');
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
