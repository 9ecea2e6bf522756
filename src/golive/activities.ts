import { type CloudEvent } from '../events/cloudEvent';
import type { Dimensions, GoLiveTelemetry } from '../events/telemetry';
import { isPartnerApiError } from '../partner/errors';
import type { GoLiveOperation, GoLiveQuery, GoLiveTarget, PartnerApi, PartnerApiKind } from '../partner/types';
import { buildCompletionEvents, type CompletionData } from './completionEvent';
import type {
  CancelOperationInput,
  CancelOperationResult,
  FindRunningOperationInput,
  FindRunningOperationResult,
  PublishCompletionInput,
  ReadOperationInput,
  ReadOperationResult,
  SubmitGoLiveInput,
  SubmitGoLiveResult,
} from './contracts';
import {
  classifySubmitError,
  compactSteps,
  isGoLiveOperation,
  isTransientReadError,
  retryAfterOf,
  toRunError,
} from './outcome';
import type { RunError, RunTarget } from './run/record';
import type { SubmitLedger } from './submitLedger';

/**
 * The run's activities: all partner API I/O and telemetry. Each returns a typed result the orchestrator decides
 * on (accepted, attached, outcome unknown, transient, rejected); only unexpected faults throw. Inputs and results
 * hold ids, statuses and error summaries, never a token.
 */

export interface ActivityDeps {
  partnerApi(kind: PartnerApiKind): PartnerApi;
  telemetry: GoLiveTelemetry;
  /** Marks each run's first submit; without it every submit looks for the run's go-live as after a crash. */
  submits?: SubmitLedger;
  /** The invocation's log at warning level. */
  warn?: (message: string) => void;
}

export function toGoLiveTarget(target: RunTarget): GoLiveTarget {
  const t: GoLiveTarget = { api: target.api, publisherId: target.publisherId, offerId: target.offerId };
  if (target.productId !== undefined) t.productId = target.productId;
  return t;
}

function dims(input: { runId: string; target: RunTarget }, extra: Dimensions = {}): Dimensions {
  return {
    publisherId: input.target.publisherId,
    offerId: input.target.offerId,
    runId: input.runId,
    api: input.target.api,
    ...extra,
  };
}

/**
 * How far before the run's start a finished go-live may have been created and still count as this run's: the
 * partner API's clock and ours may differ. A go-live another party finished within this margin before the run
 * started is taken as the run's own (reported, never sent again); earlier runs' operations never are.
 */
export const ATTACH_CLOCK_SKEW_MS = 5 * 60_000;

/** What the attach lookup asks the partner API for: running go-lives, and finished ones since the run started. */
export function attachQuery(input: { startedAt?: string }): GoLiveQuery {
  const started = input.startedAt === undefined ? Number.NaN : Date.parse(input.startedAt);
  if (Number.isNaN(started)) return {};
  return { finishedSince: new Date(started - ATTACH_CLOCK_SKEW_MS).toISOString() };
}

/**
 * The go-live to attach to: a running one (whoever started it: a re-executed activity, an unknown outcome, a run
 * that timed out), else the newest finished one that no earlier run of the offer followed (this run's Go Live that
 * ended while the host was down).
 */
export function goLiveToAttach(
  operations: readonly GoLiveOperation[],
  earlierOperationIds: readonly string[] = [],
): GoLiveOperation | undefined {
  const goLives = operations.filter(isGoLiveOperation);
  const running = goLives.find((op) => op.running);
  if (running) return running;
  const earlier = new Set(earlierOperationIds);
  return goLives
    .filter((op) => !op.running && !earlier.has(op.operationId))
    .sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''))[0];
}

async function lookUpGoLive(
  api: PartnerApi,
  target: GoLiveTarget,
  input: { startedAt?: string; earlierOperationIds?: string[] },
  before: Pick<GoLiveQuery, 'beforeGoLive' | 'unsent'> = {},
): Promise<GoLiveOperation | undefined> {
  return goLiveToAttach(await api.findGoLives(target, { ...attachQuery(input), ...before }), input.earlierOperationIds);
}

/**
 * Submits the Go Live, unless the offer has a go-live to attach to (`goLiveToAttach`): that covers a re-executed
 * activity (also after a crash right after the POST, when the go-live may have finished meanwhile), an earlier
 * attempt whose outcome was unknown, and an operation left running by a timed-out run. A conflict from the partner
 * API is resolved the same way. An offer already live as asked ends here: nothing is sent.
 */
