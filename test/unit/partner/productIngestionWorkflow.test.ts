/**
 * The go-live run with the Product Ingestion API: the orchestrator (through the durable-functions replay engine)
 * respects the API's polling floor and acts on the job failures `getOperation` classifies; the activities pass
 * the adapter's floor on. Activities here are in-process fakes, the adapter in the activity test is the real client
 * against the real simulator.
 */
import { GoLiveTelemetry, MemoryTelemetrySink } from '../../../src/events/telemetry';
import { type ActivityDeps, readOperation, submitGoLive } from '../../../src/golive/activities';
import type { ReadOperationResult, SubmitGoLiveResult } from '../../../src/golive/contracts';
import { goLiveOrchestration } from '../../../src/golive/orchestration';
import { nextPollDelaySeconds } from '../../../src/golive/pollingPolicy';
import type { RunInput, RunOutput } from '../../../src/golive/run/record';
import { StaticTokenCredential } from '../../../src/partner/credential';
import { ProductIngestionClient } from '../../../src/partner/productIngestionClient';
import { MAX_IN_PROGRESS_RESUBMITS, submitAgainAdvice } from '../../../src/partner/productIngestionStatus';
import { startSimulator } from '../../../tools/simulator';
import { type ActivityFn, runOrchestration } from '../golive/support/replayHarness';

const START = new Date('2026-01-01T00:00:00.000Z');
const secondsOf = (d: Date) => (d.getTime() - START.getTime()) / 1000;

function runInput(pollIntervalSeconds = 10): RunInput {
  return {
    runId: '11111111-2222-5333-8444-666666666666',
    runNumber: 1,
    target: { api: 'productIngestion', publisherId: 'contoso', offerId: 'contoso-app' },
    requests: [{ requestId: 'req-1', receivedAt: START.toISOString() }],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + 3_600_000).toISOString(),
    settings: {
      pollIntervalSeconds,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes: 60,
      pollsPerHistory: 100,
      maxSubmitAttempts: 4,
    },
    previousRuns: [],
  };
}

const job = (n: number): SubmitGoLiveResult => ({
  kind: 'accepted',
  operationId: `job-${n}`,
  operationUrl: `https://graph.example/rp/product-ingestion/configure/job-${n}/status?$version=v`,
  minPollIntervalSeconds: 60,
});

type StatusRead = Extract<ReadOperationResult, { kind: 'status' }>;

function status(state: 'running' | 'succeeded' | 'failed', errors?: { code: string; message: string }[]): StatusRead {
  return {
    kind: 'status',
    operationId: 'job',
    rawStatus: state === 'running' ? 'running' : `completed/${state}`,
    state,
    terminal: state !== 'running',
    steps: [
      { name: 'Submit', status: 'complete', progress: 100 },
      {
        name: 'Publish to live',
        status: state === 'running' ? 'inProgress' : state === 'failed' ? 'failed' : 'complete',
      },
    ],
    minPollIntervalSeconds: 60,
    ...(errors ? { errors } : {}),
    // The adapter's advice, as the Product Ingestion client gives it for these errors.
    ...(errors && submitAgainAdvice(errors) ? { submitAgain: submitAgainAdvice(errors) } : {}),
  };
}

const IN_PROGRESS = { code: 'SubmissionInProgress', message: 'An In Progress submission 7 already exists.' };
const NOT_LATEST = {
  code: 'SubmissionNotLatest',
  message: 'The submission cannot be pushed to live as its not the latest submission.',
};
const CERT = { code: 'CertificationFailed', message: 'The submission failed certification.' };

function sequence<T>(...answers: T[]): ActivityFn {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)];
}

async function run(input: RunInput, acts: Record<string, ActivityFn>) {
  const result = await runOrchestration(goLiveOrchestration, input, {
    start: START,
    activities: {
      findRunningOperation: () => ({ kind: 'none' }),
      cancelOperation: () => ({ kind: 'canceled', completed: true }),
      publishCompletion: (i) => ({ eventId: (i as { output: RunOutput }).output.eventId }),
      ...acts,
    },
  });
  if (result.error) throw new Error(`orchestration failed: ${result.error}`);
  const calls = (name: string) => result.activityCalls.filter((c) => c.name === name);
  return { output: result.output as RunOutput, calls };
}

