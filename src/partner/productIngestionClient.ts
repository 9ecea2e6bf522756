/**
 * The Partner Center Product Ingestion API adapter (docs/partner-apis.md): go-live is a `configure`
 * job that pushes the current preview submission to `live`; the job status URL is the operation URL. undici over
 * one keep-alive pool, a bearer token per request from a `TokenCredential` (scope `https://graph.microsoft.com/.default`),
 * `$version` on every call, retries with backoff and `Retry-After`, typed errors. The bearer token is sent only to
 * the configured base URL.
 */

import { isRecord } from '../util';
import { GoLiveOutcomeUnknownError, OperationUrlRefusedError, PartnerApiError } from './errors';
import type { HttpResponse } from './http';
import {
  type PartnerCall,
  PartnerCallPipeline,
  type PartnerClientCallOptions,
  type StatusDescription,
} from './pipeline';
import {
  CONFIGURE_SCHEMA_VERSION,
  currentPreview,
  DEFAULT_LISTING_GRACE_MS,
  isAlreadyLive,
  isInFlight,
  jobState,
  jobStatusUrl,
  liveGoLives,
  liveSubmissionFromJobDetail,
  liveSubmissionState,
  MAX_LIST_PAGES,
  newestLive,
  nextLinkOf,
  parseJobStatus,
  parseOperationUrl,
  parseSubmissionId,
  parseSubmissions,
  PRODUCT_INGESTION_MIN_POLL_SECONDS,
  productGuidFrom,
  productGuidFromList,
  publishPhase,
  SCHEMA_HOST,
  STEP_PUBLISH,
  STEP_SUBMIT,
  type Submission,
  SUBMISSION_SCHEMA_VERSION,
  submissionUrl,
  submitAgainAdvice,
  synthesizeSteps,
} from './productIngestionStatus';
import { goLiveAccepted, LookupMemo, normKey, operationStatusFrom, safeBody } from './shared';
import type {
  CancelResult,
  GoLiveAccepted,
  GoLiveOperation,
  GoLiveQuery,
  GoLiveTarget,
  OperationStatus,
  PartnerApi,
  PartnerRequestOptions,
  RunningOperation,
} from './types';

export interface ProductIngestionClientOptions extends PartnerClientCallOptions {
  /** The API base URL, e.g. `https://graph.microsoft.com/rp/product-ingestion` (a trailing slash is dropped). */
  baseUrl: string;
  /** The `$version` query value sent on every call, e.g. `2022-03-01-preview2`; also names the `$schema` URLs. */
  schemaVersion: string;
  /** Token scope (default `https://graph.microsoft.com/.default`). */
  scope?: string;
  /**
   * The fewest seconds between two reads of a job's status (default 60: the API asks for at most one read per
   * minute). The workflow never polls sooner.
   */
  minPollIntervalSeconds?: number;
  /**
   * How long the submission a go-live pushed may stay unlisted as `live` after its job succeeded before the run fails
   * with `SubmissionNotListed` (default 15 minutes: the list is eventually consistent).
   */
  listingGraceMs?: number;
  /** The clock for the listing grace period (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * A submission of the product is still being processed, so a go-live now would collide ("An In Progress submission
 * … already exists"). Code `Conflict`, like an operation already running on the CPP API: when the submission is a
 * `live` one the workflow attaches to it (`listRunningOperations` lists it).
 */
export class SubmissionInProgressError extends PartnerApiError {
  override readonly name = 'SubmissionInProgressError';
  constructor(
    readonly submissionId: string,
    readonly targetType: string,
    readonly submissionStatus: string,
  ) {
    super(
      'Conflict',
      `Submission ${submissionId} (target ${targetType || 'unknown'}) is still ${submissionStatus}: a go-live now would collide with it. ` +
        (normKey(targetType) === 'live'
          ? 'Follow the running live submission instead.'
          : 'Wait until it completes, then request the go-live again.'),
    );
  }
}

/**
 * Cancel refused 400 `badRequest`: what the API answers for a job that has already completed ("Cannot cancel job, job
 * has already completed."); told by status and code, never the message. Read the job's status.
 */
export class JobAlreadyCompletedError extends PartnerApiError {
  override readonly name = 'JobAlreadyCompletedError';
  constructor(
    readonly jobId: string,
    options: { statusCode: number; body?: unknown; requestId?: string },
  ) {
    super(
      'BadRequest',
      `Configure job ${jobId} cannot be cancelled (400 badRequest: it has completed); read its status.`,
      {
        ...options,
      },
    );
  }
}

export const PRODUCT_INGESTION_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

export class ProductIngestionClient implements PartnerApi {
  readonly kind = 'productIngestion' as const;
  /** The fewest seconds between two status reads of a job (the documented once-a-minute limit by default). */
  readonly minPollIntervalSeconds: number;
  private readonly base: string;
  private readonly schemaVersion: string;
  private readonly pipeline: PartnerCallPipeline;
  /** offerId → product GUID (a product's id never changes). */
  private readonly products = new Map<string, string>();
  private readonly listingGraceMs: number;
  private readonly now: () => number;
  /**
   * The submission list the attach lookup right before a Go Live (`beforeGoLive`) just read, per product: the Go
   * Live that follows it at once (the same activity) uses it instead of reading it again.
   */
  private readonly lookedUp: LookupMemo<Submission[]>;

