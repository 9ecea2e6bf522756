import { OperationUrlRefusedError } from '../../../src/partner/errors';
import {
  normalizeOperationStatus,
  operationIdFromUrl,
  overallProgress,
  parseOfferStatus,
  parseOperation,
  parseOperationList,
  parseRunningOperations,
  resolveOperationUrl,
} from '../../../src/partner/operation';

const ORIGIN = 'https://cloudpartner.azure.com';

describe('resolveOperationUrl', () => {
  it('resolves a relative path against the configured origin', () => {
    const url = resolveOperationUrl('/api/publishers/contoso/offers/vm/operations/abc?api-version=2017-10-31', ORIGIN);
    expect(url.href).toBe(
      'https://cloudpartner.azure.com/api/publishers/contoso/offers/vm/operations/abc?api-version=2017-10-31',
    );
  });

  it('accepts an absolute URL on the same origin (default port spelled out too)', () => {
    expect(resolveOperationUrl(`${ORIGIN}/api/operations/x`, ORIGIN).pathname).toBe('/api/operations/x');
    expect(resolveOperationUrl('https://cloudpartner.azure.com:443/api/operations/x', ORIGIN).origin).toBe(ORIGIN);
    expect(resolveOperationUrl('HTTPS://CloudPartner.Azure.com/api/x', ORIGIN).origin).toBe(ORIGIN);
  });

  it('keeps the legacy non-migrated form', () => {
    const url = resolveOperationUrl('/api/operations/contoso$vm$2$preview?api-version=2017-10-31', ORIGIN);
    expect(operationIdFromUrl(url)).toBe('contoso$vm$2$preview');
  });

  it.each([
    ['another host', 'https://evil.example.com/api/operations/x'],
    ['a look-alike host', 'https://cloudpartner.azure.com.evil.example/api/operations/x'],
    ['another scheme', 'http://cloudpartner.azure.com/api/operations/x'],
    ['another port', 'https://cloudpartner.azure.com:8443/api/operations/x'],
    ['a protocol-relative URL', '//evil.example.com/api/operations/x'],
    ['user info', 'https://user:pw@cloudpartner.azure.com/api/operations/x'],
    ['a path outside /api/', '/admin/x'],
    ['a dot-dot escape', '/api/../admin/x'],
    ['an encoded dot-dot escape', '/api/%2e%2e/admin'],
    ['an encoded slash', '/api/..%2fadmin'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['an empty value', '  '],
  ])('refuses %s', (_what, value) => {
    expect(() => resolveOperationUrl(value, ORIGIN)).toThrow(OperationUrlRefusedError);
  });

  it('names the refused origin, not the path or query', () => {
    try {
      resolveOperationUrl('https://evil.example.com/api/x?secret=1', ORIGIN);
      throw new Error('not refused');
    } catch (e) {
      expect(e).toBeInstanceOf(OperationUrlRefusedError);
      expect((e as OperationUrlRefusedError).refusedOrigin).toBe('https://evil.example.com');
      expect((e as Error).message).not.toContain('secret');
      expect((e as OperationUrlRefusedError).code).toBe('OperationUrlRefused');
    }
  });

  it('drops a fragment', () => {
    expect(resolveOperationUrl('/api/x#frag', ORIGIN).href).toBe(`${ORIGIN}/api/x`);
  });
});

describe('normalizeOperationStatus', () => {
  it.each([
    ['complete', 'succeeded'],
    ['Completed', 'succeeded'],
    ['SUCCEEDED', 'succeeded'],
    ['failed', 'failed'],
    ['Failed', 'failed'],
    ['canceled', 'canceled'],
    ['Cancelled', 'canceled'],
    ['notStarted', 'notStarted'],
    ['not started', 'notStarted'],
    ['NotStarted', 'notStarted'],
    ['running', 'running'],
    ['inProgress', 'running'],
    ['InProgress', 'running'],
    ['waitingForPublisherReview', 'unknown'],
    ['', 'unknown'],
    ['exploded', 'unknown'],
  ] as const)('%p → %p', (raw, state) => {
    expect(normalizeOperationStatus(raw)).toBe(state);
  });

  it('handles a missing value', () => {
    expect(normalizeOperationStatus(undefined)).toBe('unknown');
    expect(normalizeOperationStatus(null)).toBe('unknown');
  });
});

const runningOp = {
  status: 'running',
  messages: [],
  steps: [
    {
      id: 'publisher-signoff',
      stepName: 'Publisher signoff',
      status: 'complete',
      progressPercentage: 100,
      messages: [],
    },
    { id: 'displaycertify', stepName: 'Certification', status: 'inProgress', progressPercentage: 30, messages: [] },
    { id: 'live', stepName: 'Live', estimatedTimeFrame: '~2-5 days', status: 'notStarted', progressPercentage: 0 },
  ],
};

describe('parseOperation', () => {
  it('reads a plain object and a one-element array alike', () => {
    const a = parseOperation(runningOp, 200);
    const b = parseOperation([runningOp], 200);
    expect(b).toEqual(a);
    expect(a.state).toBe('running');
    expect(a.terminal).toBe(false);
    expect(a.steps.map((s) => [s.stepName, s.status])).toEqual([
      ['Publisher signoff', 'complete'],
      ['Certification', 'inProgress'],
      ['Live', 'notStarted'],
    ]);
    expect(a.steps[2]?.estimatedTimeFrame).toBe('~2-5 days');
    expect(a.progressPercentage).toBe(Math.round((100 + 30 + 0) / 3));
    expect(a.errors).toBeUndefined();
  });

  it('keeps an unknown status as unknown and not terminal', () => {
    const p = parseOperation({ status: 'Paused' }, 200);
    expect(p).toMatchObject({ rawStatus: 'Paused', state: 'unknown', terminal: false, steps: [] });
    expect(p.progressPercentage).toBeUndefined();
  });

  it('marks both spellings of a finished operation succeeded with 100%', () => {
    for (const status of ['complete', 'completed']) {
      const p = parseOperation({ ...runningOp, status }, 200);
      expect(p).toMatchObject({ rawStatus: status, state: 'succeeded', terminal: true, progressPercentage: 100 });
    }
  });

  it('collects errors from blocked steps and error-level messages, without duplicates or HTML', () => {
    const failed = {
      status: 'failed',
      messages: [{ messageHtml: '<b>Certification failed</b>: fix &amp; retry', level: 'error' }],
      steps: [
        {
          stepName: 'Certification',
          status: 'blocked',
          messages: [
            { messageHtml: 'Step started.', level: 'information' },
            { messageHtml: '<b>Certification failed</b>: fix &amp; retry', level: 'error' },
          ],
        },
        { stepName: 'Provisioning', status: 'rejected', messages: [] },
      ],
    };
    const p = parseOperation(failed, 200);
    expect(p.state).toBe('failed');
    expect(p.errors).toEqual([
      { code: 'StepBlocked', message: 'Certification failed : fix & retry' },
      { code: 'StepRejected', message: "Step 'Provisioning' is rejected." },
    ]);
  });

  it('tolerates odd step shapes', () => {
    const p = parseOperation(
      { status: 'running', steps: [null, 'x', { id: 'only-id', progressPercentage: '250' }] },
      200,
    );
    expect(p.steps).toEqual([{ id: 'only-id', stepName: 'only-id', status: '', progressPercentage: 100 }]);
  });

  it.each([[[]], ['text'], [undefined], [42], [[1]]])('refuses a body that holds no operation: %p', (body) => {
    expect(() => parseOperation(body, 200, 'req-1')).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
  });
});

describe('overallProgress', () => {
  it('is undefined without steps unless succeeded', () => {
    expect(overallProgress('running', [])).toBeUndefined();
    expect(overallProgress('succeeded', [])).toBe(100);
  });
});

describe('parseRunningOperations', () => {
  const url = (id: string) => `${ORIGIN}/api/publishers/p/offers/o/operations/${id}`;

  it('maps the list entries that have not ended', () => {
    const list = [
      { id: 'a', submissionType: 'goLive', submissionState: 'running', changedTime: '2026-11-24T08:00:00Z' },
      { id: 'b', submissionType: 'publish', submissionState: 'canceled' },
      { id: 'c', status: 'notStarted' },
      { submissionState: 'running' },
    ];
    expect(parseRunningOperations(list, url, 200)).toEqual([
      {
        operationId: 'a',
        operationUrl: url('a'),
        submissionType: 'goLive',
        rawStatus: 'running',
        running: true,
        changedTime: '2026-11-24T08:00:00Z',
        createdAt: '2026-11-24T08:00:00Z',
      },
      { operationId: 'c', operationUrl: url('c'), rawStatus: 'notStarted', running: true },
    ]);
  });

  it('adds finished go-lives created since a time (createdDateTime, else changedTime); none without a time', () => {
    const list = [
      { id: 'old', submissionState: 'complete', createdDateTime: '2026-11-24T07:00:00Z' },
      { id: 'new', submissionState: 'failed', createdDateTime: '2026-11-24T08:30:00Z' },
      { id: 'changed', status: 'complete', changedTime: '2026-11-24T09:00:00Z' },
      { id: 'untimed', submissionState: 'canceled' },
      { id: 'run', submissionState: 'running', createdDateTime: '2026-11-20T00:00:00Z' },
    ];
    expect(parseOperationList(list, url, 200, '2026-11-24T08:00:00Z').map((o) => [o.operationId, o.running])).toEqual([
      ['new', false],
      ['changed', false],
      ['run', true],
    ]);
    expect(parseOperationList(list, url, 200).map((o) => o.operationId)).toEqual(['run']);
  });

  it('accepts { value: [...] } and an empty body; refuses other shapes', () => {
    expect(parseRunningOperations({ value: [{ id: 'z', submissionState: 'running' }] }, url, 200)).toHaveLength(1);
    expect(parseRunningOperations(undefined, url, 200)).toEqual([]);
    expect(() => parseRunningOperations({ nope: 1 }, url, 200)).toThrow(
      expect.objectContaining({ code: 'UnexpectedResponse' }),
    );
  });
});

describe('parseOfferStatus (ready for go-live = running + sign-off waitingForPublisherReview)', () => {
  const step = (id: string, stepName: string, status: string) => ({ id, stepName, status });
  const offer = (status: string, signoff: string) => ({
    status,
    steps: [
      step('displaycertify', 'Certification', 'complete'),
      step('publisher-signoff', 'Publisher signoff', signoff),
    ],
  });

  it.each([
    [offer('running', 'waitingForPublisherReview'), 'ready'],
    [offer('Running', 'WaitingForPublisherReview'), 'ready'],
    [offer('running', 'complete'), 'goLiveRunning'],
    [offer('running', 'notStarted'), 'notReady'],
    [offer('succeeded', 'complete'), 'notReady'],
    [offer('neverPublished', 'notStarted'), 'notReady'],
    [{ status: 'running', steps: [] }, 'notReady'],
  ])('%j → %s', (body, readiness) => {
    expect(parseOfferStatus(body, 200).readiness).toBe(readiness);
  });

  it('matches the sign-off step by stepName too (SUSE matched stepName "publisher-signoff")', () => {
    const body = { status: 'running', steps: [{ stepName: 'publisher-signoff', status: 'waitingForPublisherReview' }] };
    expect(parseOfferStatus(body, 200).readiness).toBe('ready');
    expect(parseOfferStatus([body], 200).readiness).toBe('ready');
    expect(() => parseOfferStatus('nope', 200)).toThrow(expect.objectContaining({ code: 'UnexpectedResponse' }));
  });
});
