import type { ReadOperationResult } from '../../../src/golive/contracts';
import {
  afterFailedSubmit,
  classifySubmitError,
  compactSteps,
  endOfStatus,
  isGoLiveOperation,
  isTransientReadError,
  MAX_ERROR_BODY_CHARS,
  operationError,
  outcomeOfOperation,
  toRunError,
} from '../../../src/golive/outcome';
import { GoLiveOutcomeUnknownError, OperationUrlRefusedError, PartnerApiError } from '../../../src/partner/errors';

describe('outcomeOfOperation', () => {
  it('maps terminal operation states to run outcomes and leaves the others running', () => {
    expect(outcomeOfOperation('succeeded')).toBe('succeeded');
    expect(outcomeOfOperation('failed')).toBe('failed');
    expect(outcomeOfOperation('canceled')).toBe('canceled');
    for (const s of ['notStarted', 'running', 'unknown'] as const) expect(outcomeOfOperation(s)).toBeUndefined();
  });
});

describe('classifySubmitError', () => {
  it('treats a lost answer as an unknown outcome', () => {
    expect(classifySubmitError(new GoLiveOutcomeUnknownError(new Error('socket hang up')))).toBe('outcomeUnknown');
    expect(classifySubmitError(new Error('anything unexpected'))).toBe('outcomeUnknown');
    expect(classifySubmitError(new PartnerApiError('NetworkError', 'reset', { retriable: true }))).toBe(
      'outcomeUnknown',
    );
  });

  it('retries answered 429 and 5xx', () => {
    expect(
      classifySubmitError(new PartnerApiError('Throttled', 'slow down', { statusCode: 429, retriable: true })),
    ).toBe('transient');
    expect(classifySubmitError(new PartnerApiError('ServerError', 'x', { statusCode: 503, retriable: true }))).toBe(
      'transient',
    );
  });

  it('fails on 4xx answers and refused operation URLs', () => {
    expect(classifySubmitError(new PartnerApiError('BadRequest', 'x', { statusCode: 400 }))).toBe('rejected');
    expect(classifySubmitError(new PartnerApiError('NotFound', 'x', { statusCode: 404 }))).toBe('rejected');
    expect(classifySubmitError(new OperationUrlRefusedError('https://evil.example'))).toBe('rejected');
  });
});

describe('isTransientReadError', () => {
  it('follows retriable, and treats unclassified errors as transient', () => {
    expect(isTransientReadError(new PartnerApiError('ServerError', 'x', { statusCode: 500, retriable: true }))).toBe(
      true,
    );
    expect(isTransientReadError(new PartnerApiError('NotFound', 'x', { statusCode: 404 }))).toBe(false);
    expect(isTransientReadError(new Error('x'))).toBe(true);
  });
});

describe('toRunError', () => {
  it('keeps code, message, status and the partner body', () => {
    const body = { error: { code: 'InvalidState', message: 'not ready' } };
    const e = new PartnerApiError('BadRequest', 'not ready', { statusCode: 400, body, requestId: 'r1' });
    expect(toRunError(e)).toEqual({ code: 'BadRequest', message: 'not ready', statusCode: 400, body });
  });

  it('truncates a huge body', () => {
    const e = new PartnerApiError('ServerError', 'x', { statusCode: 500, body: 'b'.repeat(MAX_ERROR_BODY_CHARS * 2) });
    const body = toRunError(e).body as string;
    expect(body.length).toBeLessThan(MAX_ERROR_BODY_CHARS + 20);
    expect(body).toMatch(/truncated\)$/);
  });

  it('summarises non-partner errors', () => {
    expect(toRunError(new Error('boom'))).toEqual({ code: 'UnexpectedError', message: 'boom' });
    expect(toRunError('text')).toEqual({ code: 'UnexpectedError', message: 'text' });
  });
});

describe('operationError', () => {
  it('is undefined for success, the first partner detail otherwise, or a generic code', () => {
    expect(operationError('succeeded', 'complete', undefined)).toBeUndefined();
    expect(operationError('failed', 'failed', [{ code: 'c1', message: 'm1' }])).toEqual({
      code: 'c1',
      message: 'm1',
      body: { errors: [{ code: 'c1', message: 'm1' }] },
    });
    expect(operationError('canceled', 'canceled', [])).toEqual({
      code: 'OperationCanceled',
      message: 'operation ended canceled',
    });
  });
});