  constructor(options: ProductIngestionClientOptions) {
    const url = new URL(options.baseUrl);
    url.search = '';
    url.hash = '';
    this.base = url.href.replace(/\/+$/, '');
    this.schemaVersion = options.schemaVersion;
    this.minPollIntervalSeconds = Math.max(0, options.minPollIntervalSeconds ?? PRODUCT_INGESTION_MIN_POLL_SECONDS);
    this.listingGraceMs = Math.max(0, options.listingGraceMs ?? DEFAULT_LISTING_GRACE_MS);
    this.now = options.now ?? Date.now;
    this.lookedUp = new LookupMemo(() => this.now());
    this.pipeline = new PartnerCallPipeline({
      ...options,
      scope: options.scope ?? PRODUCT_INGESTION_DEFAULT_SCOPE,
      userAgent: options.userAgent ?? 'marketplace-golive (product-ingestion)',
      callName: 'The Product Ingestion call',
      detailLabel: 'The API says',
      // A transport failure is reported with no duration (as this client always has).
      errorBody: safeBody,
      describeStatus: (res, call) => this.describeStatus(res, call),
    });
  }

  /** The configured base URL, e.g. `https://graph.microsoft.com/rp/product-ingestion`. */
  get baseUrl(): string {
    return this.base;
  }

