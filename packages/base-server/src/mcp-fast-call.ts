// An optional fast path for the MCP request a server answers most: one plain `tools/call`. It runs the
// same `ToolRegistry.call` the SDK's handler runs and frames the answer exactly as the SDK's
// createMcpHandler does, without building a per-request server, transport and web Request/Response.
//
// It is taken only for requests whose every part is of a shape it knows the SDK accepts unchanged
// (see `fastToolCall`); anything else — other methods, batches, progress tokens, `task`, unknown
// fields, header mismatches, unusual capabilities, a missing protocol header — goes to the SDK. The
// differential test (test/mcp-fast-path.test.ts) feeds one corpus to this path and to the plain SDK
// handler and requires byte-equal answers; `MCP_FAST_PATH=false` turns it off.
import type { IncomingHttpHeaders } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolResult,
} from '@modelcontextprotocol/server';
import type { ServerInfo, ToolContext, ToolRegistry } from './mcp.js';

/** The 2026-07-28 revision: the one modern revision the SDK implements. */
const MODERN = '2026-07-28';
const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS);

export interface FastAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Id = string | number;
interface Eligible {
  id: Id;
  name: string;
  args: Record<string, unknown> | undefined;
  modern: boolean;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const k in o) if (!allowed.includes(k)) return false;
  return true;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** A client capabilities object made only of empty capability objects (`{}` or `{ sampling: {} }`). */
function simpleCapabilities(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    const c = v[k];
    if (!isPlainObject(c) || Object.keys(c).length !== 0) return false;
  }
  return true;
}

/**
 * The request, when it is a tools/call this path answers exactly as the SDK would; undefined otherwise.
 * Conservative by construction: every key and header must be one it knows.
 */
export function fastToolCall(registry: ToolRegistry, headers: IncomingHttpHeaders, body: unknown): Eligible | undefined {
  if (!isPlainObject(body) || !onlyKeys(body, ['jsonrpc', 'id', 'method', 'params'])) return undefined;
  if (body.jsonrpc !== '2.0' || body.method !== 'tools/call') return undefined;
  const id = body.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  const params = body.params;
  if (!isPlainObject(params) || typeof params.name !== 'string' || !registry.tools.has(params.name)) return undefined;
  const args = params.arguments;
  if (args !== undefined && !isPlainObject(args)) return undefined;
  const accept = header(headers, 'accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (header(headers, 'content-type')?.toLowerCase() !== 'application/json') return undefined;
  const version = header(headers, 'mcp-protocol-version');
  if (version === MODERN) {
    if (!onlyKeys(params, ['name', 'arguments', '_meta'])) return undefined;
    if (header(headers, 'mcp-method') !== 'tools/call' || header(headers, 'mcp-name') !== params.name) return undefined;
    const meta = params._meta;
    if (!isPlainObject(meta) || !onlyKeys(meta, [PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY])) return undefined;
    if (meta[PROTOCOL_VERSION_META_KEY] !== MODERN || !simpleCapabilities(meta[CLIENT_CAPABILITIES_META_KEY])) return undefined;
    const info = meta[CLIENT_INFO_META_KEY];
    if (!isPlainObject(info) || !onlyKeys(info, ['name', 'version']) || typeof info.name !== 'string' || typeof info.version !== 'string') return undefined;
    return { id, name: params.name, args, modern: true };
  }
  if (version === undefined || !LEGACY_VERSIONS.has(version)) return undefined;
  if (!onlyKeys(params, ['name', 'arguments'])) return undefined;
  if (header(headers, 'mcp-method') !== undefined || header(headers, 'mcp-name') !== undefined) return undefined;
  return { id, name: params.name, args, modern: false };
}

/** The SDK's framing of a tools/call result, per era (SSE message for 2025, JSON with the 2026 fields). */
export function frameToolResult(info: ServerInfo, call: Eligible, result: CallToolResult): FastAnswer {
  if (call.modern) {
    const framed = { ...result, resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: { name: info.name, version: info.version } } };
    const body = JSON.stringify({ result: framed, jsonrpc: '2.0', id: call.id });
    return { status: 200, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body };
  }
  const body = `event: message\ndata: ${JSON.stringify({ result, jsonrpc: '2.0', id: call.id })}\n\n`;
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'Content-Length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

/**
 * Runs an eligible call through the registry. The tool's signal fires if the client goes away first;
 * it (and the watch on the client) is set up only when the tool reads `ctx.signal`: most never do.
 */
export async function answerFastToolCall(
  registry: ToolRegistry,
  call: Eligible,
  base: Omit<ToolContext, 'signal' | 'progress'>,
  onClientGone: (abort: () => void) => () => void,
): Promise<FastAnswer> {
  let abort: AbortController | undefined;
  let stopWatching: (() => void) | undefined;
  const ctx: ToolContext = {
    principal: base.principal,
    requestId: base.requestId,
    get logger() {
      return base.logger;
    },
    get signal() {
      if (!abort) {
        const controller = (abort = new AbortController());
        stopWatching = onClientGone(() => controller.abort());
      }
      return abort.signal;
    },
    progress: async () => {},
  };
  try {
    return frameToolResult(registry.info, call, await registry.call(call.name, call.args, ctx));
  } finally {
    stopWatching?.();
  }
}
