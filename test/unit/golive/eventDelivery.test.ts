/**
 * Event Grid delivery and progress events in the go-live orchestration, through the real durable-functions replay
 * engine (support/replayHarness.ts): order of the sinks, durable retries inside the window, giving up, identity
 * warnings, progress ids across continueAsNew, and the rejection's own orchestration.
 */
import type { AnyCloudEvent, EventGridFailure } from '../../../src/events/eventGrid';
import type {
  PublishEventGridInput,
  PublishEventGridResult,
  PublishEventsInput,
  ReadOperationResult,
} from '../../../src/golive/contracts';
import { backoffSeconds, eventGridPublishOrchestration } from '../../../src/golive/eventDelivery';
import { goLiveOrchestration } from '../../../src/golive/orchestration';
import type { EventSettings, RunCustomStatus, RunInput, RunOutput } from '../../../src/golive/run/record';
import { type ActivityFn, runOrchestration } from './support/replayHarness';

const START = new Date('2026-01-01T00:00:00.000Z');
const RUN_ID = '11111111-2222-5333-8444-555555555555';
const secondsAfterStart = (d: Date) => (d.getTime() - START.getTime()) / 1000;

const events = (overrides: Partial<EventSettings> = {}): EventSettings => ({
  eventGrid: true,
  eventGridRetryHours: 24,
  progress: true,
  ...overrides,
});

function runInput(settings: EventSettings, pollsPerHistory = 100): RunInput {
  return {
    runId: RUN_ID,
    runNumber: 1,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-app' },
    requests: [{ requestId: 'req-1', receivedAt: START.toISOString() }],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + 3_600_000).toISOString(),
    settings: {
      pollIntervalSeconds: 60,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes: 60,
      pollsPerHistory,
      maxSubmitAttempts: 4,
      events: settings,
    },
    previousRuns: [],
  };
}

const step = (signoff: string, live: string) => [
  { name: 'Publisher signoff', status: signoff },
  { name: 'Live', status: live },
];

function status(state: 'running' | 'succeeded', steps: { name: string; status: string }[]): ReadOperationResult {
  return {
    kind: 'status',
    operationId: 'op-1',
    rawStatus: state === 'succeeded' ? 'complete' : 'running',
    state,
    terminal: state === 'succeeded',
    steps,
  };
}

function reads(...answers: ReadOperationResult[]): ActivityFn {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)];
}

const failure = (code: EventGridFailure['code'], statusCode: number, retryable = true, auth = false) =>
  ({ code, message: `Event Grid answered ${statusCode}`, statusCode, retryable, auth }) satisfies EventGridFailure;

/** The topic: answers from the list (then 'published'), recording what it took. */
function topic(...answers: ('ok' | EventGridFailure)[]) {
  const taken: AnyCloudEvent[] = [];
  const fn: ActivityFn = (input) => {
    const { events: batch, lastAttempt } = input as PublishEventGridInput;
    const answer = answers.shift() ?? 'ok';
    if (answer === 'ok') {
      taken.push(...batch);
      return { kind: 'published', count: batch.length } satisfies PublishEventGridResult;
    }
    return {
      kind: 'failed',
      published: 0,
      error: answer,
      gaveUp: lastAttempt || !answer.retryable,
    } satisfies PublishEventGridResult;
  };
  return { fn, taken };
}

function activities(eventGrid: ActivityFn, queue: AnyCloudEvent[], read = reads(status('succeeded', []))) {
  return {
    submitGoLive: () => ({ kind: 'accepted', operationId: 'op-1', operationUrl: 'https://partner.example/op-1' }),
    readOperation: read,
    findRunningOperation: () => ({ kind: 'none' }),
    cancelOperation: () => ({ kind: 'canceled', completed: true }),
    publishCompletion: (input: unknown) => {
      queue.push({ id: (input as { output: RunOutput }).output.eventId } as AnyCloudEvent);
      return {};
    },
    publishEvents: (input: unknown) => {
      queue.push(...(input as PublishEventsInput).events);
      return {};
    },
    publishEventGrid: eventGrid,
  } as Record<string, ActivityFn>;
}

