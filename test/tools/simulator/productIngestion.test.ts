import { productGuidFor, type RunningSimulator, startSimulator } from '../../../tools/simulator';
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

  beforeAll(async () => {
    sim = await startSimulator({ defaults: { durationMs: 400 } });
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

  it('finds the product by external id and lists its submissions with a preview ready', async () => {
    const products = await call(sim, pi('product', `&externalId=${OFFER}`));
    expect(products.json.value).toEqual([
      expect.objectContaining({ id: `product/${guid}`, identity: { externalId: OFFER }, type: 'azureVirtualMachine' }),
    ]);
    expect((await call(sim, pi('product', '&externalId=unknown'))).json.value).toEqual([]);

    const submissions = await call(sim, pi(`submission/${guid}`));
    expect(
      submissions.json.value.map((s: { id: string; target: { targetType: string } }) => [s.id, s.target.targetType]),
    ).toEqual([
      [`submission/${guid}/0`, 'draft'],
      [`submission/${guid}/1`, 'preview'],
    ]);
    expect(submissions.json.value[1]).toMatchObject({ status: 'completed', result: 'succeeded' });
    expect(submissions.json.value[0].status).toBeUndefined();
    expect((await call(sim, pi('submission/00000000-0000-0000-0000-000000000000'))).status).toBe(404);
  });

  it('pushes the preview live: 202 configure-status, then notStarted/running -> completed succeeded', async () => {
    const res = await configure(configureBody(`product/${guid}`, `submission/${guid}/1`));
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

    const live = (await readJson(sim, pi(`submission/${guid}`, '&targetType=live'))).value;
    expect(live).toEqual([
      expect.objectContaining({ id: `submission/${guid}/1`, status: 'completed', result: 'succeeded' }),
    ]);
    const detail = await call(sim, pi(`configure/${res.json.jobId}`));
    expect(detail.json.resources).toHaveLength(1);
  });

  it('fails the job with an invalidState certification error when the scenario fails', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { outcome: 'failed' });
    const res = await configure(configureBody({ externalId: OFFER }));
    const seen = await pollUntil(
      () => jobStatus(res.json.jobId),
      (j) => j.jobStatus === 'completed',
    );
    const done = seen[seen.length - 1];
    expect(done.jobResult).toBe('failed');
    expect(done.errors[0].code).toBe('invalidState');
    expect(done.errors[0].message).toContain('certification');
  });

  it('refuses a second live submission while one is in progress, as a job error', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { neverEnds: true });
    const first = await configure(configureBody(`product/${guid}`));
    expect(first.status).toBe(202);
    const second = await configure(configureBody(`product/${guid}`));
    expect(second.status).toBe(202);
    const refused = await jobStatus(second.json.jobId);
    expect(refused).toMatchObject({ jobStatus: 'completed', jobResult: 'failed' });
    expect(refused.errors[0]).toMatchObject({
      code: 'internalServerError',
      message: 'An In Progress submission 1 already exists.',
    });
    const live = (await readJson(sim, pi(`submission/${guid}`, '&targetType=live'))).value;
    expect(live).toHaveLength(1);
    expect(live[0].status).not.toBe('completed');
  });

  it('refuses a submission id that is not the latest preview with a conflict job error', async () => {
    const res = await configure(configureBody(`product/${guid}`, `submission/${guid}/0`));
    const status = await jobStatus(res.json.jobId);
    expect(status.jobResult).toBe('failed');
    expect(status.errors[0].code).toBe('conflict');
  });

  it('cancels a running job, and refuses to cancel a finished one', async () => {
    sim.admin.setScenario('fabrikam', OFFER, { neverEnds: true });
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
