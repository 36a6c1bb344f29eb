// Workflows (apps/control-center/src/workflows): what the engine adds to a tool call, how many runs
// it carries at once, and how soon a killed worker's step runs again. The steps call a real base-server
// MCP server; the real worker process (dist/workflow-worker.js) runs them from Redis; runs are started
// through the engine as the API does. Baselines are the same tool calls made directly over MCP.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createDatabase, createLogger, createRedis, closeRedis, Registry } from '@factory/base-server';
import { createRequire } from 'node:module';
import { parseControlCenterConfig } from '../apps/control-center/dist/config.js';
import { migrations } from '../apps/control-center/dist/db/migrations.js';
import { callServerTool, newClient } from '../apps/control-center/dist/catalog/mcp-catalog.js';
import { createWorkflows } from '../apps/control-center/dist/workflows/workflow-context.js';
import { saveVersion } from '../apps/control-center/dist/workflows/repository.js';
import { parseDefinition } from '../apps/control-center/dist/workflows/definition.js';
import { startServer, row, fmt } from './lib/harness.mjs';

const require = createRequire(new URL('../apps/control-center/package.json', import.meta.url));
const pg = require('pg');

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = randomBytes(16).toString('hex');
const SCHEMA = `bench_wf_${randomBytes(4).toString('hex')}`;
const PREFIX = `bench-wf-${randomBytes(4).toString('hex')}`;
const LOCK_MS = 2_000;
const STALLED_MS = 500;
const WORKER_JS = fileURLToPath(new URL('../apps/control-center/dist/workflow-worker.js', import.meta.url));
// Polls until `probe` gives a value; a bench that waits forever measures nothing, so give up after 2 minutes.
async function waitFor(probe, what, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await sleep(5);
  }
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const tools = await startServer('workflow-tools.mjs', [], { BENCH_KEY: KEY });
const toolUrl = `http://127.0.0.1:${tools.port}`;
const env = {
  PORT: '0',
  LOG_LEVEL: 'warn',
  DATABASE_URL: PG_URL,
  DATABASE_SCHEMA: SCHEMA,
  REDIS_URL,
  WORKFLOW_QUEUE_PREFIX: PREFIX,
  SERVICES: JSON.stringify([{ name: 'tools', url: toolUrl, apiKey: KEY }]),
  POLLER_ENABLED: 'false',
  WORKFLOW_WORKER_CONCURRENCY: '50',
  WORKFLOW_WORKER_LOCK_MS: String(LOCK_MS),
  WORKFLOW_WORKER_STALLED_INTERVAL_MS: String(STALLED_MS),
  API_KEYS: `bench:${KEY}`,
};
const config = parseControlCenterConfig(env);
const logger = createLogger({ service: 'bench', version: '0', level: 'silent' });
const database = await createDatabase({ url: PG_URL, schema: SCHEMA, logger, poolMax: 20, applicationName: 'bench' });
await database.migrate(migrations, 'control-center');
const redis = createRedis({ url: REDIS_URL, role: 'producer', logger, name: 'bench' });
const { engine } = createWorkflows(config, { db: database.db, prepared: database, redis, logger, registry: new Registry() });

const save = (def) => saveVersion(database.db, parseDefinition(def), 'bench', new Date());
const steps5 = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, server: 'tools', tool: 'add', args: { a: i, b: `{% ${i === 0 ? 'input.n' : `steps.s${i - 1}.output.sum`} %}` } }));
await save({ name: 'five', input: { type: 'object', properties: { n: { type: 'number' } } }, steps: steps5 });
await save({ name: 'five-writes', input: { type: 'object', properties: { n: { type: 'number' } } }, steps: Array.from({ length: 5 }, (_, i) => ({ id: `w${i}`, server: 'tools', tool: 'tally', args: { n: i } })) });
await save({ name: 'slow', steps: [{ id: 'wait', server: 'tools', tool: 'sleep', args: { ms: 30_000 } }] });

