import { GoLiveTelemetry, MemoryTelemetrySink } from '../../../src/events/telemetry';
import {
  type ActivityDeps,
  ATTACH_CLOCK_SKEW_MS,
  attachQuery,
  cancelOperation,
  findRunningOperation,
  goLiveToAttach,
  publishCompletion,
  readOperation,
  submitGoLive,
} from '../../../src/golive/activities';
import type { RunOutput, RunTarget } from '../../../src/golive/run/record';
import { GoLiveOutcomeUnknownError, PartnerApiError } from '../../../src/partner/errors';
import type {
  GoLiveAccepted,
  GoLiveOperation,
  GoLiveQuery,
  GoLiveTarget,
  OperationStatus,
  PartnerApi,
} from '../../../src/partner/types';

const target: RunTarget = { api: 'cpp', publisherId: 'contoso', offerId: 'app' };
const base = { runId: 'run-1', target };

/** A scripted partner API: each method pops its next answer (an Error is thrown). */
class FakePartnerApi implements PartnerApi {
  readonly kind = 'cpp' as const;
  calls: string[] = [];
  running: (GoLiveOperation[] | Error)[] = [[]];
  queries: GoLiveQuery[] = [];
  starts: (Error | GoLiveAccepted)[] = [{ operationUrl: 'https://p/op-1', operationId: 'op-1' }];
  reads: (Error | OperationStatus)[] = [];
  cancels: (Error | { completed: boolean })[] = [{ completed: true }];
  private next<T>(list: (T | Error)[]): T {
    const v = list.length > 1 ? list.shift()! : list[0]!;
    if (v instanceof Error) throw v;
    return v;
  }
  async startGoLive(t: GoLiveTarget) {
    this.calls.push(`start ${t.publisherId}/${t.offerId}`);
    return this.next(this.starts);
  }
  async getOperation(_t: GoLiveTarget, url: string) {
    this.calls.push(`get ${url}`);
    return this.next(this.reads);
  }
  async findGoLives(_t: GoLiveTarget, query: GoLiveQuery = {}) {
    this.calls.push('list');
    this.queries.push(query);
    return this.next(this.running);
  }
  async cancel(_t: GoLiveTarget, url?: string) {
    this.calls.push(`cancel ${url}`);
    return this.next(this.cancels);
  }
}

function setup() {
  const api = new FakePartnerApi();
  const sink = new MemoryTelemetrySink();
  const deps: ActivityDeps = { partnerApi: () => api, telemetry: new GoLiveTelemetry(sink) };
  return { api, sink, deps };
}

const goLiveOp: GoLiveOperation = {
  operationId: 'op-7',
  operationUrl: 'https://p/op-7',
  rawStatus: 'running',
  submissionType: 'goLive',
  running: true,
};

