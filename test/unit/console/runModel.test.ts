import { countdown, formatDuration, plainAnswer, textBar } from '../../../src/console/answers';
import { foldChecks, readApiError, readRunList, readRunModel } from '../../../src/console/runModel';

const view = {
  publisherId: 'contoso',
  offerId: 'contoso-app',
  api: 'cpp',
  runId: 'r-1',
  runNumber: 2,
  state: 'polling',
  active: true,
  operationId: 'op-1',
  operationStatus: 'running',
  steps: [
    { name: 'Publisher signoff', status: 'complete', progress: 100 },
    { name: 'Certification', status: 'inProgress', progress: 40 },
    { name: 'Live', status: 'notStarted' },
  ],
  progressPercentage: null,
  pollCount: 3,
  lastCheckedAt: '2026-01-01T00:00:30.000Z',
  nextCheckAt: '2026-01-01T00:01:30.000Z',
  requestIds: ['a', 'b'],
  requests: [{ requestId: 'a', requestedBy: 'me', receivedAt: '2026-01-01T00:00:00.000Z' }],
  startedAt: '2026-01-01T00:00:00.000Z',
  acceptedAt: '2026-01-01T00:00:02.000Z',
  checks: [{ at: '2026-01-01T00:00:30.000Z', status: 'running', progress: 35 }, { nope: true }],
  error: { code: 'X', message: 'y', statusCode: 409, body: { errors: [] } },
  previousRuns: [
    { runId: 'r-0', runNumber: 1, outcome: 'failed', requestIds: ['z'], error: { code: 'E', message: 'm' } },
  ],
  completionEvent: null,
  somethingNew: { ignored: true },
};

describe('readRunModel', () => {
  it('reads the HTTP API run: current step, progress from that step, requests from both lists, checks, previous runs', () => {
    const run = readRunModel(view)!;
    expect(run.key).toBe('contoso/contoso-app');
    expect(run.currentStep?.name).toBe('Certification');
    expect(run.progress).toBe(40);
    expect(run.requests.map((r) => r.requestId)).toEqual(['a', 'b']);
    expect(run.requestCount).toBe(2);
    expect(run.acceptedAt).toBe('2026-01-01T00:00:02.000Z');
    expect(run.checks).toEqual([{ at: '2026-01-01T00:00:30.000Z', status: 'running', progress: 35, error: null }]);
    expect(run.error).toEqual({ code: 'X', message: 'y', statusCode: 409, body: { errors: [] } });
    expect(run.previousRuns[0]).toMatchObject({ runId: 'r-0', outcome: 'failed', requestIds: ['z'] });
  });

  it('reads missing or mistyped fields as absent, and a succeeded run as 100%', () => {
    const run = readRunModel({ publisherId: 'p', offerId: 'o', state: 'succeeded', steps: 'nope', pollCount: '3' })!;
    expect(run).toMatchObject({
      steps: [],
      currentStep: null,
      progress: 100,
      pollCount: 0,
      active: false,
      error: null,
    });
    expect(readRunModel({ offerId: 'o' })).toBeUndefined();
    expect(readRunModel(null)).toBeUndefined();
  });

  it('lists runs newest start first, skipping entries it cannot read', () => {
    const runs = readRunList({
      runs: [
        { ...view, offerId: 'old', startedAt: '2025-01-01T00:00:00Z' },
        { nope: 1 },
        { ...view, offerId: 'new', startedAt: '2026-06-01T00:00:00Z' },
      ],
    });
    expect(runs.map((r) => r.offerId)).toEqual(['new', 'old']);
    expect(readApiError({ error: { code: 'NotFound', message: 'no' } })).toEqual({ code: 'NotFound', message: 'no' });
  });
});

