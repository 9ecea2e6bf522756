/**
 * Host logging with host.json `logging.logLevel` applied per category, as the Functions host filters: the most
 * specific configured category prefix wins, else `default` (Information when unset). Categories follow the host's:
 * `Host.Startup`, `Host.General`, `Host.Triggers.Queue`, `Host.Triggers.Timer`, `Function.<name>` (system) and
 * `Function.<name>.User` (the function's own `context.log`).
 */
import type { HostLogger } from './extension';

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

const ORDER: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

export interface LogEntry {
  time: Date;
  level: LogLevel;
  category: string;
  message: string;
  invocationId?: string;
}

export type LogSink = (line: string, entry: LogEntry) => void;

export function parseLogLevel(value: unknown): LogLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.toLowerCase();
  if (v === 'info') return 'information';
  if (v === 'warn') return 'warning';
  return v in ORDER ? (v as LogLevel) : undefined;
}

export function formatLogLine(entry: LogEntry): string {
  const inv = entry.invocationId && !entry.message.includes(entry.invocationId) ? ` (Id=${entry.invocationId})` : '';
  return `[${entry.time.toISOString()}] ${entry.level.padEnd(11)} ${entry.category}: ${entry.message}${inv}`;
}

export const consoleSink: LogSink = (line, entry) => {
  (ORDER[entry.level] >= ORDER.warning ? process.stderr : process.stdout).write(line + '\n');
};

export class Logger implements HostLogger {
  readonly #levels: [string, LogLevel][];
  readonly #default: LogLevel;

  /** `levels`: host.json `logging.logLevel` (category → level); `minimum` caps every category (e.g. a --verbose). */
  constructor(
    levels: Record<string, unknown> = {},
    private readonly sink: LogSink = consoleSink,
    private readonly minimum?: LogLevel,
  ) {
    const entries: [string, LogLevel][] = [];
    let fallback: LogLevel = 'information';
    for (const [category, raw] of Object.entries(levels)) {
      const level = parseLogLevel(raw);
      if (!level) continue;
      if (category.toLowerCase() === 'default') fallback = level;
      else entries.push([category.toLowerCase(), level]);
    }
    entries.sort((a, b) => b[0].length - a[0].length);
    this.#levels = entries;
    this.#default = fallback;
  }

  levelFor(category: string): LogLevel {
    const c = category.toLowerCase();
    for (const [prefix, level] of this.#levels) {
      if (c === prefix || c.startsWith(prefix + '.')) return level;
    }
    return this.#default;
  }

  enabled(level: LogLevel, category: string): boolean {
    if (level === 'none') return false;
    const threshold =
      this.minimum && ORDER[this.minimum] < ORDER[this.levelFor(category)] ? this.minimum : this.levelFor(category);
    return ORDER[level] >= ORDER[threshold];
  }

  log(level: LogLevel | 'information', category: string, message: string, invocationId?: string): void {
    if (!this.enabled(level, category)) return;
    const entry: LogEntry = { time: new Date(), level, category, message, invocationId };
    this.sink(formatLogLine(entry), entry);
  }
}
