// control-center: sweeps over 200, 1,000, 2,000 and 5,000 simulated services of which 10 % hang (on
// /ready, or entirely) next to a minimal poller on the same fleet (goal: ≤ the /ready timeout + 10 % and
// ≤ 1.2x the minimal poller); a forced-GC soak of 200 services (goal: no missed sweep, memory flat); and
// /api/mcp/health and the dashboard with 200 and 5,000 services (goal: p99 < 100 ms without gzip).
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { startServer, load, memoryKept, row, fmt } from './lib/harness.mjs';
import { parseControlCenterConfig } from '../apps/control-center/dist/config.js';
import { createControlCenter } from '../apps/control-center/dist/app.js';
import { createLogger } from '@factory/base-server';
import { dropSchema } from '@factory/base-server/testing';

const SIZES = (process.env.BENCH_FLEET_SIZES ?? '200,1000,2000,5000').split(',').map(Number);
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const READY_MS = 5_000;
const HEALTH_MS = 1_000;
const hangersOf = (count) => Array.from({ length: count }, (_, i) => i).filter((i) => i % 10 === 3);

/** The control center's own sweeps (probe phase, and with storing), two of them: cold and steady. */
async function sweepTimes(fleetPort, count) {
  const services = Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, url: `http://127.0.0.1:${fleetPort}/s/${i}`, mcp: false }));
  const config = parseControlCenterConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: DB, POLLER_ENABLED: 'false', SERVICES: JSON.stringify(services) });
  const schema = `cc_bench_sweep_${randomBytes(3).toString('hex')}`;
  const cc = await createControlCenter(config, { schema, logger: createLogger({ service: 'bench', version: '0', level: 'silent' }) });
  await cc.service.start();
  const runs = [];
  try {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const r = await cc.collector.sweep();
      runs.push({ poll: r.durationMs, wall: performance.now() - t0, notUp: r.polls.filter((p) => p.status !== 'up').length });
    }
  } finally {
    await cc.service.stop();
    await dropSchema(DB, schema);
  }
  return { first: runs[0], steady: runs[1] };
}

/**
 * The minimal poller with the same timeouts: every service at once, /health and /ready in parallel
 * through undici with referenced timers, nothing stored. What a sweep cannot be faster than.
 */
async function minimalSweep(fleetPort, count) {
  const agent = new Agent({ connect: { timeout: READY_MS }, headersTimeout: READY_MS, bodyTimeout: READY_MS });
  const get = async (url, ms) => {
    const c = new AbortController();
    const t = setTimeout(() => c.abort(), ms);
    try {
      const r = await request(url, { dispatcher: agent, signal: c.signal });
      await r.body.text();
      return r.statusCode === 200;
    } catch {
      return false;
    } finally {
      clearTimeout(t);
    }
  };
  const t0 = performance.now();
  const up = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const [h, r] = await Promise.all([get(`http://127.0.0.1:${fleetPort}/s/${i}/health`, HEALTH_MS), get(`http://127.0.0.1:${fleetPort}/s/${i}/ready`, READY_MS)]);
      return h && r;
    }),
  );
  const ms = performance.now() - t0;
  await agent.destroy();
  return { ms, notUp: up.filter((x) => !x).length };
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
  const budget = READY_MS * 1.1;
  for (const count of SIZES) {
    for (const mode of ['ready', 'all']) {
      const label = `${count} svc, 10 % hang ${mode === 'ready' ? 'on /ready' : 'entirely'}`;
      const env = { HANG: hangersOf(count).join(','), HANG_MODE: mode };
      // A fresh fleet for each contender, so neither inherits the other's kept-alive sockets.
      const minimal = await withFleet(env, (f) => minimalSweep(f.port, count));
      const ours = await withFleet(env, (f) => sweepTimes(f.port, count));
      console.log(row(`${label}, first sweep`, ours.first.poll, 'minimal poller', minimal.ms, 'ms') + `   goal ≤ ${fmt(budget)} ms and ≤ 1.2x; with storing ${fmt(ours.first.wall)} ms`);
      console.log(row(`${label}, next sweep`, ours.steady.poll, 'minimal poller', minimal.ms, 'ms') + `   goal ≤ ${fmt(budget)} ms and ≤ 1.2x; with storing ${fmt(ours.steady.wall)} ms`);
      console.log(`  services not up: ours ${ours.first.notUp}, ${ours.steady.notUp}; minimal ${minimal.notUp} (expected ${hangersOf(count).length})`);
    }
  }
}

/** Polling 200 services with 10 % hanging on /ready every 5 s, a full GC every 250 ms. */
async function soakBench() {
  const count = 200;
  await withFleet({ HANG: hangersOf(count).join(','), HANG_MODE: 'ready' }, async (fleet) => {
    const cc = await startServer('control-center-soak.mjs', [], { FLEET_URL: `http://127.0.0.1:${fleet.port}`, FLEET_SIZE: String(count), DATABASE_URL: DB, POLL_INTERVAL_MS: '5000', GC_EVERY_MS: '250' });
    try {
      await new Promise((r) => setTimeout(r, 12_000)); // two sweeps in: buffers, sockets and caches warm
      const ask = () =>
        new Promise((res) => {
          cc.child.once('message', res);
          cc.child.send('sweeps');
        });
      const mem = await memoryKept(cc, () => new Promise((r) => setTimeout(r, SOAK_SECONDS * 1000)));
      const s = await ask();
      const missed = Math.max(0, Math.floor((s.maxAgeSeconds - s.expectedGapSeconds) / 5) + (s.maxAgeSeconds > s.expectedGapSeconds ? 1 : 0));
      console.log(
        `soak ${SOAK_SECONDS} s (BENCH_SOAK_SECONDS; 600 for the full 10 min), 200 svc, 10 % hang on /ready, GC every 250 ms: ${s.sweeps} sweeps, longest gap ${fmt(s.maxAgeSeconds, 1)} s (allowed ${fmt(s.expectedGapSeconds, 1)} s), missed sweeps ${missed}   goal 0`,
      );
      console.log(`  ${mem}   goal: flat`);
    } finally {
      await cc.stop();
    }
  });
}

async function httpBench(COUNT) {
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
      const page2 = await load({ url: url('/?page=2'), headers, duration: DURATION });
      const html = await (await fetch(url('/'), { headers })).text();
      console.log(row(`GET /api/mcp/health, ${COUNT} services`, api.rps, 'GET /health, same process', base.rps));
      console.log(row(`GET / (dashboard), ${COUNT} svc, 30 d rollups`, page.rps, 'GET /health, same process', base.rps) + `   page ${fmt(html.length / 1024)} KiB`);
      console.log(row(`GET /?page=2 (dashboard), ${COUNT} svc`, page2.rps, 'GET /health, same process', base.rps));
      console.log(row('GET /api/services/:name (Postgres history)', detail.rps, 'GET /health, same process', base.rps));
      console.log(
        `  p99 latency at ${COUNT} services: /api/mcp/health ${fmt(api.p99, 1)} ms, dashboard ${fmt(page.p99, 1)} ms, page 2 ${fmt(page2.p99, 1)} ms, service detail ${fmt(detail.p99, 1)} ms, /health ${fmt(base.p99, 1)} ms   goal p99 < 100 ms`,
      );
    } finally {
      await app.stop();
    }
  });
}

console.log('## control-center');
await sweepBench();
await soakBench();
await httpBench(200);
await httpBench(5000);
