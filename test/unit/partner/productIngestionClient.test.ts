import { inspect } from 'node:util';

import { loadConfig } from '../../../src/config';
import { createPartnerApi } from '../../../src/partner';
import { StaticTokenCredential } from '../../../src/partner/credential';
import {
  GoLiveOutcomeUnknownError,
  OperationUrlRefusedError,
  PartnerApiError,
  PartnerTransportError,
} from '../../../src/partner/errors';
import {
  JobAlreadyCompletedError,
  ProductIngestionClient,
  type ProductIngestionClientOptions,
  SubmissionInProgressError,
} from '../../../src/partner/productIngestionClient';
import { minPollIntervalFor } from '../../../src/partner/productIngestionStatus';
import type { GoLiveTarget } from '../../../src/partner/types';
import { caught, json, type MockHarness, mockHarness, RUNNING_JOB } from './helpers';

const ORIGIN = 'https://graph.example.test';
const BASE = `${ORIGIN}/rp/product-ingestion`;
const V = '2022-03-01-preview2';
const Q = `$version=${V}`;
const TOKEN = 'pi-tok-51d2-SECRET-9ae0';
const P = '2f7c9c1e-1111-4a2b-9c3d-000000000abc';
const JOB = '6b2d1c0e-2222-4b3c-8d4e-000000000def';
const TARGET: GoLiveTarget = { api: 'productIngestion', publisherId: 'contoso', offerId: 'contoso-vm-offer' };

const PRODUCT_PATH = `/rp/product-ingestion/product?${Q}&externalId=contoso-vm-offer`;
const SUBMISSIONS_PATH = `/rp/product-ingestion/submission/${P}?${Q}`;
const CONFIGURE_PATH = `/rp/product-ingestion/configure?${Q}`;
const STATUS_PATH = `/rp/product-ingestion/configure/${JOB}/status?${Q}`;
const CANCEL_PATH = `/rp/product-ingestion/configure/${JOB}/cancel?${Q}`;
const JOB_URL = `${BASE}/configure/${JOB}/status?${Q}`;

const products = {
  value: [{ id: `product/${P}`, identity: { externalId: 'contoso-vm-offer' }, type: 'azureVirtualMachine' }],
};
const sub = (n: number, targetType: string, extra: Record<string, unknown> = {}) => ({
  id: `submission/${P}/${n}`,
  product: `product/${P}`,
  target: { targetType },
  ...extra,
});
const done = { status: 'completed', result: 'succeeded' };
const readySubmissions = {
  value: [sub(0, 'draft'), sub(1, 'preview', done), sub(1, 'live', done), sub(2, 'preview', done)],
};
const jobStatus = (jobStatus: string, jobResult: string, errors: unknown[] = []) => ({
  $schema: `https://schema.mp.microsoft.com/schema/configure-status/${V}`,
  jobId: JOB,
  jobStatus,
  jobResult,
  jobStart: '2024-05-01T10:00:00.0000000Z',
  jobEnd: '0001-01-01T00:00:00',
  errors,
});

type Harness = MockHarness<ProductIngestionClient>;

let h: Harness;

function harness(overrides: Partial<ProductIngestionClientOptions> = {}): Harness {
  return mockHarness(
    (common) =>
      new ProductIngestionClient({
        baseUrl: `${BASE}/`,
        schemaVersion: V,
        credential: new StaticTokenCredential(TOKEN),
        ...common,
        ...overrides,
      }),
  );
}

afterEach(async () => {
  await h.close();
});

const pool = () => h.agent.get(ORIGIN);

function mockLookup(submissions: object = readySubmissions) {
  pool().intercept({ path: PRODUCT_PATH, method: 'GET' }).reply(200, products, { headers: json });
  pool().intercept({ path: SUBMISSIONS_PATH, method: 'GET' }).reply(200, submissions, { headers: json });
}

function expectNoToken(e: unknown) {
  const texts = [inspect(e, { depth: 8 }), String(e), JSON.stringify(e) ?? ''];
  for (const text of texts) expect(text).not.toContain(TOKEN);
}

