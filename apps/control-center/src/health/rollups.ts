// Raw results and their per-minute, per-hour and per-day rollups (checks, successes, latency avg and p95).
import { sql, type Kysely } from 'kysely';
import type { Database, Granularity } from '../db/schema.js';

/** Upper bounds (ms) of the latency histogram kept in every rollup; the last bucket is open-ended. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
/** Reported as the p95 when it falls in the open-ended bucket (above 5 s). */
const OVERFLOW_MS = 10_000;

export interface Observation {
  service: string;
  /** '' for the service itself. */
  dependency: string;
  at: Date;
  success: boolean;
  status: string;
  latencyMs: number | null;
  message: string | null;
  /** Neutral (not configured, in maintenance): kept as a raw result but counted in no rollup, so in no uptime. */
  neutral?: boolean;
}

const GRANULARITY_MS: Record<Exclude<Granularity, 'day'>, number> = { minute: 60_000, hour: 3_600_000 };
export const GRANULARITIES: Granularity[] = ['minute', 'hour', 'day'];

export function bucketStart(at: Date, granularity: Granularity): Date {
  if (granularity === 'day') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const size = GRANULARITY_MS[granularity];
  return new Date(Math.floor(at.getTime() / size) * size);
}

export function histogramOf(latencyMs: number | null): number[] {
  const hist = new Array<number>(BUCKETS).fill(0);
  if (latencyMs === null) return hist;
  let i = LATENCY_BOUNDS_MS.findIndex((b) => latencyMs <= b);
  if (i === -1) i = BUCKETS - 1;
  hist[i] = 1;
  return hist;
}

/** The 95th percentile from a histogram: the upper bound of the bucket that holds it (null when empty). */
export function p95FromHistogram(hist: readonly number[]): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const target = Math.ceil(total * 0.95);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0;
    if (seen >= target) return LATENCY_BOUNDS_MS[i] ?? OVERFLOW_MS;
  }
  return null;
}

const CHUNK = 1000;

/** Writes raw results and folds them into the three rollups, in one transaction. */
export async function recordObservations(db: Kysely<Database>, observations: readonly Observation[]): Promise<void> {
  if (observations.length === 0) return;
  // Merge observations that fall in the same bucket (one statement may not update a row twice).
  const merged = new Map<string, { granularity: Granularity; bucket: Date; service: string; dependency: string; checks: number; successes: number; latency_count: number; latency_sum: number; latency_hist: number[] }>();
  for (const o of observations) {
    if (o.neutral) continue;
    for (const granularity of GRANULARITIES) {
      const bucket = bucketStart(o.at, granularity);
      const key = `${granularity}|${bucket.getTime()}|${o.service}|${o.dependency}`;
      let row = merged.get(key);
      if (!row) {
        row = { granularity, bucket, service: o.service, dependency: o.dependency, checks: 0, successes: 0, latency_count: 0, latency_sum: 0, latency_hist: new Array<number>(BUCKETS).fill(0) };
        merged.set(key, row);
      }
      row.checks += 1;
      if (o.success) row.successes += 1;
      if (o.latencyMs !== null) {
        row.latency_count += 1;
        row.latency_sum += o.latencyMs;
        const h = histogramOf(o.latencyMs);
        for (let i = 0; i < BUCKETS; i++) row.latency_hist[i] = (row.latency_hist[i] ?? 0) + (h[i] ?? 0);
      }
    }
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < observations.length; i += CHUNK) {
      await trx
        .insertInto('check_results')
        .values(
          observations.slice(i, i + CHUNK).map((o) => ({
            service: o.service,
            dependency: o.dependency,
            checked_at: o.at,
            success: o.success,
            status: o.status,
            latency_ms: o.latencyMs,
            message: o.message,
          })),
        )
        .execute();
    }
    const rows = [...merged.values()];
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('rollups')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['granularity', 'service', 'dependency', 'bucket']).doUpdateSet({
            checks: sql`rollups.checks + excluded.checks`,
            successes: sql`rollups.successes + excluded.successes`,
            latency_count: sql`rollups.latency_count + excluded.latency_count`,
            latency_sum: sql`rollups.latency_sum + excluded.latency_sum`,
            latency_hist: sql`(select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i) from unnest(rollups.latency_hist, excluded.latency_hist) with ordinality as t(a, b, i))`,
          }),
        )
        .execute();
    }
  });
}

export interface RetentionPolicy {
  rawHours: number;
}

