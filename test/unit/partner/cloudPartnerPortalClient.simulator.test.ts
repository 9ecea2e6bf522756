/**
 * The CPP client against the real simulator over real HTTP: every status code the simulator produces and every
 * fault scenario. Retry delays are tiny (retryBaseMs 5); Retry-After waits are recorded and shortened.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import {
  CloudPartnerPortalClient,
  type CloudPartnerPortalClientOptions,
} from '../../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../../src/partner/credential';
import {
  GoLiveOutcomeUnknownError,
  NotReadyForGoLiveError,
  OperationUrlRefusedError,
  PartnerApiError,
  PartnerTransportError,
} from '../../../src/partner/errors';
import type { ResponseInfo } from '../../../src/partner/http';
import { LOOKUP_REUSE_MS } from '../../../src/partner/shared';
import type { GoLiveTarget, OperationStatus } from '../../../src/partner/types';
import { type RunningSimulator, startSimulator } from '../../../tools/simulator';
import { freePort } from '../../support/ports';
import { waitFor } from '../../support/wait';
import { caught, errorTexts } from './helpers';

const SIM_TOKEN = 'sim-token-5e2d-SECRET-c4f1';
const PUB = 'contoso';
const OFFER = 'contoso-vm-offer';
const TARGET: GoLiveTarget = { api: 'cpp', publisherId: PUB, offerId: OFFER };

let sim: RunningSimulator;
const clients: CloudPartnerPortalClient[] = [];
/** Every error the tests saw, checked for the token at the end. */
const seenErrors: unknown[] = [];

interface Made {
  client: CloudPartnerPortalClient;
  responses: ResponseInfo[];
  sleeps: number[];
}

function make(overrides: Partial<CloudPartnerPortalClientOptions> = {}): Made {
  const responses: ResponseInfo[] = [];
  const sleeps: number[] = [];
  const client = new CloudPartnerPortalClient({
    baseUrl: sim.url,
    apiVersion: '2017-10-31',
    scope: `${sim.url}/.default`,
    credential: new StaticTokenCredential(SIM_TOKEN),
    timeoutMs: 5_000,
    maxRetries: 3,
    retryBaseMs: 5,
    retryMaxMs: 2_000,
    onResponse: (info) => responses.push(info),
    // Records the wait asked for; waits at most 20 ms so tests stay fast.
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      await sleep(Math.min(ms, 20), undefined, signal ? { signal } : undefined);
    },
    ...overrides,
  });
  clients.push(client);
  return { client, responses, sleeps };
}

/**
 * For the tests of the Go Live POST's own answers and faults: without the offer status read before it (which the
 * scenario's fault counters would otherwise meet first). The read itself is tested under "offer status".
 */
const POST_ONLY: Partial<CloudPartnerPortalClientOptions> = { checkOfferStatus: false };

async function fails(promise: Promise<unknown>): Promise<PartnerApiError> {
  const e = await caught(promise);
  seenErrors.push(e);
  expect(e).toBeInstanceOf(PartnerApiError);
  return e as PartnerApiError;
}

async function untilTerminal(client: CloudPartnerPortalClient, url: string): Promise<OperationStatus> {
  return waitFor(
    async () => {
      const status = await client.getOperation(TARGET, url);
      return status.terminal ? status : undefined;
    },
    { intervalMs: 25, timeoutMs: 10_000, what: 'a terminal operation' },
  );
}

const offerRequests = (method?: string) =>
  sim.admin.requests({ publisherId: PUB, offerId: OFFER, ...(method ? { method } : {}) });

beforeAll(async () => {
  sim = await startSimulator({ port: 0, token: SIM_TOKEN, defaults: { durationMs: 200, cancelDelayMs: 50 } });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  sim.admin.reset();
});

afterAll(async () => {
  await sim.close();
  // No error message, serialized error or inspected error chain ever held the token.
  for (const e of seenErrors) for (const text of errorTexts(e)) expect(text).not.toContain(SIM_TOKEN);
});