describe('startGoLive', () => {
  it('finds the product, picks the newest preview and POSTs configure with the live target', async () => {
    h = harness();
    mockLookup();
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .reply(202, jobStatus('notStarted', 'pending'), { headers: { ...json, 'retry-after': '90' } });
    const accepted = await h.client.startGoLive(TARGET);
    expect(accepted).toEqual({
      operationUrl: `${JOB_URL}#submission=${encodeURIComponent(`submission/${P}/2`)}`,
      operationId: JOB,
      retryAfterSeconds: 90,
    });

    const calls = h.calls();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      `GET ${PRODUCT_PATH}`,
      `GET ${SUBMISSIONS_PATH}`,
      `POST ${CONFIGURE_PATH}`,
    ]);
    for (const c of calls) {
      expect(c.headers['authorization']).toBe(`Bearer ${TOKEN}`);
      expect(c.path).toContain(`$version=${V}`);
    }
    expect(calls[2]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(calls[2]!.body)).toEqual({
      $schema: `https://schema.mp.microsoft.com/schema/configure/${V}`,
      resources: [
        {
          $schema: `https://schema.mp.microsoft.com/schema/submission/${V}`,
          id: `submission/${P}/2`,
          product: `product/${P}`,
          target: { targetType: 'live' },
        },
      ],
    });
  });

  it('uses productId without a product search, and caches a found product', async () => {
    h = harness();
    pool().intercept({ path: SUBMISSIONS_PATH, method: 'GET' }).reply(200, readySubmissions, { headers: json });
    pool().intercept({ path: CONFIGURE_PATH, method: 'POST' }).reply(202, jobStatus('notStarted', 'pending'));
    await h.client.startGoLive({ ...TARGET, productId: `product/${P}` });
    expect(h.calls().map((c) => c.method + ' ' + c.path.split('?')[0])).toEqual([
      `GET /rp/product-ingestion/submission/${P}`,
      'POST /rp/product-ingestion/configure',
    ]);

    mockLookup();
    pool().intercept({ path: SUBMISSIONS_PATH, method: 'GET' }).reply(200, readySubmissions, { headers: json });
    await h.client.listRunningOperations(TARGET);
    await h.client.listRunningOperations(TARGET);
    expect(h.calls().filter((c) => c.path.includes('/product?'))).toHaveLength(1);
  });

  it('refuses while a live submission is in flight, with a Conflict the workflow attaches on', async () => {
    h = harness();
    mockLookup({
      value: [sub(0, 'draft'), sub(1, 'preview', done), sub(1, 'live', { status: 'running', result: 'pending' })],
    });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(SubmissionInProgressError);
    expect(e).toMatchObject({
      code: 'Conflict',
      submissionId: `submission/${P}/1`,
      targetType: 'live',
      retriable: false,
    });
    expect(h.calls().some((c) => c.method === 'POST')).toBe(false);
  });

  it('refuses while a preview submission is still being published', async () => {
    h = harness();
    mockLookup({ value: [sub(0, 'draft'), sub(1, 'preview', done), sub(2, 'preview', { status: 'running' })] });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'Conflict', targetType: 'preview' });
    expect((e as Error).message).toMatch(/request the go-live again/);
  });

  it('refuses a product without a preview, and a failed preview', async () => {
    h = harness();
    mockLookup({ value: [sub(0, 'draft')] });
    expect(await caught(h.client.startGoLive(TARGET))).toMatchObject({ code: 'NotFound' });
    pool()
      .intercept({ path: SUBMISSIONS_PATH, method: 'GET' })
      .reply(200, { value: [sub(1, 'preview', { status: 'completed', result: 'failed' })] }, { headers: json });
    expect(await caught(h.client.startGoLive(TARGET))).toMatchObject({ code: 'PreconditionFailed' });
  });

  it('an unknown product is NotFound, and nothing is posted', async () => {
    h = harness();
    pool().intercept({ path: PRODUCT_PATH, method: 'GET' }).reply(200, { value: [] }, { headers: json });
    expect(await caught(h.client.startGoLive(TARGET))).toMatchObject({ code: 'NotFound' });
    expect(h.calls()).toHaveLength(1);
  });

  it('retries the POST after 429 and 503 (surely not accepted), honouring Retry-After', async () => {
    h = harness();
    mockLookup();
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .reply(
        429,
        { error: { code: 'tooManyRequests', message: 'slow down' } },
        { headers: { ...json, 'retry-after': '1' } },
      );
    pool().intercept({ path: CONFIGURE_PATH, method: 'POST' }).reply(503, '');
    pool().intercept({ path: CONFIGURE_PATH, method: 'POST' }).reply(202, jobStatus('notStarted', 'pending'));
    expect((await h.client.startGoLive(TARGET)).operationId).toBe(JOB);
    expect(h.sleeps[0]).toBe(1_000);
    expect(h.responses.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([429, 503, 202]);
  });

  it.each([500, 502, 504])('a %i to the POST is an unknown outcome, not retried', async (status) => {
    h = harness();
    mockLookup();
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .reply(status, { error: { code: 'x', message: 'y' } });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(e).toMatchObject({ code: 'OutcomeUnknown', statusCode: status });
    expect(h.calls().filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('a connection reset after sending is an unknown outcome; a refused connection is retried', async () => {
    h = harness();
    mockLookup();
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(h.calls().filter((c) => c.method === 'POST')).toHaveLength(1);

    pool().intercept({ path: SUBMISSIONS_PATH, method: 'GET' }).reply(200, readySubmissions, { headers: json });
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    pool().intercept({ path: CONFIGURE_PATH, method: 'POST' }).reply(202, jobStatus('notStarted', 'pending'));
    expect((await h.client.startGoLive(TARGET)).operationId).toBe(JOB);
  });

  it('a 202 without a job id is an unknown outcome (the live submission is found by listing)', async () => {
    h = harness();
    mockLookup();
    pool().intercept({ path: CONFIGURE_PATH, method: 'POST' }).reply(202, '');
    expect(await caught(h.client.startGoLive(TARGET))).toBeInstanceOf(GoLiveOutcomeUnknownError);
  });

  it('a 400 is a typed rejection carrying the API error, never the token', async () => {
    h = harness();
    mockLookup();
    pool()
      .intercept({ path: CONFIGURE_PATH, method: 'POST' })
      .reply(
        400,
        { error: { code: 'badRequest', message: `Schema validation failed near ${TOKEN}`, details: [] } },
        { headers: json },
      );
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(PartnerApiError);
    expect(e).toMatchObject({ code: 'BadRequest', statusCode: 400, retriable: false, detail: { code: 'badRequest' } });
    expect((e as Error).message).toContain('PRODUCT_INGESTION_SCHEMA_VERSION');
    expectNoToken(e);
  });

  it('a 401 says which scope to check', async () => {
    h = harness();
    pool()
      .intercept({ path: PRODUCT_PATH, method: 'GET' })
      .reply(401, { error: { code: 'unauthorized', message: 'no' } });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'Unauthorized', statusCode: 401 });
    expect((e as Error).message).toContain('https://graph.microsoft.com/.default');
  });
});

