// MCP tools declared once as data, served per request over Streamable HTTP (stateless) and over stdio.
//
// The SDK forbids sharing one server object between requests, so every POST /mcp gets a fresh
// low-level `Server`. Everything that can be shared is computed once: the tools/list answer (JSON
// schemas), the tool lookup table, the zod validators and the JSON-schema validator. The HTTP side is a
// small Node-native transport that speaks Streamable HTTP: a JSON response when the reply is one message,
// an SSE stream as soon as a tool sends a notification (progress) before its result.
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { trace, SpanStatusCode } from '@opentelemetry/api';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
  isInitializeRequest,
  type CallToolResult,
  type JSONRPCMessage,
  type ListToolsResult,
  type RequestId,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { AppError, toolErrorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { Principal } from './security.js';

export type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** What a tool handler gets besides its validated arguments. */
export interface ToolContext {
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
  /** The API key's name (never the key) of the caller. */
  principal: Principal;
  requestId: string;
  logger: Logger;
  /** Sends a progress notification when the client asked for progress (no-op otherwise). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

/** Annotations are mandatory: every tool states whether it reads or writes. */
export interface RequiredAnnotations extends ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject> {
  name: string;
  title: string;
  /** Written for the model that calls the tool: what it does, when to use it, what the arguments mean. */
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: RequiredAnnotations;
  handler: (args: z.output<I>, ctx: ToolContext) => Promise<z.input<O>>;
  /** A short text rendering of the result for clients that ignore structuredContent (default: JSON). */
  text?: (output: z.output<O>) => string;
}

/** Declares a tool with full type inference between its schemas and its handler. */
export function defineTool<I extends AnyObject, O extends AnyObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

// Tools are stored type-erased; defineTool keeps each one's types consistent at its declaration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;

export interface ServerInfo {
  name: string;
  version: string;
  instructions?: string;
}

type ToolSchema = ListToolsResult['tools'][number]['inputSchema'];

/**
 * A tool's JSON schema for tools/list. Every token here is paid in each client's context window, so
 * the `$schema` marker (MCP already says which dialect tool schemas use) is left out.
 */
function jsonSchemaOf(schema: AnyObject, io: 'input' | 'output'): ToolSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-7' }) as Record<string, unknown>;
  return rest as ToolSchema;
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}

/** The per-process, shareable part of an MCP server: tool table, tools/list answer, validators. */
export class ToolRegistry {
  readonly tools: ReadonlyMap<string, AnyTool>;
  readonly listResult: ListToolsResult;
  private readonly tracer = trace.getTracer('@factory/base-server');
  private readonly jsonSchemaValidator = new AjvJsonSchemaValidator();
  private readonly series = new Map<string, { calls: { inc(): void }; duration: { observe(v: number): void } }>();

  constructor(
    readonly info: ServerInfo,
    tools: readonly AnyTool[],
    private readonly logger: Logger,
    private readonly metrics?: ServiceMetrics,
  ) {
    const map = new Map<string, AnyTool>();
    for (const t of tools) {
      if (map.has(t.name)) throw new Error(`duplicate tool name: ${t.name}`);
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) throw new Error(`invalid tool name: ${t.name}`);
      map.set(t.name, t);
    }
    this.tools = map;
    // Labelled metric children resolved once per tool and outcome (label hashing is per-call cost).
    if (metrics) {
      for (const t of tools) {
        for (const outcome of ['success', 'error'] as const) {
          this.series.set(`${t.name}\u0000${outcome}`, {
            calls: metrics.toolCalls.labels({ tool: t.name, outcome }),
            duration: metrics.toolDuration.labels({ tool: t.name, outcome }),
          });
        }
      }
    }
    this.listResult = {
      tools: tools.map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: jsonSchemaOf(t.inputSchema, 'input'),
        outputSchema: jsonSchemaOf(t.outputSchema, 'output'),
        annotations: t.annotations,
      })),
    };
  }

  /** Runs one tool call: validation, handler, output check, metrics, span. Never throws. */
  async call(name: string, args: unknown, ctx: ToolContext): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) {
      return errorResult(`Unknown tool "${name}". Call tools/list to see the available tools.`);
    }
    const started = performance.now();
    return this.tracer.startActiveSpan(
      `tools/call ${name}`,
      { attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': name, 'gen_ai.operation.name': 'execute_tool' } },
      async (span) => {
        let result: CallToolResult;
        const parsed = tool.inputSchema.safeParse(args ?? {});
        if (!parsed.success) {
          result = errorResult(`Invalid arguments for ${name}: ${formatZodError(parsed.error)}`);
        } else {
          try {
            const raw = await tool.handler(parsed.data, ctx);
            const out = tool.outputSchema.safeParse(raw);
            if (!out.success) {
              ctx.logger.error({ tool: name, issues: out.error.issues.slice(0, 5) }, 'tool output does not match its output schema');
              result = errorResult(`${name} produced a result that does not match its output schema; this is a server bug.`);
            } else {
              const text = tool.text ? tool.text(out.data) : JSON.stringify(out.data);
              result = { content: [{ type: 'text', text }], structuredContent: out.data as Record<string, unknown> };
            }
          } catch (err) {
            const expected = err instanceof AppError && err.status < 500;
            ctx.logger[expected ? 'info' : 'error']({ tool: name, err }, 'tool call failed');
            result = errorResult(toolErrorMessage(err));
          }
        }
        const outcome = result.isError ? 'error' : 'success';
        if (result.isError) {
          span.setAttribute('error.type', 'tool_error');
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
        const series = this.series.get(`${name}\u0000${outcome}`);
        if (series) {
          series.calls.inc();
          series.duration.observe((performance.now() - started) / 1000);
        }
        return result;
      },
    );
  }

  /** A fresh SDK server for one request (or one stdio session), wired to the shared registry. */
  createServer(base: Omit<ToolContext, 'signal' | 'progress'>): Server {
    const server = new Server(
      { name: this.info.name, version: this.info.version },
      {
        capabilities: { tools: { listChanged: false } },
        jsonSchemaValidator: this.jsonSchemaValidator,
        ...(this.info.instructions ? { instructions: this.info.instructions } : {}),
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => this.listResult);
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const progressToken = request.params._meta?.progressToken;
      return this.call(request.params.name, request.params.arguments, {
        ...base,
        signal: extra.signal,
        progress: async (progress, total, message) => {
          if (progressToken === undefined) return;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
          });
        },
      });
    });
    return server;
  }
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

