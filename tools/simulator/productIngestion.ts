/**
 * The Partner Center Product Ingestion API (`/rp/product-ingestion/...`, `$version` query) as reference/partner-api.md
 * sections 2 and 2A describe it: find a product, list its submissions, push a preview submission live with
 * `configure`, poll the job, cancel it. A go-live runs in two parts, as the real API shows them: the configure job
 * completes in seconds, then a `live` submission with the preview's id runs for the scenario's duration (beside the
 * older live entry) and ends as the scenario says. Submission ids end in 19-digit numbers past 2^53. Every seeded
 * offer is also a product whose external id is the offer id.
 */
import { randomUUID } from 'node:crypto';

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
import { isTerminal, liveTimeline, type OfferState, phaseAt, type PiJob, type PiProduct, pushesLive } from './state';

export const PI_BASE_PATH = '/rp/product-ingestion';
const SCHEMA_HOST = 'https://schema.mp.microsoft.com/schema';
/** The sentinel `jobEnd` of a job that has not finished. */
const NOT_ENDED = '0001-01-01T00:00:00';
const STALE_SUBMISSION = 'The submission cannot be pushed to live as its not the latest submission.';

const schema = (resource: string, version: string) => `${SCHEMA_HOST}/${resource}/${version}`;

const CERTIFICATION_DETAIL =
  'The submission failed Certification: the offer did not pass the marketplace certification; fix the reported issues and publish again.';

/** The job's `errors[]`: top-level codes as cloudpub saw them, with nested `details` (reference 2A). */
function jobErrors(job: PiJob): unknown[] {
  if (job.collidesWith !== undefined) {
    return [
      {
        code: 'internalServerError',
        message: `An In Progress submission ${job.collidesWith} already exists.`,
        details: [],
        resourceId: job.submission.id,
      },
    ];
  }
  if (job.staleSubmission) {
    return [{ code: 'conflict', message: STALE_SUBMISSION, details: [], resourceId: job.submission.id }];
  }
  if (job.jobError === 'serverError') {
    return [{ code: 'internalServerError', message: 'Operation failed', details: [] }];
  }
  if (job.jobError === 'productLocked') {
    return [
      {
        code: 'internalServerError',
        message: 'Operation failed',
        details: [{ code: 'productLocked', message: 'The product is locked by another change in progress.' }],
        // resourceId comes as a string or as an object; this one is an object.
        resourceId: { id: job.submission.id, type: 'submission' },
      },
    ];
  }
  return [
    {
      code: 'internalServerError',
      message: 'Operation failed',
      details: [{ code: 'invalidState', message: CERTIFICATION_DETAIL }],
      resourceId: job.submission.id,
    },
  ];
}

/** Unknown fields a newer API version might add: a client must ignore them (scenario `extraFields`). */
export const EXTRA_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({
  '@odata.etag': 'W/"datetime\'2026-01-01T00%3A00%3A00Z\'"',
  validations: [],
  futureField: { note: 'a field this client does not know' },
});

const extras = (offer: OfferState | undefined, o: Record<string, unknown>) =>
  offer?.scenario.extraFields ? { ...o, ...EXTRA_FIELDS } : o;

/** The configure-status object (reference 2.5); the job id under `jobId` or `jobID` (scenario `jobIdKey`). */
export function jobStatusView(job: PiJob, now: number, offer?: OfferState): Record<string, unknown> {
  const p = phaseAt(job, now);
  const done = isTerminal(p.phase);
  const jobResult =
    p.phase === 'succeeded'
      ? 'succeeded'
      : p.phase === 'failed'
        ? 'failed'
        : p.phase === 'canceled'
          ? 'cancelled'
          : 'pending';
  return extras(offer, {
    $schema: schema('configure-status', job.schemaVersion),
    [offer?.scenario.jobIdKey ?? 'jobId']: job.jobId,
    jobStatus: done ? 'completed' : p.phase,
    jobResult,
    jobStart: iso(job.createdAt),
    jobEnd: p.endedAt === undefined ? NOT_ENDED : iso(p.endedAt),
    errors: p.phase === 'failed' ? jobErrors(job) : [],
  });
}

function submissionEntry(
  product: PiProduct,
  s: { id: string; created: number; targetType: string },
  version: string,
  extra: Record<string, unknown>,
) {
  return {
    $schema: schema('submission', version),
    id: s.id,
    product: `product/${product.guid}`,
    target: { targetType: s.targetType },
    lifecycleState: 'generallyAvailable',
    created: iso(s.created),
    ...extra,
  };
}