describe('getOperation', () => {
  it('reads the job status and maps it with synthesized steps', async () => {
    h = harness();
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .reply(200, jobStatus('running', 'pending'), { headers: json });
    const status = await h.client.getOperation(TARGET, JOB_URL);
    expect(status).toEqual({
      operationUrl: JOB_URL,
      operationId: JOB,
      phase: 'Submit',
      ...RUNNING_JOB,
    });
  });

  it('maps a failed job with its errors, the actionable code first', async () => {
    h = harness();
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .reply(
        200,
        jobStatus('completed', 'failed', [
          { code: 'internalServerError', message: 'An In Progress submission 2 already exists.', details: [] },
        ]),
        { headers: json },
      );
    const status = await h.client.getOperation(TARGET, JOB_URL);
    expect(status).toMatchObject({ state: 'failed', terminal: true, rawStatus: 'completed/failed' });
    expect(status.errors?.[0]).toMatchObject({
      code: 'JobServerError',
      message: 'An In Progress submission 2 already exists.',
    });
  });

  it('retries a 5xx on the status call and reports it as transient when it persists', async () => {
    h = harness({ maxRetries: 1 });
    pool().intercept({ path: STATUS_PATH, method: 'GET' }).reply(500, '').times(2);
    const e = await caught(h.client.getOperation(TARGET, JOB_URL));
    expect(e).toMatchObject({ code: 'ServerError', statusCode: 500, retriable: true });
    expect(h.calls()).toHaveLength(2);
  });

  it('hands a long Retry-After to the workflow instead of sleeping on it', async () => {
    h = harness();
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '600' } });
    const e = await caught(h.client.getOperation(TARGET, JOB_URL));
    expect(e).toMatchObject({ code: 'Throttled', retriable: true, retryAfterSeconds: 600 });
    expect(h.sleeps).toEqual([]);
  });

  it('refuses a job URL on another origin without sending anything', async () => {
    h = harness();
    const e = await caught(
      h.client.getOperation(TARGET, `https://evil.example.test/rp/product-ingestion/configure/${JOB}/status`),
    );
    expect(e).toBeInstanceOf(OperationUrlRefusedError);
    expect(h.calls()).toHaveLength(0);
  });

  it('follows an attached live submission through the submission list', async () => {
    h = harness();
    const url = `${BASE}/submission/${P}/2?${Q}`;
    pool()
      .intercept({ path: SUBMISSIONS_PATH, method: 'GET' })
      .reply(
        200,
        { value: [sub(2, 'preview', done), sub(2, 'live', { status: 'running', result: 'pending' })] },
        { headers: json },
      );
    expect(await h.client.getOperation(TARGET, url)).toMatchObject({
      operationId: `submission/${P}/2`,
      state: 'running',
      terminal: false,
      operationUrl: url,
    });
    pool()
      .intercept({ path: SUBMISSIONS_PATH, method: 'GET' })
      .reply(200, { value: [sub(2, 'live', { status: 'completed', result: 'failed' })] }, { headers: json });
    expect(await h.client.getOperation(TARGET, url)).toMatchObject({
      state: 'failed',
      terminal: true,
      errors: [{ code: 'LiveSubmissionFailed' }],
    });
    // Not listed (any more, or yet): not NotFound on the first miss; the URL keeps when the miss began.
    pool().intercept({ path: SUBMISSIONS_PATH, method: 'GET' }).reply(200, { value: [] }, { headers: json });
    const missed = await h.client.getOperation(TARGET, url);
    expect(missed).toMatchObject({ state: 'notStarted', rawStatus: 'notListed', terminal: false });
    expect(missed.operationUrl).toMatch(/#notListedSince=/);
  });

  it('a network error on a read is retried', async () => {
    h = harness();
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .reply(200, jobStatus('running', 'pending'), { headers: json });
    expect((await h.client.getOperation(TARGET, JOB_URL)).state).toBe('running');
    expect(h.responses.map((r) => r.errorCode ?? r.status)).toEqual(['NetworkError', 200]);
  });

  it('a read that never connects ends as a transport error', async () => {
    h = harness({ maxRetries: 0 });
    pool()
      .intercept({ path: STATUS_PATH, method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await caught(h.client.getOperation(TARGET, JOB_URL))).toBeInstanceOf(PartnerTransportError);
  });
});

