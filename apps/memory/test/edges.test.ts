// Memory's edges under bad input, retries and a database outage: idempotency keys, text Postgres could
// not store exactly, 503s naming the database, and a seeded property-based fuzz run over REST and MCP
// (no 5xx, no crash, no hang, and the database holds exactly what was acknowledged).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/client';
import fc from 'fast-check';
import pg from 'pg';
import { startTcpProxy, type TcpProxy } from '@factory/base-server/testing';
import { createMemoryService, type MemoryService } from '../src/app.js';
import { KEY_A, KEY_B, countRows, dropSchema, isolatedEnv, mcpClient, quietLogger, rest, testConfig } from './helpers.js';

describe('memory edges', () => {
  let proxy: TcpProxy;
  let env: Record<string, string>;
  let memory: MemoryService;
  let url = '';
  let alice: Client;

  beforeAll(async () => {
    proxy = await startTcpProxy(5432);
    env = isolatedEnv('memory_edges', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
      DATABASE_QUERY_TIMEOUT_MS: '1000',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      COMPRESSION_THRESHOLD_TOKENS: '0',
      MAX_CONTENT_CHARS: '300',
      MAX_BATCH_TURNS: '5',
      AGENT_SCOPES: 'alice=agent-e|a:b',
    });
    memory = await createMemoryService(testConfig(env), { logger: quietLogger().logger });
    url = (await memory.service.start()).url;
    alice = await mcpClient(url, KEY_A);
  }, 60_000);

  afterAll(async () => {
    await alice?.close();
    await memory?.service.stop();
    await proxy?.start().catch(() => undefined);
    await proxy?.stop();
    await dropSchema(env?.DATABASE_SCHEMA);
  }, 60_000);

  const schema = () => env.DATABASE_SCHEMA as string;
  const turnsIn = (session: string) => countRows(schema(), 'select count(*) as n from turns where session_id = $1', [session]);
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await alice.callTool({ name, arguments: args });
    return { isError: r.isError === true, data: r.structuredContent as Record<string, unknown>, text: (r.content as Array<{ text: string }>)[0]?.text ?? '' };
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
    }));

  describe('idempotency keys', () => {
    it('a REST write retried with the same Idempotency-Key returns the first answer and stores nothing twice', async () => {
      const first = await post('/v1/agents/agent-e/sessions/idem-rest/turns', { role: 'user', content: 'once' }, { 'Idempotency-Key': 'k-rest-1' });
      expect(first.status).toBe(201);
      const retry = await post('/v1/agents/agent-e/sessions/idem-rest/turns', { role: 'user', content: 'once' }, { 'Idempotency-Key': 'k-rest-1' });
      expect(retry).toEqual(first);
      const batch = { turns: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] };
      const b1 = await post('/v1/agents/agent-e/sessions/idem-rest/turns/batch', batch, { 'Idempotency-Key': 'k-rest-2' });
      const b2 = await post('/v1/agents/agent-e/sessions/idem-rest/turns/batch', batch, { 'Idempotency-Key': 'k-rest-2' });
      expect(b2).toEqual(b1);
      expect(await turnsIn('idem-rest')).toBe(3);
    });

    it('concurrent MCP retries with one idempotency_key store the turns once and all get the same ids', async () => {
      const args = { agent_id: 'agent-e', session_id: 'idem-mcp', turns: [{ role: 'user', content: 'x' }, { role: 'user', content: 'y' }], idempotency_key: 'k-mcp-1' };
      const answers = await Promise.all([1, 2, 3, 4].map(() => call('store_memories', args)));
      for (const a of answers) expect(a).toEqual(answers[0]);
      expect(answers[0]?.isError).toBe(false);
      expect(await turnsIn('idem-mcp')).toBe(2);
      const single = { agent_id: 'agent-e', session_id: 'idem-mcp', role: 'user', content: 'z', idempotency_key: 'k-mcp-2' };
      expect(await call('store_memory', single)).toEqual(await call('store_memory', single));
      expect(await turnsIn('idem-mcp')).toBe(3);
    });

    it('a key reused for a different write is a 409 and stores nothing; a malformed key is a 400', async () => {
      expect((await post('/v1/agents/agent-e/sessions/idem-409/turns', { role: 'user', content: 'one' }, { 'Idempotency-Key': 'k-409' })).status).toBe(201);
      const reused = await post('/v1/agents/agent-e/sessions/idem-409/turns', { role: 'user', content: 'two' }, { 'Idempotency-Key': 'k-409' });
      expect(reused.status).toBe(409);
      expect(reused.body.error).toMatchObject({ code: 'idempotency_key_reused' });
      const bad = await post('/v1/agents/agent-e/sessions/idem-409/turns', { role: 'user', content: 'three' }, { 'Idempotency-Key': 'has space' });
      expect(bad.status).toBe(400);
      expect(await turnsIn('idem-409')).toBe(1);
    });
  });

  describe('text Postgres could not store exactly', () => {
    it('refuses a NUL byte in a search query with a 400 (REST) and an isError result (MCP) saying what to fix', async () => {
      const res = await rest(url, KEY_A, 'GET', `/v1/agents/agent-e/search?query=${encodeURIComponent('a\u0000b')}`);
      expect(res.status).toBe(400);
      expect((res.body.error as { message: string }).message).toContain('query must not contain NUL characters');
      const tool = await call('search_memory', { agent_id: 'agent-e', query: 'a\u0000b', limit: 5 });
      expect(tool.isError).toBe(true);
      expect(tool.text).toContain('query must not contain NUL characters');
    });

    it('refuses lone surrogates in content and metadata (stores nothing) and stores well-formed emoji exactly', async () => {
      for (const body of [{ role: 'user', content: 'half \ud83d an emoji' }, { role: 'user', content: 'tail \ude00' }, { role: 'user', content: 'ok', metadata: { k: '\ud800' } }]) {
        const res = await post('/v1/agents/agent-e/sessions/surrogates/turns', body);
        expect(res.status).toBe(400);
        expect((res.body.error as { message: string }).message).toMatch(/lone UTF-16 surrogate/);
      }
      const tool = await call('store_memory', { agent_id: 'agent-e', session_id: 'surrogates', role: 'user', content: 'x\udbff' });
      expect(tool.isError).toBe(true);
      expect(await turnsIn('surrogates')).toBe(0);
      expect((await post('/v1/agents/agent-e/sessions/surrogates/turns', { role: 'user', content: 'whole \ud83d\ude00 emoji' })).status).toBe(201);
      const back = await rest(url, KEY_A, 'GET', '/v1/agents/agent-e/sessions/surrogates/turns');
      expect((back.body.turns as Array<{ content: string }>).map((t) => t.content)).toEqual(['whole \ud83d\ude00 emoji']);
    });
  });

  describe('seeded fuzz of the REST and MCP edges', () => {
    const ids = fc.constantFrom('agent-e', 'a:b', 'a', 'b:c', 'x'.repeat(129), '', '..', 'a/b', 'a%2Fb', 'é', 'agent-e\u0000');
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
      fc.constantFrom('', '\u0000', 'a\u0000', '\ud800', '\udfff\ud800', '\ud83d\ude00', 'x'.repeat(301), '{"a":', '"quoted" OR -neg'),
    );
    const metadata = fc.option(fc.dictionary(fc.string({ maxLength: 5 }).filter((k) => k !== '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { nil: undefined });
    const turn = fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 'tool', 'robot'), content: text, metadata }, { requiredKeys: ['role', 'content'] });
    const key = fc.option(fc.constantFrom('fz-1', 'fz-2', 'fz-3', 'bad key', ''), { nil: undefined });
    const command = fc.oneof(
      fc.record({ kind: fc.constant('rest-store' as const), agent: ids, session: ids, turn, key }),
      fc.record({ kind: fc.constant('rest-batch' as const), agent: ids, session: ids, turns: fc.array(turn, { maxLength: 7 }), key }),
      fc.record({ kind: fc.constant('mcp-store' as const), agent: ids, session: ids, turn, key }),
      fc.record({ kind: fc.constant('mcp-batch' as const), agent: ids, session: ids, turns: fc.array(turn, { maxLength: 7 }), key }),
      fc.record({ kind: fc.constant('rest-read' as const), agent: ids, session: ids, query: text }),
      fc.record({ kind: fc.constant('mcp-read' as const), agent: ids, session: ids, query: text }),
      fc.record({ kind: fc.constant('raw' as const), path: fc.constantFrom('/mcp', '/v1/agents/agent-e/sessions/s/turns', '/v1/agents/agent-e/sessions/s/turns/batch'), body: fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))) }),
    );

    type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

    /** Every acknowledged turn, by memory id: what the database must hold, exactly. */
    const acknowledged = new Map<string, { agent: string; session: string; role: string; content: string; metadata: unknown }>();
    const ack = (ids: string[], agent: string, session: string, turns: Array<{ role: string; content: string; metadata?: unknown }>) =>
      ids.forEach((id, i) => acknowledged.set(id, { agent, session, role: turns[i]!.role, content: turns[i]!.content, metadata: turns[i]!.metadata === undefined ? null : JSON.parse(JSON.stringify(turns[i]!.metadata)) }));
    const signal = () => AbortSignal.timeout(15_000);
    /** Percent-encodes a path or query part; a lone surrogate (no UTF-8 form) goes as its invalid WTF-8 bytes. */
    const seg = (s: string) =>
      [...s]
        .map((ch) => {
          const c = ch.charCodeAt(0);
          if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
          return encodeURIComponent(ch);
        })
        .join('');

    async function run(c: Command): Promise<void> {
      const headers: Record<string, string> = { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' };
      if ('key' in c && c.key !== undefined) headers['idempotency-key'] = c.key;
      switch (c.kind) {
        case 'rest-store':
        case 'rest-batch': {
          const batch = c.kind === 'rest-batch';
          const path = `/v1/agents/${seg(c.agent)}/sessions/${seg(c.session)}/turns${batch ? '/batch' : ''}`;
          const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(batch ? { turns: c.turns } : c.turn), signal: signal() });
          expect(res.status).toBeLessThan(500);
          const body = (await res.json()) as { memory_id?: string; memory_ids?: string[] };
          if (res.status === 201) ack(batch ? body.memory_ids! : [body.memory_id!], c.agent, c.session, batch ? c.turns : [c.turn]);
          return;
        }
        case 'mcp-store':
        case 'mcp-batch': {
          const batch = c.kind === 'mcp-batch';
          const args = { agent_id: c.agent, session_id: c.session, ...(batch ? { turns: c.turns } : c.turn), ...(c.key === undefined ? {} : { idempotency_key: c.key }) };
          const r = await alice.callTool({ name: batch ? 'store_memories' : 'store_memory', arguments: args }, { signal: signal() });
          const out = r.structuredContent as { memory_id?: string; memory_ids?: string[] } | undefined;
          if (r.isError) expect((r.content as Array<{ text: string }>)[0]?.text).not.toMatch(/internal error|unavailable/);
          else ack(batch ? out!.memory_ids! : [out!.memory_id!], c.agent, c.session, batch ? c.turns : [c.turn]);
          return;
        }
        case 'rest-read': {
          for (const path of [`/v1/agents/${seg(c.agent)}/sessions/${seg(c.session)}/turns`, `/v1/agents/${seg(c.agent)}/search?query=${seg(c.query)}`, `/v1/agents/${seg(c.agent)}/sessions`]) {
            const res = await fetch(`${url}${path}`, { headers, signal: signal() });
            expect(res.status).toBeLessThan(500);
            await res.arrayBuffer();
          }
          return;
        }
        case 'mcp-read': {
          const r = await alice.callTool({ name: 'search_memory', arguments: { agent_id: c.agent, query: c.query } }, { signal: signal() });
          if (r.isError) expect((r.content as Array<{ text: string }>)[0]?.text).not.toMatch(/internal error|unavailable/);
          return;
        }
        case 'raw': {
          const res = await fetch(`${url}${c.path}`, { method: 'POST', headers: { ...headers, accept: 'application/json, text/event-stream' }, body: c.body, signal: signal() });
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
          return;
        }
      }
    }

    it('answers every request below 500, in bounded time, and the database holds exactly the acknowledged turns', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
          for (const c of commands) await run(c);
        }),
        { seed: 1414, numRuns: 40, endOnFailure: true },
      );
      expect(acknowledged.size).toBeGreaterThan(0);
      const db = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', options: `-c search_path=${schema()}` });
      await db.connect();
      try {
        const rows = await db.query<{ id: string; agent_id: string; session_id: string; role: string; content: string; metadata: unknown }>(
          `select id::text, agent_id, session_id, role, content, metadata from turns where session_id not like 'idem-%' and session_id <> 'surrogates'`,
        );
        const stored = new Map(rows.rows.map((r) => [r.id, { agent: r.agent_id, session: r.session_id, role: r.role, content: r.content, metadata: r.metadata }]));
        expect(stored).toEqual(acknowledged);
      } finally {
        await db.end();
      }
    }, 240_000);
  });

  describe('a database outage', () => {
    it('answers 503 database_unavailable with Retry-After over REST and the same sentence over MCP', async () => {
      await proxy.stop();
      const write = await rest(url, KEY_A, 'POST', '/v1/agents/agent-e/sessions/outage/turns', { role: 'user', content: 'lost?' });
      expect(write.status).toBe(503);
      expect(write.body).toEqual({ error: { type: 'service_unavailable_error', code: 'database_unavailable', message: 'Database unavailable, retry shortly.' } });
      const read = await fetch(`${url}/v1/agents/agent-e/sessions/outage/turns`, { headers: { authorization: `Bearer ${KEY_B}` } });
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).toBe('5');
      const tool = await call('store_memory', { agent_id: 'agent-e', session_id: 'outage', role: 'user', content: 'lost?' });
      expect(tool).toMatchObject({ isError: true, text: 'Database unavailable, retry shortly.' });
      await proxy.start();
    });
  });
});
