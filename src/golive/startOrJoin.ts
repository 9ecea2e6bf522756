import type { ErrorCode } from '../errorCodes';
import { type RetryPolicy, retryUntil, RUN_STATUS_WAIT } from '../retryPolicy';
import { sleep as sleepMs } from '../util';
import { ORCHESTRATOR_NAME, RECONCILE_ORCHESTRATOR_NAME, RUN_EVENT } from './contracts';
import type { EventGridPublishInput } from './eventDelivery';
import type { GoLiveRequest } from './request';
import { deriveRunId, runInstanceId } from './run/identity';
import { joinState, previousRunsAfter, requestSeen, type RunJoin } from './run/membership';
import { publishUnpublished, type ReconcileInput, unpublishedRun } from './run/owed';
import {
  type InstanceStatus,
  isActive,
  readRun,
  type Run,
  type RunInput,
  type RunSettings,
  type RunTarget,
} from './run/record';

/**
 * Starts the offer's run or joins the running one. Safe under at-least-once delivery:
 *
 * - a request id the current run or one of the runs it carries has recorded (a finished run: its output, which is
 *   what its completion event lists) is a redelivery: nothing to do, whether that run is active or not.
 * - active run (Pending/Running/ContinuedAsNew/Suspended): the request is raised to it as `requestJoined`,
 *   addressed to that run's id, never started. The run decides whether it takes it (`run/membership.ts`); the
 *   call returns once the run shows the request id. If that run ends (or another run of the offer replaced it)
 *   without taking it, the request starts or joins the next run; if the run neither shows it nor ends within the
 *   confirmation budget, `JoinNotConfirmedError` is thrown so the queue delivers the message again.
 * - otherwise: a new run with the offer's instance id. host.json `overridableExistingInstanceStates:
 *   NonRunningStates` lets only one of two racing starts through; the loser re-reads and joins. The start counts
 *   only when the backend then shows this run (or a run that records the request): a start another start
 *   overwrote joins the run that won.
 *
 * Within one process, requests for the same offer are handled one at a time (the queue trigger hands a batch of up
 * to 16 messages to concurrent invocations): the backend's "start unless running" is a read then a write, so two
 * concurrent starts could otherwise both pass.
 */

