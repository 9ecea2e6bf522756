import { OperationUrlRefusedError, PartnerApiError } from '../../../src/partner/errors';
import {
  classifyJobError,
  currentPreview,
  isInFlight,
  JOB_ERROR,
  jobFailureDisposition,
  jobState,
  jobStatusUrl,
  liveSubmissionState,
  mapJobErrors,
  parseJobStatus,
  parseOperationUrl,
  parseSubmissions,
  productGuidFrom,
  productGuidFromList,
  rawJobStatus,
  runningLiveSubmissions,
  submissionUrl,
  synthesizeSteps,
} from '../../../src/partner/productIngestionStatus';
import { RUNNING_JOB } from './helpers';

const BASE = 'https://graph.example.test/rp/product-ingestion';
const P = '2f7c9c1e-1111-4a2b-9c3d-000000000abc';
const JOB = '6b2d1c0e-2222-4b3c-8d4e-000000000def';

const IN_PROGRESS = {
  code: 'internalServerError',
  message: 'An In Progress submission 1152921505697261231 already exists.',
};
const STALE = {
  code: 'conflict',
  message: 'The submission cannot be pushed to live as its not the latest submission.',
};
const CERT = { code: 'invalidState', message: 'The submission failed certification: policy 100.1 not met.' };

describe('jobState (jobStatus + jobResult, any case)', () => {
  it.each([
    ['notStarted', 'pending', 'notStarted'],
    ['NotStarted', undefined, 'notStarted'],
    ['running', 'pending', 'running'],
    ['Running', 'Pending', 'running'],
    ['completed', 'succeeded', 'succeeded'],
    ['Completed', 'Succeeded', 'succeeded'],
    ['completed', 'failed', 'failed'],
    ['COMPLETED', 'FAILED', 'failed'],
    ['completed', 'cancelled', 'canceled'],
    ['completed', 'canceled', 'canceled'],
    ['completed', 'pending', 'unknown'],
    ['completed', undefined, 'unknown'],
    ['queued', 'pending', 'unknown'],
    [undefined, undefined, 'unknown'],
  ])('%s / %s → %s', (status, result, expected) => {
    expect(jobState(status, result)).toBe(expected);
  });

  it('reports the raw status with the result once completed', () => {
    expect(rawJobStatus('running', 'pending')).toBe('running');
    expect(rawJobStatus('completed', 'succeeded')).toBe('completed/succeeded');
    expect(rawJobStatus('completed', undefined)).toBe('completed');
  });
});

describe('parseJobStatus', () => {
  it('reads the documented configure-status object', () => {
    const parsed = parseJobStatus(
      {
        $schema: 'https://schema.mp.microsoft.com/schema/configure-status/2022-03-01-preview2',
        jobId: JOB,
        jobStatus: 'running',
        jobResult: 'pending',
        jobStart: '2024-05-01T10:00:00.0000000Z',
        jobEnd: '0001-01-01T00:00:00',
        errors: [],
      },
      200,
    );
    expect(parsed).toEqual({
      jobId: JOB,
      ...RUNNING_JOB,
    });
  });

  it('accepts the jobID spelling and marks completed jobs terminal', () => {
    const parsed = parseJobStatus({ jobID: JOB, jobStatus: 'completed', jobResult: 'succeeded' }, 200);
    expect(parsed).toMatchObject({ jobId: JOB, state: 'succeeded', terminal: true, progressPercentage: 100 });
    expect(parsed.steps.map((s) => s.status)).toEqual(['complete', 'complete']);
  });

  it('treats an unknown status as not terminal and shows it on the step', () => {
    const parsed = parseJobStatus({ jobId: JOB, jobStatus: 'validating' }, 200);
    expect(parsed).toMatchObject({ state: 'unknown', terminal: false, rawStatus: 'validating' });
    expect(parsed.steps[1]?.status).toBe('validating');
  });

  it('maps job errors with the recognised one first', () => {
    const parsed = parseJobStatus(
      {
        jobId: JOB,
        jobStatus: 'completed',
        jobResult: 'failed',
        errors: [
          { code: 'validationWarning', message: 'Description is short.' },
          {
            ...CERT,
            details: [{ code: 'invalidState', message: 'Certification failed.' }],
            resourceId: `submission/${P}/2`,
          },
        ],
      },
      200,
    );
    expect(parsed.state).toBe('failed');
    expect(parsed.steps[1]?.status).toBe('failed');
    expect(parsed.errors?.map((e) => e.code)).toEqual([JOB_ERROR.certification, 'validationWarning']);
    expect(parsed.errors?.[0]).toEqual({
      code: 'CertificationFailed',
      message: CERT.message,
      details: [
        { code: 'invalidState', message: 'partner API error code' },
        { code: 'invalidState', message: 'Certification failed.' },
        { code: 'resourceId', message: `submission/${P}/2` },
      ],
    });
  });

  it('refuses a body without a job id with a typed error', () => {
    for (const body of [undefined, 'text', [], { jobStatus: 'running' }]) {
      expect(() => parseJobStatus(body, 200)).toThrow(PartnerApiError);
    }
    try {
      parseJobStatus({ jobStatus: 'running' }, 200, 'req-1');
    } catch (e) {
      expect(e).toMatchObject({ code: 'UnexpectedResponse', statusCode: 200, requestId: 'req-1' });
    }
  });
});

