// Differential test of the tools/call fast path (src/mcp-fast-call.ts): one corpus of raw MCP requests,
// both protocol eras, sent to a service with the fast path on and to the same service with it off —
// where every request is answered by the plain SDK handler (createMcpHandler). Every answer must be
// byte-equal (status, content type, body), and the fast path must really have answered the plain calls.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineTool, z } from '../src/index.js';
import { lyingTool, makeService, request, auth, echoTool, failingTool } from './helpers.js';

const nullableTool = defineTool({
  name: 'maybe',
  title: 'Maybe',
  description: 'Returns a nullable field and a unicode string.',
  inputSchema: z.object({ n: z.number().int().optional() }),
  outputSchema: z.object({ value: z.string().nullable(), text: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ n }) => ({ value: n === undefined ? null : String(n), text: 'ünïcødé ✓ \u2028 "quoted" </script>' }),
});
const tools = [echoTool, failingTool, lyingTool, nullableTool];

const LEGACY = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const MODERN = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' };
const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'corpus', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const call = (id: unknown, params: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params, ...extra });
const modern = (id: unknown, name: string, args: unknown, meta: Record<string, unknown> = META, params: Record<string, unknown> = {}) =>
  ({ headers: { ...MODERN, 'mcp-name': name }, body: call(id, { name, ...(args === undefined ? {} : { arguments: args }), _meta: meta, ...params }) });

interface Case {
  name: string;
  headers: Record<string, string>;
  body: unknown;
  /** Whether the fast path is expected to answer it (otherwise the SDK does, on both services). */
  fast: boolean;
}