interface LiveEntry {
  id: string;
  created: number;
  status: string;
  result: string;
}

/**
 * The product's submissions: the draft (no status), the preview, and the `live` entries: the version live before
 * (or, when the preview was promoted already, the preview's id), plus one per job that pushed the preview, `running`
 * while it goes live beside the older entry, then `completed` with its result. A live submission that succeeds
 * replaces the older live entries: preview and live then share an id.
 */
function submissionsView(offer: OfferState, version: string, now: number): Record<string, unknown>[] {
  const product = offer.product;
  const promoted = offer.scenario.previewAlreadyLive || offer.scenario.noPreviewEntry;
  const previous = promoted ? product.preview : product.previousLive;
  let live: LiveEntry[] = [{ id: previous.id, created: previous.created, status: 'completed', result: 'succeeded' }];
  for (const job of product.jobs) {
    const timeline = liveTimeline(job, now);
    if (!timeline) continue;
    // Eventual consistency: the pushed submission is listed only lateListingMs after its job completed.
    if (now < timeline.createdAt + (job.lateListingMs ?? 0)) continue;
    const phase = phaseAt(timeline, now).phase;
    if (phase === 'canceled') continue;
    const entry: LiveEntry = {
      id: job.submission.id,
      created: timeline.createdAt,
      status: isTerminal(phase) ? 'completed' : phase,
      result: phase === 'succeeded' ? 'succeeded' : phase === 'failed' ? 'failed' : 'pending',
    };
    live = phase === 'succeeded' ? [entry] : [...live, entry];
  }
  return [
    submissionEntry(product, product.draft, version, {}),
    ...(offer.scenario.noPreviewEntry
      ? []
      : [submissionEntry(product, product.preview, version, { status: 'completed', result: 'succeeded' })]),
    ...live.map((l) =>
      submissionEntry(product, { id: l.id, created: l.created, targetType: 'live' }, version, {
        status: l.status,
        result: l.result,
      }),
    ),
  ];
}

function productView(offer: OfferState, version: string) {
  return {
    $schema: schema('product', version),
    id: `product/${offer.product.guid}`,
    identity: { [offer.scenario.identityKey]: offer.product.externalId },
    type: offer.product.type,
    alias: offer.offerId,
  };
}

interface ConfigureRequest {
  offer: OfferState;
  submissionId?: string;
  targetType: string;
}

/** Reads the submission resource out of a configure body. Returns an error answer when it cannot. */
function parseConfigure(req: SimRequest, ctx: ApiContext): ConfigureRequest | SimResponse {
  const body = parseObjectBody(req.body);
  const resources = body?.['resources'];
  if (!Array.isArray(resources) || resources.length === 0) {
    return error(400, 'badRequest', 'The body must be a configure object with a non-empty "resources" array.');
  }
  const resource: unknown = resources.find(
    (r: unknown) => typeof r === 'object' && r !== null && 'target' in r && 'product' in r,
  );
  if (typeof resource !== 'object' || resource === null) {
    return error(400, 'badRequest', 'No submission resource (with "product" and "target") in "resources".');
  }
  const r = resource as Record<string, unknown>;
  const target = r['target'] as Record<string, unknown> | null;
  const targetType = typeof target?.['targetType'] === 'string' ? target['targetType'] : '';
  const product = r['product'];
  let offer: OfferState | undefined;
  if (typeof product === 'string' && product.startsWith('product/')) {
    offer = ctx.state.offerByProductGuid(product.slice('product/'.length));
  } else if (typeof product === 'object' && product !== null) {
    const externalId = (product as Record<string, unknown>)['externalId'];
    offer = typeof externalId === 'string' ? ctx.state.offerByExternalId(externalId) : undefined;
  }
  if (!offer) return error(404, 'notFound', 'The product of the submission resource was not found.');
  return { offer, targetType, ...(typeof r['id'] === 'string' ? { submissionId: r['id'] } : {}) };
}

/** The submission of the product still being processed (a running job, or a live submission not completed). */
function inProgressSubmission(product: PiProduct, now: number): string | undefined {
  for (const job of product.jobs) {
    if (job.collidesWith !== undefined || job.staleSubmission) continue;
    if (!isTerminal(phaseAt(job, now).phase)) return job.submission.number;
    const timeline = liveTimeline(job, now);
    if (timeline && !isTerminal(phaseAt(timeline, now).phase)) return job.submission.number;
  }
  return undefined;
}

