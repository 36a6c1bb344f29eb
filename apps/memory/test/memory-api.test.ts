// The API without Redis: MCP and REST over real Postgres, in-process compression with the extractive
// summariser (the default), input validation and agent scoping.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/client';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, KEY_B, countRows, dropSchema, isolatedEnv, mcpClient, quietLogger, rest, testConfig, waitFor } from './helpers.js';

const env = isolatedEnv('memory_api', { AGENT_SCOPES: 'alice=agent-a|shared;bob=agent-b', COMPRESSION_THRESHOLD_TOKENS: '0', MAX_CONTENT_CHARS: '2000', MAX_BATCH_TURNS: '50' });
const schema = env.DATABASE_SCHEMA as string;

describe('memory API (no Redis: in-process compression)', () => {
  let memory: MemoryService;
  let url = '';
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
    alice = await mcpClient(url, KEY_A);
    bob = await mcpClient(url, KEY_B);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await memory?.service.stop();
    await dropSchema(schema);
  });

  const call = async (client: Client, name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args });
    return { isError: r.isError === true, data: r.structuredContent as Record<string, unknown>, text: (r.content as Array<{ text: string }>)[0]?.text ?? '' };
  };

  it('declares every tool with a description, input and output schemas and all four annotations', async () => {
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['compress_memory', 'forget', 'get_compressed_memory', 'get_compression_job', 'get_recent_turns', 'get_retention', 'list_sessions', 'search_memory', 'set_retention', 'store_memories', 'store_memory'].sort(),
    );
    for (const t of tools) {
      expect(t.description?.length).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(typeof t.annotations?.[hint]).toBe('boolean');
    }
    expect(tools.find((t) => t.name === 'forget')?.annotations?.destructiveHint).toBe(true);
  });

  it('stores turns through MCP and REST and reads them back in order', async () => {
    const one = await call(alice, 'store_memory', { agent_id: 'agent-a', session_id: 's1', role: 'user', content: 'My name is Ada and I deploy on Fridays.', metadata: { source: 'chat' } });
    expect(one.isError).toBe(false);
    expect(one.data).toEqual({ memory_id: expect.any(String), stored: true });
    const two = await rest(url, KEY_A, 'POST', '/v1/agents/agent-a/sessions/s1/turns', { role: 'assistant', content: 'Noted: Ada deploys on Fridays.' });
    expect(two.status).toBe(201);
    const batch = await call(alice, 'store_memories', {
      agent_id: 'agent-a',
      session_id: 's1',
      turns: [
        { role: 'user', content: 'The staging database is called kestrel.' },
        { role: 'tool', content: 'deploy ok', metadata: { tool: 'deploy' } },
      ],
    });
    expect(batch.data).toMatchObject({ stored: 2 });

    const recent = await call(alice, 'get_recent_turns', { agent_id: 'agent-a', session_id: 's1', limit: 3 });
    expect((recent.data.turns as Array<{ content: string }>).map((t) => t.content)).toEqual([
      'Noted: Ada deploys on Fridays.',
      'The staging database is called kestrel.',
      'deploy ok',
    ]);
    const viaRest = await rest(url, KEY_A, 'GET', '/v1/agents/agent-a/sessions/s1/turns?limit=10');
    expect(viaRest.status).toBe(200);
    const turns = viaRest.body.turns as Array<{ role: string; metadata: unknown; token_count: number }>;
    expect(turns).toHaveLength(4);
    expect(turns[0]).toMatchObject({ role: 'user', metadata: { source: 'chat' } });
    expect(turns[0]?.token_count).toBeGreaterThan(0);

    const sessions = await rest(url, KEY_A, 'GET', '/v1/agents/agent-a/sessions');
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ session_id: 's1', turn_count: 4 })]);
  });

  it('finds turns with ranked full-text search, optionally within one session', async () => {
    await call(alice, 'store_memory', { agent_id: 'agent-a', session_id: 's2', role: 'user', content: 'Deployments to kestrel need a change ticket.' });
    const hits = await call(alice, 'search_memory', { agent_id: 'agent-a', query: 'kestrel database', limit: 5 });
    const list = hits.data.hits as Array<{ content: string; session_id: string; rank: number }>;
    expect(list[0]?.content).toBe('The staging database is called kestrel.');
    expect(list.map((h) => h.session_id).sort()).toEqual(['s1']);
    const any = await rest(url, KEY_A, 'GET', '/v1/agents/agent-a/search?query=kestrel');
    expect((any.body.hits as unknown[]).length).toBe(2);
    const inS2 = await rest(url, KEY_A, 'GET', '/v1/agents/agent-a/search?query=kestrel&session_id=s2');
    expect((inS2.body.hits as Array<{ session_id: string }>).map((h) => h.session_id)).toEqual(['s2']);
  });

  it('compresses in-process with the extractive summariser and returns summary plus newer turns', async () => {
    const queued = await call(alice, 'compress_memory', { agent_id: 'agent-a', session_id: 's1' });
    expect(queued.isError).toBe(false);
    const jobId = queued.data.job_id as string;
    const job = await waitFor(async () => {
      const r = await call(alice, 'get_compression_job', { job_id: jobId });
      return r.data.state === 'completed' ? r.data : undefined;
    }, 'compression job');
    expect(job.summary).toMatchObject({ turns_covered: 4 });
    expect((job.summary as { text: string }).text).toContain('user: My name is Ada and I deploy on Fridays.');

    await call(alice, 'store_memory', { agent_id: 'agent-a', session_id: 's1', role: 'user', content: 'Also, I prefer blue-green deploys.' });
    const mem = await call(alice, 'get_compressed_memory', { agent_id: 'agent-a', session_id: 's1' });
    expect(mem.data.summary).toMatchObject({ provider: 'extractive', turns_covered: 4 });
    expect((mem.data.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(['Also, I prefer blue-green deploys.']);
    expect(mem.data.stale).toBe(true);
    // Nothing is lost: every turn is still there verbatim.
    expect(await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-a' and session_id = 's1'`)).toBe(5);
  });

  it('fits get_compressed_memory to max_tokens by keeping the newest turns', async () => {
    const long = (i: number) => `Turn ${i}: ${'word '.repeat(60)}`;
    await call(alice, 'store_memories', { agent_id: 'agent-a', session_id: 'budget', turns: [1, 2, 3, 4].map((i) => ({ role: 'user', content: long(i) })) });
    const mem = await rest(url, KEY_A, 'GET', '/v1/agents/agent-a/sessions/budget/memory?max_tokens=200');
    const turns = mem.body.turns as Array<{ content: string }>;
    expect(turns.map((t) => t.content.slice(0, 6))).toEqual(['Turn 3', 'Turn 4']);
    expect(mem.body.omitted_turns).toBe(2);
    expect(mem.body.total_tokens as number).toBeLessThanOrEqual(200);
    expect(mem.body.summary).toBeNull();
  });

  it('counts omitted turns of a long unsummarised session from its counters, and fits the newest turns across pages', async () => {
    // 5 tokens each, in batches of 50 (MAX_BATCH_TURNS here).
    for (let b = 0; b < 14; b++) {
      const turns = Array.from({ length: 50 }, (_, i) => ({ role: 'user', content: `${b * 50 + i}.` }));
      expect((await call(alice, 'store_memories', { agent_id: 'shared', session_id: 'long', turns })).isError).toBe(false);
    }
    const fitted = await rest(url, KEY_A, 'GET', '/v1/agents/shared/sessions/long/memory?max_tokens=250');
    expect((fitted.body.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(Array.from({ length: 50 }, (_, i) => `${650 + i}.`));
    expect(fitted.body).toMatchObject({ summary: null, omitted_turns: 650, total_tokens: 250, stale: true });
    const all = await rest(url, KEY_A, 'GET', '/v1/agents/shared/sessions/long/memory');
    expect((all.body.turns as unknown[]).length).toBe(500);
    expect(all.body.omitted_turns).toBe(200);
  });

  it('answers an unknown agent or session with empty results, and compress_memory with 404', async () => {
    const recent = await rest(url, KEY_A, 'GET', '/v1/agents/shared/sessions/nope/turns');
    expect(recent.body.turns).toEqual([]);
    const mem = await call(alice, 'get_compressed_memory', { agent_id: 'shared', session_id: 'nope' });
    expect(mem.data).toMatchObject({ summary: null, turns: [], stale: false, pending_job_id: null });
    const compress = await rest(url, KEY_A, 'POST', '/v1/agents/shared/sessions/nope/compress');
    expect(compress.status).toBe(404);
    expect(compress.body.error).toMatchObject({ code: 'session_not_found' });
  });

  it('rejects bad input with a message that says what to fix, and writes nothing', async () => {
    const before = await countRows(schema, 'select count(*) as n from turns');
    const badRole = await rest(url, KEY_A, 'POST', '/v1/agents/agent-a/sessions/s1/turns', { role: 'robot', content: 'hi' });
    expect(badRole.status).toBe(400);
    expect((badRole.body.error as { message: string }).message).toContain('role must be one of user, assistant, system, tool');
    const tooLong = await call(alice, 'store_memory', { agent_id: 'agent-a', session_id: 's1', role: 'user', content: 'x'.repeat(2001) });
    expect(tooLong.isError).toBe(true);
    expect(tooLong.text).toContain('longer than 2000 characters');
    const nulMeta = await rest(url, KEY_A, 'POST', '/v1/agents/agent-a/sessions/s1/turns', { role: 'user', content: 'hi', metadata: { note: 'a\u0000b' } });
    expect(nulMeta.status).toBe(400);
    expect((nulMeta.body.error as { message: string }).message).toContain('metadata must not contain NUL characters');
    const badId = await rest(url, KEY_A, 'POST', '/v1/agents/bad%20id/sessions/s1/turns', { role: 'user', content: 'hi' });
    expect(badId.status).toBe(400);
    expect((badId.body.error as { message: string }).message).toContain('agentId');
    const emptyQuery = await call(alice, 'search_memory', { agent_id: 'agent-a', query: '   ' });
    expect(emptyQuery.isError).toBe(true);
    expect(emptyQuery.text).toContain('query must not be empty');
    // One bad turn in a batch: nothing of the batch is written.
    const mixed = await rest(url, KEY_A, 'POST', '/v1/agents/agent-a/sessions/s1/turns/batch', {
      turns: [{ role: 'user', content: 'fine' }, { role: 'user', content: '' }],
    });
    expect(mixed.status).toBe(400);
    const tooMany = await rest(url, KEY_A, 'POST', '/v1/agents/agent-a/sessions/s1/turns/batch', { turns: Array.from({ length: 51 }, () => ({ role: 'user', content: 'x' })) });
    expect(tooMany.status).toBe(400);
    expect(await countRows(schema, 'select count(*) as n from turns')).toBe(before);
  });

  it('never lets a key read, search, compress or delete another agent’s memory', async () => {
    const read = await rest(url, KEY_B, 'GET', '/v1/agents/agent-a/sessions/s1/turns');
    expect(read.status).toBe(403);
    expect(read.body.error).toMatchObject({ code: 'agent_forbidden' });
    const search = await call(bob, 'search_memory', { agent_id: 'agent-a', query: 'kestrel' });
    expect(search.isError).toBe(true);
    expect(search.text).toContain('may not access agent "agent-a"');
    const del = await rest(url, KEY_B, 'DELETE', '/v1/agents/agent-a');
    expect(del.status).toBe(403);
    const compress = await call(bob, 'compress_memory', { agent_id: 'agent-a', session_id: 's1' });
    expect(compress.isError).toBe(true);
    // A job id of another agent's compression looks like an unknown job.
    const own = await call(alice, 'compress_memory', { agent_id: 'agent-a', session_id: 's1' });
    const peek = await rest(url, KEY_B, 'GET', `/v1/compression-jobs/${own.data.job_id as string}`);
    expect(peek.status).toBe(404);
    const store = await call(bob, 'store_memory', { agent_id: 'agent-a', session_id: 's1', role: 'user', content: 'sneaky' });
    expect(store.isError).toBe(true);
    expect(await countRows(schema, `select count(*) as n from turns where content = 'sneaky'`)).toBe(0);
    // Bob's own agent works.
    const mine = await call(bob, 'store_memory', { agent_id: 'agent-b', session_id: 's1', role: 'user', content: 'hello from bob' });
    expect(mine.isError).toBe(false);
  });

  it('forgets one session, then a whole agent, and reports the counts', async () => {
    const one = await call(alice, 'forget', { agent_id: 'agent-a', session_id: 's2' });
    expect(one.data).toMatchObject({ turns_deleted: 1, summaries_deleted: 0, sessions_deleted: 1 });
    const all = await rest(url, KEY_A, 'DELETE', '/v1/agents/agent-a');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ turns_deleted: 9, sessions_deleted: 2 });
    expect(all.body.summaries_deleted as number).toBeGreaterThanOrEqual(1);
    expect(await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-a'`)).toBe(0);
    expect(await countRows(schema, `select count(*) as n from summaries where agent_id = 'agent-a'`)).toBe(0);
    const recent = await call(alice, 'get_recent_turns', { agent_id: 'agent-a', session_id: 's1' });
    expect(recent.data.turns).toEqual([]);
    // Bob's memory is untouched.
    expect(await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-b'`)).toBe(1);
  });

  it('reports queue as not_configured and llm as not_configured (extractive) on /ready', async () => {
    const res = await fetch(`${url}/ready`);
    const body = (await res.json()) as { ready: boolean; checks: Record<string, { status: string }>; dependencies: { required: string[] } };
    expect(res.status).toBe(200);
    expect(body.checks.database?.status).toBe('ok');
    expect(body.checks.queue?.status).toBe('not_configured');
    expect(body.checks.llm?.status).toBe('not_configured');
    expect(body.dependencies.required).toEqual(['database']);
  });

  it('counts stored turns and compression jobs in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY_A}` } })).text();
    expect(text).toMatch(/memory_turns_stored_total\{[^}]*\} (\d+)/);
    expect(text).toMatch(/memory_compression_jobs_total\{outcome="completed"[^}]*\} [1-9]/);
    expect(text).toMatch(/memory_compression_queue_jobs\{state="completed"/);
  });
});