describe('submitGoLive activity', () => {
  it('posts Go Live when no go-live runs, and reports the state change', async () => {
    const { api, sink, deps } = setup();
    api.starts = [{ operationUrl: 'https://p/op-1', operationId: 'op-1', retryAfterSeconds: 30 }];
    const r = await submitGoLive({ ...base, attempt: 1 }, deps);
    expect(r).toEqual({ kind: 'accepted', operationId: 'op-1', operationUrl: 'https://p/op-1', retryAfterSeconds: 30 });
    expect(api.calls).toEqual(['list', 'start contoso/app']);
    expect(sink.events.map((e) => [e.name, e.properties.state])).toEqual([
      ['GoLiveStateChanged', 'submitting'],
      ['GoLiveStateChanged', 'polling'],
    ]);
    expect(sink.events[1]!.properties).toMatchObject({
      publisherId: 'contoso',
      offerId: 'app',
      runId: 'run-1',
      api: 'cpp',
      operationId: 'op-1',
      previousState: 'submitting',
    });
  });

  it('attaches to a go-live already running instead of posting again (re-executed activity, earlier unknown outcome)', async () => {
    const { api, deps } = setup();
    api.running = [[{ ...goLiveOp, submissionType: 'publish', operationId: 'pub' }, goLiveOp]];
    const r = await submitGoLive({ ...base, attempt: 2 }, deps);
    expect(r).toEqual({ kind: 'attached', operationId: 'op-7', operationUrl: 'https://p/op-7', rawStatus: 'running' });
    expect(api.calls).toEqual(['list']);
  });

  it('reports an unknown outcome when the answer was lost', async () => {
    const { api, sink, deps } = setup();
    api.starts = [new GoLiveOutcomeUnknownError(new Error('ECONNRESET'))];
    const r = await submitGoLive({ ...base, attempt: 1 }, deps);
    expect(r).toMatchObject({ kind: 'outcomeUnknown', error: { code: 'OutcomeUnknown' } });
    expect(sink.events.some((e) => e.name === 'PartnerApiError' && e.properties.errorCode === 'OutcomeUnknown')).toBe(
      true,
    );
  });

  it('reports 429/503 as transient with Retry-After, and 400 as rejected with the body', async () => {
    const { api, deps } = setup();
    api.starts = [
      new PartnerApiError('Throttled', 'slow', { statusCode: 429, retriable: true, retryAfterSeconds: 12 }),
    ];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toEqual({
      kind: 'transient',
      error: { code: 'Throttled', message: 'slow', statusCode: 429 },
      retryAfterSeconds: 12,
    });
    const body = { error: { code: 'InvalidState', message: 'not ready' } };
    api.starts = [new PartnerApiError('BadRequest', 'not ready', { statusCode: 400, body })];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toEqual({
      kind: 'rejected',
      error: { code: 'BadRequest', message: 'not ready', statusCode: 400, body },
    });
  });

  it('resolves a 409 by attaching to the running go-live', async () => {
    const { api, deps } = setup();
    api.running = [[], [goLiveOp]];
    api.starts = [new PartnerApiError('Conflict', 'an operation is running', { statusCode: 409 })];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toMatchObject({ kind: 'attached', operationId: 'op-7' });
  });

  it('does not post when the running-operations check fails', async () => {
    const { api, deps } = setup();
    api.running = [new PartnerApiError('ServerError', 'down', { statusCode: 503, retriable: true })];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toMatchObject({ kind: 'transient' });
    api.running = [new PartnerApiError('NotFound', 'no offer', { statusCode: 404 })];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toMatchObject({
      kind: 'rejected',
      error: { statusCode: 404 },
    });
    expect(api.calls.filter((c) => c.startsWith('start'))).toHaveLength(0);
  });
});

describe('the attach lookup after a crash right after the POST', () => {
  const STARTED = '2026-01-01T10:00:00.000Z';
  const finished = (id: string, createdAt: string, rawStatus = 'complete'): GoLiveOperation => ({
    ...goLiveOp,
    operationId: id,
    operationUrl: `https://p/${id}`,
    rawStatus,
    running: false,
    createdAt,
  });

  it('asks for go-lives finished since the run started, less the clock-skew margin', async () => {
    const { api, deps } = setup();
    await submitGoLive({ ...base, attempt: 1, startedAt: STARTED }, deps);
    expect(api.queries[0]).toEqual({
      finishedSince: new Date(Date.parse(STARTED) - ATTACH_CLOCK_SKEW_MS).toISOString(),
      beforeGoLive: true,
    });
    expect(attachQuery({})).toEqual({});
  });

  it("tells the adapter that nothing was sent only on the first execution of the run's first submit", async () => {
    const marked = new Set<string>();
    const ledger = {
      firstSubmit: async (runId: string) => (marked.has(runId) ? false : (marked.add(runId), true)),
    };
    const { api, deps } = setup();
    deps.submits = ledger;
    await submitGoLive({ ...base, attempt: 1, startedAt: STARTED }, deps);
    await submitGoLive({ ...base, attempt: 1, startedAt: STARTED }, deps);
    await submitGoLive({ ...base, runId: 'run-2', attempt: 2, startedAt: STARTED }, deps);
    expect(api.queries.map((q) => q.unsent ?? false)).toEqual([true, false, false]);
    expect(api.queries.every((q) => q.beforeGoLive && q.finishedSince !== undefined)).toBe(true);
    expect([...marked]).toEqual(['run-1']);
  });

  it('attaches to the go-live that finished while the host was down instead of posting again', async () => {
    const { api, deps } = setup();
    api.running = [[finished('op-9', '2026-01-01T10:00:01.000Z', 'failed')]];
    const r = await submitGoLive({ ...base, attempt: 2, startedAt: STARTED, earlierOperationIds: ['op-1'] }, deps);
    expect(r).toEqual({ kind: 'attached', operationId: 'op-9', operationUrl: 'https://p/op-9', rawStatus: 'failed' });
    expect(api.calls.filter((c) => c.startsWith('start'))).toHaveLength(0);
  });

  it("never attaches to an earlier run's finished go-live: it posts", async () => {
    const { api, deps } = setup();
    api.running = [[finished('op-1', '2026-01-01T09:58:00.000Z')]];
    const r = await submitGoLive({ ...base, attempt: 1, startedAt: STARTED, earlierOperationIds: ['op-1'] }, deps);
    expect(r).toMatchObject({ kind: 'accepted' });
    expect(api.calls).toEqual(['list', 'start contoso/app']);
  });

  it('prefers a running go-live, then the newest finished one', () => {
    const a = finished('a', '2026-01-01T10:00:01.000Z');
    const b = finished('b', '2026-01-01T10:00:05.000Z');
    expect(goLiveToAttach([a, b])?.operationId).toBe('b');
    expect(goLiveToAttach([a, b, goLiveOp])?.operationId).toBe('op-7');
    expect(goLiveToAttach([a, b], ['b'])?.operationId).toBe('a');
    // an earlier run's operation still running is attached to (it is the offer's one go-live)
    expect(goLiveToAttach([goLiveOp], ['op-7'])?.operationId).toBe('op-7');
    expect(goLiveToAttach([{ ...a, submissionType: 'publish' }])).toBeUndefined();
  });

  it('findRunningOperation uses the same lookup', async () => {
    const { api, deps } = setup();
    api.running = [[finished('op-9', '2026-01-01T10:00:01.000Z')]];
    expect(await findRunningOperation({ ...base, startedAt: STARTED }, deps)).toMatchObject({
      kind: 'found',
      operationId: 'op-9',
    });
    expect(api.queries[0]?.finishedSince).toBeDefined();
  });
});

