/**
 * The orchestration and activity dispatchers: poll the control queues and the work-item queue, run episodes
 * (replay the history through the orchestrator, persist what it scheduled) and activities, and serve the
 * client operations (start, raise event, terminate, suspend, resume, status, purge).
 *
 * Crash safety follows the Azure Storage provider: outgoing messages are sent first, then history is appended,
 * then the instance row is updated, then the incoming messages are deleted. A crash anywhere re-delivers the
 * incoming messages; duplicates are recognised by task id, timer id, message id or execution id and dropped.
 */
import { randomUUID } from 'node:crypto';

import type { HostContext, RegisteredFunction, RpcTypedData } from '../extension';
import { describeMismatch, flattenActions, replayActions, type ReplayOutcome, type ScheduledTask } from './replay';
import { deterministicId, MAX_VISIBILITY_SECONDS, type ReceivedMessage, type TaskHubStore } from './store';
import {
  type ControlMessage,
  DurableError,
  EventType,
  type HistoryEvent,
  type InstanceState,
  isTerminal,
  type RuntimeStatus,
  type WorkItemMessage,
} from './types';

export interface EngineSettings {
  hubName: string;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  maxPollingIntervalMs: number;
  controlVisibilitySeconds: number;
  workItemVisibilitySeconds: number;
  maximumShortTimerMs: number;
  longRunningTimerIntervalMs: number;
  /** host.json overridableExistingInstanceStates: 'NonRunningStates' (default) or 'AnyState'. */
  overridableStates: 'NonRunningStates' | 'AnyState';
}

interface CachedInstance {
  state: InstanceState;
  history: HistoryEvent[];
}

