import fc from 'fast-check';

import { type EndEstimate, estimateEnd } from '../../../../src/golive/polling/estimate';
import { planRunRead } from '../../../../src/golive/polling/plan';
import { MAX_SECONDS, planNextRead, type ReadPlanInput } from '../../../../src/golive/polling/policy';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const DAY = 86_400;

const estimateArb: fc.Arbitrary<EndEstimate | undefined> = fc.option(
  fc.record({
    sinceMs: fc.integer({ min: T0 - 30 * DAY * 1000, max: T0 }),
    mu: fc.double({ min: Math.log(10), max: Math.log(30 * DAY), noNaN: true }),
    sigma: fc.double({ min: 0, max: 3, noNaN: true }),
    basis: fc.constant('test'),
  }),
  { nil: undefined },
);

const inputArb: fc.Arbitrary<ReadPlanInput> = fc
  .record({
    offsetSeconds: fc.integer({ min: 0, max: 40 * DAY }),
    deadlineAfterSeconds: fc.integer({ min: 0, max: 14 * DAY }),
    intervalSeconds: fc.integer({ min: 1, max: 3_600 }),
    extraMax: fc.integer({ min: 0, max: 86_400 }),
    floorSeconds: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    retryAfterSeconds: fc.option(fc.integer({ min: 0, max: 7_200 }), { nil: undefined }),
    consecutiveErrors: fc.integer({ min: 0, max: 40 }),
    estimate: estimateArb,
  })
  .map((v) => {
    const now = new Date(T0 + v.offsetSeconds * 1000);
    return {
      now,
      deadline: new Date(now.getTime() + v.deadlineAfterSeconds * 1000),
      intervalSeconds: v.intervalSeconds,
      maxIntervalSeconds: v.intervalSeconds + v.extraMax,
      floorSeconds: v.floorSeconds,
      retryAfterSeconds: v.retryAfterSeconds,
      consecutiveErrors: v.consecutiveErrors,
      estimate: v.estimate,
    };
  });

const seconds = (input: ReadPlanInput, at: Date): number => (at.getTime() - input.now.getTime()) / 1000;

describe('planNextRead (properties)', () => {
  it('never reads before the floor or Retry-After, unless the deadline comes first', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planNextRead(input);
        if (plan.reason === 'deadline') return;
        const gap = seconds(input, plan.at);
        expect(gap).toBeGreaterThanOrEqual(input.floorSeconds ?? 0);
        expect(gap).toBeGreaterThanOrEqual(input.retryAfterSeconds ?? 0);
        expect(gap).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never waits longer than the maximum interval, unless the partner API or its floor asks for longer', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const gap = seconds(input, planNextRead(input).at);
        const allowed = Math.max(input.maxIntervalSeconds, input.floorSeconds ?? 0, input.retryAfterSeconds ?? 0);
        expect(gap).toBeLessThanOrEqual(Math.min(MAX_SECONDS, Math.ceil(allowed)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('never plans a read after the deadline', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planNextRead(input);
        expect(plan.at.getTime()).toBeLessThanOrEqual(Math.max(input.deadline.getTime(), input.now.getTime()));
        expect(plan.at.getTime()).toBeGreaterThanOrEqual(input.now.getTime());
      }),
      { numRuns: 2_000 },
    );
  });

  it('is deterministic: the same input gives the same plan (a replay plans the same reads)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(planNextRead(structuredClone(input))).toEqual(planNextRead(input));
      }),
      { numRuns: 1_000 },
    );
  });

  it('reads at the interval inside a narrow likely window, sparsely before it and backs off after it', () => {
    fc.assert(
      fc.property(fc.double({ min: Math.log(2 * 3_600), max: Math.log(5 * DAY), noNaN: true }), (mu) => {
        const estimate: EndEstimate = { sinceMs: T0, mu, sigma: 0.2, basis: 'test' };
        const at = (fraction: number): ReadPlanInput => ({
          now: new Date(T0 + Math.exp(mu) * fraction * 1000),
          deadline: new Date(T0 + 60 * DAY * 1000),
          intervalSeconds: 60,
          maxIntervalSeconds: 3_600,
          consecutiveErrors: 0,
          estimate,
        });
        const middle = planNextRead(at(1));
        expect(middle).toMatchObject({ reason: 'likely end', delaySeconds: 60 });
        const early = planNextRead(at(0.2));
        expect(early.reason).toBe('before likely end');
        expect(early.delaySeconds).toBeGreaterThan(60);
        const late = planNextRead(at(3));
        expect(late.reason).toBe('after likely end');
        expect(late.delaySeconds).toBeGreaterThan(60);
        expect(late.delaySeconds).toBeLessThanOrEqual(3_600);
      }),
    );
  });
});

