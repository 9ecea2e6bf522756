import { OperationUrlRefusedError, PartnerApiError } from '../../../src/partner/errors';
import {
  classifyJobError,
  compareSubmissionNumbers,
  currentPreview,
  isAlreadyLive,
  isInFlight,
  JOB_ERROR,
  jobFailureDisposition,
  jobState,
  jobStatusUrl,
  liveGoLives,
  liveSubmissionFromJobDetail,
  liveSubmissionState,
  mapJobErrors,
  parseJobStatus,
  parseOperationUrl,
  parseSubmissions,
  productGuidFrom,
  productGuidFromList,
  publishPhase,
  rawJobStatus,
  submissionUrl,
  submitAgainAdvice,
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
      rawErrors: [],
    });
  });

  it('accepts the jobID spelling and marks completed jobs terminal', () => {
    const parsed = parseJobStatus({ jobID: JOB, jobStatus: 'completed', jobResult: 'succeeded' }, 200);
    // The job's success is the Submit phase only: the Publish to live phase has not started.
    expect(parsed).toMatchObject({ jobId: JOB, state: 'succeeded', terminal: true, progressPercentage: 50 });
    expect(parsed.steps.map((s) => s.status)).toEqual(['complete', 'notStarted']);
  });

  it('treats an unknown status as not terminal and shows it on the step', () => {
    const parsed = parseJobStatus({ jobId: JOB, jobStatus: 'validating' }, 200);
    expect(parsed).toMatchObject({ state: 'unknown', terminal: false, rawStatus: 'validating' });
    expect(parsed.steps[0]?.status).toBe('validating');
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
    expect(parsed.steps.map((s) => s.status)).toEqual(['failed', 'notStarted']);
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
  it('classifies by code alone, case-insensitively: the message never changes the kind', () => {
    // The API's collision is a plain internalServerError: the server-error path (its next submit attaches first).
    expect(classifyJobError(IN_PROGRESS)).toBe('JobServerError');
    expect(classifyJobError({ code: 'InternalServerError', message: 'Something broke.' })).toBe('JobServerError');
    // A stale preview and any other conflict share `conflict`: left to the API's code (permanent, no second POST).
    expect(classifyJobError(STALE)).toBeUndefined();
    expect(classifyJobError({ ...STALE, code: 'Conflict' })).toBeUndefined();
    expect(classifyJobError({ code: 'conflict', message: 'Another conflict.' })).toBeUndefined();
    // invalidState is permanent whatever it says; reported as the certification failure the record shows it for.
    expect(classifyJobError(CERT)).toBe('CertificationFailed');
    expect(classifyJobError({ code: 'InvalidState', message: 'Plan is missing a price.' })).toBe('CertificationFailed');
    // The client's own codes name their kind.
    expect(classifyJobError({ code: 'SubmissionInProgress', message: 'x' })).toBe('SubmissionInProgress');
    expect(classifyJobError({ code: 'submissionnotlatest' })).toBe('SubmissionNotLatest');
    // The same message under another code is not that kind.
    expect(classifyJobError({ ...IN_PROGRESS, code: 'badRequest' })).toBeUndefined();
    expect(classifyJobError({ ...STALE, code: 'internalServerError' })).toBe('JobServerError');
  });

  it('leaves other errors alone; a server error with a permanent code nested is not retryable', () => {
    expect(classifyJobError({ code: 'InternalServerError', message: 'x', details: [{ code: 'BadRequest' }] })).toBe(
      undefined,
    );
    expect(classifyJobError({})).toBeUndefined();
  });

  it('is stable on already mapped codes (what getOperation returns)', () => {
    for (const [raw, kind, disposition] of [
      [IN_PROGRESS, 'JobServerError', 'transient'],
      [{ code: 'SubmissionInProgress', message: 'x' }, 'SubmissionInProgress', 'inProgress'],
      [CERT, 'CertificationFailed', 'permanent'],
    ] as const) {
      const mapped = mapJobErrors([raw]);
      expect(mapped[0]?.code).toBe(kind);
      expect(classifyJobError(mapped[0]!)).toBe(kind);
      expect(jobFailureDisposition(mapped)).toBe(disposition);
    }
  });

  it('classifies by every nested detail: the top level may only say "Operation failed"', () => {
    const nested = (code: string, message: string) => ({
      code: 'internalServerError',
      message: 'Operation failed',
      details: [{ code, message }],
    });
    expect(classifyJobError(nested('invalidState', 'The submission failed Certification.'))).toBe(
      'CertificationFailed',
    );
    expect(classifyJobError(nested('ProductLocked', 'The product is locked.'))).toBe('ProductLocked');
    expect(classifyJobError({ code: 'locked', message: 'Locked.' })).toBe('ProductLocked');
    // deeper still, and a permanent kind anywhere wins over a retryable one at the top
    expect(
      classifyJobError({
        ...IN_PROGRESS,
        details: [{ code: 'x', details: [{ code: 'INVALIDSTATE', message: 'certification' }] }],
      }),
    ).toBe('CertificationFailed');
    expect(jobFailureDisposition([nested('productLocked', 'Locked.')])).toBe('permanent');
    expect(
      jobFailureDisposition([
        nested('conflict', 'The submission cannot be pushed to live as its not the latest submission.'),
      ]),
    ).toBe('permanent');
  });

  it('maps a nested failure with the stable code, the telling message, every detail and an object resourceId', () => {
    const [mapped] = mapJobErrors([
      {
        code: 'internalServerError',
        message: 'Operation failed',
        details: [{ code: 'invalidState', message: 'Certification failed: policy 100.1.' }],
        resourceId: { id: `submission/${P}/1152921515689848683`, type: 'submission' },
      },
    ]);
    expect(mapped).toEqual({
      code: 'CertificationFailed',
      message: 'Operation failed: Certification failed: policy 100.1.',
      details: [
        { code: 'internalServerError', message: 'partner API error code' },
        { code: 'invalidState', message: 'Certification failed: policy 100.1.' },
        { code: 'resourceId', message: `{"id":"submission/${P}/1152921515689848683","type":"submission"}` },
      ],
    });
  });

  it('advises a new Go Live for a server error (twice), a collision (3 times) or a stale preview (once), by code', () => {
    expect(submitAgainAdvice([IN_PROGRESS])).toEqual({ reason: 'JobServerError', maxTimes: 2 });
    expect(submitAgainAdvice([{ code: 'SubmissionInProgress' }])).toEqual({
      reason: 'SubmissionInProgress',
      maxTimes: 3,
    });
    expect(submitAgainAdvice([{ code: 'SubmissionNotLatest' }])).toEqual({
      reason: 'SubmissionNotLatest',
      maxTimes: 1,
    });
    expect(submitAgainAdvice([STALE])).toBeUndefined();
    expect(submitAgainAdvice([CERT])).toBeUndefined();
    expect(submitAgainAdvice([])).toBeUndefined();
  });

  it.each([
    [[IN_PROGRESS], 'transient'],
    [[{ code: 'SubmissionInProgress' }], 'inProgress'],
    [[STALE], 'permanent'],
    [[{ code: 'SubmissionNotLatest' }], 'resubmit'],
    [[CERT], 'permanent'],
    [[STALE, CERT], 'permanent'],
    [[IN_PROGRESS, STALE], 'permanent'],
    [[{ code: 'SubmissionInProgress' }, { code: 'SubmissionNotLatest' }], 'inProgress'],
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

  it('builds and parses the live submission URL with a 19-digit id, kept as text', () => {
    const url = submissionUrl(BASE, `submission/${P}/1152921515689848683`, 'v1');
    expect(url).toBe(`${BASE}/submission/${P}/1152921515689848683?$version=v1`);
    expect(parseOperationUrl(url!, BASE)).toEqual({
      kind: 'submission',
      productGuid: P,
      submissionNumber: '1152921515689848683',
    });
    // no length limit: a longer number than any seen so far still works
    expect(parseOperationUrl(`${BASE}/submission/${P}/${'9'.repeat(30)}`, BASE)).toMatchObject({
      submissionNumber: '9'.repeat(30),
    });
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

  it('reads identity keys without regard to case (the 2023 samples spell externalID)', () => {
    for (const identity of [{ externalID: 'contoso-vm-offer' }, { EXTERNALID: 'contoso-vm-offer' }]) {
      expect(productGuidFromList({ value: [{ id: `product/${P}`, Identity: identity }] }, 'contoso-vm-offer')).toBe(P);
    }
  });

  it('refuses none, several or no list with typed errors', () => {
    expect(() => productGuidFromList({ value: [] }, 'x')).toThrow(expect.objectContaining({ code: 'NotFound' }));
    const two = { value: [1, 2].map((n) => ({ id: `product/g${n}`, identity: { externalId: 'x' } })) };
    expect(() => productGuidFromList(two, 'x')).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
    expect(() => productGuidFromList('nope', 'x')).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
  });

  // Real ids: 19-digit numbers past 2^53. OLD and NEW differ only in their last digits, where JS numbers are equal.
  const OLD = '1152921515689848683';
  const NEW = '1152921515689848690';
  const list = {
    value: [
      { id: `submission/${P}/0`, target: { targetType: 'draft' } },
      {
        id: `submission/${P}/${OLD}`,
        target: { targetType: 'preview' },
        status: 'completed',
        result: 'succeeded',
        created: '2024-01-01T00:00:00Z',
      },
      {
        id: `submission/${P}/${NEW}`,
        target: { targetType: 'preview' },
        status: 'completed',
        result: 'succeeded',
        created: '2024-01-01T00:00:00Z',
      },
      {
        id: `submission/${P}/${OLD}`,
        target: { targetType: 'live' },
        status: 'completed',
        result: 'succeeded',
        created: '2024-01-01T00:00:00Z',
      },
      {
        id: `submission/${P}/${NEW}`,
        target: { targetType: 'live' },
        status: 'running',
        result: 'pending',
        created: '2024-02-01T00:00:00Z',
      },
      { id: 'garbage' },
      null,
    ],
  };

  it('the two ids are the same JS number: only a BigInt comparison tells them apart', () => {
    expect(Number(OLD)).toBe(Number(NEW));
    expect(compareSubmissionNumbers(OLD, NEW)).toBe(-1);
    expect(compareSubmissionNumbers(NEW, OLD)).toBe(1);
    expect(compareSubmissionNumbers(NEW, NEW)).toBe(0);
    expect(compareSubmissionNumbers('11521167929065', OLD)).toBe(-1);
  });

  it('reads the list, keeping ids as text and skipping entries without a submission id', () => {
    const subs = parseSubmissions(list);
    expect(subs).toHaveLength(5);
    expect(subs[0]).toEqual({ id: `submission/${P}/0`, number: '0', targetType: 'draft' });
    expect(subs[4]).toMatchObject({ id: `submission/${P}/${NEW}`, number: NEW });
    expect(() => parseSubmissions({ nothing: true })).toThrow(PartnerApiError);
  });

  it('skips the draft, picks the newest preview (by created, then the number as a BigInt) and sees what is in flight', () => {
    const subs = parseSubmissions(list);
    expect(currentPreview(subs)?.id).toBe(`submission/${P}/${NEW}`);
    // a later `created` wins over a higher number
    const later = parseSubmissions({
      value: [
        { id: `submission/${P}/${NEW}`, target: { targetType: 'preview' }, created: '2024-01-01T00:00:00Z' },
        { id: `submission/${P}/${OLD}`, target: { targetType: 'preview' }, created: '2024-03-01T00:00:00Z' },
      ],
    });
    expect(currentPreview(later)?.id).toBe(`submission/${P}/${OLD}`);
    expect(subs.filter(isInFlight).map((s) => `${s.targetType}:${s.id}`)).toEqual([`live:submission/${P}/${NEW}`]);
    expect(currentPreview(parseSubmissions({ value: [list.value[0]] }))).toBeUndefined();
  });

  it('a preview is already live only when a live entry with its very id is completed and succeeded', () => {
    const subs = parseSubmissions(list);
    const [oldPreview, newPreview] = subs.filter((s) => s.targetType === 'preview');
    expect(isAlreadyLive(subs, oldPreview!)).toBe(true);
    // NEW is live but still running; and OLD being live says nothing about NEW (equal as JS numbers)
    expect(isAlreadyLive(subs, newPreview!)).toBe(false);
  });

  it('lists live submissions as go-lives: running ones, and finished ones created since a time', () => {
    const subs = parseSubmissions(list);
    const running = {
      operationUrl: `${BASE}/submission/${P}/${NEW}?$version=v1`,
      operationId: `submission/${P}/${NEW}`,
      submissionType: 'live',
      rawStatus: 'running',
      running: true,
      changedTime: '2024-02-01T00:00:00Z',
      createdAt: '2024-02-01T00:00:00Z',
    };
    expect(liveGoLives(subs, BASE, 'v1')).toEqual([running]);
    expect(liveGoLives(subs, BASE, 'v1', '2024-01-31T00:00:00Z')).toEqual([running]);
    // only the go-live of the preview's id: another live submission is not this go-live
    expect(liveGoLives(subs, BASE, 'v1', undefined, `submission/${P}/${NEW}`)).toEqual([running]);
    expect(liveGoLives(subs, BASE, 'v1', undefined, `submission/${P}/${OLD}`)).toEqual([]);
    expect(liveGoLives(subs, BASE, 'v1', '2023-12-31T00:00:00Z')).toEqual([
      expect.objectContaining({
        operationId: `submission/${P}/${OLD}`,
        running: false,
        rawStatus: 'completed/succeeded',
      }),
      running,
    ]);
  });

  it('follows a live submission: in flight first, else the newest finished entry', () => {
    const subs = parseSubmissions(list);
    expect(liveSubmissionState(subs, `submission/${P}/${NEW}`)).toMatchObject({
      state: 'running',
      rawStatus: 'running',
    });
    expect(liveSubmissionState(subs, `submission/${P}/${OLD}`)).toMatchObject({
      state: 'succeeded',
      rawStatus: 'completed/succeeded',
    });
    expect(liveSubmissionState(subs, `submission/${P}/9`)).toBeUndefined();
  });

  it('reports the Publish to live phase: running beside the old live entry, failed with the id and result, not yet listed', () => {
    const subs = parseSubmissions(list);
    expect(publishPhase(subs, `submission/${P}/${NEW}`)).toMatchObject({
      state: 'running',
      terminal: false,
      progressPercentage: 75,
      steps: [
        { stepName: 'Submit', status: 'complete' },
        { stepName: 'Publish to live', status: 'inProgress' },
      ],
    });
    const failed = parseSubmissions({
      value: [{ id: `submission/${P}/${NEW}`, target: { targetType: 'live' }, status: 'completed', result: 'failed' }],
    });
    expect(publishPhase(failed, `submission/${P}/${NEW}`)).toMatchObject({
      state: 'failed',
      terminal: true,
      errors: [
        {
          code: 'LiveSubmissionFailed',
          message: expect.stringContaining(`submission/${P}/${NEW} completed with result failed`),
        },
      ],
    });
    const previewOnly = parseSubmissions({ value: [list.value[2]] });
    expect(publishPhase(previewOnly, `submission/${P}/${NEW}`)).toMatchObject({
      state: 'notStarted',
      rawStatus: 'notListed',
      terminal: false,
    });
    expect(publishPhase(previewOnly, `submission/${P}/123`)).toBeUndefined();
  });

  it('finds the submission a finished job pushed live in its detail', () => {
    const id = `submission/${P}/${NEW}`;
    expect(liveSubmissionFromJobDetail({ resources: [{ id, target: { targetType: 'live' } }] })).toBe(id);
    expect(liveSubmissionFromJobDetail({ resources: [{ id, target: { targetType: 'preview' } }] })).toBeUndefined();
    expect(liveSubmissionFromJobDetail({})).toBeUndefined();
  });

  it('synthesizes the same two steps for every phase', () => {
    expect(synthesizeSteps({ phase: 'submit', state: 'notStarted' }).map((s) => s.status)).toEqual([
      'notStarted',
      'notStarted',
    ]);
    expect(synthesizeSteps({ phase: 'submit', state: 'canceled' }).map((s) => s.status)).toEqual([
      'canceled',
      'notStarted',
    ]);
    expect(synthesizeSteps({ phase: 'publish', state: 'succeeded' }).map((s) => s.status)).toEqual([
      'complete',
      'complete',
    ]);
  });
});
