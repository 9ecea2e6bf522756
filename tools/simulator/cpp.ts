/**
 * The Cloud Partner Portal API (`/api/publishers/{publisherId}/offers/{offerId}...`, api-version 2017-10-31) as
 * reference/partner-api.md section 1 describes it. Choices where the reference is silent are marked [UNCONFIRMED]
 * here and in tools/simulator/README.md.
 */
import type { ApiContext, ApiModule, Routed } from './api';
import {
  bearerToken,
  error,
  iso,
  json,
  matchRoute,
  parseObjectBody,
  route,
  type SimRequest,
  type SimResponse,
  unauthorized,
} from './http';
import { type CppOperation, isTerminal, type OfferState, type Phase, phaseAt } from './state';

export const CPP_API_VERSION = '2017-10-31';

interface StepTemplate {
  id: string;
  stepName: string;
  description: string;
  estimatedTimeFrame?: string;
}

/**
 * The publishing pipeline (reference 1.7): Validate Pre-Requisites, Certification, Provisioning, Packaging, the
 * publisher sign-off, Live. A go-live starts at the sign-off: everything before it is behind it (complete) and calling
 * go-live is the sign-off (complete); the steps after it advance over the operation's running time, and a failed
 * outcome blocks the last of them (Live) with an error.
 */
const PREREQUISITES: StepTemplate = {
  id: 'displaydummycertify',
  stepName: 'Validate Pre-Requisites',
  description: 'The offer is checked for what publishing needs.',
  estimatedTimeFrame: '< 15 min',
};
const BEFORE_SIGNOFF_STEPS: StepTemplate[] = [
  PREREQUISITES,
  {
    id: 'displaycertify',
    stepName: 'Certification',
    description: 'The offer is certified against the marketplace policies.',
    estimatedTimeFrame: '< 5 day',
  },
  {
    id: 'displayprovision',
    stepName: 'Provisioning',
    description: 'The offer is replicated to the marketplace regions.',
    estimatedTimeFrame: '< 1 day',
  },
  {
    id: 'displaypackage',
    stepName: 'Packaging and Lead Generation Registration',
    description: 'The offer is packaged and registered for lead generation.',
    estimatedTimeFrame: '< 1 hour',
  },
];
const SIGNOFF_STEP: StepTemplate = {
  id: 'publisher-signoff',
  stepName: 'Publisher signoff',
  description: 'The publisher reviewed the preview and asked for the offer to go live.',
};
const AFTER_SIGNOFF_STEPS: StepTemplate[] = [
  {
    id: 'live',
    stepName: 'Live',
    description: 'The offer is published to production.',
    estimatedTimeFrame: '~2-5 days',
  },
];
const GO_LIVE_FAILURE =
  'Live failed: the offer could not be published to production. Fix the reported issues and go live again.';

interface Message {
  messageHtml: string;
  level: 'information' | 'error';
  timestamp: string;
}

interface StepView {
  id: string;
  stepName: string;
  description: string;
  estimatedTimeFrame?: string;
  status: string;
  progressPercentage: number;
  messages: Message[];
}

function wireStatus(phase: Phase, op: CppOperation): string {
  return phase === 'succeeded' ? op.statusSpelling : phase;
}

