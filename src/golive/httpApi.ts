import type { PartnerApiKind } from '../partner/types';
import { own, sleep } from '../util';
import { RUN_EVENT } from './contracts';
import { ID_PATTERN, validateGoLiveRequest } from './request';
import { runInstanceId } from './run/identity';
import { ACTIVE_RUNTIME_STATUSES, type InstanceStatus, isActive, RUN_OUTCOMES } from './run/record';
import {
  isRunStatus,
  matchesState,
  needsInput,
  type RunView,
  runView,
  STATE_FILTERS,
  type StateFilter,
} from './run/view';

/**
 * The HTTP API of the Function App (routes under `/api/golive`), as plain functions over a small Durable client
 * interface. Errors answer `{ error: { code, message } }`.
 *
 * - `POST /api/golive/{publisherId}/{offerId}`: 202 + `Location` (status URL) + `{ requestId, ... }`; the request
 *   goes onto `golive-requests`, the same path upstream systems use.
 * - `GET /api/golive/{publisherId}/{offerId}`: 200 with the current or last run; 404 when the offer never ran.
 * - `GET /api/golive?state=&limit=`: 200 `{ runs: [...] }`, most recently updated first.
 * - `POST /api/golive/{publisherId}/{offerId}/cancel`: 202 when the cancel was raised to the active run; 404 when
 *   the offer never ran; 409 with the run when its last run has already ended or has its outcome and is publishing
 *   its completion event (nothing to cancel).
 */

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  jsonBody: unknown;
}

export interface StatusClient {
  getStatus(instanceId: string): Promise<InstanceStatus | undefined>;
  listInstances(runtimeStatus: string[] | undefined): Promise<InstanceStatus[]>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

export function apiError(status: number, code: string, message: string): ApiResponse {
  return { status, jsonBody: { error: { code, message } } };
}

type Params = Record<string, string | undefined>;

function offerParams(params: Params): { publisherId: string; offerId: string } | ApiResponse {
  const { publisherId, offerId } = params;
  if (publisherId === undefined || !ID_PATTERN.test(publisherId)) {
    return apiError(400, 'InvalidPublisherId', 'publisherId must be 1-50 lowercase letters, digits, "-" or "_"');
  }
  if (offerId === undefined || !ID_PATTERN.test(offerId)) {
    return apiError(400, 'InvalidOfferId', 'offerId must be 1-50 lowercase letters, digits, "-" or "_"');
  }
  return { publisherId, offerId };
}

function isResponse(v: unknown): v is ApiResponse {
  return typeof v === 'object' && v !== null && 'status' in v && 'jsonBody' in v;
}

export const MAX_BODY_CHARS = 4_096;

export interface PostOptions {
  defaultApi: PartnerApiKind;
  /** Absolute status URL of an offer (built from the request's own origin). */
  statusUrl(publisherId: string, offerId: string): string;
  newRequestId(): string;
}

/**
 * Validates `POST /api/golive/{publisherId}/{offerId}` with an optional JSON body (`requestedBy`, `requestId`,
 * `api`, `productId`) and returns the queue message to enqueue. The route's ids win over any in the body.
 */
export function requestFromPost(
  params: Params,
  bodyText: string,
  options: PostOptions,
): { response: ApiResponse; message?: string } {
  const ids = offerParams(params);
  if (isResponse(ids)) return { response: ids };
  let body: Record<string, unknown> = {};
  if (bodyText.length > MAX_BODY_CHARS) {
    return { response: apiError(413, 'BodyTooLarge', `the body must be at most ${MAX_BODY_CHARS} characters`) };
  }
  if (bodyText.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      return { response: apiError(400, 'InvalidJson', 'the body must be JSON (or empty)') };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { response: apiError(400, 'InvalidBody', 'the body must be a JSON object') };
    }
    body = parsed as Record<string, unknown>;
  }
  const requestId = options.newRequestId();
  const candidate = {
    requestedBy: own(body, 'requestedBy') ?? 'http',
    requestId: own(body, 'requestId'),
    api: own(body, 'api'),
    productId: own(body, 'productId'),
    publisherId: ids.publisherId,
    offerId: ids.offerId,
  };
  const result = validateGoLiveRequest(candidate, { messageId: requestId, defaultApi: options.defaultApi });
  if (!result.ok) return { response: apiError(400, 'InvalidRequest', result.reason) };
  const request = result.request;
  const message: Record<string, string> = {
    publisherId: request.publisherId,
    offerId: request.offerId,
    requestId: request.requestId,
  };
  if (request.requestedBy !== undefined) message.requestedBy = request.requestedBy;
  if (own(body, 'api') !== undefined) message.api = request.api;
  if (request.productId !== undefined) message.productId = request.productId;
  const statusUrl = options.statusUrl(request.publisherId, request.offerId);
  return {
    response: {
      status: 202,
      headers: { Location: statusUrl, 'Retry-After': '10' },
      jsonBody: {
        requestId: request.requestId,
        publisherId: request.publisherId,
        offerId: request.offerId,
        statusUrl,
        cancelUrl: `${statusUrl}/cancel`,
      },
    },
    message: JSON.stringify(message),
  };
}

