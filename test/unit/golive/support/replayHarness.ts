/**
 * Drives an orchestration generator through the real durable-functions 3.5 replay engine (`createOrchestrator`
 * from its testing utilities), episode by episode, the way the Durable extension does: it appends history events
 * (TaskScheduled/TaskCompleted/TaskFailed, TimerCreated/TimerFired, EventRaised, OrchestratorStarted/Completed),
 * re-runs the orchestrator with the whole history each episode, numbers tasks as the SDK does, fires timers on a
 * virtual clock, and starts a new generation on ContinueAsNew. Activities are in-process functions.
 */
import { DummyOrchestrationContext, type OrchestrationContext } from 'durable-functions';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testingUtils = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator(fn: unknown): (trigger: unknown, context: unknown) => Promise<OrchestratorState>;
};

interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: string | Date;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
}

const EVENT = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

const ID_CONSUMING = new Set([0, 1, 2, 3, 5, 7, 8, 9]);

export interface ActivityCallContext {
  name: string;
  at: Date;
  generation: number;
  /**
   * Raises an external event that lands in the same batch as this activity's completion, right after it (an event
   * the starter raised while the activity ran): the SDK sees the completion first, then the event.
   */
  raise(eventName: string, data: unknown): void;
}

export type ActivityFn = (input: unknown, call: ActivityCallContext) => unknown;

export interface ScheduledEvent {
  name: string;
  data: unknown;
  /** Delivered when the virtual clock reaches this time (or in the next episode when already past). */
  at: Date;
}

export interface HarnessOptions {
  instanceId?: string;
  start: Date;
  activities: Record<string, ActivityFn>;
  events?: ScheduledEvent[];
  maxEpisodes?: number;
}

export interface ActivityCall {
  name: string;
  input: unknown;
  at: Date;
  generation: number;
}

export interface HarnessResult {
  output: unknown;
  error?: string;
  customStatuses: unknown[];
  activityCalls: ActivityCall[];
  timers: { fireAt: Date; createdAt: Date; canceled: boolean; generation: number }[];
  generations: number;
  continueAsNewInputs: unknown[];
  historyLengths: number[];
  logs: string[];
  /** The same lines with their level (`information`, `warning`, `error`, `debug`, ...). */
  leveledLogs: { level: string; line: string }[];
  endedAt: Date;
}

function flatten(actions: Action[], out: Action[] = []): Action[] {
  for (const a of actions) {
    if (a.actionType === 11 || a.actionType === 12) flatten(a.compoundActions ?? [], out);
    else out.push(a);
  }
  return out;
}

