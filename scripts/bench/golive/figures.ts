/**
 * Pure helpers of the go-live benchmark (scripts/bench/golive.ts): percentiles, the fixed-poller baseline and the
 * figures table. Nothing here starts anything or reads a clock.
 */

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** p50 and p95 of unsorted samples. */
export function p50p95(samples: readonly number[]): { p50: number; p95: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), n: sorted.length };
}

/**
 * Partner API calls a fixed poller makes for one go-live whose operation runs `durationMs`: the Go Live POST, then
 * one read every `intervalSeconds` until a read sees the operation terminal (the first read one interval after the
 * POST).
 */
export function fixedPollerCalls(durationMs: number, intervalSeconds: number): number {
  const reads = Math.max(1, Math.ceil(durationMs / (intervalSeconds * 1000)));
  return 1 + reads;
}

export interface FigureRow {
  figure: string;
  value: string;
  goal: string;
  /** true = goal met, false = missed, undefined = no pass/fail goal (printed for the record). */
  met?: boolean;
}

/** Seconds with one decimal, from milliseconds. */
export function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a';
}

/** The figures as a Markdown table (goal met: `yes`/`NO`; `-` where the goal is printed only). */
export function formatTable(rows: readonly FigureRow[]): string[] {
  const header: [string, string, string, string] = ['figure', 'measured', 'goal', 'met'];
  const cells = rows.map((r): [string, string, string, string] => [
    r.figure,
    r.value,
    r.goal,
    r.met === undefined ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: readonly string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)];
}