interface OrchestratorResult {
  isDone: boolean;
  actions: unknown;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

const OOP_LABEL = '$OutOfProcData$:';
const CACHE_LIMIT = 5000;
const MIN_POLL_MS = 50;
const STOP_GRACE_MS = 10_000;
/** Visibility given back to messages whose processing failed (e.g. storage unreachable for a moment). */
const RETRY_VISIBILITY_SECONDS = 5;
/** How long a start message waits for the instance row that names its execution (`startNew`) before it is dropped. */
const START_ROW_WAIT_MS = 60_000;

/** What identifies an activity call beyond its task id: its name and input (as the TaskScheduled event records). */
function taskFingerprint(name: string | undefined, input: string | undefined): string {
  return deterministicId(name ?? '', input ?? '');
}

/** A start message whose instance row may still be on its way (sent first, then the row: see `startNew`). */
function awaitsItsRow(b: ControlMessage): boolean {
  return b.kind === 'start' && b.sentAt !== undefined && Date.now() - Date.parse(b.sentAt) < START_ROW_WAIT_MS;
}

export class InstanceExistsError extends DurableError {
  constructor(instanceId: string, status: RuntimeStatus) {
    super(
      'DURABLE_INSTANCE_EXISTS',
      `An Orchestration instance with the ID '${instanceId}' already exists and is ${status}; ` +
        'overridableExistingInstanceStates is NonRunningStates.',
    );
  }
}

export class UnknownOrchestratorError extends DurableError {
  constructor(name: string) {
    super(
      'DURABLE_UNKNOWN_FUNCTION',
      `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
    );
  }
}

function nowIso(): string {
  return new Date().toISOString();
}

function ev(type: number, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: nowIso(), ...fields };
}

/** JSON text of a value the SDK produced (undefined stays undefined). */
function jsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** Inputs of CallActivity / ContinueAsNew: the SDK JSON-encodes strings once more (Utils.processInput). */
function doubleEncodedInput(value: unknown): string | undefined {
  return typeof value === 'string' ? value : jsonText(value);
}

function typedToJsonText(data: RpcTypedData | undefined): string | undefined {
  if (!data) return undefined;
  if ('json' in data) return data.json;
  if ('string' in data) return JSON.stringify(data.string);
  if ('int' in data) return JSON.stringify(data.int);
  if ('double' in data) return JSON.stringify(data.double);
  if ('bytes' in data) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return undefined;
}

function parseOrchestratorState(data: RpcTypedData | undefined): OrchestratorResult {
  let value: unknown;
  if (data && 'json' in data) value = JSON.parse(data.json);
  else if (data && 'string' in data) value = JSON.parse(data.string);
  if (typeof value !== 'object' || value === null) throw new Error('The orchestrator returned no state.');
  return value as OrchestratorResult;
}

function errorDetails(e: unknown): { message: string; name: string; stack: string } {
  if (e instanceof Error) return { message: e.message, name: e.name, stack: e.stack ?? '' };
  return { message: String(e), name: 'Error', stack: '' };
}

/**
 * A poll loop's wake-up signal. A wake that comes while the loop is not sleeping (a receive in flight, a batch
 * being dispatched) is kept as `pending`, so the loop's next sleep returns at once instead of backing off: a message
 * sent just after a receive came back empty is then polled for at once, not after up to `maxQueuePollingInterval`.
 */
interface Waker {
  wake?: () => void;
  pending?: boolean;
}

function wakeUp(signal: Waker | undefined): void {
  if (!signal) return;
  if (signal.wake) signal.wake();
  else signal.pending = true;
}

function sleep(ms: number, signal: Waker): Promise<void> {
  if (signal.pending) {
    signal.pending = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.wake = undefined;
      signal.pending = false;
      resolve();
    }
    signal.wake = done;
  });
}

export class DurableEngine {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Map<number, Waker>();
  private readonly activityWaker: Waker = {};
  private readonly cache = new Map<string, CachedInstance>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private activeActivities = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Counters for the benchmark and tests. */
  readonly stats = {
    timerHops: 0,
    episodes: 0,
    historyEventsWritten: 0,
    activitiesRun: 0,
    timersFired: 0,
    timerDelaysMs: [] as number[],
  };

  constructor(
    private readonly ctx: HostContext,
    readonly store: TaskHubStore,
    readonly settings: EngineSettings,
  ) {}

  private fn(name: string, triggerType: string): RegisteredFunction | undefined {
    return this.ctx
      .functions()
      .find((f) => f.name.toLowerCase() === name.toLowerCase() && f.trigger.type === triggerType);
  }

  async start(): Promise<void> {
    await this.store.createIfNotExists();
    this.running = true;
    this.store.controlQueues.forEach((_, i) => {
      const waker: Waker = {};
      this.wakers.set(i, waker);
      this.loops.push(this.controlLoop(i, waker));
    });
    this.loops.push(this.activityLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.wakers.values()) wakeUp(w);
    wakeUp(this.activityWaker);
    await Promise.allSettled(this.loops);
    // In-flight episodes and activities get a grace period; whatever is still running after it is abandoned and
    // its messages reappear after their visibility timeout (then run again: at-least-once).
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS))),
    ]);
    clearTimeout(grace);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private wakeInstance(instanceId: string): void {
    const idx = this.store.controlQueues.indexOf(this.store.controlQueueFor(instanceId));
    wakeUp(this.wakers.get(idx));
  }

  private logError(message: string, e: unknown): void {
    this.ctx.logger.log('error', 'Host.Triggers.DurableTask', `${message}: ${errorDetails(e).message}`);
  }

  // ---- control queues -------------------------------------------------------------------------------------

  private async controlLoop(index: number, waker: Waker): Promise<void> {
    const queue = this.store.controlQueues[index];
    if (!queue) return;
    let backoff = MIN_POLL_MS;
    while (this.running) {
      let msgs: ReceivedMessage<ControlMessage>[] = [];
      try {
        msgs = await this.store.receive<ControlMessage>(queue, 32, this.settings.controlVisibilitySeconds);
      } catch (e) {
        if (this.running) this.logError('Control queue poll failed', e);
      }
      if (!this.running) break;
      if (msgs.length === 0) {
        await sleep(backoff, waker);
        backoff = Math.min(backoff * 2, this.settings.maxPollingIntervalMs);
        continue;
      }
      backoff = MIN_POLL_MS;
      await this.track(this.dispatchControl(msgs));
    }
  }

  private async dispatchControl(msgs: ReceivedMessage<ControlMessage>[]): Promise<void> {
    const now = Date.now();
    const ready: ReceivedMessage<ControlMessage>[] = [];
    for (const m of msgs) {
      if (m.body.kind === 'timer') {
        const due = Date.parse(m.body.fireAt);
        if (due > now) {
          if (due - now <= 2000) {
            // Nearly due: keep it invisible and deliver it at its fire time (never early).
            const t = setTimeout(
              () => {
                this.timers.delete(t);
                void this.track(this.runInstance(m.body.instanceId, [m]));
              },
              due - now + 2,
            );
            this.timers.add(t);
          } else {
            // Not due yet (a hop of a timer beyond the queue's 7-day limit, or clock rounding): re-enqueue.
            await this.store.send(m.queue, m.body, (due - now) / 1000);
            await this.store.delete(m);
            this.stats.timerHops++;
            this.armWake(m.body.instanceId, Math.min(due - now, this.store.maxVisibilitySeconds * 1000));
          }
          continue;
        }
      }
      ready.push(m);
    }
    const byInstance = new Map<string, ReceivedMessage<ControlMessage>[]>();
    for (const m of ready) {
      const list = byInstance.get(m.body.instanceId) ?? [];
      list.push(m);
      byInstance.set(m.body.instanceId, list);
    }
    const groups = [...byInstance.entries()];
    let next = 0;
    const workers = Array.from(
      { length: Math.min(this.settings.maxConcurrentOrchestrations, groups.length) },
      async () => {
        while (next < groups.length) {
          const g = groups[next++];
          if (g) await this.runInstance(g[0], g[1]);
        }
      },
    );
    await Promise.all(workers);
  }

  /** Serialises work per instance (a held timer may arrive while a batch for the same instance runs). */
  private async runInstance(instanceId: string, msgs: ReceivedMessage<ControlMessage>[]): Promise<void> {
    await this.exclusive(instanceId, () =>
      this.processInstance(instanceId, msgs).catch(async (e: unknown) => {
        this.cache.delete(instanceId);
        this.logError(`Orchestration '${instanceId}' episode failed (messages will be redelivered)`, e);
        // Redeliver soon rather than after the full visibility timeout (best effort: storage may be down).
        await Promise.all(msgs.map((m) => this.store.renew(m, RETRY_VISIBILITY_SECONDS).catch(() => undefined)));
      }),
    );
  }

  /**
   * Runs `work` once whatever runs for the instance now (an episode, a start) has ended, one at a time. Episodes
   * fill the instance cache from storage, so a write of the instance row outside an episode (`startNew`) goes
   * through here too: an episode that read the row just before the write would otherwise cache what it read.
   */
  private async exclusive<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(instanceId) ?? Promise.resolve();
    const result = prev.then(work);
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(instanceId, done);
    try {
      return await result;
    } finally {
      if (this.locks.get(instanceId) === done) this.locks.delete(instanceId);
    }
  }

  private async load(instanceId: string): Promise<CachedInstance | undefined> {
    const cached = this.cache.get(instanceId);
    if (cached) return cached;
    const state = await this.store.getInstance(instanceId);
    if (!state) return undefined;
    const history = state.executionId ? await this.store.readHistory(instanceId, state.executionId) : [];
    const entry = await this.reconcile({ state, history });
    this.remember(instanceId, entry);
    return entry;
  }

  /**
   * After a crash between appending history and updating the instance row, the row lags behind the history
   * (and the redelivered messages are recognised as duplicates, so no episode would fix it): bring the row up
   * to date from the history's last events.
   */
  private async reconcile(entry: CachedInstance): Promise<CachedInstance> {
    const { state, history } = entry;
    const last = [...history].reverse().find((e) => e.EventType !== EventType.OrchestratorCompleted);
    if (!last) return entry;
    const next = { ...state };
    if (last.EventType === EventType.ExecutionCompleted && state.runtimeStatus !== 'Completed') {
      next.runtimeStatus = 'Completed';
      next.output = last.Result;
    } else if (last.EventType === EventType.ExecutionFailed && state.runtimeStatus !== 'Failed') {
      next.runtimeStatus = 'Failed';
      next.output = JSON.stringify(last.Reason ?? '');
    } else if (last.EventType === EventType.ExecutionTerminated && state.runtimeStatus !== 'Terminated') {
      next.runtimeStatus = 'Terminated';
      next.output = last.Input;
    } else if (last.EventType === EventType.ContinueAsNew) {
      const oldExecution = state.executionId;
      next.runtimeStatus = 'ContinuedAsNew';
      next.executionId = deterministicId(state.instanceId, oldExecution, 'continueAsNew');
      next.input = last.Input;
      next.output = undefined;
      next.lastUpdatedTime = new Date();
      await this.store.putInstance(next);
      await this.store.deleteHistory(state.instanceId, oldExecution);
      return { state: next, history: [] };
    } else if (state.runtimeStatus === 'Pending' && history.some((e) => e.EventType === EventType.ExecutionStarted)) {
      next.runtimeStatus = 'Running';
    } else {
      return entry;
    }
    next.lastUpdatedTime = new Date();
    await this.store.putInstance(next);
    return { state: next, history };
  }

  /** Drops an instance's cached state (it is read from storage on its next message). */
  evict(instanceId: string): void {
    this.cache.delete(instanceId);
  }

  private remember(instanceId: string, entry: CachedInstance): void {
    this.cache.delete(instanceId);
    this.cache.set(instanceId, entry);
    if (this.cache.size > CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  private async processInstance(instanceId: string, msgs: ReceivedMessage<ControlMessage>[]): Promise<void> {
    const entry = await this.load(instanceId);
    const order = (m: ReceivedMessage<ControlMessage>): number => (m.body.kind === 'start' ? 0 : 1);
    msgs.sort((a, b) => order(a) - order(b));
    const drop: ReceivedMessage<ControlMessage>[] = [];
    const later: ReceivedMessage<ControlMessage>[] = [];
    if (!entry) {
      // No instance (purged, or never created): nothing can use these messages but a start whose row is coming.
      for (const m of msgs.filter((x) => awaitsItsRow(x.body))) await this.store.send(m.queue, m.body, 1);
      await Promise.all(msgs.map((m) => this.store.delete(m)));
      return;
    }
    const state = { ...entry.state };
    let history = entry.history;
    const newEvents: HistoryEvent[] = [];
    let terminate: string | undefined;
    let suspend = false;
    let resume = false;
    const seen = (pred: (e: HistoryEvent) => boolean): boolean => history.some(pred) || newEvents.some(pred);
    // The task a completion belongs to, as history records it. Outgoing messages are sent before the history
    // write, so an episode that died in between (SIGKILL, storage gone) left timers and activities that history
    // never recorded; its retry, with other messages at hand, may give the same ids to other tasks. A completion of
    // such an orphan must not complete the task now under its id (a timer "answering" an activity call).
    const scheduled = (id: number): HistoryEvent | undefined =>
      history.find(
        (e) => e.EventId === id && (e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated),
      );

    for (const m of msgs) {
      const b = m.body;
      if (b.kind === 'start') {
        if (b.executionId !== state.executionId) {
          // Its row is written after it was sent: wait for it a while; a start whose row never came (it lost a
          // race of two starts, or the process died between the two writes) is dropped.
          (awaitsItsRow(b) ? later : drop).push(m);
          continue;
        }
        if (history.length > 0 || newEvents.length > 0) {
          drop.push(m);
          continue;
        }
        newEvents.push(
          ev(EventType.ExecutionStarted, {
            Name: b.name,
            Version: b.version ?? '',
            ...(b.input !== undefined ? { Input: b.input } : {}),
          }),
        );
        drop.push(m);
        continue;
      }
      const started = history.length > 0 || newEvents.length > 0;
      if (isTerminal(state.runtimeStatus)) {
        drop.push(m);
        continue;
      }
      // Not started yet, or suspended: events wait in the queue (so they reach the orchestrator as new events
      // of a later episode, with isReplaying false).
      if (!started || (state.runtimeStatus === 'Suspended' && (b.kind === 'event' || b.kind === 'timer'))) {
        later.push(m);
        continue;
      }
      drop.push(m);
      if (b.kind === 'terminate') terminate = b.reason ?? '';
      else if (b.kind === 'suspend') suspend = true;
      else if (b.kind === 'resume') resume = true;
      else if (b.kind === 'timer') {
        if (b.executionId !== state.executionId) continue;
        if (seen((e) => e.EventType === EventType.TimerFired && e.TimerId === b.timerId)) continue;
        const timer = scheduled(b.timerId);
        if (timer?.EventType !== EventType.TimerCreated || timer.FireAt !== b.fireAt) continue;
        newEvents.push(ev(EventType.TimerFired, { TimerId: b.timerId, FireAt: b.fireAt }));
        this.stats.timersFired++;
        this.stats.timerDelaysMs.push(Date.now() - Date.parse(b.fireAt));
      } else if (b.kind === 'event') {
        if (b.executionId !== undefined && b.executionId !== state.executionId) continue;
        const e = b.event;
        if (e.MessageId && seen((x) => x.MessageId === e.MessageId)) continue;
        if (e.TaskScheduledId !== undefined) {
          const done = [
            EventType.TaskCompleted,
            EventType.TaskFailed,
            EventType.SubOrchestrationInstanceCompleted,
            EventType.SubOrchestrationInstanceFailed,
          ] as number[];
          if (seen((x) => done.includes(x.EventType) && x.TaskScheduledId === e.TaskScheduledId)) continue;
          if (b.task !== undefined) {
            const task = scheduled(e.TaskScheduledId);
            if (task?.EventType !== EventType.TaskScheduled || taskFingerprint(task.Name, task.Input) !== b.task)
              continue;
          }
        }
        newEvents.push({ ...e, IsPlayed: false, Timestamp: nowIso() });
      }
    }

    // Events that arrived before their instance's start message, starts before their row: put back for a moment.
    for (const m of later) {
      await this.store.send(m.queue, m.body, state.runtimeStatus === 'Suspended' ? 2 : 1);
      drop.push(m);
    }

    if (newEvents.length === 0 && terminate === undefined && !suspend && !resume) {
      await Promise.all(drop.map((m) => this.store.delete(m)));
      return;
    }

    const outgoing: (() => Promise<void>)[] = [];
    const appended: HistoryEvent[] = [];
    const priorLength = history.length;
    let continueAsNew: { input: string | undefined; executionId: string } | undefined;

    if (terminate !== undefined) {
      appended.push(...newEvents, ev(EventType.ExecutionTerminated, { Input: JSON.stringify(terminate) }));
      state.runtimeStatus = 'Terminated';
      state.output = JSON.stringify(terminate);
      this.notifyParent(state, outgoing, { failed: `Orchestration '${instanceId}' was terminated: ${terminate}` });
    } else {
      if (suspend && state.runtimeStatus === 'Running') {
        newEvents.push(ev(EventType.ExecutionSuspended));
        state.runtimeStatus = 'Suspended';
      }
      if (resume && state.runtimeStatus === 'Suspended') {
        newEvents.push(ev(EventType.ExecutionResumed));
        state.runtimeStatus = 'Running';
      }
      if (newEvents.some((e) => e.EventType === EventType.ExecutionStarted)) state.runtimeStatus = 'Running';
      if (state.runtimeStatus === 'Suspended') {
        appended.push(...newEvents);
      } else {
        const episode = [ev(EventType.OrchestratorStarted), ...newEvents];
        const full = [...history, ...episode];
        const result = await this.runOrchestrator(state, full);
        this.stats.episodes++;
        appended.push(...episode);
        if (result.customStatus !== undefined && result.customStatus !== null)
          state.customStatus = jsonText(result.customStatus);
        const failure = result.error;
        if (failure !== undefined) {
          appended.push(ev(EventType.OrchestratorCompleted));
          this.fail(state, appended, outgoing, failure);
        } else {
          let outcome: ReplayOutcome;
          try {
            outcome = replayActions(
              full,
              flattenActions(result.actions),
              this.replaySettings(instanceId),
              result.isDone,
            );
          } catch (e) {
            // The actions cannot be matched to the history at all: fail the instance rather than retry forever.
            outcome = {
              tasks: [],
              nonDeterminism: `The orchestrator's actions could not be replayed: ${errorDetails(e).message}`,
            };
          }
          const scheduledById = new Map<number, HistoryEvent>();
          for (const e of full) {
            if (
              e.EventType === EventType.TaskScheduled ||
              e.EventType === EventType.TimerCreated ||
              e.EventType === EventType.SubOrchestrationInstanceCreated
            ) {
              scheduledById.set(e.EventId, e);
            }
          }
          let mismatch = outcome.nonDeterminism;
          const fresh: ScheduledTask[] = [];
          for (const t of outcome.tasks) {
            const recorded = scheduledById.get(t.id);
            if (recorded) mismatch ??= describeMismatch(recorded, t);
            else fresh.push(t);
          }
          appended.push(ev(EventType.OrchestratorCompleted));
          if (mismatch !== undefined) {
            this.fail(state, appended, outgoing, mismatch, 'NonDeterministicOrchestrationError');
          } else {
            for (const t of fresh) appended.push(this.schedule(state, t, outgoing));
            if (outcome.continueAsNew) {
              const input = doubleEncodedInput(outcome.continueAsNew.input);
              const executionId = deterministicId(instanceId, state.executionId, 'continueAsNew');
              appended.push(ev(EventType.ContinueAsNew, input !== undefined ? { Input: input } : {}));
              continueAsNew = { input, executionId };
              const msg: ControlMessage = {
                kind: 'start',
                id: randomUUID(),
                instanceId,
                executionId,
                name: state.name,
                version: state.version,
                ...(input !== undefined ? { input } : {}),
                sentAt: nowIso(),
              };
              outgoing.push(() => this.store.send(this.store.controlQueueFor(instanceId), msg));
            } else if (result.isDone) {
              const output = jsonText(result.output);
              appended.push(
                ev(EventType.ExecutionCompleted, {
                  OrchestrationStatus: 'Completed',
                  ...(output !== undefined ? { Result: output } : {}),
                }),
              );
              state.runtimeStatus = 'Completed';
              state.output = output;
              this.notifyParent(state, outgoing, { output });
            }
          }
        }
      }
    }

    // 1. messages out, 2. history, 3. instance row, 4. delete what we consumed.
    await Promise.all(outgoing.map((f) => f()));
    const oldExecutionId = state.executionId;
    await this.store.appendHistory(
      instanceId,
      state.executionId,
      priorLength,
      appended.map((e) => ({ ...e, IsPlayed: false })),
    );
    this.stats.historyEventsWritten += appended.length;
    history = [...history, ...appended];
    state.lastUpdatedTime = new Date();
    if (continueAsNew) {
      state.runtimeStatus = 'ContinuedAsNew';
      state.executionId = continueAsNew.executionId;
      state.input = continueAsNew.input;
      state.output = undefined;
      history = [];
    }
    await this.store.putInstance(state);
    this.remember(instanceId, { state, history });
    await Promise.all(drop.map((m) => this.store.delete(m)));
    if (continueAsNew) {
      await this.store.deleteHistory(instanceId, oldExecutionId);
      this.wakeInstance(instanceId);
    }
  }

  private replaySettings(instanceId: string): {
    instanceId: string;
    maximumShortTimerMs: number;
    longRunningTimerIntervalMs: number;
  } {
    return {
      instanceId,
      maximumShortTimerMs: this.settings.maximumShortTimerMs,
      longRunningTimerIntervalMs: this.settings.longRunningTimerIntervalMs,
    };
  }

  private fail(
    state: InstanceState,
    appended: HistoryEvent[],
    outgoing: (() => Promise<void>)[],
    message: string,
    errorType = 'Error',
  ): void {
    const text = `Orchestrator function '${state.name}' failed: ${message}`;
    appended.push(
      ev(EventType.ExecutionFailed, {
        OrchestrationStatus: 'Failed',
        Reason: text,
        FailureDetails: { ErrorType: errorType, ErrorMessage: text, IsNonRetriable: false },
      }),
    );
    state.runtimeStatus = 'Failed';
    state.output = JSON.stringify(text);
    this.notifyParent(state, outgoing, { failed: text });
  }

  private notifyParent(
    state: InstanceState,
    outgoing: (() => Promise<void>)[],
    r: { output?: string | undefined; failed?: string },
  ): void {
    if (!state.parentInstanceId || state.parentTaskId === undefined) return;
    const parentId = state.parentInstanceId;
    const event: HistoryEvent =
      r.failed !== undefined
        ? ev(EventType.SubOrchestrationInstanceFailed, {
            TaskScheduledId: state.parentTaskId,
            Reason: r.failed,
            Details: r.failed,
            FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: r.failed, IsNonRetriable: false },
          })
        : ev(EventType.SubOrchestrationInstanceCompleted, {
            TaskScheduledId: state.parentTaskId,
            Result: r.output ?? 'null',
          });
    event.MessageId = deterministicId(state.instanceId, state.executionId, 'completion');
    const msg: ControlMessage = {
      kind: 'event',
      id: randomUUID(),
      instanceId: parentId,
      ...(state.parentExecutionId ? { executionId: state.parentExecutionId } : {}),
      event,
    };
    outgoing.push(async () => {
      await this.store.send(this.store.controlQueueFor(parentId), msg);
      this.wakeInstance(parentId);
    });
  }

  private schedule(state: InstanceState, t: ScheduledTask, outgoing: (() => Promise<void>)[]): HistoryEvent {
    const instanceId = state.instanceId;
    const executionId = state.executionId;
    if (t.kind === 'activity') {
      const input = doubleEncodedInput(t.input);
      const msg: WorkItemMessage = {
        kind: 'activity',
        id: deterministicId(instanceId, executionId, t.id),
        instanceId,
        executionId,
        taskId: t.id,
        name: t.name,
        ...(input !== undefined ? { input } : {}),
      };
      outgoing.push(async () => {
        await this.store.send(this.store.workItems, msg);
        wakeUp(this.activityWaker);
      });
      return ev(EventType.TaskScheduled, {
        EventId: t.id,
        Name: t.name,
        ...(input !== undefined ? { Input: input } : {}),
      });
    }
    if (t.kind === 'timer') {
      const fireAt = t.fireAt.toISOString();
      const msg: ControlMessage = {
        kind: 'timer',
        id: deterministicId(instanceId, executionId, t.id),
        instanceId,
        executionId,
        timerId: t.id,
        fireAt,
      };
      outgoing.push(async () => {
        const delayMs = t.fireAt.getTime() - Date.now();
        await this.store.send(this.store.controlQueueFor(instanceId), msg, Math.max(0, delayMs) / 1000);
        this.armWake(instanceId, delayMs);
      });
      return ev(EventType.TimerCreated, { EventId: t.id, FireAt: fireAt });
    }
    const input = jsonText(t.input);
    const childId = t.instanceId;
    const childExecution = deterministicId(instanceId, executionId, t.id, 'sub');
    outgoing.push(async () => {
      const existing = await this.store.getInstance(childId);
      if (existing && existing.executionId === childExecution) return;
      if (!this.fn(t.name, 'orchestrationTrigger')) {
        const failed = ev(EventType.SubOrchestrationInstanceFailed, {
          TaskScheduledId: t.id,
          Reason: `The function '${t.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
          Details: '',
          FailureDetails: {
            ErrorType: 'FunctionNotFound',
            ErrorMessage: `The function '${t.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
            IsNonRetriable: true,
          },
          MessageId: childExecution,
        });
        await this.store.send(this.store.controlQueueFor(instanceId), {
          kind: 'event',
          id: randomUUID(),
          instanceId,
          executionId,
          event: failed,
        });
        return;
      }
      const now = new Date();
      this.cache.delete(childId);
      await this.store.putInstance({
        instanceId: childId,
        name: t.name,
        version: t.kind === 'subOrchestration' ? (t.version ?? '') : '',
        executionId: childExecution,
        runtimeStatus: 'Pending',
        input,
        output: undefined,
        customStatus: undefined,
        createdTime: now,
        lastUpdatedTime: now,
        parentInstanceId: instanceId,
        parentExecutionId: executionId,
        parentTaskId: t.id,
      });
      const start: ControlMessage = {
        kind: 'start',
        id: randomUUID(),
        instanceId: childId,
        executionId: childExecution,
        name: t.name,
        ...(input !== undefined ? { input } : {}),
      };
      await this.store.send(this.store.controlQueueFor(childId), start);
      this.wakeInstance(childId);
    });
    return ev(EventType.SubOrchestrationInstanceCreated, {
      EventId: t.id,
      Name: t.name,
      InstanceId: childId,
      ...(input !== undefined ? { Input: input } : {}),
    });
  }

  /** Polls the instance's control queue right when a timer message becomes visible (the poll back-off may be long). */
  private armWake(instanceId: string, delayMs: number): void {
    if (!this.running || delayMs > 15 * 60_000) return;
    const visibleAfter = Math.ceil(Math.max(0, delayMs) / 1000) * 1000 + 30;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.wakeInstance(instanceId);
    }, visibleAfter);
    t.unref();
    this.timers.add(t);
  }

  private async runOrchestrator(state: InstanceState, history: HistoryEvent[]): Promise<OrchestratorResult> {
    const fn = this.fn(state.name, 'orchestrationTrigger');
    if (!fn) {
      return {
        isDone: false,
        actions: [],
        error: `The function '${state.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      };
    }
    const lastStart = history.map((e) => e.EventType).lastIndexOf(EventType.OrchestratorStarted);
    const payload = {
      history: history.map((e, i) => ({ ...e, IsPlayed: i < lastStart })),
      input: state.input === undefined ? undefined : (JSON.parse(state.input) as unknown),
      instanceId: state.instanceId,
      isReplaying: lastStart > 0,
      parentInstanceId: state.parentInstanceId ?? null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: toTimeSpan(this.settings.longRunningTimerIntervalMs),
      maximumShortTimerDuration: toTimeSpan(this.settings.maximumShortTimerMs),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    try {
      const res = await this.ctx.invoke(fn, { string: JSON.stringify(payload) });
      return parseOrchestratorState(res.returnValue);
    } catch (e) {
      const { message } = errorDetails(e);
      const at = message.indexOf(OOP_LABEL);
      if (at >= 0) {
        try {
          const st = JSON.parse(message.slice(at + OOP_LABEL.length)) as OrchestratorResult;
          return { ...st, error: st.error ?? message.slice(0, at).trim() };
        } catch {
          // fall through
        }
      }
      return { isDone: false, actions: [], error: message };
    }
  }

  // ---- activities -----------------------------------------------------------------------------------------

  private async activityLoop(): Promise<void> {
    let backoff = MIN_POLL_MS;
    while (this.running) {
      const free = this.settings.maxConcurrentActivities - this.activeActivities;
      if (free <= 0) {
        await sleep(this.settings.maxPollingIntervalMs, this.activityWaker);
        continue;
      }
      let msgs: ReceivedMessage<WorkItemMessage>[] = [];
      try {
        msgs = await this.store.receive<WorkItemMessage>(
          this.store.workItems,
          free,
          this.settings.workItemVisibilitySeconds,
        );
      } catch (e) {
        if (this.running) this.logError('Work-item queue poll failed', e);
      }
      if (!this.running) break;
      if (msgs.length === 0) {
        await sleep(backoff, this.activityWaker);
        backoff = Math.min(backoff * 2, this.settings.maxPollingIntervalMs);
        continue;
      }
      backoff = MIN_POLL_MS;
      for (const m of msgs) {
        this.activeActivities++;
        void this.track(
          this.runActivity(m)
            .catch(async (e: unknown) => {
              this.logError(`Activity '${m.body.name}' dispatch failed (will be redelivered)`, e);
              await this.store.renew(m, RETRY_VISIBILITY_SECONDS).catch(() => undefined);
            })
            .finally(() => {
              this.activeActivities--;
              wakeUp(this.activityWaker);
            }),
        );
      }
    }
  }

  private async runActivity(m: ReceivedMessage<WorkItemMessage>): Promise<void> {
    const w = m.body;
    const renewEvery = Math.max(1, this.settings.workItemVisibilitySeconds / 2) * 1000;
    const renew = setInterval(() => {
      void this.store.renew(m, this.settings.workItemVisibilitySeconds).catch(() => undefined);
    }, renewEvery);
    let event: HistoryEvent;
    try {
      const fn = this.fn(w.name, 'activityTrigger');
      if (!fn)
        throw new DurableError(
          'DURABLE_UNKNOWN_FUNCTION',
          `The function '${w.name}' doesn't exist, is disabled, or is not an activity function.`,
        );
      const res = await this.ctx.invoke(fn, { json: w.input ?? 'null' });
      this.stats.activitiesRun++;
      event = ev(EventType.TaskCompleted, {
        TaskScheduledId: w.taskId,
        Result: typedToJsonText(res.returnValue) ?? 'null',
      });
    } catch (e) {
      this.stats.activitiesRun++;
      const d = errorDetails(e);
      event = ev(EventType.TaskFailed, {
        TaskScheduledId: w.taskId,
        Reason: d.message,
        Details: d.stack,
        FailureDetails: { ErrorType: d.name, ErrorMessage: d.message, StackTrace: d.stack, IsNonRetriable: false },
      });
    } finally {
      clearInterval(renew);
    }
    event.MessageId = w.id;
    const msg: ControlMessage = {
      kind: 'event',
      id: randomUUID(),
      instanceId: w.instanceId,
      executionId: w.executionId,
      event,
      task: taskFingerprint(w.name, w.input),
    };
    await this.store.send(this.store.controlQueueFor(w.instanceId), msg);
    this.wakeInstance(w.instanceId);
    await this.store.delete(m);
  }

  // ---- client operations ----------------------------------------------------------------------------------

  async startNew(
    name: string,
    instanceId: string | undefined,
    input: string | undefined,
    version?: string,
  ): Promise<string> {
    const fn = this.fn(name, 'orchestrationTrigger');
    if (!fn) throw new UnknownOrchestratorError(name);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    const existing = await this.store.getInstanceEntry(id);
    if (existing && this.settings.overridableStates !== 'AnyState' && !isTerminal(existing.state.runtimeStatus)) {
      throw new InstanceExistsError(id, existing.state.runtimeStatus);
    }
    const now = new Date();
    const executionId = randomUUID().replace(/-/g, '');
    // The start message first, then the row, as the Azure Storage provider does: a crash or a storage error between
    // the two leaves a start message that no row names (dropped after a while: see `awaitsItsRow`) and the row as it
    // was, so the caller's retry starts the run; never a Pending row that no message will ever start.
    const msg: ControlMessage = {
      kind: 'start',
      id: randomUUID(),
      instanceId: id,
      executionId,
      name: fn.name,
      ...(version ? { version } : {}),
      ...(input !== undefined ? { input } : {}),
      sentAt: now.toISOString(),
    };
    await this.store.send(this.store.controlQueueFor(id), msg);
    // Conditional on the row read above, as the Azure Storage provider does: of two racing starts one wins and the
    // other sees the instance as existing, so the winner's run (and what it was started for) is never overwritten.
    // Written between the instance's episodes, and its cached state dropped after the write: an episode of the
    // finished run (a late timer, an event raised just before it ended) that read the old row meanwhile would
    // otherwise keep it cached, and the new run's start message would be taken for a stale one.
    const claimed = await this.exclusive(id, async () => {
      try {
        return await this.store.claimInstance(
          {
            instanceId: id,
            name: fn.name,
            version: version ?? '',
            executionId,
            runtimeStatus: 'Pending',
            input,
            output: undefined,
            customStatus: undefined,
            createdTime: now,
            lastUpdatedTime: now,
          },
          existing?.etag,
        );
      } finally {
        this.cache.delete(id);
      }
    });
    if (!claimed) {
      const current = await this.store.getInstance(id);
      throw new InstanceExistsError(id, current?.runtimeStatus ?? 'Pending');
    }
    this.wakeInstance(id);
    // Only the previous executions' history goes; the new execution's rows are never touched.
    if (existing) await this.store.deleteHistoryExcept(id, executionId);
    return id;
  }

  async raiseEvent(instanceId: string, eventName: string, data: string | undefined): Promise<void> {
    const event = ev(EventType.EventRaised, {
      Name: eventName,
      MessageId: randomUUID(),
      ...(data !== undefined ? { Input: data } : {}),
    });
    await this.store.send(this.store.controlQueueFor(instanceId), {
      kind: 'event',
      id: randomUUID(),
      instanceId,
      event,
    });
    this.wakeInstance(instanceId);
  }

  async sendControl(
    kind: 'terminate' | 'suspend' | 'resume',
    instanceId: string,
    reason: string | undefined,
  ): Promise<void> {
    await this.store.send(this.store.controlQueueFor(instanceId), {
      kind,
      id: randomUUID(),
      instanceId,
      ...(reason !== undefined ? { reason } : {}),
    });
    this.wakeInstance(instanceId);
  }

  async getHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    return this.store.readHistory(instanceId, executionId);
  }

  async purge(instanceId: string): Promise<boolean> {
    const st = await this.store.getInstance(instanceId);
    if (!st || !isTerminal(st.runtimeStatus)) return false;
    this.cache.delete(instanceId);
    await this.store.deleteInstance(instanceId);
    return true;
  }
}

/** ms → .NET TimeSpan text `d.hh:mm:ss.fff` (what moment.duration parses). */
export function toTimeSpan(ms: number): string {
  const d = Math.floor(ms / 86_400_000);
  const rest = ms - d * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const f = rest % 1000;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d}.${p(h)}:${p(m)}:${p(s)}.${p(f, 3)}`;
}

/** Parses a .NET TimeSpan (`[d.]hh:mm:ss[.fff]`) to ms. */
export function parseTimeSpanMs(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return fallback;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) return fallback;
  const [, d, h, min, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + ms;
}

export { MAX_VISIBILITY_SECONDS };
