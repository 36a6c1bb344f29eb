// memory retention at scale: BENCH_RETENTION_TURNS (default 1,000,000) turns over BENCH_RETENTION_AGENTS
// (100) agents, 1,000 turns per session, the older half past a 30-day retention. Half the agents are
// swept the way retention does it (deleteExpiredTurns: batches of BENCH_RETENTION_BATCH, 1,000, each its
// own transaction); the other half, as the baseline measured in the same run, by one transaction doing
// the same work (delete the expired turns and the sessions' summaries, lower the counters). Meanwhile a
// writer stores one turn at a time into sessions of the agents being swept; its latency shows what the
// locks cost writes. Then a sweep with nothing left to delete (the cost of an idle interval).
// The corpus is generated in SQL (generate_series). Prints figures and ratios; asserts nothing.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createDatabase, createLogger, Registry } from '@factory/base-server';
import { migrations, MIGRATIONS_APP } from '../apps/memory/dist/db/migrations.js';
import { storeTurns } from '../apps/memory/dist/turns/turn-repository.js';
import { deleteExpiredTurns } from '../apps/memory/dist/retention/retention-repository.js';
import { createRetentionSweep } from '../apps/memory/dist/retention/retention-sweep.js';
import { createMemoryMetrics } from '../apps/memory/dist/memory-metrics.js';
import { noCache } from '../apps/memory/dist/cache/memory-cache.js';
import { fmt } from './lib/harness.mjs';

const { sql } = createRequire(new URL('../apps/memory/package.json', import.meta.url))('kysely');

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TURNS = Number(process.env.BENCH_RETENTION_TURNS ?? 1_000_000);
const AGENTS = Number(process.env.BENCH_RETENTION_AGENTS ?? 100);
const BATCH = Number(process.env.BENCH_RETENTION_BATCH ?? 1_000);
const DAYS = 30;
const SCHEMA = `bench_memret_${randomBytes(4).toString('hex')}`;

const logger = createLogger({ service: 'bench', version: '0', level: 'warn' });
const database = await createDatabase({ url: PG_URL, schema: SCHEMA, poolMax: 4, logger });
const db = database.db;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

/** Stores one turn at a time into sessions of `agents` until stopped; returns the latencies in ms. */
function writer(agents) {
  let stop = false;
  const latencies = [];
  const done = (async () => {
    for (let i = 0; !stop; i++) {
      const agent = agents[i % agents.length];
      const started = performance.now();
      await storeTurns(database, agent, 's0', [{ role: 'user', content: `live write ${i}` }]);
      latencies.push(performance.now() - started);
    }
  })();
  return async () => {
    stop = true;
    await done;
    return latencies;
  };
}

