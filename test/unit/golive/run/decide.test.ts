import type { ReadOperationResult } from '../../../../src/golive/contracts';
import {
  type Action,
  begin,
  type Decision,
  describeChange,
  endNote,
  finish,
  next,
  type Observation,
  type RunProgress,
  takeJoin,
} from '../../../../src/golive/run/decide';
import { MAX_RUN_CHECKS, newRecord, type RunRecord, type RunSettings } from '../../../../src/golive/run/record';

const START = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(START.getTime() + seconds * 1000);
const settings: RunSettings = {
  pollIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  deadlineMinutes: 60,
  pollsPerHistory: 100,
  maxSubmitAttempts: 3,
};

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

const answer = (value: unknown): Observation => ({ kind: 'answer', value });
const status = (state: Extract<ReadOperationResult, { kind: 'status' }>['state'], extra: object = {}): Observation =>
  answer({
    kind: 'status',
    operationId: 'op-1',
    rawStatus: state === 'succeeded' ? 'complete' : state,
    state,
    terminal: ['succeeded', 'failed', 'canceled'].includes(state),
    steps: [],
    ...extra,
  });

/** Feeds observations in turn, each at its time; returns every decision. */
function drive(progress: RunProgress, steps: [Observation, number][], options = settings): Decision[] {
  const decisions: Decision[] = [];
  let state = progress;
  for (const [observation, seconds] of steps) {
    const decision = next(state, observation, { now: at(seconds), settings: options });
    decisions.push(decision);
    state = decision.state;
  }
  return decisions;
}

const kinds = (decisions: Decision[]): string[] =>
  decisions.map(({ action }: { action: Action }) =>
    action.kind === 'call' ? action.activity : action.kind === 'end' ? `end:${action.outcome}` : action.kind,
  );