describe('go-live to completion', () => {
  it('starts a go-live, follows the relative Location, and sees it complete', async () => {
    const { client } = make();
    const accepted = await client.startGoLive(TARGET);
    expect(accepted.operationUrl.startsWith(`${sim.url}/api/publishers/${PUB}/offers/${OFFER}/operations/`)).toBe(true);
    expect(accepted.operationUrl).toContain('api-version=2017-10-31');
    const first = await client.getOperation(TARGET, accepted.operationUrl);
    expect(first.operationId).toBe(accepted.operationId);
    expect(first.terminal).toBe(false);
    expect(first.steps.length).toBeGreaterThan(1);
    const done = await untilTerminal(client, accepted.operationUrl);
    expect(done).toMatchObject({ rawStatus: 'complete', state: 'succeeded', progressPercentage: 100 });
    expect(done.steps.every((s) => s.status === 'complete')).toBe(true);
    expect(offerRequests('POST')).toHaveLength(1);
    expect(offerRequests().every((r) => r.hadAuthorization)).toBe(true);
  });

  it.each(['complete', 'completed'] as const)('reads the %s spelling as succeeded', async (statusSpelling) => {
    sim.admin.setScenario(PUB, OFFER, { statusSpelling });
    const { client } = make();
    const done = await untilTerminal(client, (await client.startGoLive(TARGET)).operationUrl);
    expect(done).toMatchObject({ rawStatus: statusSpelling, state: 'succeeded' });
  });

  it('reports a failed go-live with the blocked step as the error', async () => {
    sim.admin.setScenario(PUB, OFFER, { outcome: 'failed' });
    const { client } = make();
    const done = await untilTerminal(client, (await client.startGoLive(TARGET)).operationUrl);
    expect(done.state).toBe('failed');
    expect(done.errors?.[0]).toMatchObject({
      code: 'StepBlocked',
      message: expect.stringContaining('Live failed'),
    });
  });

  it('reports a canceled outcome', async () => {
    sim.admin.setScenario(PUB, OFFER, { outcome: 'canceled' });
    const { client } = make();
    const done = await untilTerminal(client, (await client.startGoLive(TARGET)).operationUrl);
    expect(done).toMatchObject({ state: 'canceled', rawStatus: 'canceled' });
  });

  it.each(['operation-location-absolute', 'both', 'location-legacy'] as const)(
    'follows the %s operation URL form',
    async (locationHeader) => {
      sim.admin.setScenario(PUB, OFFER, { locationHeader });
      const { client } = make();
      const accepted = await client.startGoLive(TARGET);
      expect(new URL(accepted.operationUrl).origin).toBe(sim.url);
      if (locationHeader === 'location-legacy')
        expect(accepted.operationId).toMatch(/^contoso\$contoso-vm-offer\$\d+\$production$/);
      expect((await untilTerminal(client, accepted.operationUrl)).state).toBe('succeeded');
    },
  );

  it('refuses a hostile Location: the other origin gets no request, and no token', async () => {
    sim.admin.setScenario(PUB, OFFER, { locationHeader: 'hostile' });
    const { client } = make();
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(OperationUrlRefusedError);
    expect((e as OperationUrlRefusedError).refusedOrigin).toBe(sim.otherOriginUrl);
    const e2 = await fails(
      client.getOperation(TARGET, `${sim.otherOriginUrl}/api/publishers/${PUB}/offers/${OFFER}/operations/x`),
    );
    expect(e2).toBeInstanceOf(OperationUrlRefusedError);
    expect(sim.admin.requests({ origin: 'other' })).toHaveLength(0);
  });

  it('keeps reading a never-ending operation as running', async () => {
    sim.admin.setScenario(PUB, OFFER, { neverEnds: true, durationMs: 20 });
    const { client } = make();
    const { operationUrl } = await client.startGoLive(TARGET);
    await sleep(60);
    for (let i = 0; i < 3; i++) {
      expect(await client.getOperation(TARGET, operationUrl)).toMatchObject({ state: 'running', terminal: false });
    }
  });

  it('passes on the Retry-After of the 202 and of a running operation', async () => {
    sim.admin.setScenario(PUB, OFFER, { operationRetryAfterSeconds: 120, durationMs: 60_000 });
    const { client } = make();
    const accepted = await client.startGoLive(TARGET);
    expect(accepted.retryAfterSeconds).toBe(120);
    expect((await client.getOperation(TARGET, accepted.operationUrl)).retryAfterSeconds).toBe(120);
  });
});