function goLiveSteps(op: CppOperation, now: number): { steps: StepView[]; messages: Message[] } {
  const p = phaseAt(op, now);
  // Steps advance over the nominal duration even when the operation never ends (the last step then stays at 99%).
  const nominalEnd = op.createdAt + op.durationMs;
  const active = AFTER_SIGNOFF_STEPS;
  const width = Math.max(1, (nominalEnd - p.runningFrom) / active.length);
  const at = Math.min(now, p.endedAt ?? now);
  const messages: Message[] = [];

  const steps: StepView[] = [
    ...BEFORE_SIGNOFF_STEPS.map((t) => ({ ...t, status: 'complete', progressPercentage: 100, messages: [] })),
    {
      ...SIGNOFF_STEP,
      status: 'complete',
      progressPercentage: 100,
      messages: [{ messageHtml: 'Go live requested.', level: 'information', timestamp: iso(op.createdAt) }],
    },
  ];
  AFTER_SIGNOFF_STEPS.forEach((template, i) => {
    const start = p.runningFrom + i * width;
    const end = start + width;
    const view: StepView = { ...template, status: 'notStarted', progressPercentage: 0, messages: [] };
    if (op.stepTimeFrame !== undefined) view.estimatedTimeFrame = op.stepTimeFrame;
    const isActive = i < active.length;
    const lastActive = i === active.length - 1;
    // The last active step completes only with the operation itself.
    if (p.phase === 'succeeded' || (isActive && !lastActive && at >= end)) {
      view.status = 'complete';
      view.progressPercentage = 100;
      view.messages.push({ messageHtml: 'Step completed.', level: 'information', timestamp: iso(Math.min(end, at)) });
    } else if (isActive && at >= start) {
      view.status = 'inProgress';
      view.progressPercentage = Math.min(99, Math.floor(((at - start) / width) * 100));
      if (p.phase === 'failed' && lastActive) {
        view.status = 'blocked';
        const message: Message = { messageHtml: GO_LIVE_FAILURE, level: 'error', timestamp: iso(at) };
        view.messages.push(message);
        messages.push(message);
      } else if (p.phase === 'canceled') {
        view.status = 'canceled';
        const message: Message = {
          messageHtml: 'The operation was canceled.',
          level: 'information',
          timestamp: iso(at),
        };
        view.messages.push(message);
        messages.push(message);
      }
    }
    steps.push(view);
  });
  if (p.phase === 'canceled' && messages.length === 0) {
    messages.push({ messageHtml: 'The operation was canceled.', level: 'information', timestamp: iso(at) });
  }
  return { steps, messages };
}

function cancelSteps(op: CppOperation, now: number): StepView[] {
  const done = isTerminal(phaseAt(op, now).phase);
  return [
    {
      id: 'cancel',
      stepName: 'Cancel',
      description: 'Cancels the running operation.',
      status: done ? 'complete' : 'inProgress',
      progressPercentage: done ? 100 : 50,
      messages: [],
    },
  ];
}

/** The single-operation object (reference 1.7): a plain object, not the docs' one-element array. */
export function operationView(op: CppOperation, now: number): Record<string, unknown> {
  const p = phaseAt(op, now);
  const { steps, messages } =
    op.kind === 'goLive' ? goLiveSteps(op, now) : { steps: cancelSteps(op, now), messages: [] };
  return {
    id: op.id,
    status: wireStatus(p.phase, op),
    messages,
    publishingVersion: op.publishingVersion,
    offerVersion: op.publishingVersion,
    submissionType: op.kind,
    createdDateTime: iso(op.createdAt),
    lastActionDateTime: iso(p.endedAt ?? op.createdAt),
    // [UNCONFIRMED] values other than `canCancel`.
    cancellationRequestState: isTerminal(p.phase)
      ? 'cannotCancel'
      : op.cancelRequestedAt !== undefined
        ? 'cancelRequested'
        : 'canCancel',
    steps,
    previewLinks: [],
    liveLinks: [],
    notificationEmails: '',
  };
}

/** The list entry (reference 1.7 list shape). `submissionState` is `running` until the operation ends. */
function submissionView(op: CppOperation, offer: OfferState, now: number): Record<string, unknown> {
  const p = phaseAt(op, now);
  const status = wireStatus(p.phase, op);
  return {
    id: op.id,
    offerId: offer.offerId,
    offerVersion: op.publishingVersion,
    offerTypeId: offer.offerTypeId,
    publisherId: offer.publisherId,
    // [UNCONFIRMED] the docs write "Publish/GoLive"; the simulator sends `goLive`.
    submissionType: op.kind,
    submissionState: isTerminal(p.phase) ? status : 'running',
    publishingVersion: op.publishingVersion,
    slot: 'production',
    version: op.createdAt,
    definition: { metadata: {} },
    changedTime: iso(p.endedAt ?? op.createdAt),
    createdDateTime: iso(op.createdAt),
    lastActionDateTime: iso(p.endedAt ?? op.createdAt),
    status,
    ...(p.phase === 'failed' ? { error: GO_LIVE_FAILURE } : {}),
  };
}

const completeStep = (t: StepTemplate) => ({ ...t, status: 'complete', progressPercentage: 100, messages: [] });

