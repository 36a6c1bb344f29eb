// Retention (real Postgres, real Redis): turns older than the agent's retention are deleted in batches with
// the summaries built from them, per-agent overrides win over MEMORY_RETENTION_DAYS, cached reads never
// serve a deleted turn, a compression that read deleted turns is not saved, the admin route and tool
// refuse bad input and callers without memory:admin, and forget reports what it deleted.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Client } from '@modelcontextprotocol/client';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { noCache } from '../src/cache/memory-cache.js';
import { createCompressionProcessor } from '../src/compression/compression-processor.js';
import { createExtractiveSummariser, type Summariser } from '../src/compression/summariser.js';
import { agentsToSweep } from '../src/retention/retention-repository.js';
import { createRetentionSweep } from '../src/retention/retention-sweep.js';
import { saveSummary, sessionPurgedThrough } from '../src/turns/turn-repository.js';
import { KEY_A, KEY_B, REDIS_URL, cleanRedis, countRows, dropSchema, isolatedEnv, mcpClient, quietLogger, rest, testConfig } from './helpers.js';

const KEY_C = 'carol-key-0123456789abcdef';
const env = isolatedEnv('memory_retention', {
  REDIS_URL,
  // carol may read and write memory but not administer it; alice and bob have unscoped keys (full access).
  API_KEYS: `alice:${KEY_A},bob:${KEY_B},carol:${KEY_C}:memory:read+memory:write`,
  AGENT_SCOPES: 'bob=agent-b',
  MEMORY_RETENTION_DAYS: '30',
  MEMORY_RETENTION_BATCH: '5',
  COMPRESSION_THRESHOLD_TOKENS: '20',
});
const schema = env.DATABASE_SCHEMA as string;

