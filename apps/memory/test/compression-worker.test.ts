// Compression end to end: the API queues on Redis, the real worker process (`node dist/worker.js`)
// summarises through a local OpenAI-compatible server. Deduplication, a crash mid-job, idempotent
// re-runs and the circuit breaker.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { createCompressionProcessor } from '../src/compression/compression-processor.js';
import { createExtractiveSummariser } from '../src/compression/summariser.js';
import { noCache } from '../src/cache/memory-cache.js';
import {
  KEY_A,
  REDIS_URL,
  cleanRedis,
  countRows,
  dropSchema,
  isolatedEnv,
  quietLogger,
  rest,
  startFakeLlm,
  startWorker,
  testConfig,
  waitFor,
  type FakeLlm,
  type WorkerProcess,
} from './helpers.js';


describe('compression worker process', () => {
  let llm: FakeLlm;
  let env: Record<string, string>;
  let memory: MemoryService;
  let url = '';
  let worker: WorkerProcess | undefined;
  const schema = () => env.DATABASE_SCHEMA as string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    env = isolatedEnv('memory_worker', {
      REDIS_URL,
      LLM_BASE_URL: llm.url,
      LLM_MODEL: 'fake-model',
      LLM_RETRIES: '0',
      LLM_BREAKER_FAILURES: '2',
      LLM_BREAKER_COOLDOWN_MS: '60000',
      COMPRESSION_THRESHOLD_TOKENS: '0',
      WORKER_LOCK_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
    });
    memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
    worker = await startWorker(env);
  }, 60_000);

  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await memory?.service.stop();
    await llm?.close();
    await dropSchema(env?.DATABASE_SCHEMA);
    if (env) await cleanRedis(env);
  }, 60_000);

  const storeTurns = (session: string, contents: string[]) =>
    rest(url, KEY_A, 'POST', `/v1/agents/agent-w/sessions/${session}/turns/batch`, { turns: contents.map((content) => ({ role: 'user', content })) });
  const compress = async (session: string) => (await rest(url, KEY_A, 'POST', `/v1/agents/agent-w/sessions/${session}/compress`)).body as { job_id: string; status: string; deduplicated: boolean };
  const job = async (id: string) => (await rest(url, KEY_A, 'GET', `/v1/compression-jobs/${id}`)).body as Record<string, unknown>;
  const completed = (id: string) => waitFor(async () => ((await job(id)).state === 'completed' ? job(id) : undefined), `job ${id} to complete`, 60_000);

  it('summarises incrementally on the worker: the second run sees the previous summary and only the new turns', async () => {
    await storeTurns('e2e', ['We chose Postgres.', 'Budget is 5k.', 'Launch is in May.']);
    const first = await compress('e2e');
    expect(first.status).toMatch(/waiting|active|completed/);
    const done = await completed(first.job_id);
    expect(done.summary).toMatchObject({ text: 'LLM summary #1 of 3 new turns', turns_covered: 3 });
    expect(llm.requests[0]?.model).toBe('fake-model');

    await storeTurns('e2e', ['Launch moved to June.', 'Ada owns the launch.']);
    const second = await completed((await compress('e2e')).job_id);
    expect(second.summary).toMatchObject({ text: 'LLM summary #2 of 2 new turns', turns_covered: 5 });
    const prompt = llm.requests[1]?.messages.find((m) => m.role === 'user')?.content ?? '';
    expect(prompt).toContain('LLM summary #1 of 3 new turns');
    expect(prompt).not.toContain('We chose Postgres.');

    const mem = await rest(url, KEY_A, 'GET', '/v1/agents/agent-w/sessions/e2e/memory');
    expect(mem.body).toMatchObject({ summary: { text: 'LLM summary #2 of 2 new turns', provider: 'openai-compatible', model: 'fake-model' }, turns: [], stale: false });

    const ready = await fetch(`http://127.0.0.1:${worker?.port}/ready`);
    const body = (await ready.json()) as { checks: Record<string, { status: string; details?: Record<string, unknown> }> };
    expect(ready.status).toBe(200);
    expect(body.checks.queue?.status).toBe('ok');
    expect(body.checks.queue?.details?.last_activity_at).toEqual(expect.any(String));
    expect(body.checks.llm?.status).toBe('ok');
    const metrics = await (await fetch(`http://127.0.0.1:${worker?.port}/metrics`, { headers: { authorization: `Bearer ${KEY_A}` } })).text();
    expect(metrics).toMatch(/memory_compression_jobs_total\{outcome="completed"[^}]*\} 2/);
    expect(metrics).toMatch(/llm_tokens_total\{direction="input"[^}]*\} 200/);
  }, 120_000);

  it('collapses duplicate requests into one job, and finishes it exactly once after the worker is killed mid-job', async () => {
    llm.mode = 'hang';
    const before = llm.requests.length;
    await storeTurns('crash', ['Turn one.', 'Turn two.']);
    const first = await compress('crash');
    await waitFor(async () => llm.requests.length > before, 'the worker to call the LLM', 60_000);
    const again = await compress('crash');
    expect(again.job_id).toBe(first.job_id);
    await storeTurns('crash', ['Turn three.']);
    const later = await compress('crash');
    expect(later).toMatchObject({ job_id: first.job_id, deduplicated: true });
    expect((await job(first.job_id)).state).toBe('active');

    await worker?.kill('SIGKILL');
    llm.releaseHanging();
    llm.mode = 'ok';
    worker = await startWorker(env);
    const done = await completed(first.job_id);
    expect(done.summary).toMatchObject({ turns_covered: 2 });
    expect(await countRows(schema(), `select count(*) as n from summaries where session_id = 'crash'`)).toBe(1);
  }, 120_000);

  it('re-running a finished compression, or two runs at once, leaves exactly one summary', async () => {
    const processor = createCompressionProcessor({
      db: memory.database.db,
      summariser: createExtractiveSummariser(),
      cache: noCache,
      metrics: memory.metrics,
      logger: quietLogger().logger,
      summaryMaxTokens: 256,
      inputMaxTokens: 4_000,
    });
    const existing = (await rest(url, KEY_A, 'GET', '/v1/agents/agent-w/sessions/e2e/memory')).body.summary as { covers_through_turn_id: string; text: string };
    const rerun = await processor({ agentId: 'agent-w', sessionId: 'e2e', throughTurnId: existing.covers_through_turn_id });
    expect(rerun).toMatchObject({ outcome: 'skipped', covers_through_turn_id: existing.covers_through_turn_id });

    const stored = (await storeTurns('twice', ['Alpha.', 'Beta.'])).body as { memory_ids: string[] };
    const through = stored.memory_ids[1] as string;
    const [a, b] = await Promise.all([
      processor({ agentId: 'agent-w', sessionId: 'twice', throughTurnId: through }),
      processor({ agentId: 'agent-w', sessionId: 'twice', throughTurnId: through }),
    ]);
    expect(a.summary_id).toBe(b.summary_id);
    expect(await countRows(schema(), `select count(*) as n from summaries where session_id = 'twice'`)).toBe(1);
    expect(await countRows(schema(), `select count(*) as n from summaries where session_id = 'e2e'`)).toBe(2);
    const after = (await rest(url, KEY_A, 'GET', '/v1/agents/agent-w/sessions/e2e/memory')).body.summary as { text: string };
    expect(after.text).toBe(existing.text);
  }, 60_000);

  it('delays jobs instead of failing them while the LLM circuit is open, and shows llm as warning', async () => {
    llm.mode = 'fail';
    await storeTurns('flaky', ['Something to summarise.']);
    const { job_id } = await compress('flaky');
    // Two failed attempts open the breaker (LLM_BREAKER_FAILURES=2); the next attempt is delayed, not failed.
    const workerMetrics = async () => (await fetch(`http://127.0.0.1:${worker?.port}/metrics`, { headers: { authorization: `Bearer ${KEY_A}` } })).text();
    const metrics = await waitFor(async () => {
      const m = await workerMetrics();
      return /memory_compression_jobs_total\{outcome="delayed"[^}]*\} [1-9]/.test(m) ? m : undefined;
    }, 'a job delayed by the open breaker', 60_000);
    expect(metrics).toMatch(/llm_errors_total\{kind="http_5xx"[^}]*\} 2/);
    expect(llm.requests.filter((r) => r.messages.some((m) => m.content.includes('Something to summarise.')))).toHaveLength(2);
    const delayed = await job(job_id);
    expect(delayed).toMatchObject({ state: 'delayed', attempts: 2 });
    expect(delayed.last_error).toContain('LLM answered 500');
    const workerReady = (await (await fetch(`http://127.0.0.1:${worker?.port}/ready`)).json()) as { checks: Record<string, { status: string; message?: string }> };
    expect(workerReady.checks.llm?.status).toBe('warning');
    expect(workerReady.checks.llm?.message).toContain('circuit breaker is open');
    const apiReady = (await (await fetch(`${url}/ready`)).json()) as { ready: boolean; checks: Record<string, { status: string }> };
    expect(apiReady.checks.llm?.status).toBe('warning');
    expect(apiReady.ready).toBe(true);
  }, 90_000);
});
