// Rate limits shared by replicas: three real memory API processes (`node dist/index.js`) on one
// Postgres schema and one Redis key prefix, hammered round-robin by one API key, allow exactly the
// limit between them; without Redis each replica would have allowed the limit on its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KEY_A, KEY_B, REDIS_URL, cleanRedis, dropSchema, isolatedEnv, startApi, type WorkerProcess } from './helpers.js';

const LIMIT = 20;
const REQUESTS = 90;

describe('rate limits across three memory API replicas', () => {
  let env: Record<string, string>;
  const replicas: WorkerProcess[] = [];

  beforeAll(async () => {
    env = isolatedEnv('memory_shared_limits', { REDIS_URL, RATE_LIMIT_PER_MINUTE: String(LIMIT), AUTH_FAILURES_PER_MINUTE: '4' });
    // The first applies the migrations; the other two then start side by side.
    replicas.push(await startApi(env));
    replicas.push(...(await Promise.all([startApi(env), startApi(env)])));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
    await dropSchema(env?.DATABASE_SCHEMA);
    if (env) await cleanRedis(env);
  }, 60_000);

  const get = (replica: WorkerProcess, key: string, path: string) =>
    fetch(`http://127.0.0.1:${replica.port}${path}`, { headers: { authorization: `Bearer ${key}` } });

  it(`lets ${LIMIT} requests a minute of one key through across all replicas and refuses the rest with 429`, async () => {
    const path = '/v1/agents/shared-limits/sessions/s1/turns';
    // Six requests in flight at a time, spread round-robin over the three processes.
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i += 6) {
      const batch = Array.from({ length: 6 }, (_, j) => get(replicas[(i + j) % 3]!, KEY_A, path).then((r) => r.status));
      statuses.push(...(await Promise.all(batch)));
    }
    const refused = statuses.filter((s) => s === 429).length;
    const served = statuses.filter((s) => s === 200).length;
    expect(served + refused).toBe(REQUESTS);
    expect(served).toBe(LIMIT);
    expect(refused).toBe(REQUESTS - LIMIT);
    // Every replica refuses the key now, and another key still has its own limit.
    for (const r of replicas) {
      const limited = await get(r, KEY_A, path);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await get(replicas[0]!, KEY_B, path)).status).toBe(200);
  });

  it('counts failed sign-ins from one address across replicas: after the limit, even the right key gets 429 on any replica', async () => {
    const path = '/v1/agents/shared-limits/sessions/s2/turns';
    for (let i = 0; i < 4; i++) expect((await get(replicas[i % 3]!, 'wrong-key-0123456789abcdef', path)).status).toBe(401);
    const blocked = await get(replicas[1]!, KEY_B, path);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { error: { message: string } }).error.message).toContain('failed authentication attempts');
  });

  it('reports the shared limits as an optional rate_limits check that is ok', async () => {
    const body = (await (await fetch(`http://127.0.0.1:${replicas[2]!.port}/ready`)).json()) as { checks: Record<string, { status: string }>; dependencies: { optional: string[] } };
    expect(body.dependencies.optional).toContain('rate_limits');
    expect(body.checks.rate_limits).toMatchObject({ status: 'ok' });
  });
});
