// The Redis cache and what happens when Redis goes away: Redis sits behind a TCP proxy that the test
// stops and starts (the machine's Redis itself is never touched).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '@factory/base-server/testing';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, PG_URL, REDIS_URL, cleanRedis, dropSchema, isolatedEnv, mcpClient, quietLogger, rest, startWorker, testConfig, waitFor, type WorkerProcess } from './helpers.js';

describe('Redis cache and Redis outages', () => {
  let proxy: TcpProxy;
  let env: Record<string, string>;
  let memory: MemoryService;
  let url = '';
  let worker: WorkerProcess | undefined;
  let client: Client;
  let inspect: Redis;

  beforeAll(async () => {
    proxy = await startTcpProxy(6379);
    env = isolatedEnv('memory_redis', { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, COMPRESSION_THRESHOLD_TOKENS: '0' });
    memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
    worker = await startWorker(env);
    client = await mcpClient(url, KEY_A);
    inspect = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await worker?.kill('SIGKILL');
    await memory?.service.stop();
    await proxy?.stop();
    await inspect?.quit();
    await dropSchema(env?.DATABASE_SCHEMA);
    if (env) await cleanRedis(env);
  }, 60_000);

  const store = (session: string, content: string) => rest(url, KEY_A, 'POST', `/v1/agents/agent-c/sessions/${session}/turns`, { role: 'user', content });
  const recent = async (session: string) =>
    ((await rest(url, KEY_A, 'GET', `/v1/agents/agent-c/sessions/${session}/turns?limit=5`)).body.turns as Array<{ content: string }>).map((t) => t.content);
  const cacheKey = (session: string) => `${env.CACHE_PREFIX}cache:agent-c:${session}`;

  it('serves get_recent_turns from the cache and invalidates it when a turn is stored', async () => {
    await store('s1', 'first');
    expect(await recent('s1')).toEqual(['first']);
    await waitFor(async () => (await inspect.hexists(cacheKey('s1'), 'recent:5')) === 1, 'the cache entry');
    // A row written behind the service's back is not seen while the cached answer is valid...
    const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${env.DATABASE_SCHEMA}` });
    await db.connect();
    await db.query(`insert into turns (agent_id, session_id, role, content, token_count) values ('agent-c', 's1', 'user', 'sideways', 6)`);
    await db.end();
    expect(await recent('s1')).toEqual(['first']);
    // ...and storing through the service invalidates it.
    await store('s1', 'second');
    expect(await recent('s1')).toEqual(['first', 'sideways', 'second']);
  });

  it('invalidates the cached compressed memory when the worker writes a summary', async () => {
    await store('s2', 'Remember the blue door.');
    const before = await rest(url, KEY_A, 'GET', '/v1/agents/agent-c/sessions/s2/memory');
    expect(before.body).toMatchObject({ summary: null, stale: true });
    const { job_id } = (await rest(url, KEY_A, 'POST', '/v1/agents/agent-c/sessions/s2/compress')).body as { job_id: string };
    await waitFor(async () => (await rest(url, KEY_A, 'GET', `/v1/compression-jobs/${job_id}`)).body.state === 'completed', 'the compression');
    const after = await rest(url, KEY_A, 'GET', '/v1/agents/agent-c/sessions/s2/memory');
    expect(after.body).toMatchObject({ summary: { text: 'user: Remember the blue door.', provider: 'extractive' }, turns: [], stale: false });
  });

  it('keeps storing turns while Redis is down, answers compress_memory with 503, and recovers when Redis returns', async () => {
    expect(await recent('s3')).toEqual([]);
    await store('s3', 'before the outage');
    expect(await recent('s3')).toEqual(['before the outage']);

    await proxy.stop();
    await waitFor(async () => memory.redis?.status !== 'ready', 'the API to notice Redis is down');
    const stored = await store('s3', 'during the outage');
    expect(stored.status).toBe(201);
    const mcpStore = await client.callTool({ name: 'store_memory', arguments: { agent_id: 'agent-c', session_id: 's3', role: 'assistant', content: 'also during' } });
    expect(mcpStore.isError).toBeFalsy();
    expect(await recent('s3')).toEqual(['before the outage', 'during the outage', 'also during']);

    const compress = await rest(url, KEY_A, 'POST', '/v1/agents/agent-c/sessions/s3/compress');
    expect(compress.status).toBe(503);
    expect(compress.body.error).toMatchObject({ code: 'queue_unavailable' });
    expect((compress.body.error as { message: string }).message).toContain('Stored turns are safe');
    const mcpCompress = await client.callTool({ name: 'compress_memory', arguments: { agent_id: 'agent-c', session_id: 's3' } });
    expect(mcpCompress.isError).toBe(true);

    const apiReady = await fetch(`${url}/ready`);
    expect(apiReady.status).toBe(503);
    expect(((await apiReady.json()) as { checks: Record<string, { status: string }> }).checks.queue?.status).toBe('error');
    await waitFor(async () => (await fetch(`http://127.0.0.1:${worker?.port}/ready`)).status === 503, 'the worker to report not ready');

    await proxy.start();
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 'the API to be ready again');
    await waitFor(async () => (await fetch(`http://127.0.0.1:${worker?.port}/ready`)).status === 200, 'the worker to be ready again', 60_000);
    // The cache missed invalidations during the outage; it must not serve what it held before.
    expect(await recent('s3')).toEqual(['before the outage', 'during the outage', 'also during']);
    const again = await rest(url, KEY_A, 'POST', '/v1/agents/agent-c/sessions/s3/compress');
    expect(again.status).toBe(202);
    const jobId = (again.body as { job_id: string }).job_id;
    const done = await waitFor(async () => {
      const j = await rest(url, KEY_A, 'GET', `/v1/compression-jobs/${jobId}`);
      return j.body.state === 'completed' ? j.body : undefined;
    }, 'the compression after recovery', 60_000);
    expect(done.summary).toMatchObject({ turns_covered: 3 });
  }, 120_000);
});