describe('planNextRead (examples)', () => {
  const base: ReadPlanInput = {
    now: new Date(T0),
    deadline: new Date(T0 + 7 * DAY * 1000),
    intervalSeconds: 120,
    maxIntervalSeconds: 3_600,
    consecutiveErrors: 0,
  };

  it('without an estimate reads at the interval, at the floor when that is longer', () => {
    expect(planNextRead(base)).toMatchObject({ delaySeconds: 120, reason: 'no estimate' });
    expect(planNextRead({ ...base, intervalSeconds: 5, floorSeconds: 60 })).toMatchObject({ delaySeconds: 60 });
  });

  it('before the window opens, reads where it opens when that is sooner than the maximum interval', () => {
    // median 1 hour from now, sigma 0.2: the window opens at exp(-0.392) of an hour = 2432 s.
    const estimate: EndEstimate = { sinceMs: T0, mu: Math.log(3_600), sigma: 0.2, basis: 'test' };
    const plan = planNextRead({ ...base, estimate });
    expect(plan.reason).toBe('before likely end');
    expect(plan.delaySeconds).toBeGreaterThan(2_400);
    expect(plan.delaySeconds).toBeLessThan(2_450);
  });

  it("honours the partner API's Retry-After over the plan and says so", () => {
    expect(planNextRead({ ...base, retryAfterSeconds: 900 })).toMatchObject({
      delaySeconds: 900,
      reason: 'partner Retry-After',
    });
  });

  it('backs off exponentially after transient errors, capped by the maximum interval', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => planNextRead({ ...base, consecutiveErrors: n }).delaySeconds);
    expect(delays).toEqual([120, 240, 480, 960, 1_920, 3_600]);
  });

  it('plans the deadline itself when the next read would fall after it', () => {
    const deadline = new Date(T0 + 30_000);
    expect(planNextRead({ ...base, deadline })).toMatchObject({ at: deadline, reason: 'deadline' });
  });
});

describe('planRunRead: a step change re-plans at once', () => {
  it('plans from the new step when the steps move on', () => {
    const settings = {
      deadline: new Date(T0 + 30 * DAY * 1000),
      api: 'cpp' as const,
      intervalSeconds: 120,
      maxIntervalSeconds: 3_600,
      consecutiveErrors: 0,
      offerDurations: { Certification: [DAY, DAY, DAY], Live: [2 * DAY, 2 * DAY, 2 * DAY] },
    };
    const now = new Date(T0 + DAY * 1000);
    const inCertification = planRunRead({
      ...settings,
      now,
      stepSince: new Date(T0).toISOString(),
      steps: [
        { name: 'Certification', status: 'inProgress' },
        { name: 'Live', status: 'notStarted' },
      ],
    });
    // The end is two days off: sparse.
    expect(inCertification).toMatchObject({ reason: 'before likely end', delaySeconds: 3_600 });
    const liveLongAgo = planRunRead({
      ...settings,
      now,
      stepSince: new Date(T0 - DAY * 1000).toISOString(),
      steps: [
        { name: 'Certification', status: 'complete' },
        { name: 'Live', status: 'inProgress' },
      ],
    });
    // Live started two days ago and usually takes two days: the end is likely now.
    expect(liveLongAgo).toMatchObject({ reason: 'likely end', delaySeconds: 120 });
    expect(Date.parse(liveLongAgo.expectedEnd?.at ?? '')).toBe(T0 + DAY * 1000);
    expect(liveLongAgo.expectedEnd?.basis).toBe('Live: offer history (3 runs)');
  });
});

describe('estimateEnd', () => {
  it('adds the remaining steps: the median end of two steps is later than either alone', () => {
    const one = estimateEnd({ steps: [{ key: 'a', estimatedTimeFrame: '< 1 day' }], sinceMs: T0 });
    const two = estimateEnd({
      steps: [
        { key: 'a', estimatedTimeFrame: '< 1 day' },
        { key: 'b', estimatedTimeFrame: '~2-5 days' },
      ],
      sinceMs: T0,
    });
    expect(one && two && Math.exp(two.mu) > Math.exp(one.mu) + 2 * DAY).toBe(true);
    expect(two?.basis).toBe('a: estimatedTimeFrame "< 1 day" (+1 later step)');
  });

  it('has no estimate when a remaining step says nothing of its duration', () => {
    expect(estimateEnd({ steps: [{ key: 'Live' }], sinceMs: T0 })).toBeUndefined();
    expect(estimateEnd({ steps: [], sinceMs: T0 })).toBeUndefined();
  });
});
