// Rate limits shared through Redis by two replicas of a service (two services in this process, one
// Redis key prefix), and what happens when that Redis goes away: it sits behind a TCP proxy the test
// stops (connection refused) and hangs (a partition), never touching the machine's Redis itself.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '../src/testing.js';
import { KEY, OTHER_KEY, auth, makeService, request } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `test_rate_limits_${randomBytes(4).toString('hex')}:`;

type Started = { stop: () => Promise<boolean>; url: string; logs: ReturnType<typeof makeService>['logs'] };

// Each test gets its own key space (the replicas of one test share it).
let testNumber = 0;
const keyPrefix = () => `${PREFIX}${testNumber}:`;

async function replica(env: Record<string, string>): Promise<Started> {
  const { service, logs } = makeService({}, { RATE_LIMIT_KEY_PREFIX: keyPrefix(), ...env });
  const { url } = await service.start();
  return { url, logs, stop: () => service.stop() };
}

const statusesOf = async (urls: string[], key: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await request(`${urls[i % urls.length]}/v1/nope`, { headers: auth(key) })).status);
  return out;
};

const readyOf = async (url: string) => {
  const res = await request(`${url}/ready`);
  return { status: res.status, body: res.json() as { ready: boolean; checks: Record<string, { status: string; message?: string }>; dependencies: { optional: string[] } } };
};

describe('rate limits shared through Redis', () => {
  const started: Started[] = [];
  let inspect: Redis;

  beforeAll(() => {
    inspect = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  beforeEach(() => {
    testNumber += 1;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    const keys = await inspect.keys(`${PREFIX}*`);
    if (keys.length) await inspect.del(...keys);
    await inspect.quit();
  });

  it('two replicas on one Redis allow the per-key limit between them, not each', async () => {
    // (An app's own REDIS_URL is used the same way: apps/memory/test/shared-rate-limits.test.ts.)
    started.push(await replica({ RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_PER_MINUTE: '6' }), await replica({ RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_PER_MINUTE: '6' }));
    const statuses = await statusesOf(started.map((s) => s.url), KEY, 10);
    expect(statuses.filter((s) => s === 404)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // Another key, and the same key name signed in another way, are counted apart.
    expect((await request(`${started[1]!.url}/v1/nope`, { headers: auth(OTHER_KEY) })).status).toBe(404);
    expect(await inspect.keys(`${PREFIX}*`)).not.toHaveLength(0);
  });

  it('a service without REDIS_URL shares its limits through RATE_LIMIT_REDIS_URL and reports them in /ready', async () => {
    started.push(await replica({ RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_PER_MINUTE: '3' }), await replica({ RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_PER_MINUTE: '3' }));
    expect(await statusesOf(started.map((s) => s.url), OTHER_KEY, 5)).toEqual([404, 404, 404, 429, 429]);
    const { body } = await readyOf(started[0]!.url);
    expect(body.dependencies.optional).toEqual(['rate_limits']);
    expect(body.checks.rate_limits).toMatchObject({ status: 'ok' });
  });

  it('without Redis limits hold per replica and /ready has no rate_limits check', async () => {
    started.push(await replica({ RATE_LIMIT_PER_MINUTE: '3' }), await replica({ RATE_LIMIT_PER_MINUTE: '3' }));
    const statuses = await statusesOf(started.map((s) => s.url), KEY, 8);
    expect(statuses.filter((s) => s === 404)).toHaveLength(6);
    expect(Object.keys((await readyOf(started[0]!.url)).body.checks)).toEqual([]);
  });

  describe('when Redis is unreachable', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy(6379);
    });
    afterAll(async () => {
      await proxy.stop();
    });

    it('refused connections: each replica falls back to its own limiter, /ready stays 200 with a rate_limits warning', async () => {
      const env = { RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${proxy.port}`, RATE_LIMIT_PER_MINUTE: '4', AUTH_FAILURES_PER_MINUTE: '2' };
      started.push(await replica(env));
      await proxy.stop();
      const statuses = await statusesOf([started[0]!.url], KEY, 6);
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
      // The failed-auth limit holds locally too.
      for (let i = 0; i < 2; i++) expect((await request(`${started[0]!.url}/v1/nope`, { headers: auth('wrong-key-0123456789abcdef') })).status).toBe(401);
      expect((await request(`${started[0]!.url}/v1/nope`, { headers: auth(OTHER_KEY) })).status).toBe(429);
      const { status, body } = await readyOf(started[0]!.url);
      expect(status).toBe(200);
      expect(body.ready).toBe(true);
      expect(body.checks.rate_limits?.status).toBe('warning');
      expect(body.checks.rate_limits?.message).toContain('per replica');
      expect(started[0]!.logs.text()).toContain('limits hold per replica');
      await proxy.start();
    });

    it('a hanging Redis: requests are answered by the local limiter after the Redis timeout, and /ready warns', async () => {
      const env = { RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${proxy.port}`, RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_REDIS_TIMEOUT_MS: '100' };
      started.push(await replica(env));
      // Connected first, so the limiter believes Redis is there when it stops answering.
      expect((await statusesOf([started[0]!.url], OTHER_KEY, 1))[0]).toBe(404);
      proxy.hang();
      try {
        expect(await statusesOf([started[0]!.url], OTHER_KEY, 4)).toEqual([404, 404, 404, 429]);
        const { status, body } = await readyOf(started[0]!.url);
        expect(status).toBe(200);
        expect(body.checks.rate_limits?.status).toBe('warning');
      } finally {
        proxy.resume();
      }
    });
  });
});
