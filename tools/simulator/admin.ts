/**
 * The admin surface: the programmatic `SimulatorAdmin` and the same operations over HTTP under `/_admin/` (JSON),
 * for tests that run the simulator in another process. Admin requests are not recorded and need no token.
 */
import { z } from 'zod';

import { error, json, matchRoute, route, type SimRequest, type SimResponse } from './http';
import { type SimulatorState, UnknownOfferError } from './state';
import type { RequestFilter, ScenarioPatch, SimulatorAdmin } from './types';
import { variantNamed, VARIANTS } from './variants';

const count = z.number().int().min(0);
const scenarioPatchSchema = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'canceled']).optional(),
  durationMs: count.optional(),
  jobDurationMs: count.optional(),
  jobError: z.enum(['none', 'certification', 'productLocked', 'serverError']).optional(),
  identityKey: z.enum(['externalId', 'externalID']).optional(),
  previewAlreadyLive: z.boolean().optional(),
  offerStatus: z.enum(['awaitingSignoff', 'certifying', 'live']).optional(),
  throttle: z.strictObject({ count: count.optional(), retryAfterSeconds: count.optional() }).optional(),
  serverErrors: z
    .strictObject({ count: count.optional(), status: z.number().int().min(500).max(599).optional() })
    .optional(),
  latencyMs: count.optional(),
  resetConnections: z
    .strictObject({ count: count.optional(), phase: z.enum(['before', 'after']).optional() })
    .optional(),
  neverEnds: z.boolean().optional(),
  locationHeader: z
    .enum(['location-relative', 'operation-location-absolute', 'both', 'hostile', 'location-legacy'])
    .optional(),
  statusSpelling: z.enum(['complete', 'completed']).optional(),
  conflictStatus: z.number().int().min(400).max(599).optional(),
  cancelDelayMs: count.optional(),
  cancelResponse: z.enum(['accepted', 'ok']).optional(),
  operationRetryAfterSeconds: count.optional(),
  pageSize: count.optional(),
  nextLinkForm: z.enum(['absolute', 'relative']).optional(),
  jobDetail: z.enum(['full', 'empty', 'fails']).optional(),
  noPreviewEntry: z.boolean().optional(),
  lateListingMs: count.optional(),
  jobIdKey: z.enum(['jobId', 'jobID']).optional(),
  extraFields: z.boolean().optional(),
  offerTopStatus: z
    .enum(['neverPublished', 'notStarted', 'waitingForPublisherReview', 'running', 'succeeded', 'canceled', 'failed'])
    .optional(),
  stepTimeFrame: z.string().min(1).max(50).optional(),
});

const idSchema = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"');

const addOfferSchema = z.strictObject({
  publisherId: idSchema,
  offerId: idSchema,
  scenario: scenarioPatchSchema.optional(),
});

/** A scenario patch was not valid; the message lists each problem. */
export class InvalidScenarioError extends Error {
  readonly code = 'InvalidScenario';
  override readonly name = 'InvalidScenarioError';
}