  /**
   * Pushes the product's current preview submission live: resolve the product, read its submissions (every page),
   * refuse while one is in flight (`SubmissionInProgressError`: a running live entry is attached to), then
   * `POST configure` with the `live` target. A preview that is already live (its id is a `completed` + `succeeded`
   * live entry), or a product that lists no preview and whose newest live entry is `completed` + `succeeded` (after a
   * promotion the live entry stands for both), is not posted: the answer says `alreadyLive`.
   * @throws SubmissionInProgressError, GoLiveOutcomeUnknownError, PartnerApiError
   */
  async startGoLive(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<GoLiveAccepted> {
    const productGuid = await this.productGuid(target, options);
    // One read before the Go Live answers both "already running?" (the lookup) and "ready?" (the preview).
    const submissions = this.lookedUp.take(productGuid) ?? (await this.submissions(productGuid, options));
    const inFlight = submissions.find(isInFlight);
    if (inFlight) throw new SubmissionInProgressError(inFlight.id, inFlight.targetType, inFlight.status ?? '');
    const preview = currentPreview(submissions);
    if (!preview) {
      const live = newestLive(submissions);
      if (live && jobState(live.status, live.result) === 'succeeded') {
        return this.alreadyLive(productGuid, live, submissions, 'lists no preview; its newest live submission');
      }
      throw new PartnerApiError(
        'NotFound',
        `Product ${productGuid} (offer ${target.offerId}) has no preview submission to push live; publish to preview first.`,
      );
    }
    if (preview.result !== undefined && normKey(preview.result) !== 'succeeded') {
      throw new PartnerApiError(
        'PreconditionFailed',
        `Preview submission ${preview.id} ended ${preview.result}; it cannot be pushed live.`,
      );
    }
    if (isAlreadyLive(submissions, preview)) return this.alreadyLive(productGuid, preview, submissions);
    // The resource schemas exist at one version: pinned, whatever $version the calls carry.
    const body = {
      $schema: `${SCHEMA_HOST}/configure/${CONFIGURE_SCHEMA_VERSION}`,
      resources: [
        {
          $schema: `${SCHEMA_HOST}/submission/${SUBMISSION_SCHEMA_VERSION}`,
          id: preview.id,
          product: `product/${productGuid}`,
          target: { targetType: 'live' },
        },
      ],
    };
    const res = await this.pipeline.call({
      method: 'POST',
      url: this.url('configure'),
      body: JSON.stringify(body),
      expect: [200, 201, 202],
      retry: 'goLive',
      options,
    });
    let jobId: string;
    try {
      jobId = parseJobStatus(res.body, res.status, res.requestId).jobId;
    } catch (e) {
      // Accepted, but without a job to follow: the live submission (if any) is found by listing running operations.
      throw new GoLiveOutcomeUnknownError(e, {
        statusCode: res.status,
        body: safeBody(res.body),
        ...(res.requestId ? { requestId: res.requestId } : {}),
      });
    }
    // The run follows what it posted: the submission id rides in the job URL's fragment (never sent).
    return goLiveAccepted(jobStatusUrl(this.base, jobId, this.schemaVersion, preview.id), jobId, res.headers);
  }

  /**
   * Reads a go-live in its two phases. `Submit`: the configure job's status (`{base}/configure/{jobId}/status`);
   * once it succeeded, the submission it pushed (from the job detail, `GET configure/{jobId}`) is followed
   * instead: the answer's `operationUrl` becomes that live submission's URL. `Publish to live`: the `live` entry with
   * that id in the product's submission list (`{base}/submission/{productGuid}/{n}`), beside any older live entry.
   * The go-live succeeds only when that entry is `completed` + `succeeded`. A 5xx is transient; unknown statuses
   * come back as `unknown`.
   */
  async getOperation(
    _target: GoLiveTarget,
    operationUrl: string,
    options?: PartnerRequestOptions,
  ): Promise<OperationStatus> {
    // Checked before anything else: a refused URL never gets a request, let alone the token.
    const locator = parseOperationUrl(operationUrl, this.base);
    if (locator.kind === 'job') {
      const url = this.url(`configure/${encodeURIComponent(locator.jobId)}/status`);
      const res = await this.pipeline.call({ method: 'GET', url, expect: [200], retry: 'read', options });
      const parsed = parseJobStatus(res.body, res.status, res.requestId);
      if (parsed.state === 'succeeded') return this.afterJob(_target, parsed.jobId, locator.submissionId, options);
      const statusUrl = jobStatusUrl(this.base, parsed.jobId, this.schemaVersion, locator.submissionId);
      const status = operationStatusFrom(statusUrl, parsed.jobId, parsed, res.headers);
      status.phase = STEP_SUBMIT;
      if (parsed.state === 'failed') {
        const advice = submitAgainAdvice(parsed.rawErrors);
        if (advice) status.submitAgain = advice;
      }
      return status;
    }
    const submissionId = `submission/${locator.productGuid}/${locator.submissionNumber}`;
    return this.publishStatus(locator.productGuid, submissionId, locator.notListedSince, options);
  }

  /**
   * The offer's go-lives: the `live` submissions with the current preview's id (the go-live that pushes it) that are
   * still being processed, and finished ones created since `query.finishedSince`. A live submission of another id
   * is not this go-live: `startGoLive` then refuses with `SubmissionInProgressError`. A configure job is not listed
   * (the API has no job list): a job still running shows only as a collision when the next one is sent.
   */
  async findGoLives(
    target: GoLiveTarget,
    query: GoLiveQuery = {},
    options?: PartnerRequestOptions,
  ): Promise<GoLiveOperation[]> {
    const productGuid = await this.productGuid(target, options);
    const submissions = await this.submissions(productGuid, options);
    // The attach lookup right before a Go Live: its read stands for the Go Live's own.
    if (query.beforeGoLive) this.lookedUp.remember(productGuid, submissions);
    // Without a preview entry (after a promotion the live entry stands for both) every live entry is this offer's.
    const preview = currentPreview(submissions);
    return liveGoLives(submissions, this.base, this.schemaVersion, query.finishedSince, preview?.id);
  }

  /** The `live` submissions with the current preview's id that are still being processed. */
  async listRunningOperations(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<RunningOperation[]> {
    return (await this.findGoLives(target, {}, options)).map(({ running: _r, createdAt: _c, ...op }) => op);
  }

  /**
   * Cancels the go-live's configure job (`POST configure/{jobId}/cancel`). A live submission the run attached to
   * has no job to cancel: that is refused (`BadRequest`).
   * @throws JobAlreadyCompletedError when the job has already completed
   */
  async cancel(target: GoLiveTarget, operationUrl?: string, options?: PartnerRequestOptions): Promise<CancelResult> {
    if (operationUrl === undefined) {
      throw new PartnerApiError(
        'BadRequest',
        `Cancelling a Product Ingestion go-live of ${target.offerId} needs its configure job URL.`,
      );
    }
    const locator = parseOperationUrl(operationUrl, this.base);
    if (locator.kind !== 'job') {
      throw new PartnerApiError(
        'BadRequest',
        'This go-live follows a live submission that another job started; the Product Ingestion API cancels jobs only.',
      );
    }
    const url = this.url(`configure/${encodeURIComponent(locator.jobId)}/cancel`);
    let res: HttpResponse;
    try {
      // Cancelling twice is harmless (the second answers "already completed"), so it retries as a read.
      res = await this.pipeline.call({ method: 'POST', url, body: '{}', expect: [200, 202], retry: 'read', options });
    } catch (e) {
      // By status and code only: the API answers a finished job's cancel 400 `badRequest` ("... already completed.");
      // a malformed cancel would share them, and either way the safe next step is to read the job's status.
      if (e instanceof PartnerApiError && e.statusCode === 400 && e.detail?.code.toLowerCase() === 'badrequest') {
        throw new JobAlreadyCompletedError(locator.jobId, {
          statusCode: 400,
          ...(e.body === undefined ? {} : { body: e.body }),
          ...(e.requestId === undefined ? {} : { requestId: e.requestId }),
        });
      }
      throw e;
    }
    let completed: boolean;
    try {
      const parsed = parseJobStatus(res.body, res.status, res.requestId);
      completed = parsed.state === 'canceled';
    } catch {
      completed = false;
    }
    const result: CancelResult = { completed };
    if (!completed) result.operationUrl = jobStatusUrl(this.base, locator.jobId, this.schemaVersion);
    return result;
  }

  /** Closes the client's keep-alive pool. */
  async close(): Promise<void> {
    await this.pipeline.close();
  }

  /**
   * The job succeeded (`Submit` done): follow the submission the run posted (from the job URL) in the product's
   * submission list. Only a URL without it (a run started before the id was kept) reads the job's detail, and
   * then the product's in-flight live entry or current preview: the detail lists only resources that completed,
   * so its absence, emptiness or a failed read never ends a run.
   */
  private async afterJob(
    target: GoLiveTarget,
    jobId: string,
    posted: string | undefined,
    options: PartnerRequestOptions | undefined,
  ): Promise<OperationStatus> {
    let submissionId = posted ?? (await this.jobDetailSubmission(jobId, options));
    if (submissionId === undefined) {
      const productGuid = await this.productGuid(target, options);
      const submissions = await this.submissions(productGuid, options);
      const candidate =
        submissions.find((x) => isInFlight(x) && normKey(x.targetType) === 'live') ?? currentPreview(submissions);
      submissionId = candidate?.id;
    }
    const productGuid = submissionId === undefined ? undefined : parseSubmissionId(submissionId)?.productGuid;
    if (submissionId === undefined || productGuid === undefined) {
      throw new PartnerApiError(
        'UnexpectedResponse',
        `Configure job ${jobId} succeeded, but neither the run, the job's detail nor the product names the submission it pushed; the live submission cannot be followed.`,
      );
    }
    return this.publishStatus(productGuid, submissionId.trim(), undefined, options);
  }

  /** The live submission a job's detail names; undefined when it names none or cannot be read. */
  private async jobDetailSubmission(jobId: string, options: PartnerRequestOptions | undefined) {
    try {
      const detail = await this.pipeline.call({
        method: 'GET',
        url: this.url(`configure/${encodeURIComponent(jobId)}`),
        expect: [200],
        retry: 'read',
        options,
      });
      return liveSubmissionFromJobDetail(detail.body);
    } catch (e) {
      if (e instanceof PartnerApiError && e.code === 'Aborted') throw e;
      return undefined;
    }
  }

  /**
   * The `Publish to live` phase of `submissionId`, followed through the product's submission list (every page).
   * Not listed as `live` yet: `notStarted` (`notListed`) for the listing grace period, counted from the first such
   * read (kept in the URL's fragment), then `SubmissionNotListed`; never `NotFound` on a first miss.
   */
  private async publishStatus(
    productGuid: string,
    submissionId: string,
    notListedSince: string | undefined,
    options: PartnerRequestOptions | undefined,
  ): Promise<OperationStatus> {
    const submissions = await this.submissions(productGuid, options);
    if (liveSubmissionState(submissions, submissionId)) {
      const parsed = publishPhase(submissions, submissionId);
      if (parsed) {
        const status = operationStatusFrom(
          submissionUrl(this.base, submissionId, this.schemaVersion) ?? '',
          submissionId,
          parsed,
          {},
        );
        status.phase = STEP_PUBLISH;
        return status;
      }
    }
    const now = this.now();
    const since = notListedSince === undefined ? now : Date.parse(notListedSince);
    if (now - since > this.listingGraceMs) {
      throw new PartnerApiError(
        'SubmissionNotListed',
        `Submission ${submissionId} is still not listed as live for its product ${Math.round((now - since) / 60_000)} minutes after it was pushed (cancelled or replaced?); the go-live cannot be followed.`,
      );
    }
    const sinceIso = new Date(since).toISOString();
    const url = submissionUrl(this.base, submissionId, this.schemaVersion, sinceIso) ?? '';
    const status = operationStatusFrom(
      url,
      submissionId,
      {
        rawStatus: 'notListed',
        state: 'notStarted',
        terminal: false,
        steps: synthesizeSteps({ phase: 'publish', state: 'notStarted' }, 'notListed'),
        progressPercentage: 50,
      },
      {},
    );
    status.phase = STEP_PUBLISH;
    return status;
  }

  /** The answer for a preview that is already live: nothing is posted, the final status says why. */
  private alreadyLive(
    productGuid: string,
    preview: Submission,
    submissions: readonly Submission[],
    what = 'Preview submission',
  ): GoLiveAccepted {
    const url = submissionUrl(this.base, preview.id, this.schemaVersion) ?? '';
    const parsed = publishPhase(submissions, preview.id);
    const status: OperationStatus = operationStatusFrom(
      url,
      preview.id,
      parsed ?? { rawStatus: 'completed/succeeded', state: 'succeeded', terminal: true, steps: [] },
      {},
    );
    status.phase = STEP_PUBLISH;
    return {
      operationUrl: url,
      operationId: preview.id,
      alreadyLive: {
        status,
        reason:
          what === 'Preview submission'
            ? `Preview submission ${preview.id} of product ${productGuid} is already live (completed, succeeded): nothing to push, no configure request sent.`
            : `Product ${productGuid} ${what} ${preview.id} is completed and succeeded: already live, nothing to push, no configure request sent.`,
      },
    };
  }

  /** The product GUID: from `productId`, else found by the offer id as external id (cached). */
  private async productGuid(target: GoLiveTarget, options: PartnerRequestOptions | undefined): Promise<string> {
    if (target.productId !== undefined && target.productId !== '') return productGuidFrom(target.productId);
    const cached = this.products.get(target.offerId);
    if (cached !== undefined) return cached;
    const list = await this.list(this.url('product', { externalId: target.offerId }), options);
    const guid = productGuidFromList({ value: list.value }, target.offerId, list.status);
    this.products.set(target.offerId, guid);
    return guid;
  }

  private async submissions(productGuid: string, options: PartnerRequestOptions | undefined): Promise<Submission[]> {
    const list = await this.list(this.url(`submission/${encodeURIComponent(productGuid)}`), options);
    return parseSubmissions(list.value, list.status);
  }

  /**
   * A list read to its end: every `@nextLink` (also `nextLink`, `@odata.nextLink`; absolute or relative to the base
   * URL) is followed, at most `MAX_LIST_PAGES` pages. A next link must stay on the base URL's origin and path (the
   * token goes nowhere else) and keeps `$version`. A 404 on a later page ends the list (an invalid next link, as
   * BcContainerHelper meets it). A bare array answer is one page.
   * @throws OperationUrlRefusedError for a next link elsewhere; PartnerApiError UnexpectedResponse (no list, too many pages)
   */
  private async list(
    first: URL,
    options: PartnerRequestOptions | undefined,
  ): Promise<{ value: unknown[]; status: number }> {
    const value: unknown[] = [];
    let url: URL | undefined = first;
    let status = 200;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_LIST_PAGES) {
        throw new PartnerApiError(
          'UnexpectedResponse',
          `The Product Ingestion API answered ${first.pathname} with more than ${MAX_LIST_PAGES} pages; the list was not read to its end.`,
        );
      }
      let res: HttpResponse;
      try {
        res = await this.pipeline.call({ method: 'GET', url, expect: [200], retry: 'read', options });
      } catch (e) {
        if (page > 0 && e instanceof PartnerApiError && e.statusCode === 404) break;
        throw e;
      }
      status = res.status;
      const items: unknown[] | undefined = Array.isArray(res.body)
        ? (res.body as unknown[])
        : isRecord(res.body) && Array.isArray(res.body['value'])
          ? (res.body['value'] as unknown[])
          : undefined;
      if (items === undefined) {
        // Let the caller's parser say what is wrong with the answer.
        if (page === 0) return { value: res.body as unknown[], status };
        break;
      }
      value.push(...items);
      const next = nextLinkOf(res.body);
      url = next === undefined ? undefined : this.nextPageUrl(next);
    }
    return { value, status };
  }

