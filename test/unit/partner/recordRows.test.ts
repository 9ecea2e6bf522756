/**
 * The rows of docs/partner-apis.md's table that the adapters branch on, each on a contract fixture (or the documented
 * value set) served by an undici MockAgent: paging, the job detail, no preview entry, late listing, pinned schemas,
 * key spellings, job error codes, CPP readiness under every documented offer status, operation locations.
 */
import { operationLocationOf } from '../../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../../src/partner/credential';
import { DOCUMENTED_OFFER_STATUSES, parseOfferStatus } from '../../../src/partner/operation';
import {
  ProductIngestionClient as Client,
  type ProductIngestionClient,
} from '../../../src/partner/productIngestionClient';
import {
  classifyJobError,
  JOB_ERROR_CODE_DISPOSITION,
  MAX_LIST_PAGES,
  parseJobStatus,
  submitAgainAdvice,
} from '../../../src/partner/productIngestionStatus';
import type { GoLiveTarget } from '../../../src/partner/types';
import { body, fixture } from './contractFixtures';
import { caught, json, type MockHarness, mockHarness } from './helpers';

const P = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const NEW = '1152921515689848690';
const JOB = '2f7c9c1e-1111-4a2b-9c3d-000000000abc';
const ORIGIN = 'https://graph.example.test';
const BASE = `${ORIGIN}/rp/product-ingestion`;
const V = '2022-03-01-preview2';
const Q = `$version=${V}`;
const TARGET: GoLiveTarget = { api: 'productIngestion', publisherId: 'contoso', offerId: 'contoso-vm-offer' };
const PATHS = {
  product: `/rp/product-ingestion/product?${Q}&externalId=contoso-vm-offer`,
  submissions: `/rp/product-ingestion/submission/${P}?${Q}`,
  page2: `/rp/product-ingestion/submission/${P}?${Q}&$maxpagesize=2&continuationToken=Mg`,
  configure: `/rp/product-ingestion/configure?${Q}`,
  status: `/rp/product-ingestion/configure/${JOB}/status?${Q}`,
  detail: `/rp/product-ingestion/configure/${JOB}?${Q}`,
};
const JOB_URL = `${BASE}/configure/${JOB}/status?${Q}`;
const LIVE_URL = `${BASE}/submission/${P}/${NEW}?${Q}`;

let clock = Date.parse('2026-12-01T10:00:00Z');
let pi: MockHarness<ProductIngestionClient> | undefined;
const h = () => {
  if (!pi) throw new Error('start() first');
  return pi;
};
const pool = () => h().agent.get(ORIGIN);
const serve = (path: string, name: string) =>
  pool().intercept({ path, method: 'GET' }).reply(fixture(name).status, body(name), { headers: json });
const serveBody = (path: string, status: number, value: unknown) =>
  pool()
    .intercept({ path, method: 'GET' })
    .reply(status, value as object, { headers: json });
const gets = () =>
  h()
    .calls()
    .filter((c) => c.method === 'GET');
const posts = () =>
  h()
    .calls()
    .filter((c) => c.method === 'POST');

function start(schemaVersion = V) {
  pi = mockHarness(
    (common) =>
      new Client({
        baseUrl: BASE,
        schemaVersion,
        credential: new StaticTokenCredential('pi-token'),
        listingGraceMs: 10 * 60_000,
        now: () => clock,
        ...common,
        maxRetries: 0,
      }),
  );
}

afterEach(async () => {
  await pi?.close();
  pi = undefined;
});