const MAX_BATCH = 20;

/**
 * The envelope check a transport needs to route a message (the SDK's Protocol validates each method's
 * params itself): jsonrpc 2.0, and either a method (request/notification) or an id with a result/error.
 */
function isJsonRpcShaped(m: unknown): boolean {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return false;
  const idOk = o.id === undefined || typeof o.id === 'string' || (typeof o.id === 'number' && Number.isInteger(o.id));
  if (!idOk) return false;
  if (typeof o.method === 'string') return o.params === undefined || (typeof o.params === 'object' && o.params !== null);
  return o.id !== undefined && ('result' in o || 'error' in o);
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * One POST's worth of Streamable HTTP: collects the responses to the request ids in the POST and
 * writes them as JSON, or switches to an SSE stream when anything else (a progress notification) is sent
 * for those requests before they finish.
 */
class SingleExchangeTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly responses: JSONRPCMessage[] = [];
  private sse = false;
  finished = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly pending: Set<RequestId>,
    private readonly batch: boolean,
  ) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.finished) return;
    const isResponse = 'id' in message && ('result' in message || 'error' in message);
    if (!isResponse) {
      if (!this.sse) this.startSse();
      this.writeEvent(message);
      return;
    }
    if (this.sse) this.writeEvent(message);
    else this.responses.push(message);
    this.pending.delete(message.id as RequestId);
    if (this.pending.size === 0) this.finish();
  }

  async close(): Promise<void> {
    if (!this.finished) {
      this.finished = true;
      if (!this.res.headersSent) jsonRpcError(this.res, 500, -32603, 'The server closed before answering.');
      else this.res.end();
    }
    this.onclose?.();
  }

  private startSse(): void {
    this.sse = true;
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    for (const r of this.responses.splice(0)) this.writeEvent(r);
  }

  private writeEvent(message: JSONRPCMessage): void {
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  private finish(): void {
    this.finished = true;
    if (this.sse) {
      this.res.end();
      return;
    }
    const body = JSON.stringify(this.batch ? this.responses : this.responses[0]);
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    this.res.end(body);
  }
}

export interface McpRequestContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
}

/**
 * Handles POST /mcp for an already-parsed JSON body. Validation follows the SDK's Streamable HTTP
 * transport: 406 without the right Accept, 415 for a non-JSON body, 400 for a bad message or an
 * unsupported protocol version, 202 for notifications only.
 */