describe('listRunningOperations and cancel', () => {
  it('lists live submissions that are not completed', async () => {
    h = harness();
    mockLookup({
      value: [
        sub(0, 'draft'),
        sub(1, 'live', done),
        sub(2, 'preview', { status: 'running' }),
        sub(2, 'live', { status: 'notStarted', result: 'pending', created: '2024-05-01T10:00:00Z' }),
      ],
    });
    expect(await h.client.listRunningOperations(TARGET)).toEqual([
      {
        operationUrl: `${BASE}/submission/${P}/2?${Q}`,
        operationId: `submission/${P}/2`,
        submissionType: 'live',
        rawStatus: 'notStarted',
        changedTime: '2024-05-01T10:00:00Z',
      },
    ]);
  });

  it('cancels the job (200 cancelled = completed)', async () => {
    h = harness();
    pool()
      .intercept({ path: CANCEL_PATH, method: 'POST' })
      .reply(200, jobStatus('completed', 'cancelled'), { headers: json });
    expect(await h.client.cancel(TARGET, JOB_URL)).toEqual({ completed: true });
  });

  it('a cancel still in progress gives the job URL to follow', async () => {
    h = harness();
    pool()
      .intercept({ path: CANCEL_PATH, method: 'POST' })
      .reply(202, jobStatus('running', 'pending'), { headers: json });
    expect(await h.client.cancel(TARGET, JOB_URL)).toEqual({ completed: false, operationUrl: JOB_URL });
  });

  it('a job that already completed gives JobAlreadyCompletedError', async () => {
    h = harness();
    pool()
      .intercept({ path: CANCEL_PATH, method: 'POST' })
      .reply(
        400,
        { error: { code: 'badRequest', message: 'Cannot cancel job, job has already completed.', details: [] } },
        { headers: json },
      );
    const e = await caught(h.client.cancel(TARGET, JOB_URL));
    expect(e).toBeInstanceOf(JobAlreadyCompletedError);
    expect(e).toMatchObject({ code: 'BadRequest', statusCode: 400, jobId: JOB });
  });

  it('tells a finished job by the 400 and its code, never the message; another 400 code stays a plain error', async () => {
    h = harness();
    pool()
      .intercept({ path: CANCEL_PATH, method: 'POST' })
      .reply(400, { error: { code: 'BadRequest', message: 'Something else entirely.' } }, { headers: json });
    expect(await caught(h.client.cancel(TARGET, JOB_URL))).toBeInstanceOf(JobAlreadyCompletedError);
    pool()
      .intercept({ path: CANCEL_PATH, method: 'POST' })
      .reply(400, { error: { code: 'invalidRequest', message: 'job has already completed.' } }, { headers: json });
    const e = await caught(h.client.cancel(TARGET, JOB_URL));
    expect(e).not.toBeInstanceOf(JobAlreadyCompletedError);
    expect(e).toMatchObject({ statusCode: 400 });
  });

  it('refuses to cancel without a job URL or on another origin, sending nothing', async () => {
    h = harness();
    expect(await caught(h.client.cancel(TARGET))).toMatchObject({ code: 'BadRequest' });
    expect(await caught(h.client.cancel(TARGET, `${BASE}/submission/${P}/2`))).toMatchObject({ code: 'BadRequest' });
    expect(
      await caught(h.client.cancel(TARGET, `https://evil.example.test/rp/product-ingestion/configure/${JOB}/status`)),
    ).toBeInstanceOf(OperationUrlRefusedError);
    expect(h.calls()).toHaveLength(0);
  });

  it('exposes the documented once-a-minute polling floor (configurable)', () => {
    h = harness();
    expect(h.client.minPollIntervalSeconds).toBe(60);
    expect(h.client.kind).toBe('productIngestion');
    expect(h.client.baseUrl).toBe(BASE);
    const fast = new ProductIngestionClient({
      baseUrl: BASE,
      schemaVersion: V,
      credential: new StaticTokenCredential(TOKEN),
      timeoutMs: 1_000,
      maxRetries: 0,
      minPollIntervalSeconds: 1,
      dispatcher: h.agent,
    });
    expect(fast.minPollIntervalSeconds).toBe(1);
  });
});

