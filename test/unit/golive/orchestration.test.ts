import type { ReadOperationResult, SubmitGoLiveResult } from '../../../src/golive/contracts';
import { goLiveOrchestration } from '../../../src/golive/orchestration';
import type { RunCustomStatus, RunInput, RunOutput } from '../../../src/golive/run/record';
import { type ActivityFn, runOrchestration, type ScheduledEvent } from './support/replayHarness';

const START = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);

function runInput(overrides: Partial<RunInput['settings']> = {}, deadlineMinutes = 60): RunInput {
  return {
    runId: '11111111-2222-5333-8444-555555555555',
    runNumber: 1,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-app' },
    requests: [{ requestId: 'req-1', requestedBy: 'pipeline', receivedAt: START.toISOString() }],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + deadlineMinutes * 60_000).toISOString(),
    settings: {
      pollIntervalSeconds: 60,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes,
      pollsPerHistory: 100,
      maxSubmitAttempts: 4,
      ...overrides,
    },
    previousRuns: [],
  };
}

const accepted: SubmitGoLiveResult = {
  kind: 'accepted',
  operationId: 'op-1',
  operationUrl: 'https://partner.example/api/publishers/contoso/offers/contoso-app/operations/op-1',
};

function status(
  state: 'running' | 'succeeded' | 'failed' | 'canceled' | 'unknown',
  extra: object = {},
): ReadOperationResult {
  const raw = { running: 'running', succeeded: 'complete', failed: 'failed', canceled: 'canceled', unknown: 'paused' }[
    state
  ];
  return {
    kind: 'status',
    operationId: 'op-1',
    rawStatus: raw,
    state,
    terminal: ['succeeded', 'failed', 'canceled'].includes(state),
    steps: [
      {
        name: 'Live',
        status: state === 'succeeded' ? 'complete' : 'inProgress',
        progress: state === 'succeeded' ? 100 : 50,
      },
    ],
    progressPercentage: state === 'succeeded' ? 100 : 50,
    ...extra,
  };
}

/** Reads answer from the list in order; the last answer repeats. */
function reads(...answers: ReadOperationResult[]): ActivityFn {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)];
}

function activities(overrides: Record<string, ActivityFn>): Record<string, ActivityFn> {
  return {
    submitGoLive: () => accepted,
    readOperation: reads(status('succeeded')),
    findRunningOperation: () => ({ kind: 'none' }),
    cancelOperation: () => ({ kind: 'canceled', completed: true }),
    publishCompletion: (input) => ({ eventId: (input as { output: RunOutput }).output.eventId }),
    ...overrides,
  };
}

async function run(input: RunInput, acts: Record<string, ActivityFn>, events: ScheduledEvent[] = []) {
  const result = await runOrchestration(goLiveOrchestration, input, { start: START, activities: acts, events });
  if (result.error) throw new Error(`orchestration failed: ${result.error}`);
  const calls = (name: string) => result.activityCalls.filter((c) => c.name === name);
  return { result, output: result.output as RunOutput, calls };
}

