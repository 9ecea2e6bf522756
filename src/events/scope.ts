import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What ties telemetry items to a go-live: the run tags of the current invocation (`golive.runId`, the offer, the
 * partner's operation id) and the attempt of the current partner API call. Plain `AsyncLocalStorage`, so code that
 * tags (activities, intake, the partner pipeline) costs next to nothing with telemetry off; the OpenTelemetry
 * processors (`otel.ts`) read it when telemetry is on.
 */

/** Attribute names every span, log and custom event of a run carries (Application Insights `customDimensions`). */
export const RUN_ATTRIBUTES = {
  runId: 'golive.runId',
  publisherId: 'golive.publisherId',
  offerId: 'golive.offerId',
  operationId: 'golive.operationId',
} as const;

/** Attributes of a partner API dependency (besides the HTTP ones): the attempt, whether it is a retry, the partner's request id. */
export const PARTNER_ATTRIBUTES = {
  attempt: 'golive.partner.attempt',
  retry: 'golive.partner.retry',
  requestId: 'golive.partner.requestId',
} as const;

export type RunTags = Partial<Record<keyof typeof RUN_ATTRIBUTES, string>>;

/** One invocation's run tags: mutable, so an invocation that learns its run id late (intake) can add it. */
export interface RunScope {
  tags: RunTags;
  /** Called when tags are added (the telemetry sets them on the invocation's span). */
  onTag?: (tags: RunTags) => void;
}

export interface PartnerAttempt {
  /** 1 for the first attempt of a call, 2 for its first retry, ... */
  attempt: number;
  /** `read` or `goLive` (the call's retry policy). */
  policy: string;
}

const runStorage = new AsyncLocalStorage<RunScope>();
const attemptStorage = new AsyncLocalStorage<PartnerAttempt>();

/** Runs `fn` with `scope` as the invocation's run scope. */
export function withRunScope<T>(scope: RunScope, fn: () => T): T {
  return runStorage.run(scope, fn);
}

/** The current invocation's run scope, if any. */
export function currentRunScope(): RunScope | undefined {
  return runStorage.getStore();
}

/** Adds tags to the current invocation's run scope (no-op outside one). Empty values are ignored. */
export function tagRun(tags: RunTags): void {
  const scope = runStorage.getStore();
  if (!scope) return;
  const added: RunTags = {};
  for (const [key, value] of Object.entries(tags) as [keyof RunTags, string | undefined][]) {
    if (value) added[key] = value;
  }
  Object.assign(scope.tags, added);
  scope.onTag?.(added);
}

/** The run tags as attributes (`golive.runId`, ...). */
export function runAttributes(tags: RunTags | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!tags) return out;
  for (const [key, name] of Object.entries(RUN_ATTRIBUTES) as [keyof RunTags, string][]) {
    const value = tags[key];
    if (value) out[name] = value;
  }
  return out;
}

/** Runs one partner API attempt (its HTTP request starts synchronously inside `fn`). */
export function withPartnerAttempt<T>(attempt: PartnerAttempt, fn: () => T): T {
  return attemptStorage.run(attempt, fn);
}

export function currentPartnerAttempt(): PartnerAttempt | undefined {
  return attemptStorage.getStore();
}

/** Run tags from an invocation's first input, when it is one of the run's (activity input, orchestration input). */
export function runTagsFromInput(input: unknown): RunTags | undefined {
  for (const candidate of [input, field(input, 'input'), field(input, 'output')]) {
    const runId = str(field(candidate, 'runId'));
    if (!runId) continue;
    const target = field(candidate, 'target') ?? candidate;
    const tags: RunTags = { runId };
    const publisherId = str(field(target, 'publisherId'));
    const offerId = str(field(target, 'offerId'));
    const operationId = str(field(candidate, 'operationId'));
    if (publisherId) tags.publisherId = publisherId;
    if (offerId) tags.offerId = offerId;
    if (operationId) tags.operationId = operationId;
    return tags;
  }
  return undefined;
}

/** The offer of a go-live request's text (`{ publisherId, offerId, ... }`), when it names one. */
export function offerTagsFromText(text: string): RunTags {
  const publisherId = str(field(text.trim(), 'publisherId'));
  const offerId = str(field(text.trim(), 'offerId'));
  return { ...(publisherId ? { publisherId } : {}), ...(offerId ? { offerId } : {}) };
}

function field(value: unknown, name: string): unknown {
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined;
}