describe('an offer already live', () => {
  it('sends nothing more and reports alreadyLive with the final status and the reason', async () => {
    const { api, deps } = setup();
    api.starts = [
      {
        operationUrl: 'https://p/submission/p/1',
        operationId: 'submission/p/1',
        alreadyLive: {
          reason: 'Preview submission submission/p/1 is already live',
          status: {
            operationUrl: 'https://p/submission/p/1',
            operationId: 'submission/p/1',
            rawStatus: 'completed/succeeded',
            state: 'succeeded',
            terminal: true,
            phase: 'Publish to live',
            progressPercentage: 100,
            steps: [{ stepName: 'Publish to live', status: 'complete', progressPercentage: 100 }],
          },
        },
      },
    ];
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toEqual({
      kind: 'alreadyLive',
      operationId: 'submission/p/1',
      rawStatus: 'completed/succeeded',
      steps: [{ name: 'Publish to live', status: 'complete', progress: 100 }],
      progressPercentage: 100,
      phase: 'Publish to live',
      warning: 'Preview submission submission/p/1 is already live',
    });
  });
});

describe('findRunningOperation activity', () => {
  it('finds the running go-live, none, or reports the error', async () => {
    const { api, deps } = setup();
    api.running = [[goLiveOp]];
    expect(await findRunningOperation(base, deps)).toEqual({
      kind: 'found',
      operationId: 'op-7',
      operationUrl: 'https://p/op-7',
      rawStatus: 'running',
    });
    api.running = [[{ ...goLiveOp, submissionType: 'publish' }]];
    expect(await findRunningOperation(base, deps)).toEqual({ kind: 'none' });
    api.running = [new PartnerApiError('Throttled', 'x', { statusCode: 429, retriable: true, retryAfterSeconds: 5 })];
    expect(await findRunningOperation(base, deps)).toMatchObject({ kind: 'error', retryAfterSeconds: 5 });
  });
});

