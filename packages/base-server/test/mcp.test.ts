import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defineTool, z } from '../src/index.js';
import { makeService, KEY, request, auth, echoTool, failingTool } from './helpers.js';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

const slowTool = defineTool({
  name: 'count_slowly',
  title: 'Count slowly',
  description: 'Counts to n, reporting progress after each step.',
  inputSchema: z.object({ n: z.number().int().min(1).max(10) }),
  outputSchema: z.object({ counted: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ n }, ctx) => {
    for (let i = 1; i <= n; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await ctx.progress(i, n, `step ${i}`);
    }
    return { counted: n };
  },
});

const lyingTool = defineTool({
  name: 'lie',
  title: 'Lie',
  description: 'Returns output that does not match its schema.',
  inputSchema: z.object({}),
  outputSchema: z.object({ count: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async () => ({ count: 'many' }) as unknown as { count: number },
});

// Waits until the client goes away, then reports whether its signal fired.
let sawAbort: (aborted: boolean) => void = () => {};
const waitTool = defineTool({
  name: 'wait_for_cancel',
  title: 'Wait for cancel',
  description: 'Waits until the call is aborted (or 5 s pass).',
  inputSchema: z.object({}),
  outputSchema: z.object({}),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async (_args, ctx) => {
    const aborted = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    sawAbort(aborted);
    return {};
  },
});

describe('MCP over Streamable HTTP', () => {
  const { service } = makeService({ tools: [echoTool, failingTool, slowTool, lyingTool, waitTool] });
  let url = '';
  beforeAll(async () => {
    url = (await service.start()).url;
  });
  afterAll(async () => {
    await service.stop();
  });

  async function connect() {
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    return client;
  }

  it('lets an SDK client list tools with descriptions, schemas and annotations, and call them', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['count_slowly', 'echo', 'explode', 'lie', 'wait_for_cancel']);
    const echo = tools.find((t) => t.name === 'echo');
    expect(echo).toMatchObject({
      title: 'Echo',
      description: 'Returns the message it was given.',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
      outputSchema: { type: 'object', properties: { echoed: { type: 'string' } } },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    });
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ echoed: 'hi', caller: 'tester' });
    expect(result.content).toEqual([{ type: 'text', text: '{"echoed":"hi","caller":"tester"}' }]);
    await client.close();
  });

  it('turns a thrown handler error into an isError result with a clean message (no stack)', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'explode', arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: 'the widget broke' }]);
    await client.close();
  });

  it('answers invalid arguments and unknown tools with isError results that say what to fix', async () => {
    const client = await connect();
    const bad = await client.callTool({ name: 'echo', arguments: { message: '' } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]?.text).toMatch(/^Invalid arguments for echo: message: /);
    const unknown = await client.callTool({ name: 'nope', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect((unknown.content as { text: string }[])[0]?.text).toContain('Unknown tool "nope"');
    await client.close();
  });

  it('refuses output that breaks the declared output schema instead of sending it', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'lie', arguments: {} });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toContain('does not match its output schema');
    await client.close();
  });

  it('streams progress notifications over SSE before the result', async () => {
    const client = await connect();
    const seen: number[] = [];
    const result = await client.callTool({ name: 'count_slowly', arguments: { n: 3 } }, undefined, {
      onprogress: (p) => {
        seen.push(p.progress);
      },
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(result.structuredContent).toEqual({ counted: 3 });
    await client.close();
  });

  it('counts tool calls by outcome, an isError result as an error', async () => {
    const client = await connect();
    await client.callTool({ name: 'explode', arguments: {} });
    await client.callTool({ name: 'echo', arguments: { message: 'x' } });
    await client.close();
    const text = await service.metrics.registry.metrics();
    expect(text).toMatch(/mcp_tool_calls_total\{[^}]*tool="explode"[^}]*outcome="error"[^}]*\} [1-9]/);
    expect(text).toMatch(/mcp_tool_calls_total\{[^}]*tool="echo"[^}]*outcome="success"[^}]*\} [1-9]/);
    expect(text).toMatch(/mcp_tool_duration_seconds_count\{[^}]*tool="echo"/);
  });

  it('records a span per tool call, marked tool_error on isError', async () => {
    exporter.reset();
    const client = await connect();
    await client.callTool({ name: 'explode', arguments: {} });
    await client.close();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'tools/call explode');
    expect(span?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'explode', 'error.type': 'tool_error' });
  });

  it('answers GET and DELETE /mcp with 405 (stateless server)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await request(`${url}/mcp`, { method, headers: auth() });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
  });

  it('rejects a POST that does not accept both JSON and SSE (406) or is not JSON (415), and bad JSON-RPC (400)', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const notAcceptable = await request(`${url}/mcp`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json' }, body });
    expect(notAcceptable.status).toBe(406);
    const wrongType = await request(`${url}/mcp`, { method: 'POST', headers: { ...auth(), 'content-type': 'text/plain', accept: 'application/json, text/event-stream' }, body });
    expect(wrongType.status).toBe(415);
    const notRpc = await request(`${url}/mcp`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"hello":"world"}',
    });
    expect(notRpc.status).toBe(400);
    expect(notRpc.json().error.code).toBe(-32600);
    const badVersion = await request(`${url}/mcp`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '1999-01-01' },
      body,
    });
    expect(badVersion.status).toBe(400);
  });

  it('answers a notification-only POST with 202 and no body', async () => {
    const res = await request(`${url}/mcp`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  const post = (body: unknown) =>
    request(`${url}/mcp`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });

  it('answers a plain tools/call (served without a per-request SDK server) exactly as the SDK server does', async () => {
    for (const params of [{ name: 'echo', arguments: { message: 'same' } }, { name: 'echo', arguments: { message: '' } }, { name: 'nope' }, { name: 'lie', arguments: {} }]) {
      const direct = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params });
      // A batch of one goes through the SDK server.
      const viaSdk = await post([{ jsonrpc: '2.0', id: 7, method: 'tools/call', params }]);
      expect(direct.status).toBe(200);
      expect(direct.json()).toEqual((viaSdk.json() as unknown[])[0]);
    }
    // Params that break the protocol's schema are still answered by the SDK: a JSON-RPC error, no result.
    const bad = (await post({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 42 } })).json();
    expect(bad).toMatchObject({ id: 8, error: { code: expect.any(Number) } });
    expect(bad.result).toBeUndefined();
  });

  it('aborts a tool call’s signal when the client disconnects before the answer', async () => {
    const aborted = new Promise<boolean>((resolve) => (sawAbort = resolve));
    const { request: httpRequest } = await import('node:http');
    const req = httpRequest(`${url}/mcp`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
    req.on('error', () => {});
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait_for_cancel', arguments: {} } }));
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    expect(await aborted).toBe(true);
  });

  it('answers a JSON-RPC batch with an array of responses', async () => {
    const res = await request(`${url}/mcp`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'a' } } },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'b' } } },
      ]),
    });
    expect(res.status).toBe(200);
    const out = res.json() as { id: number; result: { structuredContent: { echoed: string } } }[];
    expect(out.map((r) => [r.id, r.result.structuredContent.echoed]).sort()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });
});

describe('MCP over stdio', () => {
  it('serves the same tool list to an SDK client that spawns the server', async () => {
    const client = new Client({ name: 'stdio-client', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url))],
      stderr: 'pipe',
    });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['echo']);
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } });
      expect(result.structuredContent).toEqual({ echoed: 'over stdio' });
    } finally {
      await client.close();
    }
  });
});