/** The steps an offer shows while no go-live runs, by its scenario's `offerStatus`. */
function idleOfferSteps(offerStatus: OfferState['scenario']['offerStatus']): Record<string, unknown>[] {
  const [, certify, provision, pack] = BEFORE_SIGNOFF_STEPS as [StepTemplate, StepTemplate, StepTemplate, StepTemplate];
  const [live] = AFTER_SIGNOFF_STEPS as [StepTemplate];
  const notStarted = (t: StepTemplate) => ({ ...t, status: 'notStarted', progressPercentage: 0, messages: [] });
  switch (offerStatus) {
    case 'certifying':
      return [
        completeStep(PREREQUISITES),
        { ...certify, status: 'inProgress', progressPercentage: 40, messages: [] },
        notStarted(provision),
        notStarted(pack),
        notStarted(SIGNOFF_STEP),
        notStarted(live),
      ];
    case 'live':
      return [PREREQUISITES, certify, provision, pack, SIGNOFF_STEP, live].map(completeStep);
    default:
      return [
        ...[PREREQUISITES, certify, provision, pack].map(completeStep),
        { ...SIGNOFF_STEP, status: 'waitingForPublisherReview', progressPercentage: 0, messages: [] },
        notStarted(live),
      ];
  }
}

/**
 * Offer status (reference 1.9): while a go-live runs, that operation with the offer `running`; otherwise the
 * scenario's `offerStatus`: waiting at publisher sign-off (`running`, also again after each go-live, as if a new
 * preview were published), certification in progress (`running`), or `succeeded` with nothing to sign off.
 */
function offerStatusView(offer: OfferState, now: number): Record<string, unknown> {
  const active = offer.operations.find((op) => op.kind === 'goLive' && !isTerminal(phaseAt(op, now).phase));
  if (active) return { ...operationView(active, now), status: 'running' };
  const offerStatus = offer.scenario.offerStatus;
  return {
    // While the sign-off waits, the top-level status is any documented value (scenario offerTopStatus).
    status:
      offerStatus === 'live'
        ? 'succeeded'
        : offerStatus === 'awaitingSignoff'
          ? offer.scenario.offerTopStatus
          : 'running',
    messages: [],
    steps: idleOfferSteps(offerStatus),
    previewLinks: [],
    liveLinks: [],
    notificationEmails: '',
  };
}

function operationPath(op: CppOperation): string {
  return `/api/publishers/${encodeURIComponent(op.publisherId)}/offers/${encodeURIComponent(op.offerId)}/operations/${op.id}`;
}

/** The non-migrated operation id form (reference 1.10), used by the `location-legacy` scenario. */
export function legacyOperationId(op: CppOperation): string {
  return `${op.publisherId}$${op.offerId}$${op.publishingVersion}$production`;
}

/** The operation URL header(s) the scenario asks for (reference 1.10). */
function operationUrlHeaders(op: CppOperation, offer: OfferState, ctx: ApiContext): Record<string, string> {
  const relative = `${operationPath(op)}?api-version=${CPP_API_VERSION}`;
  // The 2018 docs print the absolute Operation-Location without the api-version query.
  const absolute = `${ctx.url}${operationPath(op)}`;
  const headers: Record<string, string> = {};
  switch (offer.scenario.locationHeader) {
    case 'location-relative':
      headers['Location'] = relative;
      break;
    case 'location-legacy':
      headers['Location'] =
        op.kind === 'goLive' ? `/api/operations/${legacyOperationId(op)}?api-version=${CPP_API_VERSION}` : relative;
      break;
    case 'operation-location-absolute':
      headers['Operation-Location'] = absolute;
      break;
    case 'both':
      headers['Location'] = relative;
      headers['Operation-Location'] = absolute;
      break;
    case 'hostile':
      headers['Location'] = `${ctx.otherOriginUrl}${relative}`;
      headers['Operation-Location'] = `${ctx.otherOriginUrl}${relative}`;
      break;
  }
  const retryAfter = offer.scenario.operationRetryAfterSeconds;
  if (retryAfter > 0) headers['Retry-After'] = String(retryAfter);
  return headers;
}

