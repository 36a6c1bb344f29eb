// memory: store rate (REST, MCP) vs raw single-row pg inserts, batch ingest, get_recent_turns cached vs
// uncached, compression cost after turn 100 vs after turn 10,000, worker throughput (extractive).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { startServer, row, fmt, MCP_HEADERS } from './lib/harness.mjs';
import { createDatabase, createLogger, Registry } from '@factory/base-server';
import { migrations, MIGRATIONS_APP } from '../apps/memory/dist/db/migrations.js';
import { createCompressionProcessor } from '../apps/memory/dist/compression/compression-processor.js';
import { createExtractiveSummariser } from '../apps/memory/dist/compression/summariser.js';
import { noCache } from '../apps/memory/dist/cache/memory-cache.js';
import { createMemoryMetrics } from '../apps/memory/dist/memory-metrics.js';
import { storeTurns } from '../apps/memory/dist/turns/turn-repository.js';
import { QUEUE_NAME } from '../apps/memory/dist/compression/compression-queue.js';

const require = createRequire(new URL('../apps/memory/package.json', import.meta.url));
const pg = require('pg');
const { Redis } = require('ioredis');
const { Queue } = require('bullmq');

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
/** Client concurrencies of the store comparison (the 10 / 50 / 100). */
const STORE_CONNECTIONS = (process.env.BENCH_STORE_CONNECTIONS ?? '10,50,100').split(',').map(Number).filter((n) => n > 0);
/**
 * Postgres connections the raw baseline may open at most: one per client up to this, then the clients
 * share them through pg.Pool, as an application would (max_connections is 100 here; the API keeps its
 * own pool of DATABASE_POOL_MAX = 10).
 */
const RAW_POOL_MAX = Number(process.env.BENCH_RAW_POOL_MAX ?? 50);
const STORE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const SESSIONS = 64;
const id = randomBytes(4).toString('hex');
const SCHEMA = `bench_memory_${id}`;
const PREFIX = `bench_memory_${id}`;
const env = {
  DATABASE_URL: PG_URL,
  DATABASE_SCHEMA: SCHEMA,
  DATABASE_POOL_MAX: String(CONNECTIONS),
  REDIS_URL,
  QUEUE_PREFIX: PREFIX,
  CACHE_PREFIX: `${PREFIX}:`,
  LOG_LEVEL: 'warn',
};
const CONTENT = 'The deployment of the billing service failed at 14:02 because the DATABASE_URL secret was missing in staging.';

const logger = createLogger({ service: 'bench', version: '0', level: 'warn' });
const database = await createDatabase({ url: PG_URL, schema: SCHEMA, logger, poolMax: CONNECTIONS });
await database.migrate(migrations, MIGRATIONS_APP);

/**
 * autocannon with each request's path and body from `make(i)` (i counts across all connections, so
 * concurrent requests spread over sessions); non-2xx fails the bench.
 */
