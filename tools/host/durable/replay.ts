/**
 * Task-id bookkeeping for the durable-functions v3 out-of-proc protocol.
 *
 * Each episode the SDK returns every action since the start of the execution, in the order it yielded them,
 * but no task ids. The ids are a 0-based sequence assigned as tasks are yielded, with retries and long timers
 * taking further ids while history events are replayed (see the SDK's TaskOrchestrationExecutor,
 * RetryableTask and LongTimerTask). This module replays the history against the action list the same way, so
 * the backend knows which id each scheduled task has, which tasks are new, and whether the actions still match
 * the history (a non-deterministic orchestrator).
 */
import { EventType, type HistoryEvent } from './types';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface ActionJson {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  retryOptions?: RetryOptionsJson;
  compoundActions?: ActionJson[];
}

/** A task the orchestrator waits on that the backend must schedule (or has scheduled) under `id`. */
export type ScheduledTask =
  | { id: number; kind: 'activity'; name: string; input: unknown }
  | { id: number; kind: 'subOrchestration'; name: string; input: unknown; instanceId: string; version?: string }
  | { id: number; kind: 'timer'; fireAt: Date };

export interface ReplayOutcome {
  /** Every task opened during replay, in id order. */
  tasks: ScheduledTask[];
  /** Set when the actions do not fit the history: the orchestrator is not deterministic (or not supported). */
  nonDeterminism?: string;
  /** The ContinueAsNew action, when present. */
  continueAsNew?: ActionJson;
}

export interface ReplaySettings {
  instanceId: string;
  maximumShortTimerMs: number;
  longRunningTimerIntervalMs: number;
}

type State = 'running' | 'completed' | 'failed';

abstract class SimTask {
  state: State = 'running';
  parent: Compound | undefined;
  setState(s: State, sim: Simulator): void {
    if (this.state !== 'running') return;
    this.state = s;
    this.parent?.onChild(this, sim);
  }
}

class Atomic extends SimTask {
  constructor(
    public id: number | string | false,
    public readonly build: ((id: number) => ScheduledTask) | undefined,
  ) {
    super();
  }
}

abstract class Compound extends SimTask {
  constructor(public children: SimTask[]) {
    super();
    for (const c of children) c.parent = this;
  }
  abstract onChild(child: SimTask, sim: Simulator): void;
}

class WhenAll extends Compound {
  onChild(child: SimTask, sim: Simulator): void {
    if (child.state === 'completed') {
      if (this.children.every((c) => c.state === 'completed')) this.setState('completed', sim);
    } else this.setState('failed', sim);
  }
}

class WhenAny extends Compound {
  onChild(_child: SimTask, sim: Simulator): void {
    this.setState('completed', sim);
  }
}

class Retry extends Compound {
  private attempt = 1;
  private waitingOnTimer = false;
  constructor(
    inner: Atomic,
    private readonly options: RetryOptionsJson,
    private readonly rebuild: (id: number) => ScheduledTask,
  ) {
    super([inner]);
  }
  onChild(child: SimTask, sim: Simulator): void {
    if (this.waitingOnTimer) {
      this.waitingOnTimer = false;
      if (this.attempt > this.options.maxNumberOfAttempts) this.setState('failed', sim);
      else this.add(new Atomic(false, this.rebuild), sim);
    } else if (child.state === 'completed') {
      this.setState('completed', sim);
    } else {
      const fireAt = new Date(sim.now.getTime() + this.delayMs(this.attempt - 1));
      this.waitingOnTimer = true;
      this.attempt++;
      this.add(new Atomic(false, (id) => ({ id, kind: 'timer', fireAt })), sim);
    }
  }
  private delayMs(retryCount: number): number {
    const o = this.options;
    let delay = o.firstRetryIntervalInMilliseconds * Math.pow(o.backoffCoefficient ?? 1, retryCount);
    if (o.maxRetryIntervalInMilliseconds !== undefined && o.maxRetryIntervalInMilliseconds > 0) {
      delay = Math.min(delay, o.maxRetryIntervalInMilliseconds);
    }
    return Math.max(0, delay);
  }
  private add(t: Atomic, sim: Simulator): void {
    t.parent = this;
    this.children.push(t);
    sim.track(t);
  }
}

class LongTimer extends Compound {
  constructor(
    private readonly finalFireAt: Date,
    first: Atomic,
  ) {
    super([first]);
  }
  onChild(child: SimTask, sim: Simulator): void {
    if (this.finalFireAt.getTime() > sim.now.getTime()) {
      const t = new Atomic(false, (id) => ({ id, kind: 'timer', fireAt: sim.nextTimerFireAt(this.finalFireAt) }));
      t.parent = this;
      this.children.push(t);
      sim.track(t);
    }
    if (child.state === 'completed') {
      if (this.children.every((c) => c.state === 'completed')) this.setState('completed', sim);
    } else this.setState('failed', sim);
  }
}

