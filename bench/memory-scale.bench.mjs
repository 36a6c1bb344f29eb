// memory at scale: search_memory's query (a bounded, recency-ordered candidate set) vs the query it
// replaced (rank every match), for six query classes at 100,000 and 1,000,000 turns of one agent; and
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
import { searchTurns, searchStatement, latestSummary, sessionTurnCount, newestTurnsWithin } from '../apps/memory/dist/turns/turn-repository.js';
import { fmt } from './lib/harness.mjs';

const { sql } = createRequire(new URL('../apps/memory/package.json', import.meta.url))('kysely');

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 40);
const BASELINE_RUNS = Number(process.env.BENCH_SEARCH_BASELINE_RUNS ?? 5);
const SCHEMA = `bench_memsearch_${randomBytes(4).toString('hex')}`;

const logger = createLogger({ service: 'bench', version: '0', level: 'error' }); // the loads are slow queries on purpose
const database = await createDatabase({ url: PG_URL, schema: SCHEMA, logger, poolMax: 2, queryTimeoutMs: 120_000 });
await database.migrate(migrations, MIGRATIONS_APP);
const db = database.db;

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
  await sql`analyze turns`.execute(db);
}

/** The query search_memory ran before: ranks every match of the agent. */
const rankEveryMatch = (query, limit) => sql`
  select t.id, t.session_id, t.role, left(t.content, 1001) as content, t.created_at, ts_rank_cd(t.search, q) as rank
  from turns t, websearch_to_tsquery('english', ${query}) q
  where t.agent_id = 'big' and t.search @@ q
  order by rank desc, t.id desc limit ${limit}`.execute(db);

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

async function plan(query) {
  const { rows } = await sql`explain (analyze, costs off, timing off, summary off) ${searchStatement('big', query, undefined, 10)}`.execute(db);
  return rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n');
}

async function searchBench() {
  let loaded = 0;
  for (const size of SIZES) {
    const t0 = performance.now();
    await load(loaded, size);
    console.log(`loaded turns ${loaded + 1}..${size} of one agent in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    loaded = size;
    for (const [label, query] of CLASSES) {
      const hits = (await searchTurns(db, 'big', query, undefined, 10)).length;
      const now = await time(() => searchTurns(db, 'big', query, undefined, 10), RUNS);
      const old = await time(() => rankEveryMatch(query, 10), BASELINE_RUNS);
      const goal = now.p99 <= 50 ? 'met' : 'NOT met';
      console.log(
        `search_memory ${label.padEnd(17)} at ${String(size).padStart(9)} turns: p50 ${fmt(now.p50, 1).padStart(6)} p99 ${fmt(now.p99, 1).padStart(6)} ms` +
          `   vs ranking every match: p50 ${fmt(old.p50, 1).padStart(7)} p99 ${fmt(old.p99, 1).padStart(7)} ms   p50 ratio ${(now.p50 / old.p50).toFixed(3)}x   (${hits} hits; goal p99 <= 50 ms ${goal})`,
      );
    }
  }
  if (process.env.BENCH_SEARCH_PLANS !== '0') {
    for (const [label, query] of CLASSES) console.log(`  plan, ${label}, ${loaded} turns:\n${await plan(query)}`);
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
} finally {
  await db.schema.dropSchema(SCHEMA).ifExists().cascade().execute();
  await database.close();
}