describe('next: the run decisions, without replay', () => {
  it('submits, waits the poll interval, reads until the operation is terminal, then ends succeeded', () => {
    const decisions = drive(begin(record()), [
      [{ kind: 'start' }, 0],
      [answer({ kind: 'accepted', operationId: 'op-1', operationUrl: 'https://p/op-1' }), 1],
      [{ kind: 'waited', canceled: false }, 61],
      [status('running', { progressPercentage: 50 }), 62],
      [{ kind: 'waited', canceled: false }, 122],
      [status('succeeded'), 123],
    ]);
    expect(kinds(decisions)).toEqual([
      'submitGoLive',
      'wait',
      'readOperation',
      'wait',
      'readOperation',
      'end:succeeded',
    ]);
    expect(decisions[1]!.action).toEqual({ kind: 'wait', until: at(61), cancelable: true });
    expect(decisions[1]!.state.record.acceptedAt).toBe(at(1).toISOString());
    expect(decisions[0]!.state.record.acceptedAt).toBeUndefined();
    expect(decisions[3]!.action).toEqual({ kind: 'wait', until: at(122), cancelable: true });
    const last = decisions.at(-1)!.state.record;
    expect(last).toMatchObject({ operationId: 'op-1', pollCount: 2, operationStatus: 'complete' });
    expect(last.checks.map((c) => c.status)).toEqual(['running', 'complete']);
    expect(decisions[0]!.notes[0]!.message).toBe('run 1 started for requests req-1');
  });

  it('never changes the state it is given', () => {
    const state = begin(record());
    const copy = structuredClone(state);
    next(state, { kind: 'start' }, { now: START, settings });
    expect(state).toEqual(copy);
  });

  it('an unknown submit outcome looks for a running operation, retries with backoff, and fails after the attempts', () => {
    const unknown = answer({ kind: 'outcomeUnknown', error: { code: 'Timeout', message: 't' } });
    const decisions = drive(begin(record()), [
      [{ kind: 'start' }, 0],
      [unknown, 1],
      [answer({ kind: 'none' }), 2],
      [{ kind: 'waited', canceled: false }, 32],
      [{ kind: 'threw', error: { code: 'ActivityFailed', message: 'boom' } }, 33],
      [answer({ kind: 'none' }), 34],
      [{ kind: 'waited', canceled: false }, 94],
      [answer({ kind: 'transient', error: { code: 'ServerError', message: '503' } }), 95],
    ]);
    expect(kinds(decisions)).toEqual([
      'submitGoLive',
      'findRunningOperation',
      'wait',
      'submitGoLive',
      'findRunningOperation',
      'wait',
      'submitGoLive',
      'end:failed',
    ]);
    expect(decisions[2]!.action).toMatchObject({ until: at(32) });
    expect(decisions.at(-1)!.action).toMatchObject({
      error: { code: 'ServerError', message: 'Go Live not accepted after 3 attempts: 503' },
    });
  });

  it('attaches to an operation found after an unknown outcome and reads it at once', () => {
    const decisions = drive(begin(record()), [
      [{ kind: 'start' }, 0],
      [answer({ kind: 'outcomeUnknown', error: { code: 'Timeout', message: 't' } }), 1],
      [answer({ kind: 'found', operationId: 'op-9', operationUrl: 'https://p/op-9', rawStatus: 'running' }), 2],
    ]);
    expect(decisions.at(-1)!.action).toEqual({ kind: 'wait', until: at(2), cancelable: true });
    expect(decisions.at(-1)!.state.record).toMatchObject({ attached: true, operationId: 'op-9', state: 'polling' });
  });

  it('ends succeeded without a Go Live when the offer is already live', () => {
    const [, last] = drive(begin(record()), [
      [{ kind: 'start' }, 0],
      [
        answer({
          kind: 'alreadyLive',
          operationId: 'sub-1',
          rawStatus: 'completed',
          steps: [],
          phase: 'Publish to live',
          warning: 'already live',
        }),
        1,
      ],
    ]);
    expect(last!.action).toEqual({ kind: 'end', outcome: 'succeeded' });
    expect(last!.state.record).toMatchObject({
      alreadyLive: true,
      phase: 'Publish to live',
      warnings: ['already live'],
    });
  });

  it("follows the adapter's next operation URL, and submits again on its advice after a failure", () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const decisions = drive(polling, [
      [{ kind: 'start' }, 0],
      [{ kind: 'waited', canceled: false }, 0],
      [status('running', { operationId: 'live-1', operationUrl: 'https://p/live-1', phase: 'Publish to live' }), 1],
      [{ kind: 'waited', canceled: false }, 61],
      [status('failed', { submitAgain: { reason: 'a collision', maxTimes: 1 } }), 62],
    ]);
    expect(decisions[2]!.state.record).toMatchObject({ operationUrl: 'https://p/live-1', operationId: 'live-1' });
    expect(decisions[2]!.notes.map((n) => n.message)).toContain('following live-1 from now on');
    expect(kinds(decisions).at(-1)).toBe('submitGoLive');
    expect(decisions.at(-1)!.state.record).toMatchObject({ resubmits: 1, state: 'submitting' });
    expect(decisions.at(-1)!.state.record.operationUrl).toBeUndefined();
  });

  it('backs off on transient read errors and fails on a permanent one', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const transient = answer({ kind: 'transient', error: { code: 'ServerError', message: 'x' } });
    const decisions = drive(polling, [
      [{ kind: 'start' }, 0],
      [{ kind: 'waited', canceled: false }, 0],
      [transient, 0],
      [{ kind: 'waited', canceled: false }, 60],
      [transient, 60],
      [{ kind: 'waited', canceled: false }, 180],
      [answer({ kind: 'permanent', error: { code: 'NotFound', message: 'gone', statusCode: 404 } }), 180],
    ]);
    expect(decisions[2]!.action).toMatchObject({ until: at(60) });
    expect(decisions[4]!.action).toMatchObject({ until: at(180) });
    expect(decisions.at(-1)!.action).toMatchObject({ kind: 'end', outcome: 'failed', error: { code: 'NotFound' } });
    expect(decisions.at(-1)!.state.record.checks.map((c) => c.error)).toEqual([
      'ServerError',
      'ServerError',
      'NotFound',
    ]);
  });

  it('continues as new after pollsPerHistory reads, with the generation counted', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const decisions = drive(
      polling,
      [
        [{ kind: 'start' }, 0],
        [{ kind: 'waited', canceled: false }, 0],
        [status('running'), 0],
        [{ kind: 'waited', canceled: false }, 60],
        [status('running'), 60],
      ],
      { ...settings, pollsPerHistory: 2 },
    );
    expect(decisions.at(-1)!.action).toEqual({ kind: 'continueAsNew' });
    expect(decisions.at(-1)!.state.record).toMatchObject({
      generation: 1,
      pollCount: 2,
      nextCheckAt: at(120).toISOString(),
    });
  });

  it('times out at the deadline, naming the operation left running', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const [, last] = drive(polling, [
      [{ kind: 'start' }, 0],
      [{ kind: 'waited', canceled: false }, 3600],
    ]);
    expect(last!.action).toMatchObject({ kind: 'end', outcome: 'timedOut', error: { code: 'DeadlineExceeded' } });
    expect((last!.action as { error: { message: string } }).error.message).toContain('op-1 was left running');
  });

  it('on cancel: cancels the operation, reads it until it says canceled, and ends canceled', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const decisions = drive(polling, [
      [{ kind: 'start' }, 0],
      [{ kind: 'waited', canceled: true }, 10],
      [answer({ kind: 'canceled', completed: false }), 11],
      [{ kind: 'waited', canceled: false }, 41],
      [status('running'), 41],
      [{ kind: 'waited', canceled: false }, 71],
      [status('canceled'), 71],
    ]);
    expect(kinds(decisions)).toEqual([
      'wait',
      'cancelOperation',
      'wait',
      'readOperation',
      'wait',
      'readOperation',
      'end:canceled',
    ]);
    expect(decisions[2]!.action).toEqual({ kind: 'wait', until: at(41), cancelable: false });
    expect(decisions.at(-1)!.action).toEqual({ kind: 'end', outcome: 'canceled' });
  });

  it('a cancel that reached the run during a read is acted on before the next wait, even past the deadline', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const waiting = next(polling, { kind: 'start' }, { now: START, settings }).state;
    const reading = next(waiting, { kind: 'waited', canceled: false }, { now: at(60), settings }).state;
    const decision = next(reading, status('running'), { now: at(3600), settings, cancelRequested: true });
    expect(decision.action).toMatchObject({ kind: 'call', activity: 'cancelOperation' });
    expect(decision.state.record.state).toBe('canceling');
  });

  it('a refused cancel ends canceled with CancelRefused and a warning', () => {
    const polling = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    const [, , last] = drive(polling, [
      [{ kind: 'start' }, 0],
      [{ kind: 'waited', canceled: true }, 10],
      [answer({ kind: 'error', error: { code: 'Conflict', message: 'no', statusCode: 409 } }), 11],
    ]);
    expect(last!.action).toMatchObject({ outcome: 'canceled', error: { code: 'CancelRefused', statusCode: 409 } });
    expect(last!.state.record.warnings).toContain(
      'the partner API did not accept the cancel; the operation may still run',
    );
  });

  it('a cancel before any operation ends canceled at once', () => {
    const decisions = drive(begin(record()), [
      [{ kind: 'start' }, 0],
      [answer({ kind: 'transient', error: { code: 'ServerError', message: 'x' } }), 1],
      [{ kind: 'waited', canceled: true }, 5],
    ]);
    expect(kinds(decisions)).toEqual(['submitGoLive', 'wait', 'end:canceled']);
  });

  it('keeps at most MAX_RUN_CHECKS checks, the newest', () => {
    let state = begin(record({ operationId: 'op-1', operationUrl: 'https://p/op-1', state: 'polling' }));
    state = next(state, { kind: 'start' }, { now: START, settings }).state;
    for (let i = 0; i < MAX_RUN_CHECKS + 5; i++) {
      state = next(state, { kind: 'waited', canceled: false }, { now: at(i * 60), settings }).state;
      state = next(state, status('running', { progressPercentage: i }), { now: at(i * 60), settings }).state;
    }
    expect(state.record.checks).toHaveLength(MAX_RUN_CHECKS);
    expect(state.record.checks.at(-1)!.progress).toBe(MAX_RUN_CHECKS + 4);
  });
});

