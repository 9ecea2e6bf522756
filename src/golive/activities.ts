import { buildCompletionEvents, type CloudEvent, type CompletionData } from '../events/completionEvent';
import type { Dimensions, GoLiveTelemetry } from '../events/telemetry';
import { isPartnerApiError } from '../partner/errors';
import type { GoLiveTarget, PartnerApi, PartnerApiKind, RunningOperation } from '../partner/types';
import {
  classifySubmitError,
  compactSteps,
  isGoLiveOperation,
  isTransientReadError,
  retryAfterOf,
  toRunError,
} from './outcome';
import type {
  CancelOperationInput,
  CancelOperationResult,
  FindRunningOperationInput,
  FindRunningOperationResult,
  PublishCompletionInput,
  ReadOperationInput,
  ReadOperationResult,
  RunError,
  RunTarget,
  SubmitGoLiveInput,
  SubmitGoLiveResult,
} from './types';

/**
 * The run's activities: all partner API I/O and telemetry. Each returns a typed result the orchestrator decides
 * on (accepted, attached, outcome unknown, transient, rejected); only unexpected faults throw. Inputs and results
 * hold ids, statuses and error summaries, never a token.
 */

export interface ActivityDeps {
  partnerApi(kind: PartnerApiKind): PartnerApi;
  telemetry: GoLiveTelemetry;
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

function runningGoLive(operations: readonly RunningOperation[]): RunningOperation | undefined {
  return operations.find(isGoLiveOperation);
}

/**
 * Submits the Go Live, unless a go-live already runs for the offer: that covers a re-executed activity, an
 * earlier attempt whose outcome was unknown, and an operation left running by a timed-out run. A 409 from the
 * partner API is resolved the same way.
 */
export async function submitGoLive(input: SubmitGoLiveInput, deps: ActivityDeps): Promise<SubmitGoLiveResult> {
  const api = apiFor(input.target, deps);
  if (!('startGoLive' in api)) return { kind: 'rejected', error: api.error };
  const target = toGoLiveTarget(input.target);
  if (input.attempt === 1) deps.telemetry.stateChanged(dims(input, { state: 'submitting' }), undefined);

  let running: RunningOperation | undefined;
  try {
    running = runningGoLive(await api.listRunningOperations(target));
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
        const found = runningGoLive(await api.listRunningOperations(target));
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
    const found = runningGoLive(await api.listRunningOperations(toGoLiveTarget(input.target)));
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
      rawStatus: status.rawStatus,
      state: status.state,
      terminal: status.terminal,
      steps: compactSteps(status.steps),
    };
    if (status.progressPercentage !== undefined) result.progressPercentage = status.progressPercentage;
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

function attachedTo(op: RunningOperation): SubmitGoLiveResult {
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
