import {
  GoLiveOutcomeUnknownError,
  OperationUrlRefusedError,
  PartnerApiError,
  PartnerTransportError,
} from '../../../src/partner/errors';
import {
  API_VERSION,
  caught,
  type Harness,
  harness,
  json,
  netError,
  OFFER_PATH,
  ORIGIN,
  TARGET,
  TOKEN,
} from './helpers';

const OP_ID = '9d1c0a8e-0000-4f00-8000-000000000001';
const OP_PATH = `${OFFER_PATH}/operations/${OP_ID}`;
const OP_URL = `${ORIGIN}${OP_PATH}?api-version=${API_VERSION}`;
const GOLIVE = `${OFFER_PATH}/golive?api-version=${API_VERSION}`;

const operation = (status: string) => ({
  status,
  messages: [],
  steps: [{ id: 'live', stepName: 'Live', status: 'inProgress', progressPercentage: 40, messages: [] }],
});

let h: Harness;
afterEach(async () => {
  await h.close();
});

function pool() {
  return h.agent.get(ORIGIN);
}

describe('startGoLive', () => {
  it('POSTs {} with the token, JSON headers and api-version, and resolves a relative Location', async () => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST', body: '{}' })
      .reply(202, '', { headers: { location: `${OP_PATH}?api-version=${API_VERSION}`, 'retry-after': '60' } });
    const accepted = await h.client.startGoLive(TARGET);
    expect(accepted).toEqual({ operationUrl: OP_URL, operationId: OP_ID, retryAfterSeconds: 60 });
    const [call] = h.calls();
    expect(call?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(call?.headers['accept']).toBe('application/json');
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads an absolute Operation-Location and adds the missing api-version', async () => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { 'operation-location': `${ORIGIN}${OP_PATH}` } });
    expect((await h.client.startGoLive(TARGET)).operationUrl).toBe(OP_URL);
  });

  it('prefers Location when both headers come', async () => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', {
        headers: {
          location: '/api/operations/contoso$contoso-vm-offer$2$production',
          'operation-location': `${ORIGIN}${OP_PATH}`,
        },
      });
    const accepted = await h.client.startGoLive(TARGET);
    expect(accepted.operationId).toBe('contoso$contoso-vm-offer$2$production');
    expect(accepted.operationUrl).toBe(
      `${ORIGIN}/api/operations/contoso$contoso-vm-offer$2$production?api-version=${API_VERSION}`,
    );
  });

  it('throws a typed error when no operation header comes', async () => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { 'x-ms-request-id': 'rid-1' } });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toMatchObject({ code: 'UnexpectedResponse', statusCode: 202, requestId: 'rid-1', retriable: false });
  });

  it('refuses a Location on another origin', async () => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { location: `https://evil.example.test${OP_PATH}` } });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(OperationUrlRefusedError);
    expect(h.calls()).toHaveLength(1);
  });

  it('encodes path segments', async () => {
    h = harness();
    pool()
      .intercept({ path: `/api/publishers/a%20b%2Fc/offers/x%3Fy/golive?api-version=${API_VERSION}`, method: 'POST' })
      .reply(202, '', { headers: { location: '/api/operations/x' } });
    await h.client.startGoLive({ api: 'cpp', publisherId: 'a b/c', offerId: 'x?y' });
    expect(h.calls()).toHaveLength(1);
  });

  it.each([429, 503])('retries %i (surely not accepted), honouring Retry-After', async (status) => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(status, '', { headers: { 'retry-after': '0' } });
    pool().intercept({ path: GOLIVE, method: 'POST' }).reply(status, '');
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { location: OP_PATH } });
    await h.client.startGoLive(TARGET);
    expect(h.calls()).toHaveLength(3);
    expect(h.sleeps[0]).toBe(0);
    expect(h.sleeps[1]).toBeGreaterThanOrEqual(5);
    expect(h.responses.map((r) => [r.attempt, r.status])).toEqual([
      [1, status],
      [2, status],
      [3, 202],
    ]);
  });

  it('retries a refused connection (nothing was sent)', async () => {
    h = harness();
    pool().intercept({ path: GOLIVE, method: 'POST' }).replyWithError(netError('ECONNREFUSED'));
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { location: OP_PATH } });
    await h.client.startGoLive(TARGET);
    expect(h.calls()).toHaveLength(2);
    expect(h.responses[0]).toMatchObject({ attempt: 1, errorCode: 'NetworkError' });
  });

  it('gives up on refused connections as a NetworkError that says nothing was sent', async () => {
    h = harness({ maxRetries: 1 });
    pool().intercept({ path: GOLIVE, method: 'POST' }).replyWithError(netError('ECONNREFUSED')).times(2);
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(PartnerTransportError);
    expect(e).toMatchObject({ code: 'NetworkError', sent: false, networkCode: 'ECONNREFUSED', retriable: true });
    expect(h.calls()).toHaveLength(2);
  });

  it.each([500, 502, 504, 408])('does not retry %i: the outcome is unknown', async (status) => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(
        status,
        { error: { code: 'InternalServerError', message: 'oops' } },
        { headers: { ...json, 'x-ms-request-id': 'rid-5' } },
      );
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(e).toMatchObject({ code: 'OutcomeUnknown', statusCode: status, requestId: 'rid-5', retriable: true });
    expect((e as PartnerApiError).body).toEqual({ error: { code: 'InternalServerError', message: 'oops' } });
    expect(h.calls()).toHaveLength(1);
  });

  it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'])(
    'does not retry a lost connection (%s): the outcome is unknown',
    async (code) => {
      h = harness();
      pool().intercept({ path: GOLIVE, method: 'POST' }).replyWithError(netError(code, 'other side closed'));
      const e = await caught(h.client.startGoLive(TARGET));
      expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
      expect((e as GoLiveOutcomeUnknownError).statusCode).toBeUndefined();
      expect((e as Error).cause).toBeInstanceOf(PartnerTransportError);
      expect(h.calls()).toHaveLength(1);
    },
  );

  it('does not retry a timeout: the outcome is unknown', async () => {
    h = harness({ timeoutMs: 50 });
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(202, '', { headers: { location: OP_PATH } })
      .delay(1_000);
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(((e as Error).cause as PartnerApiError).code).toBe('Timeout');
    expect(h.calls()).toHaveLength(1);
    expect(h.responses[0]).toMatchObject({
      errorCode: 'Timeout',
      attempt: 1,
      method: 'POST',
      path: `${OFFER_PATH}/golive`,
    });
    expect(h.responses[0]?.durationMs).toBeGreaterThan(0);
    expect(h.responses[0]?.status).toBeUndefined();
  });

  it.each([
    [400, 'BadRequest'],
    [404, 'NotFound'],
    [409, 'Conflict'],
    [422, 'UnprocessableEntity'],
  ])('does not retry a definite rejection (%i → %s)', async (status, code) => {
    h = harness();
    pool()
      .intercept({ path: GOLIVE, method: 'POST' })
      .reply(status, { error: { code, message: 'no' } }, { headers: json });
    const e = await caught(h.client.startGoLive(TARGET));
    expect(e).not.toBeInstanceOf(GoLiveOutcomeUnknownError);
    expect(e).toMatchObject({ code, statusCode: status, retriable: false });
    expect(h.calls()).toHaveLength(1);
  });
});

