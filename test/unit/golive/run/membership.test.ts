import {
  isValidJoin,
  joinNeedsResend,
  joinState,
  joinVerdict,
  keptRuns,
  MAX_PREVIOUS_RUNS,
  MAX_REMEMBERED_RUNS,
  MAX_RUN_REQUESTS,
  previousRunsAfter,
  REDELIVERY_WINDOW_MS,
  requestOf,
  requestSeen,
  runFull,
} from '../../../../src/golive/run/membership';
import {
  type InstanceStatus,
  newRecord,
  readRun,
  type RunRecord,
  type RunSummary,
} from '../../../../src/golive/run/record';

const NOW = new Date('2026-01-02T00:00:00.000Z');
const target = { api: 'cpp' as const, publisherId: 'contoso', offerId: 'app' };

function summary(runNumber: number, requestIds: string[], completedAt = '2026-01-01T00:00:00.000Z'): RunSummary {
  return {
    runId: `run-${runNumber}`,
    runNumber,
    outcome: 'succeeded',
    requestIds,
    startedAt: '2026-01-01T00:00:00.000Z',
    completedAt,
    pollCount: 1,
  };
}

function record(requestIds: string[], previousRuns: RunSummary[] = []): RunRecord {
  return newRecord({
    runId: 'run-a',
    runNumber: 2,
    target,
    startedAt: '2026-01-01T10:00:00.000Z',
    deadlineAt: '2026-01-02T10:00:00.000Z',
    requests: requestIds.map((requestId) => ({ requestId, receivedAt: '2026-01-01T10:00:00.000Z' })),
    previousRuns,
  });
}

function status(runtimeStatus: string, fields: Partial<InstanceStatus>): InstanceStatus {
  return { instanceId: 'golive:contoso:app', runtimeStatus, ...fields };
}

describe('joinVerdict: which joins a run takes', () => {
  const join = { requestId: 'req-2', receivedAt: '2026-01-01T10:01:00.000Z' };

  it('takes a join addressed to it (or to no run) that it has room for', () => {
    expect(joinVerdict(record(['req-1']), join, false)).toBe('taken');
    expect(joinVerdict(record(['req-1']), { ...join, runId: 'run-a' }, false)).toBe('taken');
  });

  it('does not take a join raised to another run of the offer', () => {
    expect(joinVerdict(record(['req-1']), { ...join, runId: 'run-b' }, false)).toBe('otherRun');
  });

  it('does not take a request an earlier run accounted for (a late redelivery)', () => {
    expect(joinVerdict(record(['req-1'], [summary(1, ['req-2'])]), join, false)).toBe('earlierRun');
  });

  it('takes nothing once it has decided to complete', () => {
    expect(joinVerdict(record(['req-1']), join, true)).toBe('closed');
  });

  it('takes a request once, and none beyond MAX_RUN_REQUESTS', () => {
    expect(joinVerdict(record(['req-1', 'req-2']), join, false)).toBe('duplicate');
    const full = record(Array.from({ length: MAX_RUN_REQUESTS }, (_, i) => `r-${i}`));
    expect(joinVerdict(full, join, false)).toBe('full');
  });

  it('records a request without its address', () => {
    expect(requestOf({ ...join, runId: 'run-a', requestedBy: 'ci' })).toEqual({ ...join, requestedBy: 'ci' });
  });

  it('checks a join payload', () => {
    expect(isValidJoin(join)).toBe(true);
    expect(isValidJoin({ requestId: 'has space', receivedAt: 'x' })).toBe(false);
    expect(isValidJoin({ requestId: 'r', receivedAt: 'x', requestedBy: 'y'.repeat(201) })).toBe(false);
    expect(isValidJoin(null)).toBe(false);
  });
});

describe('requestSeen: what the starter treats as a redelivery', () => {
  it('an id the active run shows in its input or its custom status', () => {
    const run = readRun(
      status('Running', {
        input: { ...record(['req-1']), settings: {} },
        customStatus: { runId: 'run-a', target, requestIds: ['req-1', 'req-2'], requestCount: 2 },
      }),
    )!;
    expect(requestSeen(run, 'req-1')).toBe(true);
    expect(requestSeen(run, 'req-2')).toBe(true);
    expect(requestSeen(run, 'req-3')).toBe(false);
    expect(run.requestCount).toBe(2);
  });

  it("a finished run: only its output's ids and those of the runs it carries", () => {
    const run = readRun(
      status('Completed', {
        input: { ...record(['req-1', 'req-late']), settings: {} },
        output: {
          ...record(['req-1']),
          outcome: 'succeeded',
          requestIds: ['req-1'],
          previousRuns: [summary(1, ['req-0'])],
          completedAt: '2026-01-01T11:00:00.000Z',
        },
      }),
    )!;
    expect(run.finished).toBe(true);
    expect(requestSeen(run, 'req-1')).toBe(true);
    expect(requestSeen(run, 'req-0')).toBe(true);
    expect(requestSeen(run, 'req-late')).toBe(false);
  });

  it('a run is full at MAX_RUN_REQUESTS', () => {
    const custom = { runId: 'run-a', target, requestIds: [], requestCount: MAX_RUN_REQUESTS };
    expect(runFull(readRun(status('Running', { customStatus: custom }))!)).toBe(true);
    expect(runFull(readRun(status('Running', { customStatus: { ...custom, requestCount: 3 } }))!)).toBe(false);
  });

  it('joinNeedsResend only for an active run in a later generation that does not show the request', () => {
    const at = (generation: number, runtimeStatus = 'Running') =>
      readRun(status(runtimeStatus, { input: { ...record(['req-1']), generation, settings: {} } }))!;
    expect(joinNeedsResend(0, at(1), 'req-2')).toBe(true);
    expect(joinNeedsResend(1, at(1), 'req-2')).toBe(false);
    expect(joinNeedsResend(0, at(1), 'req-1')).toBe(false);
    expect(joinNeedsResend(0, at(1, 'Completed'), 'req-2')).toBe(false);
  });
});