function configure(c: ConfigureRequest, version: string, ctx: ApiContext): SimResponse {
  if (c.targetType !== 'live') {
    return error(
      400,
      'badRequest',
      'The simulator pushes preview submissions to live only (target.targetType "live").',
    );
  }
  const product = c.offer.product;
  const now = ctx.state.now();
  const inProgress = inProgressSubmission(product, now);
  const stale = c.submissionId !== undefined && c.submissionId !== product.preview.id;
  const s = c.offer.scenario;
  // Refused jobs (collision, stale id) fail at once: the status read shows them completed and failed.
  const refused = inProgress !== undefined || stale;
  const jobError = !refused && s.jobError !== 'none' ? s.jobError : undefined;
  const job: PiJob = {
    jobId: randomUUID(),
    productGuid: product.guid,
    offerKey: `${c.offer.publisherId}/${c.offer.offerId}`,
    submission: product.preview,
    createdAt: now,
    durationMs: refused ? 0 : s.jobDurationMs,
    outcome: refused || jobError !== undefined ? 'failed' : 'succeeded',
    neverEnds: false,
    live: { durationMs: s.durationMs, outcome: s.outcome, neverEnds: s.neverEnds },
    lateListingMs: s.lateListingMs,
    schemaVersion: version,
    ...(inProgress !== undefined ? { collidesWith: inProgress } : stale ? { staleSubmission: true } : {}),
    ...(jobError !== undefined ? { jobError } : {}),
  };
  product.jobs.push(job);
  // The 202 body is the job as accepted, before it is looked at.
  return json(
    202,
    extras(c.offer, {
      $schema: schema('configure-status', version),
      [s.jobIdKey]: job.jobId,
      jobStatus: 'notStarted',
      jobResult: 'pending',
      jobStart: iso(now),
      jobEnd: NOT_ENDED,
      errors: [],
    }),
  );
}

function cancelJob(job: PiJob, offer: OfferState, ctx: ApiContext): SimResponse {
  const now = ctx.state.now();
  if (isTerminal(phaseAt(job, now).phase)) {
    return error(400, 'badRequest', 'Cannot cancel job, job has already completed.');
  }
  job.cancelAt = now;
  return json(200, jobStatusView(job, now, offer));
}

function jobDetail(job: PiJob, offer: OfferState, ctx: ApiContext): SimResponse {
  const now = ctx.state.now();
  const phase = phaseAt(job, now).phase;
  if (!isTerminal(phase)) return error(400, 'badRequest', 'The job has not completed yet; read its status instead.');
  if (offer.scenario.jobDetail === 'fails') {
    return error(500, 'internalServerError', 'The job detail could not be read.');
  }
  const resources =
    phase === 'succeeded' && pushesLive(job) && offer.scenario.jobDetail !== 'empty'
      ? [
          {
            $schema: schema('submission', job.schemaVersion),
            id: job.submission.id,
            product: `product/${job.productGuid}`,
            target: { targetType: 'live' },
          },
        ]
      : [];
  return json(200, extras(offer, { $schema: schema('configure-detail', job.schemaVersion), resources }));
}

/**
 * A list answer, paged as the scenario says: at most `pageSize` entries (or the client's smaller `$maxpagesize`),
 * the rest behind `@nextLink` with `$maxpagesize` and `continuationToken` (the offset, opaque to clients).
 */
