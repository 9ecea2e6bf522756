import type { GoLiveRequest } from './request';
import { MAX_RUN_REQUESTS } from './requests';
import { deriveRunId, runInstanceId } from './runIdentity';
import {
  type InstanceStatus,
  isActive,
  previousRunsAfter,
  recordedRequestIds,
  requestCountOf,
  requestSeen,
} from './runStatus';
import {
  ORCHESTRATOR_NAME,
  RUN_EVENT,
  type RunInput,
  type RunRequest,
  type RunSettings,
  type RunTarget,
} from './types';

/**
 * Starts the offer's run or joins the running one. Safe under at-least-once delivery:
 *
 * - active run (Pending/Running/ContinuedAsNew/Suspended): the request is raised to it as `requestJoined`, never
 *   started; the call returns once the run shows the request id (a request the run has already recorded is a
 *   redelivery: nothing to do). If the run ends without taking it, the request starts the next run; if the run
 *   neither shows nor ends within the confirmation budget, `JoinNotConfirmedError` is thrown so the queue
 *   delivers the message again (joins are idempotent by request id).
 * - finished run that lists the request id (itself or in the runs it carries): a redelivery; nothing to do.
 * - otherwise: a new run with the offer's instance id. host.json `overridableExistingInstanceStates:
 *   NonRunningStates` lets only one of two racing starts through; the loser re-reads and joins.
 */

/** The Durable client calls the starter needs (an adapter over `DurableClient`). */
export interface RunClient {
  /** The instance status with its input, or undefined when no instance has the id. */
  getStatus(instanceId: string): Promise<InstanceStatus | undefined>;
  startNew(orchestratorName: string, options: { instanceId: string; input: RunInput }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

export interface StarterOptions {
  client: RunClient;
  settings: RunSettings;
  now?: () => Date;
  /** How long to wait for a running run to show a joined request (default 30 s). */
  joinConfirmMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export type StartOutcome =
  | { kind: 'started'; instanceId: string; runId: string }
  | { kind: 'joined'; instanceId: string; runId?: string }
  | { kind: 'duplicate'; instanceId: string; runId?: string };

export class JoinNotConfirmedError extends Error {
  static readonly code = 'JoinNotConfirmed';
  readonly code = JoinNotConfirmedError.code;
  override readonly name = 'JoinNotConfirmedError';
  constructor(
    readonly instanceId: string,
    readonly requestId: string,
  ) {
    super(
      `The running go-live ${instanceId} has not recorded request ${requestId} yet; the message will be delivered again.`,
    );
  }
}

export class StartConflictError extends Error {
  static readonly code = 'StartConflict';
  readonly code = StartConflictError.code;
  override readonly name = 'StartConflictError';
  constructor(
    readonly instanceId: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not start or join the go-live ${instanceId}; the message will be delivered again.`, options);
  }
}

const MAX_ROUNDS = 3;

export async function startOrJoin(request: GoLiveRequest, options: StarterOptions): Promise<StartOutcome> {
  const { client } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = options.log ?? (() => undefined);
  const instanceId = runInstanceId(request);
  const receivedAt = now().toISOString();
  let lastStartError: unknown;

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const status = await client.getStatus(instanceId);
    if (status && isActive(status)) {
      const runId = runIdOf(status);
      if (recordedRequestIds(status).has(request.requestId)) {
        log(`request ${request.requestId} is already recorded on the running go-live ${instanceId}`);
        return { kind: 'duplicate', instanceId, ...(runId ? { runId } : {}) };
      }
      const join: RunRequest = { requestId: request.requestId, receivedAt };
      if (request.requestedBy !== undefined) join.requestedBy = request.requestedBy;
      await client.raiseEvent(instanceId, RUN_EVENT.requestJoined, join);
      log(`request ${request.requestId} raised to the running go-live ${instanceId}`);
      const confirmed = await confirmJoin(
        client,
        instanceId,
        request.requestId,
        options.joinConfirmMs ?? 30_000,
        sleep,
      );
      if (confirmed === 'recorded') return { kind: 'joined', instanceId, ...(runId ? { runId } : {}) };
      if (confirmed === 'pending') throw new JoinNotConfirmedError(instanceId, request.requestId);
      log(`the go-live ${instanceId} ended before recording request ${request.requestId}; starting the next run`);
      continue;
    }
    if (status && requestSeen(status, request.requestId)) {
      log(`request ${request.requestId} was already handled by go-live ${instanceId}; nothing to do`);
      const runId = runIdOf(status);
      return { kind: 'duplicate', instanceId, ...(runId ? { runId } : {}) };
    }

    const input = newRunInput(request, instanceId, status, options.settings, now(), receivedAt);
    try {
      await client.startNew(ORCHESTRATOR_NAME, { instanceId, input });
      log(`go-live ${instanceId} run ${input.runId} started for request ${request.requestId}`);
      return { kind: 'started', instanceId, runId: input.runId };
    } catch (e) {
      // Another start may have won the race: re-read, and join it on the next round.
      lastStartError = e;
      const after = await client.getStatus(instanceId);
      if (!after || !isActive(after)) throw e;
      log(`go-live ${instanceId} was started concurrently; joining it`);
    }
  }
  throw new StartConflictError(instanceId, { cause: lastStartError });
}

export function newRunInput(
  request: GoLiveRequest,
  instanceId: string,
  finished: InstanceStatus | undefined,
  settings: RunSettings,
  now: Date,
  receivedAt: string,
): RunInput {
  const { previousRuns, lastRunNumber } = finished
    ? previousRunsAfter(finished)
    : { previousRuns: [], lastRunNumber: 0 };
  const runNumber = lastRunNumber + 1;
  const target: RunTarget = { api: request.api, publisherId: request.publisherId, offerId: request.offerId };
  if (request.productId !== undefined) target.productId = request.productId;
  const first: RunRequest = { requestId: request.requestId, receivedAt };
  if (request.requestedBy !== undefined) first.requestedBy = request.requestedBy;
  return {
    runId: deriveRunId(instanceId, runNumber, request.requestId),
    runNumber,
    target,
    requests: [first],
    startedAt: now.toISOString(),
    deadlineAt: new Date(now.getTime() + settings.deadlineMinutes * 60_000).toISOString(),
    settings,
    previousRuns,
  };
}

/** Waits until the run shows the request (`recorded`), ends without it (`ended`), or the budget runs out. */
async function confirmJoin(
  client: RunClient,
  instanceId: string,
  requestId: string,
  budgetMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<'recorded' | 'ended' | 'pending'> {
  let waited = 0;
  let delay = 100;
  for (;;) {
    const status = await client.getStatus(instanceId);
    if (!status) return 'ended';
    const ids = recordedRequestIds(status);
    if (ids.has(requestId)) return 'recorded';
    if (!isActive(status)) return 'ended';
    // A run that is full records no more ids; the join is acknowledged all the same.
    if (requestCountOf(status) >= MAX_RUN_REQUESTS) return 'recorded';
    if (waited >= budgetMs) return 'pending';
    await sleep(delay);
    waited += delay;
    delay = Math.min(delay * 2, 1_000);
  }
}

function runIdOf(status: InstanceStatus): string | undefined {
  for (const v of [status.output, status.customStatus, status.input]) {
    if (typeof v === 'object' && v !== null && typeof (v as { runId?: unknown }).runId === 'string') {
      return (v as { runId: string }).runId;
    }
  }
  return undefined;
}