async function cannon({ url, method, headers = {}, make, duration = DURATION, connections = CONNECTIONS, amount }) {
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    ...(amount ? { amount } : { duration }),
    requests: [{ method, headers, setupRequest: (req) => Object.assign(req, make(i++)) }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url}: ${bad} failed requests of ${result.requests.total}`);
  return { rps: result.requests.average, total: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, seconds: result.duration };
}

/** Raw single-row pg inserts into the same table, at the same concurrency, for `seconds`. */
async function rawInserts(seconds, clients = CONNECTIONS) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: Math.min(clients, RAW_POOL_MAX), options: `-c search_path=${SCHEMA}` });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end) {
        await pool.query('insert into turns (agent_id, session_id, role, content, token_count) values ($1, $2, $3, $4, $5)', ['raw', `s${(n + c) % SESSIONS}`, 'user', CONTENT, 30]);
        n++;
      }
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  await pool.end();
  return rate;
}

async function storeBench(api) {
  const base = `http://127.0.0.1:${api.port}`;
  const restReq = (i) => ({ path: `/v1/agents/bench/sessions/s${i % SESSIONS}/turns`, body: JSON.stringify({ role: 'user', content: CONTENT }) });
  const mcpReq = (i) => ({
    path: '/mcp',
    body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'store_memory', arguments: { agent_id: 'bench', session_id: `m${i % SESSIONS}`, role: 'user', content: CONTENT } } }),
  });
  // Warm up both paths, then alternate in rounds so drift hits all three alike; report each one's median round.
  await cannon({ url: base, method: 'POST', headers: { 'content-type': 'application/json' }, make: restReq, duration: 1 });
  await cannon({ url: base, method: 'POST', headers: MCP_HEADERS, make: mcpReq, duration: 1 });
  const median = (xs) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)];
  let rawAtDefault;
  for (const clients of STORE_CONNECTIONS) {
    const rounds = { raw: [], rest: [], mcp: [] };
    for (let r = 0; r < STORE_ROUNDS; r++) {
      rounds.raw.push({ rps: await rawInserts(ROUND_SECONDS, clients) });
      rounds.rest.push(await cannon({ url: base, method: 'POST', headers: { 'content-type': 'application/json' }, make: restReq, duration: ROUND_SECONDS, connections: clients }));
      rounds.mcp.push(await cannon({ url: base, method: 'POST', headers: MCP_HEADERS, make: mcpReq, duration: ROUND_SECONDS, connections: clients }));
    }
    const raw = median(rounds.raw).rps;
    const rest = median(rounds.rest);
    const mcp = median(rounds.mcp);
    if (clients === CONNECTIONS || rawAtDefault === undefined) rawAtDefault = raw;
    // The goal: at least the raw rate from 50 concurrent clients on (group commit); 0.5x below that.
    const goal = clients >= 50 ? 1 : 0.5;
    const label = `(${clients} conns, median of ${STORE_ROUNDS})`;
    const rawLabel = `raw pg single-row inserts (${Math.min(clients, RAW_POOL_MAX)} pg conns)`;
    console.log(row(`store_memory via REST ${label}`, rest.rps, rawLabel, raw, 'ops/s') + `   goal >= ${goal.toFixed(2)}x (${rest.rps >= goal * raw ? 'met' : 'NOT met'})`);
    console.log(row(`store_memory via MCP ${label}`, mcp.rps, rawLabel, raw, 'ops/s') + `   goal >= ${goal.toFixed(2)}x (${mcp.rps >= goal * raw ? 'met' : 'NOT met'})`);
    console.log(`  p99 latency: REST ${fmt(rest.p99, 1)} ms, MCP ${fmt(mcp.p99, 1)} ms; rounds (ops/s) raw ${rounds.raw.map((x) => fmt(x.rps)).join('/')}, REST ${rounds.rest.map((x) => fmt(x.rps)).join('/')}, MCP ${rounds.mcp.map((x) => fmt(x.rps)).join('/')}`);
  }
  return rawAtDefault;
}

