/**
 * Both adapters on the contract fixtures (test/fixtures/partner-api): the answers Microsoft's samples and public
 * clients show, served by an undici MockAgent. Real ids are 19-digit numbers past 2^53; a go-live is done only when
 * its live submission is; a CPP offer goes live only from the publisher's sign-off.
 */
import { StaticTokenCredential } from '../../../src/partner/credential';
import { NotReadyForGoLiveError, PartnerApiError } from '../../../src/partner/errors';
import { ProductIngestionClient } from '../../../src/partner/productIngestionClient';
import type { GoLiveTarget } from '../../../src/partner/types';
import { body, fixture, fixtureNames } from './contractFixtures';
import {
  caught,
  type Harness,
  harness,
  json,
  type MockHarness,
  mockHarness,
  OFFER_PATH,
  ORIGIN,
  TARGET,
} from './helpers';

const P = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const OLD = '1152921515689848683';
const NEW = '1152921515689848690';
const JOB = '2f7c9c1e-1111-4a2b-9c3d-000000000abc';

describe('the contract fixtures', () => {
  it.each(fixtureNames())('%s names its public source and holds an answer', (name) => {
    const f = fixture(name);
    expect(f.description.length).toBeGreaterThan(40);
    expect(f.source).toMatch(/learn\.microsoft\.com|github\.com/);
    expect([200, 202]).toContain(f.status);
    expect(f.body).toBeDefined();
  });

  it('the submission ids are the real kind: 19 digits past 2^53, two of them equal as JS numbers', () => {
    expect(Number(OLD)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(Number(OLD)).toBe(Number(NEW));
    const ids = (body<{ value: { id: string }[] }>('pi-submissions-going-live').value ?? []).map((s) => s.id);
    expect(ids).toContain(`submission/${P}/${NEW}`);
  });
});

// ---- Product Ingestion ----

const PI_ORIGIN = 'https://graph.example.test';
const BASE = `${PI_ORIGIN}/rp/product-ingestion`;
const V = '2022-03-01-preview2';
const Q = `$version=${V}`;
const PI_TARGET: GoLiveTarget = { api: 'productIngestion', publisherId: 'contoso', offerId: 'contoso-vm-offer' };
const PATHS = {
  product: `/rp/product-ingestion/product?${Q}&externalId=contoso-vm-offer`,
  submissions: `/rp/product-ingestion/submission/${P}?${Q}`,
  configure: `/rp/product-ingestion/configure?${Q}`,
  status: `/rp/product-ingestion/configure/${JOB}/status?${Q}`,
  detail: `/rp/product-ingestion/configure/${JOB}?${Q}`,
};
const JOB_URL = `${BASE}/configure/${JOB}/status?${Q}`;
const LIVE_URL = `${BASE}/submission/${P}/${NEW}?${Q}`;

let pi: MockHarness<ProductIngestionClient>;
const piPool = () => pi.agent.get(PI_ORIGIN);
/** Serves the fixture at the path (once). */
const serve = (path: string, name: string) =>
  piPool().intercept({ path, method: 'GET' }).reply(fixture(name).status, body(name), { headers: json });

function piHarness() {
  return mockHarness(
    (common) =>
      new ProductIngestionClient({
        baseUrl: BASE,
        schemaVersion: V,
        credential: new StaticTokenCredential('pi-token'),
        ...common,
      }),
  );
}

describe('Product Ingestion adapter on the fixtures', () => {
  beforeEach(() => {
    pi = piHarness();
  });
  afterEach(async () => {
    await pi.close();
  });

  it.each(['pi-product-list', 'pi-product-list-externalID'])(
    'finds the product (%s) and pushes the 19-digit preview id exactly as listed',
    async (productList) => {
      serve(PATHS.product, productList);
      serve(PATHS.submissions, 'pi-submissions-ready');
      piPool()
        .intercept({ path: PATHS.configure, method: 'POST' })
        .reply(202, body('pi-configure-accepted'), { headers: json });
      const accepted = await pi.client.startGoLive(PI_TARGET);
      // The job URL carries the posted submission id in its fragment (never sent): the run follows what it posted.
      expect(accepted).toEqual({
        operationUrl: `${JOB_URL}#submission=${encodeURIComponent(`submission/${P}/${NEW}`)}`,
        operationId: JOB,
      });
      const post = pi.calls().find((c) => c.method === 'POST');
      const sent = JSON.parse(post!.body) as { resources: { id: string; target: { targetType: string } }[] };
      expect(sent.resources[0]).toMatchObject({ id: `submission/${P}/${NEW}`, target: { targetType: 'live' } });
    },
  );

  it('an already-live preview (preview and live share the id): no POST, alreadyLive with the reason', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-promoted');
    const accepted = await pi.client.startGoLive(PI_TARGET);
    expect(accepted).toMatchObject({
      operationId: `submission/${P}/${NEW}`,
      operationUrl: LIVE_URL,
      alreadyLive: {
        reason: expect.stringContaining('already live'),
        status: { state: 'succeeded', terminal: true, rawStatus: 'completed/succeeded', phase: 'Publish to live' },
      },
    });
    expect(pi.calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('refuses while the new version is going live (a live entry runs): a Conflict to attach on, no POST', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-going-live');
    expect(await caught(pi.client.startGoLive(PI_TARGET))).toMatchObject({ code: 'Conflict', targetType: 'live' });
    serve(PATHS.submissions, 'pi-submissions-going-live');
    expect(await pi.client.findGoLives(PI_TARGET)).toEqual([
      expect.objectContaining({ operationId: `submission/${P}/${NEW}`, running: true, operationUrl: LIVE_URL }),
    ]);
    expect(pi.calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('Submit: a running job is the first phase, not terminal', async () => {
    serve(PATHS.status, 'pi-job-running');
    expect(await pi.client.getOperation(PI_TARGET, JOB_URL)).toMatchObject({
      phase: 'Submit',
      state: 'running',
      terminal: false,
      operationUrl: JOB_URL,
      steps: [
        { stepName: 'Submit', status: 'inProgress' },
        { stepName: 'Publish to live', status: 'notStarted' },
      ],
    });
  });

  it('a succeeded job hands on to the live submission it pushed, which runs beside the old live entry', async () => {
    serve(PATHS.status, 'pi-job-succeeded');
    serve(PATHS.detail, 'pi-job-detail-live');
    serve(PATHS.submissions, 'pi-submissions-going-live');
    expect(await pi.client.getOperation(PI_TARGET, JOB_URL)).toMatchObject({
      phase: 'Publish to live',
      state: 'running',
      terminal: false,
      operationId: `submission/${P}/${NEW}`,
      operationUrl: LIVE_URL,
      steps: [
        { stepName: 'Submit', status: 'complete' },
        { stepName: 'Publish to live', status: 'inProgress' },
      ],
    });
  });

  it('Publish to live: succeeded only once the live submission with that id is completed + succeeded', async () => {
    serve(PATHS.submissions, 'pi-submissions-promoted');
    expect(await pi.client.getOperation(PI_TARGET, LIVE_URL)).toMatchObject({
      state: 'succeeded',
      terminal: true,
      rawStatus: 'completed/succeeded',
      progressPercentage: 100,
    });
  });

  it('Publish to live: a live submission that completes failed ends failed with its id and result', async () => {
    serve(PATHS.submissions, 'pi-submissions-live-failed');
    const status = await pi.client.getOperation(PI_TARGET, LIVE_URL);
    expect(status).toMatchObject({ state: 'failed', terminal: true, rawStatus: 'completed/failed' });
    expect(status.errors?.[0]?.code).toBe('LiveSubmissionFailed');
    expect(status.errors?.[0]?.message).toContain(`submission/${P}/${NEW} completed with result failed`);
    expect(status.submitAgain).toBeUndefined();
  });

  it.each([
    ['pi-job-failed-nested-certification', 'CertificationFailed', undefined],
    ['pi-job-failed-product-locked', 'ProductLocked', undefined],
    ['pi-job-failed-in-progress', 'JobServerError', { reason: 'JobServerError', maxTimes: 2 }],
    ['pi-job-failed-not-latest', 'Conflict', undefined],
  ])('a failed job (%s) is classified %s, with the advice %j', async (name, code, advice) => {
    serve(PATHS.status, name);
    const status = await pi.client.getOperation(PI_TARGET, JOB_URL);
    expect(status).toMatchObject({ state: 'failed', terminal: true, phase: 'Submit' });
    expect(status.errors?.[0]?.code).toBe(code);
    expect(status.submitAgain).toEqual(advice);
  });
});

// ---- Cloud Partner Portal ----

let cpp: Harness;
const STATUS_PATH = `${OFFER_PATH}/status?api-version=2017-10-31`;
const GOLIVE_PATH = `${OFFER_PATH}/golive?api-version=2017-10-31`;

describe('Cloud Partner Portal adapter on the fixtures', () => {
  beforeEach(() => {
    cpp = harness({ checkOfferStatus: true });
  });
  afterEach(async () => {
    await cpp.close();
  });
  const cppPool = () => cpp.agent.get(ORIGIN);
  const serveStatus = (name: string) =>
    cppPool().intercept({ path: STATUS_PATH, method: 'GET' }).reply(200, body(name), { headers: json });

  it('waiting for the publisher sign-off: reads the status, then posts Go Live', async () => {
    serveStatus('cpp-offer-status-waiting-for-signoff');
    cppPool()
      .intercept({ path: GOLIVE_PATH, method: 'POST' })
      .reply(202, '', { headers: { location: `${OFFER_PATH}/operations/op-1?api-version=2017-10-31` } });
    expect((await cpp.client.startGoLive(TARGET)).operationId).toBe('op-1');
    expect(cpp.calls().map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${STATUS_PATH}`, `POST ${GOLIVE_PATH}`]);
  });

  it.each([
    ['cpp-offer-status-certifying', 'running', 'Certification inProgress'],
    ['cpp-offer-status-live', 'succeeded', 'Publisher signoff complete'],
  ])('%s: NotReadyForGoLive with the status and steps, and no POST', async (name, offerStatus, step) => {
    serveStatus(name);
    const e = await caught(cpp.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(NotReadyForGoLiveError);
    expect(e).toMatchObject({ code: 'NotReadyForGoLive', retriable: false, offerStatus });
    expect((e as Error).message).toContain(step);
    expect((e as PartnerApiError).body).toMatchObject({ status: offerStatus });
    expect(cpp.calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('a go-live already running: Conflict (the run attaches to it), no POST', async () => {
    serveStatus('cpp-offer-status-golive-running');
    expect(await caught(cpp.client.startGoLive(TARGET))).toMatchObject({ code: 'Conflict' });
    expect(cpp.calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('lists running go-lives, and finished ones created since a time (no status filter then)', async () => {
    cppPool()
      .intercept({ path: `${OFFER_PATH}/submissions/?api-version=2017-10-31&status=running`, method: 'GET' })
      .reply(200, body<unknown[]>('cpp-operations-list').slice(0, 1), { headers: json });
    expect((await cpp.client.findGoLives(TARGET)).map((o) => [o.operationId, o.running])).toEqual([
      ['9d1c0a8e-0000-4f00-8000-000000000001', true],
    ]);
    cppPool()
      .intercept({ path: `${OFFER_PATH}/submissions/?api-version=2017-10-31`, method: 'GET' })
      .reply(200, body('cpp-operations-list'), { headers: json });
    const since = await cpp.client.findGoLives(TARGET, { finishedSince: '2024-01-01T00:00:00Z' });
    expect(since.map((o) => [o.operationId, o.running, o.createdAt])).toEqual([
      ['9d1c0a8e-0000-4f00-8000-000000000001', true, '2024-01-10T08:00:00.000000Z'],
      ['9d1c0a8e-0000-4f00-8000-000000000000', false, '2024-01-02T08:00:00.000000Z'],
    ]);
  });
});
