/**
 * Timer triggers (azure-webjobs-sdk-extensions `Extensions/Timers/Listener/TimerListener.cs`, `TimerInfo.cs`):
 * on start, with the schedule monitor on, a missed occurrence since the last recorded status gives one immediate
 * run with `IsPastDue: true`; otherwise `runOnStartup` gives one immediate run. Then each occurrence runs, one at a
 * time per timer; the next occurrence is computed after each run, and a failed run is not retried. The monitor
 * (`useMonitor`, default on, off when the schedule fires more than once a minute) persists the schedule status.
 */
import type { InvokeResult, RpcTypedData } from '../extension';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import { type Env, resolveSettingRefs } from '../settings';
import { localHostId, type ScheduleMonitor, type ScheduleStatus, StorageScheduleMonitor } from './monitor';
import { firesMoreThanOncePerMinute, parseSchedule, type TimerSchedule } from './schedule';

export interface TimerServiceOptions {
  logger: Logger;
  env: Env;
  appDir?: string;
  /** The storage connection string (for the schedule monitor). */
  connection(): string;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<InvokeResult>;
  /** Replaces the storage monitor (tests). */
  monitor?: ScheduleMonitor;
}

const CATEGORY = 'Host.Triggers.Timer';
/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface TimerEntry {
  fn: HostFunction;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  useMonitor: boolean;
  timerName: string;
  status: ScheduleStatus | undefined;
  handle?: NodeJS.Timeout;
  running?: Promise<void>;
}

/** The TimerInfo payload the host sends (`{Schedule, ScheduleStatus, IsPastDue}`); the library camel-cases it. */
export function timerPayload(
  schedule: TimerSchedule,
  status: ScheduleStatus | undefined,
  isPastDue: boolean,
): RpcTypedData {
  return {
    json: JSON.stringify({
      Schedule: { AdjustForDST: schedule.adjustForDST },
      ScheduleStatus: status ?? null,
      IsPastDue: isPastDue,
    }),
  };
}

export class TimerService {
  readonly #o: TimerServiceOptions;
  readonly #entries: TimerEntry[] = [];
  #monitor: ScheduleMonitor | undefined;
  #stopped = false;

  constructor(options: TimerServiceOptions) {
    this.#o = options;
  }

  addFunction(fn: HostFunction): void {
    const where = `Function "${fn.name}" schedule`;
    const raw = fn.trigger.schedule;
    if (typeof raw !== 'string' || !raw) throw new Error(`${where}: missing`);
    const schedule = parseSchedule(resolveSettingRefs(raw, this.#o.env, where), this.#o.env.WEBSITE_TIME_ZONE, where);
    const useMonitorOption = fn.trigger.useMonitor;
    const useMonitor = useMonitorOption === false ? false : !firesMoreThanOncePerMinute(schedule);
    this.#entries.push({
      fn,
      schedule,
      runOnStartup: fn.trigger.runOnStartup === true,
      useMonitor,
      // The host's timer name for a Node function: `Host.Functions.<name>`.
      timerName: `Host.Functions.${fn.name}`,
      status: undefined,
    });
  }

  scheduleOf(fn: HostFunction): string | undefined {
    return this.#entries.find((e) => e.fn === fn)?.schedule.text;
  }

  #monitorFor(): ScheduleMonitor {
    this.#monitor ??=
      this.#o.monitor ??
      new StorageScheduleMonitor(this.#o.connection(), localHostId(this.#o.appDir ?? process.cwd(), this.#o.env));
    return this.#monitor;
  }

  async start(): Promise<void> {
    for (const entry of this.#entries) await this.#startEntry(entry);
  }

  async #startEntry(entry: TimerEntry): Promise<void> {
    const now = new Date();
    let pastDue = false;
    if (entry.useMonitor) {
      const monitor = this.#monitorFor();
      const status = await monitor.getStatus(entry.timerName);
      if (!status) {
        entry.status = {
          Last: new Date(0).toISOString(),
          Next: entry.schedule.nextOccurrence(now).toISOString(),
          LastUpdated: now.toISOString(),
        };
        await monitor.updateStatus(entry.timerName, entry.status);
      } else {
        entry.status = status;
        pastDue = now.getTime() > Date.parse(status.Next);
      }
    }
    const log = this.#o.logger;
    log.log(
      'information',
      CATEGORY,
      `The next 5 occurrences of the '${entry.fn.name}' schedule (${entry.schedule.text}) will be: ${this.#nextFive(entry.schedule, now).join(', ')}`,
    );
    if (pastDue) {
      entry.running = this.#run(entry, now, true, `Timer fired at ${now.toISOString()} (past due)`);
    } else if (entry.runOnStartup) {
      entry.running = this.#run(entry, now, false, `Timer fired at ${now.toISOString()} (run on startup)`);
    }
    void this.#arm(entry);
  }

  #nextFive(schedule: TimerSchedule, from: Date): string[] {
    const out: string[] = [];
    let t = from;
    for (let i = 0; i < 5; i++) {
      t = schedule.nextOccurrence(t);
      out.push(t.toISOString());
    }
    return out;
  }

  /** Waits for any running invocation, then schedules the next occurrence after now (one at a time). */
  async #arm(entry: TimerEntry): Promise<void> {
    await entry.running;
    if (this.#stopped) return;
    const next = entry.schedule.nextOccurrence(new Date());
    const wait = (): void => {
      const remaining = next.getTime() - Date.now();
      if (remaining > 0) {
        entry.handle = setTimeout(wait, Math.min(remaining, MAX_TIMEOUT_MS));
        return;
      }
      entry.handle = undefined;
      entry.running = this.#run(entry, next, false, `Timer fired at ${new Date().toISOString()}`);
      void this.#arm(entry);
    };
    wait();
  }

  async #run(entry: TimerEntry, occurrence: Date, isPastDue: boolean, reason: string): Promise<void> {
    try {
      await this.#o.invoke(
        entry.fn,
        timerPayload(entry.schedule, entry.useMonitor ? entry.status : undefined, isPastDue),
        { reason },
      );
    } catch {
      // A failed timer run is not retried; the invocation already logged the failure.
    }
    if (entry.useMonitor) {
      const now = new Date();
      entry.status = {
        Last: occurrence.toISOString(),
        Next: entry.schedule.nextOccurrence(now).toISOString(),
        LastUpdated: now.toISOString(),
      };
      try {
        await this.#monitorFor().updateStatus(entry.timerName, entry.status);
      } catch (err) {
        this.#o.logger.log(
          'warning',
          CATEGORY,
          `Saving the schedule status of '${entry.fn.name}' failed: ${(err as Error)?.message ?? String(err)}`,
        );
      }
    }
  }

  /** Stops scheduling; waits for running invocations. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries) {
      if (entry.handle) clearTimeout(entry.handle);
      entry.handle = undefined;
    }
    await Promise.allSettled(this.#entries.map((e) => e.running ?? Promise.resolve()));
  }
}