describe('offer status before the Go Live', () => {
  const statusReads = () => offerRequests('GET').filter((r) => r.path.endsWith('/status'));

  it('reads the status first and posts when the sign-off step waits for the publisher', async () => {
    const { client } = make();
    await client.startGoLive(TARGET);
    expect(statusReads()).toHaveLength(1);
    expect(offerRequests('POST')).toHaveLength(1);
    expect(statusReads()[0]!.time <= offerRequests('POST')[0]!.time).toBe(true);
  });

  it.each(['certifying', 'live'] as const)(
    'offer %s: NotReadyForGoLive with the status and steps, and no POST',
    async (offerStatus) => {
      sim.admin.setScenario(PUB, OFFER, { offerStatus });
      const { client } = make();
      const e = await fails(client.startGoLive(TARGET));
      expect(e).toBeInstanceOf(NotReadyForGoLiveError);
      expect(e).toMatchObject({ code: 'NotReadyForGoLive', retriable: false });
      expect(e.message).toContain(offerStatus === 'live' ? '"succeeded"' : '"running"');
      expect(e.message).toContain(offerStatus === 'live' ? 'Publisher signoff complete' : 'Certification inProgress');
      expect(e.body).toMatchObject({ status: offerStatus === 'live' ? 'succeeded' : 'running' });
      expect(offerRequests('POST')).toHaveLength(0);
    },
  );

  it('a go-live already running: Conflict without a second POST, and the running go-live is listed', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000 });
    const { client } = make();
    const first = await client.startGoLive(TARGET);
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'Conflict', retriable: false });
    expect(offerRequests('POST')).toHaveLength(1);
    expect((await client.findGoLives(TARGET)).map((op) => op.operationId)).toEqual([first.operationId]);
  });

  it('one read before the Go Live: the lookup reads the status of a ready offer, not its submissions, and the POST uses it', async () => {
    const { client } = make();
    const before = { finishedSince: new Date(Date.now() - 60_000).toISOString(), beforeGoLive: true, unsent: true };
    expect(await client.findGoLives(TARGET, before)).toEqual([]);
    await client.startGoLive(TARGET);
    expect(offerRequests().map((r) => `${r.method} ${r.path.split('/').at(-1)}`)).toEqual([
      'GET status',
      'POST golive',
    ]);
  });

  it('a submit that may have sent its Go Live before reads the submissions too; the POST still uses the status read', async () => {
    const { client } = make();
    const before = { finishedSince: new Date(Date.now() - 60_000).toISOString(), beforeGoLive: true };
    expect(await client.findGoLives(TARGET, before)).toEqual([]);
    await client.startGoLive(TARGET);
    expect(offerRequests().map((r) => `${r.method} ${r.path.split('/').at(-1)}`)).toEqual([
      'GET status',
      'GET ',
      'POST golive',
    ]);
  });

  it('an offer not ready: the lookup reads the submissions too, and a go-live running is found', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000 });
    const { client } = make();
    const first = await client.startGoLive(TARGET);
    const before = { finishedSince: new Date(Date.now() - 60_000).toISOString(), beforeGoLive: true };
    expect((await client.findGoLives(TARGET, before)).map((op) => op.operationId)).toEqual([first.operationId]);
    expect(offerRequests('GET').map((r) => r.path.split('/').at(-1))).toEqual(['status', 'status', '']);
  });

  it('the status the lookup read is used once', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000 });
    const { client } = make();
    await client.findGoLives(TARGET, { beforeGoLive: true });
    await client.startGoLive(TARGET);
    expect(await fails(client.startGoLive(TARGET))).toMatchObject({ code: 'Conflict' });
    expect(statusReads()).toHaveLength(2);
    expect(offerRequests('POST')).toHaveLength(1);
  });

  it('the status the lookup read is not used after LOOKUP_REUSE_MS', async () => {
    const clock = { now: Date.now() };
    const { client } = make({ now: () => clock.now });
    await client.findGoLives(TARGET, { beforeGoLive: true });
    clock.now += LOOKUP_REUSE_MS + 1;
    await client.startGoLive(TARGET);
    expect(statusReads()).toHaveLength(2);
  });

  it('lists a finished go-live only when asked for those created since a time', async () => {
    const { client } = make();
    const since = new Date(Date.now() - 60_000).toISOString();
    const accepted = await client.startGoLive(TARGET);
    await untilTerminal(client, accepted.operationUrl);
    expect(await client.findGoLives(TARGET)).toEqual([]);
    expect(await client.findGoLives(TARGET, { finishedSince: since })).toEqual([
      expect.objectContaining({ operationId: accepted.operationId, running: false, rawStatus: 'complete' }),
    ]);
    expect(await client.findGoLives(TARGET, { finishedSince: new Date(Date.now() + 60_000).toISOString() })).toEqual(
      [],
    );
  });
});

