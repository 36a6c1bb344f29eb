import { describe, expect, it } from '@jest/globals';
import { downsample, sortSeries, summarise } from '../src/metrics/downsample.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i));

describe('downsampling and summaries', () => {
  it('keeps every point when the series is shorter than the cap', () => {
    const s = sortSeries([at(1), at(0)], [2, 1]);
    expect(downsample(s, 10)).toEqual([
      { t: at(0).toISOString(), avg: 1, min: 1, max: 1, n: 1 },
      { t: at(1).toISOString(), avg: 2, min: 2, max: 2, n: 1 },
    ]);
  });

  it('merges a long series into at most max points, keeping the spike in max and every datapoint counted', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 517 ? 999 : i % 10));
    const s = sortSeries(values.map((_, i) => at(i)), values);
    const points = downsample(s, 60);
    expect(points).toHaveLength(60);
    expect(points.reduce((sum, p) => sum + p.n, 0)).toBe(1000);
    expect(Math.max(...points.map((p) => p.max))).toBe(999);
    expect(Math.min(...points.map((p) => p.min))).toBe(0);
    expect(points[0]!.t).toBe(at(0).toISOString());
    for (const p of points) expect(p.min <= p.avg && p.avg <= p.max).toBe(true);
  });

  it('drops non-finite values and sorts by time', () => {
    const s = sortSeries([at(2), at(0), at(1)], [3, Number.NaN, 1]);
    expect(s.map((p) => p.v)).toEqual([1, 3]);
  });

  it('summarises min, max, avg, first, last and a rising, falling or flat trend', () => {
    const rising = sortSeries([0, 1, 2, 3, 4, 5].map(at), [10, 10, 20, 20, 40, 40]);
    expect(summarise(rising)).toEqual({ count: 6, min: 10, max: 40, avg: 23.3333, first: 10, last: 40, trend: 'rising', change_pct: 300 });
    expect(summarise(sortSeries([0, 1, 2].map(at), [50, 40, 10])).trend).toBe('falling');
    expect(summarise(sortSeries([0, 1, 2].map(at), [50, 52, 51])).trend).toBe('flat');
    expect(summarise(sortSeries([0, 1].map(at), [1, 2])).trend).toBe('insufficient_data');
    expect(summarise([])).toMatchObject({ count: 0, avg: null, trend: 'insufficient_data' });
  });
});