describe('job error classification and the run disposition', () => {
  it('recognises the three documented job failures, case-insensitively', () => {
    expect(classifyJobError(IN_PROGRESS)).toBe('SubmissionInProgress');
    expect(
      classifyJobError({ code: 'InternalServerError', message: 'An in progress submission 7 already exists.' }),
    ).toBe('SubmissionInProgress');
    expect(classifyJobError(STALE)).toBe('SubmissionNotLatest');
    expect(classifyJobError({ ...STALE, code: 'Conflict' })).toBe('SubmissionNotLatest');
    expect(classifyJobError(CERT)).toBe('CertificationFailed');
    expect(classifyJobError({ code: 'InvalidState', message: 'Certification is blocked.' })).toBe(
      'CertificationFailed',
    );
  });

  it('leaves other errors alone', () => {
    expect(classifyJobError({ code: 'internalServerError', message: 'Something broke.' })).toBeUndefined();
    expect(classifyJobError({ code: 'conflict', message: 'Another conflict.' })).toBeUndefined();
    expect(classifyJobError({ code: 'invalidState', message: 'Plan is missing a price.' })).toBeUndefined();
    expect(classifyJobError({})).toBeUndefined();
  });

  it('is stable on already mapped codes (what getOperation returns)', () => {
    const mapped = mapJobErrors([IN_PROGRESS]);
    expect(mapped[0]?.code).toBe('SubmissionInProgress');
    expect(classifyJobError(mapped[0]!)).toBe('SubmissionInProgress');
    expect(jobFailureDisposition(mapped)).toBe('inProgress');
  });

  it.each([
    [[IN_PROGRESS], 'inProgress'],
    [[STALE], 'resubmit'],
    [[CERT], 'permanent'],
    [[STALE, CERT], 'permanent'],
    [[IN_PROGRESS, STALE], 'inProgress'],
    [[{ code: 'badRequest', message: 'Schema validation failed.' }], 'permanent'],
    [[], 'permanent'],
    [undefined, 'permanent'],
  ])('%j → %s', (errors, expected) => {
    expect(jobFailureDisposition(errors)).toBe(expected);
  });

  it('bounds and sanitises what it keeps', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ code: `e${i}`, message: 'x'.repeat(5_000) }));
    const mapped = mapJobErrors([null, 'text', ...many]);
    expect(mapped).toHaveLength(18);
    expect(mapped[0]?.message).toHaveLength(2_000);
    expect(mapJobErrors('not a list')).toEqual([]);
    expect(mapJobErrors([{ message: 'no code' }])[0]?.code).toBe('jobError');
  });
});

describe('operation URLs', () => {
  it('builds and parses the job status URL', () => {
    const url = jobStatusUrl(`${BASE}/`, JOB, '2022-03-01-preview2');
    expect(url).toBe(`${BASE}/configure/${JOB}/status?$version=2022-03-01-preview2`);
    expect(parseOperationUrl(url, BASE)).toEqual({ kind: 'job', jobId: JOB });
    expect(parseOperationUrl(`/rp/product-ingestion/configure/${JOB}/status`, BASE)).toEqual({
      kind: 'job',
      jobId: JOB,
    });
  });

  it('builds and parses the attached live submission URL', () => {
    const url = submissionUrl(BASE, `submission/${P}/3`, 'v1');
    expect(url).toBe(`${BASE}/submission/${P}/3?$version=v1`);
    expect(parseOperationUrl(url!, BASE)).toEqual({ kind: 'submission', productGuid: P, submissionNumber: '3' });
    expect(submissionUrl(BASE, 'product/x', 'v1')).toBeUndefined();
  });

  it.each([
    ['another origin', `https://evil.example.test/rp/product-ingestion/configure/${JOB}/status`],
    ['another port', `https://graph.example.test:8443/rp/product-ingestion/configure/${JOB}/status`],
    ['http instead of https', `http://graph.example.test/rp/product-ingestion/configure/${JOB}/status`],
    ['user info', `https://user:pw@graph.example.test/rp/product-ingestion/configure/${JOB}/status`],
    ['outside the base path', `https://graph.example.test/v1.0/me`],
    ['a dot-dot escape', `https://graph.example.test/rp/product-ingestion/../v1.0/configure/${JOB}/status`],
    ['an encoded slash', `https://graph.example.test/rp/product-ingestion/configure/a%2Fb/status`],
    ['another resource', `https://graph.example.test/rp/product-ingestion/product/${P}`],
    ['the job detail', `https://graph.example.test/rp/product-ingestion/configure/${JOB}`],
    ['the cancel action', `https://graph.example.test/rp/product-ingestion/configure/${JOB}/cancel`],
    ['javascript', 'javascript:alert(1)'],
    ['empty', '  '],
  ])('refuses %s', (_what, url) => {
    expect(() => parseOperationUrl(url, BASE)).toThrow(OperationUrlRefusedError);
  });

  it('reads productId in both forms and refuses anything else', () => {
    expect(productGuidFrom(`product/${P}`)).toBe(P);
    expect(productGuidFrom(P)).toBe(P);
    expect(() => productGuidFrom('product/../x')).toThrow(PartnerApiError);
    expect(() => productGuidFrom('a/b')).toThrow(PartnerApiError);
  });
});

