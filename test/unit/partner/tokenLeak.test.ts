/**
 * The bearer token never appears in a log line, an error message, a serialized or inspected error (with its cause
 * chain) or a telemetry record, on any failure path of the client: real HTTP (simulator) and MockAgent answers.
 */
import { inspect } from 'node:util';

import { CloudPartnerPortalClient } from '../../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../../src/partner/credential';
import type { ResponseInfo } from '../../../src/partner/http';
import { type RunningSimulator, startSimulator } from '../../../tools/simulator';
import { freePort } from '../../support/ports';
import { API_VERSION, caught, errorTexts, harness, json, netError, OFFER_PATH, ORIGIN, TARGET, TOKEN } from './helpers';

const logged: string[] = [];
const restore: (() => void)[] = [];

beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 8 }))).join(' '));
    });
    restore.push(() => spy.mockRestore());
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    restore.push(() => {
      stream.write = original;
    });
  }
});

afterAll(() => {
  for (const r of restore.splice(0)) r();
});

function leaks(texts: string[], token: string): string[] {
  return texts.filter((t) => t.includes(token));
}

it('the leak check itself finds a planted token', () => {
  const planted = new Error('x', { cause: { header: `Bearer ${TOKEN}` } });
  expect(leaks(errorTexts(planted), TOKEN).length).toBeGreaterThan(0);
});

it('MockAgent failure paths: no token in errors, logs or telemetry', async () => {
  const errors: unknown[] = [];
  const infos: ResponseInfo[] = [];
  const opPath = `${OFFER_PATH}/operations/op-1?api-version=${API_VERSION}`;
  const golive = `${OFFER_PATH}/golive?api-version=${API_VERSION}`;
  const body = (code: string) => ({ error: { code, message: `${code} for Bearer ${TOKEN}` } });

  const h = harness({ maxRetries: 1, timeoutMs: 50, onResponse: (i) => infos.push(i) });
  try {
    const pool = h.agent.get(ORIGIN);
    for (const status of [400, 401, 403, 404, 409, 412, 422, 429, 500, 503]) {
      pool
        .intercept({ path: opPath })
        .reply(status, body(`E${status}`), { headers: json })
        .times(2);
      errors.push(await caught(h.client.getOperation(TARGET, opPath)));
    }
    for (const status of [500, 502, 504]) {
      pool.intercept({ path: golive, method: 'POST' }).reply(status, body(`G${status}`), { headers: json });
      errors.push(await caught(h.client.startGoLive(TARGET)));
    }
    pool.intercept({ path: golive, method: 'POST' }).replyWithError(netError('ECONNRESET', 'socket hang up'));
    errors.push(await caught(h.client.startGoLive(TARGET)));
    pool.intercept({ path: golive, method: 'POST' }).replyWithError(netError('ECONNREFUSED')).times(2);
    errors.push(await caught(h.client.startGoLive(TARGET)));
    pool.intercept({ path: golive, method: 'POST' }).reply(202, '').delay(500);
    errors.push(await caught(h.client.startGoLive(TARGET)));
    pool
      .intercept({ path: golive, method: 'POST' })
      .reply(202, '', { headers: { location: 'https://evil.example/api/x' } });
    errors.push(await caught(h.client.startGoLive(TARGET)));
    errors.push(await caught(h.client.getOperation(TARGET, 'https://evil.example/api/x')));
    pool.intercept({ path: opPath }).reply(200, 'not json', { headers: json });
    errors.push(await caught(h.client.getOperation(TARGET, opPath)));
    // The token did go to the configured origin (so the checks below are not vacuous).
    expect(h.calls().some((c) => c.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);
  } finally {
    await h.close();
  }
  expect(errors).toHaveLength(19);
  const texts = [...errors.flatMap(errorTexts), ...infos.map((i) => JSON.stringify(i)), ...logged];
  expect(leaks(texts, TOKEN)).toEqual([]);
});

describe('real HTTP', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, token: TOKEN, defaults: { durationMs: 100 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('simulator failure paths: no token in errors, logs or telemetry', async () => {
    const errors: unknown[] = [];
    const infos: ResponseInfo[] = [];
    const make = (overrides: Partial<ConstructorParameters<typeof CloudPartnerPortalClient>[0]> = {}) =>
      new CloudPartnerPortalClient({
        baseUrl: sim.url,
        apiVersion: '2017-10-31',
        scope: 's',
        credential: new StaticTokenCredential(TOKEN),
        timeoutMs: 100,
        maxRetries: 1,
        retryBaseMs: 1,
        onResponse: (i) => infos.push(i),
        // the fault counters below are meant for the POST itself
        checkOfferStatus: false,
        ...overrides,
      });
    const client = make();
    const refused = make({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const badVersion = make({ apiVersion: 'nope' });
    const t = { ...TARGET };
    try {
      // a long operation: the second POST meets the first one's go-live still running (409), however slow this process
      sim.admin.setScenario(t.publisherId, t.offerId, {
        durationMs: 600_000,
        resetConnections: { count: 1, phase: 'after' },
      });
      errors.push(await caught(client.startGoLive(t)));
      errors.push(await caught(client.startGoLive(t)));
      sim.admin.setScenario(t.publisherId, t.offerId, { latencyMs: 300 });
      errors.push(await caught(client.listRunningOperations(t)));
      sim.admin.setScenario(t.publisherId, t.offerId, { latencyMs: 0, throttle: { count: 5, retryAfterSeconds: 0 } });
      errors.push(await caught(client.listRunningOperations(t)));
      sim.admin.setScenario(t.publisherId, t.offerId, { throttle: { count: 0 }, locationHeader: 'hostile' });
      errors.push(await caught(client.cancel(t)));
      errors.push(await caught(client.getOperation(t, `${sim.otherOriginUrl}/api/x`)));
      errors.push(await caught(client.startGoLive({ ...t, offerId: 'missing' })));
      errors.push(await caught(badVersion.startGoLive(t)));
      errors.push(await caught(refused.startGoLive(t)));
      errors.push(await caught(make({ credential: new StaticTokenCredential('wrong') }).listRunningOperations(t)));
    } finally {
      await Promise.all([client.close(), refused.close(), badVersion.close()]);
    }
    expect(errors).toHaveLength(10);
    expect(sim.admin.requests({ origin: 'other' })).toHaveLength(0);
    const texts = [...errors.flatMap(errorTexts), ...infos.map((i) => JSON.stringify(i)), ...logged];
    expect(leaks(texts, TOKEN)).toEqual([]);
  });
});
