import {
  addWarning,
  attach,
  describeChange,
  endNote,
  finish,
  MAX_WARNINGS,
  readAnswer,
  recordRead,
  submitAnswer,
} from '../../../../src/golive/run/progress';
import { MAX_RUN_CHECKS, newRecord, type RunRecord } from '../../../../src/golive/run/record';

const START = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(START.getTime() + seconds * 1000);

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    ...newRecord({
      runId: 'run-a',
      runNumber: 1,
      target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
      startedAt: START.toISOString(),
      deadlineAt: at(3600).toISOString(),
      requests: [{ requestId: 'req-1', receivedAt: START.toISOString() }],
      previousRuns: [],
    }),
    ...overrides,
  };
}

describe('run progress: what an answer does to the record', () => {
  it('a failed call means what the step says: a submit outcome unknown, a read transient', () => {
    const threw = { threw: { code: 'ActivityFailed' as const, message: 'socket hang up' } };
    expect(submitAnswer(threw)).toEqual({ kind: 'outcomeUnknown', error: threw.threw });
    expect(readAnswer(threw)).toEqual({ kind: 'transient', error: threw.threw });
  });

  it('an accepted Go Live is followed from its next read; one found running is read at once', () => {
    const r = record();
    attach(r, { kind: 'accepted', operationId: 'op-1', operationUrl: 'u', minPollIntervalSeconds: 60 }, at(5));
    expect(r).toMatchObject({ state: 'polling', operationId: 'op-1', pollFloorSeconds: 60 });
    expect(r.nextCheckAt).toBeUndefined();
    const found = record();
    const note = attach(found, { kind: 'found', operationId: 'op-2', operationUrl: 'u', rawStatus: 'running' }, at(5));
    expect(found).toMatchObject({ attached: true, nextCheckAt: at(5).toISOString(), operationStatus: 'running' });
    expect(note.message).toBe('outcome unknown resolved: attached to operation op-2');
  });

  it('keeps at most MAX_RUN_CHECKS checks (the newest) and MAX_WARNINGS warnings', () => {
    const r = record();
    for (let i = 1; i <= MAX_RUN_CHECKS + 5; i++) {
      const read = {
        kind: 'status',
        operationId: 'op',
        rawStatus: `s${i}`,
        state: 'running',
        terminal: false,
        steps: [],
      };
      recordRead(r, read as never, at(i), 0);
    }
    expect(r.checks).toHaveLength(MAX_RUN_CHECKS);
    expect(r.checks.at(-1)).toMatchObject({ status: `s${MAX_RUN_CHECKS + 5}` });
    for (let i = 0; i < MAX_WARNINGS + 3; i++) addWarning(r, `w${i}`);
    expect(r.warnings).toHaveLength(MAX_WARNINGS);
    expect(r.warnings.at(-1)).toBe(`w${MAX_WARNINGS + 2}`);
  });

  it('warns once on the first transient read error, and never logs the following ones', () => {
    const r = record();
    const read = { kind: 'transient' as const, error: { code: 'ServerError' as const, message: 'busy' } };
    expect(recordRead(r, read, at(1), 1)).toEqual([
      { message: 'reading the operation failed, will retry: ServerError: busy', level: 'warn' },
    ]);
    expect(recordRead(r, read, at(2), 2)).toEqual([]);
    expect(r.checks.map((c) => c.status)).toEqual(['error', 'error']);
  });

  it('finish: the outcome, the end time and the duration; no next check', () => {
    const { record: done, output } = finish(
      record({ nextCheckAt: at(60).toISOString(), pollCount: 3 }),
      { outcome: 'failed', error: { code: 'OperationFailed', message: 'm' } },
      at(90),
    );
    expect(done).toMatchObject({
      state: 'failed',
      outcome: 'failed',
      completedAt: at(90).toISOString(),
      durationSeconds: 90,
    });
    expect(done.nextCheckAt).toBeUndefined();
    expect(output).toMatchObject({ outcome: 'failed', requestIds: ['req-1'], eventId: 'golive-run-a' });
    expect(endNote(done)).toEqual({
      message: 'run ended failed after 3 checks, 90 s: OperationFailed: m',
      level: 'error',
    });
  });

  it('describeChange names what changed', () => {
    expect(describeChange({ status: 'running', steps: [] }, { status: 'running', steps: [] })).toBe('');
    expect(
      describeChange(
        { status: 'running', progress: 10, steps: [{ name: 'Live', status: 'notStarted' }] },
        { status: 'running', progress: 50, steps: [{ name: 'Live', status: 'inProgress', progress: 50 }] },
      ),
    ).toBe('operation running 50%; step "Live" inProgress 50%');
  });
});