describe('Product Ingestion: every list page is read (@nextLink, $maxpagesize, continuationToken)', () => {
  beforeEach(() => start());

  it('a running live entry on the second page is found: a Conflict to attach on, and the attach lookup lists it', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-paged-page1');
    serve(PATHS.page2, 'pi-submissions-paged-page2');
    expect(await caught(h().client.startGoLive(TARGET))).toMatchObject({ code: 'Conflict', targetType: 'live' });
    serve(PATHS.submissions, 'pi-submissions-paged-page1');
    serve(PATHS.page2, 'pi-submissions-paged-page2');
    expect(await h().client.findGoLives(TARGET)).toEqual([
      expect.objectContaining({ operationId: `submission/${P}/${NEW}`, running: true, operationUrl: LIVE_URL }),
    ]);
    expect(posts()).toHaveLength(0);
    expect(gets().every((c) => c.url.includes(`$version=${V}`))).toBe(true);
  });

  it('a relative next link is resolved against the API base and keeps $version', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-paged-relative');
    serve(
      `/rp/product-ingestion/submission/${P}?$maxpagesize=2&continuationToken=Mg&${Q}`,
      'pi-submissions-paged-page2',
    );
    expect(await caught(h().client.startGoLive(TARGET))).toMatchObject({ code: 'Conflict' });
    expect(gets().map((c) => c.path)).toContain(
      `/rp/product-ingestion/submission/${P}?$maxpagesize=2&continuationToken=Mg&${Q}`,
    );
  });

  it('a next link on another origin or outside the API is refused: the token goes nowhere else', async () => {
    for (const link of ['https://evil.example.test/rp/product-ingestion/submission/x', `${ORIGIN}/v1.0/other`]) {
      serve(PATHS.product, 'pi-product-list');
      serveBody(PATHS.submissions, 200, { ...body<object>('pi-submissions-paged-page1'), '@nextLink': link });
      expect(await caught(h().client.startGoLive(TARGET))).toMatchObject({ code: 'OperationUrlRefused' });
    }
    expect(
      h()
        .calls()
        .every((c) => c.url.startsWith(`${BASE}/`)),
    ).toBe(true);
  });

  it('a 404 on a later page ends the list (an invalid next link, as BcContainerHelper meets it)', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-paged-page1');
    serveBody(PATHS.page2, 404, { error: { code: 'notFound', message: 'gone' } });
    const accepted = await (async () => {
      pool()
        .intercept({ path: PATHS.configure, method: 'POST' })
        .reply(202, body('pi-configure-accepted'), { headers: json });
      return h().client.startGoLive(TARGET);
    })();
    expect(accepted.operationId).toBe(JOB);
  });

  it(`reads at most ${MAX_LIST_PAGES} pages, then says so`, async () => {
    serve(PATHS.product, 'pi-product-list');
    pool()
      .intercept({ path: PATHS.submissions, method: 'GET' })
      .reply(200, { value: [], '@nextLink': `${BASE}/submission/${P}?${Q}` }, { headers: json })
      .persist();
    const e = await caught(h().client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'UnexpectedResponse', message: expect.stringContaining('pages') });
    expect(gets().filter((c) => c.path === PATHS.submissions)).toHaveLength(MAX_LIST_PAGES);
  });
});

describe('Product Ingestion: one read before the Go Live answers "already running?" and "ready?"', () => {
  beforeEach(() => start());

  it('the attach lookup right before the Go Live stands for its read; an older one, or one after a conflict, does not', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-ready');
    pool()
      .intercept({ path: PATHS.configure, method: 'POST' })
      .reply(202, body('pi-configure-accepted'), { headers: json })
      .times(3);
    const since = { finishedSince: new Date(clock - 60_000).toISOString() };
    const before = { ...since, beforeGoLive: true };
    expect(await h().client.findGoLives(TARGET, before)).toEqual([]);
    await h().client.startGoLive(TARGET);
    expect(gets().filter((c) => c.path === PATHS.submissions)).toHaveLength(1);
    serve(PATHS.submissions, 'pi-submissions-ready');
    serve(PATHS.submissions, 'pi-submissions-ready');
    expect(await h().client.findGoLives(TARGET, before)).toEqual([]);
    clock += 6_000;
    await h().client.startGoLive(TARGET);
    expect(gets().filter((c) => c.path === PATHS.submissions)).toHaveLength(3);
    serve(PATHS.submissions, 'pi-submissions-ready');
    serve(PATHS.submissions, 'pi-submissions-ready');
    expect(await h().client.findGoLives(TARGET, since)).toEqual([]);
    await h().client.startGoLive(TARGET);
    expect(gets().filter((c) => c.path === PATHS.submissions)).toHaveLength(5);
  });
});

describe('Product Ingestion: no preview entry', () => {
  beforeEach(() => start());

  it('a completed + succeeded live entry and no preview: already live, no POST', async () => {
    serve(PATHS.product, 'pi-product-list');
    serve(PATHS.submissions, 'pi-submissions-no-preview');
    const accepted = await h().client.startGoLive(TARGET);
    expect(accepted).toMatchObject({
      operationId: `submission/${P}/${NEW}`,
      alreadyLive: { reason: expect.stringContaining('already live'), status: { state: 'succeeded' } },
    });
    expect(posts()).toHaveLength(0);
  });

  it('a running live entry and no preview: a Conflict, and the attach lookup lists it', async () => {
    const running = body<{ value: { target: { targetType: string }; status?: string; result?: string }[] }>(
      'pi-submissions-no-preview',
    );
    const live = running.value.find((s) => s.target.targetType === 'live')!;
    live.status = 'running';
    live.result = 'pending';
    serve(PATHS.product, 'pi-product-list');
    serveBody(PATHS.submissions, 200, running);
    expect(await caught(h().client.startGoLive(TARGET))).toMatchObject({ code: 'Conflict' });
    serveBody(PATHS.submissions, 200, running);
    expect(await h().client.findGoLives(TARGET)).toEqual([expect.objectContaining({ running: true })]);
  });

  it('no preview and no live entry: NotFound, publish to preview first', async () => {
    serve(PATHS.product, 'pi-product-list');
    serveBody(PATHS.submissions, 200, { value: [body<{ value: unknown[] }>('pi-submissions-no-preview').value[0]] });
    expect(await caught(h().client.startGoLive(TARGET))).toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining('publish to preview first'),
    });
  });
});

