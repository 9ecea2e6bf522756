/**
 * The Product Ingestion client against the real simulator (tools/simulator) over real HTTP: success, certification
 * failure, collisions, cancel, throttling, server errors on the status call, lost connections and hostile URLs.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { StaticTokenCredential } from '../../../src/partner/credential';
import { GoLiveOutcomeUnknownError, OperationUrlRefusedError } from '../../../src/partner/errors';
import {
  JobAlreadyCompletedError,
  ProductIngestionClient,
  type ProductIngestionClientOptions,
  SubmissionInProgressError,
} from '../../../src/partner/productIngestionClient';
import { jobFailureDisposition } from '../../../src/partner/productIngestionStatus';
import type { GoLiveTarget, OperationStatus } from '../../../src/partner/types';
import { productGuidFor, type RunningSimulator, startSimulator, submissionIdsFor } from '../../../tools/simulator';
import { caught } from './helpers';

const V = '2022-03-01-preview2';
const TARGET: GoLiveTarget = { api: 'productIngestion', publisherId: 'contoso', offerId: 'contoso-vm-offer' };
const OTHER: GoLiveTarget = { api: 'productIngestion', publisherId: 'fabrikam', offerId: 'fabrikam-vm' };

let sim: RunningSimulator;
const clients: ProductIngestionClient[] = [];

function client(overrides: Partial<ProductIngestionClientOptions> = {}): ProductIngestionClient {
  const c = new ProductIngestionClient({
    baseUrl: `${sim.url}/rp/product-ingestion`,
    schemaVersion: V,
    credential: new StaticTokenCredential('local-dev-token'),
    timeoutMs: 5_000,
    maxRetries: 3,
    retryBaseMs: 10,
    retryMaxMs: 2_000,
    minPollIntervalSeconds: 0,
    ...overrides,
  });
  clients.push(c);
  return c;
}

/** Reads until terminal, following the operation URL the client hands on (the job, then the live submission). */
async function untilTerminal(
  c: ProductIngestionClient,
  target: GoLiveTarget,
  url: string,
  seen: OperationStatus[] = [],
): Promise<OperationStatus> {
  let next = url;
  for (let i = 0; i < 200; i++) {
    const status = await c.getOperation(target, next);
    seen.push(status);
    if (status.terminal) return status;
    next = status.operationUrl;
    await sleep(50);
  }
  throw new Error('the go-live did not end');
}

beforeAll(async () => {
  sim = await startSimulator({ defaults: { durationMs: 400, jobDurationMs: 100 } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});
beforeEach(() => sim.admin.reset());

it('takes a product live: the configure job (Submit), then the live submission with the preview id (Publish to live)', async () => {
  const c = client();
  const ids = submissionIdsFor('contoso-vm-offer');
  const since = new Date(Date.now() - 1_000).toISOString();
  const accepted = await c.startGoLive(TARGET);
  expect(accepted.operationUrl).toMatch(
    `${sim.url}/rp/product-ingestion/configure/${accepted.operationId}/status?$version=${V}#submission=`,
  );

  const first = await c.getOperation(TARGET, accepted.operationUrl);
  expect(first.terminal).toBe(false);
  expect(first.steps.map((s) => s.stepName)).toEqual(['Submit', 'Publish to live']);

  const seen: OperationStatus[] = [];
  const end = await untilTerminal(c, TARGET, accepted.operationUrl, seen);
  // The job's success alone never ended it: the live submission was seen running beside the old live entry.
  expect(seen.some((st) => st.phase === 'Publish to live' && st.state === 'running')).toBe(true);
  expect(seen.filter((st) => st.phase === 'Submit').every((st) => !st.terminal)).toBe(true);
  expect(end).toMatchObject({
    state: 'succeeded',
    rawStatus: 'completed/succeeded',
    progressPercentage: 100,
    phase: 'Publish to live',
    operationId: ids.preview,
    operationUrl: `${sim.url}/rp/product-ingestion/submission/${ids.preview.split('/').slice(1).join('/')}?$version=${V}`,
  });
  expect(end.steps.map((s) => s.status)).toEqual(['complete', 'complete']);
  expect(await c.findGoLives(TARGET)).toEqual([]);
  expect(await c.findGoLives(TARGET, { finishedSince: since })).toEqual([
    expect.objectContaining({ operationId: ids.preview, running: false, rawStatus: 'completed/succeeded' }),
  ]);

  const requests = sim.admin.requests({ pathIncludes: '/rp/product-ingestion/' });
  for (const r of requests) {
    expect(r.query['$version']).toBe(V);
    expect(r.hadAuthorization).toBe(true);
    expect(r.status).toBeLessThan(300);
  }
  const configure = requests.filter((r) => r.method === 'POST');
  expect(configure.map((r) => r.path)).toEqual(['/rp/product-ingestion/configure']);
});

it('a live submission that fails ends failed with its id and result; the job had succeeded', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { outcome: 'failed' });
  const c = client();
  const accepted = await c.startGoLive({ ...TARGET, productId: `product/${productGuidFor('contoso-vm-offer')}` });
  const end = await untilTerminal(c, TARGET, accepted.operationUrl);
  expect(end).toMatchObject({
    state: 'failed',
    terminal: true,
    rawStatus: 'completed/failed',
    phase: 'Publish to live',
  });
  expect(end.errors?.[0]).toMatchObject({
    code: 'LiveSubmissionFailed',
    message: expect.stringContaining(`${submissionIdsFor('contoso-vm-offer').preview} completed with result failed`),
  });
  expect(end.steps.map((s) => s.status)).toEqual(['complete', 'failed']);
  expect(end.submitAgain).toBeUndefined();
  // productId given: no product search.
  expect(sim.admin.requests().filter((r) => r.path === '/rp/product-ingestion/product')).toHaveLength(0);
});

