import {
  afterCancelRead,
  cancelConfirmDelaySeconds,
  cancelRefused,
  MAX_CANCEL_CONFIRM_READS,
  nextCancelReadAt,
} from '../../../src/golive/cancelConfirmation';
import type { ReadOperationResult } from '../../../src/golive/contracts';

const read = (
  state: 'running' | 'succeeded' | 'failed' | 'canceled',
  rawStatus: string = state,
): ReadOperationResult => ({
  kind: 'status',
  operationId: 'op-1',
  rawStatus,
  state,
  terminal: state !== 'running',
  steps: [],
});

describe('afterCancelRead', () => {
  it('ends canceled without an error once the partner API says canceled', () => {
    expect(afterCancelRead(read('canceled'), 1, MAX_CANCEL_CONFIRM_READS)).toEqual({
      kind: 'end',
      outcome: 'canceled',
    });
  });

  it('reads again while the operation runs, then ends canceled with CancelNotConfirmed and the last status', () => {
    expect(afterCancelRead(read('running'), 3, 10)).toEqual({ kind: 'again' });
    const end = afterCancelRead(read('running', 'inProgress'), 10, 10);
    expect(end).toMatchObject({ kind: 'end', outcome: 'canceled', error: { code: 'CancelNotConfirmed' } });
    expect(end.kind === 'end' && end.error?.message).toContain('"inProgress" after 10 reads');
  });

  it('says succeeded (with a warning) when the operation completed before the cancel took: the offer is live', () => {
    expect(afterCancelRead(read('succeeded', 'complete'), 1, 10)).toMatchObject({
      kind: 'end',
      outcome: 'succeeded',
      warning: expect.stringContaining('too late'),
    });
  });

  it('says failed with the operation error when the operation failed', () => {
    const failed: ReadOperationResult = {
      ...(read('failed') as Extract<ReadOperationResult, { kind: 'status' }>),
      errors: [{ code: 'CertFailed', message: 'no' }],
    };
    expect(afterCancelRead(failed, 2, 10)).toMatchObject({
      kind: 'end',
      outcome: 'failed',
      error: { code: 'CertFailed' },
    });
  });

  it('retries transient read errors within the bound; a permanent error ends unconfirmed', () => {
    const transient: ReadOperationResult = { kind: 'transient', error: { code: 'Throttled', message: '429' } };
    expect(afterCancelRead(transient, 1, 10)).toEqual({ kind: 'again' });
    expect(afterCancelRead(transient, 10, 10)).toMatchObject({ error: { code: 'CancelNotConfirmed' } });
    const permanent: ReadOperationResult = { kind: 'permanent', error: { code: 'NotFound', message: '404' } };
    expect(afterCancelRead(permanent, 1, 10)).toMatchObject({
      kind: 'end',
      outcome: 'canceled',
      error: { code: 'CancelNotConfirmed', message: expect.stringContaining('NotFound') },
    });
  });
});

describe('cancelConfirmDelaySeconds and cancelRefused', () => {
  it('waits the poll interval, at most 30 s, never below the partner floor', () => {
    expect(cancelConfirmDelaySeconds(2)).toBe(2);
    expect(cancelConfirmDelaySeconds(300)).toBe(30);
    expect(cancelConfirmDelaySeconds(2, 10)).toBe(10);
  });

  it('says the API would not cancel, keeping its status and body', () => {
    expect(
      cancelRefused({ code: 'Conflict', message: 'cannot cancel', statusCode: 409, body: { x: 1 } }, 'op-9'),
    ).toEqual({
      code: 'CancelRefused',
      message: 'the partner API did not cancel operation op-9: Conflict cannot cancel; the operation may still run',
      statusCode: 409,
      body: { x: 1 },
    });
  });
});

describe('nextCancelReadAt', () => {
  it('reads a canceled operation again after the confirmation delay, never after the deadline', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const settings = { pollIntervalSeconds: 300, pollMaxIntervalSeconds: 600 };
    expect(nextCancelReadAt({ record: { deadlineAt: '2026-01-01T01:00:00.000Z' }, settings, now }).toISOString()).toBe(
      '2026-01-01T00:00:30.000Z',
    );
    expect(nextCancelReadAt({ record: { deadlineAt: '2026-01-01T00:00:10.000Z' }, settings, now }).toISOString()).toBe(
      '2026-01-01T00:00:10.000Z',
    );
  });
});
