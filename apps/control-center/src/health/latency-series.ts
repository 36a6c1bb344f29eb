// A service's /health response time over 1 h, 24 h or 7 d, as evenly spaced points (average and p95)
// built from the rollups: minutes for 1 h, hours for 24 h and 7 d (at most 168 rows read).
import type { Kysely } from 'kysely';
import type { Database, Granularity } from '../db/schema.js';
import { bucketStart, p95FromHistogram } from './rollups.js';

export const LATENCY_RANGES = ['1h', '24h', '7d'] as const;
export type LatencyRange = (typeof LATENCY_RANGES)[number];

const PLAN: Record<LatencyRange, { granularity: Granularity; pointMs: number; points: number }> = {
  '1h': { granularity: 'minute', pointMs: 60_000, points: 60 },
  '24h': { granularity: 'hour', pointMs: 3_600_000, points: 24 },
  '7d': { granularity: 'hour', pointMs: 3_600_000, points: 168 },
};

export interface LatencySeriesPoint {
  at: string;
  avgMs: number | null;
  p95Ms: number | null;
}

export async function latencySeries(db: Kysely<Database>, service: string, range: LatencyRange, now: Date): Promise<LatencySeriesPoint[]> {
  const plan = PLAN[range];
  const end = Math.floor(bucketStart(now, plan.granularity).getTime() / plan.pointMs) * plan.pointMs;
  const first = end - (plan.points - 1) * plan.pointMs;
  const rows = await db
    .selectFrom('rollups')
    .select(['bucket', 'latency_count', 'latency_sum', 'latency_hist'])
    .where('granularity', '=', plan.granularity)
    .where('service', '=', service)
    .where('dependency', '=', '')
    .where('bucket', '>=', new Date(first))
    .execute();
  const acc = Array.from({ length: plan.points }, () => ({ n: 0, sum: 0, hist: [] as number[] }));
  for (const r of rows) {
    const i = Math.floor((new Date(r.bucket).getTime() - first) / plan.pointMs);
    const a = acc[i];
    if (!a) continue;
    a.n += r.latency_count;
    a.sum += r.latency_sum;
    r.latency_hist.forEach((v, k) => (a.hist[k] = (a.hist[k] ?? 0) + v));
  }
  return acc.map((a, i) => ({
    at: new Date(first + i * plan.pointMs).toISOString(),
    avgMs: a.n === 0 ? null : Math.round(a.sum / a.n),
    p95Ms: a.n === 0 ? null : p95FromHistogram(a.hist),
  }));
}
