// Shapes a metric series for an agent: at most N points (each bucket keeps min, max and avg) plus a
// summary with the trend, so a week of one-minute data fits in a few hundred tokens.

export interface SeriesPoint {
  /** Bucket start, ISO 8601. */
  t: string;
  avg: number;
  min: number;
  max: number;
  /** Raw datapoints merged into this point. */
  n: number;
}

export type Trend = 'rising' | 'falling' | 'flat' | 'insufficient_data';

export interface SeriesSummary {
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  first: number | null;
  last: number | null;
  trend: Trend;
  /** Change of the last third's mean against the first third's, in percent (null when undefined). */
  change_pct: number | null;
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);

/** Sorts (timestamp, value) pairs ascending; drops non-finite values. */
export function sortSeries(timestamps: readonly Date[], values: readonly number[]): Array<{ t: number; v: number }> {
  const out: Array<{ t: number; v: number }> = [];
  const n = Math.min(timestamps.length, values.length);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const t = timestamps[i]!.getTime();
    if (Number.isFinite(v) && Number.isFinite(t)) out.push({ t, v });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Splits an ascending series into at most maxPoints consecutive buckets of near-equal size. */
export function downsample(series: ReadonlyArray<{ t: number; v: number }>, maxPoints: number): SeriesPoint[] {
  const n = series.length;
  if (n === 0) return [];
  const buckets = Math.max(1, Math.min(maxPoints, n));
  const points: SeriesPoint[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = from; i < to; i++) {
      const v = series[i]!.v;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    points.push({ t: new Date(series[from]!.t).toISOString(), avg: round(sum / (to - from)), min: round(min), max: round(max), n: to - from });
  }
  return points;
}

const mean = (xs: ReadonlyArray<{ v: number }>) => xs.reduce((s, x) => s + x.v, 0) / xs.length;

/** Whole-series statistics and a trend from the first third against the last third (±10% = flat). */
export function summarise(series: ReadonlyArray<{ t: number; v: number }>): SeriesSummary {
  const n = series.length;
  if (n === 0) return { count: 0, min: null, max: null, avg: null, first: null, last: null, trend: 'insufficient_data', change_pct: null };
  let min = Infinity;
  let max = -Infinity;
  for (const { v } of series) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let trend: Trend = 'insufficient_data';
  let change: number | null = null;
  if (n >= 3) {
    const third = Math.max(1, Math.floor(n / 3));
    const head = mean(series.slice(0, third));
    const tail = mean(series.slice(n - third));
    const scale = Math.max(Math.abs(head), Math.abs(tail));
    if (scale === 0) {
      change = 0;
      trend = 'flat';
    } else {
      const rel = (tail - head) / (head === 0 ? scale : Math.abs(head));
      change = round(rel * 100);
      trend = rel > 0.1 ? 'rising' : rel < -0.1 ? 'falling' : 'flat';
    }
  }
  return { count: n, min: round(min), max: round(max), avg: round(mean(series)), first: round(series[0]!.v), last: round(series[n - 1]!.v), trend, change_pct: change };
}
