/**
 * The polling plan end to end: the BUILT app in the local host against Azurite and the simulator. A CPP go-live
 * whose steps all say `< 1 day` ends after 16 seconds, far earlier than estimated: the run reads sparsely (the
 * estimate puts the end hours away) yet never more than GOLIVE_POLL_MAX_INTERVAL_SECONDS apart, so it sees the end
 * within that maximum interval. Times compared are the run's own (orchestration clock: the read's time and the
 * next read it planned) and the simulator's; nothing asserts how long the test took.
 */
import type { RunView } from '../../src/golive/run/view';
import { waitFor } from '../support/wait';
import { type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(150_000);

const MAX_INTERVAL_SECONDS = 4;
const DURATION_MS = 16_000;
let stack: GoLiveStack;

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'pollingeta',
    offers: [['eta', 'early-offer', { durationMs: DURATION_MS, stepTimeFrame: '< 1 day' }]],
    env: { GOLIVE_POLL_INTERVAL_SECONDS: '1', GOLIVE_POLL_MAX_INTERVAL_SECONDS: String(MAX_INTERVAL_SECONDS) },
  });
});

afterAll(async () => {
  await stack?.close();
});

async function view(): Promise<RunView | undefined> {
  const res = await fetch(`${stack.base}/api/golive/eta/early-offer`);
  return res.status === 200 ? ((await res.json()) as RunView) : undefined;
}

it('sees a go-live estimated "< 1 day" that ends early within the maximum interval, reading sparsely before', async () => {
  const posted = await fetch(`${stack.base}/api/golive/eta/early-offer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api: 'cpp', requestedBy: 'polling-e2e' }),
  });
  expect(posted.status).toBe(202);

  // Every plan the run shows while it runs: the read it was made at and the read it plans.
  const plans = new Map<string, Pick<RunView, 'lastCheckedAt' | 'nextCheckAt' | 'nextCheckReason' | 'expectedEnd'>>();
  const final = await waitFor(
    async () => {
      const v = await view();
      if (v?.active && v.lastCheckedAt && v.nextCheckAt) {
        plans.set(v.lastCheckedAt, {
          lastCheckedAt: v.lastCheckedAt,
          nextCheckAt: v.nextCheckAt,
          nextCheckReason: v.nextCheckReason,
          expectedEnd: v.expectedEnd,
        });
      }
      return v && !v.active && v.completionEvent ? v : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 150, what: 'the run of eta/early-offer to end' },
  );
  expect(final.outcome).toBe('succeeded');

  // The end as the simulator has it: the go-live operation runs DURATION_MS from its POST.
  const post = stack.sim.admin.requests({
    method: 'POST',
    publisherId: 'eta',
    offerId: 'early-offer',
    pathIncludes: '/golive',
  });
  expect(post).toHaveLength(1);
  const endedAt = Date.parse(post[0]?.time ?? '') + DURATION_MS;

  // The estimate put the end hours away ("< 1 day" for each remaining step) and the run read sparsely before it.
  const seen = [...plans.values()];
  expect(seen.length).toBeGreaterThan(0);
  const estimated = seen.filter((p) => p.expectedEnd !== null);
  expect(estimated.length).toBeGreaterThan(0);
  for (const p of estimated) {
    expect(p.expectedEnd?.basis).toContain('estimatedTimeFrame "< 1 day"');
    expect(Date.parse(p.expectedEnd?.at ?? '') - endedAt).toBeGreaterThan(3_600_000);
    expect(p.nextCheckReason).toBe('before likely end');
  }
  // Never longer between reads than the maximum interval (each plan, on the run's own clock).
  for (const p of seen) {
    const gap = Date.parse(p.nextCheckAt ?? '') - Date.parse(p.lastCheckedAt ?? '');
    expect(gap).toBeGreaterThan(1_000); // sparser than the 1 s interval: the estimate, not the interval, planned it
    expect(gap).toBeLessThanOrEqual(MAX_INTERVAL_SECONDS * 1_000);
  }

  // The read that saw the end is the one planned after the last read that saw it running: within the maximum interval.
  const checks = final.checks;
  const last = checks.at(-1);
  const beforeLast = checks.at(-2);
  expect(last?.status).toMatch(/^complete/);
  expect(beforeLast?.status).toBe('running');
  const plan = plans.get(beforeLast?.at ?? '');
  expect(plan).toBeDefined();
  const plannedAt = Date.parse(plan?.nextCheckAt ?? '');
  expect(plannedAt - Date.parse(beforeLast?.at ?? '')).toBeLessThanOrEqual(MAX_INTERVAL_SECONDS * 1_000);
  expect(Date.parse(last?.at ?? '')).toBeGreaterThanOrEqual(plannedAt);

  const reads = stack.sim.admin.requests({ method: 'GET', publisherId: 'eta', offerId: 'early-offer' });
  const detecting = reads.find((r) => Date.parse(r.time) >= endedAt && Date.parse(r.time) >= plannedAt - 1);
  console.log(
    `polling e2e: operation ended ${new Date(endedAt).toISOString()}, read that saw it planned ${plan?.nextCheckAt} ` +
      `(${((plannedAt - endedAt) / 1000).toFixed(1)} s after the end), arrived ${detecting?.time ?? '?'}; ` +
      `${final.pollCount} reads; expected end was ${estimated.at(-1)?.expectedEnd?.at}; max interval ${MAX_INTERVAL_SECONDS} s`,
  );
});