const CONFLICT_CODES: Record<number, string> = {
  400: 'BadRequest',
  409: 'Conflict',
  412: 'PreconditionFailed',
  422: 'UnprocessableEntity',
};

type Handler = (offer: OfferState, params: Record<string, string>, req: SimRequest, ctx: ApiContext) => SimResponse;

function goLive(offer: OfferState, _p: Record<string, string>, req: SimRequest, ctx: ApiContext): SimResponse {
  if (parseObjectBody(req.body) === undefined) {
    return error(400, 'BadRequest', 'The request body must be empty or a JSON object.');
  }
  const running = ctx.state.activeOperation(offer);
  if (running) {
    // [UNCONFIRMED] the docs only say one operation per offer may run; the answer is the scenario's conflictStatus.
    const status = offer.scenario.conflictStatus;
    return error(
      status,
      CONFLICT_CODES[status] ?? 'Conflict',
      `Offer '${offer.offerId}' already has a running operation (${running.id}); cancel it or wait until it ends.`,
    );
  }
  if (offer.scenario.offerStatus !== 'awaitingSignoff') {
    // [UNCONFIRMED] what the API answers to a go-live before sign-off; the simulator refuses it with a 400.
    return error(400, 'BadRequest', `Offer '${offer.offerId}' is not waiting for the publisher's sign-off.`);
  }
  const op = ctx.state.createGoLive(offer);
  return { status: 202, headers: operationUrlHeaders(op, offer, ctx) };
}

function cancel(offer: OfferState, _p: Record<string, string>, req: SimRequest, ctx: ApiContext): SimResponse {
  if (parseObjectBody(req.body) === undefined) {
    return error(400, 'BadRequest', 'The request body must be empty or a JSON object.');
  }
  if (offer.scenario.cancelResponse === 'ok') {
    ctx.state.cancelRunning(offer, 0);
    return { status: 200 };
  }
  // 202 whether or not something was running (observed); the running operation shows `canceled` after cancelDelayMs.
  const { cancelOp } = ctx.state.cancelRunning(offer, offer.scenario.cancelDelayMs);
  return { status: 202, headers: operationUrlHeaders(cancelOp, offer, ctx) };
}

function getOperation(offer: OfferState, params: Record<string, string>, _r: SimRequest, ctx: ApiContext) {
  const op = offer.operations.find((o) => o.id.toLowerCase() === params['operationId']?.toLowerCase());
  if (!op) return error(404, 'NotFound', `Operation '${params['operationId']}' was not found for this offer.`);
  return operationResponse(op, offer, ctx);
}

function operationResponse(op: CppOperation, offer: OfferState, ctx: ApiContext): SimResponse {
  const now = ctx.state.now();
  const retryAfter = offer.scenario.operationRetryAfterSeconds;
  const running = !isTerminal(phaseAt(op, now).phase);
  return json(
    200,
    withExtras(offer, operationView(op, now)),
    running && retryAfter > 0 ? { 'Retry-After': String(retryAfter) } : {},
  );
}

function listSubmissions(offer: OfferState, _p: Record<string, string>, req: SimRequest, ctx: ApiContext) {
  const now = ctx.state.now();
  const filter = req.query.get('status')?.toLowerCase();
  const all = offer.operations.filter((op) => op.kind === 'goLive').map((op) => submissionView(op, offer, now));
  const wanted =
    filter === undefined || filter === '' || filter === 'all'
      ? all
      : all.filter((s) => String(s['submissionState']).toLowerCase() === filter);
  return json(
    200,
    wanted.map((w) => withExtras(offer, w)),
  );
}

/** Unknown fields a newer API version might add (scenario `extraFields`): a client must ignore them. */
function withExtras(offer: OfferState, o: Record<string, unknown>): Record<string, unknown> {
  return offer.scenario.extraFields
    ? {
        ...o,
        etag: 'W/"1"',
        resourceType: 'futureResource',
        futureField: { note: 'a field this client does not know' },
      }
    : o;
}

function offerView(offer: OfferState) {
  return {
    offerTypeId: offer.offerTypeId,
    publisherId: offer.publisherId,
    id: offer.offerId,
    version: offer.publishingVersion,
    definition: { displayText: offer.offerId, offer: {}, plans: [] },
  };
}