describe('polling floor', () => {
  it('never reads a Product Ingestion job sooner than its once-a-minute floor, whatever the configured interval', async () => {
    const { output, calls } = await run(runInput(10), {
      submitGoLive: () => job(1),
      readOperation: sequence(status('running'), status('running'), status('succeeded')),
    });
    expect(output.outcome).toBe('succeeded');
    // The polling plan reads sparser than the floor before the likely end ("Publish to live"); never sooner.
    const reads = calls('readOperation').map((c) => secondsOf(c.at));
    expect(reads).toHaveLength(3);
    expect(reads[0]).toBe(60);
    for (let i = 1; i < reads.length; i++) expect((reads[i] ?? 0) - (reads[i - 1] ?? 0)).toBeGreaterThanOrEqual(60);
  });

  it('keeps the floor on transient read errors and a longer configured interval wins', async () => {
    const transient: ReadOperationResult = {
      kind: 'transient',
      error: { code: 'ServerError', message: '500', statusCode: 500 },
      minPollIntervalSeconds: 60,
    };
    const fast = await run(runInput(5), {
      submitGoLive: () => job(1),
      readOperation: sequence<ReadOperationResult>(transient, status('succeeded')),
    });
    expect(fast.calls('readOperation').map((c) => secondsOf(c.at))).toEqual([60, 120]);
    const slow = await run(runInput(300), {
      submitGoLive: () => job(1),
      readOperation: sequence(status('running'), status('succeeded')),
    });
    const slowReads = slow.calls('readOperation').map((c) => secondsOf(c.at));
    expect(slowReads[0]).toBe(300);
    expect((slowReads[1] ?? 0) - (slowReads[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('the policy applies the floor last', () => {
    const base = { consecutiveErrors: 0, intervalSeconds: 5, maxIntervalSeconds: 600 };
    expect(nextPollDelaySeconds({ ...base, minIntervalSeconds: 60 })).toBe(60);
    expect(nextPollDelaySeconds({ ...base, retryAfterSeconds: 2, minIntervalSeconds: 60 })).toBe(60);
    expect(nextPollDelaySeconds({ ...base, retryAfterSeconds: 120, minIntervalSeconds: 60 })).toBe(120);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 2, minIntervalSeconds: 60 })).toBe(60);
    expect(nextPollDelaySeconds(base)).toBe(5);
  });
});

describe('job failures', () => {
  it('a collision with a submission in progress submits again (attaching when a live submission runs)', async () => {
    const submit = sequence<SubmitGoLiveResult>(job(1), {
      kind: 'attached',
      operationId: 'submission/p/7',
      operationUrl: 'https://graph.example/rp/product-ingestion/submission/p/7?$version=v',
      rawStatus: 'running',
    });
    const { output, calls } = await run(runInput(), {
      submitGoLive: submit,
      readOperation: sequence(status('failed', [IN_PROGRESS]), status('running'), status('succeeded')),
    });
    expect(output.outcome).toBe('succeeded');
    expect(output.operationId).toBe('submission/p/7');
    expect(output.error).toBeUndefined();
    expect(calls('submitGoLive')).toHaveLength(2);
    expect(calls('readOperation').map((c) => (c.input as { operationUrl: string }).operationUrl)).toEqual([
      'https://graph.example/rp/product-ingestion/configure/job-1/status?$version=v',
      'https://graph.example/rp/product-ingestion/submission/p/7?$version=v',
      'https://graph.example/rp/product-ingestion/submission/p/7?$version=v',
    ]);
    expect(output.warnings.join(' ')).toContain('SubmissionInProgress');
  });

  it(`gives up after ${MAX_IN_PROGRESS_RESUBMITS} collisions and ends failed with the job error`, async () => {
    let n = 0;
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => job(++n),
      readOperation: () => status('failed', [IN_PROGRESS]),
    });
    expect(calls('submitGoLive')).toHaveLength(MAX_IN_PROGRESS_RESUBMITS + 1);
    expect(output.outcome).toBe('failed');
    expect(output.error).toMatchObject({ code: 'SubmissionInProgress' });
  });

  it('a stale preview id is submitted again once', async () => {
    let n = 0;
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => job(++n),
      readOperation: () => status('failed', [NOT_LATEST]),
    });
    expect(calls('submitGoLive')).toHaveLength(2);
    expect(output).toMatchObject({ outcome: 'failed', operationId: 'job-2', error: { code: 'SubmissionNotLatest' } });
  });

  it('a certification failure is permanent: no second submit', async () => {
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => job(1),
      readOperation: sequence(status('running'), status('failed', [CERT])),
    });
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(output).toMatchObject({ outcome: 'failed', error: { code: 'CertificationFailed' } });
  });

  it('a failure without the adapter advising it is never submitted again (the CPP adapter never advises it)', async () => {
    const input = runInput();
    input.target = { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-app' };
    const { submitAgain: _advice, ...failed } = status('failed', [IN_PROGRESS]);
    const { output, calls } = await run(input, {
      submitGoLive: () => job(1),
      readOperation: () => failed,
    });
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(output.outcome).toBe('failed');
  });
});

