import { normalQuantile, parseTimeFrame, stepPrior } from '../../../../src/golive/polling/estimate';
import { durationsByStep, observeSteps, openStepSince, stepDurations } from '../../../../src/golive/polling/stepClock';

describe('parseTimeFrame', () => {
  it.each([
    ['< 15 min', { kind: 'upTo', seconds: 900 }],
    ['<15 min', { kind: 'upTo', seconds: 900 }],
    ['< 1 day', { kind: 'upTo', seconds: 86_400 }],
    ['< 5 day', { kind: 'upTo', seconds: 432_000 }],
    ['< 1 hour', { kind: 'upTo', seconds: 3_600 }],
    ['<= 2 Hours', { kind: 'upTo', seconds: 7_200 }],
    ['up to 3 days', { kind: 'upTo', seconds: 259_200 }],
    ['2 days', { kind: 'upTo', seconds: 172_800 }],
    ['~2-5 days', { kind: 'range', fromSeconds: 172_800, toSeconds: 432_000 }],
    ['~ 2 - 5 days', { kind: 'range', fromSeconds: 172_800, toSeconds: 432_000 }],
    ['2 to 5 days', { kind: 'range', fromSeconds: 172_800, toSeconds: 432_000 }],
    ['~5-2 days', { kind: 'range', fromSeconds: 172_800, toSeconds: 432_000 }],
    ['1.5 weeks', { kind: 'upTo', seconds: 907_200 }],
  ])('reads %j', (text, expected) => {
    expect(parseTimeFrame(text)).toEqual(expected);
  });

  it.each([undefined, '', 'soon', '< 0 day', '< 3 fortnights', 'days'])('says nothing for %j', (text) => {
    expect(parseTimeFrame(text)).toBeUndefined();
  });
});

describe('stepPrior', () => {
  it("prefers the offer's own durations, then the publisher's, then the time frame, then the phase", () => {
    const step = { key: 'Publish to live', estimatedTimeFrame: '< 1 day', phase: 'Publish to live' };
    expect(stepPrior(step, [7_200, 7_000], [100])?.basis).toBe('offer history (2 runs)');
    expect(stepPrior(step, [], [100])?.basis).toBe('publisher history (1 run)');
    expect(stepPrior(step)?.basis).toBe('estimatedTimeFrame "< 1 day"');
    expect(stepPrior({ key: 'x', phase: 'Publish to live' })?.basis).toBe('phase Publish to live (more than 30 min)');
    expect(stepPrior({ key: 'x' })).toBeUndefined();
  });

  it("centres on the durations measured and narrows with more of them, never below one run's spread", () => {
    const three = stepPrior({ key: 's' }, [3_600, 3_600, 3_600]);
    const one = stepPrior({ key: 's' }, [3_600]);
    expect(Math.exp(three?.mu ?? 0)).toBeCloseTo(3_600, 6);
    expect(three?.sigma).toBeLessThan(one?.sigma ?? 0);
    expect(three?.sigma).toBeGreaterThan(0.15);
    // The publisher's other offers say less than the offer's own runs.
    expect(stepPrior({ key: 's' }, [], [3_600, 3_600, 3_600])?.sigma).toBeGreaterThan(three?.sigma ?? 0);
  });
});

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959964],
    [0.025, -1.959964],
    [0.05, -1.644854],
    [0.999, 3.090232],
  ])('Φ⁻¹(%f) = %f', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 5);
  });
});

describe('step clock', () => {
  const steps = (current: number) =>
    ['Certification', 'Live'].map((name, i) => ({
      name,
      status: i < current ? 'complete' : i === current ? 'inProgress' : 'notStarted',
    }));

  it('opens the first step at the acceptance, moves halfway between the reads that saw a change, and closes on success', () => {
    let times = observeSteps([], steps(0), '2026-01-01T00:00:00.000Z', '2026-01-01T00:02:00.000Z');
    expect(times).toEqual([{ name: 'Certification', startedAt: '2026-01-01T00:00:00.000Z' }]);
    times = observeSteps(times, steps(0), '2026-01-01T00:02:00.000Z', '2026-01-01T01:00:00.000Z');
    expect(times).toHaveLength(1);
    times = observeSteps(times, steps(1), '2026-01-02T00:00:00.000Z', '2026-01-02T01:00:00.000Z');
    expect(openStepSince(times)).toBe('2026-01-02T00:30:00.000Z');
    times = observeSteps(times, steps(2), '2026-01-04T00:00:00.000Z', '2026-01-04T00:02:00.000Z', true);
    expect(openStepSince(times)).toBeUndefined();
    expect(stepDurations(times)).toEqual({ Certification: 88_200, Live: 171_060 });
  });

  it('collects earlier durations by step, newest run first', () => {
    expect(
      durationsByStep([{ stepDurations: { Live: 10 } }, {}, { stepDurations: { Live: 20, Certification: 5 } }]),
    ).toEqual({
      Live: [10, 20],
      Certification: [5],
    });
  });
});
