/**
 * The app's one retry model: a `RetryPolicy` says how many tries, the wait before each retry (exponential from
 * `baseMs`, capped at `maxMs`), the longest total wait and the jitter. Every retry and every wait between tries is
 * one of the named policies below, used by the partner HTTP pipeline (in-call retries, `src/partner/pipeline.ts`),
 * the orchestration (durable timers: no jitter, so replay computes the same time) and the starter (status reads).
 * Pure; the partner API's `Retry-After` is read in `src/partner/retry.ts` and wins where it is honoured.
 */

export interface RetryPolicy {
  /** Tries in all, the first included (`Infinity`: bounded by `budgetMs` only). */
  maxAttempts: number;
  /** Wait before the first retry (before jitter). */
  baseMs: number;
  /** Cap on any one wait. */
  maxMs: number;
  /** Longest total wait across the retries (undefined: bounded by `maxAttempts` only). */
  budgetMs?: number;
  /** `none`: the nominal wait (durable timers); `upperHalf`: a random point in its upper half (concurrent callers). */
  jitter: 'none' | 'upperHalf';
}

/** Partner API calls retried inside one activity: 1 s x 2^n with jitter, at most 30 s a wait (tries: a setting). */
export const PARTNER_CALL_RETRY: RetryPolicy = { maxAttempts: 4, baseMs: 1_000, maxMs: 30_000, jitter: 'upperHalf' };

/** The completion event's publish, on durable timers: 5 tries, 5 s x 2^n. */
export const COMPLETION_PUBLISH_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 5_000, maxMs: 80_000, jitter: 'none' };

/** The starter reading a run until it shows a join (or ends): 100 ms x 2^n up to 1 s, for at most 30 s in all. */
export const RUN_STATUS_WAIT: RetryPolicy = {
  maxAttempts: Infinity,
  baseMs: 100,
  maxMs: 1_000,
  budgetMs: 30_000,
  jitter: 'none',
};

/**
 * The wait before retry number `retry` (1 = the first retry): `baseMs * 2^(retry-1)` capped at `maxMs`; with
 * `upperHalf` jitter a point in its upper half, so concurrent callers spread out but never retry sooner than half
 * the nominal wait. `random` returns [0, 1) (injectable for tests).
 */
export function retryDelayMs(
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs' | 'jitter'>,
  retry: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(retry));
  const base = Math.max(0, policy.baseMs);
  const max = Math.max(0, policy.maxMs);
  // 2^30 is plenty; larger exponents only overflow towards Infinity.
  const nominal = Math.min(max, base * 2 ** Math.min(n - 1, 30));
  if (policy.jitter === 'none') return nominal;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(nominal / 2 + (r * nominal) / 2);
}

/**
 * Tries `attempt` until it gives an answer (not undefined), waiting between tries as the policy says; undefined
 * once the tries or the budget run out.
 */
export async function retryUntil<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T | undefined>,
  sleep: (ms: number) => Promise<void>,
  random?: () => number,
): Promise<T | undefined> {
  let waited = 0;
  for (let tries = 1; ; tries++) {
    const answer = await attempt();
    if (answer !== undefined) return answer;
    if (tries >= policy.maxAttempts || waited >= (policy.budgetMs ?? Infinity)) return undefined;
    const ms = retryDelayMs(policy, tries, random);
    await sleep(ms);
    waited += ms;
  }
}