describe('readOperation activity', () => {
  const op: OperationStatus = {
    operationUrl: 'https://p/op-1',
    operationId: 'op-1',
    rawStatus: 'running',
    state: 'running',
    terminal: false,
    steps: [
      {
        stepName: 'Live',
        status: 'inProgress',
        progressPercentage: 20,
        description: 'd',
        messages: [{ messageHtml: 'x' }],
      },
    ],
    progressPercentage: 20,
    retryAfterSeconds: 45,
  };

  it('returns the compact status with Retry-After', async () => {
    const { api, deps } = setup();
    api.reads = [op];
    expect(await readOperation({ ...base, operationUrl: 'https://p/op-1', previousState: 'polling' }, deps)).toEqual({
      kind: 'status',
      operationId: 'op-1',
      operationUrl: 'https://p/op-1',
      rawStatus: 'running',
      state: 'running',
      terminal: false,
      steps: [{ name: 'Live', status: 'inProgress', progress: 20 }],
      progressPercentage: 20,
      retryAfterSeconds: 45,
    });
  });

  it('passes on the phase, the URL of the next phase and the advice to submit again', async () => {
    const { api, deps } = setup();
    api.reads = [
      {
        ...op,
        operationUrl: 'https://p/submission/p/1152921515689848683',
        operationId: 'submission/p/1152921515689848683',
        phase: 'Publish to live',
        state: 'failed',
        terminal: true,
        submitAgain: { reason: 'SubmissionInProgress', maxTimes: 3 },
      },
    ];
    expect(
      await readOperation({ ...base, operationUrl: 'https://p/op-1', previousState: 'polling' }, deps),
    ).toMatchObject({
      operationUrl: 'https://p/submission/p/1152921515689848683',
      operationId: 'submission/p/1152921515689848683',
      phase: 'Publish to live',
      submitAgain: { reason: 'SubmissionInProgress', maxTimes: 3 },
    });
  });

  it('carries failed operation errors', async () => {
    const { api, deps } = setup();
    api.reads = [
      {
        ...op,
        state: 'failed',
        rawStatus: 'failed',
        terminal: true,
        errors: [{ code: 'c', message: 'm', details: [] }],
      },
    ];
    expect(await readOperation({ ...base, operationUrl: 'u', previousState: 'polling' }, deps)).toMatchObject({
      errors: [{ code: 'c', message: 'm' }],
    });
  });

  it('classifies read errors as transient or permanent', async () => {
    const { api, deps } = setup();
    api.reads = [new PartnerApiError('ServerError', 'x', { statusCode: 503, retriable: true, retryAfterSeconds: 9 })];
    expect(await readOperation({ ...base, operationUrl: 'u', previousState: 'polling' }, deps)).toMatchObject({
      kind: 'transient',
      retryAfterSeconds: 9,
    });
    api.reads = [new PartnerApiError('NotFound', 'gone', { statusCode: 404 })];
    expect(await readOperation({ ...base, operationUrl: 'u', previousState: 'polling' }, deps)).toMatchObject({
      kind: 'permanent',
      error: { statusCode: 404 },
    });
  });
});

describe('cancelOperation activity', () => {
  it('cancels the operation, or returns the error', async () => {
    const { api, deps } = setup();
    expect(await cancelOperation({ ...base, operationUrl: 'https://p/op-1' }, deps)).toEqual({
      kind: 'canceled',
      completed: true,
    });
    expect(api.calls).toEqual(['cancel https://p/op-1']);
    api.cancels = [new PartnerApiError('Forbidden', 'no', { statusCode: 403 })];
    expect(await cancelOperation({ ...base, operationUrl: 'u' }, deps)).toMatchObject({
      kind: 'error',
      error: { code: 'Forbidden' },
    });
  });
});

describe('publishCompletion activity', () => {
  it('builds the completion event and sends the final state change and metrics', () => {
    const { sink, deps } = setup();
    const output = {
      runId: 'run-1',
      runNumber: 1,
      target,
      outcome: 'succeeded',
      operationId: 'op-1',
      steps: [],
      pollCount: 4,
      requests: [],
      requestIds: ['req-1'],
      startedAt: '2026-01-01T00:00:00.000Z',
      completedAt: '2026-01-01T00:10:00.000Z',
      durationSeconds: 600,
      warnings: [],
      eventId: 'golive-run-1',
      previousRuns: [],
    } satisfies RunOutput;
    const event = publishCompletion({ output }, deps);
    expect(event).toMatchObject({ id: 'golive-run-1', type: 'golive.succeeded' });
    expect(sink.metrics).toEqual([
      {
        name: 'GoLiveDurationSeconds',
        value: 600,
        properties: expect.objectContaining({ outcome: 'succeeded', operationId: 'op-1' }),
      },
      { name: 'GoLivePollCount', value: 4, properties: expect.objectContaining({ runId: 'run-1' }) },
    ]);
    expect(sink.events).toEqual([
      { name: 'GoLiveStateChanged', properties: expect.objectContaining({ state: 'succeeded' }) },
    ]);
  });
});

describe('activities without a client for the run’s API', () => {
  it('reject or report the error instead of throwing', async () => {
    const deps: ActivityDeps = {
      partnerApi: () => {
        throw new PartnerApiError('BadRequest', 'The Product Ingestion API adapter is not available in this build');
      },
      telemetry: new GoLiveTelemetry(new MemoryTelemetrySink()),
    };
    expect(await submitGoLive({ ...base, attempt: 1 }, deps)).toMatchObject({
      kind: 'rejected',
      error: { code: 'BadRequest' },
    });
    expect(await findRunningOperation(base, deps)).toMatchObject({ kind: 'error' });
    expect(await readOperation({ ...base, operationUrl: 'u', previousState: 'polling' }, deps)).toMatchObject({
      kind: 'permanent',
    });
    expect(await cancelOperation({ ...base, operationUrl: 'u' }, deps)).toMatchObject({ kind: 'error' });
  });
});