describe('plain answers', () => {
  it('says what the API answered in words', () => {
    expect(plainAnswer('goLive', 'p/o', 202, { requestId: 'r' }).text).toMatch(
      /Go-live requested for p\/o \(request r\)/,
    );
    expect(plainAnswer('goLive', 'p/o', 400, { error: { code: 'InvalidOfferId', message: 'bad id' } })).toEqual({
      ok: false,
      text: 'The go-live request for p/o was refused: bad id (InvalidOfferId).',
    });
    expect(plainAnswer('cancel', 'p/o', 409, {}).text).toMatch(/already ended/);
    expect(plainAnswer('cancel', 'p/o', 404, {}).text).toMatch(/never gone live/);
    expect(plainAnswer('read', '', 401, null).text).toMatch(/refused the key/);
  });

  it('formats durations, countdowns and text bars', () => {
    expect(formatDuration(5)).toBe('5 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3 h 02 min');
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2 d 1 h');
    expect(countdown('2026-01-01T00:00:10.000Z', Date.parse('2026-01-01T00:00:00.000Z'))).toBe('in 10 s');
    expect(countdown('2026-01-01T00:00:00.000Z', Date.parse('2026-01-01T00:00:05.000Z'))).toBe('due now');
    expect(countdown(null, 0)).toBe('');
    expect(textBar(50, 10)).toBe('[#####-----] 50%');
    expect(textBar(null, 4)).toBe('[----]');
  });
});

describe('time in the run model', () => {
  it('shows at most 99% while the run has not ended, 100% once it succeeded', () => {
    const running = readRunModel({ ...view, progressPercentage: 100 });
    expect(running?.progress).toBe(99);
    expect(readRunModel({ ...view, progressPercentage: 100, state: 'succeeded', active: false })?.progress).toBe(100);
    expect(readRunModel({ ...view, progressPercentage: 100, state: 'failed', active: false })?.progress).toBe(100);
  });

  it('reads the expected end and why the next check is then, while the run is active only', () => {
    const expectedEnd = {
      at: '2026-01-02T00:00:00.000Z',
      earliest: '2026-01-01T20:00:00.000Z',
      latest: '2026-01-02T06:00:00.000Z',
      basis: 'Live: offer history (3 runs)',
    };
    const run = readRunModel({ ...view, expectedEnd, nextCheckReason: 'before likely end' });
    expect(run?.expectedEnd).toEqual(expectedEnd);
    expect(run?.nextCheckReason).toBe('before likely end');
    expect(readRunModel({ ...view, expectedEnd: { at: 5 } })?.expectedEnd).toBeNull();
    const ended = readRunModel({ ...view, state: 'succeeded', active: false, expectedEnd, nextCheckReason: 'x' });
    expect(ended?.expectedEnd).toBeNull();
    expect(ended?.nextCheckReason).toBeNull();
  });

  it("keeps a step's estimated time frame", () => {
    const run = readRunModel({
      ...view,
      steps: [{ name: 'Live', status: 'inProgress', estimatedTimeFrame: '< 1 day' }],
    });
    expect(run?.steps[0]?.estimatedTimeFrame).toBe('< 1 day');
  });
});

describe('foldChecks', () => {
  it('folds identical checks in a row into one row with a count, newest first', () => {
    const c = (at: string, status: string, progress: number | null, error: string | null = null) => ({
      at: `2026-01-01T00:${at}:00.000Z`,
      status,
      progress,
      error,
    });
    const rows = foldChecks([
      c('01', 'running', 50),
      c('02', 'running', 100),
      c('03', 'running', 100),
      c('04', 'running', 100),
      c('05', 'error', null, 'Throttled'),
      c('06', 'running', 100),
      c('07', 'succeeded', 100),
    ]);
    expect(rows.map((r) => [r.status, r.progress, r.count, r.at.slice(14, 16), r.until.slice(14, 16)])).toEqual([
      ['succeeded', 100, 1, '07', '07'],
      ['running', 100, 1, '06', '06'],
      ['error', null, 1, '05', '05'],
      ['running', 100, 3, '02', '04'],
      ['running', 50, 1, '01', '01'],
    ]);
  });
});

describe('checks below 100% while the operation ran', () => {
  it('shows a running read at most 99%, a finished one as read', () => {
    const run = readRunModel({
      ...view,
      checks: [
        { at: '2026-01-01T00:00:01.000Z', status: 'running', progress: 100 },
        { at: '2026-01-01T00:00:02.000Z', status: 'complete', progress: 100 },
        { at: '2026-01-01T00:00:03.000Z', status: 'completed/succeeded', progress: 100 },
      ],
    });
    expect(run?.checks.map((c) => c.progress)).toEqual([99, 100, 100]);
  });
});