export async function submitGoLive(input: SubmitGoLiveInput, deps: ActivityDeps): Promise<SubmitGoLiveResult> {
  const api = apiFor(input.target, deps);
  if (!('startGoLive' in api)) return { kind: 'rejected', error: api.error };
  const target = toGoLiveTarget(input.target);
  if (input.attempt === 1) deps.telemetry.stateChanged(dims(input, { state: 'submitting' }), undefined);

  let running: GoLiveOperation | undefined;
  try {
    // Only the first execution of the first submit knows that nothing was sent yet (docs/reliability.md).
    const unsent =
      input.attempt === 1 && deps.submits !== undefined && (await deps.submits.firstSubmit(input.runId, deps.warn));
    running = await lookUpGoLive(api, target, input, { beforeGoLive: true, ...(unsent ? { unsent } : {}) });
  } catch (e) {
    deps.telemetry.partnerApiError(dims(input), errorCode(e), statusOf(e), 'submitGoLive');
    const error = toRunError(e);
    return isTransientReadError(e) ? transientSubmit(error, retryAfterOf(e)) : { kind: 'rejected', error };
  }
  if (running) {
    deps.telemetry.stateChanged(dims(input, { state: 'polling', operationId: running.operationId }), 'submitting');
    return attachedTo(running);
  }

  try {
    const accepted = await api.startGoLive(target);
    if (accepted.alreadyLive) {
      const { status, reason } = accepted.alreadyLive;
      deps.telemetry.stateChanged(dims(input, { state: 'succeeded', operationId: accepted.operationId }), 'submitting');
      const result: Extract<SubmitGoLiveResult, { kind: 'alreadyLive' }> = {
        kind: 'alreadyLive',
        operationId: accepted.operationId,
        rawStatus: status.rawStatus,
        steps: compactSteps(status.steps),
        warning: reason,
      };
      if (status.progressPercentage !== undefined) result.progressPercentage = status.progressPercentage;
      if (status.phase !== undefined) result.phase = status.phase;
      return result;
    }
    deps.telemetry.stateChanged(dims(input, { state: 'polling', operationId: accepted.operationId }), 'submitting');
    const result: SubmitGoLiveResult = {
      kind: 'accepted',
      operationId: accepted.operationId,
      operationUrl: accepted.operationUrl,
    };
    if (accepted.retryAfterSeconds !== undefined) result.retryAfterSeconds = accepted.retryAfterSeconds;
    if (api.minPollIntervalSeconds) result.minPollIntervalSeconds = api.minPollIntervalSeconds;
    return result;
  } catch (e) {
    deps.telemetry.partnerApiError(dims(input), errorCode(e), statusOf(e), 'submitGoLive');
    const error = toRunError(e);
    const kind = classifySubmitError(e);
    if (kind === 'rejected' && isConflict(e)) {
      try {
        const found = await lookUpGoLive(api, target, input);
        if (found) return attachedTo(found);
      } catch {
        // fall through: report the conflict itself
      }
    }
    if (kind === 'transient') return transientSubmit(error, retryAfterOf(e));
    return { kind, error };
  }
}

export async function findRunningOperation(
  input: FindRunningOperationInput,
  deps: ActivityDeps,
): Promise<FindRunningOperationResult> {
  const api = apiFor(input.target, deps);
  if (!('startGoLive' in api)) return { kind: 'error', error: api.error };
  try {
    const found = await lookUpGoLive(api, toGoLiveTarget(input.target), input);
    if (!found) return { kind: 'none' };
    return {
      kind: 'found',
      operationId: found.operationId,
      operationUrl: found.operationUrl,
      rawStatus: found.rawStatus,
    };
  } catch (e) {
    deps.telemetry.partnerApiError(dims(input), errorCode(e), statusOf(e), 'findRunningOperation');
    const result: FindRunningOperationResult = { kind: 'error', error: toRunError(e) };
    const retryAfter = retryAfterOf(e);
    if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
    return result;
  }
}

