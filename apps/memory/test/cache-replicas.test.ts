// The read cache across replicas: two memory API instances share one database and one Redis; replica A
// reaches Redis through a TCP proxy the test hangs or stops, replica B reaches it directly. Whatever A
// acknowledges while it cannot deliver its invalidation — a turn, a keyed (idempotent) turn, a summary,
// a forget — B's very next read shows it, with B's cached entry still in Redis. A third replica runs
// without Redis at all (it never invalidates anything) and compresses in-process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { compositeKey } from '@factory/base-server';
import { startTcpProxy, type TcpProxy } from '@factory/base-server/testing';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, REDIS_URL, cleanRedis, dropSchema, isolatedEnv, quietLogger, rest, testConfig, waitFor } from './helpers.js';

describe('memory cache: no stale read on any replica after an acknowledged write', () => {
  let proxy: TcpProxy;
  let env: Record<string, string>;
  let a: MemoryService;
  let b: MemoryService;
  let c: MemoryService;
  let urlA = '';
  let urlB = '';
  let urlC = '';
  let inspect: Redis;

  beforeAll(async () => {
    proxy = await startTcpProxy(6379);
    env = isolatedEnv('memory_cache_replicas', { COMPRESSION_THRESHOLD_TOKENS: '0', REDIS_COMMAND_TIMEOUT_MS: '300' });
    // One after the other: the first runs the migrations.
    b = await createMemoryService(testConfig({ ...env, REDIS_URL }), { logger: quietLogger().logger });
    urlB = (await b.service.start()).url;
    a = await createMemoryService(testConfig({ ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }), { logger: quietLogger().logger });
    urlA = (await a.service.start()).url;
    c = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    urlC = (await c.service.start()).url;
    inspect = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await proxy?.start().catch(() => undefined);
    for (const s of [a, b, c]) await s?.service.stop();
    await proxy?.stop();
    await inspect?.quit();
    await dropSchema(env?.DATABASE_SCHEMA);
    if (env) await cleanRedis(env);
  }, 60_000);

  const AGENT = 'agent-r';
  const turnsPath = (session: string) => `/v1/agents/${AGENT}/sessions/${encodeURIComponent(session)}/turns`;
  const store = async (url: string, session: string, content: string, idempotencyKey?: string) => {
    const res = await fetch(`${url}${turnsPath(session)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify({ role: 'user', content }),
    });
    expect(res.status).toBe(201);
  };
  const recent = async (url: string, session: string) => {
    const res = await rest(url, KEY_A, 'GET', `${turnsPath(session)}?limit=5`);
    expect(res.status).toBe(200);
    return (res.body.turns as Array<{ content: string }>).map((t) => t.content);
  };
  const memory = async (url: string, session: string) => {
    const res = await rest(url, KEY_A, 'GET', `/v1/agents/${AGENT}/sessions/${encodeURIComponent(session)}/memory`);
    expect(res.status).toBe(200);
    return res.body as { summary: { text: string } | null; turns: Array<{ content: string }> };
  };
  /** B has an entry for `field` of the session in Redis (so a stale read would come from there). */
  const cachedOnB = (session: string, field: string) =>
    waitFor(async () => (await inspect.hexists(`${env.CACHE_PREFIX}cache:${compositeKey(AGENT, session)}`, field)) === 1, `B's cache entry ${field}`);
  /** Fills B's cache for both cached reads of the session and checks what they answer. */
  const fillB = async (session: string, contents: string[]) => {
    expect(await recent(urlB, session)).toEqual(contents);
    expect((await memory(urlB, session)).turns.map((t) => t.content)).toEqual(contents);
    await cachedOnB(session, 'recent:5');
    await cachedOnB(session, 'compressed:all');
  };

  for (const mode of ['hang', 'refuse'] as const) {
    describe(`replica A's Redis ${mode === 'hang' ? 'hangs' : 'refuses connections'}`, () => {
      const cut = async () => {
        if (mode === 'hang') proxy.hang();
        else {
          await proxy.stop();
          await waitFor(async () => a.redis?.status !== 'ready', "A to notice that Redis is gone");
        }
      };
      const heal = async () => {
        if (mode === 'hang') proxy.resume();
        else await proxy.start();
      };

      it('a turn A stores is in B\'s next read, and so is a turn A stores with an idempotency key', async () => {
        const session = `turns-${mode}`;
        await store(urlB, session, 'before');
        await fillB(session, ['before']);
        await cut();
        try {
          await store(urlA, session, 'during');
          expect(await recent(urlB, session)).toEqual(['before', 'during']);
          expect((await memory(urlB, session)).turns.map((t) => t.content)).toEqual(['before', 'during']);
          // B caches the new answer; A's next (keyed) write must make that one unreadable too.
          await cachedOnB(session, 'recent:5');
          await store(urlA, session, 'keyed', `key-${mode}`);
          expect(await recent(urlB, session)).toEqual(['before', 'during', 'keyed']);
        } finally {
          await heal();
        }
      }, 60_000);

      it('a session A forgets is empty on B, and turns stored after the forget are never hidden by an older entry', async () => {
        const session = `forget-${mode}`;
        await store(urlB, session, 'old');
        await fillB(session, ['old']);
        await cut();
        try {
          expect((await rest(urlA, KEY_A, 'DELETE', `/v1/agents/${AGENT}/sessions/${session}`)).status).toBe(200);
          expect(await recent(urlB, session)).toEqual([]);
          expect((await memory(urlB, session)).turns).toEqual([]);
          await store(urlA, session, 'new');
          expect(await recent(urlB, session)).toEqual(['new']);
          expect((await memory(urlB, session)).turns.map((t) => t.content)).toEqual(['new']);
        } finally {
          await heal();
        }
      }, 60_000);
    });
  }

  it('a summary written by a replica without Redis is in B\'s next get_compressed_memory', async () => {
    const session = 'summary';
    await store(urlB, session, 'Remember the green gate.');
    await fillB(session, ['Remember the green gate.']);
    expect((await memory(urlB, session)).summary).toBeNull();
    // C has no Redis: its in-process queue compresses the session, and nothing invalidates B's entry.
    const compress = await rest(urlC, KEY_A, 'POST', `/v1/agents/${AGENT}/sessions/${session}/compress`);
    expect(compress.status).toBe(202);
    const jobId = (compress.body as { job_id: string }).job_id;
    await waitFor(async () => (await rest(urlC, KEY_A, 'GET', `/v1/compression-jobs/${jobId}`)).body.state === 'completed', 'the compression on C');
    const after = await memory(urlB, session);
    expect(after.summary?.text).toBe('user: Remember the green gate.');
    expect(after.turns).toEqual([]);
  }, 60_000);
});
