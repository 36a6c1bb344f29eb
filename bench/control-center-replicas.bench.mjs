// control-center on several replicas: a sweep of 2,000 simulated services (10 % hanging on /ready) by
// one replica and by three sharing the work through BullMQ on one Postgres and Redis. Goals: the sweep
// (from the interval's start to the last shard's probes done) ≤ the /ready timeout + 10 % on both, and
// the CPU time of each of three replicas ≤ 0.4x that of one replica. One process in local mode (no
// Redis) is printed beside them as the strongest baseline: what one replica cost before sharing.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { startServer, row, fmt } from './lib/harness.mjs';
import { dropSchema } from '@factory/base-server/testing';

const COUNT = Number(process.env.BENCH_REPLICA_FLEET ?? 2000);
const INTERVAL = 10_000;
const WINDOW_INTERVALS = Number(process.env.BENCH_REPLICA_INTERVALS ?? 3);
const DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const READY_MS = 5_000;
const hang = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 10 === 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const stats = (srv) =>
  new Promise((res) => {
    srv.child.once('message', res);
    srv.child.send('stats');
  });

async function cleanRedis(prefix) {
  const require = createRequire(new URL('../apps/control-center/package.json', import.meta.url));
  const { Redis } = await import(pathToFileURL(require.resolve('ioredis')).href);
  const redis = new Redis(REDIS);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

/** `n` replicas (mode shared) or one process (mode local) over the fleet: CPU per replica and sweep times over the window. */
async function run(fleetPort, n, mode) {
  const schema = `cc_bench_rep_${randomBytes(3).toString('hex')}`;
  const prefix = `cc-bench-${randomBytes(3).toString('hex')}`;
  const env = { FLEET_URL: `http://127.0.0.1:${fleetPort}`, FLEET_SIZE: String(COUNT), DATABASE_URL: DB, REDIS_URL: REDIS, POLLER_MODE: mode, SCHEMA: schema, PREFIX: prefix, POLL_INTERVAL_MS: String(INTERVAL) };
  const replicas = [];
  try {
    for (let i = 0; i < n; i++) replicas.push(await startServer('control-center-replica.mjs', [], env));
    await sleep(2.5 * INTERVAL); // the first sweeps (cold sockets, first rows) and the shard split settle
    const before = await Promise.all(replicas.map(stats));
    await sleep(WINDOW_INTERVALS * INTERVAL);
    const after = await Promise.all(replicas.map(stats));
    const cpuMs = after.map((a, i) => (a.cpu.user + a.cpu.system - before[i].cpu.user - before[i].cpu.system) / 1000 / WINDOW_INTERVALS);
    // One sweep = the shards of one interval, by whichever replicas ran them.
    const slots = new Map();
    for (const s of after.flatMap((a) => a.sweeps)) {
      const slot = Math.round(s.scheduledAt / INTERVAL);
      const end = s.startedAt + s.durationMs - s.scheduledAt;
      const cur = slots.get(slot) ?? { end: 0, services: 0 };
      slots.set(slot, { end: Math.max(cur.end, end), services: cur.services + s.services });
    }
    const whole = [...slots.values()].filter((s) => s.services === COUNT);
    const shares = after.map((a) => a.sweeps.reduce((t, s) => t + s.services, 0) / WINDOW_INTERVALS);
    return { cpuMs, sweepMs: Math.max(...whole.map((s) => s.end)), sweeps: whole.length, partial: slots.size - whole.length, shares };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await dropSchema(DB, schema);
    await cleanRedis(prefix);
  }
}

console.log('## control-center replicas');
const fleet = await startServer('control-center-fleet.mjs', [], { HANG: hang.join(','), HANG_MODE: 'ready' });
try {
  const local = await run(fleet.port, 1, 'local');
  const one = await run(fleet.port, 1, 'shared');
  const three = await run(fleet.port, 3, 'shared');
  const budget = READY_MS * 1.1;
  const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(row(`${COUNT} svc, 10 % hang: sweep, 1 replica`, one.sweepMs, 'one process (local)', local.sweepMs, 'ms') + `   goal ≤ ${fmt(budget)} ms (${one.sweeps} whole sweeps, ${one.partial} partial)`);
  console.log(row(`${COUNT} svc, 10 % hang: sweep, 3 replicas`, three.sweepMs, '1 replica', one.sweepMs, 'ms') + `   goal ≤ ${fmt(budget)} ms (${three.sweeps} whole sweeps, ${three.partial} partial)`);
  console.log(row('CPU per interval, each of 3 replicas (max)', Math.max(...three.cpuMs), '1 replica', one.cpuMs[0], 'ms') + '   goal ≤ 0.4x');
  console.log(row('CPU per interval, 1 replica', one.cpuMs[0], 'one process (local)', local.cpuMs[0], 'ms'));
  console.log(`  3 replicas: CPU ${three.cpuMs.map((c) => fmt(c)).join(', ')} ms per interval (mean ${fmt(avg(three.cpuMs))}); services swept per interval ${three.shares.map((s) => fmt(s)).join(', ')}`);
} finally {
  await fleet.stop();
}
