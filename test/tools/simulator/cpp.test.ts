import { type RunningSimulator, startSimulator } from '../../../tools/simulator';
import { call, goLive, isTerminalStatus, offerPath, pollUntil, readJson, VERSION } from './helpers';

const P = 'contoso';
const O = 'contoso-vm-offer';

describe('simulator: Cloud Partner Portal API', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ defaults: { durationMs: 400, cancelDelayMs: 100 } });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.admin.reset());

  describe('request checks', () => {
    it('answers 401 with an error body without a token or with a wrong one', async () => {
      for (const token of [null, 'not-the-token']) {
        const res = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST', token });
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe('Unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect(sim.admin.requests({ offerId: O, method: 'POST' })).toHaveLength(2);
      expect(await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}`)).toMatchObject({
        status: 200,
        json: [],
      });
    });

    it('answers 400 InvalidAPIVersion for a missing or wrong api-version', async () => {
      for (const query of ['', '?api-version=2016-08-01-preview']) {
        const res = await call(sim, `${offerPath(P, O, '/golive')}${query}`, { method: 'POST' });
        expect(res.status).toBe(400);
        expect(res.json).toEqual({
          error: { code: 'InvalidAPIVersion', message: 'Invalid api version. Allowed values are [2017-10-31]' },
        });
      }
    });

    it('answers 404 with an error body for an unknown publisher, offer or operation', async () => {
      const unknownOffer = await call(sim, `${offerPath(P, 'nope', '/golive')}?${VERSION}`, { method: 'POST' });
      expect(unknownOffer.status).toBe(404);
      expect(unknownOffer.json.error.code).toBe('NotFound');
      const unknownPublisher = await call(sim, `${offerPath('nobody', O, '/status')}?${VERSION}`);
      expect(unknownPublisher.status).toBe(404);
      expect(unknownPublisher.json.error.message).toContain('nobody');
      const unknownOp = await call(
        sim,
        `${offerPath(P, O, '/operations/9d1c0a8e-0000-4f00-8000-000000000001')}?${VERSION}`,
      );
      expect(unknownOp.status).toBe(404);
    });

    it('refuses a go-live body that is not a JSON object, and accepts {}', async () => {
      const bad = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST', body: '[1]' });
      expect(bad.status).toBe(400);
      const ok = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST', body: '{}' });
      expect(ok.status).toBe(202);
    });
  });

  describe('go-live answer headers', () => {
    it('sends a relative Location in the migrated form by default', async () => {
      const res = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      expect(res.headers.get('location')).toMatch(
        /^\/api\/publishers\/contoso\/offers\/contoso-vm-offer\/operations\/[0-9a-f-]{36}\?api-version=2017-10-31$/,
      );
      expect(res.headers.get('operation-location')).toBeNull();
    });

    it('sends an absolute Operation-Location, both headers, or a hostile origin as the scenario says', async () => {
      sim.admin.setScenario(P, O, { locationHeader: 'operation-location-absolute' });
      const abs = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(abs.headers.get('location')).toBeNull();
      expect(abs.headers.get('operation-location')).toMatch(
        new RegExp(`^${sim.url}/api/publishers/contoso/offers/contoso-vm-offer/operations/[0-9a-f-]{36}$`),
      );

      sim.admin.setScenario('fabrikam', 'fabrikam-vm', { locationHeader: 'both' });
      const both = await call(sim, `${offerPath('fabrikam', 'fabrikam-vm', '/golive')}?${VERSION}`, { method: 'POST' });
      const id = both.headers.get('location')!.split('/operations/')[1]!.split('?')[0];
      expect(both.headers.get('operation-location')).toBe(
        `${sim.url}${offerPath('fabrikam', 'fabrikam-vm')}/operations/${id}`,
      );

      sim.admin.setScenario(P, 'contoso-app', { locationHeader: 'hostile' });
      const hostile = await call(sim, `${offerPath(P, 'contoso-app', '/golive')}?${VERSION}`, { method: 'POST' });
      expect(hostile.headers.get('location')!.startsWith(`${sim.otherOriginUrl}/api/`)).toBe(true);
      expect(hostile.headers.get('operation-location')).toBe(hostile.headers.get('location'));
    });

    it('sends the non-migrated legacy Location form, which reads the same operation', async () => {
      sim.admin.setScenario(P, O, { locationHeader: 'location-legacy', durationMs: 100 });
      const res = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(res.headers.get('location')).toBe(`/api/operations/contoso$contoso-vm-offer$2$production?${VERSION}`);
      const url = new URL(res.headers.get('location')!, sim.url).toString();
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      expect(seen[seen.length - 1].status).toBe('complete');
      const listed = await readJson(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}`);
      expect(seen[0].id).toBe(listed[0].id);
      expect((await call(sim, `/api/operations/contoso$contoso-vm-offer$9$production?${VERSION}`)).status).toBe(404);
      expect((await call(sim, `/api/operations/contoso$contoso-vm-offer$2$production`)).status).toBe(400);
    });

    it('sends Retry-After on the 202 and on running reads when the scenario sets operationRetryAfterSeconds', async () => {
      sim.admin.setScenario(P, O, { operationRetryAfterSeconds: 7 });
      const res = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(res.headers.get('retry-after')).toBe('7');
      const op = await call(sim, new URL(res.headers.get('location')!, sim.url).toString());
      expect(op.headers.get('retry-after')).toBe('7');
    });
  });

  describe('operation progress', () => {
    it('moves notStarted -> running -> complete, steps advancing to 100%', async () => {
      const url = await goLive(sim, P, O);
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      const statuses = [...new Set(seen.map((op) => op.status as string))];
      expect(statuses).toContain('running');
      expect(statuses[statuses.length - 1]).toBe('complete');
      expect(statuses.filter((s) => !['notStarted', 'running', 'complete'].includes(s))).toEqual([]);
      const last = seen[seen.length - 1];
      // The whole pipeline: certification and the sign-off are behind a go-live, Live follows it.
      expect(last.steps.map((s: { id: string }) => s.id)).toEqual([
        'displaydummycertify',
        'displaycertify',
        'displayprovision',
        'displaypackage',
        'publisher-signoff',
        'live',
      ]);
      expect(
        last.steps.every(
          (s: { status: string; progressPercentage: number }) =>
            s.status === 'complete' && s.progressPercentage === 100,
        ),
      ).toBe(true);
      expect(last.steps[1]).toMatchObject({ stepName: 'Certification', estimatedTimeFrame: '< 5 day' });
      expect(last.steps[5]).toMatchObject({ estimatedTimeFrame: '~2-5 days', messages: [{ level: 'information' }] });
      // Progress never goes backwards while polling.
      const progress = seen.map((op): number =>
        (op.steps as { progressPercentage: number }[]).reduce((n, s) => n + s.progressPercentage, 0),
      );
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    });

    it('shows notStarted and then running on a slow operation', async () => {
      sim.admin.setScenario(P, O, { durationMs: 4000 });
      const url = await goLive(sim, P, O);
      expect((await call(sim, url)).json.status).toBe('notStarted');
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => op.status === 'running',
      );
      const running = seen[seen.length - 1];
      expect(running.steps.map((s: { status: string }) => s.status)).toEqual([
        ...Array(5).fill('complete'),
        'inProgress',
      ]);
      expect(running.cancellationRequestState).toBe('canCancel');
    });

    it('spells a finished operation "completed" when the scenario says so', async () => {
      sim.admin.setScenario(P, O, { statusSpelling: 'completed', durationMs: 200 });
      const url = await goLive(sim, P, O);
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      expect(seen[seen.length - 1].status).toBe('completed');
    });

    it('ends failed with a blocked step and an error-level message', async () => {
      sim.admin.setScenario(P, O, { outcome: 'failed' });
      const url = await goLive(sim, P, O);
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      const op = seen[seen.length - 1];
      expect(op.status).toBe('failed');
      // It fails after the sign-off: certification and the sign-off stay complete, Live is blocked.
      const blocked = op.steps.find((s: { status: string }) => s.status === 'blocked');
      expect(blocked.id).toBe('live');
      expect(op.steps.slice(0, 5).every((s: { status: string }) => s.status === 'complete')).toBe(true);
      expect(blocked.messages[0].messageHtml).toContain('Live failed');
      expect(blocked.messages[0].level).toBe('error');
      expect(op.messages[0].level).toBe('error');
      const list = await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}&status=failed`);
      expect(list.json).toHaveLength(1);
      expect(list.json[0].error).toContain('Live failed');
      expect(list.json[0].error).not.toContain('Certification');
    });

    it('ends canceled when the scenario outcome is canceled', async () => {
      sim.admin.setScenario(P, O, { outcome: 'canceled' });
      const url = await goLive(sim, P, O);
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      expect(seen[seen.length - 1].status).toBe('canceled');
    });

    it('never ends when the scenario says so', async () => {
      sim.admin.setScenario(P, O, { neverEnds: true, durationMs: 100 });
      const url = await goLive(sim, P, O);
      // Past three times the duration it is still running, the last step held below 100%.
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => Date.parse(op.createdDateTime) + 300 < Date.now() && op.status === 'running',
      );
      const op = seen[seen.length - 1];
      expect(op.steps[5]).toMatchObject({ id: 'live', status: 'inProgress', progressPercentage: 99 });
      const running = await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}&status=running`);
      expect(running.json).toHaveLength(1);
    });
  });

  describe('one running operation per offer', () => {
    it('answers 409 Conflict by default and never creates a second operation', async () => {
      await goLive(sim, P, O);
      const second = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(second.status).toBe(409);
      expect(second.json.error.code).toBe('Conflict');
      const all = await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}`);
      expect(all.json).toHaveLength(1);
      // Another offer is not affected.
      await goLive(sim, P, 'contoso-app');
    });

    it('answers the scenario conflictStatus', async () => {
      sim.admin.setScenario(P, O, { conflictStatus: 400 });
      await goLive(sim, P, O);
      const second = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(second.status).toBe(400);
      expect(second.json.error.code).toBe('BadRequest');
    });

    it('accepts a new go-live once the previous operation ended', async () => {
      sim.admin.setScenario(P, O, { durationMs: 100 });
      const first = await goLive(sim, P, O);
      await pollUntil(
        () => readJson(sim, first),
        (op) => isTerminalStatus(op.status),
      );
      const second = await goLive(sim, P, O);
      expect(second).not.toBe(first);
    });
  });

  describe('list and cancel', () => {
    it('lists running operations in the documented shape, filtered by status', async () => {
      sim.admin.setScenario(P, O, { neverEnds: true });
      const url = await goLive(sim, P, O);
      const id = new URL(url).pathname.split('/').pop();
      const running = await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}&status=running`);
      expect(running.status).toBe(200);
      expect(running.json).toEqual([
        expect.objectContaining({
          id,
          offerId: O,
          publisherId: P,
          offerTypeId: 'microsoft-azure-virtualmachines',
          submissionType: 'goLive',
          submissionState: 'running',
        }),
      ]);
      const canceled = await call(sim, `${offerPath(P, O, '/submissions')}?${VERSION}&status=canceled`);
      expect(canceled.json).toEqual([]);
    });

    it('cancels the running operation: 202 with a cancel operation, canceled after the delay', async () => {
      sim.admin.setScenario(P, O, { durationMs: 60_000 });
      const url = await goLive(sim, P, O);
      const res = await call(sim, `${offerPath(P, O, '/cancel')}?${VERSION}`, { method: 'POST' });
      expect(res.status).toBe(202);
      const cancelUrl = new URL(res.headers.get('location')!, sim.url).toString();
      expect(cancelUrl).not.toBe(url);
      const seen = await pollUntil(
        () => readJson(sim, url),
        (op) => op.status === 'canceled',
      );
      expect(seen.some((op) => op.cancellationRequestState === 'cancelRequested' || op.status === 'canceled')).toBe(
        true,
      );
      const cancelOp = await call(sim, cancelUrl);
      expect(cancelOp.json).toMatchObject({ status: 'complete', submissionType: 'cancel' });
      const list = await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}&status=canceled`);
      expect(list.json).toHaveLength(1);
      expect(list.json[0].submissionState).toBe('canceled');
      // The offer is free again.
      await goLive(sim, P, O);
    });

    it('answers 202 to a cancel when nothing runs, and 200 with cancelResponse ok', async () => {
      const idle = await call(sim, `${offerPath(P, O, '/cancel')}?${VERSION}`, { method: 'POST' });
      expect(idle.status).toBe(202);
      expect((await call(sim, new URL(idle.headers.get('location')!, sim.url).toString())).json.status).toBe(
        'complete',
      );

      sim.admin.setScenario(P, O, { cancelResponse: 'ok', durationMs: 60_000 });
      const url = await goLive(sim, P, O);
      const ok = await call(sim, `${offerPath(P, O, '/cancel')}?${VERSION}`, { method: 'POST' });
      expect(ok.status).toBe(200);
      expect((await call(sim, url)).json.status).toBe('canceled');
    });
  });

  describe('offer status and offers', () => {
    const signoff = (json: { steps: { id: string; status: string }[] }) =>
      json.steps.find((s) => s.id === 'publisher-signoff')?.status;
    const status = async (): Promise<{ status: string; steps: { id: string; status: string }[] }> =>
      (await call(sim, `${offerPath(P, O, '/status')}?${VERSION}`)).json as {
        status: string;
        steps: { id: string; status: string }[];
      };

    it('shows the offer waiting for publisher review, the running go-live, then waiting again', async () => {
      const before = await status();
      expect(before.status).toBe('running');
      expect(signoff(before)).toBe('waitingForPublisherReview');
      sim.admin.setScenario(P, O, { durationMs: 400 });
      const url = await goLive(sim, P, O);
      const during = await status();
      expect(during.status).toBe('running');
      expect(signoff(during)).toBe('complete');
      expect(during.steps.find((s) => s.id === 'live')?.status).toMatch(/notStarted|inProgress/);
      await pollUntil(
        () => readJson(sim, url),
        (op) => isTerminalStatus(op.status),
      );
      // Default scenario: a new preview is waiting for sign-off again after each go-live.
      expect(signoff(await status())).toBe('waitingForPublisherReview');
    });

    it('offerStatus certifying or live: nothing waits for sign-off, and a go-live is refused with 400', async () => {
      sim.admin.setScenario(P, O, { offerStatus: 'certifying' });
      const certifying = await status();
      expect(certifying.status).toBe('running');
      expect(signoff(certifying)).toBe('notStarted');
      expect(certifying.steps.find((s) => s.id === 'displaycertify')?.status).toBe('inProgress');
      const refused = await call(sim, `${offerPath(P, O, '/golive')}?${VERSION}`, { method: 'POST' });
      expect(refused.status).toBe(400);
      expect(refused.json.error.code).toBe('BadRequest');

      sim.admin.setScenario(P, O, { offerStatus: 'live' });
      const live = await status();
      expect(live.status).toBe('succeeded');
      expect(live.steps.every((s: { status: string }) => s.status === 'complete')).toBe(true);
      expect(await call(sim, `${offerPath(P, O, '/submissions/')}?${VERSION}`)).toMatchObject({ json: [] });
    });

    it('lists and reads offers', async () => {
      const offers = await call(sim, `/api/publishers/fabrikam/offers?${VERSION}`);
      expect(offers.json.map((o: { id: string }) => o.id)).toEqual(['fabrikam-vm', 'fabrikam-container']);
      const offer = await call(sim, `${offerPath('fabrikam', 'fabrikam-container')}?${VERSION}`);
      expect(offer.json).toMatchObject({ id: 'fabrikam-container', offerTypeId: 'microsoft-azure-containers' });
    });
  });
});