async function run(input: RunInput, acts: Record<string, ActivityFn>) {
  const result = await runOrchestration(goLiveOrchestration, input, { start: START, activities: acts });
  if (result.error) throw new Error(`orchestration failed: ${result.error}`);
  return {
    result,
    output: result.output as RunOutput,
    calls: (n: string) => result.activityCalls.filter((c) => c.name === n),
  };
}

describe('progress and completion to both sinks', () => {
  it('emits golive.progressed on each change, in order, numbered; the topic gets the same events, the completion last', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic();
    const { calls } = await run(
      runInput(events()),
      activities(
        grid.fn,
        queue,
        reads(
          status('running', step('waitingForPublisherReview', 'notStarted')),
          status('running', step('waitingForPublisherReview', 'notStarted')),
          status('running', step('complete', 'inProgress')),
          status('succeeded', step('complete', 'complete')),
        ),
      ),
    );
    const progress = queue.filter((e) => e.type === 'golive.progressed');
    // accepted (no steps yet), sign-off waiting, Live in progress; the unchanged read and the end emit none
    expect(progress.map((e) => e.id)).toEqual([1, 2, 3].map((n) => `golive-${RUN_ID}-progress-${n}`));
    expect(progress.map((e) => (e.data as { steps: { status: string }[] }).steps.map((s) => s.status))).toEqual([
      [],
      ['waitingForPublisherReview', 'notStarted'],
      ['complete', 'inProgress'],
    ]);
    expect(progress.every((e) => e.subject === 'publishers/contoso/offers/contoso-app')).toBe(true);
    expect(grid.taken.map((e) => e.id)).toEqual([...progress.map((e) => e.id), `golive-${RUN_ID}`]);
    expect(grid.taken.at(-1)).toMatchObject({
      type: 'golive.succeeded',
      source: '/publishers/contoso/offers/contoso-app',
    });
    // the queue has the completion before the topic is asked for it
    const order = calls('publishCompletion')[0]!.at.getTime();
    expect(calls('publishEventGrid').at(-1)!.at.getTime()).toBeGreaterThanOrEqual(order);
  });

  it('without progress events and without a topic: only the completion, on the queue', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic();
    const { calls } = await run(runInput(events({ eventGrid: false, progress: false })), activities(grid.fn, queue));
    expect(queue.map((e) => e.id)).toEqual([`golive-${RUN_ID}`]);
    expect(calls('publishEventGrid')).toHaveLength(0);
  });

  it('a progress event the topic refused goes first in the next batch; none is sent twice', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic(failure('EventGridUnavailable', 500));
    await run(
      runInput(events()),
      activities(grid.fn, queue, reads(status('running', step('a', 'b')), status('succeeded', step('c', 'd')))),
    );
    const ids = grid.taken.map((e) => e.id);
    expect(ids).toEqual([1, 2].map((n) => `golive-${RUN_ID}-progress-${n}`).concat(`golive-${RUN_ID}`));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps numbering and unsent progress events across continueAsNew', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic(failure('EventGridThrottled', 429), failure('EventGridThrottled', 429));
    const { result } = await run(
      runInput(events(), 1),
      activities(
        grid.fn,
        queue,
        reads(
          status('running', step('s1', 'x')),
          status('running', step('s2', 'x')),
          status('running', step('s3', 'x')),
          status('succeeded', step('s3', 'done')),
        ),
      ),
    );
    expect(result.generations).toBeGreaterThan(2);
    const progress = queue.filter((e) => e.type === 'golive.progressed').map((e) => e.id);
    expect(progress).toEqual(progress.map((_, i) => `golive-${RUN_ID}-progress-${i + 1}`));
    expect(grid.taken.map((e) => e.id)).toEqual([...progress, `golive-${RUN_ID}`]);
  });
});