export async function handleMcpPost(
  registry: ToolRegistry,
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  ctx: McpRequestContext,
): Promise<void> {
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return jsonRpcError(res, 406, -32000, 'Not Acceptable: the client must accept both application/json and text/event-stream.');
  }
  const contentType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return jsonRpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json.');
  }
  const raw = req.body;
  const isBatch = Array.isArray(raw);
  const list: unknown[] = isBatch ? raw : [raw];
  if (raw === undefined || raw === null || list.length === 0 || list.length > MAX_BATCH) {
    return jsonRpcError(res, 400, -32600, 'Invalid Request: the body must be one JSON-RPC message (or a batch of at most 20).');
  }
  if (!list.every(isJsonRpcShaped)) return jsonRpcError(res, 400, -32600, 'Invalid Request: not a valid JSON-RPC 2.0 message.');
  const messages = list as JSONRPCMessage[];
  const direct = messages.length === 1 && !isBatch ? directToolCall(messages[0]) : undefined;
  const initializing = !direct && messages.some(isInitializeRequest);
  if (!initializing) {
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return jsonRpcError(res, 400, -32000, `Bad Request: unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}).`);
    }
  }
  if (direct) return answerToolCall(registry, direct, res, ctx);
  const requests = messages.filter(isJSONRPCRequest);
  const server = registry.createServer(ctx);
  const transport = new SingleExchangeTransport(res, new Set(requests.map((r) => r.id)), isBatch);
  await server.connect(transport);
  if (requests.length === 0) {
    for (const m of messages) transport.onmessage?.(m);
    res.writeHead(202).end();
    await server.close();
    return;
  }
  res.on('close', () => {
    // The client went away before the answer: closing the server aborts handlers still running
    // (their ctx.signal fires). After a normal answer there is nothing to close (and closing would
    // build a ConnectionClosed error per request).
    if (!transport.finished) void server.close();
  });
  for (const m of messages) transport.onmessage?.(m);
}

interface DirectToolCall {
  id: RequestId;
  name: string;
  args: Record<string, unknown> | undefined;
}

/**
 * The hot path: one tools/call that asked for no progress needs nothing of a protocol session, so it
 * is answered straight from the registry (the same `call` the SDK server's handler runs) without
 * building a server per request. Anything else (progress, batches, other methods, malformed params
 * that deserve the SDK's own error) goes through the SDK server.
 */
function directToolCall(m: JSONRPCMessage | undefined): DirectToolCall | undefined {
  // Already envelope-checked (isJsonRpcShaped): a request is a message with a method and an id.
  const msg = m as { id?: RequestId; method?: unknown; params?: Record<string, unknown> } | undefined;
  if (!msg || msg.method !== 'tools/call' || msg.id === undefined) return undefined;
  const params = msg.params;
  if (!params || typeof params.name !== 'string') return undefined;
  const args = params.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) return undefined;
  const meta = params._meta;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || 'progressToken' in meta)) return undefined;
  return { id: msg.id, name: params.name, args: args as Record<string, unknown> | undefined };
}

async function answerToolCall(registry: ToolRegistry, call: DirectToolCall, res: ServerResponse, ctx: McpRequestContext): Promise<void> {
  // The signal (and the request's child logger) are built only if the tool uses them: most never do.
  let abort: AbortController | undefined;
  let gone = false;
  const onClose = () => {
    // The client went away before the answer: the handler's ctx.signal fires.
    gone = true;
    abort?.abort();
  };
  res.once('close', onClose);
  const toolCtx: ToolContext = {
    principal: ctx.principal,
    requestId: ctx.requestId,
    get logger() {
      return ctx.logger;
    },
    get signal() {
      abort ??= new AbortController();
      if (gone) abort.abort();
      return abort.signal;
    },
    progress: async () => {},
  };
  const result = await registry.call(call.name, call.args, toolCtx);
  res.off('close', onClose);
  if (res.destroyed) return;
  const body = JSON.stringify({ result, jsonrpc: '2.0', id: call.id });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Serves the same tools over stdio: for local MCP clients that spawn the server as a process. */
export async function serveStdio(registry: ToolRegistry, logger: Logger): Promise<Server> {
  const server = registry.createServer({
    principal: { keyName: 'stdio', authenticated: false },
    requestId: 'stdio',
    logger,
  });
  await server.connect(new StdioServerTransport());
  return server;
}