export class UnsupportedActionError extends Error {
  readonly code = 'DURABLE_UNSUPPORTED_ACTION';
}

class Simulator {
  now: Date;
  private seq = 0;
  private readonly open = new Map<number | string, Atomic>();
  private readonly openEvents = new Map<string, Atomic[]>();
  private readonly deferred = new Map<number | string, HistoryEvent[]>();
  readonly tasks: ScheduledTask[] = [];
  private actionIndex = 0;
  private current: SimTask | undefined;
  continueAsNew: ActionJson | undefined;

  constructor(
    private readonly actions: ActionJson[],
    private readonly settings: ReplaySettings,
    start: Date,
  ) {
    this.now = start;
  }

  nextTimerFireAt(finalFireAt: Date): Date {
    const remaining = finalFireAt.getTime() - this.now.getTime();
    return remaining > this.settings.maximumShortTimerMs
      ? new Date(this.now.getTime() + this.settings.longRunningTimerIntervalMs)
      : finalFireAt;
  }

  /** Yields actions while the orchestrator would be able to proceed. */
  advance(): void {
    while ((this.current === undefined || this.current.state !== 'running') && this.actionIndex < this.actions.length) {
      const action = this.actions[this.actionIndex++];
      if (action === undefined) break;
      if (action.actionType === ActionType.ContinueAsNew) {
        this.continueAsNew = action;
        continue;
      }
      if (action.actionType === ActionType.SignalEntity) {
        throw new UnsupportedActionError('Durable entities are not supported by the local host (signalEntity).');
      }
      const task = this.build(action);
      this.current = task;
      this.track(task);
    }
  }

  remainingActions(): number {
    return this.actions.length - this.actionIndex;
  }

  private build(action: ActionJson): SimTask {
    switch (action.actionType) {
      case ActionType.CallActivity: {
        const name = action.functionName ?? '';
        const input = action.input;
        return new Atomic(false, (id) => ({ id, kind: 'activity', name, input }));
      }
      case ActionType.CallSubOrchestrator: {
        return new Atomic(false, this.subOrchestration(action));
      }
      case ActionType.CallActivityWithRetry:
      case ActionType.CallSubOrchestratorWithRetry: {
        const builder: (id: number) => ScheduledTask =
          action.actionType === ActionType.CallActivityWithRetry
            ? (id) => ({ id, kind: 'activity', name: action.functionName ?? '', input: action.input })
            : this.subOrchestration(action);
        const options = action.retryOptions ?? { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 1 };
        return new Retry(new Atomic(false, builder), options, builder);
      }
      case ActionType.CreateTimer: {
        const finalFireAt = new Date(action.fireAt ?? 0);
        if (finalFireAt.getTime() - this.now.getTime() > this.settings.maximumShortTimerMs) {
          const first = this.nextTimerFireAt(finalFireAt);
          return new LongTimer(finalFireAt, new Atomic(false, (id) => ({ id, kind: 'timer', fireAt: first })));
        }
        return new Atomic(false, (id) => ({ id, kind: 'timer', fireAt: finalFireAt }));
      }
      case ActionType.WaitForExternalEvent:
        return new Atomic(action.externalEventName ?? '', undefined);
      case ActionType.WhenAll:
        return new WhenAll((action.compoundActions ?? []).map((a) => this.build(a)));
      case ActionType.WhenAny:
        return new WhenAny((action.compoundActions ?? []).map((a) => this.build(a)));
      case ActionType.CallEntity:
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        throw new UnsupportedActionError('Durable entities are not supported by the local host (callEntity/lock).');
      case ActionType.CallHttp:
        throw new UnsupportedActionError('callHttp is not supported by the local host.');
      default:
        throw new UnsupportedActionError(`Unknown action type ${action.actionType}.`);
    }
  }

  private subOrchestration(action: ActionJson): (id: number) => ScheduledTask {
    const parent = this.settings.instanceId;
    return (id) => ({
      id,
      kind: 'subOrchestration',
      name: action.functionName ?? '',
      input: action.input,
      instanceId: action.instanceId ?? `${parent}:${id.toString(16).padStart(4, '0')}`,
      ...(action.version ? { version: action.version } : {}),
    });
  }

  track(task: SimTask): void {
    if (task instanceof Compound) {
      for (const c of [...task.children]) this.track(c);
      return;
    }
    if (!(task instanceof Atomic)) return;
    if (task.id === false) {
      const id = this.seq++;
      task.id = id;
      this.open.set(id, task);
      if (task.build) this.tasks.push(task.build(id));
    } else if (typeof task.id === 'string') {
      const list = this.openEvents.get(task.id) ?? [];
      list.push(task);
      this.openEvents.set(task.id, list);
    }
    const queue = this.deferred.get(task.id);
    if (queue !== undefined && queue.length > 0) {
      const ev = queue.shift();
      if (queue.length === 0) this.deferred.delete(task.id);
      if (ev) this.complete(ev);
    }
  }