it('a certification failure nested in the job error ends failed with CertificationFailed, no advice to resubmit', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { jobError: 'certification' });
  const c = client();
  const accepted = await c.startGoLive(TARGET);
  const end = await untilTerminal(c, TARGET, accepted.operationUrl);
  expect(end).toMatchObject({ state: 'failed', rawStatus: 'completed/failed', phase: 'Submit' });
  expect(end.errors?.[0]?.code).toBe('CertificationFailed');
  expect(end.errors?.[0]?.message).toContain('Certification');
  expect(jobFailureDisposition(end.errors)).toBe('permanent');
  expect(end.submitAgain).toBeUndefined();
});

it('an already-live preview is not posted: the answer says alreadyLive', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { previewAlreadyLive: true });
  const c = client();
  const accepted = await c.startGoLive(TARGET);
  expect(accepted.operationId).toBe(submissionIdsFor('contoso-vm-offer').preview);
  expect(accepted.alreadyLive?.status).toMatchObject({ state: 'succeeded', terminal: true });
  expect(accepted.alreadyLive?.reason).toContain('already live');
  expect(sim.admin.requests({ method: 'POST' })).toHaveLength(0);
});

it('finds a product listed under identity.externalID', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { identityKey: 'externalID' });
  const c = client();
  await c.startGoLive(TARGET);
  expect(sim.admin.requests({ method: 'POST' })).toHaveLength(1);
});

it('refuses a second go-live while the first live submission runs, and lists it to attach to', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { neverEnds: true });
  const c = client();
  await c.startGoLive(TARGET);
  for (let i = 0; i < 100 && (await c.findGoLives(TARGET)).length === 0; i++) await sleep(20);
  const e = await caught(c.startGoLive(TARGET));
  expect(e).toBeInstanceOf(SubmissionInProgressError);
  expect(e).toMatchObject({ code: 'Conflict', targetType: 'live' });
  expect(sim.admin.requests({ method: 'POST' })).toHaveLength(1);

  const running = await c.findGoLives(TARGET);
  expect(running).toHaveLength(1);
  expect(running[0]).toMatchObject({
    submissionType: 'live',
    running: true,
    operationId: submissionIdsFor('contoso-vm-offer').preview,
  });
  const attached = await c.getOperation(TARGET, running[0]!.operationUrl);
  expect(attached.terminal).toBe(false);
  expect(['notStarted', 'running']).toContain(attached.state);
});

it('two racing go-lives: the job that collides fails with the API code internalServerError, JobServerError (submitted again: attaches)', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { neverEnds: true, latencyMs: 150 });
  const a = client();
  const b = client();
  const [first, second] = await Promise.all([a.startGoLive(TARGET), b.startGoLive(TARGET)]);
  await sleep(20);
  const statuses = await Promise.all([
    a.getOperation(TARGET, first.operationUrl),
    b.getOperation(TARGET, second.operationUrl),
  ]);
  // One of the two jobs runs (never ends); the other was refused at once.
  expect(statuses.map((st) => st.terminal).sort()).toEqual([false, true]);
  const refused = statuses.find((st) => st.terminal)!;
  expect(refused.state).toBe('failed');
  expect(refused.errors?.[0]).toMatchObject({ code: 'JobServerError' });
  expect(refused.errors?.[0]?.message).toMatch(/An In Progress submission \d{19} already exists/);
  expect(jobFailureDisposition(refused.errors)).toBe('transient');
  expect(refused.submitAgain).toEqual({ reason: 'JobServerError', maxTimes: 2 });
});

