/**
 * The Partner Center Product Ingestion API (`/rp/product-ingestion/...`, `$version` query) as reference/partner-api.md
 * section 2 describes it: find a product, list its submissions, push a preview submission live with `configure`,
 * poll the job, cancel it. Every seeded offer is also a product whose external id is the offer id.
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
import { isTerminal, type OfferState, phaseAt, type PiJob, type PiProduct, type PiSubmission } from './state';

export const PI_BASE_PATH = '/rp/product-ingestion';
const SCHEMA_HOST = 'https://schema.mp.microsoft.com/schema';
/** The sentinel `jobEnd` of a job that has not finished. */
const NOT_ENDED = '0001-01-01T00:00:00';
const CERTIFICATION_FAILURE =
  'The submission failed certification: the offer did not pass the marketplace certification.';
const STALE_SUBMISSION = 'The submission cannot be pushed to live as its not the latest submission.';

const schema = (resource: string, version: string) => `${SCHEMA_HOST}/${resource}/${version}`;

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
  if (job.staleSubmission)
    return [{ code: 'conflict', message: STALE_SUBMISSION, details: [], resourceId: job.submission.id }];
  return [
    {
      code: 'invalidState',
      message: CERTIFICATION_FAILURE,
      details: [{ code: 'invalidState', message: 'Certification failed: fix the reported issues and publish again.' }],
      resourceId: job.submission.id,
    },
  ];
}

/** The configure-status object (reference 2.5). */
export function jobStatusView(job: PiJob, now: number): Record<string, unknown> {
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
  return {
    $schema: schema('configure-status', job.schemaVersion),
    jobId: job.jobId,
    jobStatus: done ? 'completed' : p.phase,
    jobResult,
    jobStart: iso(job.createdAt),
    jobEnd: p.endedAt === undefined ? NOT_ENDED : iso(p.endedAt),
    errors: p.phase === 'failed' ? jobErrors(job) : [],
  };
}

function submissionEntry(product: PiProduct, s: PiSubmission, version: string, extra: Record<string, unknown>) {
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

/** The product's submissions: the draft (no status), previews, and one `live` entry per live job that was not refused. */
function submissionsView(product: PiProduct, version: string, now: number): Record<string, unknown>[] {
  const base = product.submissions.map((s) =>
    submissionEntry(product, s, version, s.targetType === 'draft' ? {} : { status: 'completed', result: 'succeeded' }),
  );
  const live = product.jobs
    .filter((j) => j.collidesWith === undefined && !j.staleSubmission)
    .map((j) => ({ job: j, phase: phaseAt(j, now).phase }))
    .filter(({ phase }) => phase !== 'canceled')
    .map(({ job, phase }) =>
      submissionEntry(product, { ...job.submission, targetType: 'live', created: job.createdAt }, version, {
        status: isTerminal(phase) ? 'completed' : phase,
        result: phase === 'succeeded' ? 'succeeded' : phase === 'failed' ? 'failed' : 'pending',
      }),
    );
  return [...base, ...live];
}

function productView(offer: OfferState, version: string) {
  return {
    $schema: schema('product', version),
    id: `product/${offer.product.guid}`,
    identity: { externalId: offer.product.externalId },
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
  const latestPreview = [...product.submissions].reverse().find((s) => s.targetType === 'preview') as PiSubmission;
  const inProgress = product.jobs.find(
    (j) => j.collidesWith === undefined && !j.staleSubmission && !isTerminal(phaseAt(j, now).phase),
  );
  const stale = c.submissionId !== undefined && c.submissionId !== latestPreview.id;
  const s = c.offer.scenario;
  // Refused jobs (collision, stale id) fail at once: the status read shows them completed and failed.
  const refused = inProgress !== undefined || stale;
  const job: PiJob = {
    jobId: randomUUID(),
    productGuid: product.guid,
    offerKey: `${c.offer.publisherId}/${c.offer.offerId}`,
    submission: latestPreview,
    createdAt: now,
    durationMs: refused ? 0 : s.durationMs,
    outcome: refused ? 'failed' : s.outcome,
    neverEnds: refused ? false : s.neverEnds,
    schemaVersion: version,
    ...(inProgress ? { collidesWith: inProgress.submission.number } : stale ? { staleSubmission: true } : {}),
  };
  product.jobs.push(job);
  // The 202 body is the job as accepted, before it is looked at.
  return json(202, {
    $schema: schema('configure-status', version),
    jobId: job.jobId,
    jobStatus: 'notStarted',
    jobResult: 'pending',
    jobStart: iso(now),
    jobEnd: NOT_ENDED,
    errors: [],
  });
}

function cancelJob(job: PiJob, ctx: ApiContext): SimResponse {
  const now = ctx.state.now();
  if (isTerminal(phaseAt(job, now).phase)) {
    return error(400, 'badRequest', 'Cannot cancel job, job has already completed.');
  }
  job.cancelAt = now;
  return json(200, jobStatusView(job, now));
}

function jobDetail(job: PiJob, ctx: ApiContext): SimResponse {
  const now = ctx.state.now();
  const phase = phaseAt(job, now).phase;
  if (!isTerminal(phase)) return error(400, 'badRequest', 'The job has not completed yet; read its status instead.');
  const resources =
    phase === 'succeeded'
      ? [{ $schema: schema('submission', job.schemaVersion), id: job.submission.id, target: { targetType: 'live' } }]
      : [];
  return json(200, { $schema: schema('configure-detail', job.schemaVersion), resources });
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

function byJob(jobId: string | undefined, ctx: ApiContext, then: (job: PiJob) => SimResponse): Routed {
  const found = jobId === undefined ? undefined : ctx.state.findJob(jobId);
  return found ? routed(found.offer, () => then(found.job)) : notFound(`Job '${jobId}'`);
}

const ROUTES = [
  route<Resolver>('GET', 'product', (_p, req, ctx, version) => {
    const externalId = req.query.get('externalId');
    const offer = externalId === null ? undefined : ctx.state.offerByExternalId(externalId);
    const products = externalId === null ? ctx.state.listOffers() : offer ? [offer] : [];
    return routed(offer, () => json(200, { value: products.map((o) => productView(o, version)) }));
  }),
  route<Resolver>('GET', 'product/:guid', (p, _r, ctx, version) =>
    byProduct(p['guid'], ctx, (offer) => json(200, productView(offer, version))),
  ),
  route<Resolver>('GET', 'submission/:guid', (p, req, ctx, version) =>
    byProduct(p['guid'], ctx, (offer) => {
      const targetType = req.query.get('targetType');
      const all = submissionsView(offer.product, version, ctx.state.now());
      const value =
        targetType === null ? all : all.filter((s) => (s.target as { targetType: string }).targetType === targetType);
      return json(200, { value });
    }),
  ),
  route<Resolver>('POST', 'configure', (_p, req, ctx, version) => {
    const parsed = parseConfigure(req, ctx);
    if (!('offer' in parsed)) return routed(undefined, () => parsed);
    return routed(parsed.offer, () => configure(parsed, version, ctx));
  }),
  route<Resolver>('GET', 'configure/:jobId/status', (p, _r, ctx) =>
    byJob(p['jobId'], ctx, (job) => json(200, jobStatusView(job, ctx.state.now()))),
  ),
  route<Resolver>('GET', 'configure/:jobId', (p, _r, ctx) => byJob(p['jobId'], ctx, (job) => jobDetail(job, ctx))),
  route<Resolver>('POST', 'configure/:jobId/cancel', (p, _r, ctx) =>
    byJob(p['jobId'], ctx, (job) => cancelJob(job, ctx)),
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