function startWorker() {
  const child = spawn(process.execPath, [WORKER_JS], { env: { ...process.env, ...env, LOG_LEVEL: 'info', WORKFLOW_WORKER_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
      if (out.includes('"workflow-worker ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}
const kill = (child, signal = 'SIGTERM') =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

const finished = async (id) => {
  for (;;) {
    const r = await database.db.selectFrom('workflow_runs').select(['state', 'created_at', 'finished_at']).where('id', '=', id).executeTakeFirst();
    if (r?.finished_at) return r;
    // Not sooner: polling must not load the Postgres it measures (latency comes from the run's own timestamps).
    await sleep(20);
  }
};

const entry = { name: 'tools', url: toolUrl, apiKey: KEY, sharedApiKey: false, required: true, mcp: true };
let worker = await startWorker();
try {
  console.log('workflows: engine overhead per step, 1,000 concurrent runs, worker kill → step running again');

  // 1. Overhead: a 5-step run, one at a time, against the same 5 calls made directly. The direct calls
  // use the client the engine uses (newClient: the 2026-07-28 revision, negotiated), connected once,
  // and keep the runs' cadence: 5 calls in a row, after the same ~20 ms pause a run ends with (the
  // poll below), so the tool server is as idle before the first call as before a run's first step.
  // Runs and direct sequences alternate, so both see the same machine. Two tools: `add` is read-only
  // (its step's claim and record commit without waiting for the WAL flush: a Postgres crash may only
  // make it run again, which a read-only tool allows) and `tally` is a write (both commits wait for
  // the flush, as the crash-safety rule needs).
  const { client, transport } = newClient(entry, KEY, undefined);
  await client.connect(transport);
  const kinds = [
    { workflow: 'five', tool: 'add', args: (k, i) => ({ a: k, b: i }) },
    { workflow: 'five-writes', tool: 'tally', args: (k) => ({ n: k }) },
  ];
  const sequence = async (kind, i) => {
    const t = performance.now();
    for (let k = 0; k < 5; k++) await client.callTool({ name: kind.tool, arguments: kind.args(k, i) });
    return (performance.now() - t) / 5;
  };
  const perStep = kinds.map(() => []);
  const perCall = kinds.map(() => []);
  // The two workflows alternate too, run by run, so both see the same machine.
  for (let i = 0; i < 110; i++) {
    for (const [j, kind] of kinds.entries()) {
      const run = await engine.start(kind.workflow, { n: i }, 'bench', 'rest');
      const r = await finished(run.id);
      if (r.state !== 'succeeded') throw new Error(`run ${run.id} ${r.state}`);
      await sleep(20);
      const call = await sequence(kind, i);
      // The first 10 of each warm up the JIT, the pools and the prepared statements.
      if (i >= 10) {
        perStep[j].push((r.finished_at.getTime() - r.created_at.getTime()) / 5);
        perCall[j].push(call);
      }
    }
  }
  const [read, write] = kinds.map((_, j) => ({ step: pct(perStep[j], 50), call: pct(perCall[j], 50), stepMean: perStep[j].reduce((a, b) => a + b, 0) / perStep[j].length, callMean: perCall[j].reduce((a, b) => a + b, 0) / perCall[j].length }));
  // For reference: a new client per call (connect + server/discover each time), as the engine called tools before its pooled clients.
  const fresh = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    await callServerTool(entry, KEY, 5_000, 'add', { a: 1, b: i });
    if (i >= 10) fresh.push(performance.now() - t);
  }
  await client.close();
  console.log(row('one step of a run (read-only tool), p50 (ms)', read.step, 'direct call, connected client, 5 in a row', read.call, 'ms', 2));
  console.log(row('one step of a run (write tool), p50 (ms)', write.step, 'direct call, connected client, 5 in a row', write.call, 'ms', 2));
  console.log(row('one step of a run (read-only tool), p50 (ms)', read.step, 'direct call, new client each call', pct(fresh, 50), 'ms', 2));
  console.log(`  engine overhead per step, p50: ${fmt(read.step - read.call, 2)} ms (read-only tool), ${fmt(write.step - write.call, 2)} ms (write tool) over a connected client (goal ≤ 5 ms); means: ${fmt(read.stepMean - read.callMean, 2)} / ${fmt(write.stepMean - write.callMean, 2)} ms`);

  // 2. 1,000 concurrent runs of the 5-step workflow.
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const writes = async () =>
    Number((await pool.query(`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) as n from pg_stat_user_tables where schemaname = $1 and relname in ('workflow_runs', 'workflow_steps')`, [SCHEMA])).rows[0].n);
  await sleep(600); // pg_stat counters are flushed about every 500 ms
  const writesBefore = await writes();
  // 1,000 by default (the goal's figure); BENCH_WORKFLOW_RUNS lowers it on a loaded machine.
  const RUNS = Number(process.env.BENCH_WORKFLOW_RUNS ?? 1_000);
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < RUNS; i += 50) ids.push(...(await Promise.all(Array.from({ length: Math.min(50, RUNS - i) }, (_, j) => engine.start('five', { n: i + j }, 'bench', 'rest')))).map((r) => r.id));
  await waitFor(async () => {
    const { rows } = await pool.query(`select count(*)::int as n from ${SCHEMA}.workflow_runs where finished_at is not null and id = any($1)`, [ids]);
    if (rows[0].n === RUNS) return true;
    await sleep(45);
    return undefined;
  }, `${RUNS} runs to finish`, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  const { rows: lat } = await pool.query(`select extract(epoch from finished_at - created_at) * 1000 as ms, state from ${SCHEMA}.workflow_runs where id = any($1)`, [ids]);
  if (lat.some((r) => r.state !== 'succeeded')) throw new Error('a run did not succeed');
  await sleep(600);
  const rowWrites = (await writes()) - writesBefore;
  const { rows: kept } = await pool.query(`select (select count(*) from ${SCHEMA}.workflow_steps where run_id = any($1))::int + ${RUNS} as n`, [ids]);
  // Baseline: the same 5,000 calls, 50 callers at once (the worker's concurrency), each with a connected
  // client made as the engine makes its own.
  const callers = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const { client: c, transport: t } = newClient(entry, KEY, undefined);
      await c.connect(t);
      return c;
    }),
  );
  const tb = performance.now();
  await Promise.all(callers.map(async (c, k) => { for (let i = 0; i < (RUNS * 5) / 50; i++) await c.callTool({ name: 'add', arguments: { a: k, b: i } }); }));
  const directCallsPerSecond = (RUNS * 5) / ((performance.now() - tb) / 1000);
  await Promise.all(callers.map((c) => c.close()));
  console.log(row(`${RUNS} concurrent 5-step runs: steps/s`, (RUNS * 5) / seconds, 'the same calls made directly (50 at once)', directCallsPerSecond, 'steps/s', 0));
  console.log(`  runs/s ${fmt(RUNS / seconds, 1)}; run latency p50 ${fmt(pct(lat.map((r) => Number(r.ms)), 50))} ms, p99 ${fmt(pct(lat.map((r) => Number(r.ms)), 99))} ms (all ${RUNS} started within ${fmt(seconds, 1)} s)`);
  console.log(`  Postgres: ${fmt(kept[0].n / (RUNS * 5), 2)} rows kept per step (one per step, one per run), ${fmt(rowWrites / (RUNS * 5), 2)} row writes per step (inserts + updates)`);
  await pool.end();

  // 3. Worker kill → the step runs again on the surviving worker (goal ≤ lock duration + 1 s). The step
  // is claimed while one worker runs alone, so the one killed is the one holding it; the other is
  // started (and ready) before the kill and must take the step over once the lock lapses.
  const gaps = [];
  for (let i = 0; i < 3; i++) {
    const run = await engine.start('slow', {}, 'bench', 'rest');
    const claimed = await waitFor(async () => {
      const s = await database.db.selectFrom('workflow_steps').select(['state', 'attempt']).where('run_id', '=', run.id).executeTakeFirst();
      return s?.state === 'running' ? s : undefined;
    }, 'the slow step to start');
    const survivor = await startWorker();
    const tk = performance.now();
    await kill(worker, 'SIGKILL');
    await waitFor(async () => {
      const s = await database.db.selectFrom('workflow_steps').select(['attempt']).where('run_id', '=', run.id).executeTakeFirst();
      return s.attempt >= claimed.attempt + 1 ? s : undefined;
    }, 'the surviving worker to run the step again');
    gaps.push(performance.now() - tk);
    await engine.cancel(run.id, 'bench');
    worker = survivor;
    await sleep(200);
  }
  console.log(`  worker killed → step running again: ${gaps.map((g) => `${fmt(g)} ms`).join(', ')} (lock ${LOCK_MS} ms, stalled check every ${STALLED_MS} ms; goal ≤ ${LOCK_MS + 1000} ms)`);
} finally {
  await kill(worker);
  await tools.stop();
  await closeRedis(redis);
  const r = createRedis({ url: REDIS_URL, role: 'client', logger, name: 'bench-cleanup' });
  await new Promise((res) => (r.status === 'ready' ? res() : r.once('ready', res)));
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
  await database.db.schema.dropSchema(SCHEMA).ifExists().cascade().execute();
  await database.close();
}
