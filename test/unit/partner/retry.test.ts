import {
  backoffDelayMs,
  MAX_RETRY_AFTER_SECONDS,
  parseRetryAfter,
  retryAfterFromHeaders,
  shouldRetryGoLive,
  shouldRetryRead,
} from '../../../src/partner/retry';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');

/** A seeded linear congruential generator: the same sequence every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date (IMF-fixdate, RFC 850) relative to now', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:01:30 GMT', NOW)).toBe(90);
    expect(parseRetryAfter('Tuesday, 24-Nov-26 10:00:10 GMT', NOW)).toBe(10);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, null, '', '   ', '-5', '1.5', 'soon', '12abc', '0x10', 'NaN', 'Infinity', '2026-13-45'])(
    'refuses nonsense %p',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  it('clamps huge values', () => {
    expect(parseRetryAfter('99999999999999999999', NOW)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', NOW)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(parseRetryAfter('600', NOW, 60)).toBe(60);
  });

  it('prefers the millisecond headers when present', () => {
    expect(retryAfterFromHeaders({ 'retry-after-ms': '1500', 'retry-after': '60' }, NOW)).toBe(2);
    expect(retryAfterFromHeaders({ 'x-ms-retry-after-ms': '200' }, NOW)).toBe(1);
    expect(retryAfterFromHeaders({ 'retry-after': '7' }, NOW)).toBe(7);
    expect(retryAfterFromHeaders({}, NOW)).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  const options = { baseMs: 100, maxMs: 5_000 };

  it('stays within the upper half of the nominal delay, which doubles per attempt', () => {
    const random = seeded(42);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const nominal = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelayMs(attempt, options, random);
        expect(d).toBeGreaterThanOrEqual(nominal / 2);
        expect(d).toBeLessThanOrEqual(nominal);
      }
    }
  });

  it('uses the random value for jitter (same seed, same delays; different values differ)', () => {
    const a = [1, 2, 3, 4].map((n) => backoffDelayMs(n, options, seeded(7)));
    const b = [1, 2, 3, 4].map((n) => backoffDelayMs(n, options, seeded(7)));
    expect(a).toEqual(b);
    expect(backoffDelayMs(3, options, () => 0)).toBe(200);
    expect(backoffDelayMs(3, options, () => 0.999999)).toBe(399);
  });

  it('never exceeds the cap, even for absurd attempts', () => {
    expect(backoffDelayMs(1_000, options, () => 0.9999)).toBeLessThanOrEqual(5_000);
    expect(backoffDelayMs(1_000, options, () => 0)).toBe(2_500);
    expect(Number.isFinite(backoffDelayMs(10_000, { baseMs: 1_000, maxMs: 60_000 }))).toBe(true);
  });

  it('treats attempt < 1 as the first retry', () => {
    expect(backoffDelayMs(0, options, () => 0)).toBe(50);
  });
});

describe('shouldRetryRead', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries %i', (status) => expect(shouldRetryRead(status)).toBe(true));
  it.each([200, 400, 401, 403, 404, 409, 412, 422, 501, 505])('does not retry %i', (status) =>
    expect(shouldRetryRead(status)).toBe(false),
  );

  it('retries network errors and timeouts, also when wrapped in a cause', () => {
    expect(shouldRetryRead(netError('ECONNRESET'))).toBe(true);
    expect(shouldRetryRead(netError('ECONNREFUSED'))).toBe(true);
    expect(shouldRetryRead(netError('UND_ERR_SOCKET', 'other side closed'))).toBe(true);
    expect(shouldRetryRead(new Error('fetch failed', { cause: netError('ECONNRESET') }))).toBe(true);
    expect(shouldRetryRead(new DOMException('timed out', 'TimeoutError'))).toBe(true);
  });

  it('does not retry an abort by the caller or an unknown error', () => {
    expect(shouldRetryRead(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(shouldRetryRead(new Error('boom'))).toBe(false);
  });
});

describe('shouldRetryGoLive', () => {
  it('retries only 429 and 503 among statuses', () => {
    expect(shouldRetryGoLive(429)).toBe(true);
    expect(shouldRetryGoLive(503)).toBe(true);
    for (const status of [400, 404, 408, 409, 500, 502, 504]) expect(shouldRetryGoLive(status)).toBe(false);
  });

  it('retries a connection that was never made', () => {
    expect(shouldRetryGoLive(netError('ECONNREFUSED'))).toBe(true);
    expect(shouldRetryGoLive(new Error('connect failed', { cause: netError('ECONNREFUSED') }))).toBe(true);
  });

  it('never retries after sending: reset, socket closed, timeout, abort', () => {
    expect(shouldRetryGoLive(netError('ECONNRESET'))).toBe(false);
    expect(shouldRetryGoLive(netError('UND_ERR_SOCKET'))).toBe(false);
    expect(shouldRetryGoLive(netError('EPIPE'))).toBe(false);
    expect(shouldRetryGoLive(new DOMException('timed out', 'TimeoutError'))).toBe(false);
    expect(shouldRetryGoLive(netError('UND_ERR_HEADERS_TIMEOUT'))).toBe(false);
    expect(shouldRetryGoLive(new DOMException('aborted', 'AbortError'))).toBe(false);
  });
});