describe('joinState: where a raised join stands', () => {
  const running = (requestIds: string[], generation = 0, requestCount?: number, runtimeStatus = 'Running') =>
    readRun(
      status(runtimeStatus, {
        input: { ...record(['req-1']), generation, settings: {} },
        customStatus: { runId: 'run-a', target, requestIds, requestCount: requestCount ?? requestIds.length },
      }),
    );
  const join = { requestId: 'req-2', runId: 'run-a' };

  it('recorded once the run shows it; ended when the run ended or is another run; else waiting', () => {
    expect(joinState(running(['req-1', 'req-2']), join, 0)).toEqual({ state: 'recorded', resend: false });
    expect(joinState(running(['req-1']), join, 0)).toEqual({ state: 'waiting', resend: false });
    expect(joinState(running(['req-1'], 0, 1, 'Completed'), join, 0)).toEqual({ state: 'ended', resend: false });
    expect(joinState(running(['req-1']), { ...join, runId: 'run-b' }, 0)).toEqual({ state: 'ended', resend: false });
    expect(joinState(undefined, join, 0)).toEqual({ state: 'ended', resend: false });
  });

  it('full when the run takes no more; resend when it continued as new since the raise', () => {
    expect(joinState(running(['req-1'], 0, MAX_RUN_REQUESTS), join, 0).state).toBe('full');
    expect(joinState(running(['req-1'], 1), join, 0)).toEqual({ state: 'waiting', resend: true });
  });
});

describe('previous runs carried to the next run', () => {
  it("a finished run's summary first, then what it carried", () => {
    const run = readRun(
      status('Completed', {
        output: {
          ...record(['req-1']),
          outcome: 'failed',
          error: { code: 'X', message: 'm'.repeat(600), statusCode: 400, body: { big: true } },
          requestIds: ['req-1'],
          previousRuns: [summary(1, ['req-0'])],
          completedAt: '2026-01-01T11:00:00.000Z',
        },
      }),
    )!;
    const { previousRuns, lastRunNumber } = previousRunsAfter(run, NOW);
    expect(lastRunNumber).toBe(2);
    expect(previousRuns.map((r) => r.runId)).toEqual(['run-a', 'run-1']);
    expect(previousRuns[0]).toMatchObject({ outcome: 'failed', requestIds: ['req-1'] });
    expect(previousRuns[0]!.error).toEqual({ code: 'X', message: 'm'.repeat(500), statusCode: 400 });
  });

  it('a run that ended without our output is summarized from its input, as failed', () => {
    const run = readRun(
      status('Terminated', {
        input: { ...record(['req-1']), settings: {} },
        lastUpdatedTime: '2026-01-01T12:00:00.000Z',
      }),
    )!;
    const [first] = previousRunsAfter(run, NOW).previousRuns;
    expect(first).toMatchObject({
      outcome: 'failed',
      completedAt: '2026-01-01T12:00:00.000Z',
      error: { code: 'RunTerminated' },
    });
  });

  it('no run: none carried', () => {
    expect(previousRunsAfter(undefined, NOW)).toEqual({ previousRuns: [], lastRunNumber: 0 });
  });

  it('keeps the newest MAX_PREVIOUS_RUNS, and older ones only within the redelivery window', () => {
    const recent = new Date(NOW.getTime() - REDELIVERY_WINDOW_MS / 2).toISOString();
    const old = new Date(NOW.getTime() - REDELIVERY_WINDOW_MS * 2).toISOString();
    const runs = Array.from({ length: 40 }, (_, i) => summary(40 - i, [`r${i}`], i < 15 ? recent : old));
    const kept = keptRuns(runs, NOW);
    expect(kept).toHaveLength(15);
    expect(
      keptRuns(
        runs.map((r) => ({ ...r, completedAt: recent })),
        NOW,
      ),
    ).toHaveLength(MAX_REMEMBERED_RUNS);
    expect(
      keptRuns(
        runs.map((r) => ({ ...r, completedAt: old })),
        NOW,
      ),
    ).toHaveLength(MAX_PREVIOUS_RUNS);
  });
});
