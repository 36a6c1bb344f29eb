// Nothing external: no DATABASE_URL (embedded PGlite), no REDIS_URL (in-process compression), no LLM
// (extractive). Auto-compression kicks in past the token threshold. Plus the entry points.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { PG_URL, countRows, dropSchema, quietLogger, rest, testConfig, waitFor } from './helpers.js';
import { uniqueSchema } from '@factory/base-server/testing';

const INDEX_JS = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('with nothing external (PGlite, in-process, extractive)', () => {
  let memory: MemoryService;
  let url = '';
  beforeAll(async () => {
    memory = await createMemoryService(testConfig({ PORT: '0', LOG_LEVEL: 'warn', COMPRESSION_THRESHOLD_TOKENS: '100', SUMMARY_MAX_TOKENS: '64' }), {
      logger: quietLogger().logger,
    });
    url = (await memory.service.start()).url;
  }, 60_000);
  afterAll(async () => {
    await memory?.service.stop();
  });

  it('compresses a session automatically once its unsummarised tokens pass the threshold', async () => {
    expect(memory.database.kind).toBe('pglite');
    const turns = Array.from({ length: 12 }, (_, i) => ({ role: 'user', content: `Message ${i}: the quick brown fox jumps over the lazy dog.` }));
    for (const t of turns) expect((await rest(url, '', 'POST', '/v1/agents/solo/sessions/auto/turns', t)).status).toBe(201);
    const mem = await waitFor(async () => {
      const r = await rest(url, '', 'GET', '/v1/agents/solo/sessions/auto/memory');
      return r.body.summary ? r.body : undefined;
    }, 'an automatic summary');
    expect(mem.summary).toMatchObject({ provider: 'extractive' });
    expect((mem.summary as { tokens: number }).tokens).toBeLessThanOrEqual(64);
    const search = await rest(url, '', 'GET', '/v1/agents/solo/search?query=fox');
    expect((search.body.hits as unknown[]).length).toBe(10);
  }, 60_000);

  it('runs the retention sweep on PGlite: an override deletes the expired turns, newer ones and other agents stay', async () => {
    const stored = await rest(url, '', 'POST', '/v1/agents/solo-old/sessions/s/turns/batch', { turns: [{ role: 'user', content: 'from last year' }, { role: 'user', content: 'also old' }] });
    await memory.database.db.updateTable('turns').set({ created_at: new Date(Date.now() - 400 * 86_400_000) }).where('id', 'in', stored.body.memory_ids as string[]).execute();
    await rest(url, '', 'POST', '/v1/agents/solo-old/sessions/s/turns', { role: 'user', content: 'today' });
    expect((await rest(url, '', 'PUT', '/v1/agents/solo-old/retention', { retention_days: 365 })).status).toBe(200);
    expect(await memory.retention()).toMatchObject({ turns_deleted: 2, complete: true });
    const recent = await rest(url, '', 'GET', '/v1/agents/solo-old/sessions/s/turns');
    expect((recent.body.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(['today']);
    // The default (0) keeps the other agent's turns.
    expect((await rest(url, '', 'GET', '/v1/agents/solo/sessions/auto/turns?limit=200')).body.turns).toHaveLength(12);
  }, 60_000);
});

describe('entry points', () => {
  const schema = uniqueSchema('memory_entry');
  afterAll(async () => dropSchema(schema));

  it('`node dist/index.js migrate` applies the migrations and exits 0', async () => {
    const r = spawnSync(process.execPath, [INDEX_JS, 'migrate'], {
      env: { ...process.env, DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, LOG_LEVEL: 'info', PORT: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('20261122000000_create_memory_tables');
    expect(await countRows(schema, `select count(*) as n from information_schema.tables where table_schema = $1 and table_name in ('turns', 'summaries', 'sessions')`, [schema])).toBe(3);
  }, 90_000);

  it('serves the tools over stdio with `--stdio`', async () => {
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [INDEX_JS, '--stdio'],
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, LOG_LEVEL: 'warn' },
        stderr: 'ignore',
      }),
    );
    const stored = await client.callTool({ name: 'store_memory', arguments: { agent_id: 'cli', session_id: 's', role: 'user', content: 'over stdio' } });
    expect(stored.structuredContent).toMatchObject({ stored: true });
    await client.close();
  }, 90_000);
});
