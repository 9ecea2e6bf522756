import {
  DEFAULT_SCENARIO,
  InvalidScenarioError,
  type RunningSimulator,
  SEEDED_OFFERS,
  startSimulator,
  UnknownOfferError,
} from '../../../tools/simulator';
import { call, goLive, offerPath, VERSION } from './helpers';

describe('simulator: admin', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ defaults: { durationMs: 60_000 } });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.admin.reset());

  describe('programmatic', () => {
    it('seeds the four offers with the default scenario (and the start-up defaults)', () => {
      expect(SEEDED_OFFERS.map((o) => `${o.publisherId}/${o.offerId}`)).toEqual([
        'contoso/contoso-vm-offer',
        'contoso/contoso-app',
        'fabrikam/fabrikam-vm',
        'fabrikam/fabrikam-container',
      ]);
      expect(sim.admin.getScenario('fabrikam', 'fabrikam-container')).toEqual({
        ...DEFAULT_SCENARIO,
        durationMs: 60_000,
      });
      expect(DEFAULT_SCENARIO).toMatchObject({ durationMs: 20_000, conflictStatus: 409, statusSpelling: 'complete' });
    });

    it('adds an offer that the API then serves, and refuses bad input with typed errors', async () => {
      sim.admin.addOffer('northwind', 'northwind-vm', { outcome: 'failed' });
      expect(sim.admin.getScenario('northwind', 'northwind-vm').outcome).toBe('failed');
      await goLive(sim, 'northwind', 'northwind-vm');
      expect(() => sim.admin.setScenario('northwind', 'missing', {})).toThrow(UnknownOfferError);
      expect(() => sim.admin.setScenario('northwind', 'northwind-vm', { outcome: 'maybe' as never })).toThrow(
        InvalidScenarioError,
      );
      expect(() => sim.admin.addOffer('bad id', 'x')).toThrow(InvalidScenarioError);
    });

    it('starts without seeded offers when asked', async () => {
      const empty = await startSimulator({ seed: false, token: 'other-token' });
      try {
        const res = await call(empty, `${offerPath('contoso', 'contoso-vm-offer', '/status')}?${VERSION}`, {
          token: 'other-token',
        });
        expect(res.status).toBe(404);
        const wrongToken = await call(empty, `${offerPath('contoso', 'contoso-vm-offer', '/status')}?${VERSION}`);
        expect(wrongToken.status).toBe(401);
      } finally {
        await empty.close();
      }
    });
  });

  describe('over HTTP under /_admin/', () => {
    const admin = (path: string, method = 'GET', body?: unknown) =>
      call(sim, `/_admin${path}`, {
        method,
        token: null,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it('adds an offer, sets and reads its scenario', async () => {
      const added = await admin('/offers', 'POST', {
        publisherId: 'northwind',
        offerId: 'northwind-app',
        scenario: { durationMs: 1000 },
      });
      expect(added.status).toBe(201);
      expect(added.json).toMatchObject({
        publisherId: 'northwind',
        offerId: 'northwind-app',
        scenario: { durationMs: 1000 },
      });
      expect(added.json.productId).toMatch(/^product\/[0-9a-f-]{36}$/);

      const put = await admin('/offers/northwind/northwind-app/scenario', 'PUT', { throttle: { count: 1 } });
      expect(put.status).toBe(200);
      expect(put.json.throttle).toEqual({ count: 1, retryAfterSeconds: 1 });
      expect((await call(sim, `${offerPath('northwind', 'northwind-app', '/status')}?${VERSION}`)).status).toBe(429);

      const offers = await admin('/offers');
      expect(offers.json.map((o: { offerId: string }) => o.offerId)).toContain('northwind-app');
      expect((await admin('/offers/northwind/northwind-app/scenario')).json.throttle.count).toBe(0);
    });

    it('answers 400 for a bad scenario and 404 for an unknown offer', async () => {
      const bad = await admin('/offers/contoso/contoso-app/scenario', 'PUT', { durationMs: -1, bogus: true });
      expect(bad.status).toBe(400);
      expect(bad.json.error.message).toContain('durationMs');
      expect((await admin('/offers/contoso/contoso-app/scenario', 'PUT', 'not json')).status).toBe(400);
      expect((await admin('/offers/contoso/missing/scenario', 'PUT', {})).status).toBe(404);
      expect((await admin('/nothing')).status).toBe(404);
      expect((await admin('/reset', 'GET')).status).toBe(405);
    });

    it('lists recorded requests with filters, clears them, and resets; admin calls are not recorded', async () => {
      await goLive(sim, 'contoso', 'contoso-app');
      await call(sim, `${offerPath('fabrikam', 'fabrikam-vm', '/status')}?${VERSION}`);
      const filtered = await admin('/requests?method=POST&offerId=contoso-app&origin=primary');
      expect(filtered.json).toHaveLength(1);
      expect(filtered.json[0]).toMatchObject({ method: 'POST', status: 202, publisherId: 'contoso' });
      expect((await admin('/requests?publisherId=fabrikam')).json).toHaveLength(1);
      expect((await admin('/requests')).json).toHaveLength(2);

      expect((await admin('/requests', 'DELETE')).status).toBe(204);
      expect((await admin('/requests')).json).toEqual([]);

      sim.admin.setScenario('contoso', 'contoso-app', { durationMs: 5 });
      expect((await admin('/reset', 'POST')).status).toBe(204);
      expect(sim.admin.getScenario('contoso', 'contoso-app').durationMs).toBe(60_000);
      // The go-live was forgotten: a new one is accepted.
      await goLive(sim, 'contoso', 'contoso-app');
    });
  });
});
