// Semantic recall on PGlite with its `vector` extension and a local fake embeddings server: turns are
// embedded in the background, search_memory fuses full-text and vector ranks (reciprocal rank fusion),
// and when the endpoint hangs, fails or answers garbage, writes never wait, search falls back to
// full-text and the backlog is retried. Plus: a Postgres without pgvector says so and stays full-text.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { fuseRanks } from '../src/embeddings/rank-fusion.js';
import { createCompressionWorker, type CompressionWorker } from '../src/compression/compression-worker.js';
import { parseWorkerConfig } from '../src/config.js';
import { cosineDistance, fakeEmbedding, startFakeEmbeddings, type FakeEmbeddings } from './fake-embeddings.js';
import { REDIS_URL, cleanRedis, dropSchema, isolatedEnv, quietLogger, rest, testConfig, waitFor } from './helpers.js';

const DIMS = 256;

type Hit = { memory_id: string; content: string; rank: number };
type SearchBody = { mode: string; semantic_error: string | null; hits: Hit[] };
type Ready = { checks: Record<string, { status: string; message?: string; details?: Record<string, unknown> }> };

describe('fuseRanks (reciprocal rank fusion)', () => {
  it('scores each id by the sum of 1/(60 + rank) over the lists that hold it, ties to the newer id', () => {
    const fused = fuseRanks([
      ['10', '20', '30'],
      ['30', '40', '10'],
    ]);
    // 10: 1/61 + 1/63; 30: 1/63 + 1/61 (a tie: the newer, 30, first); 20: 1/62; 40: 1/62 (tie: 40 first).
    expect(fused.map((f) => f.id)).toEqual(['30', '10', '40', '20']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 63, 12);
    expect(fused[0]!.ranks).toEqual([3, 1]);
    expect(fused[2]!.ranks).toEqual([undefined, 2]);
    expect(fuseRanks([[], []])).toEqual([]);
  });
});