describe('goLiveOrchestration', () => {
  it('submits once, polls on the configured interval until the operation completes, and publishes one event', async () => {
    const { result, output, calls } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('running'), status('succeeded')) }),
    );
    expect(output.outcome).toBe('succeeded');
    expect(output.operationId).toBe('op-1');
    expect(output.pollCount).toBe(3);
    expect(output.requestIds).toEqual(['req-1']);
    expect(output.steps).toEqual([{ name: 'Live', status: 'complete', progress: 100 }]);
    expect(output.eventId).toBe('golive-11111111-2222-5333-8444-555555555555');
    expect(output.completedAt).toBe(at(180).toISOString());
    expect(output.durationSeconds).toBe(180);
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(calls('publishCompletion')).toHaveLength(1);
    expect((calls('publishCompletion')[0]!.input as { output: RunOutput }).output.outcome).toBe('succeeded');
    expect(calls('readOperation').map((c) => c.at.toISOString())).toEqual(
      [at(60), at(120), at(180)].map((d) => d.toISOString()),
    );
    const polling = result.customStatuses.filter(
      (s) => (s as RunCustomStatus).state === 'polling',
    ) as RunCustomStatus[];
    const last = polling[polling.length - 1]!;
    expect(last).toMatchObject({
      operationId: 'op-1',
      operationStatus: 'running',
      pollCount: 2,
      progressPercentage: 50,
    });
    expect(last.nextCheckAt).toBe(at(180).toISOString());
    expect(last.lastCheckedAt).toBe(at(120).toISOString());
    expect((result.customStatuses.at(-1) as RunCustomStatus).state).toBe('succeeded');
  });

  it('shows at most the newest request ids in the custom status, with the count, and all of them in the output', async () => {
    const joins = Array.from({ length: 60 }, (_, i) => ({
      name: 'requestJoined',
      data: { requestId: `join-${i}`, receivedAt: at(i).toISOString() },
      at: at(1 + i / 2),
    }));
    const { result, output } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('succeeded')) }),
      joins,
    );
    const last = result.customStatuses.at(-1) as RunCustomStatus;
    expect(last.requestCount).toBe(61);
    expect(last.requestIds).toHaveLength(50);
    expect(last.requestIds.at(-1)).toBe('join-59');
    expect(output.requestIds).toHaveLength(61);
  });

  it('logs only outside replay', async () => {
    const { result } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('succeeded')) }),
    );
    expect(result.logs.filter((l) => l.includes('run 1 started for requests'))).toHaveLength(1);
    expect(result.logs.filter((l) => l.includes('run ended succeeded'))).toHaveLength(1);
  });

  it('logs one line per change a person cares about: accepted, each step change, the outcome', async () => {
    const { result } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('running'), status('succeeded')) }),
    );
    const lines = result.leveledLogs.filter((l) => l.level !== 'debug').map((l) => l.line);
    expect(lines.filter((l) => l.includes('check '))).toEqual([
      expect.stringContaining('check 1: operation running 50%; step "Live" inProgress 50%'),
      expect.stringContaining('check 3: operation complete 100%; step "Live" complete 100%'),
    ]);
    expect(lines.some((l) => l.includes('check 2:'))).toBe(false);
    expect(lines.at(-1)).toMatch(/run ended succeeded after 3 checks/);
  });

  it('logs a failed run at error level with the partner reason', async () => {
    const failed = status('failed', {
      errors: [{ code: 'CertificationFailed', message: 'The offer failed certification' }],
    });
    const { result } = await run(runInput(), activities({ readOperation: reads(status('running'), failed) }));
    const end = result.leveledLogs.find((l) => l.line.includes('run ended failed'));
    expect(end?.level).toBe('error');
    expect(end?.line).toContain('CertificationFailed');
  });

  it('keeps the newest operation reads as checks in the custom status and the output', async () => {
    const answers = Array.from({ length: 24 }, () => status('running'));
    const { result, output } = await run(
      runInput({ pollsPerHistory: 7 }),
      activities({ readOperation: reads(...answers, status('succeeded')) }),
    );
    expect(output.checks).toHaveLength(20);
    expect(output.checks?.at(-1)).toMatchObject({ status: 'complete', progress: 100 });
    expect(output.checks?.[0]).toMatchObject({ status: 'running', progress: 50 });
    const statuses = result.customStatuses as RunCustomStatus[];
    expect(statuses.some((s) => (s.checks?.length ?? 0) === 20)).toBe(true);
    expect(result.generations).toBeGreaterThan(1);
  });

  it('ends failed with the partner error (code, message, status, body) when Go Live is rejected', async () => {
    const body = { error: { code: 'InvalidState', message: 'Offer is not ready for go-live' } };
    const { output, calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({
          kind: 'rejected',
          error: { code: 'BadRequest', message: 'Offer is not ready for go-live', statusCode: 400, body },
        }),
      }),
    );
    expect(output.outcome).toBe('failed');
    expect(output.error).toEqual({
      code: 'BadRequest',
      message: 'Offer is not ready for go-live',
      statusCode: 400,
      body,
    });
    expect(calls('readOperation')).toHaveLength(0);
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(calls('publishCompletion')).toHaveLength(1);
  });

  it('ends failed with the operation errors when the partner operation fails', async () => {
    const { output } = await run(
      runInput(),
      activities({
        readOperation: reads(
          status('running'),
          status('failed', { errors: [{ code: 'certificationFailed', message: 'Certification failed' }] }),
        ),
      }),
    );
    expect(output.outcome).toBe('failed');
    expect(output.error).toMatchObject({ code: 'certificationFailed', message: 'Certification failed' });
    expect(output.operationStatus).toBe('failed');
  });

  it('on an unknown Go Live outcome looks for the running operation and attaches to it without a second submit', async () => {
    const { output, calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({ kind: 'outcomeUnknown', error: { code: 'OutcomeUnknown', message: 'socket hang up' } }),
        findRunningOperation: () => ({
          kind: 'found',
          operationId: 'op-9',
          operationUrl: 'https://p/op-9',
          rawStatus: 'running',
        }),
        readOperation: (input) => ({
          ...status('succeeded'),
          operationId: (input as { operationUrl: string }).operationUrl.slice(-4),
        }),
      }),
    );
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(calls('findRunningOperation')).toHaveLength(1);
    expect((calls('readOperation')[0]!.input as { operationUrl: string }).operationUrl).toBe('https://p/op-9');
    // attached: the first read is immediate, not an interval later
    expect(calls('readOperation')[0]!.at).toEqual(START);
    expect(output.outcome).toBe('succeeded');
    expect(output.operationId).toBe('op-9');
    expect(output.warnings.join(' ')).toMatch(/outcome unknown/);
  });

  it('treats a failed submit activity as an unknown outcome, and submits again only when no operation runs', async () => {
    let submits = 0;
    const { output, calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => {
          submits += 1;
          if (submits === 1) throw new Error('worker lost');
          return accepted;
        },
      }),
    );
    expect(calls('findRunningOperation')).toHaveLength(1);
    expect(calls('submitGoLive')).toHaveLength(2);
    expect(calls('submitGoLive')[1]!.at.getTime()).toBeGreaterThan(START.getTime());
    expect(output.outcome).toBe('succeeded');
  });

  it('retries transient submit answers with backoff that honours Retry-After, then fails after the bounded attempts', async () => {
    const { output, calls } = await run(
      runInput({ maxSubmitAttempts: 3 }),
      activities({
        submitGoLive: () => ({
          kind: 'transient',
          error: { code: 'Throttled', message: 'Too many requests', statusCode: 429 },
          retryAfterSeconds: 90,
        }),
      }),
    );
    const times = calls('submitGoLive').map((c) => (c.at.getTime() - START.getTime()) / 1000);
    expect(times).toEqual([0, 90, 180]); // waits max(Retry-After 90, backoff 30 then 60)
    expect(output.outcome).toBe('failed');
    expect(output.error).toMatchObject({ code: 'Throttled', statusCode: 429 });
    expect(output.error!.message).toMatch(/after 3 attempts/);
    expect(calls('readOperation')).toHaveLength(0);
  });

  it('ends timedOut at the deadline and leaves the operation running (no cancel)', async () => {
    const { result, output, calls } = await run(
      runInput({}, 5),
      activities({ readOperation: reads(status('running')) }),
    );
    expect(output.outcome).toBe('timedOut');
    expect(output.error).toMatchObject({ code: 'DeadlineExceeded' });
    expect(output.error!.message).toMatch(/op-1 was left running/);
    expect(calls('cancelOperation')).toHaveLength(0);
    expect(output.completedAt).toBe(at(300).toISOString());
    expect(Math.max(...result.timers.map((t) => t.fireAt.getTime()))).toBeLessThanOrEqual(at(300).getTime());
    expect(calls('publishCompletion')).toHaveLength(1);
  });

  it('cancels the partner operation on a cancel event raced with the timer and ends canceled once it says so', async () => {
    const { result, output, calls } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('running'), status('canceled')) }),
      [{ name: 'cancel', data: { requestedBy: 'ops' }, at: at(150) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(output.operationStatus).toBe('canceled');
    expect(calls('cancelOperation')).toHaveLength(1);
    expect(calls('cancelOperation')[0]!.input).toMatchObject({ operationUrl: accepted.operationUrl });
    expect(calls('cancelOperation')[0]!.at).toEqual(at(150));
    // two polls, then one read at once after the cancel (its answer says it is done)
    expect(calls('readOperation')).toHaveLength(3);
    expect(output.completedAt).toBe(at(150).toISOString());
    expect(result.timers.some((t) => t.canceled)).toBe(true);
    expect(output.error).toBeUndefined();
  });

  it('records the partner error when the cancel call fails, still ending canceled', async () => {
    const { output } = await run(
      runInput(),
      activities({
        readOperation: reads(status('running')),
        cancelOperation: () => ({ kind: 'error', error: { code: 'ServerError', message: 'boom', statusCode: 500 } }),
      }),
      [{ name: 'cancel', data: {}, at: at(30) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(output.error).toMatchObject({ code: 'CancelRefused', statusCode: 500 });
    expect(output.error?.message).toContain('ServerError boom');
  });

  it('records joined requests (raced with the timer) without another submit', async () => {
    const { result, output, calls } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('running'), status('succeeded')) }),
      [
        {
          name: 'requestJoined',
          data: { requestId: 'req-2', requestedBy: 'ops', receivedAt: at(30).toISOString() },
          at: at(30),
        },
        { name: 'requestJoined', data: { requestId: 'req-1', receivedAt: at(40).toISOString() }, at: at(40) },
      ],
    );
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(output.requestIds).toEqual(['req-1', 'req-2']);
    expect(output.requests[1]).toMatchObject({ requestId: 'req-2', requestedBy: 'ops' });
    // the wait resumed on the same schedule
    expect(calls('readOperation').map((c) => c.at.toISOString())).toEqual(
      [at(60), at(120), at(180)].map((d) => d.toISOString()),
    );
    expect(result.customStatuses.some((s) => (s as RunCustomStatus).requestIds.includes('req-2'))).toBe(true);
  });

  it('records a request that arrives in the same batch as a timer, while the next activity runs (taken by an earlier waiter)', async () => {
    // Both events reach the orchestration in the same batch as the first read's completion.
    const { output, calls } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('running'), status('succeeded')) }),
      [{ name: 'requestJoined', data: { requestId: 'req-3', receivedAt: at(60).toISOString() }, at: at(60) }],
    );
    expect(output.requestIds).toEqual(['req-1', 'req-3']);
    expect(calls('submitGoLive')).toHaveLength(1);
  });

  it('ends canceled without a partner call when cancelled while waiting to retry the submit', async () => {
    const { output, calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({
          kind: 'transient',
          error: { code: 'Throttled', message: 'x', statusCode: 429 },
          retryAfterSeconds: 300,
        }),
      }),
      [{ name: 'cancel', data: {}, at: at(100) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(calls('cancelOperation')).toHaveLength(0);
    expect(output.operationId).toBeUndefined();
  });

  it('records a request that joined before the first wait (buffered by the SDK) and takes a cancel sent during the submit', async () => {
    const { output, calls } = await run(runInput(), activities({ readOperation: reads(status('canceled')) }), [
      { name: 'requestJoined', data: { requestId: 'early', receivedAt: START.toISOString() }, at: START },
      { name: 'cancel', data: {}, at: START },
    ]);
    expect(output.requestIds).toEqual(['req-1', 'early']);
    expect(output.outcome).toBe('canceled');
    expect(calls('cancelOperation')).toHaveLength(1);
    // no poll: only the read that confirms the cancel
    expect(calls('readOperation')).toHaveLength(1);
  });

  it('honours Retry-After from the Go Live answer and from operation reads', async () => {
    const { calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({ ...accepted, retryAfterSeconds: 20 }),
        readOperation: reads(status('running', { retryAfterSeconds: 600 }), status('running'), status('succeeded')),
      }),
    );
    expect(calls('readOperation').map((c) => (c.at.getTime() - START.getTime()) / 1000)).toEqual([20, 620, 680]);
  });

  it('backs off exponentially on transient read errors, capped by the maximum interval', async () => {
    const transient: ReadOperationResult = {
      kind: 'transient',
      error: { code: 'ServerError', message: '503', statusCode: 503 },
    };
    const { output, calls } = await run(
      runInput({ pollIntervalSeconds: 100, pollMaxIntervalSeconds: 300 }),
      activities({ readOperation: reads(transient, transient, transient, transient, status('succeeded')) }),
    );
    const times = calls('readOperation').map((c) => (c.at.getTime() - START.getTime()) / 1000);
    expect(times).toEqual([100, 200, 400, 700, 1000]); // waits 100, 200, 300 (cap), 300
    expect(output.outcome).toBe('succeeded');
    expect(output.pollCount).toBe(5);
  });

  it('reports an unknown status string as a warning and keeps polling', async () => {
    const { output } = await run(
      runInput(),
      activities({ readOperation: reads(status('unknown'), status('succeeded')) }),
    );
    expect(output.outcome).toBe('succeeded');
    expect(output.warnings).toContain('unknown operation status "paused" (treated as running)');
  });

  it('continues as new every pollsPerHistory polls, carrying the run state, so history stays bounded', async () => {
    const answers = [...Array.from({ length: 7 }, () => status('running')), status('succeeded')];
    const { result, output, calls } = await run(
      runInput({ pollsPerHistory: 3 }),
      activities({ readOperation: reads(...answers) }),
      [{ name: 'requestJoined', data: { requestId: 'req-2', receivedAt: at(90).toISOString() }, at: at(90) }],
    );
    expect(result.generations).toBe(3);
    expect(output.outcome).toBe('succeeded');
    expect(output.pollCount).toBe(8);
    expect(output.requestIds).toEqual(['req-1', 'req-2']);
    expect(calls('submitGoLive')).toHaveLength(1);
    expect(calls('readOperation').map((c) => (c.at.getTime() - START.getTime()) / 1000)).toEqual([
      60, 120, 180, 240, 300, 360, 420, 480,
    ]);
    const carried = result.continueAsNewInputs[0] as RunInput;
    expect(carried).toMatchObject({ pollCount: 3, operationId: 'op-1', driver: { generation: 1, readErrors: 0 } });
    // The driver's bookkeeping lives beside the record, never in it (nor in the status or the output).
    expect(carried).not.toHaveProperty('generation');
    expect(carried).not.toHaveProperty('readErrors');
    expect(output).not.toHaveProperty('driver');
    expect(carried.startedAt).toBe(START.toISOString());
    expect(carried.deadlineAt).toBe(runInput().deadlineAt);
    expect(Math.max(...result.historyLengths)).toBeLessThan(40);
    expect(output.startedAt).toBe(START.toISOString());
    expect(output.durationSeconds).toBe(480);
  });

  it('retries publishing the completion event with durable timers', async () => {
    let attempts = 0;
    const { output, calls } = await run(
      runInput(),
      activities({
        publishCompletion: () => {
          attempts += 1;
          if (attempts < 3) throw new Error('queue unavailable');
          return {};
        },
      }),
    );
    expect(output.outcome).toBe('succeeded');
    expect(calls('publishCompletion')).toHaveLength(3);
  });
});

