// Seeds realistic rollups: 30 days of day and hour buckets and the last hour of minute buckets, for
// each service's readiness and three dependencies (a 15 s poll interval's worth of checks). Large fleets
// pass { deps: [''], hourDays: 1 } to keep the seed to a few hundred thousand rows.
export async function seedRollups(db, sql, names, { deps = ['', 'database', 'queue', 'llm'], hourDays = 30 } = {}) {
  const hist = sql`array[0, 200, 30, 10, 0, 0, 0, 0, 0, 0, 0]::integer[]`;
  const rows = (granularity, from, to, step, checks) => sql`
    insert into rollups (granularity, bucket, service, dependency, checks, successes, latency_count, latency_sum, latency_hist)
    select ${granularity}, b, s, d, ${checks}, ${checks} - (random() < 0.02)::int, ${checks}, ${checks} * 9.5, ${hist}
    from unnest(${names}::text[]) as s, unnest(${deps}::text[]) as d,
         generate_series(date_trunc(${granularity}, now()) - ${from}::interval, date_trunc(${granularity}, now()) - ${to}::interval, ${step}::interval) as b
    on conflict do nothing`;
  await rows('day', '29 days', '0 days', '1 day', 5760).execute(db);
  // Hour buckets one day per statement, so no single statement runs long on a busy machine.
  for (let d = 0; d < hourDays; d++) await rows('hour', `${d * 24 + 23} hours`, `${d * 24} hours`, '1 hour', 240).execute(db);
  await rows('minute', '59 minutes', '0 minutes', '1 minute', 4).execute(db);
}