try {
  await database.migrate(migrations, MIGRATIONS_APP);
  const started = performance.now();
  // Turn i of agent a: created evenly over the last 60 days in id order, so the older half has expired.
  const chunk = 200_000;
  for (let from = 0; from < TURNS; from += chunk) {
    const through = Math.min(TURNS, from + chunk);
    await sql`
      insert into turns (agent_id, session_id, role, content, token_count, created_at)
      select 'a' || (i % ${AGENTS}::int), 's' || ((i / ${AGENTS}::int) / 1000), 'user', c, ceil(length(c) / 4.0)::int + 4,
        now() - make_interval(days => 60) + (i::float8 / ${TURNS}::float8) * interval '60 days'
      from generate_series(${from}::int, ${through - 1}::int) i,
        lateral (select 'Turn ' || i || ': the deployment of service ' || (i % 97) || ' went fine.' as c) content`.execute(db);
  }
  await sql`
    insert into sessions (agent_id, session_id, turn_count, token_count, unsummarised_tokens, last_turn_id)
    select agent_id, session_id, count(*), sum(token_count), sum(token_count), max(id) from turns group by agent_id, session_id`.execute(db);
  // One summary per session, as compression would leave them.
  await sql`
    insert into summaries (agent_id, session_id, summary, covers_through_turn_id, turns_covered, input_tokens, output_tokens, provider, model)
    select agent_id, session_id, 'summary', last_turn_id, turn_count, 0, 0, 'bench', 'bench' from sessions`.execute(db);
  await sql`vacuum analyze`.execute(db);
  console.log(`loaded ${fmt(TURNS)} turns over ${AGENTS} agents in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const agents = Array.from({ length: AGENTS }, (_, a) => `a${a}`);
  const batched = agents.filter((_, i) => i % 2 === 0);
  const single = agents.filter((_, i) => i % 2 === 1);

  // Retention's way: bounded batches, each its own transaction.
  const stopA = writer(batched);
  const batchTimes = [];
  let deletedA = 0;
  const tA = performance.now();
  for (const agent of batched) {
    for (;;) {
      const t = performance.now();
      const b = await deleteExpiredTurns(db, agent, DAYS, BATCH);
      batchTimes.push(performance.now() - t);
      deletedA += b.turnsDeleted;
      if (b.candidates < BATCH) break;
    }
  }
  const elapsedA = performance.now() - tA;
  const writesA = await stopA();

  // Baseline: the same work in one transaction.
  const stopB = writer(single);
  const tB = performance.now();
  const deletedB = await db.transaction().execute(async (trx) => {
    const { rows } = await sql`
      with d as (
        delete from turns where agent_id = any(${single}::text[]) and created_at < now() - make_interval(days => ${DAYS}::int)
        returning agent_id, session_id, token_count
      ), per as (select agent_id, session_id, count(*)::int as n, sum(token_count)::bigint as tokens from d group by 1, 2),
      sums as (delete from summaries s using per where s.agent_id = per.agent_id and s.session_id = per.session_id returning 1),
      upd as (
        update sessions s set turn_count = s.turn_count - per.n, token_count = s.token_count - per.tokens, unsummarised_tokens = s.token_count - per.tokens
        from per where s.agent_id = per.agent_id and s.session_id = per.session_id returning 1
      )
      select (select coalesce(sum(n), 0) from per)::int as n, (select count(*) from sums) as s, (select count(*) from upd) as u`.execute(trx);
    await sql`delete from sessions where agent_id = any(${single}::text[]) and turn_count <= 0`.execute(trx);
    return rows[0].n;
  });
  const elapsedB = performance.now() - tB;
  const writesB = await stopB();

  console.log(`\nexpired turns deleted: batched ${fmt(deletedA)}, one transaction ${fmt(deletedB)}`);
  console.log(
    `batched (${BATCH}/transaction): ${(elapsedA / 1000).toFixed(1)} s, ${fmt(Math.round(deletedA / (elapsedA / 1000)))} turns/s; ${batchTimes.length} transactions, p50 ${pct(batchTimes, 50).toFixed(1)} ms, p99 ${pct(batchTimes, 99).toFixed(1)} ms, longest ${Math.max(...batchTimes).toFixed(0)} ms`,
  );
  console.log(`one transaction: ${(elapsedB / 1000).toFixed(1)} s, ${fmt(Math.round(deletedB / (elapsedB / 1000)))} turns/s; longest transaction ${elapsedB.toFixed(0)} ms`);
  console.log(`  ratio batched/one (total time): ${(elapsedA / elapsedB).toFixed(2)}x; longest transaction: ${(Math.max(...batchTimes) / elapsedB).toFixed(3)}x`);
  console.log(
    `concurrent single-turn writes: during batched ${writesA.length} writes, p50 ${pct(writesA, 50).toFixed(1)} / p99 ${pct(writesA, 99).toFixed(1)} / max ${Math.max(...writesA).toFixed(0)} ms; ` +
      `during one transaction ${writesB.length} writes, p50 ${pct(writesB, 50).toFixed(1)} / p99 ${pct(writesB, 99).toFixed(1)} / max ${Math.max(...writesB).toFixed(0)} ms`,
  );

  // An interval with nothing to delete: one bounded index read per agent.
  const sweep = createRetentionSweep({ db, defaultDays: DAYS, batch: BATCH, cache: noCache, metrics: createMemoryMetrics(new Registry()), logger, recompress: async () => {} });
  const tC = performance.now();
  const idle = await sweep();
  console.log(`\nidle sweep (nothing expired) over ${idle.agents_swept} agents: ${(performance.now() - tC).toFixed(0)} ms, ${idle.turns_deleted} deleted`);
} finally {
  await sql`drop schema if exists ${sql.id(SCHEMA)} cascade`.execute(db).catch(() => undefined);
  await database.close();
}