async function batchBench(api, rawRate) {
  const BATCH = 500;
  const REQUESTS = Number(process.env.BENCH_BATCH_REQUESTS ?? 120);
  const turns = Array.from({ length: BATCH }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${CONTENT} (${i})` }));
  const body = JSON.stringify({ turns });
  const make = (i) => ({ path: `/v1/agents/bench/sessions/b${i % 16}/turns/batch`, body });
  await cannon({ url: `http://127.0.0.1:${api.port}`, method: 'POST', headers: { 'content-type': 'application/json' }, make, amount: 8, connections: 4 });
  // Timed here: autocannon reports its duration in whole seconds, too coarse for a 3-second run.
  const started = performance.now();
  await cannon({ url: `http://127.0.0.1:${api.port}`, method: 'POST', headers: { 'content-type': 'application/json' }, make, amount: REQUESTS, connections: 4 });
  const rate = (REQUESTS * BATCH) / ((performance.now() - started) / 1000);
  console.log(row(`batch ingest (${BATCH} turns/request, 4 conns)`, rate, 'raw pg single-row inserts', rawRate, 'turns/s') + `   goal >= 20000 turns/s (${rate >= 20_000 ? 'met' : 'NOT met'})`);
}

async function recentBench(cached, uncached) {
  // One session with 1,000 turns; read its newest 20.
  await storeTurns(database, 'bench', 'recent', Array.from({ length: 1000 }, (_, i) => ({ role: 'user', content: `${CONTENT} ${i}` })));
  const make = () => ({ path: '/v1/agents/bench/sessions/recent/turns?limit=20' });
  await cannon({ url: `http://127.0.0.1:${cached.port}`, method: 'GET', make, duration: 1 });
  await cannon({ url: `http://127.0.0.1:${uncached.port}`, method: 'GET', make, duration: 1 });
  const c = await cannon({ url: `http://127.0.0.1:${cached.port}`, method: 'GET', make });
  const u = await cannon({ url: `http://127.0.0.1:${uncached.port}`, method: 'GET', make });
  console.log(row('get_recent_turns(20) cached (Redis)', c.rps, 'uncached (Postgres)', u.rps));
  console.log(`  latency p50/p99: cached ${fmt(c.p50, 1)}/${fmt(c.p99, 1)} ms, uncached ${fmt(u.p50, 1)}/${fmt(u.p99, 1)} ms   (p50 ratio ${(c.p50 / Math.max(u.p50, 0.001)).toFixed(2)}x)`);
}

async function compressionCostBench() {
  const metrics = createMemoryMetrics(new Registry());
  const processor = createCompressionProcessor({
    db: database.db,
    summariser: createExtractiveSummariser(),
    cache: noCache,
    metrics,
    logger,
    summaryMaxTokens: 512,
    inputMaxTokens: 6000,
  });
  const turn = (i) => ({ role: i % 2 ? 'assistant' : 'user', content: `Turn ${i}: ${CONTENT}` });
  async function prepare(session, n) {
    let last;
    for (let i = 0; i < n; i += 1000) {
      const s = await storeTurns(database, 'cost', session, Array.from({ length: Math.min(1000, n - i) }, (_, k) => turn(i + k)));
      last = s.lastTurnId;
    }
    await processor({ agentId: 'cost', sessionId: session, throughTurnId: last });
  }
  // Both sessions are summarised up to turn n-10; each round adds 10 turns and times one compression.
  await prepare('short', 90);
  await prepare('long', 9_990);
  // Many short rounds, alternating which session goes first, so drift on a noisy machine hits both alike.
  const ROUNDS = 31;
  const times = { short: [], long: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const session of r % 2 ? ['long', 'short'] : ['short', 'long']) {
      const s = await storeTurns(database, 'cost', session, Array.from({ length: 10 }, (_, k) => turn(r * 10 + k)));
      const t0 = performance.now();
      const out = await processor({ agentId: 'cost', sessionId: session, throughTurnId: s.lastTurnId });
      times[session].push(performance.now() - t0);
      if (out.outcome !== 'completed') throw new Error(`compression of ${session} did not complete`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const short = median(times.short);
  const long = median(times.long);
  console.log(row('compress 10 new turns after turn 10,000 (median)', long, 'after turn 100', short, 'ms', 2) + '   goal <= 1.2x');
}

async function workerBench() {
  const JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 400);
  const CONC = 4;
  const metrics = createMemoryMetrics(new Registry());
  const processor = createCompressionProcessor({ db: database.db, summariser: createExtractiveSummariser(), cache: noCache, metrics, logger, summaryMaxTokens: 512, inputMaxTokens: 6000 });
  const mkSessions = async (prefix) => {
    const data = [];
    for (let j = 0; j < JOBS; j++) {
      const s = await storeTurns(database, 'worker', `${prefix}${j}`, Array.from({ length: 10 }, (_, k) => ({ role: 'user', content: `${CONTENT} ${k}` })));
      data.push({ agentId: 'worker', sessionId: `${prefix}${j}`, throughTurnId: s.lastTurnId });
    }
    return data;
  };
  // Baseline: the same processor called directly, CONC at a time, no queue.
  const direct = await mkSessions('d');
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < direct.length) await processor(direct[next++]);
  }));
  const directRate = JOBS / ((performance.now() - t0) / 1000);

  // The real worker process on the BullMQ queue, same concurrency.
  const queued = await mkSessions('q');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: PREFIX });
  await queue.obliterate({ force: true });
  const worker = await startServer('memory-worker.mjs', [], { ...env, WORKER_CONCURRENCY: String(CONC) });
  const t1 = performance.now();
  await queue.addBulk(queued.map((d, j) => ({ name: 'compress', data: d, opts: { jobId: `bench-${j}`, removeOnComplete: { count: 100_000 } } })));
  let done = 0;
  while (done < JOBS) {
    await sleep(50);
    const c = await queue.getJobCounts('completed', 'failed');
    done = c.completed + c.failed;
    if (c.failed) throw new Error(`${c.failed} compression jobs failed`);
  }
  const workerRate = JOBS / ((performance.now() - t1) / 1000);
  await worker.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
  console.log(row(`worker throughput, extractive (${CONC} concurrent)`, workerRate, 'processor called directly', directRate, 'jobs/s') + '   (BullMQ round trips + Postgres writes per job)');
}

async function cleanup() {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  await database.db.schema.dropSchema(SCHEMA).ifExists().cascade().execute();
  await database.close();
}

console.log('## memory');
const servers = [await startServer('memory-api.mjs', [], env), await startServer('memory-api.mjs', [], { ...env, CACHE_TTL_SECONDS: '0' })];
const stopServers = () => Promise.allSettled(servers.splice(0).map((s) => s.stop()));
try {
  const [api, uncached] = servers;
  const raw = await storeBench(api);
  await batchBench(api, raw);
  await recentBench(api, uncached);
  await stopServers();
  await compressionCostBench();
  await workerBench();
} finally {
  await stopServers();
  await cleanup();
}