describe('isGoLiveOperation', () => {
  it('attaches to go-live (or untyped) operations, not to publish operations', () => {
    const op = { operationId: '1', operationUrl: 'u', rawStatus: 'running' };
    expect(isGoLiveOperation({ ...op, submissionType: 'goLive' })).toBe(true);
    expect(isGoLiveOperation({ ...op, submissionType: 'GoLive' })).toBe(true);
    expect(isGoLiveOperation({ ...op, submissionType: 'live' })).toBe(true);
    expect(isGoLiveOperation(op)).toBe(true);
    expect(isGoLiveOperation({ ...op, submissionType: 'publish' })).toBe(false);
  });
});

describe('compactSteps', () => {
  it('keeps name, status and progress only', () => {
    expect(
      compactSteps([
        {
          id: 'live',
          stepName: 'Live',
          status: 'inProgress',
          progressPercentage: 40,
          description: 'long text',
          messages: [],
        },
        { id: 'x', stepName: '', status: 'notStarted' },
      ]),
    ).toEqual([
      { name: 'Live', status: 'inProgress', progress: 40 },
      { name: 'x', status: 'notStarted' },
    ]);
  });
});

describe('endOfStatus: how a read ends the run', () => {
  const read = (state: 'running' | 'succeeded' | 'failed' | 'canceled'): ReadOperationResult => ({
    kind: 'status',
    operationId: 'op',
    rawStatus: state,
    state,
    terminal: state !== 'running',
    steps: [],
  });

  it('a terminal status ends with its outcome and the partner error; a running one or a transient error does not', () => {
    expect(endOfStatus(read('succeeded'))).toEqual({ outcome: 'succeeded' });
    expect(endOfStatus(read('failed'))).toEqual({
      outcome: 'failed',
      error: { code: 'OperationFailed', message: 'operation ended failed' },
    });
    expect(endOfStatus(read('canceled'))?.outcome).toBe('canceled');
    expect(endOfStatus(read('running'))).toBeUndefined();
    expect(endOfStatus({ kind: 'transient', error: { code: 'Timeout', message: 'm' } })).toBeUndefined();
    expect(endOfStatus({ kind: 'permanent', error: { code: 'Forbidden', message: 'm' } })).toEqual({
      outcome: 'failed',
      error: { code: 'Forbidden', message: 'm' },
    });
  });
});

describe('afterFailedSubmit: what a Go Live that was not accepted means', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const base = {
    error: { code: 'ServerError' as const, message: 'busy', statusCode: 503 },
    settings: { maxSubmitAttempts: 3, pollIntervalSeconds: 60, pollMaxIntervalSeconds: 600 },
    now,
    deadlineAt: '2026-01-01T01:00:00.000Z',
  };

  it('submits again after a backoff that honours Retry-After, never after the deadline', () => {
    expect(afterFailedSubmit({ ...base, attempt: 1 })).toEqual({ kind: 'retry', at: '2026-01-01T00:00:30.000Z' });
    expect(afterFailedSubmit({ ...base, attempt: 2 })).toEqual({ kind: 'retry', at: '2026-01-01T00:01:00.000Z' });
    expect(afterFailedSubmit({ ...base, attempt: 1, retryAfterSeconds: 300 })).toEqual({
      kind: 'retry',
      at: '2026-01-01T00:05:00.000Z',
    });
    expect(afterFailedSubmit({ ...base, attempt: 2, retryAfterSeconds: 7200 })).toEqual({
      kind: 'retry',
      at: base.deadlineAt,
    });
  });

  it('fails with the last error once the attempts are spent', () => {
    expect(afterFailedSubmit({ ...base, attempt: 3 })).toEqual({
      kind: 'fail',
      error: { code: 'ServerError', message: 'Go Live not accepted after 3 attempts: busy', statusCode: 503 },
    });
  });
});