describe('takeJoin, finish, describeChange', () => {
  it('takes a join by the membership rules, and none once closed', () => {
    const state = begin(record());
    const join = { requestId: 'req-2', requestedBy: 'ci', receivedAt: START.toISOString() };
    const taken = takeJoin(state, join, false);
    expect(taken.state.record.requests.map((r) => r.requestId)).toEqual(['req-1', 'req-2']);
    expect(taken.note.message).toBe('request req-2 (ci) joined the run (2 requests)');
    expect(state.record.requests).toHaveLength(1);
    expect(takeJoin(state, join, true).state).toBe(state);
    expect(takeJoin(state, { ...join, runId: 'run-other' }, false).note.message).toContain('otherRun');
  });

  it('finish: the outcome, the end time and the duration; no next check', () => {
    const done = finish(
      record({ nextCheckAt: at(60).toISOString(), pollCount: 3 }),
      'failed',
      { code: 'X', message: 'm' },
      at(90),
    );
    expect(done).toMatchObject({
      state: 'failed',
      outcome: 'failed',
      completedAt: at(90).toISOString(),
      durationSeconds: 90,
    });
    expect(done.nextCheckAt).toBeUndefined();
    expect(endNote(done)).toEqual({ message: 'run ended failed after 3 checks, 90 s: X: m', level: 'error' });
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