export async function runOrchestration(
  fn: (context: OrchestrationContext) => Generator<unknown, unknown, unknown>,
  input: unknown,
  options: HarnessOptions,
): Promise<HarnessResult> {
  const handler = testingUtils.createOrchestrator(fn);
  const instanceId = options.instanceId ?? 'golive:test:offer';
  const pendingEvents = [...(options.events ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  let clock = new Date(options.start);
  let generationInput = input;
  let generation = 0;
  const result: HarnessResult = {
    output: undefined,
    customStatuses: [],
    activityCalls: [],
    timers: [],
    generations: 1,
    continueAsNewInputs: [],
    historyLengths: [],
    logs: [],
    leveledLogs: [],
    endedAt: clock,
  };

  let history: Record<string, unknown>[] = [];
  let scheduledCount = 0;
  let openTimers = new Map<number, { fireAt: Date; record: HarnessResult['timers'][number] }>();
  const stamp = () => new Date(clock);
  const newGeneration = () => {
    history = [
      { EventType: EVENT.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: stamp() },
      {
        EventType: EVENT.ExecutionStarted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: stamp(),
        Name: 'goLiveOrchestrator',
        Input: JSON.stringify(generationInput),
      },
    ];
    scheduledCount = 0;
    openTimers = new Map();
  };
  newGeneration();

  for (let episode = 0; episode < (options.maxEpisodes ?? 2000); episode++) {
    const context = new DummyOrchestrationContext('goLiveOrchestrator', `inv-${episode}`, (level, ...args) => {
      result.logs.push(args.map(String).join(' '));
      result.leveledLogs.push({ level: String(level), line: args.map(String).join(' ') });
    });
    const trigger = {
      history,
      input: generationInput,
      instanceId,
      isReplaying: false,
      parentInstanceId: undefined,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    let state: OrchestratorState;
    try {
      state = await handler(trigger, context);
    } catch (e) {
      result.error = e instanceof Error ? e.message : String(e);
      result.endedAt = clock;
      return result;
    }
    if (state.customStatus !== undefined) result.customStatuses.push(JSON.parse(JSON.stringify(state.customStatus)));
    const actions = flatten(state.actions[0] ?? []);

    // Schedule what is new this episode.
    const newEvents: Record<string, unknown>[] = [];
    const completions: Record<string, unknown>[] = [];
    const raisedWithCompletions: Record<string, unknown>[] = [];
    let id = 0;
    let continueAsNew: Action | undefined;
    for (const action of actions) {
      if (action.actionType === 4) continueAsNew = action;
      if (!ID_CONSUMING.has(action.actionType)) continue;
      const taskId = id++;
      if (action.actionType === 5 && action.isCanceled) {
        const timer = openTimers.get(taskId);
        if (timer) {
          timer.record.canceled = true;
          openTimers.delete(taskId);
        }
      }
      if (taskId < scheduledCount) continue;
      scheduledCount = taskId + 1;
      if (action.actionType === 0 || action.actionType === 1) {
        const name = action.functionName ?? '';
        const activityInput = typeof action.input === 'string' ? JSON.parse(action.input) : action.input;
        newEvents.push({
          EventType: EVENT.TaskScheduled,
          EventId: taskId,
          IsPlayed: false,
          Timestamp: stamp(),
          Name: name,
        });
        result.activityCalls.push({
          name,
          input: JSON.parse(JSON.stringify(activityInput ?? null)),
          at: stamp(),
          generation,
        });
        const impl = options.activities[name];
        try {
          if (!impl) throw new Error(`no activity ${name}`);
          const value = await impl(JSON.parse(JSON.stringify(activityInput ?? null)), {
            name,
            at: stamp(),
            generation,
            raise: (eventName, data) => {
              raisedWithCompletions.push({
                EventType: EVENT.EventRaised,
                EventId: -1,
                IsPlayed: false,
                Timestamp: stamp(),
                Name: eventName,
                Input: JSON.stringify(data),
              });
            },
          });
          completions.push({
            EventType: EVENT.TaskCompleted,
            EventId: -1,
            IsPlayed: false,
            Timestamp: stamp(),
            TaskScheduledId: taskId,
            Result: JSON.stringify(value ?? null),
          });
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          completions.push({
            EventType: EVENT.TaskFailed,
            EventId: -1,
            IsPlayed: false,
            Timestamp: stamp(),
            TaskScheduledId: taskId,
            Reason: err.message,
            Details: err.stack ?? '',
          });
        }
      } else if (action.actionType === 5) {
        const fireAt = new Date(action.fireAt ?? clock);
        newEvents.push({
          EventType: EVENT.TimerCreated,
          EventId: taskId,
          IsPlayed: false,
          Timestamp: stamp(),
          FireAt: fireAt,
        });
        const record = { fireAt, createdAt: stamp(), canceled: Boolean(action.isCanceled), generation };
        result.timers.push(record);
        if (!action.isCanceled) openTimers.set(taskId, { fireAt, record });
      } else {
        throw new Error(`harness does not support action type ${action.actionType}`);
      }
    }
    history.push(...newEvents, {
      EventType: EVENT.OrchestratorCompleted,
      EventId: -1,
      IsPlayed: false,
      Timestamp: stamp(),
    });
    result.historyLengths.push(history.length);

    if (state.isDone) {
      if (continueAsNew) {
        generationInput =
          typeof continueAsNew.input === 'string' ? JSON.parse(continueAsNew.input) : continueAsNew.input;
        result.continueAsNewInputs.push(JSON.parse(JSON.stringify(generationInput)));
        generation += 1;
        result.generations += 1;
        newGeneration();
        continue;
      }
      result.output = state.output;
      result.endedAt = clock;
      return result;
    }
    if (state.error) {
      result.error = state.error;
      result.endedAt = clock;
      return result;
    }

    // The next episode's incoming events.
    let incoming: Record<string, unknown>[] = [...completions, ...raisedWithCompletions];
    if (incoming.length === 0) {
      const nextTimer = [...openTimers.entries()].sort((a, b) => a[1].fireAt.getTime() - b[1].fireAt.getTime())[0];
      const nextEvent = pendingEvents[0];
      if (nextEvent && (!nextTimer || nextEvent.at.getTime() <= nextTimer[1].fireAt.getTime())) {
        if (nextEvent.at.getTime() > clock.getTime()) clock = new Date(nextEvent.at);
      } else if (nextTimer) {
        if (nextTimer[1].fireAt.getTime() > clock.getTime()) clock = new Date(nextTimer[1].fireAt);
        openTimers.delete(nextTimer[0]);
        incoming = [
          {
            EventType: EVENT.TimerFired,
            EventId: -1,
            IsPlayed: false,
            Timestamp: stamp(),
            TimerId: nextTimer[0],
            FireAt: nextTimer[1].fireAt,
          },
        ];
      } else {
        throw new Error('orchestration is waiting with no timer and no event to deliver');
      }
    }
    while (pendingEvents[0] && pendingEvents[0].at.getTime() <= clock.getTime()) {
      const ev = pendingEvents.shift()!;
      incoming.push({
        EventType: EVENT.EventRaised,
        EventId: -1,
        IsPlayed: false,
        Timestamp: stamp(),
        Name: ev.name,
        Input: JSON.stringify(ev.data),
      });
    }
    history.push(
      { EventType: EVENT.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: stamp() },
      ...incoming,
    );
  }
  throw new Error('orchestration did not finish within the episode limit');
}
