import { productGuidFor, type RunningSimulator, startSimulator, submissionIdsFor } from '../../../tools/simulator';
import { call, pollUntil, readJson } from './helpers';

const OFFER = 'fabrikam-vm';
const V = '$version=2022-03-01-preview2';
const pi = (path: string, query = '') => `/rp/product-ingestion/${path}?${V}${query}`;

function configureBody(productRef: unknown, submissionId?: string, targetType = 'live') {
  return JSON.stringify({
    $schema: 'https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2',
    resources: [
      {
        $schema: 'https://schema.mp.microsoft.com/schema/submission/2022-03-01-preview2',
        ...(submissionId ? { id: submissionId } : {}),
        product: productRef,
        target: { targetType },
      },
    ],
  });
}

describe('simulator: Product Ingestion API', () => {
  let sim: RunningSimulator;
  const guid = productGuidFor(OFFER);
  const ids = submissionIdsFor(OFFER);
  type Entry = { id: string; target: { targetType: string }; status?: string; result?: string; created: string };
  const submissions = async (): Promise<Entry[]> =>
    ((await readJson(sim, pi(`submission/${guid}`))) as { value: Entry[] }).value;
  const liveEntries = async () => (await submissions()).filter((s) => s.target.targetType === 'live');

  beforeAll(async () => {
    sim = await startSimulator({ defaults: { durationMs: 400, jobDurationMs: 200 } });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.admin.reset());

  const configure = (body: string) => call(sim, pi('configure'), { method: 'POST', body });
  const jobStatus = (jobId: string) => readJson(sim, pi(`configure/${jobId}/status`));

  it('checks the token and $version', async () => {
    const noToken = await call(sim, pi('product', `&externalId=${OFFER}`), { token: null });
    expect(noToken.status).toBe(401);
    expect(noToken.json.error.code).toBe('unauthorized');
    const noVersion = await call(sim, `/rp/product-ingestion/product?externalId=${OFFER}`);
    expect(noVersion.status).toBe(400);
    expect(noVersion.json.error).toEqual({ code: 'badRequest', message: 'The $version query parameter is required.' });
  });

  it('finds the product by external id and lists its submissions: draft, preview and the older live version', async () => {
    const products = await call(sim, pi('product', `&externalId=${OFFER}`));
    expect(products.json.value).toEqual([
      expect.objectContaining({ id: `product/${guid}`, identity: { externalId: OFFER }, type: 'azureVirtualMachine' }),
    ]);
    expect((await call(sim, pi('product', '&externalId=unknown'))).json.value).toEqual([]);

    const list = await submissions();
    expect(list.map((s) => [s.id, s.target.targetType])).toEqual([
      [`submission/${guid}/0`, 'draft'],
      [ids.preview, 'preview'],
      [ids.previousLive, 'live'],
    ]);
    // Real ids: 19-digit numbers past 2^53; the preview and the live version differ only where JS numbers cannot.
    for (const id of [ids.preview, ids.previousLive]) expect(id).toMatch(/^submission\/[0-9a-f-]{36}\/\d{19}$/);
    expect(Number(ids.preview.split('/')[2])).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(Number(ids.preview.split('/')[2])).toBe(Number(ids.previousLive.split('/')[2]));
    expect(list[1]).toMatchObject({ status: 'completed', result: 'succeeded' });
    expect(list[0]?.status).toBeUndefined();
    expect((await call(sim, pi('submission/00000000-0000-0000-0000-000000000000'))).status).toBe(404);
  });

  it('spells the identity key externalID when the scenario says so', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { identityKey: 'externalID' });
    const products = await call(sim, pi('product', `&externalId=${OFFER}`));
    expect(products.json.value[0].identity).toEqual({ externalID: OFFER });
  });

  it('pushes the preview live in two parts: a quick configure job, then a live submission beside the old one', async () => {
    const res = await configure(configureBody(`product/${guid}`, ids.preview));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      $schema: 'https://schema.mp.microsoft.com/schema/configure-status/2022-03-01-preview2',
      jobStatus: 'notStarted',
      jobResult: 'pending',
      jobEnd: '0001-01-01T00:00:00',
      errors: [],
    });
    const seen = await pollUntil(
      () => jobStatus(res.json.jobId),
      (j) => j.jobStatus === 'completed',
    );
    expect(seen.some((j) => j.jobStatus === 'running' && j.jobResult === 'pending')).toBe(true);
    const done = seen[seen.length - 1];
    expect(done).toMatchObject({ jobResult: 'succeeded', errors: [] });
    expect(done.jobEnd).not.toBe('0001-01-01T00:00:00');
    const detail = await call(sim, pi(`configure/${res.json.jobId}`));
    expect(detail.json.resources).toEqual([
      expect.objectContaining({ id: ids.preview, target: { targetType: 'live' } }),
    ]);

    // The job's success is not the offer's: two live entries while the new version goes live.
    const during = await liveEntries();
    expect(during.map((s) => [s.id, s.status, s.result])).toEqual([
      [ids.previousLive, 'completed', 'succeeded'],
      [ids.preview, expect.stringMatching(/^(notStarted|running)$/), 'pending'],
    ]);
    const history = await pollUntil(liveEntries, (l) => l.every((s) => s.status === 'completed'));
    expect(history.some((l) => l.some((s) => s.id === ids.preview && s.status === 'running'))).toBe(true);
    // Promoted: the old entry is replaced, preview and live share the id.
    expect((await liveEntries()).map((s) => [s.id, s.status, s.result])).toEqual([
      [ids.preview, 'completed', 'succeeded'],
    ]);
  });

  it('a failing live submission completes with result failed after a successful job; the old live entry stays', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { outcome: 'failed' });
    const res = await configure(configureBody({ externalId: OFFER }, ids.preview));
    await pollUntil(
      () => jobStatus(res.json.jobId),
      (j) => j.jobStatus === 'completed',
    );
    expect((await jobStatus(res.json.jobId)).jobResult).toBe('succeeded');
    await pollUntil(liveEntries, (l) => l.every((s) => s.status === 'completed'));
    expect((await liveEntries()).map((s) => [s.id, s.result])).toEqual([
      [ids.previousLive, 'succeeded'],
      [ids.preview, 'failed'],
    ]);
  });

  it.each([
    ['certification', 'invalidState', /Certification/],
    ['productLocked', 'productLocked', /locked/],
  ] as const)(
    'jobError %s: the job fails with a nested %s detail and nothing goes live',
    async (jobError, code, text) => {
      sim.admin.setScenario('fabrikam', OFFER, { jobError });
      const res = await configure(configureBody({ externalId: OFFER }, ids.preview));
      const seen = await pollUntil(
        () => jobStatus(res.json.jobId),
        (j) => j.jobStatus === 'completed',
      );
      const done = seen[seen.length - 1];
      expect(done.jobResult).toBe('failed');
      expect(done.errors[0]).toMatchObject({ code: 'internalServerError', message: 'Operation failed' });
      expect(done.errors[0].details[0].code).toBe(code);
      expect(done.errors[0].details[0].message).toMatch(text);
      expect((await liveEntries()).map((s) => s.id)).toEqual([ids.previousLive]);
    },
  );

  it('previewAlreadyLive: preview and live share the id', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { previewAlreadyLive: true });
    expect((await liveEntries()).map((s) => [s.id, s.status, s.result])).toEqual([
      [ids.preview, 'completed', 'succeeded'],
    ]);
  });

  it('refuses a second live submission while one is in progress, as a job error', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { neverEnds: true });
    const first = await configure(configureBody(`product/${guid}`));
    expect(first.status).toBe(202);
    // while the first job still runs
    const second = await configure(configureBody(`product/${guid}`));
    const number = ids.preview.split('/')[2];
    expect(await jobStatus(second.json.jobId)).toMatchObject({
      jobStatus: 'completed',
      jobResult: 'failed',
      errors: [{ code: 'internalServerError', message: `An In Progress submission ${number} already exists.` }],
    });
    // and while its live submission runs
    await pollUntil(liveEntries, (l) => l.some((s) => s.id === ids.preview && s.status === 'running'));
    const third = await configure(configureBody(`product/${guid}`));
    expect((await jobStatus(third.json.jobId)).errors[0].message).toContain(number);
    const live = await liveEntries();
    expect(live.filter((s) => s.id === ids.preview)).toHaveLength(1);
  });

  it('refuses a submission id that is not the latest preview with a conflict job error', async () => {
    const res = await configure(configureBody(`product/${guid}`, ids.previousLive));
    const status = await jobStatus(res.json.jobId);
    expect(status.jobResult).toBe('failed');
    expect(status.errors[0].code).toBe('conflict');
  });

  it('cancels a running job, and refuses to cancel a finished one', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { jobDurationMs: 60_000 });
    const res = await configure(configureBody(`product/${guid}`));
    const cancelled = await call(sim, pi(`configure/${res.json.jobId}/cancel`), { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ jobStatus: 'completed', jobResult: 'cancelled' });
    const again = await call(sim, pi(`configure/${res.json.jobId}/cancel`), { method: 'POST' });
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({
      code: 'badRequest',
      message: 'Cannot cancel job, job has already completed.',
    });
    // The product is free again.
    const next = await configure(configureBody(`product/${guid}`));
    expect((await jobStatus(next.json.jobId)).jobResult).toBe('pending');
  });

  it('answers 400 for a bad configure body, 404 for unknown products and jobs', async () => {
    expect((await configure('{}')).status).toBe(400);
    expect((await configure(configureBody(`product/${guid}`, undefined, 'preview'))).status).toBe(400);
    expect((await configure(configureBody({ externalId: 'nope' }))).status).toBe(404);
    expect((await call(sim, pi('configure/6a1c1e2b-0000-0000-0000-000000000000/status'))).status).toBe(404);
  });

  it('applies the offer scenario to product ingestion requests', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { throttle: { count: 1, retryAfterSeconds: 2 } });
    const throttled = await call(sim, pi(`submission/${guid}`));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.json.error.code).toBe('tooManyRequests');
    expect((await call(sim, pi(`submission/${guid}`))).status).toBe(200);
    expect(sim.admin.requests({ offerId: OFFER }).map((r) => [r.api, r.status])).toEqual([
      ['productIngestion', 429],
      ['productIngestion', 200],
    ]);
  });
});
