// MCP tools declared once as data, served by the official MCP SDK (v2) for both protocol eras: the
// 2026-07-28 revision (server/discover, the per-request _meta envelope, Mcp-Method/Mcp-Name headers,
// caching hints) and 2025-era clients (initialize, stateless), over Streamable HTTP and over stdio.
//
// The SDK builds one server instance per request (createMcpHandler's factory); everything that can be
// shared is computed once per process here: the tools/list answer (JSON schemas), the tool lookup
// table, the zod validators, the JSON-schema validator and the labelled metric children.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { trace, SpanStatusCode } from '@opentelemetry/api';
import { Server, createMcpHandler, type AuthInfo, type Transport, type CallToolResult, type ListToolsResult, type McpHttpHandler, type ToolAnnotations } from '@modelcontextprotocol/server';
import { serveStdio as sdkServeStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { AppError, toolErrorMessage } from './errors.js';
import { isUnexpectedError, reportError } from './error-tracking.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import type { Principal } from './security.js';
import { SCOPE_TOKEN } from './config.js';
import { compositeKey } from './keys.js';
import { defaultScope, principalAllows, scopePrefixOf } from './scopes.js';
import type { ToolView } from './tool-view.js';

export type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/server';

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
  /**
   * Whether tools/list carries the output schema (default true). With false the result is still
   * validated against it and returned as structuredContent, but clients are not sent its JSON schema:
   * for tools whose self-describing results are read by the model, where the schema costs context.
   */
  listOutputSchema?: boolean;
  annotations: RequiredAnnotations;
  handler: (args: z.output<I>, ctx: ToolContext) => Promise<z.input<O>>;
  /** A short text rendering of the result for clients that ignore structuredContent (default: JSON). */
  text?: (output: z.output<O>) => string;
  /**
   * The OAuth scope (or API key scope) a caller needs to see and call this tool. Default:
   * `<service>:read` for read-only tools, `<service>:write` for the rest.
   */
  scope?: string;
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
 * Rewrites `type: [T, "null"]` into `anyOf: [{type: T, …}, {type: "null"}]`: type arrays are valid JSON
 * Schema, but several MCP clients (the Inspector flags them as not portable) only understand the anyOf
 * form, which zod already uses for every nullable that is not a bare primitive.
 */
function portableNullables(node: Record<string, unknown>): void {
  const type = node.type;
  if (!Array.isArray(type)) return;
  const kinds = type.filter((t): t is string => typeof t === 'string');
  const { type: _type, ...constraints } = node;
  for (const k of Object.keys(node)) delete node[k];
  node.anyOf = kinds.map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...constraints }));
}

/**
 * Drops the bounds zod writes on every integer (±Number.MAX_SAFE_INTEGER): they say nothing a model
 * needs and cost about ten tokens per integer argument; validation still applies them.
 */
function withoutSafeIntegerBounds(node: Record<string, unknown>): void {
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
}

/**
 * A tool's JSON schema for tools/list, in MCP's default dialect (JSON Schema 2020-12). Every token here
 * is paid in each client's context window, so the `$schema` marker (MCP already says which dialect tool
 * schemas use) is left out.
 */
function jsonSchemaOf(schema: AnyObject, io: 'input' | 'output'): ToolSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    override: (ctx) => {
      withoutSafeIntegerBounds(ctx.jsonSchema as Record<string, unknown>);
      portableNullables(ctx.jsonSchema as Record<string, unknown>);
    },
  }) as Record<string, unknown>;
  return rest as ToolSchema;
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}

export interface ToolRegistryOptions {
  /** The prefix of default scope names (`deploy` → `deploy:read`/`deploy:write`); default: the server's name less `-mcp`. */
  scopePrefix?: string;
  /** Callers may hold scopes (OAuth, scoped keys), so tools/list differs per caller and is cached `private`. */
  perCallerLists?: boolean;
  /**
   * The tools clients see, when that changes at run time (stdio only, see ToolView): tools/list and
   * tools/call then serve only the view's tools, the servers advertise `tools.listChanged` and send
   * `notifications/tools/list_changed` when the view changes, and tools/list is not cacheable.
   */
  view?: ToolView;
}

/** The per-process, shareable part of an MCP server: tool table, tools/list answer, validators. */
export class ToolRegistry {
  readonly tools: ReadonlyMap<string, AnyTool>;
  /** The scope each tool needs. */
  readonly scopes: ReadonlyMap<string, string>;
  readonly listResult: ListToolsResult;
  /** tools/list answers per distinct scope set (few: one per kind of key or token). */
  private readonly lists = new Map<string, ListToolsResult>();
  private readonly perCallerLists: boolean;
  readonly view: ToolView | undefined;
  private readonly tracer = trace.getTracer('@factory/base-server');
  private readonly jsonSchemaValidator = new AjvJsonSchemaValidator();
  private readonly series = new Map<string, { calls: { inc(): void }; duration: { observe(v: number): void } }>();

