import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defineTool, z } from '../src/index.js';
import { lyingTool, makeService, KEY, request, auth, echoTool, failingTool } from './helpers.js';

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


// Its result is self-describing: tools/list leaves the output schema out, calls still validate against it.
const unlistedSchemaTool = defineTool({
  name: 'tally',
  title: 'Tally',
  description: 'Returns a count; its output schema is not listed.',
  inputSchema: z.object({ n: z.number().int() }),
  outputSchema: z.object({ count: z.number().int() }),
  listOutputSchema: false,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ n }) => ({ count: n === 0 ? 0.5 : n }),
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
// Reads its signal for the first time only after the client has gone.
let sawLateSignal: (aborted: boolean) => void = () => {};
const lateSignalTool = defineTool({
  name: 'late_signal',
  title: 'Late signal',
  description: 'Waits 400 ms, then reports whether its signal is aborted.',
  inputSchema: z.object({}),
  outputSchema: z.object({}),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async (_args, ctx) => {
    await new Promise((r) => setTimeout(r, 400));
    sawLateSignal(ctx.signal.aborted);
    return {};
  },
});

describe('MCP over Streamable HTTP', () => {
  const { service } = makeService({ tools: [echoTool, failingTool, slowTool, lyingTool, waitTool, lateSignalTool, unlistedSchemaTool] });
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
    expect(tools.map((t) => t.name).sort()).toEqual(['count_slowly', 'echo', 'explode', 'late_signal', 'lie', 'tally', 'wait_for_cancel']);
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

  it('leaves an output schema out of tools/list when the tool says so, and still returns and validates structuredContent', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const tally = tools.find((t) => t.name === 'tally');
    expect(tally).toBeDefined();
    expect(tally).not.toHaveProperty('outputSchema');
    expect(tools.find((t) => t.name === 'echo')).toHaveProperty('outputSchema');
    // Integer arguments carry no ±MAX_SAFE_INTEGER bounds on the wire (validation keeps them).
    expect(tally?.inputSchema.properties?.n).toEqual({ type: 'integer' });
    const ok = await client.callTool({ name: 'tally', arguments: { n: 3 } });
    expect(ok.structuredContent).toEqual({ count: 3 });
    const bad = await client.callTool({ name: 'tally', arguments: { n: 0 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]?.text).toContain('does not match its output schema');
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
    const result = await client.callTool({ name: 'count_slowly', arguments: { n: 3 } }, {
      onprogress: (p: { progress: number }) => {
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

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    request(`${url}/mcp`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves 2026-07-28 clients (server/discover) and 2025-era clients (initialize) from the same tools', async () => {
    const headers = { Authorization: `Bearer ${KEY}` };
    const modern = new Client({ name: 'modern', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await modern.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
    const legacy = new Client({ name: 'legacy', version: '1.0.0' });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
    try {
      expect(modern.getProtocolEra()).toBe('modern');
      expect(legacy.getProtocolEra()).toBe('legacy');
      const [a, b] = [await modern.listTools(), await legacy.listTools()];
      expect(a.tools).toEqual(b.tools);
      for (const c of [modern, legacy]) {
        const result = await c.callTool({ name: 'echo', arguments: { message: 'both' } });
        expect(result.structuredContent).toEqual({ echoed: 'both', caller: 'tester' });
      }
    } finally {
      await modern.close();
      await legacy.close();
    }
  });

  const modernMeta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };

  it('answers a raw 2026-07-28 tools/list with caching hints', async () => {
    const res = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.result.tools.map((t: { name: string }) => t.name)).toContain('echo');
    expect(body.result).toMatchObject({ ttlMs: 300_000, cacheScope: 'public' });
  });

  it('refuses a 2026-07-28 request without its _meta envelope, or whose Mcp-Method header disagrees with the body', async () => {
    const missing = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: -32602, message: expect.stringContaining('_meta') } });
    const mismatch = await post(
      { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: modernMeta } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' },
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.json()).toMatchObject({ jsonrpc: '2.0', id: 3, error: { code: expect.any(Number) } });
    expect(mismatch.json().result).toBeUndefined();
  });

  it('answers every refusal on /mcp with a JSON-RPC error body, never the REST envelope', async () => {
    const parse = await post('{not json');
    expect(parse.status).toBe(400);
    expect(parse.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error/), data: { type: 'invalid_request_error', code: 'invalid_json' } } });
    const unauthenticated = await post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { Authorization: 'Bearer wrong' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(unauthenticated.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, data: { code: 'invalid_api_key' } } });
    const deep = await post(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":${'['.repeat(3000)}${']'.repeat(3000)}}}}`);
    expect(deep.status).toBe(400);
    expect(deep.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, data: { code: 'json_too_deep' } } });
  });

  // Without a protocol-version header the SDK answers; with one, a plain tools/call takes the fast path.
  describe.each([
    ['the SDK handler', {}],
    ['the fast path', { 'mcp-protocol-version': '2025-11-25' }],
  ])('on %s', (_path, versionHeader) => {
    const disconnectDuring = async (tool: string) => {
      const { request: httpRequest } = await import('node:http');
      const req = httpRequest(`${url}/mcp`, {
        method: 'POST',
        headers: { ...auth(), ...versionHeader, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }));
      await new Promise((r) => setTimeout(r, 200));
      req.destroy();
    };

    it('aborts a tool call’s signal when the client disconnects before the answer', async () => {
      const aborted = new Promise<boolean>((resolve) => (sawAbort = resolve));
      await disconnectDuring('wait_for_cancel');
      expect(await aborted).toBe(true);
    });

    it('gives a tool that first reads its signal after the client left an aborted one', async () => {
      const aborted = new Promise<boolean>((resolve) => (sawLateSignal = resolve));
      await disconnectDuring('late_signal');
      expect(await aborted).toBe(true);
    });
  });
});

describe('MCP over stdio', () => {
  it.each([
    ['2025-era (initialize)', undefined, 'legacy'],
    ['2026-07-28 (server/discover)', { versionNegotiation: { mode: 'auto' as const } }, 'modern'],
  ])('serves the same tools to a %s SDK client that spawns the server', async (_name, options, era) => {
    const client = new Client({ name: 'stdio-client', version: '1.0.0' }, options);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url))],
      stderr: 'pipe',
    });
    await client.connect(transport);
    try {
      expect(client.getProtocolEra()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['echo']);
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } });
      expect(result.structuredContent).toEqual({ echoed: 'over stdio' });
    } finally {
      await client.close();
    }
  });
});

