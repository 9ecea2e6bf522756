/**
 * The simulator held to the contract fixtures (test/fixtures/partner-api): in each state a fixture records, the
 * simulator's answer has every field the fixture has, with the same JSON type (it may have more), and ids of the
 * same kind. So the simulator answers in the shapes Microsoft's samples and public clients show, by default.
 */
import { productGuidFor, type RunningSimulator, startSimulator, submissionIdsFor } from '../../../tools/simulator';
import { fixtureNames, missingShape } from '../../unit/partner/contractFixtures';
import { call, offerPath, pollUntil, readJson, VERSION } from './helpers';

const V = '$version=2022-03-01-preview2';
const pi = (path: string, query = '') => `/rp/product-ingestion/${path}?${V}${query}`;
const PUB = 'contoso';
const OFFER = 'contoso-vm-offer';

let sim: RunningSimulator;
/** Every fixture the tests below compared, to check none was left out. */
const compared = new Set<string>();

function expectShape(name: string, actual: unknown): void {
  compared.add(name);
  expect({ name, missing: missingShape(name, actual) }).toEqual({ name, missing: [] });
}

beforeAll(async () => {
  sim = await startSimulator({ defaults: { durationMs: 300, jobDurationMs: 100 } });
});
afterAll(async () => {
  await sim.close();
  expect([...compared].sort()).toEqual(fixtureNames());
});
beforeEach(() => sim.admin.reset());

const guid = productGuidFor(OFFER);
const ids = submissionIdsFor(OFFER);
type Entry = { id: string; target: { targetType: string }; status?: string };
const submissions = async () => (await readJson(sim, pi(`submission/${guid}`))) as { value: Entry[] };
const configure = async (submissionId = ids.preview) =>
  call(sim, pi('configure'), {
    method: 'POST',
    body: JSON.stringify({
      $schema: 'https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2',
      resources: [
        {
          $schema: 'https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2',
          id: submissionId,
          product: `product/${guid}`,
          target: { targetType: 'live' },
        },
      ],
    }),
  });
const jobStatus = async (jobId: string) =>
  readJson(sim, pi(`configure/${jobId}/status`)) as Promise<{ jobStatus: string }>;
const completed = (jobId: string) =>
  pollUntil(
    () => jobStatus(jobId),
    (j) => j.jobStatus === 'completed',
  );

it('the shape check can fail: a missing field or a changed type is reported', () => {
  expect(missingShape('pi-product-list', { value: [{ id: 'product/x' }] })).toContain('$.value[].identity:object');
  expect(missingShape('pi-job-running', { jobId: 1 })).toContain('$.jobId:string');
});

