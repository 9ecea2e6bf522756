/**
 * End to end, one go-live per variation of the partner APIs the public record shows (docs/partner-apis.md): the
 * BUILT app in the local Functions host against Azurite and the simulator, each offer answering as one named
 * variant (`tools/simulator/variants.ts`). Each go-live must end as the partner API says, with one Go Live or
 * configure POST (none when already live), and its success event must not come before the live submission (or CPP
 * operation) completed by the simulator's own timeline.
 */
import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import { type OfferScenario, type RecordedRequest, submissionIdsFor, variantNamed } from '../../tools/simulator';
import { enqueue, type RunningAzurite } from '../support/azurite';
import { type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(240_000);

const PUB = 'e2evar';
const V = '2022-03-01-preview2';
const JOB_MS = 1_000;
const LIVE_MS = 2_000;

interface Case {
  variant: string;
  api: 'cpp' | 'productIngestion';
  /** Extra scenario settings over the variant's. */
  patch?: Partial<OfferScenario>;
  alreadyLive?: boolean;
}

const CASES: Case[] = [
  { variant: 'plain', api: 'productIngestion' },
  { variant: 'paged-lists', api: 'productIngestion' },
  { variant: 'paged-lists-relative', api: 'productIngestion' },
  { variant: 'job-detail-empty', api: 'productIngestion' },
  { variant: 'job-detail-fails', api: 'productIngestion' },
  { variant: 'no-preview-entry', api: 'productIngestion', alreadyLive: true },
  { variant: 'late-listing', api: 'productIngestion' },
  { variant: 'upper-case-keys', api: 'productIngestion' },
  { variant: 'extra-fields', api: 'productIngestion' },
  { variant: 'plain', api: 'cpp' },
  { variant: 'cpp-signoff-neverPublished', api: 'cpp' },
  { variant: 'cpp-signoff-notStarted', api: 'cpp' },
  { variant: 'cpp-signoff-waitingForPublisherReview', api: 'cpp' },
  { variant: 'cpp-signoff-running', api: 'cpp' },
  { variant: 'cpp-signoff-succeeded', api: 'cpp' },
  { variant: 'cpp-signoff-canceled', api: 'cpp' },
  { variant: 'cpp-signoff-failed', api: 'cpp' },
  { variant: 'cpp-operation-location', api: 'cpp' },
  { variant: 'cpp-extra-fields', api: 'cpp' },
];

const offerOf = (c: Case) => `${c.api === 'cpp' ? 'cpp' : 'pi'}-${c.variant}`.toLowerCase();

let stack: GoLiveStack;
let azurite: RunningAzurite;

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'golivevariations',
    offers: CASES.map((c) => [
      PUB,
      offerOf(c),
      // Variant patches set whole values only (no partial nested objects).
      {
        ...(variantNamed(c.variant).patch as Partial<OfferScenario>),
        jobDurationMs: JOB_MS,
        durationMs: LIVE_MS,
        ...c.patch,
      },
    ]),
    env: (simulatorUrl) => ({
      PRODUCT_INGESTION_BASE_URL: `${simulatorUrl}/rp/product-ingestion`,
      PRODUCT_INGESTION_TOKEN: 'local-dev-token',
      PRODUCT_INGESTION_SCHEMA_VERSION: V,
      GOLIVE_DEADLINE_MINUTES: '3',
    }),
  });
  ({ azurite } = stack);
  // Every go-live at once: the variations run side by side, as a release engineer's batch would.
  for (const c of CASES) {
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: PUB,
      offerId: offerOf(c),
      requestId: `var-${offerOf(c)}`,
      api: c.api,
    });
  }
});

afterAll(async () => {
  await stack?.close();
});

const isPost = (c: Case) => (r: RecordedRequest) =>
  r.method === 'POST' &&
  (c.api === 'cpp' ? r.path.endsWith('/golive') : r.path === '/rp/product-ingestion/configure') &&
  r.status >= 200 &&
  r.status < 300;

describe('one go-live per partner API variation, end to end', () => {
  it.each(CASES.map((c) => [`${c.api} ${c.variant}`, c] as const))(
    '%s: ends as the partner API says, one POST (none when already live), success only after the live end',
    async (_name, c) => {
      const offerId = offerOf(c);
      const event: CloudEvent<CompletionData> = await stack.completionFor(PUB, offerId, `${c.api} ${c.variant}`);
      expect(event).toMatchObject({
        type: 'golive.succeeded',
        data: { api: c.api, offerId, outcome: 'succeeded', error: null },
      });
      const requests = stack.sim.admin.requests({ offerId });
      const posts = requests.filter(isPost(c));
      if (c.alreadyLive) {
        expect(event.data.alreadyLive).toBe(true);
        expect(posts).toHaveLength(0);
        return;
      }
      expect(event.data.alreadyLive).toBeUndefined();
      expect(posts).toHaveLength(1);
      // The simulator's timeline: the PI live submission starts when the job completes and runs durationMs; it is
      // listed only lateListingMs after it started, so its end is seen no sooner than the later of the two. The
      // CPP operation runs durationMs from the POST.
      const scenario = stack.sim.admin.getScenario(PUB, offerId);
      const postAt = Date.parse(posts[0]!.time);
      const liveEnd = c.api === 'cpp' ? postAt + LIVE_MS : postAt + JOB_MS + Math.max(LIVE_MS, scenario.lateListingMs);
      expect(Date.parse(event.data.completedAt)).toBeGreaterThanOrEqual(liveEnd);
      if (c.api === 'productIngestion') {
        expect(event.data.operationStatus).toBe('completed/succeeded');
        expect(requests.every((r) => r.query['$version'] === V)).toBe(true);
      }
    },
  );

  it('a paged list was followed page by page (continuationToken), absolute and relative next links alike', () => {
    for (const variant of ['paged-lists', 'paged-lists-relative']) {
      const pages = stack.sim.admin
        .requests({ offerId: offerOf({ variant, api: 'productIngestion' }) })
        .filter((r) => r.path.includes('/submission/') && r.query['continuationToken'] !== undefined);
      expect(pages.length).toBeGreaterThan(0);
      expect(pages.every((r) => r.query['$version'] === V && r.status === 200)).toBe(true);
    }
  });

  it('a job detail that is empty or fails never ended a run: the run followed the id it posted', async () => {
    for (const variant of ['job-detail-empty', 'job-detail-fails']) {
      const offerId = offerOf({ variant, api: 'productIngestion' });
      const event = await stack.completionFor(PUB, offerId);
      expect(event.data).toMatchObject({ outcome: 'succeeded', operationId: submissionIdsFor(offerId).preview });
    }
  });
});
