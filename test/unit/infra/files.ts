/**
 * The files the infra tests read, and small readers for them: azure.yaml (with the `yaml` package), markdown tables and
 * code blocks of the docs, .funcignore patterns, KQL names, and the app's telemetry vocabulary.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseDocument } from 'yaml';

import { DIMENSIONS, DURATION_METRIC, POLL_COUNT_METRIC } from '../../../src/events/names';
import { PARTNER_ATTRIBUTES, RUN_ATTRIBUTES } from '../../../src/events/scope';
import { GoLiveTelemetry, MemoryTelemetrySink } from '../../../src/events/telemetry';
import { BicepFile, type Expr } from './bicep';

export const ROOT = resolve(__dirname, '../../..');
export const INFRA = join(ROOT, 'infra');

export function readText(relative: string): string {
  return readFileSync(join(ROOT, relative), 'utf8');
}

export function readJson(relative: string): unknown {
  return JSON.parse(readText(relative)) as unknown;
}

export function exists(relative: string): boolean {
  return existsSync(join(ROOT, relative));
}

export function bicep(relative: string): BicepFile {
  return BicepFile.read(join(ROOT, relative));
}

/** `infra/main.bicep` and every `infra/app/*.bicep`, by path relative to the repository. */
export function allBicepFiles(): Map<string, BicepFile> {
  const files = new Map<string, BicepFile>([['infra/main.bicep', bicep('infra/main.bicep')]]);
  for (const name of readdirSync(join(INFRA, 'app'))
    .filter((n) => n.endsWith('.bicep'))
    .sort()) {
    files.set(`infra/app/${name}`, bicep(`infra/app/${name}`));
  }
  return files;
}

export type Yaml = string | boolean | number | null | { [key: string]: Yaml } | Yaml[];

/** Reads a YAML document (azure.yaml) with the `yaml` package: a mapping at the top, any error thrown. */
export function parseYamlMapping(text: string, name = 'azure.yaml'): { [key: string]: Yaml } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors.map((e) => e.message).join('; ')}`);
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${name}: the document is not a mapping`);
  }
  return value as { [key: string]: Yaml };
}

/** The markdown text from a heading line to the next heading of the same or a higher level. */
export function markdownSection(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start === -1) throw new Error(`no heading ${heading}`);
  const level = /^#+/.exec(heading)![0].length;
  let end = lines.length;
  for (let k = start + 1; k < lines.length; k++) {
    const m = /^(#+)\s/.exec(lines[k]!);
    if (m && m[1]!.length <= level) {
      end = k;
      break;
    }
  }
  return lines.slice(start, end).join('\n');
}

/** Markdown tables in `markdown`: header cells and row cells (outside code fences). */
export function markdownTables(markdown: string): { header: string[]; rows: string[][] }[] {
  const tables: { header: string[]; rows: string[][] }[] = [];
  const lines = markdown.split('\n');
  let inFence = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const next = lines[k + 1] ?? '';
    if (line.trim().startsWith('|') && /^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(next)) {
      const header = cells(line);
      const rows: string[][] = [];
      k += 2;
      while (k < lines.length && lines[k]!.trim().startsWith('|')) rows.push(cells(lines[k++]!));
      k--;
      tables.push({ header, rows });
    }
  }
  return tables;
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  // `\|` inside a cell is a literal bar.
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The backticked names in a table cell: "`A`, `B`" -> [A, B]. */
export function codeNames(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** Fenced code blocks of a language (e.g. `kusto`) in markdown. */
export function codeBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const re = new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g');
  for (const m of markdown.matchAll(re)) blocks.push(m[1]!);
  return blocks;
}

/** Whether `.funcignore`-style `patterns` exclude `path` (relative, forward slashes). */
export function isIgnored(patterns: string[], path: string): boolean {
  const segments = path.split('/');
  return patterns.some((pattern) => {
    const dirOnly = pattern.endsWith('/');
    const p = dirOnly ? pattern.slice(0, -1) : pattern;
    const re = new RegExp(
      '^' +
        p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]') +
        '$',
    );
    if (p.includes('/')) return re.test(path) || path.startsWith(p + '/');
    // A name pattern matches any path segment (a directory pattern only a directory segment).
    const candidates = dirOnly ? segments.slice(0, -1) : segments;
    return candidates.some((s) => re.test(s));
  });
}