  constructor(
    readonly info: ServerInfo,
    tools: readonly AnyTool[],
    private readonly logger: Logger,
    private readonly metrics?: ServiceMetrics,
    options: ToolRegistryOptions = {},
  ) {
    const map = new Map<string, AnyTool>();
    const scopes = new Map<string, string>();
    const prefix = options.scopePrefix ?? scopePrefixOf(info.name);
    for (const t of tools) {
      if (map.has(t.name)) throw new Error(`duplicate tool name: ${t.name}`);
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) throw new Error(`invalid tool name: ${t.name}`);
      if (t.scope !== undefined && !SCOPE_TOKEN.test(t.scope)) throw new Error(`invalid scope for tool ${t.name}: ${t.scope}`);
      map.set(t.name, t);
      scopes.set(t.name, t.scope ?? defaultScope(prefix, t.annotations.readOnlyHint));
    }
    this.tools = map;
    this.scopes = scopes;
    this.perCallerLists = options.perCallerLists ?? false;
    this.view = options.view;
    const unknown = this.view?.names().filter((n) => !map.has(n)) ?? [];
    if (unknown.length > 0) throw new Error(`the tool view names unknown tools: ${unknown.join(', ')}`);
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
        ...(t.listOutputSchema === false ? {} : { outputSchema: jsonSchemaOf(t.outputSchema, 'output') }),
        annotations: t.annotations,
      })),
    };
  }

  /** Whether clients can see and call `name` now (a registered tool, in the view if there is one). */
  serves(name: string): boolean {
    return this.tools.has(name) && (this.view === undefined || this.view.has(name));
  }

  /** The tools/list answer for a caller: only the tools its scopes allow (all of them without a scope list) and the view shows. */
  listFor(principal: Principal): ListToolsResult {
    if (this.view) {
      const view = this.view;
      // Built per call: the view changes, and lists with a view are small and served over stdio only.
      return { tools: this.listResult.tools.filter((t) => view.has(t.name) && principalAllows(principal, this.scopes.get(t.name) ?? '')) };
    }
    const granted = principal.scopes;
    if (granted === undefined) return this.listResult;
    const key = compositeKey(...[...new Set(granted)].sort());
    let list = this.lists.get(key);
    if (!list) {
      list = { tools: this.listResult.tools.filter((t) => principalAllows(principal, this.scopes.get(t.name) ?? '')) };
      // Bounded: scope sets come from configured keys and an IdP's grants; past this, lists are built per call.
      if (this.lists.size < 256) this.lists.set(key, list);
    }
    return list;
  }

  /** The scope a call of `name` needs that `principal` lacks, if any (an unknown tool needs none: it fails as unknown). */
  missingScope(name: string, principal: Principal | undefined): string | undefined {
    const scope = this.scopes.get(name);
    return scope !== undefined && !principalAllows(principal, scope) ? scope : undefined;
  }

  /** Every scope some tool needs, sorted (advertised as `scopes_supported`). */
  scopeNames(): string[] {
    return [...new Set(this.scopes.values())].sort();
  }

  /** Runs one tool call: validation, handler, output check, metrics, span. Never throws. */
  async call(name: string, args: unknown, ctx: ToolContext): Promise<CallToolResult> {
    const tool = this.serves(name) ? this.tools.get(name) : undefined;
    if (!tool) {
      return errorResult(`Unknown tool "${name}". Call tools/list to see the available tools.`);
    }
    const started = performance.now();
    return this.tracer.startActiveSpan(
      `tools/call ${name}`,
      { attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': name, 'gen_ai.operation.name': 'execute_tool', 'enduser.id': ctx.principal.keyName } },
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
            // A handler's bug is reported; an isError the caller caused (or an outage) is not.
            if (isUnexpectedError(err)) reportError(err, { requestId: ctx.requestId, tool: name, principal: ctx.principal.keyName });
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

  /**
   * A fresh SDK server for one request (or one stdio connection), wired to the shared registry. The
   * low-level `Server` is the SDK's layer for servers that own dispatch: the tool table, validation and
   * the tools/list answer are computed once here instead of once per request by `registerTool`.
   */
  createServer(base: Omit<ToolContext, 'signal' | 'progress'>): Server {
    const server = new Server(
      { name: this.info.name, version: this.info.version },
      {
        capabilities: { tools: { listChanged: this.view !== undefined } },
        jsonSchemaValidator: this.jsonSchemaValidator,
        // Without a view the tool list changes only with a deploy (2026-07-28 caching hints); it is the
        // same for every caller unless callers hold scopes, and then only the caller may reuse its own.
        // With a view it changes on request: not cacheable, so a client that does not listen for
        // list_changed still sees the new tools when it lists again.
        cacheHints: {
          'tools/list': this.view
            ? { ttlMs: 0, cacheScope: 'private' }
            : { ttlMs: TOOLS_LIST_TTL_MS, cacheScope: this.perCallerLists ? 'private' : 'public' },
        },
        ...(this.info.instructions ? { instructions: this.info.instructions } : {}),
      },
    );
    server.setRequestHandler('tools/list', () => this.listFor(base.principal));
    if (this.view) {
      // 2025 era: a plain notification on the connection. 2026-07-28: the stdio entry delivers it on the
      // client's subscriptions/listen streams that asked for toolsListChanged, and drops it otherwise.
      const stop = this.view.onChange(() => {
        server.sendToolListChanged().catch((err: unknown) => base.logger.debug({ err }, 'tools/list_changed not delivered'));
      });
      server.onclose = stop;
    }
    server.setRequestHandler('tools/call', (request, extra) => {
      const progressToken = extra.mcpReq._meta?.progressToken;
      return this.call(request.params.name, request.params.arguments, {
        ...base,
        signal: extra.mcpReq.signal,
        progress: async (progress, total, message) => {
          if (progressToken === undefined) return;
          await extra.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
          });
        },
      });
    });
    return server;
  }
}

