/**
 * The go-live run's last gaps (issue 16), replayed through durable-functions' own engine: a join dropped at
 * `continueAsNew` and raised again, a cancel the partner API confirms (or will not do), and more than 100 requests.
 */
import { buildCompletionEvents } from '../../../src/golive/completionEvent';
import type { ReadOperationResult, SubmitGoLiveResult } from '../../../src/golive/contracts';
import { goLiveOrchestration } from '../../../src/golive/orchestration';
import type { RunInput, RunOutput } from '../../../src/golive/run/record';
import { type ActivityFn, runOrchestration, type ScheduledEvent } from './support/replayHarness';

const START = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);

function runInput(overrides: Partial<RunInput['settings']> = {}): RunInput {
  return {
    runId: '16161616-2222-5333-8444-555555555555',
    runNumber: 1,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-app' },
    requests: [{ requestId: 'req-1', receivedAt: START.toISOString() }],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + 3600_000).toISOString(),
    settings: {
      pollIntervalSeconds: 60,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes: 60,
      pollsPerHistory: 100,
      maxSubmitAttempts: 4,
      ...overrides,
    },
    previousRuns: [],
  };
}

const accepted: SubmitGoLiveResult = { kind: 'accepted', operationId: 'op-1', operationUrl: 'https://p/op-1' };

function status(state: 'running' | 'succeeded' | 'canceled'): ReadOperationResult {
  const raw = { running: 'running', succeeded: 'complete', canceled: 'canceled' }[state];
  return { kind: 'status', operationId: 'op-1', rawStatus: raw, state, terminal: state !== 'running', steps: [] };
}

function activities(overrides: Record<string, ActivityFn>): Record<string, ActivityFn> {
  return {
    submitGoLive: () => accepted,
    readOperation: () => status('succeeded'),
    findRunningOperation: () => ({ kind: 'none' }),
    cancelOperation: () => ({ kind: 'canceled', completed: false }),
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

describe('a join that reaches the episode calling continueAsNew', () => {
  it('is dropped with that generation by the SDK, and taken once by the next generation when raised again', async () => {
    const join = { requestId: 'late-join', receivedAt: at(120).toISOString(), runId: runInput().runId };
    let readsSoFar = 0;
    const { result, output } = await run(
      runInput({ pollsPerHistory: 2 }),
      activities({
        readOperation: (_input, call) => {
          readsSoFar += 1;
          // The second read ends generation 0 (continueAsNew); the join lands in that same batch, after it.
          if (readsSoFar === 2) call.raise('requestJoined', join);
          return readsSoFar < 4 ? status('running') : status('succeeded');
        },
      }),
      // The starter sees generation 1 without the request and raises it again (src/golive/startOrJoin.ts).
      [{ name: 'requestJoined', data: join, at: at(150) }],
    );
    expect(result.generations).toBe(2);
    // Generation 1 started without the join: the SDK stops at continueAsNew and drops the rest of the batch.
    expect((result.continueAsNewInputs[0] as RunInput).requests.map((r) => r.requestId)).toEqual(['req-1']);
    expect(output.requestIds).toEqual(['req-1', 'late-join']);
  });
});

describe('cancel', () => {
  it('ends canceled once the partner API shows the operation canceled, with that status in the output', async () => {
    let canceled = false;
    const { output, calls } = await run(
      runInput(),
      activities({
        readOperation: () => status(canceled ? 'canceled' : 'running'),
        cancelOperation: () => {
          canceled = true;
          return { kind: 'canceled', completed: false };
        },
      }),
      [{ name: 'cancel', data: { requestedBy: 'ops' }, at: at(90) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(output.operationStatus).toBe('canceled');
    expect(output.error).toBeUndefined();
    // a read after the cancel, one poll interval (at most 30 s) later
    expect(calls('readOperation').map((c) => c.at.toISOString())).toEqual(
      [at(60), at(120)].map((d) => d.toISOString()),
    );
    expect(output.completedAt).toBe(at(120).toISOString());
  });

  it('reads at most MAX_CANCEL_CONFIRM_READS times, then says the cancel was not confirmed', async () => {
    const { output, calls } = await run(
      runInput({ pollIntervalSeconds: 10 }),
      activities({ readOperation: () => status('running') }),
      [{ name: 'cancel', data: {}, at: at(15) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(output.operationStatus).toBe('running');
    expect(output.error?.code).toBe('CancelNotConfirmed');
    expect(calls('readOperation')).toHaveLength(1 + 10);
  });

  it('says so in the output when the partner API will not cancel', async () => {
    const { output } = await run(
      runInput(),
      activities({
        readOperation: () => status('running'),
        cancelOperation: () => ({
          kind: 'error',
          error: { code: 'Conflict', message: 'cannot cancel', statusCode: 409 },
        }),
      }),
      [{ name: 'cancel', data: {}, at: at(30) }],
    );
    expect(output.outcome).toBe('canceled');
    expect(output.error).toMatchObject({ code: 'CancelRefused', statusCode: 409 });
    expect(output.error?.message).toContain('may still run');
    expect(output.warnings.join(' ')).toContain('did not accept the cancel');
  });

  it('reads once at once when the cancel answer says it is done', async () => {
    let canceled = false;
    const { output, calls } = await run(
      runInput(),
      activities({
        readOperation: () => status(canceled ? 'canceled' : 'running'),
        cancelOperation: () => {
          canceled = true;
          return { kind: 'canceled', completed: true };
        },
      }),
      [{ name: 'cancel', data: {}, at: at(30) }],
    );
    expect(output).toMatchObject({ outcome: 'canceled', operationStatus: 'canceled' });
    expect(calls('readOperation').map((c) => c.at.toISOString())).toEqual([at(30).toISOString()]);
  });
});

describe('more than 100 requests on one run', () => {
  it('records 150 requests, lists them all in the output and pages them over events, each id in exactly one', async () => {
    const joins: ScheduledEvent[] = Array.from({ length: 149 }, (_, i) => ({
      name: 'requestJoined',
      data: { requestId: `join-${i + 1}`, receivedAt: at(1).toISOString() },
      at: at(1 + (i % 50)),
    }));
    const { output, calls } = await run(
      runInput(),
      activities({ readOperation: (_i, call) => status(call.at >= at(120) ? 'succeeded' : 'running') }),
      joins,
    );
    expect(output.requestIds).toHaveLength(150);
    expect(new Set(output.requestIds).size).toBe(150);
    const published = (calls('publishCompletion')[0]!.input as { output: RunOutput }).output;
    const events = buildCompletionEvents(published);
    expect(events).toHaveLength(2);
    const ids = events.flatMap((e) => e.data.requestIds);
    expect(ids.sort()).toEqual([...output.requestIds].sort());
  });
});
