// memory at scale: search_memory (a bounded, recency-ordered candidate set found by one database function,
// one round trip) vs the two-step search it replaced (bench/lib/two-step-search.mjs), interleaved, with the
// indexes the migrations build; then, with the GIN index on search alone built beside them for it, vs the
// single statement before that and vs ranking every match; for six query classes at 100,000 and 1,000,000
// turns of one agent, and at BENCH_SEARCH_MANY_TURNS (default 1,000,000; 0 skips it) turns over
// BENCH_SEARCH_AGENTS (10,000) agents; and
// get_compressed_memory's reads on a 100,000-turn session without a summary vs the reads they replaced;
// facts kept by the summariser on the committed corpus (apps/memory/test/fixtures/fact-corpus.json).
// The corpus is generated in SQL (generate_series), so 1,000,000 turns load in well under a minute.
// Both sides run in this process against the same Postgres, one query at a time, alternating.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createDatabase, createLogger, Registry } from '@factory/base-server';
import { parseMemoryConfig } from '../apps/memory/dist/config.js';
import { createExtractiveSummariser } from '../apps/memory/dist/compression/summariser.js';
import { measureFactRecall } from '../apps/memory/dist/compression/fact-recall.js';
import { createLlm } from '../apps/memory/dist/compression/llm.js';
import { createMemoryMetrics } from '../apps/memory/dist/memory-metrics.js';
import { migrations, MIGRATIONS_APP } from '../apps/memory/dist/db/migrations.js';
import { latestSummary, sessionTurnCount, newestTurnsWithin } from '../apps/memory/dist/turns/turn-repository.js';
import { searchTurns, textMatchesStatement, DEFAULT_TEXT_SEARCH } from '../apps/memory/dist/search/full-text-search.js';
import { fmt } from './lib/harness.mjs';
import { twoStepSearch } from './lib/two-step-search.mjs';

const { sql } = createRequire(new URL('../apps/memory/package.json', import.meta.url))('kysely');
const pg = createRequire(new URL('../apps/memory/package.json', import.meta.url))('pg');

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '100000,1000000').split(',').map(Number).filter((n) => n > 0);
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 40);
const BASELINE_RUNS = Number(process.env.BENCH_SEARCH_BASELINE_RUNS ?? 5);
const SCHEMA = `bench_memsearch_${randomBytes(4).toString('hex')}`;
/** Many agents: BENCH_SEARCH_MANY_TURNS turns over BENCH_SEARCH_AGENTS agents (0 turns: skipped). */
const MANY_TURNS = Number(process.env.BENCH_SEARCH_MANY_TURNS ?? 1_000_000);
const MANY_AGENTS = Number(process.env.BENCH_SEARCH_AGENTS ?? 10_000);
/** Reuse (and keep) a schema already loaded with the many-agent corpus, instead of loading a fresh one. */
const MANY_SCHEMA = process.env.BENCH_SEARCH_MANY_SCHEMA;

const logger = createLogger({ service: 'bench', version: '0', level: 'error' }); // the loads are slow queries on purpose
const database = await createDatabase({ url: PG_URL, schema: SCHEMA, logger, poolMax: 2, queryTimeoutMs: 900_000 });
await database.migrate(migrations, MIGRATIONS_APP);
const db = database.db;
/**
 * The single statement's index (GIN on search alone; migration 20261221000000 replaced it): built for that
 * baseline after search_memory and the two-step search are measured without it, and dropped again.
 */
const baselineIndex = (on) => sql`create index if not exists turns_search_idx on turns using gin (search)`.execute(on);
const dropBaselineIndex = (on) => sql`drop index if exists turns_search_idx`.execute(on);

/** The session counters a load by SQL bypasses (search reads an agent's turn count from them). */
const countSessions = (on) => sql`
  insert into sessions as s (agent_id, session_id, turn_count, token_count, unsummarised_tokens, last_turn_id)
  select agent_id, session_id, count(*), sum(token_count), sum(token_count), max(id) from turns group by agent_id, session_id
  on conflict (agent_id, session_id) do update set turn_count = excluded.turn_count, token_count = excluded.token_count,
    unsummarised_tokens = excluded.unsummarised_tokens, last_turn_id = excluded.last_turn_id`.execute(on);