describe('two phases and an offer already live', () => {
  const LIVE_URL = 'https://graph.example/rp/product-ingestion/submission/p/1152921515689848683?$version=v';
  const publish = (state: 'running' | 'succeeded' | 'failed'): StatusRead => ({
    ...status(state),
    operationId: 'submission/p/1152921515689848683',
    operationUrl: LIVE_URL,
    phase: 'Publish to live',
  });

  it('follows the live submission the adapter hands on after the job, and succeeds only when it completes', async () => {
    const submitPhase: StatusRead = {
      ...status('running'),
      operationUrl: 'https://graph.example/rp/product-ingestion/configure/job-1/status?$version=v',
      phase: 'Submit',
    };
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => job(1),
      readOperation: sequence(submitPhase, publish('running'), publish('running'), publish('succeeded')),
    });
    expect(output).toMatchObject({
      outcome: 'succeeded',
      operationId: 'submission/p/1152921515689848683',
      operationStatus: 'completed/succeeded',
    });
    expect(output.alreadyLive).toBeUndefined();
    const urls = calls('readOperation').map((c) => (c.input as { operationUrl: string }).operationUrl);
    expect(urls[0]).toContain('/configure/job-1/status');
    expect(urls.slice(2)).toEqual([LIVE_URL, LIVE_URL]);
  });

  it('a live submission that fails ends the run failed', async () => {
    const failed = publish('failed');
    failed.errors = [{ code: 'LiveSubmissionFailed', message: 'Live submission x completed with result failed.' }];
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => job(1),
      readOperation: sequence(publish('running'), failed),
    });
    expect(output).toMatchObject({ outcome: 'failed', error: { code: 'LiveSubmissionFailed' } });
    expect(calls('submitGoLive')).toHaveLength(1);
  });

  it('an already-live preview ends succeeded at once with alreadyLive and the reason as a warning', async () => {
    const { output, calls } = await run(runInput(), {
      submitGoLive: () => ({
        kind: 'alreadyLive',
        operationId: 'submission/p/1152921515689848683',
        rawStatus: 'completed/succeeded',
        steps: [
          { name: 'Submit', status: 'complete', progress: 100 },
          { name: 'Publish to live', status: 'complete', progress: 100 },
        ],
        progressPercentage: 100,
        phase: 'Publish to live',
        warning: 'Preview submission submission/p/1152921515689848683 is already live: nothing to push.',
      }),
      readOperation: () => {
        throw new Error('no read expected');
      },
    });
    expect(output).toMatchObject({
      outcome: 'succeeded',
      alreadyLive: true,
      operationId: 'submission/p/1152921515689848683',
      pollCount: 0,
    });
    expect(output.warnings.join(' ')).toContain('already live');
    expect(calls('readOperation')).toHaveLength(0);
  });
});

describe('activities with the real client and simulator', () => {
  it('pass the adapter floor on, and attach to a running live submission instead of posting again', async () => {
    const sim = await startSimulator({ defaults: { neverEnds: true, jobDurationMs: 0 } });
    const client = new ProductIngestionClient({
      baseUrl: `${sim.url}/rp/product-ingestion`,
      schemaVersion: '2022-03-01-preview2',
      credential: new StaticTokenCredential('local-dev-token'),
      timeoutMs: 5_000,
      maxRetries: 1,
    });
    const deps: ActivityDeps = {
      partnerApi: () => client,
      telemetry: new GoLiveTelemetry(new MemoryTelemetrySink()),
    };
    try {
      const target = { api: 'productIngestion' as const, publisherId: 'contoso', offerId: 'contoso-app' };
      const first = await submitGoLive({ runId: 'r', target, attempt: 1 }, deps);
      expect(first).toMatchObject({ kind: 'accepted', minPollIntervalSeconds: 60 });
      const read = await readOperation(
        {
          runId: 'r',
          target,
          operationUrl: (first as { operationUrl: string }).operationUrl,
          previousState: 'polling',
        },
        deps,
      );
      expect(read).toMatchObject({ kind: 'status', terminal: false, minPollIntervalSeconds: 60 });
      const second = await submitGoLive({ runId: 'r', target, attempt: 1 }, deps);
      expect(second).toMatchObject({ kind: 'attached', rawStatus: expect.stringMatching(/notStarted|running/) });
      expect(sim.admin.requests({ method: 'POST' })).toHaveLength(1);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});
