import {
  nextCheckTime,
  nextPollDelaySeconds,
  nextReadAt,
  submitRetryDelaySeconds,
} from '../../../src/golive/pollingPolicy';

const base = { intervalSeconds: 300, maxIntervalSeconds: 3600 };

describe('nextPollDelaySeconds', () => {
  it('uses the configured interval after a successful read without Retry-After', () => {
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0 })).toBe(300);
  });

  it('uses Retry-After after a successful read, shorter or longer than the interval', () => {
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: 30 })).toBe(30);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: 7200 })).toBe(7200);
  });

  it('backs off exponentially on consecutive transient errors, capped by the maximum interval', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => nextPollDelaySeconds({ ...base, consecutiveErrors: n }));
    expect(delays).toEqual([300, 600, 1200, 2400, 3600, 3600]);
  });

  it('never polls sooner than a Retry-After that came with an error', () => {
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 1, retryAfterSeconds: 900 })).toBe(900);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 3, retryAfterSeconds: 10 })).toBe(1200);
  });

  it('ignores invalid Retry-After values and clamps to 1 s .. 1 day', () => {
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: Number.NaN })).toBe(300);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: -5 })).toBe(300);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: 0 })).toBe(1);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: 10 ** 9 })).toBe(86_400);
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 0, retryAfterSeconds: 1.2 })).toBe(2);
  });

  it('handles huge error counts without overflow', () => {
    expect(nextPollDelaySeconds({ ...base, consecutiveErrors: 5000 })).toBe(3600);
  });
});

describe('submitRetryDelaySeconds', () => {
  it('starts at min(interval, 30 s) and doubles up to the maximum interval', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => submitRetryDelaySeconds({ ...base, attempt }))).toEqual([
      30, 60, 120, 240, 3600,
    ]);
    expect(submitRetryDelaySeconds({ intervalSeconds: 2, maxIntervalSeconds: 30, attempt: 1 })).toBe(2);
  });

  it('honours Retry-After when it asks for longer', () => {
    expect(submitRetryDelaySeconds({ ...base, attempt: 1, retryAfterSeconds: 120 })).toBe(120);
    expect(submitRetryDelaySeconds({ ...base, attempt: 3, retryAfterSeconds: 5 })).toBe(120);
  });
});

describe('nextCheckTime', () => {
  it('is now + delay, but never after the deadline', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(nextCheckTime(now, 60, new Date('2026-01-01T01:00:00Z')).toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(nextCheckTime(now, 7200, new Date('2026-01-01T01:00:00Z')).toISOString()).toBe('2026-01-01T01:00:00.000Z');
  });
});

describe('nextReadAt: the time of the next read, as the process asks for it', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const settings = { pollIntervalSeconds: 60, pollMaxIntervalSeconds: 600 };
  const record = { deadlineAt: '2026-01-01T01:00:00.000Z' };

  it('is the interval after a read, the backoff after errors, Retry-After or the floor when longer', () => {
    expect(nextReadAt({ record, settings, now }).toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(nextReadAt({ record, settings, now, readErrors: 3 }).toISOString()).toBe('2026-01-01T00:04:00.000Z');
    expect(nextReadAt({ record, settings, now, retryAfterSeconds: 90 }).toISOString()).toBe('2026-01-01T00:01:30.000Z');
    const floored = { ...record, pollFloorSeconds: 120 };
    expect(nextReadAt({ record: floored, settings, now }).toISOString()).toBe('2026-01-01T00:02:00.000Z');
  });

  it('is never after the deadline', () => {
    const soon = { deadlineAt: '2026-01-01T00:00:30.000Z' };
    expect(nextReadAt({ record: soon, settings, now }).toISOString()).toBe(soon.deadlineAt);
  });
});
