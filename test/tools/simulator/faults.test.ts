import { type RunningSimulator, startSimulator } from '../../../tools/simulator';
import { call, goLive, offerPath, readJson, VERSION } from './helpers';

const P = 'contoso';
const O = 'contoso-vm-offer';
const golivePath = `${offerPath(P, O, '/golive')}?${VERSION}`;
const listPath = `${offerPath(P, O, '/submissions/')}?${VERSION}&status=running`;

describe('simulator: fault scenarios and request recording', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ defaults: { durationMs: 60_000 } });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.admin.reset());

  it('throttles the next N requests about the offer with 429 and Retry-After, then answers', async () => {
    sim.admin.setScenario(P, O, { throttle: { count: 2, retryAfterSeconds: 3 } });
    const first = await call(sim, listPath);
    const second = await call(sim, golivePath, { method: 'POST' });
    const third = await call(sim, golivePath, { method: 'POST' });
    expect([first.status, second.status, third.status]).toEqual([429, 429, 202]);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.json.error.code).toBe('TooManyRequests');
    // Other offers are not throttled.
    expect((await call(sim, `${offerPath(P, 'contoso-app', '/submissions/')}?${VERSION}`)).status).toBe(200);
    expect(sim.admin.getScenario(P, O).throttle.count).toBe(0);
    expect(sim.admin.requests({ offerId: O }).map((r) => r.status)).toEqual([429, 429, 202]);
  });

  it('answers the next N requests with the scenario server error status', async () => {
    sim.admin.setScenario(P, O, { serverErrors: { count: 1, status: 500 } });
    const failed = await call(sim, golivePath, { method: 'POST' });
    expect(failed.status).toBe(500);
    expect(failed.json.error.code).toBe('InternalServerError');
    sim.admin.setScenario(P, O, { serverErrors: { count: 2 } });
    expect(sim.admin.getScenario(P, O).serverErrors).toEqual({ count: 2, status: 500 });
    sim.admin.setScenario(P, O, { serverErrors: { count: 2, status: 503 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(sim, listPath)).status);
    expect(statuses).toEqual([503, 503, 200]);
    // The failed go-live created nothing.
    expect((await call(sim, listPath)).json).toEqual([]);
  });

  it('resets the connection before handling: no operation is created', async () => {
    sim.admin.setScenario(P, O, { resetConnections: { count: 1, phase: 'before' } });
    await expect(call(sim, golivePath, { method: 'POST' })).rejects.toThrow();
    expect((await call(sim, listPath)).json).toEqual([]);
    const [reset] = sim.admin.requests({ method: 'POST', offerId: O });
    expect(reset).toMatchObject({ status: 0, connectionReset: 'before' });
  });

  it('resets the connection after accepting: the operation exists afterwards', async () => {
    sim.admin.setScenario(P, O, { resetConnections: { count: 1, phase: 'after' } });
    await expect(call(sim, golivePath, { method: 'POST' })).rejects.toThrow();
    const running = await call(sim, listPath);
    expect(running.json).toHaveLength(1);
    expect(running.json[0].submissionState).toBe('running');
    // A retried go-live meets the running operation.
    expect((await call(sim, golivePath, { method: 'POST' })).status).toBe(409);
    expect(sim.admin.requests({ method: 'POST', offerId: O }).map((r) => r.connectionReset ?? r.status)).toEqual([
      'after',
      409,
    ]);
  });

  it('adds latency before each answer about the offer', async () => {
    sim.admin.setScenario(P, O, { latencyMs: 300 });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    await expect(
      fetch(`${sim.url}${listPath}`, {
        headers: { Authorization: 'Bearer local-dev-token' },
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    clearTimeout(timer);
    expect((await call(sim, listPath)).status).toBe(200);
  });

  it('records every request with its status and ids, never a header value', async () => {
    await call(sim, golivePath, { method: 'POST', token: 'secret-token-value' });
    await goLive(sim, P, O);
    await call(sim, `/rp/product-ingestion/product?externalId=${O}&$version=2022-03-01-preview2`);
    await call(sim, '/nowhere');
    const all = sim.admin.requests();
    expect(all.map((r) => [r.method, r.status, r.api, r.publisherId, r.offerId])).toEqual([
      ['POST', 401, 'cpp', P, O],
      ['POST', 202, 'cpp', P, O],
      ['GET', 200, 'productIngestion', P, O],
      ['GET', 404, undefined, undefined, undefined],
    ]);
    expect(all[0]).toMatchObject({
      path: `/api/publishers/${P}/offers/${O}/golive`,
      query: { 'api-version': '2017-10-31' },
      origin: 'primary',
      hadAuthorization: true,
    });
    expect(Date.parse(all[0]!.time)).not.toBeNaN();
    expect(JSON.stringify(all)).not.toMatch(/secret-token-value|local-dev-token|Bearer/);
    expect(sim.admin.requests({ method: 'get', pathIncludes: 'product-ingestion' })).toHaveLength(1);
    sim.admin.resetRequests();
    expect(sim.admin.requests()).toEqual([]);
  });

  it('records requests to the other origin, with whether a token came along', async () => {
    sim.admin.setScenario(P, O, { locationHeader: 'hostile' });
    const accepted = await call(sim, golivePath, { method: 'POST' });
    const hostileUrl = accepted.headers.get('location')!;
    expect(hostileUrl.startsWith(sim.otherOriginUrl)).toBe(true);
    expect(sim.admin.requests({ origin: 'other' })).toEqual([]);

    const res = await call(sim, hostileUrl, { token: null });
    expect(res.status).toBe(404);
    await call(sim, hostileUrl);
    const other = sim.admin.requests({ origin: 'other' });
    expect(other.map((r) => [r.method, r.status, r.publisherId, r.offerId, r.hadAuthorization])).toEqual([
      ['GET', 404, P, O, false],
      ['GET', 404, P, O, true],
    ]);
    expect(JSON.stringify(other)).not.toContain('local-dev-token');
  });

  it('forgets operations and scenarios on reset', async () => {
    sim.admin.setScenario(P, O, { throttle: { count: 5, retryAfterSeconds: 1 } });
    sim.admin.reset();
    expect(sim.admin.getScenario(P, O).throttle.count).toBe(0);
    await goLive(sim, P, O);
    sim.admin.reset();
    expect(await readJson(sim, listPath)).toEqual([]);
  });
});