describe('goLiveOrchestration: the steps of the process', () => {
  it('ends succeeded without a Go Live when the offer is already live', async () => {
    const { output, calls } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({
          kind: 'alreadyLive',
          operationId: 'sub-1',
          rawStatus: 'completed',
          steps: [],
          phase: 'Publish to live',
          warning: 'already live',
        }),
      }),
    );
    expect(output).toMatchObject({ outcome: 'succeeded', alreadyLive: true, phase: 'Publish to live' });
    expect(output.warnings).toEqual(['already live']);
    expect(calls('readOperation')).toHaveLength(0);
    expect(calls('publishCompletion')).toHaveLength(1);
  });

  it("follows the adapter's next operation URL, and submits again on its advice after a failure", async () => {
    let submits = 0;
    const { output, calls, result } = await run(
      runInput(),
      activities({
        submitGoLive: () => ({ ...accepted, operationId: `op-${++submits}`, operationUrl: `https://p/op-${submits}` }),
        readOperation: reads(
          status('running', { operationId: 'live-1', operationUrl: 'https://p/live-1', phase: 'Publish to live' }),
          status('failed', { operationId: 'live-1', submitAgain: { reason: 'a collision', maxTimes: 1 } }),
          status('failed', { operationId: 'op-2', submitAgain: { reason: 'a collision', maxTimes: 1 } }),
        ),
      }),
    );
    const urls = calls('readOperation').map((c) => (c.input as { operationUrl: string }).operationUrl);
    expect(urls).toEqual(['https://p/op-1', 'https://p/live-1', 'https://p/op-2']);
    expect(result.logs.some((l) => l.includes('following live-1 from now on'))).toBe(true);
    expect(calls('submitGoLive')).toHaveLength(2);
    expect(output).toMatchObject({ outcome: 'failed', resubmits: 1 });
  });

  it('fails on a permanent read error, with its error, after logging it', async () => {
    const error = { code: 'Forbidden', message: 'no access', statusCode: 403 };
    const { output, result } = await run(
      runInput(),
      activities({ readOperation: () => ({ kind: 'permanent', error }) }),
    );
    expect(output).toMatchObject({ outcome: 'failed', error, pollCount: 1 });
    expect(output.checks).toEqual([{ at: at(60).toISOString(), status: 'error', error: 'Forbidden' }]);
    expect(result.leveledLogs.find((l) => l.line.includes('reading the operation failed'))?.level).toBe('error');
  });

  it('acts on a cancel that reached the run during a read before the next wait', async () => {
    let read = 0;
    const { output, calls } = await run(
      runInput(),
      activities({
        readOperation: (_input, call) => {
          if (++read === 1) call.raise('cancel', { requestedBy: 'ops' });
          return read === 1 ? status('running') : status('canceled');
        },
      }),
    );
    expect(calls('cancelOperation').map((c) => c.at)).toEqual([at(60)]);
    expect(output.outcome).toBe('canceled');
    expect(output.error).toBeUndefined();
  });
});