export async function getRun(params: Params, client: StatusClient): Promise<ApiResponse> {
  const ids = offerParams(params);
  if (isResponse(ids)) return ids;
  const status = await client.getStatus(runInstanceId(ids));
  const view = status ? runView({ ...status, instanceId: status.instanceId ?? runInstanceId(ids) }) : undefined;
  if (!view) return apiError(404, 'NotFound', `no go-live has run for ${ids.publisherId}/${ids.offerId}`);
  return { status: 200, jsonBody: view };
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 200;

const RUNTIME_STATUSES_FOR: Record<StateFilter, string[] | undefined> = {
  running: [...ACTIVE_RUNTIME_STATUSES],
  pending: ['Pending'],
  submitting: ['Running', 'ContinuedAsNew'],
  polling: ['Running', 'ContinuedAsNew'],
  canceling: ['Running'],
  succeeded: ['Completed'],
  failed: ['Completed', 'Failed', 'Canceled'],
  canceled: ['Completed'],
  timedOut: ['Completed'],
  terminated: ['Terminated'],
};

export async function listRuns(query: URLSearchParams, client: StatusClient): Promise<ApiResponse> {
  const state = query.get('state');
  if (state !== null && !(STATE_FILTERS as readonly string[]).includes(state)) {
    return apiError(400, 'InvalidState', `state must be one of ${STATE_FILTERS.join(', ')}`);
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    return apiError(400, 'InvalidLimit', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  const filter = state === null ? undefined : (state as StateFilter);
  const instances = (await client.listInstances(filter ? RUNTIME_STATUSES_FOR[filter] : undefined))
    .filter(isRunStatus)
    .sort((a, b) => time(b.lastUpdatedTime) - time(a.lastUpdatedTime));
  const runs: RunView[] = [];
  for (const listed of instances) {
    if (runs.length >= limit) break;
    // Listings may leave inputs out; read such a run on its own.
    const status = needsInput(listed) && listed.instanceId ? await client.getStatus(listed.instanceId) : listed;
    const view = status ? runView({ ...status, instanceId: listed.instanceId ?? '' }) : undefined;
    if (view && (!filter || matchesState(view, filter))) runs.push(view);
  }
  return { status: 200, jsonBody: { runs, count: runs.length, ...(filter ? { state: filter } : {}) } };
}

export async function cancelRun(
  params: Params,
  bodyText: string,
  client: StatusClient,
  statusUrl: (publisherId: string, offerId: string) => string,
  now: Date,
  options: CancelOptions = {},
): Promise<ApiResponse> {
  const ids = offerParams(params);
  if (isResponse(ids)) return ids;
  let requestedBy: string | undefined;
  if (bodyText.trim() !== '' && bodyText.length <= MAX_BODY_CHARS) {
    try {
      const body: unknown = JSON.parse(bodyText);
      const by = typeof body === 'object' && body !== null ? own(body, 'requestedBy') : undefined;
      if (typeof by === 'string') requestedBy = by.slice(0, 200);
    } catch {
      return apiError(400, 'InvalidJson', 'the body must be JSON (or empty)');
    }
  }
  const instanceId = runInstanceId(ids);
  const status = await client.getStatus(instanceId);
  if (!status) return apiError(404, 'NotFound', `no go-live has run for ${ids.publisherId}/${ids.offerId}`);
  const view = runView({ ...status, instanceId });
  // A run whose outcome is decided shows it in its status before it publishes its event and completes: it has
  // ended as far as a caller can tell (the event may be out already), and a cancel would reach it too late.
  if (!isActive(status) || (view !== undefined && isOutcome(view.state))) {
    return {
      status: 409,
      jsonBody: {
        error: { code: 'RunEnded', message: `the last go-live of ${ids.publisherId}/${ids.offerId} has already ended` },
        run: view ?? null,
      },
    };
  }
  const cancelEvent = { requestedAt: now.toISOString(), ...(requestedBy !== undefined ? { requestedBy } : {}) };
  await client.raiseEvent(instanceId, RUN_EVENT.cancel, cancelEvent);
  // An event that reaches the run in the same batch as its continueAsNew is dropped by the runtime: when the run
  // has not taken the cancel after a moment, raise it once more (a run takes at most one cancel).
  if (!(await cancelTaken(client, instanceId, options))) {
    await client.raiseEvent(instanceId, RUN_EVENT.cancel, cancelEvent);
  }
  const url = statusUrl(ids.publisherId, ids.offerId);
  return {
    status: 202,
    headers: { Location: url },
    jsonBody: { publisherId: ids.publisherId, offerId: ids.offerId, runId: view?.runId ?? null, statusUrl: url },
  };
}

export interface CancelOptions {
  /** How long to watch for the run taking the cancel before raising it again (default 3 s). */
  confirmMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Whether the run shows it took the cancel (state canceling or ended) within the confirmation time. */
async function cancelTaken(client: StatusClient, instanceId: string, options: CancelOptions): Promise<boolean> {
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const budget = options.confirmMs ?? 3_000;
  for (let waited = 0; ; waited += 250) {
    const status = await client.getStatus(instanceId);
    if (!status || !isActive(status)) return true;
    if (runView({ ...status, instanceId })?.state === 'canceling') return true;
    if (waited >= budget) return false;
    await wait(250);
  }
}

function isOutcome(state: string): boolean {
  return (RUN_OUTCOMES as readonly string[]).includes(state);
}

function time(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(t) ? 0 : t;
}