/** Deletes raw results and fine-grained rollups past their retention. Hour rollups keep 90 days, day rollups 400. */
export async function pruneOldData(db: Kysely<Database>, now: Date, policy: RetentionPolicy): Promise<void> {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  await db.deleteFrom('check_results').where('checked_at', '<', ago(policy.rawHours * 3_600_000)).execute();
  await db.deleteFrom('rollups').where('granularity', '=', 'minute').where('bucket', '<', ago(48 * 3_600_000)).execute();
  await db.deleteFrom('rollups').where('granularity', '=', 'hour').where('bucket', '<', ago(91 * 86_400_000)).execute();
  await db.deleteFrom('rollups').where('granularity', '=', 'day').where('bucket', '<', ago(400 * 86_400_000)).execute();
}

export interface UptimeWindows {
  '24h': number | null;
  '7d': number | null;
  '30d': number | null;
  '90d': number | null;
}

const WINDOWS: Array<[keyof UptimeWindows, number]> = [
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
  ['30d', 30 * 86_400_000],
  ['90d', 90 * 86_400_000],
];

/**
 * Uptime (successes / checks) of each service's readiness over 24 h (hour rollups) and 7/30/90 days
 * (hour rollups for the partial first day are not mixed in: day buckets are counted whole).
 */
export async function uptimeByService(db: Kysely<Database>, now: Date, service?: string): Promise<Map<string, UptimeWindows>> {
  let q = db
    .selectFrom('rollups')
    .select(['service', 'granularity', 'bucket', 'checks', 'successes'])
    .where('dependency', '=', '')
    .where((eb) =>
      eb.or([
        eb.and([eb('granularity', '=', 'hour'), eb('bucket', '>=', new Date(now.getTime() - 86_400_000 + 1))]),
        eb.and([eb('granularity', '=', 'day'), eb('bucket', '>=', bucketStart(new Date(now.getTime() - 89 * 86_400_000), 'day'))]),
      ]),
    );
  if (service) q = q.where('service', '=', service);
  const rows = await q.execute();
  const acc = new Map<string, Record<keyof UptimeWindows, [number, number]>>();
  for (const r of rows) {
    let a = acc.get(r.service);
    if (!a) {
      a = { '24h': [0, 0], '7d': [0, 0], '30d': [0, 0], '90d': [0, 0] };
      acc.set(r.service, a);
    }
    const bucket = new Date(r.bucket).getTime();
    if (r.granularity === 'hour') {
      a['24h'][0] += r.successes;
      a['24h'][1] += r.checks;
      continue;
    }
    for (const [name, span] of WINDOWS) {
      if (name === '24h') continue;
      // A day bucket belongs to the window when the day overlaps it (the current day is always in).
      if (bucket + 86_400_000 > now.getTime() - span) {
        a[name][0] += r.successes;
        a[name][1] += r.checks;
      }
    }
  }
  const out = new Map<string, UptimeWindows>();
  for (const [s, a] of acc) {
    const ratio = ([ok, n]: [number, number]) => (n === 0 ? null : ok / n);
    out.set(s, { '24h': ratio(a['24h']), '7d': ratio(a['7d']), '30d': ratio(a['30d']), '90d': ratio(a['90d']) });
  }
  return out;
}

export interface SeriesPoint {
  bucket: string;
  checks: number;
  successes: number;
  uptime: number | null;
  latencyAvgMs: number | null;
  latencyP95Ms: number | null;
}

/** A rollup series for one service/dependency (or every service's readiness when service is omitted). */
export async function rollupSeries(
  db: Kysely<Database>,
  granularity: Granularity,
  from: Date,
  filter: { service?: string; dependency?: string } = {},
): Promise<Array<SeriesPoint & { service: string; dependency: string }>> {
  let q = db
    .selectFrom('rollups')
    .select(['service', 'dependency', 'bucket', 'checks', 'successes', 'latency_count', 'latency_sum', 'latency_hist'])
    .where('granularity', '=', granularity)
    .where('bucket', '>=', from);
  if (filter.service !== undefined) q = q.where('service', '=', filter.service);
  if (filter.dependency !== undefined) q = q.where('dependency', '=', filter.dependency);
  const rows = await q.orderBy('bucket').execute();
  return rows.map((r) => ({
    service: r.service,
    dependency: r.dependency,
    bucket: new Date(r.bucket).toISOString(),
    checks: r.checks,
    successes: r.successes,
    uptime: r.checks === 0 ? null : r.successes / r.checks,
    latencyAvgMs: r.latency_count === 0 ? null : Math.round(r.latency_sum / r.latency_count),
    latencyP95Ms: p95FromHistogram(r.latency_hist),
  }));
}