describe('running operations and cancel', () => {
  it('lists the running go-live and cancels it (202, then canceled)', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000 });
    const { client } = make();
    const accepted = await client.startGoLive(TARGET);
    const running = await client.listRunningOperations(TARGET);
    expect(running).toEqual([
      expect.objectContaining({ operationId: accepted.operationId, submissionType: 'goLive', rawStatus: 'running' }),
    ]);
    expect(running[0]?.operationUrl).toBe(accepted.operationUrl);
    const canceled = await client.cancel(TARGET, accepted.operationUrl);
    expect(canceled.completed).toBe(false);
    expect(new URL(canceled.operationUrl ?? '').origin).toBe(sim.url);
    expect((await untilTerminal(client, accepted.operationUrl)).state).toBe('canceled');
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
  });

  it('cancel answering 200 is complete at once', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000, cancelResponse: 'ok' });
    const { client } = make();
    const accepted = await client.startGoLive(TARGET);
    expect(await client.cancel(TARGET)).toEqual({ completed: true });
    expect((await client.getOperation(TARGET, accepted.operationUrl)).state).toBe('canceled');
  });
});

describe('status codes', () => {
  it('401 for a wrong token', async () => {
    const { client } = make({ credential: new StaticTokenCredential('not-the-token') });
    const e = await fails(client.getOperation(TARGET, `/api/publishers/${PUB}/offers/${OFFER}/operations/x`));
    expect(e).toMatchObject({ code: 'Unauthorized', statusCode: 401, retriable: false });
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.message).toContain('PARTNER_API_SCOPE');
  });

  it('400 InvalidAPIVersion for a wrong api-version', async () => {
    const { client } = make({ apiVersion: '2016-08-01-preview' });
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'BadRequest', statusCode: 400, detail: { code: 'InvalidAPIVersion' } });
    expect(e.message).toContain('PARTNER_API_VERSION');
    // Refused at the offer status read: the Go Live was never sent.
    expect(offerRequests('POST')).toHaveLength(0);
  });

  it('404 for an unknown offer or publisher', async () => {
    const { client } = make();
    for (const target of [
      { ...TARGET, offerId: 'no-such-offer' },
      { ...TARGET, publisherId: 'nobody' },
    ]) {
      const e = await fails(client.startGoLive(target));
      expect(e).toMatchObject({ code: 'NotFound', statusCode: 404, retriable: false });
      expect(e.message).toContain(`'${target.offerId}'`);
    }
    const e = await fails(client.getOperation(TARGET, `/api/publishers/${PUB}/offers/${OFFER}/operations/nope`));
    expect(e.code).toBe('NotFound');
  });

  it.each([
    [409, 'Conflict'],
    [412, 'PreconditionFailed'],
    [422, 'UnprocessableEntity'],
  ])('%i for a go-live while one runs', async (conflictStatus, code) => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000, conflictStatus });
    const { client } = make(POST_ONLY);
    await client.startGoLive(TARGET);
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toMatchObject({ code, statusCode: conflictStatus, retriable: false });
    expect(e).not.toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(offerRequests('POST')).toHaveLength(2);
  });
});