describe('createPartnerApi', () => {
  it("builds the Product Ingestion client for 'productIngestion', with the polling floor of its base URL", async () => {
    h = harness();
    const local = createPartnerApi(
      'productIngestion',
      loadConfig({
        PRODUCT_INGESTION_BASE_URL: 'http://127.0.0.1:7080/rp/product-ingestion',
        PRODUCT_INGESTION_TOKEN: 't',
      }),
      { dispatcher: h.agent },
    ) as ProductIngestionClient;
    expect(local).toBeInstanceOf(ProductIngestionClient);
    expect(local.kind).toBe('productIngestion');
    expect(local.baseUrl).toBe('http://127.0.0.1:7080/rp/product-ingestion');
    expect(local.minPollIntervalSeconds).toBe(0);
    const cloud = createPartnerApi('productIngestion', loadConfig({}), {
      dispatcher: h.agent,
      credential: new StaticTokenCredential(TOKEN),
    }) as ProductIngestionClient;
    expect(cloud.baseUrl).toBe('https://graph.microsoft.com/rp/product-ingestion');
    expect(cloud.minPollIntervalSeconds).toBe(60);
    expect(minPollIntervalFor('not a url')).toBe(60);
    expect(minPollIntervalFor('http://localhost:1/x')).toBe(0);
    await Promise.all([local.close(), cloud.close()]);
  });
});