function parse<T>(schemaToUse: z.ZodType<T>, value: unknown): T {
  const result = schemaToUse.safeParse(value);
  if (!result.success) {
    throw new InvalidScenarioError(
      result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

/** Nested objects may be given in part (e.g. `{ throttle: { count: 2 } }`); they merge into the current values. */
const asPatch = (value: unknown): ScenarioPatch => parse(scenarioPatchSchema, value);

export function createAdmin(state: SimulatorState): SimulatorAdmin {
  return {
    addOffer(publisherId, offerId, scenario = {}) {
      parse(addOfferSchema, { publisherId, offerId, scenario });
      state.addOffer(publisherId, offerId, asPatch(scenario));
    },
    setScenario(publisherId, offerId, scenario) {
      state.setScenario(publisherId, offerId, asPatch(scenario));
    },
    getScenario(publisherId, offerId) {
      return structuredClone(state.requireOffer(publisherId, offerId).scenario);
    },
    requests: (filter) => state.requests(filter),
    resetRequests: () => state.resetRequests(),
    reset: () => state.reset(),
  };
}

type AdminHandler = (params: Record<string, string>, req: SimRequest) => SimResponse;

function bodyOf(req: SimRequest): unknown {
  if (req.body.trim() === '') return {};
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    throw new InvalidScenarioError('the body is not JSON');
  }
}

function requestFilter(query: URLSearchParams): RequestFilter {
  const filter: RequestFilter = {};
  for (const key of ['method', 'publisherId', 'offerId', 'pathIncludes'] as const) {
    const value = query.get(key);
    if (value) filter[key] = value;
  }
  const origin = query.get('origin');
  if (origin === 'primary' || origin === 'other') filter.origin = origin;
  return filter;
}

export function createAdminHttp(state: SimulatorState, admin: SimulatorAdmin): (req: SimRequest) => SimResponse {
  const offerJson = (publisherId: string, offerId: string) => {
    const offer = state.requireOffer(publisherId, offerId);
    return {
      publisherId,
      offerId,
      offerTypeId: offer.offerTypeId,
      productId: `product/${offer.product.guid}`,
      scenario: offer.scenario,
    };
  };
  const routes = [
    route<AdminHandler>('GET', 'offers', () =>
      json(
        200,
        state.listOffers().map((o) => offerJson(o.publisherId, o.offerId)),
      ),
    ),
    route<AdminHandler>('POST', 'offers', (_p, req) => {
      const body = parse(addOfferSchema, bodyOf(req));
      admin.addOffer(body.publisherId, body.offerId, asPatch(body.scenario ?? {}));
      return json(201, offerJson(body.publisherId, body.offerId));
    }),
    route<AdminHandler>('GET', 'offers/:publisherId/:offerId/scenario', (p) =>
      json(200, admin.getScenario(p['publisherId'] as string, p['offerId'] as string)),
    ),
    route<AdminHandler>('PUT', 'offers/:publisherId/:offerId/scenario', (p, req) => {
      admin.setScenario(p['publisherId'] as string, p['offerId'] as string, asPatch(bodyOf(req)));
      return json(200, admin.getScenario(p['publisherId'] as string, p['offerId'] as string));
    }),
    route<AdminHandler>('GET', 'variants', () => json(200, VARIANTS)),
    route<AdminHandler>('PUT', 'offers/:publisherId/:offerId/variant/:name', (p) => {
      let variant;
      try {
        variant = variantNamed(p['name'] as string);
      } catch (e) {
        return error(404, 'NotFound', e instanceof Error ? e.message : String(e));
      }
      admin.setScenario(p['publisherId'] as string, p['offerId'] as string, variant.patch);
      return json(200, admin.getScenario(p['publisherId'] as string, p['offerId'] as string));
    }),
    route<AdminHandler>('GET', 'requests', (_p, req) => json(200, admin.requests(requestFilter(req.query)))),
    route<AdminHandler>('DELETE', 'requests', () => {
      admin.resetRequests();
      return { status: 204 };
    }),
    route<AdminHandler>('POST', 'reset', () => {
      admin.reset();
      return { status: 204 };
    }),
  ];

  return (req) => {
    const match = matchRoute(routes, req.method, req.segments.slice(1));
    if (match.kind === 'notFound') return error(404, 'NotFound', `No admin resource at ${req.path}.`);
    if (match.kind === 'methodNotAllowed') {
      return error(405, 'MethodNotAllowed', `${req.method} is not allowed here.`, { Allow: match.allowed.join(', ') });
    }
    try {
      return match.handler(match.params, req);
    } catch (e) {
      if (e instanceof InvalidScenarioError) return error(400, 'BadRequest', e.message);
      if (e instanceof UnknownOfferError) return error(404, 'NotFound', e.message);
      throw e;
    }
  };
}