describe('retries of the completion publish', () => {
  it('retries 429, 500 and a connection failure with durable timers (2 s, 4 s, 8 s) until the topic takes it', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic(failure('EventGridThrottled', 429), failure('EventGridUnavailable', 500), {
      code: 'EventGridConnectionFailed',
      message: 'reset',
      retryable: true,
      auth: false,
    });
    const { calls, output, result } = await run(runInput(events({ progress: false })), activities(grid.fn, queue));
    const at = calls('publishEventGrid').map((c) => secondsAfterStart(c.at));
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([2, 4, 8]);
    expect(grid.taken.map((e) => e.id)).toEqual([`golive-${RUN_ID}`]);
    expect(output.warnings).toEqual([]);
    expect(result.leveledLogs.filter((l) => l.level === 'warning').length).toBeGreaterThanOrEqual(3);
  });

  it('honours Retry-After when it is longer than the backoff', () => {
    expect(backoffSeconds(1)).toBe(2);
    expect(backoffSeconds(1, 30)).toBe(30);
    expect(backoffSeconds(20)).toBe(600);
  });

  it('a 403 puts a warning on the run at once, is retried within the window, then gives up with a warning', async () => {
    const queue: AnyCloudEvent[] = [];
    const forbidden = failure('EventGridForbidden', 403, true, true);
    const grid = topic(...Array.from({ length: 50 }, () => forbidden));
    // 0.01 h = 36 s: tries at 0, 2, 6, 14, 30 and a last one at 36
    const { calls, output, result } = await run(
      runInput(events({ progress: false, eventGridRetryHours: 0.01 })),
      activities(grid.fn, queue),
    );
    const tries = calls('publishEventGrid');
    const t0 = secondsAfterStart(tries[0]!.at);
    expect(tries.map((c) => secondsAfterStart(c.at) - t0)).toEqual([0, 2, 6, 14, 30, 36]);
    expect((tries.at(-1)!.input as PublishEventGridInput).lastAttempt).toBe(true);
    expect(tries.slice(0, -1).every((c) => !(c.input as PublishEventGridInput).lastAttempt)).toBe(true);
    expect(output.warnings).toEqual([
      expect.stringContaining("refused the app's identity (403 EventGridForbidden)"),
      expect.stringMatching(/did not take 1 event\(s\) \(golive-.*\): EventGridForbidden \(403\); gave up after 6/),
    ]);
    // shown while it retried
    const statuses = result.customStatuses as RunCustomStatus[];
    expect(statuses.some((s) => s.warnings.some((w) => w.includes('refused the app')))).toBe(true);
    expect(queue.map((e) => e.id)).toEqual([`golive-${RUN_ID}`]);
    expect(result.leveledLogs.some((l) => l.level === 'error' && /gave up publishing to Event Grid/.test(l.line))).toBe(
      true,
    );
  });

  it('a 400 is not retried: one try, then the give-up warning', async () => {
    const queue: AnyCloudEvent[] = [];
    const grid = topic(failure('EventGridBadRequest', 400, false));
    const { calls, output } = await run(runInput(events({ progress: false })), activities(grid.fn, queue));
    expect(calls('publishEventGrid')).toHaveLength(1);
    expect(output.warnings).toEqual([expect.stringContaining('EventGridBadRequest (400); gave up after 1')]);
  });
});

describe('goLiveEventGridPublish (a rejection)', () => {
  it('delivers the event with the same retries', async () => {
    const grid = topic(failure('EventGridUnavailable', 503));
    const event = { id: 'golive-rejected-m1', type: 'golive.rejected' } as AnyCloudEvent;
    const result = await runOrchestration(
      eventGridPublishOrchestration,
      { events: [event], settings: events({ progress: false }) },
      { start: START, activities: { publishEventGrid: grid.fn } },
    );
    expect(result.output).toEqual({ warnings: [], delivered: true });
    expect(grid.taken.map((e) => e.id)).toEqual(['golive-rejected-m1']);
    expect(result.activityCalls).toHaveLength(2);
  });
});
