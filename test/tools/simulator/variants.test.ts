/**
 * The named variants: each a valid scenario patch, set over the admin API in one request, and drawn per offer from a
 * seed (`--variants SEED`) the same way whatever order offers come in.
 */
import { UsageError } from '../../../tools/cliArgs';
import {
  type RunningSimulator,
  SEEDED_OFFERS,
  startSimulator,
  variantFor,
  variantNamed,
  VARIANTS,
} from '../../../tools/simulator';
import { parseArgs } from '../../../tools/simulator/cli';
import { call } from './helpers';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('variants', () => {
  it('every variant is a valid scenario, and covers each variation of the record', async () => {
    sim = await startSimulator();
    for (const v of VARIANTS) {
      sim.admin.setScenario('contoso', 'contoso-app', v.patch);
      expect(sim.admin.getScenario('contoso', 'contoso-app')).toMatchObject(v.patch);
    }
    const names = VARIANTS.map((v) => v.name);
    for (const needed of ['paged-lists', 'job-detail-empty', 'job-detail-fails', 'no-preview-entry', 'late-listing']) {
      expect(names).toContain(needed);
    }
    for (const top of [
      'neverPublished',
      'notStarted',
      'waitingForPublisherReview',
      'running',
      'succeeded',
      'canceled',
      'failed',
    ]) {
      expect(names).toContain(`cpp-signoff-${top}`);
    }
  });

  it('PUT /_admin/offers/{publisherId}/{offerId}/variant/{name} sets one in one request; an unknown name is a 404', async () => {
    sim = await startSimulator();
    const res = await call(sim, '/_admin/offers/contoso/contoso-app/variant/paged-lists', { method: 'PUT' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ pageSize: 1 });
    const bad = await call(sim, '/_admin/offers/contoso/contoso-app/variant/nope', { method: 'PUT' });
    expect(bad.status).toBe(404);
    expect(JSON.stringify(bad.json)).toContain('paged-lists');
  });

  it('a seed draws the same variant per offer, whatever order offers are added in; another seed draws others', async () => {
    const drawn = (seed: number) => SEEDED_OFFERS.map((o) => variantFor(seed, o.publisherId, o.offerId).name);
    expect(drawn(7)).toEqual(drawn(7));
    const many = Array.from({ length: 40 }, (_, i) => variantFor(7, 'p', `o${i}`).name);
    expect(new Set(many).size).toBeGreaterThan(5);
    expect(many).not.toContain('fails');
    sim = await startSimulator({ variantSeed: 7 });
    for (const o of [...SEEDED_OFFERS].reverse()) {
      expect(sim.admin.getScenario(o.publisherId, o.offerId)).toMatchObject(
        variantFor(7, o.publisherId, o.offerId).patch,
      );
    }
    sim.admin.addOffer('late', 'added-offer');
    expect(sim.admin.getScenario('late', 'added-offer')).toMatchObject(variantFor(7, 'late', 'added-offer').patch);
  });

  it('the CLI takes --variant NAME or --variants SEED, not both, and names the variants in its errors', () => {
    expect(parseArgs(['--variant', 'paged-lists'], {})).toMatchObject({ variant: 'paged-lists' });
    expect(parseArgs(['--variants=42'], {})).toMatchObject({ variantSeed: 42 });
    expect(() => parseArgs(['--variant', 'nope'], {})).toThrow(UsageError);
    expect(() => parseArgs(['--variant', 'nope'], {})).toThrow(/late-listing/);
    expect(() => parseArgs(['--variant', 'slow', '--variants', '1'], {})).toThrow(/exclude each other/);
    expect(variantNamed('slow').patch).toEqual({ durationMs: 600_000 });
  });
});