describe('products and submissions', () => {
  it('finds the product whose external id matches exactly', () => {
    const body = {
      value: [
        { id: 'product/aaa', identity: { externalId: 'contoso-vm-offer-2' } },
        { id: `product/${P}`, identity: { externalId: 'contoso-vm-offer' } },
      ],
    };
    expect(productGuidFromList(body, 'contoso-vm-offer')).toBe(P);
  });

  it('refuses none, several or no list with typed errors', () => {
    expect(() => productGuidFromList({ value: [] }, 'x')).toThrow(expect.objectContaining({ code: 'NotFound' }));
    const two = { value: [1, 2].map((n) => ({ id: `product/g${n}`, identity: { externalId: 'x' } })) };
    expect(() => productGuidFromList(two, 'x')).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
    expect(() => productGuidFromList('nope', 'x')).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
  });

  const list = {
    value: [
      { id: `submission/${P}/0`, target: { targetType: 'draft' } },
      { id: `submission/${P}/1`, target: { targetType: 'preview' }, status: 'completed', result: 'succeeded' },
      { id: `submission/${P}/2`, target: { targetType: 'preview' }, status: 'completed', result: 'succeeded' },
      {
        id: `submission/${P}/1`,
        target: { targetType: 'live' },
        status: 'completed',
        result: 'succeeded',
        created: '2024-01-01T00:00:00Z',
      },
      {
        id: `submission/${P}/2`,
        target: { targetType: 'live' },
        status: 'running',
        result: 'pending',
        created: '2024-02-01T00:00:00Z',
      },
      { id: 'garbage' },
      null,
    ],
  };

  it('reads the list, skipping entries without a submission id', () => {
    const subs = parseSubmissions(list);
    expect(subs).toHaveLength(5);
    expect(subs[0]).toEqual({ id: `submission/${P}/0`, number: 0, targetType: 'draft' });
    expect(() => parseSubmissions({ nothing: true })).toThrow(PartnerApiError);
  });

  it('skips the draft, picks the newest preview and sees what is in flight', () => {
    const subs = parseSubmissions(list);
    expect(currentPreview(subs)?.id).toBe(`submission/${P}/2`);
    expect(subs.filter(isInFlight).map((s) => `${s.targetType}:${s.id}`)).toEqual([`live:submission/${P}/2`]);
    expect(currentPreview(parseSubmissions({ value: [list.value[0]] }))).toBeUndefined();
  });

  it('lists running live submissions as attachable operations', () => {
    expect(runningLiveSubmissions(parseSubmissions(list), BASE, 'v1')).toEqual([
      {
        operationUrl: `${BASE}/submission/${P}/2?$version=v1`,
        operationId: `submission/${P}/2`,
        submissionType: 'live',
        rawStatus: 'running',
        changedTime: '2024-02-01T00:00:00Z',
      },
    ]);
  });

  it('follows a live submission: in flight first, else the newest finished entry', () => {
    const subs = parseSubmissions(list);
    expect(liveSubmissionState(subs, `submission/${P}/2`)).toMatchObject({ state: 'running', rawStatus: 'running' });
    expect(liveSubmissionState(subs, `submission/${P}/1`)).toMatchObject({
      state: 'succeeded',
      rawStatus: 'completed/succeeded',
    });
    expect(liveSubmissionState(subs, `submission/${P}/9`)).toBeUndefined();
  });

  it('synthesizes the same two steps for every state', () => {
    expect(synthesizeSteps('notStarted', 'notStarted').map((s) => s.status)).toEqual(['notStarted', 'notStarted']);
    expect(synthesizeSteps('canceled', 'completed/cancelled').map((s) => s.status)).toEqual(['complete', 'canceled']);
  });
});