describe('Product Ingestion answers have the fixtures’ shapes', () => {
  it('product lookup, with either identity spelling', async () => {
    expectShape('pi-product-list', (await call(sim, pi('product', `&externalId=${OFFER}`))).json);
    sim.admin.setScenario(PUB, OFFER, { identityKey: 'externalID' });
    expectShape('pi-product-list-externalID', (await call(sim, pi('product', `&externalId=${OFFER}`))).json);
  });

  it('submission lists: ready, going live (two live entries), promoted, live failed', async () => {
    const ready = await submissions();
    expectShape('pi-submissions-ready', ready);
    for (const s of ready.value.filter((e) => e.id !== `submission/${guid}/0`)) {
      expect(s.id).toMatch(/^submission\/[0-9a-f-]{36}\/\d{19}$/);
    }

    const res = await configure();
    expect(res.status).toBe(202);
    expectShape('pi-configure-accepted', res.json);
    const going = await pollUntil(submissions, (l) => l.value.some((s) => s.status === 'running'));
    expectShape('pi-submissions-going-live', going[going.length - 1]);
    const done = await pollUntil(submissions, (l) =>
      l.value.every((s) => s.status !== 'running' && s.status !== 'notStarted'),
    );
    expectShape('pi-submissions-promoted', done[done.length - 1]);

    sim.admin.reset();
    sim.admin.setScenario(PUB, OFFER, { outcome: 'failed' });
    await configure();
    await pollUntil(submissions, (l) => l.value.some((s) => s.target.targetType === 'live' && s.id === ids.preview));
    const failed = await pollUntil(submissions, (l) =>
      l.value.every((s) => s.status !== 'running' && s.status !== 'notStarted'),
    );
    expectShape('pi-submissions-live-failed', failed[failed.length - 1]);
  });

  it('configure job: running, succeeded, and its detail', async () => {
    sim.admin.setScenario(PUB, OFFER, { jobDurationMs: 5_000 });
    const running = await configure();
    await pollUntil(
      () => jobStatus(running.json.jobId),
      (j) => j.jobStatus === 'running',
    );
    expectShape('pi-job-running', await jobStatus(running.json.jobId));

    sim.admin.reset();
    const res = await configure();
    const seen = await completed(res.json.jobId);
    expectShape('pi-job-succeeded', seen[seen.length - 1]);
    expectShape('pi-job-detail-live', (await call(sim, pi(`configure/${res.json.jobId}`))).json);
  });

  it.each([
    ['pi-job-failed-nested-certification', { jobError: 'certification' as const }],
    ['pi-job-failed-product-locked', { jobError: 'productLocked' as const }],
  ])('failed job: %s', async (name, scenario) => {
    sim.admin.setScenario(PUB, OFFER, scenario);
    const res = await configure();
    const seen = await completed(res.json.jobId);
    expectShape(name, seen[seen.length - 1]);
  });

  it('paged lists: the first page with @nextLink (absolute) or nextLink (relative), the last page without', async () => {
    sim.admin.setScenario(PUB, OFFER, { pageSize: 2 });
    const first = (await call(sim, pi(`submission/${guid}`))).json as { '@nextLink': string; value: unknown[] };
    expectShape('pi-submissions-paged-page1', first);
    expect(first.value).toHaveLength(2);
    const next = new URL(first['@nextLink']);
    expect(next.searchParams.get('$maxpagesize')).toBe('2');
    const last = (await call(sim, `${next.pathname}${next.search}`)).json as Record<string, unknown>;
    expectShape('pi-submissions-paged-page2', last);
    expect(last['@nextLink']).toBeUndefined();
    sim.admin.setScenario(PUB, OFFER, { nextLinkForm: 'relative' });
    const relative = (await call(sim, pi(`submission/${guid}`))).json as { nextLink: string };
    expectShape('pi-submissions-paged-relative', relative);
    expect(relative.nextLink).toMatch(/^submission\//);
  });

  it('no preview entry, an empty job detail, jobID, and a bare server error', async () => {
    sim.admin.setScenario(PUB, OFFER, { noPreviewEntry: true });
    const noPreview = await submissions();
    expectShape('pi-submissions-no-preview', noPreview);
    expect(noPreview.value.some((e) => e.target.targetType === 'preview')).toBe(false);

    sim.admin.reset();
    sim.admin.setScenario(PUB, OFFER, { jobDetail: 'empty', jobIdKey: 'jobID' });
    const res = await configure();
    const jobId = (res.json as { jobID: string }).jobID;
    const seen = await pollUntil(
      async () => (await call(sim, pi(`configure/${jobId}/status`))).json as { jobStatus: string },
      (j) => j.jobStatus === 'completed',
    );
    expectShape('pi-configure-status-jobID', seen[seen.length - 1]);
    expectShape('pi-job-detail-empty', (await call(sim, pi(`configure/${jobId}`))).json);

    sim.admin.reset();
    sim.admin.setScenario(PUB, OFFER, { jobError: 'serverError' });
    const failed = await configure();
    const done = await completed(failed.json.jobId);
    expectShape('pi-job-failed-server-error', done[done.length - 1]);
  });

  it('failed job: a collision with a submission in progress, and a stale preview id', async () => {
    sim.admin.setScenario(PUB, OFFER, { neverEnds: true });
    await configure();
    const collided = await configure();
    expectShape('pi-job-failed-in-progress', await jobStatus(collided.json.jobId));
    sim.admin.reset();
    const stale = await configure(ids.previousLive);
    expectShape('pi-job-failed-not-latest', await jobStatus(stale.json.jobId));
  });
});

describe('Cloud Partner Portal answers have the fixtures’ shapes', () => {
  const status = async () => (await call(sim, `${offerPath(PUB, OFFER, '/status')}?${VERSION}`)).json as unknown;

  it('offer status: waiting for sign-off, certifying, live, and while a go-live runs', async () => {
    expectShape('cpp-offer-status-waiting-for-signoff', await status());
    sim.admin.setScenario(PUB, OFFER, { offerStatus: 'certifying' });
    expectShape('cpp-offer-status-certifying', await status());
    sim.admin.setScenario(PUB, OFFER, { offerStatus: 'live' });
    expectShape('cpp-offer-status-live', await status());
    sim.admin.setScenario(PUB, OFFER, { offerStatus: 'awaitingSignoff', durationMs: 60_000 });
    expect((await call(sim, `${offerPath(PUB, OFFER, '/golive')}?${VERSION}`, { method: 'POST' })).status).toBe(202);
    expectShape('cpp-offer-status-golive-running', await status());
  });

  it('operation list: a finished go-live and a running one', async () => {
    sim.admin.setScenario(PUB, OFFER, { durationMs: 50 });
    await call(sim, `${offerPath(PUB, OFFER, '/golive')}?${VERSION}`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 100));
    sim.admin.setScenario(PUB, OFFER, { durationMs: 60_000 });
    await call(sim, `${offerPath(PUB, OFFER, '/golive')}?${VERSION}`, { method: 'POST' });
    const list = (await call(sim, `${offerPath(PUB, OFFER, '/submissions/')}?${VERSION}`)).json as unknown[];
    expect(list).toHaveLength(2);
    expectShape('cpp-operations-list', list);
  });
});
