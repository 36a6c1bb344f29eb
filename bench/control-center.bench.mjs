// control-center: one sweep over 200 simulated services of which 10 % hang (goal: ≤ the /ready
// timeout + 10 %), and /api/mcp/health and the dashboard page with 200 services and 30 days of rollups
// (goal: p99 < 100 ms), each next to a baseline measured in the same run.
import { randomBytes } from 'node:crypto';
import { startServer, load, row, fmt } from './lib/harness.mjs';
import { parseControlCenterConfig } from '../apps/control-center/dist/config.js';
import { createControlCenter } from '../apps/control-center/dist/app.js';
import { createLogger } from '@factory/base-server';

const COUNT = 200;
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const hangers = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 10 === 3);

async function sweepTimes(fleetPort, label) {
  const services = Array.from({ length: COUNT }, (_, i) => ({ name: `svc-${i}`, url: `http://127.0.0.1:${fleetPort}/s/${i}`, mcp: false }));
  const config = parseControlCenterConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: DB, POLLER_ENABLED: 'false', SERVICES: JSON.stringify(services) });
  const schema = `cc_bench_sweep_${randomBytes(3).toString('hex')}`;
  const cc = await createControlCenter(config, { schema, logger: createLogger({ service: 'bench', version: '0', level: 'silent' }) });
  await cc.service.start();
  const runs = [];
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await cc.collector.sweep();
      runs.push({ poll: r.durationMs, wall: performance.now() - t0, notUp: r.polls.filter((p) => p.status !== 'up').length });
    }
  } finally {
    await cc.database.db.schema.dropSchema(schema).ifExists().cascade().execute().catch(() => undefined);
    await cc.service.stop();
  }
  const [first, ...rest] = runs;
  const steady = rest.reduce((a, b) => (b.poll > a.poll ? b : a));
  console.log(`  ${label}: services not up per sweep: ${runs.map((r) => r.notUp).join(', ')}`);
  return { first, steady };
}

async function withFleet(env, fn) {
  const fleet = await startServer('control-center-fleet.mjs', [], env);
  try {
    return await fn(fleet);
  } finally {
    await fleet.stop();
  }
}

async function sweepBench() {
  const budget = 5_000 * 1.1;
  const base = await withFleet({}, (f) => sweepTimes(f.port, 'all healthy'));
  const a = await withFleet({ HANG: hangers.join(','), HANG_MODE: 'all' }, (f) => sweepTimes(f.port, '10 % hang entirely'));
  const b = await withFleet({ HANG: hangers.join(','), HANG_MODE: 'ready' }, (f) => sweepTimes(f.port, '10 % hang on /ready only'));
  const line = (label, r) => {
    console.log(row(`${label}, first sweep`, r.first.poll, 'goal (5 s /ready timeout + 10 %)', budget, 'ms') + `   (with storing: ${fmt(r.first.wall)} ms)`);
    console.log(row(`${label}, later sweeps (max)`, r.steady.poll, 'goal (5 s /ready timeout + 10 %)', budget, 'ms') + `   (with storing: ${fmt(r.steady.wall)} ms)`);
  };
  line('200 svc, 10 % hang entirely', a);
  line('200 svc, 10 % hang on /ready', b);
  line('200 svc, all healthy (baseline)', base);
}

async function httpBench() {
  await withFleet({}, async (fleet) => {
    const key = randomBytes(16).toString('hex');
    const app = await startServer('control-center-app.mjs', [], { FLEET_URL: `http://127.0.0.1:${fleet.port}`, FLEET_SIZE: String(COUNT), BENCH_KEY: key, DATABASE_URL: DB });
    try {
      const headers = { authorization: `Bearer ${key}` };
      const url = (p) => `http://127.0.0.1:${app.port}${p}`;
      for (const p of ['/health', '/api/mcp/health', '/']) await load({ url: url(p), headers, duration: 1 });
      const base = await load({ url: url('/health'), headers, duration: DURATION });
      const api = await load({ url: url('/api/mcp/health'), headers, duration: DURATION });
      const page = await load({ url: url('/'), headers, duration: DURATION });
      const detail = await load({ url: url('/api/services/svc-7'), headers, duration: DURATION });
      console.log(row('GET /api/mcp/health, 200 services', api.rps, 'GET /health, same process', base.rps));
      console.log(row('GET / (dashboard), 200 svc, 30 d rollups', page.rps, 'GET /health, same process', base.rps));
      console.log(row('GET /api/services/:name (Postgres history)', detail.rps, 'GET /health, same process', base.rps));
      console.log(
        `  p99 latency: /api/mcp/health ${fmt(api.p99, 1)} ms, dashboard ${fmt(page.p99, 1)} ms, service detail ${fmt(detail.p99, 1)} ms, /health ${fmt(base.p99, 1)} ms   goal p99 < 100 ms`,
      );
    } finally {
      await app.stop();
    }
  });
}

console.log('## control-center');
await sweepBench();
await httpBench();