describe('getOperation', () => {
  it('reads a plain object, adds api-version, derives progress, takes Retry-After', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, operation('running'), { headers: { ...json, 'retry-after': '300' } });
    const status = await h.client.getOperation(TARGET, OP_PATH);
    expect(status).toMatchObject({
      operationUrl: OP_URL,
      operationId: OP_ID,
      rawStatus: 'running',
      state: 'running',
      terminal: false,
      progressPercentage: 40,
      retryAfterSeconds: 300,
    });
    expect(status.steps).toEqual([
      { id: 'live', stepName: 'Live', status: 'inProgress', progressPercentage: 40, messages: [] },
    ]);
  });

  it('reads the one-element array of the docs', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, [operation('completed')], { headers: json });
    const status = await h.client.getOperation(TARGET, OP_URL);
    expect(status).toMatchObject({
      state: 'succeeded',
      terminal: true,
      rawStatus: 'completed',
      progressPercentage: 100,
    });
  });

  it('reports an undocumented status as unknown, without throwing', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, operation('Hibernating'), { headers: json });
    expect(await h.client.getOperation(TARGET, OP_URL)).toMatchObject({
      state: 'unknown',
      terminal: false,
      rawStatus: 'Hibernating',
    });
  });

  it('treats an empty 200 body as an unexpected answer', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, '');
    expect(await caught(h.client.getOperation(TARGET, OP_URL))).toMatchObject({
      code: 'UnexpectedResponse',
      statusCode: 200,
    });
  });

  it.each([
    ['another host', `https://evil.example.test${OP_PATH}`],
    ['another port', `https://cloudpartner.example.test:8443${OP_PATH}`],
    ['another scheme', `http://cloudpartner.example.test${OP_PATH}`],
    ['a path outside /api/', `${ORIGIN}/other/${OP_ID}`],
  ])('refuses %s before any request', async (_what, url) => {
    h = harness();
    const e = await caught(h.client.getOperation(TARGET, url));
    expect(e).toBeInstanceOf(OperationUrlRefusedError);
    expect(h.calls()).toHaveLength(0);
    expect(h.responses).toHaveLength(0);
  });

  it('retries 429 with Retry-After, then succeeds (N throttles → N+1 attempts)', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(429, '', { headers: { 'retry-after': '1' } })
      .times(2);
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, operation('running'), { headers: json });
    await h.client.getOperation(TARGET, OP_URL);
    expect(h.calls()).toHaveLength(3);
    expect(h.sleeps).toEqual([1_000, 1_000]);
    expect(h.responses.map((r) => r.errorCode ?? r.status)).toEqual(['Throttled', 'Throttled', 200]);
  });

  it('retries 5xx, resets and timeouts with jittered exponential backoff', async () => {
    h = harness({ timeoutMs: 50, random: () => 0 });
    const path = `${OP_PATH}?api-version=${API_VERSION}`;
    pool().intercept({ path }).reply(500, '');
    pool().intercept({ path }).replyWithError(netError('ECONNRESET', 'read ECONNRESET'));
    pool().intercept({ path }).reply(200, operation('running'), { headers: json }).delay(1_000);
    pool().intercept({ path }).reply(200, operation('running'), { headers: json });
    await h.client.getOperation(TARGET, OP_URL);
    expect(h.responses.map((r) => r.errorCode ?? r.status)).toEqual(['ServerError', 'NetworkError', 'Timeout', 200]);
    expect(h.sleeps).toEqual([2, 5, 10]);
  });

  it('gives up after maxRetries with the last error', async () => {
    h = harness({ maxRetries: 2 });
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(
        503,
        { error: { code: 'ServiceUnavailable', message: 'later' } },
        { headers: { ...json, 'retry-after': '1' } },
      )
      .times(3);
    const e = await caught(h.client.getOperation(TARGET, OP_URL));
    expect(e).toMatchObject({ code: 'ServerError', statusCode: 503, retriable: true, retryAfterSeconds: 1 });
    expect(h.sleeps).toEqual([1_000, 1_000]);
    expect(h.calls()).toHaveLength(3);
  });

  it('leaves a Retry-After longer than retryMaxMs to the caller', async () => {
    h = harness({ retryMaxMs: 1_000 });
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(429, '', { headers: { 'retry-after': '120' } });
    const e = await caught(h.client.getOperation(TARGET, OP_URL));
    expect(e).toMatchObject({ code: 'Throttled', retryAfterSeconds: 120, retriable: true });
    expect(h.calls()).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it('honours an abort signal: before sending (no request) and while waiting for the answer (no retry)', async () => {
    h = harness({ timeoutMs: 5_000 });
    const before = new AbortController();
    before.abort();
    expect(await caught(h.client.getOperation(TARGET, OP_URL, { abortSignal: before.signal }))).toMatchObject({
      code: 'Aborted',
    });
    expect(h.calls()).toHaveLength(0);

    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, operation('running'), { headers: json })
      .delay(2_000);
    const during = new AbortController();
    setTimeout(() => during.abort(), 30);
    const e = await caught(h.client.getOperation(TARGET, OP_URL, { abortSignal: during.signal }));
    expect(e).toMatchObject({ code: 'Aborted' });
    expect(h.calls()).toHaveLength(1);
  });

  it('uses a per-call timeout over the configured one', async () => {
    h = harness({ timeoutMs: 10_000, maxRetries: 0 });
    pool()
      .intercept({ path: `${OP_PATH}?api-version=${API_VERSION}` })
      .reply(200, operation('running'), { headers: json })
      .delay(1_000);
    expect(await caught(h.client.getOperation(TARGET, OP_URL, { timeoutMs: 30 }))).toMatchObject({
      code: 'Timeout',
      retriable: true,
    });
  });
});