  /** A next link resolved against the base URL and checked: same origin, under the base path, `$version` kept. */
  private nextPageUrl(link: string): URL {
    const base = new URL(`${this.base}/`);
    let url: URL;
    try {
      url = new URL(link, base);
    } catch {
      throw new OperationUrlRefusedError('(not a URL)', "the list's next link does not parse");
    }
    if (url.origin !== base.origin || url.username !== '' || url.password !== '') {
      throw new OperationUrlRefusedError(url.origin, "the list's next link is on another origin");
    }
    if (!url.pathname.startsWith(base.pathname) || /%2f|%5c/i.test(url.pathname)) {
      throw new OperationUrlRefusedError(url.origin, "the list's next link leaves the Product Ingestion API");
    }
    url.hash = '';
    if (!/(^|&)(\$|%24)version=/i.test(url.search.replace(/^\?/, ''))) {
      url.search = `${url.search ? `${url.search}&` : '?'}$version=${encodeURIComponent(this.schemaVersion)}`;
    }
    return url;
  }

  /**
   * `{base}/{path}?$version=…&…` (path segments already encoded). The query is written by hand so `$version` goes
   * out literally, as documented (`URLSearchParams` would send `%24version`).
   */
  private url(path: string, query: Record<string, string> = {}): URL {
    const params = [['$version', this.schemaVersion], ...Object.entries(query)]
      .map(([k, v]) => `${k}=${encodeURIComponent(v ?? '')}`)
      .join('&');
    return new URL(`${this.base}/${path}?${params}`);
  }