describe('throttling and server errors', () => {
  it('reads: N throttles with Retry-After → N+1 attempts, waiting as told', async () => {
    const { client, sleeps, responses } = make();
    const { operationUrl } = await client.startGoLive(TARGET);
    sim.admin.resetRequests();
    sim.admin.setScenario(PUB, OFFER, { throttle: { count: 2, retryAfterSeconds: 1 } });
    await client.getOperation(TARGET, operationUrl);
    expect(offerRequests('GET').map((r) => r.status)).toEqual([429, 429, 200]);
    expect(sleeps).toEqual([1_000, 1_000]);
    expect(responses.slice(-3).map((r) => [r.attempt, r.status])).toEqual([
      [1, 429],
      [2, 429],
      [3, 200],
    ]);
  });

  it('go-live: throttles and 503s are retried (surely not accepted) and one operation results', async () => {
    sim.admin.setScenario(PUB, OFFER, {
      throttle: { count: 1, retryAfterSeconds: 0 },
      serverErrors: { count: 1, status: 503 },
    });
    const { client } = make(POST_ONLY);
    await client.startGoLive(TARGET);
    expect(offerRequests('POST').map((r) => r.status)).toEqual([429, 503, 202]);
    expect(await client.listRunningOperations(TARGET)).toHaveLength(1);
  });

  it('gives up after maxRetries with Throttled and its Retry-After', async () => {
    sim.admin.setScenario(PUB, OFFER, { throttle: { count: 10, retryAfterSeconds: 1 } });
    const { client } = make({ maxRetries: 2 });
    const e = await fails(client.listRunningOperations(TARGET));
    expect(e).toMatchObject({ code: 'Throttled', statusCode: 429, retriable: true, retryAfterSeconds: 1 });
    expect(offerRequests('GET')).toHaveLength(3);
  });

  it('reads: 5xx are retried', async () => {
    sim.admin.setScenario(PUB, OFFER, { serverErrors: { count: 2, status: 500 } });
    const { client, responses } = make();
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
    expect(responses.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it.each([500, 502, 504])('go-live: %i is an unknown outcome, never retried', async (status) => {
    sim.admin.setScenario(PUB, OFFER, { serverErrors: { count: 1, status } });
    const { client } = make(POST_ONLY);
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(e.statusCode).toBe(status);
    expect(offerRequests('POST')).toHaveLength(1);
    // The fault answered instead of the partner API, so nothing runs: the caller may submit again.
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
  });
});

describe('connections and timeouts', () => {
  it('reads: a reset before handling is retried', async () => {
    sim.admin.setScenario(PUB, OFFER, { resetConnections: { count: 2, phase: 'before' } });
    const { client, responses } = make();
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
    expect(offerRequests('GET').map((r) => r.connectionReset ?? r.status)).toEqual(['before', 'before', 200]);
    expect(responses.map((r) => r.errorCode ?? r.status)).toEqual(['NetworkError', 'NetworkError', 200]);
  });

  it('go-live: a reset before handling is an unknown outcome; the list then shows nothing ran', async () => {
    sim.admin.setScenario(PUB, OFFER, { resetConnections: { count: 1, phase: 'before' } });
    const { client } = make(POST_ONLY);
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(offerRequests('POST')).toHaveLength(1);
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
  });

  it('go-live: a reset after acceptance is an unknown outcome; the list finds the operation', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000, resetConnections: { count: 1, phase: 'after' } });
    const { client } = make(POST_ONLY);
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(e.cause).toBeInstanceOf(PartnerTransportError);
    expect(offerRequests('POST')).toHaveLength(1);
    const running = await client.listRunningOperations(TARGET);
    expect(running).toEqual([expect.objectContaining({ submissionType: 'goLive', rawStatus: 'running' })]);
    expect((await client.getOperation(TARGET, running[0]!.operationUrl)).terminal).toBe(false);
  });

  it('reads: latency over the timeout is retried, then reported as Timeout', async () => {
    sim.admin.setScenario(PUB, OFFER, { latencyMs: 400 });
    const { client, responses } = make({ timeoutMs: 100, maxRetries: 1 });
    const e = await fails(client.listRunningOperations(TARGET));
    expect(e).toMatchObject({ code: 'Timeout', retriable: true });
    expect(e.message).toContain('PARTNER_API_TIMEOUT_SECONDS');
    expect(responses.map((r) => r.errorCode)).toEqual(['Timeout', 'Timeout']);
  });

  it('reads: latency under the timeout is fine', async () => {
    sim.admin.setScenario(PUB, OFFER, { latencyMs: 50 });
    const { client } = make({ timeoutMs: 2_000 });
    expect(await client.listRunningOperations(TARGET)).toEqual([]);
  });

  it('go-live: a timeout is an unknown outcome; the operation is found once the slow answer is handled', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000, latencyMs: 800 });
    const { client } = make({ ...POST_ONLY, timeoutMs: 200 });
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect((e.cause as PartnerApiError).code).toBe('Timeout');
    sim.admin.setScenario(PUB, OFFER, { latencyMs: 0 });
    const running = await waitFor(
      async () => {
        const ops = await client.listRunningOperations(TARGET);
        return ops.length > 0 ? ops : undefined;
      },
      { intervalMs: 50, timeoutMs: 5_000, what: 'the slow go-live to be handled' },
    );
    expect(running).toHaveLength(1);
    expect(offerRequests('POST')).toHaveLength(1);
  });

  it('go-live: a refused connection is retried, then reported as not sent', async () => {
    const port = await freePort();
    const { client, responses } = make({ ...POST_ONLY, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 });
    const e = await fails(client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(PartnerTransportError);
    expect(e).toMatchObject({ code: 'NetworkError', sent: false, networkCode: 'ECONNREFUSED' });
    expect(responses.map((r) => r.errorCode)).toEqual(['NetworkError', 'NetworkError', 'NetworkError']);
  });

  it('an abort signal stops a slow read without a retry', async () => {
    sim.admin.setScenario(PUB, OFFER, { latencyMs: 2_000 });
    const { client } = make();
    const controller = new AbortController();
    const pending = fails(client.listRunningOperations(TARGET, { abortSignal: controller.signal }));
    // Abort once the simulator has the request (it records on arrival, then waits out the latency).
    await waitFor(() => offerRequests('GET').length === 1, { intervalMs: 10, what: 'the request to arrive' });
    controller.abort();
    const e = await pending;
    expect(e.code).toBe('Aborted');
    expect(offerRequests('GET')).toHaveLength(1);
  });
});