describe('semantic recall on PGlite with pgvector and a fake embeddings server', () => {
  let fake: FakeEmbeddings;
  let memory: MemoryService;
  let url = '';
  const post = (session: string, content: string) => rest(url, '', 'POST', `/v1/agents/recall/sessions/${session}/turns`, { role: 'user', content });
  const search = async (query: string, limit = 5) => (await rest(url, '', 'GET', `/v1/agents/recall/search?query=${encodeURIComponent(query)}&limit=${limit}`)).body as unknown as SearchBody;
  const embedded = async () => Number((await sql<{ n: number }>`select count(*)::int as n from turn_embeddings`.execute(memory.database.db)).rows[0]!.n);
  const turnCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from turns`.execute(memory.database.db)).rows[0]!.n);
  const ready = async () => (await rest(url, '', 'GET', '/ready')).body as unknown as Ready;

  beforeAll(async () => {
    fake = await startFakeEmbeddings(DIMS);
    memory = await createMemoryService(
      testConfig({
        PORT: '0',
        LOG_LEVEL: 'warn',
        COMPRESSION_THRESHOLD_TOKENS: '0',
        EMBEDDINGS_BASE_URL: fake.url,
        EMBEDDINGS_API_KEY: 'emb-secret',
        EMBEDDINGS_MODEL: 'fake-bow',
        EMBEDDINGS_DIMENSIONS: String(DIMS),
        EMBEDDINGS_BATCH_SIZE: '4',
        EMBEDDINGS_POLL_MS: '20',
        EMBEDDINGS_SETTLE_MS: '0',
        EMBEDDINGS_TIMEOUT_MS: '2000',
        EMBEDDINGS_QUERY_TIMEOUT_MS: '3000',
      }),
      { logger: quietLogger().logger },
    );
    url = (await memory.service.start()).url;
  }, 180_000);
  afterAll(async () => {
    await memory?.service.stop();
    await fake?.close();
  });

  const allEmbedded = () => waitFor(async () => (await embedded()) === (await turnCount()), 'every turn embedded');

  it('embeds stored turns in the background, in batches, and /ready says semantic recall is on', async () => {
    expect(memory.database.kind).toBe('pglite');
    const corpus = [
      ['commute', 'I drive a red automobile to work every day.'],
      ['commute', 'The train to work was late again this morning.'],
      ['plans', 'Our vacation in Lisbon starts on the 3rd of May.'],
      ['plans', 'The budget for the offsite is 4,000 euros.'],
      ['health', 'My physician said to walk more.'],
      ['misc', 'Rotate the staging secrets before the deploy.'],
      ['misc', 'The deploy window is Friday in eu-west-1.'],
      ['misc', 'Lunch was a sandwich in the park.'],
      ['misc', 'The car park is closed on Sundays.'],
    ];
    for (const [session, content] of corpus) expect((await post(session!, content!)).status).toBe(201);
    await allEmbedded();
    expect(fake.requests.every((batch) => batch.length <= 4)).toBe(true);
    expect(fake.lastHeaders?.authorization).toBe('Bearer emb-secret');
    const r = await ready();
    expect(r.checks.embeddings).toMatchObject({ status: 'ok', details: { mode: 'hybrid', model: `fake-bow@${DIMS}` } });
    expect(r.checks.embeddings!.message).toContain('semantic recall on');
  });

  it('recalls a turn related in meaning that shares no word with the query', async () => {
    // Full-text knows no "holiday" or "doctor"; the vectors relate them to "vacation" and "physician".
    const holiday = await search('holiday');
    expect(holiday.mode).toBe('hybrid');
    expect(holiday.semantic_error).toBeNull();
    expect(holiday.hits[0]?.content).toBe('Our vacation in Lisbon starts on the 3rd of May.');
    expect((await search('doctor')).hits[0]?.content).toBe('My physician said to walk more.');
    // A word both rankings know still comes first: "car" is in one turn and related to another.
    const car = (await search('car')).hits.map((h) => h.content);
    expect(car.slice(0, 2).sort()).toEqual(['I drive a red automobile to work every day.', 'The car park is closed on Sundays.']);
  });

  it('orders hits as reciprocal rank fusion of the full-text and the vector rankings', async () => {
    for (const query of ['car', 'deploy friday', 'work', 'money']) {
      const limit = 5;
      const depth = 30;
      const db = memory.database.db;
      // The full-text ranking every match would give, and the exact cosine ranking of the fake's vectors.
      const text = (
        await sql<{ id: string }>`select t.id from turns t, websearch_to_tsquery('english', ${query}) q
          where t.agent_id = 'recall' and t.search @@ q order by ts_rank_cd(t.search, q) desc, t.id desc limit ${depth}`.execute(db)
      ).rows.map((r) => String(r.id));
      const all = (await sql<{ id: string; content: string }>`select id, content from turns where agent_id = 'recall'`.execute(db)).rows;
      const q = fakeEmbedding(query, DIMS);
      const vector = all
        .map((t) => ({ id: String(t.id), d: cosineDistance(q, fakeEmbedding(t.content, DIMS)) }))
        .sort((a, b) => a.d - b.d || Number(b.id) - Number(a.id))
        .map((t) => t.id);
      const expected = fuseRanks([text, vector]).slice(0, limit);
      const got = await search(query, limit);
      expect({ query, ids: got.hits.map((h) => h.memory_id) }).toEqual({ query, ids: expected.map((e) => e.id) });
      got.hits.forEach((h, i) => expect(h.rank).toBeCloseTo(expected[i]!.score, 6));
    }
  });

  it('never makes a write wait for a hanging endpoint, and search falls back to full-text', async () => {
    fake.mode = 'hang';
    const before = await turnCount();
    // The background embedder is stuck on the hanging endpoint while these writes are stored.
    await waitFor(async () => fake.requests.length > 0 && (await post('misc', 'Hanging turn zero about a sedan.')).status === 201, 'a first write');
    for (let i = 1; i <= 4; i++) expect((await post('misc', `Hanging turn ${i} about a sedan.`)).status).toBe(201);
    expect(await turnCount()).toBe(before + 5);
    const r = await search('sedan');
    expect(r.mode).toBe('hybrid');
    expect(r.semantic_error).toMatch(/did not answer within 3000 ms/);
    expect(r.hits).toHaveLength(5);
    expect(r.hits.every((h) => h.content.includes('sedan'))).toBe(true);
    // The pass timed out and is retried: once the endpoint answers, the backlog is embedded.
    fake.mode = 'ok';
    await allEmbedded();
  });

  it('retries the backlog after garbage answers and failures, storing nothing wrong, and /ready warns meanwhile', async () => {
    fake.mode = 'garbage';
    const seen = fake.requests.length;
    expect((await post('misc', 'A turn written while the endpoint answers garbage.')).status).toBe(201);
    await waitFor(async () => fake.requests.length >= seen + 2, 'a retried pass');
    const warned = await waitFor(async () => ((await ready()).checks.embeddings?.status === 'warning' ? ready() : undefined), 'a warning');
    expect(warned.checks.embeddings!.message).toMatch(/not a vector of 256 finite numbers/);
    expect(await embedded()).toBe((await turnCount()) - 1);
    fake.mode = 'fail';
    await waitFor(async () => fake.requests.length >= seen + 4, 'more retries');
    fake.mode = 'ok';
    await allEmbedded();
    await waitFor(async () => (await ready()).checks.embeddings?.status === 'ok', 'the warning cleared');
  });

  it('stops asking a failing endpoint at search time (circuit open) and says so on /ready', async () => {
    expect((await search('holiday')).semantic_error).toBeNull(); // a success resets the breaker's count
    fake.mode = 'fail';
    for (let i = 0; i < 3; i++) expect((await search('holiday')).semantic_error).toMatch(/503/);
    const asked = fake.requests.length;
    const r = await search('vacation');
    expect(r.semantic_error).toMatch(/circuit open/);
    expect(r.hits[0]?.content).toBe('Our vacation in Lisbon starts on the 3rd of May.');
    // Only the background embedder may have called meanwhile, never the search.
    expect(fake.requests.slice(asked).every((inputs) => !inputs.includes('vacation'))).toBe(true);
    expect((await ready()).checks.embeddings).toMatchObject({ status: 'warning', message: expect.stringMatching(/full-text alone/) });
    fake.mode = 'ok';
  });
});

describe('semantic recall configured on a Postgres without pgvector', () => {
  const env = isolatedEnv('memory_recall_nopgv', { EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1', COMPRESSION_THRESHOLD_TOKENS: '0' });
  let memory: MemoryService;
  let url = '';
  beforeAll(async () => {
    memory = await createMemoryService(testConfig({ ...env, REDIS_URL: '' }), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
  }, 60_000);
  afterAll(async () => {
    await memory?.service.stop();
    await dropSchema(env.DATABASE_SCHEMA);
  });

  it('detects it at start-up, says so on /ready, and searches full-text only', async () => {
    const key = env.API_KEYS!.split(',')[0]!.split(':')[1]!;
    const ready = (await rest(url, key, 'GET', '/ready')).body as unknown as Ready & { ready: boolean };
    expect(ready.ready).toBe(true);
    expect(ready.checks.embeddings).toMatchObject({ status: 'warning', details: { mode: 'full_text' } });
    expect(ready.checks.embeddings!.message).toMatch(/no pgvector extension/);
    expect((await rest(url, key, 'POST', '/v1/agents/p/sessions/s/turns', { role: 'user', content: 'The deploy window is Friday.' })).status).toBe(201);
    const r = (await rest(url, key, 'GET', '/v1/agents/p/search?query=deploy')).body as unknown as SearchBody;
    expect(r).toMatchObject({ mode: 'full_text', semantic_error: null });
    expect(r.hits.map((h) => h.content)).toEqual(['The deploy window is Friday.']);
  });
});

describe('the worker with semantic recall configured on a Postgres without pgvector', () => {
  const env = isolatedEnv('memory_recall_worker', { EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1', REDIS_URL, WORKER_PORT: '0' });
  let worker: CompressionWorker;
  afterAll(async () => {
    await worker?.service.stop();
    await cleanRedis(env);
    await dropSchema(env.DATABASE_SCHEMA);
  });

  it('detects it at start-up, runs no embedder and says so on /ready', async () => {
    worker = await createCompressionWorker(parseWorkerConfig(env), { logger: quietLogger().logger });
    const { url } = await worker.service.start();
    expect(worker.recall.mode).toBe('full_text');
    expect(worker.recall.indexer).toBeUndefined();
    const ready = (await (await fetch(`${url}/ready`)).json()) as Ready & { ready: boolean };
    expect(ready.ready).toBe(true);
    expect(ready.checks.embeddings).toMatchObject({ status: 'warning', message: expect.stringMatching(/no pgvector extension/) });
  }, 60_000);
});

describe('without an embeddings endpoint', () => {
  let memory: MemoryService;
  let url = '';
  beforeAll(async () => {
    memory = await createMemoryService(testConfig({ PORT: '0', LOG_LEVEL: 'warn' }), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
  }, 60_000);
  afterAll(async () => memory?.service.stop());

  it('reports semantic recall as not configured and searches full-text only', async () => {
    const ready = (await rest(url, '', 'GET', '/ready')).body as unknown as Ready;
    expect(ready.checks.embeddings).toMatchObject({ status: 'not_configured', message: expect.stringMatching(/EMBEDDINGS_BASE_URL unset/) });
    expect((await rest(url, '', 'GET', '/v1/agents/x/search?query=anything')).body).toMatchObject({ mode: 'full_text', semantic_error: null, hits: [] });
  });
});
