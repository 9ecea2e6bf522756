/**
 * What each client gives the shared call pipeline, pinned for both clients: how messages name the API, how the
 * partner's own error detail is introduced, the user agent, the error codes, and how a transport failure is reported.
 */
import { PartnerApiError, PartnerTransportError } from '../../../src/partner/errors';
import {
  ProductIngestionClient,
  type ProductIngestionClientOptions,
} from '../../../src/partner/productIngestionClient';
import type { PartnerApi } from '../../../src/partner/types';
import {
  API_VERSION,
  caught,
  harness,
  json,
  type MockHarness,
  mockHarness,
  OFFER_PATH,
  ORIGIN,
  TARGET,
} from './helpers';

const PI_ORIGIN = 'https://graph.example.test';
const PI_BASE = `${PI_ORIGIN}/rp/product-ingestion`;
const V = '2022-03-01-preview2';
const JOB = '6b2d1c0e-2222-4b3c-8d4e-000000000def';
const PI_STATUS_PATH = `/rp/product-ingestion/configure/${JOB}/status?$version=${V}`;
const PI_JOB_URL = `${PI_BASE}/configure/${JOB}/status?$version=${V}`;
const CPP_OP_PATH = `${OFFER_PATH}/operations/op-1`;

function piHarness(overrides: Partial<ProductIngestionClientOptions> = {}): MockHarness<ProductIngestionClient> {
  return mockHarness(
    (common) =>
      new ProductIngestionClient({
        baseUrl: PI_BASE,
        schemaVersion: V,
        credential: { getToken: async () => ({ token: 'pi-token-0000', expiresOnTimestamp: Date.now() + 3_600_000 }) },
        ...common,
        ...overrides,
      }),
  );
}

interface Case {
  name: string;
  /** The API's name in transport messages. */
  callName: string;
  /** How the partner's error detail is introduced. */
  detailLabel: string;
  userAgent: string;
  make(overrides?: { maxRetries?: number; sleep?: (ms: number) => Promise<void> }): MockHarness<PartnerApi>;
  origin: string;
  /** The path the status read goes to (with query). */
  readPath: string;
  read(api: PartnerApi, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

const cases: Case[] = [
  {
    name: 'Cloud Partner Portal',
    callName: 'The partner API call',
    detailLabel: 'The partner API says',
    userAgent: 'marketplace-golive (cpp)',
    make: (overrides = {}) => harness(overrides),
    origin: ORIGIN,
    readPath: `${CPP_OP_PATH}?api-version=${API_VERSION}`,
    read: (api, options) => api.getOperation(TARGET, CPP_OP_PATH, options),
  },
  {
    name: 'Product Ingestion',
    callName: 'The Product Ingestion call',
    detailLabel: 'The API says',
    userAgent: 'marketplace-golive (product-ingestion)',
    make: (overrides = {}) => piHarness(overrides),
    origin: PI_ORIGIN,
    readPath: PI_STATUS_PATH,
    read: (api, options) => api.getOperation(TARGET, PI_JOB_URL, options),
  },
];

let h: MockHarness<PartnerApi> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(cases)('$name client through the call pipeline', (c) => {
  it('names the API when the call is aborted before it is sent, and sends nothing', async () => {
    h = c.make();
    const e = await caught(c.read(h.client, { abortSignal: AbortSignal.abort() }));
    expect(e).toBeInstanceOf(PartnerTransportError);
    expect(e).toMatchObject({ code: 'Aborted', sent: false });
    expect((e as Error).message).toBe(`${c.callName} was aborted before it was sent.`);
    expect(h.calls()).toHaveLength(0);
  });

  it('names the API when the wait before a retry is aborted', async () => {
    h = c.make({
      sleep: async () => {
        throw new Error('aborted');
      },
    });
    h.agent.get(c.origin).intercept({ path: c.readPath, method: 'GET' }).reply(503, '');
    const e = await caught(c.read(h.client));
    expect(e).toBeInstanceOf(PartnerTransportError);
    expect(e).toMatchObject({ code: 'Aborted', sent: false });
    expect((e as Error).message).toBe(`${c.callName} was aborted while waiting to retry.`);
    expect(h.calls()).toHaveLength(1);
  });

  it("quotes the partner's error detail after its own label, and sends its user agent", async () => {
    h = c.make();
    h.agent
      .get(c.origin)
      .intercept({ path: c.readPath, method: 'GET' })
      .reply(404, { error: { code: 'notFound', message: 'no such thing' } }, { headers: json });
    const e = await caught(c.read(h.client));
    expect(e).toBeInstanceOf(PartnerApiError);
    expect(e).toMatchObject({ code: 'NotFound', statusCode: 404, retriable: false });
    expect((e as Error).message).toMatch(/^GET \S+ answered 404\. Not found: /);
    expect((e as Error).message.endsWith(` ${c.detailLabel}: notFound: no such thing`)).toBe(true);
    expect(h.calls()[0]?.headers['user-agent']).toBe(c.userAgent);
  });

  it.each([
    [408, 'Timeout'],
    [410, 'UnexpectedResponse'],
    [412, 'PreconditionFailed'],
    [422, 'UnprocessableEntity'],
    [501, 'ServerError'],
  ])('maps a %i on a read to %s', async (status, code) => {
    h = c.make({ maxRetries: 0 });
    h.agent.get(c.origin).intercept({ path: c.readPath, method: 'GET' }).reply(status, '');
    expect(await caught(c.read(h.client))).toMatchObject({ code, statusCode: status });
  });
});

it('Product Ingestion reports how long a failed transport attempt took, as the CPP client does', async () => {
  const pi = piHarness({ maxRetries: 0 });
  h = pi;
  pi.agent
    .get(PI_ORIGIN)
    .intercept({ path: PI_STATUS_PATH, method: 'GET' })
    .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  expect(await caught(pi.client.getOperation(TARGET, PI_JOB_URL))).toMatchObject({ code: 'NetworkError' });
  expect(pi.responses).toEqual([
    {
      method: 'GET',
      path: `/rp/product-ingestion/configure/${JOB}/status`,
      durationMs: expect.any(Number),
      attempt: 1,
      errorCode: 'NetworkError',
    },
  ]);
  expect(pi.responses[0]!.durationMs).toBeGreaterThan(0);
});
