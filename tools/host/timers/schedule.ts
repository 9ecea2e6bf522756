/**
 * Timer schedules as the host reads them (azure-webjobs-sdk-extensions `Extensions/Timers/Scheduling/`
 * `CronSchedule.cs`, `ConstantSchedule.cs`, `TimerSchedule.cs`): a 6-field NCRONTAB expression
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (parsed with seconds, so a 5-field expression is
 * rejected), or a TimeSpan `hh:mm:ss` (`dd:hh:mm` when the first field is 24 or more). Cron times are in
 * `WEBSITE_TIME_ZONE` when set, else UTC (`TimerListener.cs`).
 */
import { CronExpressionParser } from 'cron-parser';

import { HostConfigError } from '../errors';

export interface TimerSchedule {
  readonly text: string;
  readonly adjustForDST: boolean;
  /** The first occurrence strictly after `after`. */
  nextOccurrence(after: Date): Date;
}

class CronSchedule implements TimerSchedule {
  readonly adjustForDST = true;
  constructor(
    readonly text: string,
    private readonly tz: string,
  ) {}

  nextOccurrence(after: Date): Date {
    return CronExpressionParser.parse(this.text, { currentDate: after, tz: this.tz }).next().toDate();
  }
}

class ConstantSchedule implements TimerSchedule {
  readonly adjustForDST = false;
  constructor(
    readonly text: string,
    private readonly intervalMs: number,
  ) {}

  nextOccurrence(after: Date): Date {
    return new Date(after.getTime() + this.intervalMs);
  }
}

function parseConstant(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // .NET TimeSpan parsing: "24:00:00" and above read as days:hours:minutes.
  const ms = a >= 24 ? ((a * 24 + b) * 60 + c) * 60_000 : ((a * 60 + b) * 60 + c) * 1000;
  return ms > 0 ? ms : undefined;
}

export function parseSchedule(text: string, timeZone: string | undefined, where: string): TimerSchedule {
  const trimmed = text.trim();
  const constant = parseConstant(trimmed);
  if (constant !== undefined) return new ConstantSchedule(trimmed, constant);
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) {
    throw new HostConfigError(
      `${where}: "${text}" is not a valid schedule: use a 6-field NCRONTAB expression ` +
        '"{second} {minute} {hour} {day} {month} {day-of-week}" (e.g. "0 */5 * * * *") or a TimeSpan "hh:mm:ss".',
    );
  }
  const tz = timeZone && timeZone.trim() ? timeZone.trim() : 'UTC';
  try {
    CronExpressionParser.parse(trimmed, { currentDate: new Date(), tz, strict: false }).next();
  } catch (err) {
    throw new HostConfigError(`${where}: "${text}" is not a valid schedule: ${(err as Error).message}`);
  }
  return new CronSchedule(trimmed, tz);
}

/**
 * Whether the schedule fires more often than once a minute, judged on a few upcoming occurrences; the host then
 * turns the schedule monitor off (`TimerTriggerAttributeBindingProvider` / `TimerSchedule.ShouldDisableScheduleMonitor`).
 */
export function firesMoreThanOncePerMinute(schedule: TimerSchedule, from = new Date()): boolean {
  let prev = schedule.nextOccurrence(from);
  for (let i = 0; i < 5; i++) {
    const next = schedule.nextOccurrence(prev);
    if (next.getTime() - prev.getTime() < 60_000) return true;
    prev = next;
  }
  return false;
}