it('cancels a running job; a second cancel is JobAlreadyCompletedError', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { jobDurationMs: 60_000 });
  const c = client();
  const accepted = await c.startGoLive(TARGET);
  expect(await c.cancel(TARGET, accepted.operationUrl)).toEqual({ completed: true });
  const end = await c.getOperation(TARGET, accepted.operationUrl);
  expect(end).toMatchObject({ state: 'canceled', terminal: true, rawStatus: 'completed/cancelled' });
  expect(end.steps[0]?.status).toBe('canceled');
  expect(await caught(c.cancel(TARGET, accepted.operationUrl))).toBeInstanceOf(JobAlreadyCompletedError);
  expect(await c.listRunningOperations(TARGET)).toEqual([]);
});

it('honours 429 Retry-After (the submission read is throttled twice) and goes live', async () => {
  const c = client();
  await c.listRunningOperations(TARGET); // product found and cached
  sim.admin.resetRequests();
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { throttle: { count: 2, retryAfterSeconds: 1 } });
  const accepted = await c.startGoLive(TARGET);
  // GET submission (429, 429, 200), then POST 202.
  expect(sim.admin.requests().map((r) => `${r.method} ${r.status}`)).toEqual([
    'GET 429',
    'GET 429',
    'GET 200',
    'POST 202',
  ]);
  expect((await untilTerminal(c, TARGET, accepted.operationUrl)).state).toBe('succeeded');
}, 15_000);

it('treats 5xx on the status call as transient: retried within the call, else a retriable error', async () => {
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { neverEnds: true });
  const c = client();
  const accepted = await c.startGoLive(TARGET);
  sim.admin.setScenario('contoso', 'contoso-vm-offer', { serverErrors: { count: 2, status: 500 } });
  expect((await c.getOperation(TARGET, accepted.operationUrl)).state).toMatch(/notStarted|running/);

  sim.admin.setScenario('contoso', 'contoso-vm-offer', { serverErrors: { count: 1, status: 502 } });
  const e = await caught(client({ maxRetries: 0 }).getOperation(TARGET, accepted.operationUrl));
  expect(e).toMatchObject({ code: 'ServerError', statusCode: 502, retriable: true });
});

it('refuses a job URL on another origin: the other origin sees nothing', async () => {
  const c = client();
  const e = await caught(c.getOperation(TARGET, `${sim.otherOriginUrl}/rp/product-ingestion/configure/abc/status`));
  expect(e).toBeInstanceOf(OperationUrlRefusedError);
  expect(sim.admin.requests({ origin: 'other' })).toHaveLength(0);
});

it('a reset after the configure POST is GoLiveOutcomeUnknownError; listing finds the live submission', async () => {
  const c = client();
  await c.listRunningOperations(OTHER); // product found and cached
  sim.admin.resetRequests();
  // Each answer waits 300 ms, after the request has met its fault: once the go-live's submission read is seen,
  // a reset set now hits its POST, after the job was created.
  sim.admin.setScenario('fabrikam', 'fabrikam-vm', { durationMs: 60_000, jobDurationMs: 0, latencyMs: 300 });
  const start = c.startGoLive(OTHER);
  await waitForRequest('GET', 'fabrikam-vm', 1);
  sim.admin.setScenario('fabrikam', 'fabrikam-vm', { resetConnections: { count: 1, phase: 'after' } });
  const e = await caught(start);
  expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
  expect(sim.admin.requests({ method: 'POST' }).map((r) => r.connectionReset)).toEqual(['after']);
  const running = await c.listRunningOperations(OTHER);
  expect(running).toHaveLength(1);
  expect((await c.getOperation(OTHER, running[0]!.operationUrl)).terminal).toBe(false);
});

async function waitForRequest(method: string, offerId: string, count: number) {
  for (let i = 0; i < 200; i++) {
    if (sim.admin.requests({ method, offerId }).length >= count) return;
    await sleep(1);
  }
  throw new Error('request not seen');
}
