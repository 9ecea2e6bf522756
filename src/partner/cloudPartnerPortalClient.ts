/**
 * The Cloud Partner Portal API adapter (docs/partner-apis.md): Go Live, operation status, running
 * operations, cancel. undici over one keep-alive pool, a bearer token per request from a `TokenCredential`, retries
 * with backoff and `Retry-After`, typed errors. The bearer token is sent only to the configured origin.
 */

import { NotReadyForGoLiveError, PartnerApiError } from './errors';
import type { HttpResponse } from './http';
import {
  type OfferStatusView,
  operationIdFromUrl,
  parseOfferStatus,
  parseOperation,
  parseOperationList,
  resolveOperationUrl,
} from './operation';
import {
  type PartnerCall,
  PartnerCallPipeline,
  type PartnerClientCallOptions,
  type StatusDescription,
} from './pipeline';
import { goLiveAccepted, LookupMemo, operationStatusFrom } from './shared';
import type {
  CancelResult,
  GoLiveAccepted,
  GoLiveOperation,
  GoLiveQuery,
  GoLiveTarget,
  OperationStatus,
  PartnerApi,
  PartnerErrorDetail,
  PartnerRequestOptions,
  RunningOperation,
} from './types';

export interface CloudPartnerPortalClientOptions extends PartnerClientCallOptions {
  /** The partner API origin, e.g. `https://cloudpartner.azure.com` (a path, if any, is ignored). */
  baseUrl: string;
  apiVersion: string;
  /** Token scope, e.g. `https://cloudpartner.azure.com/.default`. */
  scope: string;
  /**
   * Read the offer status before the Go Live POST and send it only when the offer waits for the publisher's
   * sign-off (default true; the app never turns it off: only the unit tests of the POST itself do).
   */
  checkOfferStatus?: boolean;
  /** The clock (ms since the epoch) for `LookupMemo`; tests pass a fake. */
  now?: () => number;
}

/**
 * Where an accepted request's operation is: the `Location` header (2020+ pages, relative; what clients read), else
 * `Operation-Location` (2018 pages), else the body (the cancel page says the URL is "in the body" once): `operationLocation`,
 * `location` or `operationUrl`, keys without case. Absolute or relative; checked by the caller.
 */
export function operationLocationOf(res: Pick<HttpResponse, 'headers' | 'body'>): string | undefined {
  for (const h of [res.headers['location'], res.headers['operation-location']]) {
    if (h !== undefined && h.trim() !== '') return h.trim();
  }
  const body: unknown = Array.isArray(res.body) ? (res.body as unknown[])[0] : res.body;
  if (typeof body === 'object' && body !== null) {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.trim() === '') continue;
      if (['operationlocation', 'operation-location', 'location', 'operationurl'].includes(k.toLowerCase())) {
        return v.trim();
      }
    }
  }
  return undefined;
}

/** `{ error: { code, message, details } }` from a partner error body, when it has one (also used by other modules). */
export { errorDetailOf } from './pipeline';

interface StatusRead {
  view: OfferStatusView;
  statusCode: number;
  requestId?: string;
}

const offerKey = (target: GoLiveTarget): string => `${target.publisherId}/${target.offerId}`;

/** Throws unless the offer status says the offer waits for the publisher's sign-off. */
function requireSignoffWaiting(target: GoLiveTarget, { view, statusCode, requestId }: StatusRead): void {
  if (view.readiness === 'ready') return;
  if (view.readiness === 'goLiveRunning') {
    throw new PartnerApiError(
      'Conflict',
      `A go-live of ${target.publisherId}/${target.offerId} already runs (the offer status shows the sign-off done); follow it instead of sending another.`,
      { statusCode, ...(requestId ? { requestId } : {}) },
    );
  }
  throw new NotReadyForGoLiveError(view.status, view.steps, requestId ? { requestId } : {});
}

export class CloudPartnerPortalClient implements PartnerApi {
  readonly kind = 'cpp' as const;
  private readonly origin: URL;
  private readonly apiVersion: string;
  private readonly pipeline: PartnerCallPipeline;
  private readonly checkOfferStatus: boolean;
  /** The offer status the attach lookup right before a Go Live read, per offer, for that Go Live's pre-check. */
  private readonly statusRead: LookupMemo<StatusRead>;