describe('error mapping', () => {
  const path = `${OP_PATH}?api-version=${API_VERSION}`;
  it.each([
    [400, 'InvalidAPIVersion', 'BadRequest', /PARTNER_API_VERSION/, false],
    [400, 'BadRequest', 'BadRequest', /malformed/, false],
    [401, 'Unauthorized', 'Unauthorized', /PARTNER_API_SCOPE.*credential/, false],
    [403, 'Forbidden', 'Forbidden', /Object ID of its enterprise application.*Owner or Contributor/, false],
    [404, 'NotFound', 'NotFound', /publisherId 'contoso', offerId 'contoso-vm-offer'/, false],
    [409, 'Conflict', 'Conflict', /running operation/, false],
    [412, 'PreconditionFailed', 'PreconditionFailed', /precondition/i, false],
    [422, 'UnprocessableEntity', 'UnprocessableEntity', /validation/, false],
    [429, 'TooManyRequests', 'Throttled', /throttling/, true],
    [500, 'InternalServerError', 'ServerError', /server error/, true],
    [418, 'Teapot', 'UnexpectedResponse', /unexpected 418/, false],
  ])('%i %s → %s', async (status, partnerCode, code, advice, retriable) => {
    h = harness({ maxRetries: 0 });
    const body = { error: { code: partnerCode, message: `partner says ${partnerCode}` } };
    pool()
      .intercept({ path })
      .reply(status, body, { headers: { ...json, 'x-ms-correlation-request-id': `corr-${status}` } });
    const e = await caught(h.client.getOperation(TARGET, OP_URL));
    expect(e).toBeInstanceOf(PartnerApiError);
    expect(e).toMatchObject({
      code,
      statusCode: status,
      body,
      detail: { code: partnerCode, message: `partner says ${partnerCode}` },
      requestId: `corr-${status}`,
      retriable,
    });
    expect((e as Error).message).toMatch(advice);
    expect((e as Error).message).toContain(`partner says ${partnerCode}`);
    expect((e as PartnerApiError).toJSON()).toMatchObject({ code, statusCode: status, requestId: `corr-${status}` });
  });

  it.each([
    ['x-ms-request-id', 'a'],
    ['x-ms-correlation-request-id', 'b'],
    ['request-id', 'c'],
  ])('captures the request id from %s', async (header, value) => {
    h = harness({ maxRetries: 0 });
    pool()
      .intercept({ path })
      .reply(404, '', { headers: { [header]: value } });
    expect(await caught(h.client.getOperation(TARGET, OP_URL))).toMatchObject({ requestId: value, body: undefined });
  });

  it('keeps a non-JSON error body as text', async () => {
    h = harness({ maxRetries: 0 });
    pool()
      .intercept({ path })
      .reply(502, '<html>Bad gateway</html>', { headers: { 'content-type': 'text/html' } });
    const e = await caught(h.client.getOperation(TARGET, OP_URL));
    expect(e).toMatchObject({ code: 'ServerError', body: '<html>Bad gateway</html>' });
    expect((e as PartnerApiError).detail).toBeUndefined();
  });

  it('removes the token should an error body ever echo it', async () => {
    h = harness({ maxRetries: 0 });
    pool()
      .intercept({ path })
      .reply(401, { error: { code: 'Unauthorized', message: `bad token ${TOKEN}` } }, { headers: json });
    const e = await caught(h.client.getOperation(TARGET, OP_URL));
    expect(JSON.stringify(e)).not.toContain(TOKEN);
    expect((e as Error).message).not.toContain(TOKEN);
  });

  it('never lets an onResponse hook failure break a call', async () => {
    h = harness({
      onResponse: () => {
        throw new Error('telemetry down');
      },
    });
    pool().intercept({ path }).reply(200, operation('running'), { headers: json });
    await expect(h.client.getOperation(TARGET, OP_URL)).resolves.toMatchObject({ state: 'running' });
  });
});