/** How long a 2026-07-28 client may reuse a tools/list answer. */
export const TOOLS_LIST_TTL_MS = 5 * 60_000;

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** What the HTTP layer tells the MCP layer about a request it has already authenticated. */
export interface McpRequestContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
}

/**
 * The SDK's AuthInfo carries our request context to the per-request factory (it is pass-through: the
 * SDK never reads it from headers). No token is kept in it: authentication already happened.
 */
export function authInfoFor(ctx: McpRequestContext): AuthInfo {
  return { token: '', clientId: ctx.principal.clientId ?? ctx.principal.keyName, scopes: [...(ctx.principal.scopes ?? [])], extra: { factory: ctx } };
}

function contextOf(authInfo: AuthInfo | undefined, fallback: Logger): McpRequestContext {
  const ctx = authInfo?.extra?.factory as McpRequestContext | undefined;
  return ctx ?? { principal: { keyName: 'anonymous', authenticated: false }, requestId: 'unknown', logger: fallback };
}

export interface McpEndpoint {
  /** Serves one request of POST/GET/DELETE /mcp; `body` is the already-parsed JSON body. */
  handle: NodeMcpRequestHandler;
  close(): Promise<void>;
}

/**
 * The Streamable HTTP endpoint: the SDK's createMcpHandler (both eras, stateless) over the registry,
 * adapted to node's (req, res) once. Host/Origin, auth, limits and body parsing happen before it, in
 * the service's one middleware chain.
 */
export function createMcpEndpoint(registry: ToolRegistry, logger: Logger, options: { maxRequestBodySize: number; keepAliveMs?: number }): McpEndpoint {
  const onerror = (err: Error) => logger.debug({ err }, 'mcp request rejected');
  const handler: McpHttpHandler = createMcpHandler(({ authInfo }) => registry.createServer(contextOf(authInfo, logger)), {
    legacy: 'stateless',
    onerror,
    // The body is parsed by the service's JSON parser; this bound only applies where the SDK reads one itself.
    maxRequestBodySize: options.maxRequestBodySize,
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
  });
  return { handle: toNodeHandler(handler, { onerror, maxRequestBodySize: options.maxRequestBodySize }), close: () => handler.close() };
}

/**
 * Serves the same tools over stdio (both eras): for local MCP clients that spawn the server as a process.
 * `transport` replaces the process's stdin/stdout (the SDK's custom-transport option; tests use an
 * in-memory pair).
 */
export function serveStdio(registry: ToolRegistry, logger: Logger, transport?: Transport): StdioServerHandle {
  const ctx: McpRequestContext = { principal: { keyName: 'stdio', authenticated: false }, requestId: 'stdio', logger };
  return sdkServeStdio(() => registry.createServer(ctx), { onerror: (err) => logger.warn({ err }, 'stdio transport error'), ...(transport ? { transport } : {}) });
}