/** Query classes: how many turns they match in the generated corpus. */
const CLASSES = [
  ['every turn', 'deployment'],
  ['1 in 20', 'billing'],
  ['1 in 260', 'kubernetes'],
  ['phrase, 1 in 260', '"deploy window"'],
  ['one turn', 'zanzibar'],
  ['no match', 'quokka'],
];

/** Appends turns (from, through] of agent `big`, 1,000 per session; "zanzibar" is said once, in turn 77,777. */
async function load(from, through) {
  await sql`
    insert into turns (agent_id, session_id, role, content, token_count)
    select 'big', 's' || (i / 1000), case when i % 2 = 0 then 'user' else 'assistant' end, c, ceil(length(c) / 4.0)::int + 4
    from generate_series(${from + 1}::int, ${through}::int) i,
      lateral (select 'Turn ' || i || ': the deployment of service ' || (i % 97) || ' ' ||
        (array['went fine', 'needs review', 'was rolled back', 'waits for approval', 'is scheduled'])[1 + i % 5] ||
        case when i % 20 = 0 then ' after the billing migration' else '' end ||
        case when i % 260 = 0 then ' on kubernetes' else '' end ||
        case when i % 260 = 130 then ', and the deploy window is Friday' else '' end ||
        case when i = 77777 then ' in zanzibar' else '' end || '.' as c) content`.execute(db);
  await countSessions(db);
  await sql`vacuum analyze turns`.execute(db);
}

/** The query search_memory ran before: ranks every match of the agent. */
const rankEveryMatch = (query, limit) => sql`
  select t.id, t.session_id, t.role, left(t.content, 1001) as content, t.created_at, ts_rank_cd(t.search, q) as rank
  from turns t, websearch_to_tsquery('english', ${query}) q
  where t.agent_id = 'big' and t.search @@ q
  order by rank desc, t.id desc limit ${limit}`.execute(db);

/**
 * The statement search_memory ran before the two-step search (one statement: the newest 200 matches by
 * a backward walk or the GIN index, as the planner guessed from the statistics, then ranked).
 */
const previousStatement = (agentId, query, limit) => sql`
  with candidates as materialized (
    select t.id, t.session_id, t.role, left(t.content, 1001) as content, t.created_at, t.search
    from turns t
    where t.agent_id = ${agentId} and t.search @@ websearch_to_tsquery('english', ${query})
    order by t.id desc
    limit 200
  )
  select c.id, c.session_id, c.role, c.content, c.created_at, ts_rank_cd(c.search, websearch_to_tsquery('english', ${query})) as rank
  from candidates c
  order by rank desc, c.id desc
  limit ${limit}`;

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
async function time(fn, runs) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99) };
}

/** Runs the functions in turn, `runs` times each, interleaved (a, b, c, a, b, c, ...): { p50, p99 } of each. */
async function timeInterleaved(fns, runs) {
  const ms = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      ms[k].push(performance.now() - t0);
    }
  }
  return ms.map((xs) => ({ p50: pct(xs, 50), p99: pct(xs, 99) }));
}

const vs = (a, b) => `p50 ${fmt(b.p50, 1).padStart(6)} p99 ${fmt(b.p99, 1).padStart(6)} ms (p99 ratio ${(a.p99 / b.p99).toFixed(3)}x)`;

/**
 * The plans of the statements search_memory's function runs for this query, EXPLAIN ANALYZE'd by
 * auto_explain (nested statements, sent back as notices), in schema `schema`.
 */
async function plans(schema, agentId, query) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const notices = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.query(`set search_path = "${schema}", public`);
    await client.query(`load 'auto_explain'`);
    for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', 'log_analyze = on', 'log_buffers = on', 'log_timing = off', 'log_level = notice']) {
      await client.query(`set auto_explain.${setting}`);
    }
    const compiled = textMatchesStatement(agentId, query, undefined, 10, DEFAULT_TEXT_SEARCH).compile(db);
    await client.query(compiled.sql, [...compiled.parameters]);
    // The last notice is the function call itself; costs and the id lists of the ranking are left out.
    return notices
      .slice(0, -1)
      .map((n) =>
        n
          .replace(/ {2}\(cost=[^)]*\)/g, '')
          .replace(/\{\d+(,\d+)+\}/g, (ids) => `{${ids.split(',').length} ids}`)
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      )
      .join('\n');
  } finally {
    await client.end();
  }
}