  constructor(options: CloudPartnerPortalClientOptions) {
    this.origin = new URL(new URL(options.baseUrl).origin);
    this.apiVersion = options.apiVersion;
    this.checkOfferStatus = options.checkOfferStatus ?? true;
    this.statusRead = new LookupMemo(options.now ?? Date.now);
    this.pipeline = new PartnerCallPipeline({
      ...options,
      userAgent: options.userAgent ?? 'marketplace-golive (cpp)',
      callName: 'The partner API call',
      detailLabel: 'The partner API says',
      describeStatus: (res, call, detail) => this.describeStatus(res, call, detail),
    });
  }

  /** The configured origin, e.g. `https://cloudpartner.azure.com`. */
  get baseUrl(): string {
    return this.origin.origin;
  }

  /**
   * Sends the Go Live, after reading the offer status (`GET .../status`, or the read the attach lookup right before
   * it made: `beforeGoLive`): only an offer `running` with its publisher
   * sign-off step `waitingForPublisherReview` gets the POST. A go-live already running (sign-off done) is a
   * `Conflict` (the caller attaches to it); anything else is `NotReadyForGoLiveError`, and nothing is sent.
   * @throws NotReadyForGoLiveError, PartnerApiError, GoLiveOutcomeUnknownError
   */
  async startGoLive(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<GoLiveAccepted> {
    if (this.checkOfferStatus) {
      requireSignoffWaiting(
        target,
        this.statusRead.take(offerKey(target)) ?? (await this.readOfferStatus(target, options)),
      );
    }
    const url = this.offerUrl(target, 'golive');
    const res = await this.pipeline.call({
      method: 'POST',
      url,
      body: '{}',
      expect: [200, 201, 202],
      retry: 'goLive',
      target,
      options,
    });
    const header = operationLocationOf(res);
    if (header === undefined) {
      throw new PartnerApiError(
        'UnexpectedResponse',
        `The partner API accepted the Go Live for ${target.publisherId}/${target.offerId} (${res.status}) but sent no Location or Operation-Location header; look for the offer's running operation.`,
        { statusCode: res.status, ...(res.requestId ? { requestId: res.requestId } : {}) },
      );
    }
    const operationUrl = this.operationUrl(header);
    return goLiveAccepted(operationUrl.href, operationIdFromUrl(operationUrl), res.headers);
  }

  async getOperation(
    target: GoLiveTarget,
    operationUrl: string,
    options?: PartnerRequestOptions,
  ): Promise<OperationStatus> {
    // Checked before anything else: a refused URL never gets a request, let alone the token.
    const url = this.operationUrl(operationUrl);
    const res = await this.pipeline.call({ method: 'GET', url, expect: [200], retry: 'read', target, options });
    const parsed = parseOperation(res.body, res.status, res.requestId);
    return operationStatusFrom(url.href, operationIdFromUrl(url), parsed, res.headers);
  }

  /**
   * The offer's go-lives: running ones, and finished ones created since `query.finishedSince`
   * (`GET submissions/?status=running`, or without the filter when finished ones are wanted). Right before a Go
   * Live (`beforeGoLive`) the offer status is read first, for the Go Live's pre-check; when the run sent nothing
   * yet (`unsent`) and the offer's sign-off waits for the publisher, nothing runs and the submissions are not read.
   */
  async findGoLives(
    target: GoLiveTarget,
    query: GoLiveQuery = {},
    options?: PartnerRequestOptions,
  ): Promise<GoLiveOperation[]> {
    if (query.beforeGoLive && this.checkOfferStatus) {
      // The Go Live that follows uses this read. For a run that sent nothing yet it answers "ready?" and "already
      // running?" at once: an offer whose sign-off waits for the publisher has no go-live running.
      const read = await this.readOfferStatus(target, options);
      this.statusRead.remember(offerKey(target), read);
      if (query.unsent && read.view.readiness === 'ready') return [];
    }
    const url = this.offerUrl(target, 'submissions/');
    if (query.finishedSince === undefined) url.searchParams.set('status', 'running');
    const res = await this.pipeline.call({ method: 'GET', url, expect: [200], retry: 'read', target, options });
    return parseOperationList(
      res.body,
      (id) => this.offerUrl(target, `operations/${encodeURIComponent(id)}`).href,
      res.status,
      query.finishedSince,
    );
  }

  /** The offer's operations that are still running. */
  async listRunningOperations(target: GoLiveTarget, options?: PartnerRequestOptions): Promise<RunningOperation[]> {
    return (await this.findGoLives(target, {}, options)).map(({ running: _r, createdAt: _c, ...op }) => op);
  }

  /** Cancels the offer's running operation (CPP cancels per offer; `operationUrl` is not needed). */
  async cancel(target: GoLiveTarget, _operationUrl?: string, options?: PartnerRequestOptions): Promise<CancelResult> {
    const url = this.offerUrl(target, 'cancel');
    // Cancelling twice is harmless (the partner API answers 202 even when nothing runs), so it retries as a read.
    const res = await this.pipeline.call({
      method: 'POST',
      url,
      body: '{}',
      expect: [200, 202],
      retry: 'read',
      target,
      options,
    });
    if (res.status === 200) return { completed: true };
    const header = operationLocationOf(res);
    const result: CancelResult = { completed: false };
    if (header !== undefined) result.operationUrl = this.operationUrl(header).href;
    return result;
  }

  /** Closes the client's keep-alive pool. */
  async close(): Promise<void> {
    await this.pipeline.close();
  }

  /** Reads the offer status (`GET .../status`). */
  private async readOfferStatus(target: GoLiveTarget, options: PartnerRequestOptions | undefined): Promise<StatusRead> {
    const url = this.offerUrl(target, 'status');
    const res = await this.pipeline.call({ method: 'GET', url, expect: [200], retry: 'read', target, options });
    return {
      view: parseOfferStatus(res.body, res.status),
      statusCode: res.status,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    };
  }

  /** `{origin}/api/publishers/{pub}/offers/{offer}/{suffix}?api-version=…`, path segments encoded. */
  private offerUrl(target: GoLiveTarget, suffix: string): URL {
    const url = new URL(
      `/api/publishers/${encodeURIComponent(target.publisherId)}/offers/${encodeURIComponent(target.offerId)}/${suffix}`,
      this.origin,
    );
    url.searchParams.set('api-version', this.apiVersion);
    return url;
  }

  /** Resolves and checks an operation URL, adding the api-version query when it is missing. */
  private operationUrl(value: string): URL {
    const url = resolveOperationUrl(value, this.origin);
    if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', this.apiVersion);
    return url;
  }

  /** The advice for an unexpected status; the pipeline builds the typed error. */
  private describeStatus(
    res: HttpResponse,
    spec: PartnerCall,
    detail: PartnerErrorDetail | undefined,
  ): StatusDescription {
    const status = res.status;
    const t = spec.target;
    const ids = t ? `publisherId '${t.publisherId}', offerId '${t.offerId}'` : 'the publisher and offer ids';
    let advice: string;
    switch (status) {
      case 400:
        advice =
          detail?.code === 'InvalidAPIVersion'
            ? `The api-version '${this.apiVersion}' was refused: check PARTNER_API_VERSION.`
            : 'The partner API refused the request as malformed.';
        break;
      case 401:
        advice =
          'The bearer token is missing, expired or for the wrong audience: check PARTNER_API_SCOPE and the credential (managed identity, AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET).';
        break;
      case 403:
        advice = `The identity may not act on ${ids}: add the service principal to the publisher account (Partner Center > Account settings > Microsoft Entra applications) using the Object ID of its enterprise application, not of the app registration, with the Owner or Contributor role, and check the publisherId.`;
        break;
      case 404:
        advice = `Not found: check ${ids} (and that the offer is still served by the Cloud Partner Portal API).`;
        break;
      case 409:
        advice = 'The offer already has a running operation: wait for it or cancel it.';
        break;
      case 412:
        advice = 'A precondition failed (stale ETag).';
        break;
      case 422:
        advice = 'The offer failed the partner API validation.';
        break;
      case 429:
        advice = 'The partner API is throttling requests; retry after the Retry-After delay.';
        break;
      default:
        advice =
          status >= 500
            ? 'The partner API had a server error; retry later.'
            : `The partner API answered an unexpected ${status}.`;
    }
    return { subject: `${spec.method} ${spec.url.pathname}`, advice };
  }
}
