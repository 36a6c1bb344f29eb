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

/**
 * Writes raw results and folds them into the three rollups: one transaction of two statements whatever
 * the number of observations (each column travels as one array parameter through unnest).
 */
export async function recordObservations(db: Kysely<Database>, observations: readonly Observation[]): Promise<void> {
  if (observations.length === 0) return;
  // Merge observations that fall in the same bucket (one statement may not update a row twice).
  const merged = new Map<string, { granularity: Granularity; bucket: Date; service: string; dependency: string; checks: number; successes: number; latency_count: number; latency_sum: number; latency_hist: number[] }>();
  for (const o of observations) {
    if (o.neutral) continue;
    for (const granularity of GRANULARITIES) {
      const bucket = bucketStart(o.at, granularity);
      const key = JSON.stringify([granularity, bucket.getTime(), o.service, o.dependency]);
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
  const obs = (f: (o: Observation) => unknown) => observations.map(f);
  const rows = [...merged.values()];
  const roll = (f: (r: (typeof rows)[number]) => unknown) => rows.map(f);
  await db.transaction().execute(async (trx) => {
    await sql`
      insert into check_results (service, dependency, checked_at, success, status, latency_ms, message)
      select * from unnest(${obs((o) => o.service)}::text[], ${obs((o) => o.dependency)}::text[], ${obs((o) => o.at)}::timestamptz[],
        ${obs((o) => o.success)}::boolean[], ${obs((o) => o.status)}::text[], ${obs((o) => o.latencyMs)}::integer[], ${obs((o) => o.message)}::text[])`.execute(trx);
    await sql`
      insert into rollups (granularity, bucket, service, dependency, checks, successes, latency_count, latency_sum, latency_hist)
      select g, b, s, d, c, ok, n, total, h::integer[]
      from unnest(${roll((r) => r.granularity)}::text[], ${roll((r) => r.bucket)}::timestamptz[], ${roll((r) => r.service)}::text[], ${roll((r) => r.dependency)}::text[],
        ${roll((r) => r.checks)}::integer[], ${roll((r) => r.successes)}::integer[], ${roll((r) => r.latency_count)}::integer[], ${roll((r) => r.latency_sum)}::double precision[],
        ${roll((r) => `{${r.latency_hist.join(',')}}`)}::text[]) as v(g, b, s, d, c, ok, n, total, h)
      on conflict (granularity, service, dependency, bucket) do update set
        checks = rollups.checks + excluded.checks,
        successes = rollups.successes + excluded.successes,
        latency_count = rollups.latency_count + excluded.latency_count,
        latency_sum = rollups.latency_sum + excluded.latency_sum,
        latency_hist = (select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i) from unnest(rollups.latency_hist, excluded.latency_hist) with ordinality as t(a, b, i))`.execute(trx);
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
  // Summed in Postgres, one row per service: the fleet size does not multiply the rows read back.
  const since = (span: number) => new Date(now.getTime() - span - 86_400_000);
  const day = (span: number, col: 'successes' | 'checks') => sql<string | null>`sum(${sql.ref(col)}) filter (where granularity = 'day' and bucket > ${since(span)})`;
  const hour = (col: 'successes' | 'checks') => sql<string | null>`sum(${sql.ref(col)}) filter (where granularity = 'hour')`;
  let q = db
    .selectFrom('rollups')
    .select([
      'service',
      hour('successes').as('ok_24h'),
      hour('checks').as('n_24h'),
      ...WINDOWS.filter(([name]) => name !== '24h').flatMap(([name, span]) => [day(span, 'successes').as(`ok_${name}`), day(span, 'checks').as(`n_${name}`)]),
    ])
    .where('dependency', '=', '')
    .where((eb) =>
      eb.or([
        eb.and([eb('granularity', '=', 'hour'), eb('bucket', '>=', new Date(now.getTime() - 86_400_000 + 1))]),
        eb.and([eb('granularity', '=', 'day'), eb('bucket', '>=', bucketStart(new Date(now.getTime() - 89 * 86_400_000), 'day'))]),
      ]),
    )
    .groupBy('service');
  if (service) q = q.where('service', '=', service);
  const rows = (await q.execute()) as Array<Record<string, string | null> & { service: string }>;
  const out = new Map<string, UptimeWindows>();
  for (const r of rows) {
    const ratio = (name: keyof UptimeWindows) => {
      const n = Number(r[`n_${name}`] ?? 0);
      return n === 0 ? null : Number(r[`ok_${name}`] ?? 0) / n;
    };
    out.set(r.service, { '24h': ratio('24h'), '7d': ratio('7d'), '30d': ratio('30d'), '90d': ratio('90d') });
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