describe('goLiveOrchestration membership (each request id in exactly one run)', () => {
  const RUN_ID = '11111111-2222-5333-8444-555555555555';
  const published = (calls: (name: string) => { input: unknown }[]) =>
    calls('publishCompletion').map((c) => (c.input as { output: RunOutput }).output);

  it('a join that reaches the run after it decided to complete is not taken: status, output and event agree', async () => {
    // The starter raised req-late while the last read ran; the event lands in the same batch as the read's result,
    // after it, so the run has already built its completion when an open waiter takes the event.
    let read = 0;
    const { result, output, calls } = await run(
      runInput(),
      activities({
        readOperation: (_input, call) => {
          read += 1;
          if (read === 2) {
            call.raise('requestJoined', { requestId: 'req-late', receivedAt: call.at.toISOString(), runId: RUN_ID });
            return status('succeeded');
          }
          return status('running');
        },
      }),
    );
    const events = published(calls);
    expect(events).toHaveLength(1);
    expect(events[0]!.requestIds).toEqual(['req-1']);
    expect(output.requestIds).toEqual(['req-1']);
    expect(output.requests.map((r) => r.requestId)).toEqual(['req-1']);
    // Nothing outside the completion event may claim the request (the starter reads the status to confirm a join).
    for (const s of result.customStatuses) expect((s as RunCustomStatus).requestIds).not.toContain('req-late');
  });

  it('ignores a join addressed to another run of the offer (a stale event raised to the previous run)', async () => {
    const { output, calls } = await run(
      runInput(),
      activities({ readOperation: reads(status('running'), status('succeeded')) }),
      [
        {
          name: 'requestJoined',
          data: { requestId: 'req-stale', receivedAt: at(10).toISOString(), runId: 'previous-run' },
          at: at(10),
        },
        {
          name: 'requestJoined',
          data: { requestId: 'req-2', receivedAt: at(20).toISOString(), runId: RUN_ID },
          at: at(20),
        },
      ],
    );
    expect(output.requestIds).toEqual(['req-1', 'req-2']);
    expect(published(calls)[0]!.requestIds).toEqual(['req-1', 'req-2']);
  });

  it('never takes a request id a previous run of the offer already accounted for', async () => {
    const input = runInput();
    input.previousRuns = [
      {
        runId: 'previous-run',
        runNumber: 0,
        outcome: 'succeeded',
        requestIds: ['req-0', 'req-0b'],
        startedAt: START.toISOString(),
        completedAt: START.toISOString(),
        pollCount: 1,
      },
    ];
    const { output } = await run(input, activities({ readOperation: reads(status('running'), status('succeeded')) }), [
      { name: 'requestJoined', data: { requestId: 'req-0', receivedAt: at(10).toISOString() }, at: at(10) },
      {
        name: 'requestJoined',
        data: { requestId: 'req-0b', receivedAt: at(15).toISOString(), runId: RUN_ID },
        at: at(15),
      },
    ]);
    expect(output.requestIds).toEqual(['req-1']);
  });
});