async function searchBench() {
  let loaded = 0;
  for (const size of SIZES) {
    const t0 = performance.now();
    await load(loaded, size);
    console.log(`loaded turns ${loaded + 1}..${size} of one agent in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    loaded = size;
    // With the indexes the migrations build: search_memory vs the two-step search, interleaved.
    const results = [];
    for (const [label, query] of CLASSES) {
      const hits = (await searchTurns(db, 'big', query, undefined, 10)).map((h) => h.memory_id);
      const same = JSON.stringify(hits) === JSON.stringify((await twoStepSearch(db, 'big', query, undefined, 10)).map((h) => h.memory_id));
      const [now, twoStep] = await timeInterleaved([() => searchTurns(db, 'big', query, undefined, 10), () => twoStepSearch(db, 'big', query, undefined, 10)], RUNS);
      results.push({ label, query, hits, now, twoStep, same });
    }
    // With the single statement's GIN index on search alone beside them: it, ranking every match, search_memory again.
    const t1 = performance.now();
    await baselineIndex(db);
    console.log(`built the baseline GIN index on search alone in ${fmt((performance.now() - t1) / 1000, 1)} s`);
    for (const r of results) {
      const [again, prev] = await timeInterleaved([() => searchTurns(db, 'big', r.query, undefined, 10), () => previousStatement('big', r.query, 10).execute(db)], RUNS);
      const [, old] = await timeInterleaved([() => searchTurns(db, 'big', r.query, undefined, 10), () => rankEveryMatch(r.query, 10)], BASELINE_RUNS);
      console.log(
        `search_memory ${r.label.padEnd(17)} at ${String(size).padStart(9)} turns: p50 ${fmt(r.now.p50, 1).padStart(6)} p99 ${fmt(r.now.p99, 1).padStart(6)} ms` +
          `   vs the two-step search: ${vs(r.now, r.twoStep)}${r.same ? '' : ' (DIFFERENT hits)'}` +
          `   | with the baseline index: search_memory p50 ${fmt(again.p50, 1).padStart(6)} p99 ${fmt(again.p99, 1).padStart(6)} ms vs the single statement: ${vs(again, prev)}` +
          `   vs ranking every match: ${vs(again, old)}   (${r.hits.length} hits; goal p99 <= 50 ms ${r.now.p99 <= 50 ? 'met' : 'NOT met'})`,
      );
    }
    await dropBaselineIndex(db);
  }
  if (loaded > 0 && process.env.BENCH_SEARCH_PLANS !== '0') {
    for (const [label, query] of CLASSES) console.log(`  plans, ${label}, ${loaded} turns:\n${await plans(SCHEMA, 'big', query)}`);
  }
}

/**
 * Loads `total` turns over `agents` agents into the current schema, interleaved (turn i belongs to agent
 * i % agents, so an agent's turns are spread over the whole table, as concurrent agents write them), with
 * the secondary indexes dropped during the load and built afterwards (much faster than maintaining them).
 * Per agent: "deployment" in every turn, "billing" in 1 of 20, "kubernetes" in 1 of 260 (and 1 of 260
 * over all agents), the phrase "deploy window" in 1 of 260, "zanzibar" in one turn, "quokka" in none.
 */
async function loadManyAgents(mdb, total, agents) {
  await sql`set maintenance_work_mem = '512MB'`.execute(mdb);
  await sql`drop index if exists turns_search_idx, turns_agent_search_idx, turns_session_recent_idx, turns_agent_recent_idx`.execute(mdb);
  const chunk = 1_000_000;
  for (let from = 0; from < total; from += chunk) {
    const through = Math.min(total, from + chunk);
    await sql`
      insert into turns (agent_id, session_id, role, content, token_count)
      select 'a' || a, 's' || (j / 100), case when j % 2 = 0 then 'user' else 'assistant' end, c, ceil(length(c) / 4.0)::int + 4
      from generate_series(${from}::int, ${through - 1}::int) i,
        lateral (select i % ${agents}::int as a, i / ${agents}::int as j) ids,
        lateral (select 'Turn ' || j || ': the deployment of service ' || (j % 97) || ' ' ||
          (array['went fine', 'needs review', 'was rolled back', 'waits for approval', 'is scheduled'])[1 + j % 5] ||
          case when j % 20 = 0 then ' after the billing migration' else '' end ||
          case when j % 260 = 0 then ' on kubernetes' else '' end ||
          case when j % 260 = 130 then ', and the deploy window is Friday' else '' end ||
          case when j = 500 + a % 400 then ' in zanzibar' else '' end || '.' as c) content`.execute(mdb);
    process.stdout.write(`  ${through} turns inserted\n`);
  }
  await sql`create index turns_session_recent_idx on turns (agent_id, session_id, id)`.execute(mdb);
  await sql`create index turns_agent_recent_idx on turns (agent_id, id)`.execute(mdb);
  await sql`create index turns_agent_search_idx on turns using gin ((agent_id || ''), search)`.execute(mdb);
  await countSessions(mdb);
  await sql`vacuum analyze turns`.execute(mdb);
}

/** search_memory at MANY_TURNS turns over MANY_AGENTS agents: each run asks a different agent. */
async function manyAgentsBench() {
  if (MANY_TURNS <= 0) return;
  const schema = MANY_SCHEMA ?? `${SCHEMA}_many`;
  const mdatabase = await createDatabase({ url: PG_URL, schema, logger, poolMax: 2, queryTimeoutMs: 1_800_000 });
  try {
    await mdatabase.migrate(migrations, MIGRATIONS_APP);
    const mdb = mdatabase.db;
    const { rows } = await sql`select count(*)::int as n from (select 1 from turns limit 1) t`.execute(mdb);
    if (rows[0].n === 0) {
      const t0 = performance.now();
      await loadManyAgents(mdb, MANY_TURNS, MANY_AGENTS);
      console.log(`loaded ${MANY_TURNS} turns over ${MANY_AGENTS} agents (insert from SQL, then indexes) in ${fmt((performance.now() - t0) / 1000, 0)} s`);
    } else {
      console.log(`reusing the corpus in schema ${schema}`);
    }
    let n = 0;
    const agent = () => `a${(n++ * 7919) % MANY_AGENTS}`;
    const results = [];
    await dropBaselineIndex(mdb);
    for (const [label, query] of CLASSES) {
      const [now, twoStep] = await timeInterleaved([() => searchTurns(mdb, agent(), query, undefined, 10), () => twoStepSearch(mdb, agent(), query, undefined, 10)], RUNS);
      const hits = (await searchTurns(mdb, 'a42', query, undefined, 10)).map((h) => h.memory_id);
      const same = JSON.stringify(hits) === JSON.stringify((await twoStepSearch(mdb, 'a42', query, undefined, 10)).map((h) => h.memory_id));
      results.push({ label, query, now, twoStep, hits, same });
    }
    await baselineIndex(mdb);
    for (const r of results) {
      const [again, prev] = await timeInterleaved([() => searchTurns(mdb, agent(), r.query, undefined, 10), () => previousStatement(agent(), r.query, 10).execute(mdb)], RUNS);
      console.log(
        `search_memory ${r.label.padEnd(17)} at ${MANY_TURNS} turns over ${MANY_AGENTS} agents: p50 ${fmt(r.now.p50, 1).padStart(6)} p99 ${fmt(r.now.p99, 1).padStart(6)} ms` +
          `   vs the two-step search: ${vs(r.now, r.twoStep)}${r.same ? '' : ' (DIFFERENT hits for a42)'}` +
          `   | with the baseline index: search_memory p50 ${fmt(again.p50, 1).padStart(6)} p99 ${fmt(again.p99, 1).padStart(6)} ms vs the single statement: ${vs(again, prev)}` +
          `   (${r.hits.length} hits for a42; goal p99 <= 50 ms ${r.now.p99 <= 50 ? 'met' : 'NOT met'})`,
      );
    }
    await dropBaselineIndex(mdb);
    if (process.env.BENCH_SEARCH_PLANS !== '0') {
      for (const [label, query] of CLASSES) console.log(`  plans, ${label}, agent a42 of ${MANY_AGENTS}:\n${await plans(schema, 'a42', query)}`);
    }
  } finally {
    if (!MANY_SCHEMA) await mdatabase.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await mdatabase.close();
  }
}

async function compressedBench() {
  const N = 100_000;
  await sql`
    insert into turns (agent_id, session_id, role, content, token_count)
    select 'cm', 'long', 'user', 'Turn ' || i || ': the deployment of the billing service went fine.', 17 from generate_series(1, ${N}::int) i`.execute(db);
  await sql`
    insert into sessions (agent_id, session_id, turn_count, token_count, unsummarised_tokens, last_turn_id)
    select 'cm', 'long', count(*), sum(token_count), sum(token_count), max(id) from turns where agent_id = 'cm'`.execute(db);
  await sql`analyze turns`.execute(db);
  const BUDGET = 2_000;
  // What get_compressed_memory reads now: the summary, the session's counters, the newest turns that fit.
  const now = () => Promise.all([latestSummary(db, 'cm', 'long'), sessionTurnCount(db, 'cm', 'long')]).then(() => newestTurnsWithin(db, 'cm', 'long', '0', BUDGET, 500));
  // What it read before: the summary, the newest 500 turns, and a count of every unsummarised turn.
  const before = async () => {
    await latestSummary(db, 'cm', 'long');
    await db.selectFrom('turns').select(['id', 'role', 'content', 'metadata', 'token_count', 'created_at']).where('agent_id', '=', 'cm').where('session_id', '=', 'long').where('id', '>', '0').orderBy('id', 'desc').limit(500).execute();
    await db.selectFrom('turns').select((eb) => eb.fn.countAll().as('n')).where('agent_id', '=', 'cm').where('session_id', '=', 'long').where('id', '>', '0').executeTakeFirst();
  };
  await now();
  await before();
  const a = await time(now, RUNS);
  const b = await time(before, Math.max(BASELINE_RUNS, 10));
  console.log(
    `get_compressed_memory reads, ${N} unsummarised turns, max_tokens ${BUDGET}: p50 ${fmt(a.p50, 2)} p99 ${fmt(a.p99, 2)} ms   vs before: p50 ${fmt(b.p50, 1)} p99 ${fmt(b.p99, 1)} ms   p50 ratio ${(a.p50 / b.p50).toFixed(3)}x   (goal p99 <= 50 ms ${a.p99 <= 50 ? 'met' : 'NOT met'})`,
  );
}

/** Facts kept in the summary / facts stated, on the committed corpus; BENCH_LLM_BASE_URL (+ _MODEL, _API_KEY) adds a real LLM, by hand. */
async function factsBench() {
  const corpus = JSON.parse(readFileSync(new URL('../apps/memory/test/fixtures/fact-corpus.json', import.meta.url), 'utf8'));
  const budget = parseMemoryConfig({}).SUMMARY_MAX_TOKENS;
  const summarisers = [createExtractiveSummariser()];
  if (process.env.BENCH_LLM_BASE_URL) {
    const env = { LLM_BASE_URL: process.env.BENCH_LLM_BASE_URL, LLM_MODEL: process.env.BENCH_LLM_MODEL ?? 'gpt-4o-mini', ...(process.env.BENCH_LLM_API_KEY ? { LLM_API_KEY: process.env.BENCH_LLM_API_KEY } : {}) };
    summarisers.push(createLlm(parseMemoryConfig(env), { metrics: createMemoryMetrics(new Registry()), logger }).summariser);
  }
  for (const s of summarisers) {
    const r = await measureFactRecall(s, corpus.conversations, { maxTokens: budget, turnsPerCall: 4 });
    console.log(`facts kept / facts stated, ${s.provider} (${s.model}), SUMMARY_MAX_TOKENS ${budget}: ${r.kept}/${r.stated} = ${r.ratio.toFixed(3)}   goal >= 0.9 (${r.ratio >= 0.9 ? 'met' : 'NOT met'})`);
  }
}

console.log('## memory at scale');
try {
  await factsBench();
  await searchBench();
  await compressedBench();
  await manyAgentsBench();
} finally {
  await db.schema.dropSchema(SCHEMA).ifExists().cascade().execute();
  await database.close();
}