describe('Product Ingestion: the run follows the submission it posted', () => {
  beforeEach(() => start());
  const posted = `${JOB_URL}#submission=${encodeURIComponent(`submission/${P}/${NEW}`)}`;

  it('after the job succeeds the posted id is followed: no job detail read', async () => {
    serve(PATHS.status, 'pi-job-succeeded');
    serve(PATHS.submissions, 'pi-submissions-going-live');
    const status = await h().client.getOperation(TARGET, posted);
    expect(status).toMatchObject({ operationUrl: LIVE_URL, phase: 'Publish to live', state: 'running' });
    expect(gets().map((c) => c.path)).toEqual([PATHS.status, PATHS.submissions]);
  });

  it.each([
    ['empty', 200, 'pi-job-detail-empty'],
    ['failing', 500, undefined],
  ] as const)(
    'a URL without the posted id and a job detail that is %s: the product tells, the run goes on',
    async (_n, code, name) => {
      serve(PATHS.status, 'pi-job-succeeded');
      if (name) serve(PATHS.detail, name);
      else serveBody(PATHS.detail, code, { error: { code: 'internalServerError', message: 'x' } });
      serve(PATHS.product, 'pi-product-list');
      serve(PATHS.submissions, 'pi-submissions-going-live');
      serve(PATHS.submissions, 'pi-submissions-going-live');
      const status = await h().client.getOperation(TARGET, JOB_URL);
      expect(status).toMatchObject({ operationId: `submission/${P}/${NEW}`, state: 'running', terminal: false });
    },
  );

  it('a submission not listed yet: notStarted for the grace period (from the first miss), then SubmissionNotListed', async () => {
    serve(PATHS.status, 'pi-job-succeeded');
    serve(PATHS.submissions, 'pi-submissions-ready');
    const first = await h().client.getOperation(TARGET, posted);
    expect(first).toMatchObject({ state: 'notStarted', rawStatus: 'notListed', terminal: false });
    expect(first.operationUrl).toContain('#notListedSince=');
    clock += 9 * 60_000;
    serve(PATHS.submissions, 'pi-submissions-ready');
    const again = await h().client.getOperation(TARGET, first.operationUrl);
    expect(again).toMatchObject({ state: 'notStarted', operationUrl: first.operationUrl });
    clock += 2 * 60_000;
    serve(PATHS.submissions, 'pi-submissions-ready');
    expect(await caught(h().client.getOperation(TARGET, first.operationUrl))).toMatchObject({
      code: 'SubmissionNotListed',
      retriable: false,
    });
    // listed at last within the grace period: followed as usual
    clock -= 5 * 60_000;
    serve(PATHS.submissions, 'pi-submissions-going-live');
    expect(await h().client.getOperation(TARGET, first.operationUrl)).toMatchObject({
      state: 'running',
      operationUrl: LIVE_URL,
    });
  });
});

describe('Product Ingestion: schema versions and key spellings', () => {
  it.each(['2022-07-01', '2022-03-01-preview3'])(
    'with $version %s the posted $schema stays pinned to 2022-03-01-preview2',
    async (version) => {
      start(version);
      const q = `$version=${version}`;
      serve(`/rp/product-ingestion/product?${q}&externalId=contoso-vm-offer`, 'pi-product-list');
      serve(`/rp/product-ingestion/submission/${P}?${q}`, 'pi-submissions-ready');
      pool()
        .intercept({ path: `/rp/product-ingestion/configure?${q}`, method: 'POST' })
        .reply(202, body('pi-configure-accepted'), { headers: json });
      await h().client.startGoLive(TARGET);
      const sent = JSON.parse(posts()[0]!.body) as { $schema: string; resources: { $schema: string }[] };
      expect(sent.$schema).toBe('https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2');
      expect(sent.resources[0]!.$schema).toBe('https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2');
    },
  );

  it('jobID is read as jobId', () => {
    expect(parseJobStatus(body('pi-configure-status-jobID'), 200)).toMatchObject({ jobId: JOB, state: 'succeeded' });
  });
});