describe('listRunningOperations', () => {
  it('GETs submissions/ with status=running and builds operation URLs', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OFFER_PATH}/submissions/?api-version=${API_VERSION}&status=running` })
      .reply(200, [{ id: OP_ID, submissionType: 'goLive', submissionState: 'running', changedTime: 't' }], {
        headers: json,
      });
    expect(await h.client.listRunningOperations(TARGET)).toEqual([
      { operationId: OP_ID, operationUrl: OP_URL, submissionType: 'goLive', rawStatus: 'running', changedTime: 't' },
    ]);
    expect(h.responses[0]?.path).toBe(`${OFFER_PATH}/submissions/`);
  });
});

describe('cancel', () => {
  it('200 means cancelled at once', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OFFER_PATH}/cancel?api-version=${API_VERSION}`, method: 'POST', body: '{}' })
      .reply(200, '');
    expect(await h.client.cancel(TARGET)).toEqual({ completed: true });
  });

  it('202 gives the cancel operation URL', async () => {
    h = harness();
    pool()
      .intercept({ path: `${OFFER_PATH}/cancel?api-version=${API_VERSION}`, method: 'POST' })
      .reply(202, '', { headers: { location: `${OFFER_PATH}/operations/cancel-1?api-version=${API_VERSION}` } });
    expect(await h.client.cancel(TARGET, OP_URL)).toEqual({
      completed: false,
      operationUrl: `${ORIGIN}${OFFER_PATH}/operations/cancel-1?api-version=${API_VERSION}`,
    });
  });
});