function paged(
  value: Record<string, unknown>[],
  offer: OfferState | undefined,
  req: SimRequest,
  ctx: ApiContext,
): SimResponse {
  const size = offer?.scenario.pageSize ?? 0;
  const asked = Number(req.query.get('$maxpagesize') ?? '');
  const pageSize = size > 0 ? (Number.isInteger(asked) && asked > 0 ? Math.min(size, asked) : size) : 0;
  const items = value.map((v) => extras(offer, v));
  if (pageSize === 0) return json(200, extras(offer, { value: items }));
  const token = req.query.get('continuationToken');
  let offset = 0;
  if (token !== null) {
    const decoded = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0)
      return error(400, 'badRequest', 'The continuationToken is not valid.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + pageSize);
  const body: Record<string, unknown> = { value: page };
  if (offset + pageSize < items.length) {
    const query = new URLSearchParams(req.query);
    query.set('$maxpagesize', String(pageSize));
    query.set('continuationToken', Buffer.from(String(offset + pageSize), 'utf8').toString('base64url'));
    const qs = query.toString().replace(/%24/g, '$');
    const rest = `${req.segments.slice(2).join('/')}?${qs}`;
    if (offer?.scenario.nextLinkForm === 'relative') body['nextLink'] = rest;
    else body['@nextLink'] = `${ctx.url}${PI_BASE_PATH}/${rest}`;
  }
  return json(200, extras(offer, body));
}

type Resolver = (params: Record<string, string>, req: SimRequest, ctx: ApiContext, version: string) => Routed;

const routed = (offer: OfferState | undefined, respond: () => SimResponse): Routed => ({
  api: 'productIngestion',
  ...(offer ? { offer, publisherId: offer.publisherId, offerId: offer.offerId } : {}),
  respond,
});

const notFound = (what: string) => routed(undefined, () => error(404, 'notFound', `${what} was not found.`));

function byProduct(guid: string | undefined, ctx: ApiContext, then: (offer: OfferState) => SimResponse): Routed {
  const offer = guid === undefined ? undefined : ctx.state.offerByProductGuid(guid);
  return offer ? routed(offer, () => then(offer)) : notFound(`Product '${guid}'`);
}

function byJob(
  jobId: string | undefined,
  ctx: ApiContext,
  then: (job: PiJob, offer: OfferState) => SimResponse,
): Routed {
  const found = jobId === undefined ? undefined : ctx.state.findJob(jobId);
  return found ? routed(found.offer, () => then(found.job, found.offer)) : notFound(`Job '${jobId}'`);
}

const ROUTES = [
  route<Resolver>('GET', 'product', (_p, req, ctx, version) => {
    const externalId = req.query.get('externalId');
    const offer = externalId === null ? undefined : ctx.state.offerByExternalId(externalId);
    const products = externalId === null ? ctx.state.listOffers() : offer ? [offer] : [];
    return routed(offer, () =>
      paged(
        products.map((o) => productView(o, version)),
        offer,
        req,
        ctx,
      ),
    );
  }),
  route<Resolver>('GET', 'product/:guid', (p, _r, ctx, version) =>
    byProduct(p['guid'], ctx, (offer) => json(200, extras(offer, productView(offer, version)))),
  ),
  route<Resolver>('GET', 'submission/:guid', (p, req, ctx, version) =>
    byProduct(p['guid'], ctx, (offer) => {
      const targetType = req.query.get('targetType');
      const all = submissionsView(offer, version, ctx.state.now());
      const value =
        targetType === null ? all : all.filter((s) => (s.target as { targetType: string }).targetType === targetType);
      return paged(value, offer, req, ctx);
    }),
  ),
  route<Resolver>('POST', 'configure', (_p, req, ctx, version) => {
    const parsed = parseConfigure(req, ctx);
    if (!('offer' in parsed)) return routed(undefined, () => parsed);
    return routed(parsed.offer, () => configure(parsed, version, ctx));
  }),
  route<Resolver>('GET', 'configure/:jobId/status', (p, _r, ctx) =>
    byJob(p['jobId'], ctx, (job, offer) => json(200, jobStatusView(job, ctx.state.now(), offer))),
  ),
  route<Resolver>('GET', 'configure/:jobId', (p, _r, ctx) =>
    byJob(p['jobId'], ctx, (job, offer) => jobDetail(job, offer, ctx)),
  ),
  route<Resolver>('POST', 'configure/:jobId/cancel', (p, _r, ctx) =>
    byJob(p['jobId'], ctx, (job, offer) => cancelJob(job, offer, ctx)),
  ),
];

/**
 * Routes a request under `/rp/product-ingestion/`: token, `$version` (required: a choice, the reference leaves it
 * open), route, then the product or job it is about.
 */
export const productIngestionApi: ApiModule = (req, ctx) => {
  if (bearerToken(req.headers) !== ctx.token) {
    return routed(undefined, () => unauthorized('unauthorized'));
  }
  const version = req.query.get('$version');
  if (version === null || version.trim() === '') {
    return routed(undefined, () => error(400, 'badRequest', 'The $version query parameter is required.'));
  }
  const match = matchRoute(ROUTES, req.method, req.segments.slice(2));
  if (match.kind === 'notFound') return notFound(`Resource ${req.path}`);
  if (match.kind === 'methodNotAllowed') {
    return routed(undefined, () =>
      error(405, 'methodNotAllowed', `${req.method} is not allowed here.`, { Allow: match.allowed.join(', ') }),
    );
  }
  return match.handler(match.params, req, ctx, version);
};