const ROUTES = [
  route<Handler>('GET', 'publishers/:publisherId/offers/:offerId', (offer) => json(200, offerView(offer))),
  route<Handler>('GET', 'publishers/:publisherId/offers/:offerId/status', (offer, _p, _r, ctx) =>
    json(200, withExtras(offer, offerStatusView(offer, ctx.state.now()))),
  ),
  route<Handler>('POST', 'publishers/:publisherId/offers/:offerId/golive', goLive),
  route<Handler>('POST', 'publishers/:publisherId/offers/:offerId/cancel', cancel),
  route<Handler>('GET', 'publishers/:publisherId/offers/:offerId/submissions', listSubmissions),
  route<Handler>('GET', 'publishers/:publisherId/offers/:offerId/operations/:operationId', getOperation),
];

const fixed = (response: SimResponse, ids: { publisherId?: string; offerId?: string } = {}): Routed => ({
  api: 'cpp',
  ...ids,
  respond: () => response,
});

/** `GET /api/operations/{publisherId}${offerId}${version}$production`: a go-live named in the non-migrated form. */
function legacyOperation(legacyId: string, ctx: ApiContext): Routed {
  const [publisherId, offerId, version] = legacyId.split('$');
  const ids = { ...(publisherId ? { publisherId } : {}), ...(offerId ? { offerId } : {}) };
  const offer = publisherId && offerId ? ctx.state.getOffer(publisherId, offerId) : undefined;
  const op = offer?.operations.find((o) => o.kind === 'goLive' && String(o.publishingVersion) === version);
  if (!offer || !op) return fixed(error(404, 'NotFound', `Operation '${legacyId}' was not found.`), ids);
  return { api: 'cpp', ...ids, offer, respond: () => operationResponse(op, offer, ctx) };
}

/** Routes a request under `/api/`: token, api-version, route, publisher and offer checks, in that order. */
export const cppApi: ApiModule = (req, ctx) => {
  const segments = req.segments.slice(1);
  const ids = {
    ...(segments[0] === 'publishers' && segments[1] !== undefined ? { publisherId: segments[1] } : {}),
    ...(segments[2] === 'offers' && segments[3] !== undefined ? { offerId: segments[3] } : {}),
  };
  if (bearerToken(req.headers) !== ctx.token) {
    return fixed(unauthorized('Unauthorized'), ids);
  }
  if (req.query.get('api-version') !== CPP_API_VERSION) {
    return fixed(error(400, 'InvalidAPIVersion', `Invalid api version. Allowed values are [${CPP_API_VERSION}]`), ids);
  }
  if (segments.length === 2 && segments[0] === 'operations' && req.method === 'GET') {
    return legacyOperation(segments[1] as string, ctx);
  }
  if (segments.length === 3 && segments[0] === 'publishers' && segments[2] === 'offers' && req.method === 'GET') {
    const publisherId = segments[1] as string;
    if (!ctx.state.hasPublisher(publisherId)) {
      return fixed(error(404, 'NotFound', `Publisher '${publisherId}' was not found.`), ids);
    }
    return fixed(json(200, ctx.state.listOffers(publisherId).map(offerView)), ids);
  }
  const match = matchRoute(ROUTES, req.method, segments);
  if (match.kind === 'notFound') return fixed(error(404, 'NotFound', `No resource at ${req.path}.`), ids);
  if (match.kind === 'methodNotAllowed') {
    return fixed(
      error(405, 'MethodNotAllowed', `${req.method} is not allowed here.`, { Allow: match.allowed.join(', ') }),
      ids,
    );
  }
  const publisherId = match.params['publisherId'] as string;
  const offerId = match.params['offerId'] as string;
  if (!ctx.state.hasPublisher(publisherId)) {
    return fixed(error(404, 'NotFound', `Publisher '${publisherId}' was not found.`), ids);
  }
  const offer = ctx.state.getOffer(publisherId, offerId);
  if (!offer)
    return fixed(error(404, 'NotFound', `Offer '${offerId}' was not found for publisher '${publisherId}'.`), ids);
  return { api: 'cpp', ...ids, offer, respond: () => match.handler(offer, match.params, req, ctx) };
};