export async function readOperation(input: ReadOperationInput, deps: ActivityDeps): Promise<ReadOperationResult> {
  const api = apiFor(input.target, deps);
  if (!('startGoLive' in api)) return { kind: 'permanent', error: api.error };
  try {
    const status = await api.getOperation(toGoLiveTarget(input.target), input.operationUrl);
    const result: ReadOperationResult = {
      kind: 'status',
      operationId: status.operationId,
      operationUrl: status.operationUrl,
      rawStatus: status.rawStatus,
      state: status.state,
      terminal: status.terminal,
      steps: compactSteps(status.steps),
    };
    if (status.progressPercentage !== undefined) result.progressPercentage = status.progressPercentage;
    if (status.phase !== undefined) result.phase = status.phase;
    if (status.submitAgain !== undefined) result.submitAgain = { ...status.submitAgain };
    if (status.retryAfterSeconds !== undefined) result.retryAfterSeconds = status.retryAfterSeconds;
    if (api.minPollIntervalSeconds) result.minPollIntervalSeconds = api.minPollIntervalSeconds;
    if (status.errors && status.errors.length > 0) {
      result.errors = status.errors.slice(0, 5).map((d) => ({ code: d.code, message: d.message }));
    }
    return result;
  } catch (e) {
    deps.telemetry.partnerApiError(dims(input), errorCode(e), statusOf(e), 'readOperation');
    const error = toRunError(e);
    if (isTransientReadError(e)) {
      const transient: Extract<ReadOperationResult, { kind: 'transient' }> = { kind: 'transient', error };
      const retryAfter = retryAfterOf(e);
      if (retryAfter !== undefined) transient.retryAfterSeconds = retryAfter;
      if (api.minPollIntervalSeconds) transient.minPollIntervalSeconds = api.minPollIntervalSeconds;
      return transient;
    }
    return { kind: 'permanent', error };
  }
}

export async function cancelOperation(input: CancelOperationInput, deps: ActivityDeps): Promise<CancelOperationResult> {
  const api = apiFor(input.target, deps);
  if (!('startGoLive' in api)) return { kind: 'error', error: api.error };
  deps.telemetry.stateChanged(dims(input, { state: 'canceling' }), 'polling');
  try {
    const result = await api.cancel(toGoLiveTarget(input.target), input.operationUrl);
    return { kind: 'canceled', completed: result.completed };
  } catch (e) {
    deps.telemetry.partnerApiError(dims(input), errorCode(e), statusOf(e), 'cancelOperation');
    return { kind: 'error', error: toRunError(e) };
  }
}

/**
 * Builds the run's completion events (one, or one per page of request ids; the registration writes them to
 * `golive-events`) and sends the metrics once.
 */
export function publishCompletionEvents(
  input: PublishCompletionInput,
  deps: ActivityDeps,
): CloudEvent<CompletionData>[] {
  const { output } = input;
  const events = buildCompletionEvents(output);
  const d = dims(output, { state: output.outcome, outcome: output.outcome });
  if (output.operationId !== undefined) d.operationId = output.operationId;
  deps.telemetry.completed(d, output.durationSeconds, output.pollCount, output.error?.code);
  return events;
}

/** The run's first (usually only) completion event; see `publishCompletionEvents`. */
export function publishCompletion(input: PublishCompletionInput, deps: ActivityDeps): CloudEvent<CompletionData> {
  return publishCompletionEvents(input, deps)[0] as CloudEvent<CompletionData>;
}

/** The partner API client of the run's API, or the error that it cannot be had (e.g. an API this build lacks). */
function apiFor(target: RunTarget, deps: ActivityDeps): PartnerApi | { error: RunError } {
  try {
    return deps.partnerApi(target.api);
  } catch (e) {
    return { error: toRunError(e) };
  }
}

function attachedTo(op: GoLiveOperation): SubmitGoLiveResult {
  return { kind: 'attached', operationId: op.operationId, operationUrl: op.operationUrl, rawStatus: op.rawStatus };
}

function transientSubmit(error: RunError, retryAfter: number | undefined): SubmitGoLiveResult {
  const result: Extract<SubmitGoLiveResult, { kind: 'transient' }> = { kind: 'transient', error };
  if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
  return result;
}

function isConflict(e: unknown): boolean {
  return isPartnerApiError(e) && (e.statusCode === 409 || e.code === 'Conflict');
}

function errorCode(e: unknown): string {
  return isPartnerApiError(e) ? e.code : 'UnexpectedError';
}

function statusOf(e: unknown): number | undefined {
  return isPartnerApiError(e) ? e.statusCode : undefined;
}