/** The Durable client calls the starter needs (an adapter over `DurableClient`). */
export interface RunClient {
  /** The instance status with its input, or undefined when no instance has the id. */
  getStatus(instanceId: string): Promise<InstanceStatus | undefined>;
  startNew(
    orchestratorName: string,
    options: { instanceId: string; input: RunInput | ReconcileInput | EventGridPublishInput },
  ): Promise<string>;
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

export type StartOrJoinResult =
  | { kind: 'started'; instanceId: string; runId: string }
  | { kind: 'joined'; instanceId: string; runId?: string }
  | { kind: 'duplicate'; instanceId: string; runId?: string };

export class JoinNotConfirmedError extends Error {
  readonly code: ErrorCode = 'JoinNotConfirmed';
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
  readonly code: ErrorCode = 'StartConflict';
  override readonly name = 'StartConflictError';
  constructor(
    readonly instanceId: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not start or join the go-live ${instanceId}; the message will be delivered again.`, options);
  }
}

/** Start/join attempts: a round may go to publishing the previous run's event first (see `reconcile.ts`). */
const MAX_ROUNDS = 4;

/** Per-offer queue of this process's start-or-join calls (instance id -> the last call's settling). */
const offerTurns = new Map<string, Promise<unknown>>();

export async function startOrJoin(request: GoLiveRequest, options: StarterOptions): Promise<StartOrJoinResult> {
  const instanceId = runInstanceId(request);
  const previous = offerTurns.get(instanceId) ?? Promise.resolve();
  const turn = previous.then(
    () => startOrJoinNow(request, options),
    () => startOrJoinNow(request, options),
  );
  const settled = turn.catch(() => undefined);
  offerTurns.set(instanceId, settled);
  try {
    return await turn;
  } finally {
    if (offerTurns.get(instanceId) === settled) offerTurns.delete(instanceId);
  }
}

async function startOrJoinNow(request: GoLiveRequest, options: StarterOptions): Promise<StartOrJoinResult> {
  const { client } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => sleepMs(ms));
  const log = options.log ?? (() => undefined);
  const instanceId = runInstanceId(request);
  const receivedAt = now().toISOString();
  let lastStartError: unknown;

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const status = await client.getStatus(instanceId);
    const run = status ? readRun(status) : undefined;
    if (status?.name === RECONCILE_ORCHESTRATOR_NAME && run?.active) {
      // The previous run's event is being published on the instance: its next run starts after.
      await waitWhileActive(client, instanceId, joinBudget(options), sleep);
      continue;
    }
    const runId = run?.record.runId;
    if (run && requestSeen(run, request.requestId)) {
      log(
        run.active
          ? `request ${request.requestId} is already recorded on go-live ${instanceId} (this or an earlier run)`
          : `request ${request.requestId} was already handled by go-live ${instanceId}; nothing to do`,
      );
      return { kind: 'duplicate', instanceId, ...(runId ? { runId } : {}) };
    }
    if (status && isActive(status)) {
      const join: RunJoin = { requestId: request.requestId, receivedAt };
      if (request.requestedBy !== undefined) join.requestedBy = request.requestedBy;
      if (runId !== undefined) join.runId = runId;
      await client.raiseEvent(instanceId, RUN_EVENT.requestJoined, join);
      log(`request ${request.requestId} raised to the running go-live ${instanceId}`);
      const confirmed = await confirmJoin(
        client,
        instanceId,
        runId,
        { join, generation: run?.generation ?? 0 },
        joinBudget(options),
        sleep,
        log,
      );
      if (confirmed === 'recorded') return { kind: 'joined', instanceId, ...(runId ? { runId } : {}) };
      if (confirmed === 'pending') throw new JoinNotConfirmedError(instanceId, request.requestId);
      log(`the go-live ${instanceId} run ended without taking request ${request.requestId}; trying the next run`);
      continue;
    }

    const owed = status && !run?.finished ? unpublishedRun(status, now(), run) : undefined;
    if (owed) {
      // The previous run ended (terminated, or failed) without its event: publish it before a run replaces it.
      log(
        `go-live ${instanceId} run ${owed.runId} ended ${status?.runtimeStatus ?? ''} without an event; publishing it`,
      );
      try {
        await publishUnpublished(client, instanceId, owed, options.settings.events);
      } catch (e) {
        lastStartError = e;
      }
      await waitWhileActive(client, instanceId, joinBudget(options), sleep);
      continue;
    }
    const input = newRunInput(request, instanceId, run, options.settings, now(), receivedAt);
    try {
      await client.startNew(ORCHESTRATOR_NAME, { instanceId, input });
    } catch (e) {
      // Another start may have won the race: re-read, and join it on the next round.
      lastStartError = e;
      const after = await client.getStatus(instanceId);
      if (!after || !isActive(after)) throw e;
      log(`go-live ${instanceId} was started concurrently; joining it`);
      continue;
    }
    // The backend's start is a read then a write: a concurrent start may have written its run over ours (only then
    // is the membership asked whether the run shown has the request).
    const shown = await readStatus(client, instanceId);
    if (shown && shown.record.runId !== input.runId && !requestSeen(shown, request.requestId)) {
      lastStartError = new Error(`run ${input.runId} was replaced by a concurrent start`);
      log(`go-live ${instanceId} run ${input.runId} was replaced by a concurrent start; joining the run shown`);
      continue;
    }
    log(`go-live ${instanceId} run ${input.runId} started for request ${request.requestId}`);
    return { kind: 'started', instanceId, runId: input.runId };
  }
  throw new StartConflictError(instanceId, { cause: lastStartError });
}

export function newRunInput(
  request: GoLiveRequest,
  instanceId: string,
  ended: Run | undefined,
  settings: RunSettings,
  now: Date,
  receivedAt: string,
): RunInput {
  const { previousRuns, lastRunNumber } = previousRunsAfter(ended, now);
  const runNumber = lastRunNumber + 1;
  const target: RunTarget = { api: request.api, publisherId: request.publisherId, offerId: request.offerId };
  if (request.productId !== undefined) target.productId = request.productId;
  const first: RunJoin = { requestId: request.requestId, receivedAt };
  if (request.requestedBy !== undefined) first.requestedBy = request.requestedBy;
  return {
    runId: deriveRunId(instanceId, runNumber, request.requestId),
    runNumber,
    target,
    requests: [first],
    startedAt: now.toISOString(),
    deadlineAt: new Date(now.getTime() + settings.deadlineMinutes * 60_000).toISOString(),
    previousRuns,
    settings,
  };
}

/**
 * Waits until the run shows the request (`recorded`), ends or is replaced by another run of the offer without it
 * (`ended`), or the budget runs out. A join the run may have dropped at `continueAsNew` is raised again.
 */
async function confirmJoin(
  client: RunClient,
  instanceId: string,
  runId: string | undefined,
  raised: { join: RunJoin; generation: number },
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void>,
  log: (message: string) => void,
): Promise<'recorded' | 'ended' | 'pending'> {
  const { requestId } = raised.join;
  let raisedAt = raised.generation;
  const answer = await retryUntil(
    policy,
    async () => {
      const run = await readStatus(client, instanceId);
      const { state, resend } = joinState(run, { requestId, runId }, raisedAt);
      if (state === 'recorded' || state === 'ended') return state;
      if (resend && run) {
        raisedAt = run.generation;
        await client.raiseEvent(instanceId, RUN_EVENT.requestJoined, raised.join);
        log(
          `request ${requestId} raised again to go-live ${instanceId}: the run continued as new (generation ${raisedAt})`,
        );
      }
      // A run that is full records no more ids: the message stays on the queue for a later run.
      return state === 'full' ? 'pending' : undefined;
    },
    sleep,
  );
  return answer ?? 'pending';
}

/** Waits (bounded) until the instance is no longer active. */
async function waitWhileActive(
  client: RunClient,
  instanceId: string,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  await retryUntil(
    policy,
    async () => {
      const status = await client.getStatus(instanceId);
      return !status || !isActive(status) ? true : undefined;
    },
    sleep,
  );
}

/** How long the starter waits for a run to show a join or to end: `RUN_STATUS_WAIT`, or the test's budget. */
function joinBudget(options: StarterOptions): RetryPolicy {
  return options.joinConfirmMs === undefined
    ? RUN_STATUS_WAIT
    : { ...RUN_STATUS_WAIT, budgetMs: options.joinConfirmMs };
}

async function readStatus(client: RunClient, instanceId: string): Promise<Run | undefined> {
  const status = await client.getStatus(instanceId);
  return status ? readRun(status) : undefined;
}
