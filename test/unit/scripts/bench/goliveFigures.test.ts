import { fixedPollerCalls, formatTable, p50p95, percentile, seconds } from '../../../../scripts/bench/golive/figures';

describe('go-live bench figures', () => {
  it('percentile is nearest-rank over an ascending list; NaN when empty', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(10);
    expect(percentile(sorted, 95)).toBe(19);
    expect(percentile(sorted, 100)).toBe(20);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(p50p95([30, 10, 20, 40])).toEqual({ p50: 20, p95: 40, n: 4 });
  });

  it('a fixed poller makes the POST plus one read per interval until a read sees the operation terminal', () => {
    expect(fixedPollerCalls(0, 30)).toBe(2);
    expect(fixedPollerCalls(30_000, 30)).toBe(2);
    expect(fixedPollerCalls(30_001, 30)).toBe(3);
    expect(fixedPollerCalls(60_000, 30)).toBe(3);
  });

  it('formats the figures as an aligned Markdown table with goal met, missed or printed only', () => {
    const lines = formatTable([
      { figure: 'go-lives per minute', value: '1024', goal: '>= 1,000/min', met: true },
      { figure: 'p95', value: seconds(21_900), goal: '<= 20 s', met: false },
      { figure: 'ratio', value: '1.5x', goal: 'printed' },
    ]);
    expect(lines).toEqual([
      '| figure              | measured | goal         | met |',
      '| ------------------- | -------- | ------------ | --- |',
      '| go-lives per minute | 1024     | >= 1,000/min | yes |',
      '| p95                 | 21.9 s   | <= 20 s      | NO  |',
      '| ratio               | 1.5x     | printed      | -   |',
    ]);
    expect(seconds(NaN)).toBe('n/a');
  });
});