describe('retention', () => {
  const { logs, logger } = quietLogger();
  let memory: MemoryService;
  let url = '';
  let alice: Client;
  let carol: Client;

  beforeAll(async () => {
    memory = await createMemoryService(testConfig(env), { logger });
    url = (await memory.service.start()).url;
    alice = await mcpClient(url, KEY_A);
    carol = await mcpClient(url, KEY_C);
  }, 30_000);
  afterAll(async () => {
    await alice?.close();
    await carol?.close();
    await memory?.service.stop();
    await dropSchema(schema);
    await cleanRedis(env);
  });

  const call = async (client: Client, name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args });
    return { isError: r.isError === true, data: r.structuredContent as Record<string, unknown>, text: (r.content as Array<{ text: string }>)[0]?.text ?? '' };
  };
  const store = async (agent: string, session: string, contents: string[]) => {
    const r = await rest(url, KEY_A, 'POST', `/v1/agents/${agent}/sessions/${session}/turns/batch`, { turns: contents.map((content) => ({ role: 'user', content })) });
    expect(r.status).toBe(201);
    return r.body.memory_ids as string[];
  };
  /** Makes turns `days` old (stored first, so they are the oldest ids of their agent, as real old turns are). */
  const age = async (ids: string[], days: number) => {
    await sql`update turns set created_at = now() - make_interval(days => ${days}::int) where id = any(${ids}::bigint[])`.execute(memory.database.db);
  };
  const recent = async (agent: string, session: string) => {
    const r = await rest(url, KEY_A, 'GET', `/v1/agents/${agent}/sessions/${session}/turns?limit=200`);
    return (r.body.turns as Array<{ content: string }>).map((t) => t.content);
  };
  const turnsOf = (agent: string) => countRows(schema, `select count(*) as n from turns where agent_id = $1`, [agent]);

  it('deletes turns older than MEMORY_RETENTION_DAYS in batches, keeps newer ones, lowers the counters and removes emptied sessions', async () => {
    const oldA = await store('agent-old', 'mixed', Array.from({ length: 12 }, (_, i) => `old mixed ${i}`));
    const oldB = await store('agent-old', 'all-old', Array.from({ length: 11 }, (_, i) => `old only ${i}`));
    await age([...oldA, ...oldB], 40);
    await store('agent-old', 'mixed', ['new one', 'new two']);

    const result = await memory.retention();
    expect(result).toMatchObject({ turns_deleted: 23, sessions_deleted: 1, complete: true });
    // 23 expired turns in batches of 5: five full batches and a short one that ends the agent.
    expect(result.batches).toBeGreaterThanOrEqual(5);
    expect(await recent('agent-old', 'mixed')).toEqual(['new one', 'new two']);
    expect(await turnsOf('agent-old')).toBe(2);
    const sessions = await rest(url, KEY_A, 'GET', '/v1/agents/agent-old/sessions');
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ session_id: 'mixed', turn_count: 2 })]);
    const mixed = (sessions.body.sessions as Array<{ token_count: number; unsummarised_tokens: number }>)[0]!;
    expect(mixed.token_count).toBe(await countRows(schema, `select sum(token_count) as n from turns where agent_id = 'agent-old'`));
    expect(mixed.unsummarised_tokens).toBe(mixed.token_count);

    // Counted and logged; a second sweep finds nothing.
    expect((await memory.metrics.retentionDeleted.get()).values.find((v) => v.labels.kind === 'turns')?.value).toBe(23);
    expect((await memory.metrics.retentionLastSweep.get()).values[0]?.value).toBeGreaterThan(0);
    expect(logs.lines().find((l) => l.msg === 'retention sweep finished')).toMatchObject({ turns_deleted: 23, sessions_deleted: 1 });
    expect(await memory.retention()).toMatchObject({ turns_deleted: 0, summaries_deleted: 0, sessions_deleted: 0 });
    expect(await turnsOf('agent-old')).toBe(2);
  });

  it('lets a per-agent override win over the default: 0 keeps forever, a shorter one deletes sooner, null goes back to the default', async () => {
    const forever = await store('agent-forever', 's', ['kept forever']);
    const short = await store('agent-short', 's', ['ten days old']);
    await age(forever, 400);
    await age(short, 10);
    await store('agent-short', 's', ['today']);
    expect((await rest(url, KEY_A, 'PUT', '/v1/agents/agent-forever/retention', { retention_days: 0 })).body).toEqual({
      agent_id: 'agent-forever',
      retention_days: 0,
      default_days: 30,
      effective_days: 0,
      keeps_forever: true,
    });
    const set = await call(alice, 'set_retention', { agent_id: 'agent-short', retention_days: 7 });
    expect(set.isError).toBe(false);
    expect(set.data).toMatchObject({ retention_days: 7, effective_days: 7, keeps_forever: false });

    await memory.retention();
    expect(await recent('agent-forever', 's')).toEqual(['kept forever']);
    expect(await recent('agent-short', 's')).toEqual(['today']);

    // Back to the default (30 days): the 400-day-old turn goes at the next sweep.
    const reset = await call(alice, 'set_retention', { agent_id: 'agent-forever', retention_days: null });
    expect(reset.data).toMatchObject({ retention_days: null, effective_days: 30 });
    expect((await call(alice, 'get_retention', { agent_id: 'agent-forever' })).data).toMatchObject({ retention_days: null, effective_days: 30, keeps_forever: false });
    await memory.retention();
    expect(await turnsOf('agent-forever')).toBe(0);
  });

  it('never serves a deleted turn from the cache, even when the cache entry was not freed', async () => {
    const old = await store('agent-cache', 's', ['an old secret', 'another old secret']);
    await store('agent-cache', 's', ['fresh']);
    expect(await recent('agent-cache', 's')).toEqual(['an old secret', 'another old secret', 'fresh']);
    expect(await recent('agent-cache', 's')).toEqual(['an old secret', 'another old secret', 'fresh']);
    await age(old, 60);
    // A sweep that frees no Redis entry: only the epoch moved in the deleting transaction keeps reads correct.
    const sweep = createRetentionSweep({ db: memory.database.db, defaultDays: 30, batch: 5, cache: noCache, metrics: memory.metrics, logger, recompress: async () => {} });
    expect(await sweep()).toMatchObject({ turns_deleted: 2 });
    expect(await recent('agent-cache', 's')).toEqual(['fresh']);
    const compressed = await rest(url, KEY_A, 'GET', '/v1/agents/agent-cache/sessions/s/memory');
    expect((compressed.body.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(['fresh']);
  });

  it('deletes the summaries built from deleted turns, queues a new compression of what remains, and refuses a summary computed before the deletion', async () => {
    const old = await store('agent-sum', 's', ['My badge number is 4711.', 'I live in Lisbon.']);
    const kept = await store('agent-sum', 's', ['The release is on Friday.', 'Remind me about the release, please.']);
    const summary = { agentId: 'agent-sum', sessionId: 's', summary: 'badge 4711, Lisbon, release Friday', turnsCovered: 4, inputTokens: 1, outputTokens: 1, provider: 'test', model: 'test' };
    expect((await saveSummary(memory.database.db, { ...summary, coversThroughTurnId: kept[1]! })).inserted).toBe(true);
    const before = await rest(url, KEY_A, 'GET', '/v1/agents/agent-sum/sessions/s/memory');
    expect((before.body.summary as { text: string }).text).toContain('4711');

    // A compression that read its inputs now (before the deletion) ...
    const markBefore = await sessionPurgedThrough(memory.database.db, 'agent-sum', 's');
    await age(old, 45);
    const result = await memory.retention();
    expect(result).toMatchObject({ turns_deleted: 2, summaries_deleted: 1, sessions_deleted: 0 });
    expect(await countRows(schema, `select count(*) as n from summaries where agent_id = 'agent-sum'`)).toBe(0);

    // ... is refused: it may carry facts of the deleted turns.
    const late = await saveSummary(memory.database.db, { ...summary, coversThroughTurnId: kept[1]!, purgedThroughTurnId: markBefore! });
    expect(late).toMatchObject({ inserted: false, refused: 'retention' });
    expect(await countRows(schema, `select count(*) as n from summaries where agent_id = 'agent-sum'`)).toBe(0);

    const after = await rest(url, KEY_A, 'GET', '/v1/agents/agent-sum/sessions/s/memory');
    expect(after.body).toMatchObject({ summary: null, stale: true, omitted_turns: 0 });
    expect(JSON.stringify(after.body)).not.toContain('4711');
    expect((after.body.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(['The release is on Friday.', 'Remind me about the release, please.']);
    // The session is over its threshold again (its remaining turns are unsummarised): a compression is queued.
    expect(await memory.queue.pendingJobId('agent-sum', 's')).toEqual(expect.stringMatching(/^cmp-/));
  });

  it('does not save a compression whose inputs retention deleted while it ran; the retry summarises what remains', async () => {
    const old = await store('agent-race', 's', ['The vault code is 9931.']);
    const kept = await store('agent-race', 's', ['The meeting moved to Tuesday.']);
    await age(old, 90);
    const extractive = createExtractiveSummariser();
    let sweptDuringCall = false;
    // The summariser runs a sweep in the middle of the first compression, as a sweep on another replica would.
    const racing: Summariser = {
      provider: 'extractive',
      model: 'racing',
      async summarise(input, signal) {
        if (!sweptDuringCall) {
          sweptDuringCall = true;
          await memory.retention();
        }
        return extractive.summarise(input, signal);
      },
    };
    const processor = createCompressionProcessor({ db: memory.database.db, summariser: racing, cache: noCache, metrics: memory.metrics, logger, summaryMaxTokens: 512, inputMaxTokens: 6000 });
    const job = { agentId: 'agent-race', sessionId: 's', throughTurnId: kept[0]! };
    await expect(processor(job)).rejects.toThrow(/retention deleted turns/);
    expect(await countRows(schema, `select count(*) as n from summaries where agent_id = 'agent-race'`)).toBe(0);
    await expect(processor(job)).resolves.toMatchObject({ outcome: 'completed', turns_covered: 1 });
    const summary = await rest(url, KEY_A, 'GET', '/v1/agents/agent-race/sessions/s/memory');
    expect((summary.body.summary as { text: string }).text).toContain('Tuesday');
    expect((summary.body.summary as { text: string }).text).not.toContain('9931');
  });

  it('pages through the agents to sweep: every agent with a session under a default, only positive overrides without one', async () => {
    const seen: string[] = [];
    for (let after: string | undefined = ''; after !== undefined; ) {
      const page: Awaited<ReturnType<typeof agentsToSweep>> = await agentsToSweep(memory.database.db, 30, after, 2);
      seen.push(...page.agents.map((a) => `${a.agentId}=${a.days}`));
      after = page.next;
    }
    const { rows } = await sql<{ agent_id: string; days: number }>`
      select distinct s.agent_id, coalesce(r.retention_days, 30) as days from sessions s left join agent_retention r using (agent_id) order by s.agent_id
    `.execute(memory.database.db);
    expect(rows.length).toBeGreaterThan(3);
    expect(seen).toEqual(rows.filter((r) => r.days > 0).map((r) => `${r.agent_id}=${r.days}`));
    await rest(url, KEY_A, 'PUT', '/v1/agents/agent-page-0/retention', { retention_days: 0 });
    await rest(url, KEY_A, 'PUT', '/v1/agents/agent-page-5/retention', { retention_days: 5 });
    const noDefault = await agentsToSweep(memory.database.db, 0, '', 100);
    expect(noDefault.agents).toContainEqual({ agentId: 'agent-page-5', days: 5 });
    expect(noDefault.agents.map((a) => a.agentId)).not.toContain('agent-page-0');
    expect(noDefault.agents.every((a) => a.days > 0)).toBe(true);
  });

  it('refuses bad retention input with 400 / isError naming what to fix, and changes nothing', async () => {
    await rest(url, KEY_A, 'PUT', '/v1/agents/agent-bad/retention', { retention_days: 90 });
    for (const body of [{ retention_days: -1 }, { retention_days: 1.5 }, { retention_days: '30' }, { retention_days: 40_000 }, {}]) {
      const r = await rest(url, KEY_A, 'PUT', '/v1/agents/agent-bad/retention', body);
      expect({ body, status: r.status, code: (r.body.error as { code: string }).code }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect((r.body.error as { message: string }).message).toContain('retention_days');
    }
    const tool = await call(alice, 'set_retention', { agent_id: 'agent-bad', retention_days: -5 });
    expect(tool.isError).toBe(true);
    expect(tool.text).toContain('retention_days must be at least 0');
    expect((await rest(url, KEY_A, 'PUT', '/v1/agents/bad agent!/retention', { retention_days: 1 })).status).toBe(400);
    expect((await rest(url, KEY_A, 'GET', '/v1/agents/agent-bad/retention')).body).toMatchObject({ retention_days: 90, effective_days: 90 });
  });

  it('needs memory:admin to change retention and respects AGENT_SCOPES', async () => {
    const put = await rest(url, KEY_C, 'PUT', '/v1/agents/agent-c/retention', { retention_days: 0 });
    expect(put.status).toBe(403);
    expect(put.body.error).toMatchObject({ code: 'insufficient_scope' });
    // carol can still read it, and does not see set_retention at all.
    expect((await rest(url, KEY_C, 'GET', '/v1/agents/agent-c/retention')).body).toMatchObject({ retention_days: null, effective_days: 30 });
    const { tools } = await carol.listTools();
    expect(tools.map((t) => t.name)).toContain('get_retention');
    expect(tools.map((t) => t.name)).not.toContain('set_retention');
    const setByTool = await alice.listTools();
    expect(setByTool.tools.find((t) => t.name === 'set_retention')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    // bob is bound to agent-b.
    expect((await rest(url, KEY_B, 'PUT', '/v1/agents/agent-c/retention', { retention_days: 0 })).status).toBe(403);
    expect(await countRows(schema, `select count(*) as n from agent_retention where agent_id = 'agent-c'`)).toBe(0);
  });

  it('forget returns exactly what it deleted', async () => {
    await store('agent-forget', 'one', ['a', 'b']);
    const two = await store('agent-forget', 'two', ['c']);
    await saveSummary(memory.database.db, { agentId: 'agent-forget', sessionId: 'two', summary: 'c', coversThroughTurnId: two[0]!, turnsCovered: 1, inputTokens: 1, outputTokens: 1, provider: 'test', model: 'test' });
    const all = await call(alice, 'forget', { agent_id: 'agent-forget' });
    expect(all.data).toEqual({ agent_id: 'agent-forget', session_id: null, turns_deleted: 3, summaries_deleted: 1, sessions_deleted: 2, cache_entries_cleared: 2 });
    expect(await turnsOf('agent-forget')).toBe(0);
    const again = await rest(url, KEY_A, 'DELETE', '/v1/agents/agent-forget/sessions/one');
    expect(again.body).toEqual({ agent_id: 'agent-forget', session_id: 'one', turns_deleted: 0, summaries_deleted: 0, sessions_deleted: 0, cache_entries_cleared: 0 });
  });
});
