// What sharing the rate limits through Redis costs per request: a trivial authenticated REST route
// (POST /v1/add) on base-server with the per-key limit and the failed-auth check in Redis (the local
// Redis on this machine), against the same server with both in memory (per replica), and with the
// per-key limit off — all in this run. The limit is set high enough never to refuse (a refusal would
// fail the bench); every request still takes a token and checks its address.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { startServer, compare, row, fmt } from './lib/harness.mjs';

// ioredis is base-server's dependency, not the workspace root's.
const { Redis } = createRequire(new URL('../packages/base-server/package.json', import.meta.url))('ioredis');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'bench-key-0123456789';
const PREFIX = `bench_rate_limit_${randomBytes(4).toString('hex')}:`;
const LIMIT = String(1_000_000_000);

const shared = await startServer('base-service.mjs', [], { BENCH_KEY: KEY, BENCH_RATE_LIMIT: LIMIT, BENCH_RATE_LIMIT_REDIS_URL: REDIS_URL, BENCH_RATE_LIMIT_PREFIX: PREFIX });
const local = await startServer('base-service.mjs', [], { BENCH_KEY: KEY, BENCH_RATE_LIMIT: LIMIT });
const off = await startServer('base-service.mjs', [], { BENCH_KEY: KEY, BENCH_RATE_LIMIT: '0' });
const route = (srv) => ({ url: `http://127.0.0.1:${srv.port}/v1/add`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: '{"a":2,"b":3}' });
const latency = (label, r) => `${label} p50 ${fmt(r.p50, 1)} ms / p99 ${fmt(r.p99, 1)} ms`;

console.log('## rate limits: shared through Redis vs per replica in memory');
try {
  const { a: r, b: l } = await compare(route(shared), route(local), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('REST route, limits in Redis', r.rps, 'limits in memory', l.rps) + '   goal >= 0.80x');
  console.log(`  ${latency('Redis', r)}; ${latency('memory', l)}`);
  const { a: l2, b: o } = await compare(route(local), route(off), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('REST route, limits in memory', l2.rps, 'per-key limit off', o.rps));
  console.log(`  ${latency('memory', l2)}; ${latency('off', o)}`);
} finally {
  await Promise.all([shared.stop(), local.stop(), off.stop()]);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}