describe('Product Ingestion: every job error code the record shows is classified, top level and nested, any case', () => {
  it.each(Object.entries(JOB_ERROR_CODE_DISPOSITION))('%s is %s', (code, disposition) => {
    for (const spelled of [code, code.toUpperCase()]) {
      const top = { code: spelled, message: 'x' };
      const nested = {
        code: 'internalServerError',
        message: 'Operation failed',
        details: [{ code: spelled, message: 'x' }],
      };
      for (const error of [top, nested]) {
        const advice = submitAgainAdvice([error]);
        if (disposition === 'transient') expect(advice).toEqual({ reason: 'JobServerError', maxTimes: 2 });
        else expect(advice).toBeUndefined();
      }
    }
  });

  it('a bare internalServerError (fixture) is JobServerError, submitted again at most twice', () => {
    const parsed = parseJobStatus(body('pi-job-failed-server-error'), 200);
    expect(parsed.state).toBe('failed');
    expect(parsed.errors?.[0]?.code).toBe('JobServerError');
    expect(submitAgainAdvice(parsed.rawErrors)).toEqual({ reason: 'JobServerError', maxTimes: 2 });
    expect(
      classifyJobError({
        code: 'internalServerError',
        details: [{ code: 'invalidState', message: 'certification failed' }],
      }),
    ).toBe('CertificationFailed');
  });
});

// ---- Cloud Partner Portal ----

const waiting = () =>
  body<{ status: string; steps: { id?: string; stepName?: string; status: string }[] }>(
    'cpp-offer-status-waiting-for-signoff',
  );

describe('Cloud Partner Portal: readiness under every documented offer status', () => {
  it.each(['NeverPublished', 'NotStarted', 'WaitingForPublisherReview', 'Running', 'Succeeded', 'Canceled', 'Failed'])(
    'sign-off waiting with top-level %s (and its camelCase) is ready',
    (top) => {
      for (const spelled of [top, top.charAt(0).toLowerCase() + top.slice(1)]) {
        const b = waiting();
        b.status = spelled;
        expect(parseOfferStatus(b, 200).readiness).toBe('ready');
      }
    },
  );

  it('every documented value is in the set the code compares with', () => {
    expect([...DOCUMENTED_OFFER_STATUSES]).toEqual(
      expect.arrayContaining([
        'neverpublished',
        'notstarted',
        'waitingforpublisherreview',
        'running',
        'succeeded',
        'canceled',
        'failed',
      ]),
    );
  });

  it('an undocumented top-level status is not ready (reported, no POST)', () => {
    const b = waiting();
    b.status = 'somethingNew';
    expect(parseOfferStatus(b, 200).readiness).toBe('notReady');
  });

  it('the sign-off step is found by id alone or by stepName alone', () => {
    const byId = waiting();
    const s1 = byId.steps.find((s) => s.id === 'publisher-signoff')!;
    delete s1.stepName;
    expect(parseOfferStatus(byId, 200).readiness).toBe('ready');
    const byName = waiting();
    const s2 = byName.steps.find((s) => s.id === 'publisher-signoff')!;
    delete s2.id;
    expect(parseOfferStatus(byName, 200).readiness).toBe('ready');
  });

  it('sign-off done and a later step in progress is a running go-live, whatever the top-level status', () => {
    const b = body<{ status: string }>('cpp-offer-status-golive-running');
    b.status = 'succeeded';
    expect(parseOfferStatus(b, 200).readiness).toBe('goLiveRunning');
    expect(parseOfferStatus(body('cpp-offer-status-live'), 200).readiness).toBe('notReady');
  });
});

describe('Cloud Partner Portal: where the operation is', () => {
  it('Location (relative), Operation-Location (absolute) or the body', () => {
    expect(operationLocationOf({ headers: { location: '/api/x/operations/1' }, body: undefined })).toBe(
      '/api/x/operations/1',
    );
    expect(
      operationLocationOf({
        headers: { 'operation-location': 'https://cloudpartner.azure.com/api/x/operations/2' },
        body: '',
      }),
    ).toBe('https://cloudpartner.azure.com/api/x/operations/2');
    expect(operationLocationOf({ headers: {}, body: { OperationLocation: '/api/x/operations/3' } })).toBe(
      '/api/x/operations/3',
    );
    expect(operationLocationOf({ headers: {}, body: [{ location: '/api/x/operations/4' }] })).toBe(
      '/api/x/operations/4',
    );
    expect(operationLocationOf({ headers: { location: ' ' }, body: {} })).toBeUndefined();
  });
});