export function funcignorePatterns(): string[] {
  return readText('.funcignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** What the app really sends to Application Insights: event names, metric names and property keys, per name. */
export interface TelemetryVocabulary {
  events: Map<string, Set<string>>;
  metrics: Map<string, Set<string>>;
  properties: Set<string>;
}

/** Runs every GoLiveTelemetry method with every optional value set, and records what reached the sink. */
export function telemetryVocabulary(): TelemetryVocabulary {
  const sink = new MemoryTelemetrySink();
  const telemetry = new GoLiveTelemetry(sink);
  const all = Object.fromEntries(DIMENSIONS.map((d) => [d, `${d}-value`]));
  telemetry.stateChanged(all, 'submitting');
  telemetry.completed(all, 3600, 12, 'SomeError');
  telemetry.rejected('bad request', 'message-1', all);
  telemetry.partnerApiError(all, 'Throttled', 429, 'readOperation');
  telemetry.eventGridFailed(all, 'EventGridForbidden', 403, 1);
  telemetry.eventGridGaveUp(all, 'EventGridForbidden', 403, ['golive-run-1'], 9);
  const events = new Map<string, Set<string>>();
  const metrics = new Map<string, Set<string>>();
  const properties = new Set<string>();
  for (const e of sink.events) {
    const keys = events.get(e.name) ?? new Set<string>();
    Object.keys(e.properties).forEach((k) => (keys.add(k), properties.add(k)));
    events.set(e.name, keys);
  }
  for (const m of sink.metrics) {
    const keys = metrics.get(m.name) ?? new Set<string>();
    Object.keys(m.properties).forEach((k) => (keys.add(k), properties.add(k)));
    metrics.set(m.name, keys);
  }
  // OpenTelemetry attributes on every item of a run and on partner API dependencies (src/events/scope.ts).
  for (const key of [...Object.values(RUN_ATTRIBUTES), ...Object.values(PARTNER_ATTRIBUTES)]) properties.add(key);
  return { events, metrics, properties };
}

export const METRIC_NAMES = [DURATION_METRIC, POLL_COUNT_METRIC];

/** Names a KQL query compares the `name` column with, the customDimensions keys it reads, and its tables. */
export function kqlReferences(query: string): { names: string[]; dimensions: string[]; tables: string[] } {
  const code = query
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, ''))
    .join('\n');
  const names: string[] = [];
  for (const m of code.matchAll(/\bname\s*(?:==|=~)\s*(['"])([^'"]+)\1/g)) names.push(m[2]!);
  for (const m of code.matchAll(/\bname\s+!?in~?\s*\(([^)]*)\)/g)) {
    for (const s of m[1]!.matchAll(/(['"])([^'"]+)\1/g)) names.push(s[2]!);
  }
  const dimensions: string[] = [];
  for (const m of code.matchAll(/customDimensions\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(['"])([^'"]+)\2\s*\])/g)) {
    dimensions.push(m[1] ?? m[3]!);
  }
  const tables = [
    ...new Set(
      [...code.matchAll(/\b(customEvents|customMetrics|traces|requests|exceptions|dependencies)\b/g)].map((m) => m[1]!),
    ),
  ];
  return { names, dimensions, tables };
}

/** Literal values a KQL query compares `state` or `outcome` with. */
export function kqlStateLiterals(query: string): string[] {
  const values: string[] = [];
  for (const m of query.matchAll(/\b(?:state|outcome)\s*(?:==|!=)\s*(['"])([^'"]+)\1/g)) values.push(m[2]!);
  for (const m of query.matchAll(/\b(?:state|outcome)\s+!?in\s*\(([^)]*)\)/g)) {
    for (const s of m[1]!.matchAll(/(['"])([^'"]+)\1/g)) values.push(s[2]!);
  }
  return values;
}

/** The member chain of an expression as text (`a.outputs.b`), or undefined for anything else. */
export function memberPath(expr: Expr | undefined): string | undefined {
  if (!expr) return undefined;
  if (expr.kind === 'ident') return expr.name;
  if (expr.kind === 'member') {
    const object = memberPath(expr.object);
    return object === undefined ? undefined : `${object}.${expr.name}`;
  }
  return undefined;
}
