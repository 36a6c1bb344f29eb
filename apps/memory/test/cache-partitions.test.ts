// The read cache under adversarial ids and a partitioned Redis: ids containing ':' never share an entry
// (even across AGENT_SCOPES), a write is acknowledged when Redis hangs after its commit, no stale answer is
// served after the ack, and the cache heals by itself once Redis answers again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '@factory/base-server/testing';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, KEY_B, REDIS_URL, cleanRedis, dropSchema, isolatedEnv, quietLogger, rest, testConfig, waitFor } from './helpers.js';

describe('memory cache: isolation and partitions', () => {
  let proxy: TcpProxy;
  let env: Record<string, string>;
  let memory: MemoryService;
  let url = '';
  let inspect: Redis;

  beforeAll(async () => {
    proxy = await startTcpProxy(6379);
    env = isolatedEnv('memory_cache_parts', {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      COMPRESSION_THRESHOLD_TOKENS: '0',
      REDIS_COMMAND_TIMEOUT_MS: '300',
      // alice may use agent "acme" only; bob every agent.
      AGENT_SCOPES: 'alice=acme',
    });
    memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
    inspect = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await memory?.service.stop();
    await proxy?.stop();
    await inspect?.quit();
    await dropSchema(env?.DATABASE_SCHEMA);
    if (env) await cleanRedis(env);
  }, 60_000);

  const turnsPath = (agent: string, session: string) => `/v1/agents/${encodeURIComponent(agent)}/sessions/${encodeURIComponent(session)}/turns`;
  const recent = async (key: string, agent: string, session: string) => {
    const res = await rest(url, key, 'GET', `${turnsPath(agent, session)}?limit=5`);
    expect(res.status).toBe(200);
    return (res.body.turns as Array<{ content: string }>).map((t) => t.content);
  };
  /** The cached `recent:5` answers, as lists of contents (whatever the key format). */
  const cachedAnswers = async (): Promise<string[][]> => {
    const keys = await inspect.keys(`${env.CACHE_PREFIX}cache:*`);
    const values = await Promise.all(keys.map((k) => inspect.hget(k, 'recent:5')));
    return values.filter((v): v is string => v !== null).map((v) => (JSON.parse(v) as { v: Array<{ content: string }> }).v.map((t) => t.content));
  };
  const cached = async (contents: string[]) => (await cachedAnswers()).some((a) => JSON.stringify(a) === JSON.stringify(contents));

  it('a key bound to agent "acme" never reads or poisons the cached turns of agent "acme:prod"', async () => {
    expect((await rest(url, KEY_B, 'POST', turnsPath('acme:prod', 's1'), { role: 'user', content: 'prod secret' })).status).toBe(201);
    expect(await recent(KEY_B, 'acme:prod', 's1')).toEqual(['prod secret']);
    await waitFor(() => cached(['prod secret']), 'the cache entry of acme:prod');
    // (acme, prod:s1) would have shared the entry `acme:prod:s1` with (acme:prod, s1).
    expect(await recent(KEY_A, 'acme', 'prod:s1')).toEqual([]);
    expect((await rest(url, KEY_A, 'POST', turnsPath('acme', 'prod:s1'), { role: 'user', content: 'look-alike' })).status).toBe(201);
    expect(await recent(KEY_A, 'acme', 'prod:s1')).toEqual(['look-alike']);
    await waitFor(() => cached(['look-alike']), 'the cache entry of acme');
    expect(await recent(KEY_B, 'acme:prod', 's1')).toEqual(['prod secret']);
    expect(await recent(KEY_A, 'acme', 'prod:s1')).toEqual(['look-alike']);
    expect(await cached(['prod secret'])).toBe(true);
    // The other way round: alice's session first, then the look-alike of the other agent.
    expect((await rest(url, KEY_A, 'POST', turnsPath('acme', 'x:y'), { role: 'user', content: 'acme turn' })).status).toBe(201);
    expect(await recent(KEY_A, 'acme', 'x:y')).toEqual(['acme turn']);
    expect(await recent(KEY_B, 'acme:x', 'y')).toEqual([]);
    // And alice is still kept out of acme:prod itself.
    expect((await rest(url, KEY_A, 'GET', turnsPath('acme:prod', 's1'))).status).toBe(403);
  });

  it('acknowledges a committed write while Redis hangs, serves no stale answer after it, and heals by itself', async () => {
    const session = 'partitioned';
    expect((await rest(url, KEY_B, 'POST', turnsPath('agent-p', session), { role: 'user', content: 'before' })).status).toBe(201);
    expect(await recent(KEY_B, 'agent-p', session)).toEqual(['before']);
    await waitFor(() => cached(['before']), 'the cache entry');

    proxy.hang();
    // The commit succeeds; the invalidation cannot be delivered: the write is still acknowledged.
    expect((await rest(url, KEY_B, 'POST', turnsPath('agent-p', session), { role: 'user', content: 'during' })).status).toBe(201);
    // Reads during the partition are answered (from Postgres) and include the acknowledged write.
    expect(await recent(KEY_B, 'agent-p', session)).toEqual(['before', 'during']);
    proxy.resume();
    // The connection never dropped (no reconnect), yet the answer is never the stale cached one...
    expect(await recent(KEY_B, 'agent-p', session)).toEqual(['before', 'during']);
    // ...and the cache heals by itself: answers are cached (under the new epoch) and served again.
    await waitFor(async () => {
      expect(await recent(KEY_B, 'agent-p', session)).toEqual(['before', 'during']);
      return cached(['before', 'during']);
    }, 'the cache to be used again');
  });
});