const CORPUS: Case[] = [
  // 2025 era
  { name: 'legacy: plain call', headers: LEGACY, body: call(1, { name: 'echo', arguments: { message: 'hi' } }), fast: true },
  { name: 'legacy: string id', headers: LEGACY, body: call('req-7', { name: 'echo', arguments: { message: 'hi' } }), fast: true },
  { name: 'legacy: id 0 and the largest safe integer', headers: LEGACY, body: call(Number.MAX_SAFE_INTEGER, { name: 'echo', arguments: { message: '0' } }), fast: true },
  { name: 'legacy: no arguments', headers: LEGACY, body: call(2, { name: 'maybe' }), fast: true },
  { name: 'legacy: nullable and unicode output', headers: LEGACY, body: call(3, { name: 'maybe', arguments: { n: 5 } }), fast: true },
  { name: 'legacy: invalid arguments', headers: LEGACY, body: call(4, { name: 'echo', arguments: { message: '' } }), fast: true },
  { name: 'legacy: unknown argument field', headers: LEGACY, body: call(5, { name: 'echo', arguments: { message: 'x', extra: true } }), fast: true },
  { name: 'legacy: handler throws', headers: LEGACY, body: call(6, { name: 'explode', arguments: {} }), fast: true },
  { name: 'legacy: output breaks its schema', headers: LEGACY, body: call(7, { name: 'lie', arguments: {} }), fast: true },
  { name: 'legacy: older revision 2025-06-18', headers: { ...LEGACY, 'mcp-protocol-version': '2025-06-18' }, body: call(8, { name: 'echo', arguments: { message: 'v' } }), fast: true },
  { name: 'legacy: unknown tool', headers: LEGACY, body: call(9, { name: 'nope', arguments: {} }), fast: false },
  { name: 'legacy: progress token', headers: LEGACY, body: call(10, { name: 'echo', arguments: { message: 'p' }, _meta: { progressToken: 'tok' } }), fast: false },
  { name: 'legacy: task', headers: LEGACY, body: call(11, { name: 'echo', arguments: { message: 't' }, task: { ttl: 1000 } }), fast: false },
  { name: 'legacy: unknown params field', headers: LEGACY, body: call(12, { name: 'echo', arguments: { message: 'u' }, whatever: 1 }), fast: false },
  { name: 'legacy: unknown top-level field', headers: LEGACY, body: call(13, { name: 'echo', arguments: { message: 'u' } }, { extra: 1 }), fast: false },
  { name: 'legacy: name is not a string', headers: LEGACY, body: call(14, { name: 42 }), fast: false },
  { name: 'legacy: arguments is an array', headers: LEGACY, body: call(15, { name: 'echo', arguments: ['x'] }), fast: false },
  { name: 'legacy: fractional id', headers: LEGACY, body: call(1.5, { name: 'echo', arguments: { message: 'f' } }), fast: false },
  { name: 'legacy: null id', headers: LEGACY, body: call(null, { name: 'echo', arguments: { message: 'n' } }), fast: false },
  { name: 'legacy: jsonrpc 1.0', headers: LEGACY, body: { ...call(16, { name: 'echo', arguments: { message: 'j' } }), jsonrpc: '1.0' }, fast: false },
  { name: 'legacy: batch of one', headers: LEGACY, body: [call(17, { name: 'echo', arguments: { message: 'b' } })], fast: false },
  { name: 'legacy: batch of two', headers: LEGACY, body: [call(18, { name: 'echo', arguments: { message: 'b' } }), call(19, { name: 'explode', arguments: {} })], fast: false },
  { name: 'legacy: no protocol header', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: call(20, { name: 'echo', arguments: { message: 'h' } }), fast: false },
  { name: 'legacy: unsupported protocol header', headers: { ...LEGACY, 'mcp-protocol-version': '1999-01-01' }, body: call(21, { name: 'echo', arguments: { message: 'h' } }), fast: false },
  { name: 'legacy: Mcp-Method header present', headers: { ...LEGACY, 'mcp-method': 'tools/call' }, body: call(22, { name: 'echo', arguments: { message: 'h' } }), fast: false },
  { name: 'legacy: accepts JSON only', headers: { ...LEGACY, accept: 'application/json' }, body: call(23, { name: 'echo', arguments: { message: 'a' } }), fast: false },
  { name: 'legacy: tools/list', headers: LEGACY, body: { jsonrpc: '2.0', id: 24, method: 'tools/list' }, fast: false },
  // 2026-07-28 era
  { name: 'modern: plain call', ...modern(100, 'echo', { message: 'hi' }), fast: true },
  { name: 'modern: string id', ...modern('m-1', 'echo', { message: 'hi' }), fast: true },
  { name: 'modern: no arguments', ...modern(101, 'maybe', undefined), fast: true },
  { name: 'modern: nullable and unicode output', ...modern(102, 'maybe', { n: 1 }), fast: true },
  { name: 'modern: invalid arguments', ...modern(103, 'echo', { message: '' }), fast: true },
  { name: 'modern: handler throws', ...modern(104, 'explode', {}), fast: true },
  { name: 'modern: output breaks its schema', ...modern(105, 'lie', {}), fast: true },
  { name: 'modern: empty capability objects', ...modern(106, 'echo', { message: 'c' }, { ...META, 'io.modelcontextprotocol/clientCapabilities': { sampling: {}, elicitation: {} } }), fast: true },
  { name: 'modern: capability with settings', ...modern(107, 'echo', { message: 'c' }, { ...META, 'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: true } } }), fast: false },
  { name: 'modern: client info with a title', ...modern(108, 'echo', { message: 'c' }, { ...META, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1', title: 'C' } }), fast: false },
  { name: 'modern: progress token', ...modern(109, 'echo', { message: 'p' }, { ...META, progressToken: 7 }), fast: false },
  { name: 'modern: log level', ...modern(110, 'echo', { message: 'l' }, { ...META, 'io.modelcontextprotocol/logLevel': 'info' }), fast: false },
  { name: 'modern: task', ...modern(111, 'echo', { message: 't' }, META, { task: { ttl: 1000 } }), fast: false },
  { name: 'modern: unknown tool', ...modern(112, 'nope', {}), fast: false },
  { name: 'modern: missing _meta', headers: { ...MODERN, 'mcp-name': 'echo' }, body: call(113, { name: 'echo', arguments: { message: 'm' } }), fast: false },
  { name: 'modern: missing client capabilities', ...modern(114, 'echo', { message: 'm' }, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' } }), fast: false },
  { name: 'modern: envelope names another version', ...modern(115, 'echo', { message: 'm' }, { ...META, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' }), fast: false },
  { name: 'modern: Mcp-Name mismatch', headers: { ...MODERN, 'mcp-name': 'explode' }, body: modern(116, 'echo', { message: 'm' }).body, fast: false },
  { name: 'modern: Mcp-Name missing', headers: MODERN, body: modern(117, 'echo', { message: 'm' }).body, fast: false },
  { name: 'modern: Mcp-Method mismatch', headers: { ...MODERN, 'mcp-method': 'tools/list', 'mcp-name': 'echo' }, body: modern(118, 'echo', { message: 'm' }).body, fast: false },
  { name: 'modern: accepts JSON only', headers: { ...MODERN, 'mcp-name': 'echo', accept: 'application/json' }, body: modern(119, 'echo', { message: 'm' }).body, fast: false },
  { name: 'modern: batch', headers: { ...MODERN, 'mcp-name': 'echo' }, body: [modern(120, 'echo', { message: 'm' }).body], fast: false },
];

describe('MCP tools/call fast path, differential against the plain SDK handler', () => {
  const fast = makeService({ tools });
  const plain = makeService({ tools }, { MCP_FAST_PATH: 'false' });
  const urls = { fast: '', plain: '' };
  beforeAll(async () => {
    urls.fast = (await fast.service.start()).url;
    urls.plain = (await plain.service.start()).url;
  });
  afterAll(async () => {
    await fast.service.stop();
    await plain.service.stop();
  });

  const send = (url: string, c: Case) => request(`${url}/mcp`, { method: 'POST', headers: { ...auth(), ...c.headers }, body: JSON.stringify(c.body) });
  const fastCount = async (svc: typeof fast) => {
    const text = await svc.service.metrics.registry.metrics();
    return Number(/mcp_requests_total\{[^}]*path="fast"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s: byte-equal answers', async (_name, c) => {
    const before = await fastCount(fast);
    const [a, b] = [await send(urls.fast, c), await send(urls.plain, c)];
    expect({ status: a.status, type: a.headers['content-type'], body: a.text }).toEqual({ status: b.status, type: b.headers['content-type'], body: b.text });
    // Each case proves the path it names: the plain calls were answered without the SDK.
    expect((await fastCount(fast)) - before).toBe(c.fast ? 1 : 0);
  });

  it('never takes the fast path with MCP_FAST_PATH=false', async () => {
    expect(await fastCount(plain)).toBe(0);
  });
});
