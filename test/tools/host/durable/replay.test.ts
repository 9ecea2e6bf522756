/** Task-id bookkeeping: ids as the durable-functions SDK assigns them while it replays history. */
import { type ActionJson, ActionType, flattenActions, replayActions } from '../../../../tools/host/durable/replay';
import { EventType, type HistoryEvent } from '../../../../tools/host/durable/types';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const settings = { instanceId: 'i1', maximumShortTimerMs: 6 * 86_400_000, longRunningTimerIntervalMs: 3 * 86_400_000 };

function e(type: number, fields: Partial<HistoryEvent> = {}, atMs = 0): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: new Date(T0 + atMs).toISOString(), ...fields };
}
const started = (at = 0): HistoryEvent[] => [
  e(EventType.OrchestratorStarted, {}, at),
  e(EventType.ExecutionStarted, { Name: 'o' }),
];
const activity = (name: string, input?: unknown): ActionJson => ({
  actionType: ActionType.CallActivity,
  functionName: name,
  input,
});

test('sequential and fan-out ids follow yield order; Task.all children in array order', () => {
  const actions = [activity('a'), { actionType: ActionType.WhenAll, compoundActions: [activity('b'), activity('c')] }];
  const history = [
    ...started(),
    e(EventType.TaskScheduled, { EventId: 0, Name: 'a' }),
    e(EventType.OrchestratorStarted),
    e(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' }),
  ];
  const out = replayActions(history, actions, settings, false);
  expect(out.nonDeterminism).toBeUndefined();
  expect(out.tasks.map((t) => [t.id, t.kind === 'activity' ? t.name : t.kind])).toEqual([
    [0, 'a'],
    [1, 'b'],
    [2, 'c'],
  ]);
});

test('retry: a failure takes a timer id, the re-attempt the next one', () => {
  const retry: ActionJson = {
    actionType: ActionType.CallActivityWithRetry,
    functionName: 'f',
    retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3 },
  };
  const history = [
    ...started(),
    e(EventType.TaskScheduled, { EventId: 0, Name: 'f' }),
    e(EventType.OrchestratorStarted, {}, 10),
    e(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'x', Details: '' }),
  ];
  let out = replayActions(history, [retry], settings, false);
  expect(out.tasks.map((t) => [t.id, t.kind])).toEqual([
    [0, 'activity'],
    [1, 'timer'],
  ]);
  const timer = out.tasks[1];
  expect(timer?.kind === 'timer' && timer.fireAt.getTime()).toBe(T0 + 10 + 1000);
  history.push(
    e(EventType.TimerCreated, { EventId: 1 }),
    e(EventType.OrchestratorStarted, {}, 1100),
    e(EventType.TimerFired, { TimerId: 1 }),
  );
  out = replayActions(history, [retry], settings, false);
  expect(out.tasks.map((t) => [t.id, t.kind])).toEqual([
    [0, 'activity'],
    [1, 'timer'],
    [2, 'activity'],
  ]);
});

test('Task.any: a completion before a retry failure shifts the ids the way the SDK does', () => {
  const retry: ActionJson = {
    actionType: ActionType.CallActivityWithRetry,
    functionName: 'r',
    retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
  };
  const actions = [{ actionType: ActionType.WhenAny, compoundActions: [retry, activity('b')] }, activity('next')];
  const history = [
    ...started(),
    e(EventType.TaskScheduled, { EventId: 0, Name: 'r' }),
    e(EventType.TaskScheduled, { EventId: 1, Name: 'b' }),
    e(EventType.OrchestratorStarted, {}, 5),
    e(EventType.TaskCompleted, { TaskScheduledId: 1, Result: '2' }),
    e(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'x', Details: '' }),
  ];
  const out = replayActions(history, actions, settings, false);
  // b completes -> any resolves -> 'next' is yielded (id 2); then r's failure takes the retry timer (id 3).
  expect(out.tasks.map((t) => [t.id, t.kind === 'activity' ? t.name : t.kind])).toEqual([
    [0, 'r'],
    [1, 'b'],
    [2, 'next'],
    [3, 'timer'],
  ]);
});

test('long timers are split: one id per sub-timer', () => {
  const s = { ...settings, maximumShortTimerMs: 4000, longRunningTimerIntervalMs: 2000 };
  const actions: ActionJson[] = [
    { actionType: ActionType.CreateTimer, fireAt: new Date(T0 + 5000).toISOString(), isCanceled: false },
  ];
  const history = [...started()];
  let out = replayActions(history, actions, s, false);
  expect(out.tasks).toEqual([{ id: 0, kind: 'timer', fireAt: new Date(T0 + 2000) }]);
  history.push(
    e(EventType.TimerCreated, { EventId: 0 }),
    e(EventType.OrchestratorStarted, {}, 2000),
    e(EventType.TimerFired, { TimerId: 0 }),
  );
  out = replayActions(history, actions, s, false);
  expect(out.tasks[1]).toEqual({ id: 1, kind: 'timer', fireAt: new Date(T0 + 5000) });
});

test('external events use no id and may arrive before the wait', () => {
  const actions: ActionJson[] = [
    { actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' },
    activity('after'),
  ];
  const history = [...started(), e(EventType.EventRaised, { Name: 'go', Input: '1' })];
  const out = replayActions(history, actions, settings, false);
  expect(out.tasks).toEqual([{ id: 0, kind: 'activity', name: 'after', input: undefined }]);
});

test('actions that do not follow from history are reported as non-determinism', () => {
  const out = replayActions([...started()], [activity('a'), activity('b')], settings, false);
  expect(out.nonDeterminism).toMatch(/Non-deterministic workflow detected/);
});

test('flattenActions accepts schema V1 (per yield) and V2+ (one array)', () => {
  expect(flattenActions([[activity('a')], [activity('b')]]).map((a) => a.functionName)).toEqual(['a', 'b']);
  expect(flattenActions([[activity('a'), activity('b')]]).map((a) => a.functionName)).toEqual(['a', 'b']);
  expect(flattenActions(undefined)).toEqual([]);
});