  /** The advice for an unexpected status; the pipeline builds the typed error. */
  private describeStatus(res: HttpResponse, spec: PartnerCall): StatusDescription {
    const status = res.status;
    const path = spec.url.pathname.startsWith(new URL(this.base).pathname)
      ? spec.url.pathname.slice(new URL(this.base).pathname.replace(/\/+$/, '').length)
      : spec.url.pathname;
    let advice: string;
    switch (status) {
      case 400:
        advice =
          'The Product Ingestion API refused the request (schema validation or $version: check PRODUCT_INGESTION_SCHEMA_VERSION).';
        break;
      case 401:
        advice =
          'The bearer token is missing, expired or for the wrong audience: check PRODUCT_INGESTION_SCOPE (https://graph.microsoft.com/.default) and the credential.';
        break;
      case 403:
        advice =
          'The identity may not act on this product: add its Microsoft Entra application to the Partner Center account with the Manager role.';
        break;
      case 404:
        advice = 'Not found: check the offer id (the product external id) or the productId.';
        break;
      case 429:
        advice = 'The Product Ingestion API is throttling requests; retry after the Retry-After delay.';
        break;
      default:
        advice =
          status >= 500
            ? 'The Product Ingestion API had a server error; retry later.'
            : `The Product Ingestion API answered an unexpected ${status}.`;
    }
    return { subject: `${spec.method} ${path}`, advice };
  }
}