  process(ev: HistoryEvent): void {
    switch (ev.EventType) {
      case EventType.OrchestratorStarted: {
        const t = new Date(ev.Timestamp);
        if (t.getTime() > this.now.getTime()) this.now = t;
        break;
      }
      case EventType.ExecutionStarted:
        this.advance();
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.TimerFired:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
      case EventType.EventRaised:
        this.complete(ev);
        this.advance();
        break;
      default:
        break;
    }
  }

  private complete(ev: HistoryEvent): void {
    const key = completionKey(ev);
    if (key === undefined) return;
    const ok =
      ev.EventType === EventType.TaskCompleted ||
      ev.EventType === EventType.TimerFired ||
      ev.EventType === EventType.SubOrchestrationInstanceCompleted ||
      ev.EventType === EventType.EventRaised;
    let task = this.open.get(key);
    if (task !== undefined) this.open.delete(key);
    else if (typeof key === 'string' && this.openEvents.has(key)) {
      const list = this.openEvents.get(key) ?? [];
      task = list.pop();
      if (list.length === 0) this.openEvents.delete(key);
    }
    if (task === undefined) {
      const q = this.deferred.get(key) ?? [];
      q.push(ev);
      this.deferred.set(key, q);
      return;
    }
    task.setState(ok ? 'completed' : 'failed', this);
  }

  get blocked(): boolean {
    return this.current !== undefined && this.current.state === 'running';
  }
}

export function completionKey(ev: HistoryEvent): number | string | undefined {
  switch (ev.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return ev.TaskScheduledId;
    case EventType.TimerFired:
      return ev.TimerId;
    case EventType.EventRaised:
      return ev.Name;
    default:
      return undefined;
  }
}

/**
 * Replays `history` (the current execution, including this episode's new events) against `actions` (what the
 * SDK returned for the same history) and returns every task with its id.
 */
export function replayActions(
  history: readonly HistoryEvent[],
  actions: ActionJson[],
  settings: ReplaySettings,
  orchestratorDone: boolean,
): ReplayOutcome {
  const firstStart = history.find((e) => e.EventType === EventType.OrchestratorStarted);
  const sim = new Simulator(actions, settings, new Date(firstStart?.Timestamp ?? Date.now()));
  try {
    for (const ev of history) sim.process(ev);
  } catch (e) {
    if (e instanceof UnsupportedActionError) return { tasks: sim.tasks, nonDeterminism: e.message };
    throw e;
  }
  const outcome: ReplayOutcome = { tasks: sim.tasks };
  if (sim.continueAsNew) outcome.continueAsNew = sim.continueAsNew;
  if (sim.remainingActions() > 0) {
    outcome.nonDeterminism =
      'Non-deterministic workflow detected: the orchestrator returned actions that do not follow from its history ' +
      `(${sim.remainingActions()} action(s) past the task it is waiting on).`;
  } else if (!orchestratorDone && !sim.blocked && actions.length > 0 && !sim.continueAsNew) {
    outcome.nonDeterminism =
      'Non-deterministic workflow detected: the history completes every task the orchestrator scheduled, ' +
      'but it neither finished nor scheduled more work.';
  }
  return outcome;
}

/** Flattens the SDK's `actions` (schema V1: per-yield arrays; V2+: one array). */
export function flattenActions(actions: unknown): ActionJson[] {
  if (!Array.isArray(actions)) return [];
  const out: ActionJson[] = [];
  for (const group of actions) {
    if (Array.isArray(group)) {
      for (const a of group) if (isAction(a)) out.push(a);
    } else if (isAction(group)) out.push(group);
  }
  return out;
}

function isAction(v: unknown): v is ActionJson {
  return typeof v === 'object' && v !== null && typeof (v as { actionType?: unknown }).actionType === 'number';
}

/** Whether a scheduling event in history matches the task the replay expects under the same id. */
export function describeMismatch(ev: HistoryEvent, task: ScheduledTask): string | undefined {
  const expected =
    task.kind === 'activity'
      ? `activity '${task.name}'`
      : task.kind === 'subOrchestration'
        ? `sub-orchestration '${task.name}'`
        : 'a timer';
  let recorded: string;
  if (ev.EventType === EventType.TaskScheduled) {
    if (task.kind === 'activity' && task.name === ev.Name) return undefined;
    recorded = `activity '${ev.Name ?? ''}'`;
  } else if (ev.EventType === EventType.SubOrchestrationInstanceCreated) {
    if (task.kind === 'subOrchestration' && task.name === ev.Name) return undefined;
    recorded = `sub-orchestration '${ev.Name ?? ''}'`;
  } else if (ev.EventType === EventType.TimerCreated) {
    if (task.kind === 'timer') return undefined;
    recorded = 'a timer';
  } else return undefined;
  return (
    `Non-deterministic workflow detected: task ${task.id} was ${recorded} in the history, ` +
    `but the orchestrator now schedules ${expected}.`
  );
}
