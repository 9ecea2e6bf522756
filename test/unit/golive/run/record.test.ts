import {
  fromInput,
  generationOf,
  newRecord,
  readRun,
  RunRecordSchema,
  STATUS_REQUEST_IDS,
  toCustomStatus,
  toInput,
  toOutput,
} from '../../../../src/golive/run/record';

const start = {
  runId: 'run-a',
  runNumber: 1,
  target: { api: 'productIngestion' as const, publisherId: 'contoso', offerId: 'app', productId: 'p-1' },
  startedAt: '2026-01-01T00:00:00.000Z',
  deadlineAt: '2026-01-02T00:00:00.000Z',
  requests: [{ requestId: 'req-1', receivedAt: '2026-01-01T00:00:00.000Z' }],
  previousRuns: [],
};
const settings = {
  pollIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  deadlineMinutes: 1440,
  pollsPerHistory: 100,
  maxSubmitAttempts: 6,
};

describe('the run record', () => {
  it('a new record is valid and the input maps to it and back', () => {
    const record = newRecord(start);
    expect(RunRecordSchema.parse(record)).toEqual(record);
    const carried = { ...record, pollCount: 4, operationUrl: 'https://p/op' };
    const input = toInput(carried, settings, { readErrors: 1, generation: 2 });
    expect(fromInput(input)).toEqual(carried);
    expect(generationOf(input)).toBe(2);
    // The retired orchestrator kept its bookkeeping inside the record.
    expect(generationOf({ ...carried, settings, generation: 3 })).toBe(3);
    expect(generationOf(undefined)).toBe(0);
    expect(fromInput({ ...start, settings })).toEqual(record);
  });

  it('the custom status is a pick with the newest request ids and the count', () => {
    const requests = Array.from({ length: 60 }, (_, i) => ({ requestId: `r${i}`, receivedAt: 'x' }));
    const status = toCustomStatus({ ...newRecord({ ...start, requests }), operationUrl: 'https://p/op' });
    expect(status.requestIds).toHaveLength(STATUS_REQUEST_IDS);
    expect(status.requestIds.at(-1)).toBe('r59');
    expect(status.requestCount).toBe(60);
    expect(status).not.toHaveProperty('operationUrl');
    expect(status).not.toHaveProperty('readErrors');
  });

  it('the output leaves internal fields out and lists every request id and the event id', () => {
    const output = toOutput({
      ...newRecord(start),
      operationUrl: 'https://p/op',
      outcome: 'succeeded',
      completedAt: '2026-01-01T00:10:00.000Z',
      durationSeconds: 600,
    });
    expect(output).toMatchObject({ requestIds: ['req-1'], eventId: 'golive-run-a', outcome: 'succeeded' });
    for (const key of ['operationUrl', 'readErrors', 'generation', 'state', 'nextCheckAt']) {
      expect(output).not.toHaveProperty(key);
    }
  });

  it('readRun: the output wins over the custom status, which wins over the input', () => {
    const input = { ...newRecord(start), pollCount: 1, settings };
    const customStatus = toCustomStatus({ ...newRecord(start), pollCount: 5, state: 'polling' });
    const running = readRun({ runtimeStatus: 'Running', input, customStatus })!;
    expect(running.record).toMatchObject({ pollCount: 5, state: 'polling' });
    expect(running.finished).toBe(false);
    const output = toOutput({
      ...newRecord(start),
      pollCount: 9,
      outcome: 'failed',
      completedAt: '2026-01-01T00:10:00.000Z',
      durationSeconds: 600,
    });
    const done = readRun({ runtimeStatus: 'Completed', input, customStatus, output })!;
    expect(done.record).toMatchObject({ pollCount: 9, outcome: 'failed' });
    expect(done.finished).toBe(true);
  });

  it('readRun: a field of another shape reads as absent; without a run id or target there is no run', () => {
    const run = readRun({
      runtimeStatus: 'Running',
      customStatus: { runId: 'run-a', target: start.target, pollCount: 'many', steps: [{ nope: 1 }] },
    })!;
    expect(run.record.pollCount).toBe(0);
    expect(run.record.steps).toEqual([]);
    expect(run.hasInput).toBe(false);
    expect(readRun({ runtimeStatus: 'Running', customStatus: { runId: 'run-a' } })).toBeUndefined();
    expect(readRun({ runtimeStatus: 'Completed', output: 'terminated by ops' })).toBeUndefined();
  });
});
