import {
  COMPLETION_PUBLISH_RETRY,
  PARTNER_CALL_RETRY,
  retryDelayMs,
  retryUntil,
  RUN_STATUS_WAIT,
} from '../../src/retryPolicy';

describe('retryDelayMs: one policy type for every retry', () => {
  it('durable-timer policies wait the nominal delay (replay computes the same time)', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(COMPLETION_PUBLISH_RETRY, n, () => 0.9))).toEqual([
      5_000, 10_000, 20_000, 40_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(RUN_STATUS_WAIT, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('the partner call policy jitters in the upper half of the nominal delay, capped', () => {
    expect(retryDelayMs(PARTNER_CALL_RETRY, 1, () => 0)).toBe(500);
    expect(retryDelayMs(PARTNER_CALL_RETRY, 1, () => 0.999)).toBe(999);
    expect(retryDelayMs(PARTNER_CALL_RETRY, 20, () => 0)).toBe(PARTNER_CALL_RETRY.maxMs / 2);
  });
});

describe('retryUntil', () => {
  it('tries until an answer, sleeping as the policy says', async () => {
    const slept: number[] = [];
    let tries = 0;
    const answer = await retryUntil(
      RUN_STATUS_WAIT,
      async () => (++tries === 4 ? 'done' : undefined),
      async (ms) => void slept.push(ms),
    );
    expect(answer).toBe('done');
    expect(slept).toEqual([100, 200, 400]);
  });

  it('gives up once the budget or the tries are spent', async () => {
    const slept: number[] = [];
    const budget = await retryUntil(
      { ...RUN_STATUS_WAIT, budgetMs: 1_000 },
      async () => undefined,
      async (ms) => void slept.push(ms),
    );
    expect(budget).toBeUndefined();
    expect(slept).toEqual([100, 200, 400, 800]);
    let tries = 0;
    await retryUntil(
      { ...COMPLETION_PUBLISH_RETRY },
      async () => void tries++,
      async () => undefined,
    );
    expect(tries).toBe(COMPLETION_PUBLISH_RETRY.maxAttempts);
  });
});
