import { productGuidFor, startSimulator } from '../../../tools/simulator';
import { phaseAt, type Timeline } from '../../../tools/simulator/state';
import { goLive, offerPath, readJson, VERSION } from './helpers';

describe('simulator state: operation timeline', () => {
  const t: Timeline = { createdAt: 1_000, durationMs: 1_000, outcome: 'succeeded', neverEnds: false };

  it('is notStarted for the first 10%, running until the duration, then its outcome', () => {
    expect(phaseAt(t, 1_000).phase).toBe('notStarted');
    expect(phaseAt(t, 1_099).phase).toBe('notStarted');
    expect(phaseAt(t, 1_100).phase).toBe('running');
    expect(phaseAt(t, 1_999).phase).toBe('running');
    expect(phaseAt(t, 2_000)).toEqual({ phase: 'succeeded', runningFrom: 1_100, endedAt: 2_000 });
    expect(phaseAt({ ...t, outcome: 'failed' }, 5_000).phase).toBe('failed');
  });

  it('never ends when asked, and is canceled from cancelAt unless that comes after the end', () => {
    expect(phaseAt({ ...t, neverEnds: true }, 10_000_000).phase).toBe('running');
    expect(phaseAt({ ...t, cancelAt: 1_500 }, 1_499).phase).toBe('running');
    expect(phaseAt({ ...t, cancelAt: 1_500 }, 1_500)).toMatchObject({ phase: 'canceled', endedAt: 1_500 });
    expect(phaseAt({ ...t, cancelAt: 2_500 }, 3_000).phase).toBe('succeeded');
    expect(phaseAt({ ...t, neverEnds: true, cancelAt: 9_000 }, 9_000).phase).toBe('canceled');
  });

  it('gives each offer a stable product GUID', () => {
    expect(productGuidFor('contoso-vm-offer')).toBe(productGuidFor('contoso-vm-offer'));
    expect(productGuidFor('contoso-vm-offer')).not.toBe(productGuidFor('contoso-app'));
    expect(productGuidFor('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('runs multi-day operations on an injected clock', async () => {
    let now = Date.parse('2026-01-05T06:00:00Z');
    const sim = await startSimulator({ now: () => now, defaults: { durationMs: 3 * 24 * 3_600_000 } });
    try {
      const url = await goLive(sim, 'fabrikam', 'fabrikam-vm');
      expect((await readJson(sim, url)).status).toBe('notStarted');
      now += 24 * 3_600_000;
      const day1 = await readJson(sim, url);
      expect(day1.status).toBe('running');
      // Running from 0.3 days to 3 days: certification and the sign-off behind it, Live a quarter of the way.
      expect(day1.steps[1]).toMatchObject({ id: 'displaycertify', status: 'complete' });
      expect(day1.steps[4]).toMatchObject({ id: 'publisher-signoff', status: 'complete' });
      expect(day1.steps[5]).toMatchObject({ id: 'live', status: 'inProgress', progressPercentage: 25 });
      now += 2 * 24 * 3_600_000;
      const done = await readJson(sim, url);
      expect(done).toMatchObject({ status: 'complete', lastActionDateTime: '2026-01-08T06:00:00.000Z' });
      const list = await readJson(sim, `${offerPath('fabrikam', 'fabrikam-vm', '/submissions/')}?${VERSION}`);
      expect(list[0].submissionState).toBe('complete');
      expect(sim.admin.requests()[0]!.time).toBe('2026-01-05T06:00:00.000Z');
    } finally {
      await sim.close();
    }
  });
});
