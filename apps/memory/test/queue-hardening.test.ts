// The compression queue's correctness under pressure: no auto-compression request lost to deduplication,
// /ready telling an unsafe or full Redis apart, and a worker stopped during a long job handing it back.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, REDIS_URL, cleanRedis, countRows, dropSchema, isolatedEnv, quietLogger, rest, startFakeLlm, startWorker, testConfig, waitFor, type FakeLlm, type WorkerProcess } from './helpers.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** A private redis-server for this test (the machine's shared Redis is never reconfigured). */
async function privateRedis(args: string[]): Promise<{ url: string; client: Redis; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
  const client = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 50 ? null : 100) });
  await waitFor(async () => (await client.ping()) === 'PONG', 'the private redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    async stop() {
      client.disconnect();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function withMemory(extra: Record<string, string>, fn: (m: { url: string; env: Record<string, string>; memory: MemoryService }) => Promise<void>, prefix = 'memory_queue') {
  const env = isolatedEnv(prefix, extra);
  const memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
  const { url } = await memory.service.start();
  try {
    await fn({ url, env, memory });
  } finally {
    await memory.service.stop();
    await dropSchema(env.DATABASE_SCHEMA);
    if (env.REDIS_URL === REDIS_URL) await cleanRedis(env);
  }
}

describe('compression queue hardening', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(async () => {
    await llm?.close();
  });

  it('a session over its threshold gets a new job once the one that absorbed its requests finishes', async () => {
    // Threshold 40 tokens: one 100-character turn (29 tokens) is under it, two are over it.
    await withMemory({ REDIS_URL, COMPRESSION_THRESHOLD_TOKENS: '40' }, async ({ url, env }) => {
      const sessions = Array.from({ length: 30 }, (_, i) => `over-${i}`);
      const turn = (n: number) => ({ role: 'user', content: `Turn ${n}. ${'word '.repeat(19)}`.slice(0, 100) });
      // The worker is not running: each session's first job waits, and every later request collapses into it.
      for (let round = 0; round < 6; round++) {
        await Promise.all(sessions.map((s) => rest(url, KEY_A, 'POST', `/v1/agents/agent-q/sessions/${s}/turns`, turn(round))));
      }
      const over = () => countRows(env.DATABASE_SCHEMA!, 'select count(*) as n from sessions where unsummarised_tokens >= 40');
      expect(await over()).toBe(sessions.length);
      const worker: WorkerProcess = await startWorker(env);
      try {
        // Each first job covers only the turns up to when it was queued; the follow-ups cover the rest.
        await waitFor(async () => (await over()) === 0, 'every session to be compressed below its threshold', 60_000);
      } finally {
        await worker.kill('SIGKILL');
      }
    });
  }, 120_000);

  it('/ready reports queue error with the fix when maxmemory-policy evicts, and warning when Redis is out of memory', async () => {
    const lru = await privateRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      await withMemory({ REDIS_URL: lru.url }, async ({ url }) => {
        const ready = (await (await fetch(`${url}/ready`)).json()) as { ready: boolean; checks: Record<string, { status: string; message?: string }> };
        expect(ready.ready).toBe(false);
        expect(ready.checks.queue).toMatchObject({ status: 'error', message: expect.stringContaining('set maxmemory-policy noeviction') });
      });
    } finally {
      await lru.stop();
    }

    const full = await privateRedis(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    try {
      await withMemory({ REDIS_URL: full.url }, async ({ url }) => {
        const queueCheck = async () => ((await (await fetch(`${url}/ready`)).json()) as { checks: Record<string, { status: string; message?: string }> }).checks.queue;
        expect((await queueCheck())?.status).toBe('ok');
        const chunk = 'x'.repeat(64 * 1024);
        for (let i = 0; i < 200; i++) {
          const refused = await full.client.set(`fill:${i}`, chunk).then(() => false, (err: Error) => /OOM/.test(err.message));
          if (refused) break;
        }
        expect(await queueCheck()).toMatchObject({ status: 'warning', message: expect.stringContaining('out of memory') });
      });
    } finally {
      await full.stop();
    }
  }, 60_000);

  it('a worker stopped during a long job stops taking jobs, hands the job back at once and exits 0', async () => {
    await withMemory({ REDIS_URL, LLM_BASE_URL: llm.url, LLM_RETRIES: '0', LLM_TIMEOUT_MS: '120000', COMPRESSION_THRESHOLD_TOKENS: '0' }, async ({ url, env }) => {
      await rest(url, KEY_A, 'POST', '/v1/agents/agent-q/sessions/long/turns', { role: 'user', content: 'a turn whose summary takes forever' });
      llm.mode = 'hang';
      const workerEnv = { ...env, SHUTDOWN_TIMEOUT_MS: '4000', WORKER_LOCK_MS: '60000' };
      const first = await startWorker(workerEnv);
      const requestsBefore = llm.requests.length;
      const { job_id: jobId } = (await rest(url, KEY_A, 'POST', '/v1/agents/agent-q/sessions/long/compress')).body as { job_id: string };
      await waitFor(async () => llm.requests.length > requestsBefore, 'the job to reach the LLM');
      await first.kill('SIGTERM');
      expect(first.child.exitCode).toBe(0);
      // Handed back, not left locked for WORKER_LOCK_MS, and no attempt used up.
      const job = (await rest(url, KEY_A, 'GET', `/v1/compression-jobs/${jobId}`)).body as { state: string; attempts: number };
      expect(job).toMatchObject({ state: 'waiting', attempts: 0 });

      llm.releaseHanging();
      llm.mode = 'ok';
      const second = await startWorker(workerEnv);
      try {
        await waitFor(async () => ((await rest(url, KEY_A, 'GET', `/v1/compression-jobs/${jobId}`)).body.state === 'completed' ? true : undefined), 'the job to complete', 60_000);
      } finally {
        await second.kill('SIGKILL');
      }
    });
  }, 120_000);
});
