// The control center as an MCP client of each registered server: its tool catalog (annotations,
// effective write mode, token cost of tools/list) and a synthetic probe of one read-only tool.
import { performance } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { countTokens } from 'gpt-tokenizer';
import { fetch as undiciFetch } from 'undici';
import { withDeadline, type Dispatcher } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Selectable } from 'kysely';
import type { CatalogTool, McpCatalogTable } from '../db/schema.js';

export interface Catalog {
  service: string;
  fetchedAt: Date;
  tools: CatalogTool[];
  toolCount: number;
  /** read-write when any tool is not marked readOnlyHint: true. */
  writeMode: 'read-only' | 'read-write' | 'unknown';
  /** Tokens (o200k_base) of the JSON tools/list result an agent loads into its context. */
  tokenCost: number;
  error: string | null;
  /** The protocol era the server answered in: `modern` (2026-07-28) or `legacy` (2025); not persisted. */
  era?: 'modern' | 'legacy' | undefined;
}

export interface ProbeResult {
  service: string;
  tool: string;
  at: Date;
  success: boolean;
  latencyMs: number | null;
  message: string | null;
}

/** A stored catalog row as the collector keeps it. */
export function catalogFromRow(r: Selectable<McpCatalogTable>): Catalog {
  const tools = typeof r.tools === 'string' ? (JSON.parse(r.tools) as CatalogTool[]) : r.tools;
  return { service: r.service, fetchedAt: new Date(r.fetched_at), tools, toolCount: r.tool_count, writeMode: r.write_mode, tokenCost: r.token_cost, error: r.error };
}

function shortError(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const line = (m.split('\n', 1)[0] ?? '').trim();
  return (line || 'request failed').slice(0, 300);
}

/** A fetch for the MCP transport that goes through `dispatcher` (its socket timeouts bound every request). */
const fetchVia = (dispatcher: Dispatcher | undefined): typeof fetch | undefined =>
  dispatcher ? (((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch) : undefined;

/** A client of the server's /mcp endpoint, not yet connected. */
export function newClient(entry: ServiceEntry, apiKey: string | undefined, dispatcher: Dispatcher | undefined) {
  // Speaks the 2026-07-28 revision first (server/discover) and falls back to initialize for 2025-era servers.
  const client = new Client({ name: 'factory-control-center', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  const headers: Record<string, string> = apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
  const via = fetchVia(dispatcher);
  const transport = new StreamableHTTPClientTransport(new URL(`${entry.url.replace(/\/+$/, '')}/mcp`), {
    requestInit: { headers, redirect: 'error' },
    ...(via ? { fetch: via } : {}),
  });
  return { client, transport };
}

async function withClient<T>(
  entry: ServiceEntry,
  apiKey: string | undefined,
  timeoutMs: number,
  dispatcher: Dispatcher | undefined,
  fn: (client: Client, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { client, transport } = newClient(entry, apiKey, dispatcher);
  try {
    return await withDeadline(
      timeoutMs,
      async (signal) => {
        await client.connect(transport, { timeout: timeoutMs, signal });
        return fn(client, signal);
      },
      { message: `${entry.name} did not answer within ${timeoutMs} ms` },
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function fetchCatalog(
  entry: ServiceEntry,
  apiKey: string | undefined,
  timeoutMs: number,
  now: () => Date = () => new Date(),
  dispatcher?: Dispatcher,
): Promise<Catalog> {
  const fetchedAt = now();
  try {
    const result = await withClient(entry, apiKey, timeoutMs, dispatcher, async (client, signal) => {
      const tools = [];
      let cursor: string | undefined;
      const pages = [];
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs, signal });
        pages.push(page);
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 20);
      return { tools, pages, era: client.getProtocolEra() };
    });
    const tools: CatalogTool[] = result.tools.map(catalogToolOf);
    const tokenCost = result.pages.reduce((n, p) => n + countTokens(JSON.stringify(p)), 0);
    return {
      service: entry.name,
      fetchedAt,
      tools,
      toolCount: tools.length,
      writeMode: tools.some((t) => !t.readOnly) ? 'read-write' : 'read-only',
      tokenCost,
      error: null,
      era: result.era,
    };
  } catch (err) {
    return { service: entry.name, fetchedAt, tools: [], toolCount: 0, writeMode: 'unknown', tokenCost: 0, error: shortError(err) };
  }
}

/**
 * Calls the configured probe tool. Refuses (without calling) a tool the catalog does not show as
 * read-only, so a misconfigured probe can never change anything.
 */
export async function runProbe(
  entry: ServiceEntry,
  apiKey: string | undefined,
  timeoutMs: number,
  catalog: Catalog | undefined,
  now: () => Date = () => new Date(),
  dispatcher?: Dispatcher,
): Promise<ProbeResult | undefined> {
  if (!entry.probe) return undefined;
  const at = now();
  const tool = entry.probe.tool;
  const known = catalog?.tools.find((t) => t.name === tool);
  if (!known || !known.readOnly) {
    return {
      service: entry.name,
      tool,
      at,
      success: false,
      latencyMs: null,
      message: known ? `probe tool ${tool} is not read-only; configure a read-only tool` : `probe tool ${tool} is not in the server's catalog`,
    };
  }
  const started = performance.now();
  try {
    const result = await withClient(entry, apiKey, timeoutMs, dispatcher, (client, signal) =>
      client.callTool({ name: tool, arguments: entry.probe?.arguments ?? {} }, { timeout: timeoutMs, signal }),
    );
    const latencyMs = Math.round(performance.now() - started);
    if (result.isError) {
      const first = Array.isArray(result.content) ? (result.content[0] as { text?: string } | undefined)?.text : undefined;
      return { service: entry.name, tool, at, success: false, latencyMs, message: (first ?? 'the tool returned an error').slice(0, 300) };
    }
    return { service: entry.name, tool, at, success: true, latencyMs, message: null };
  } catch (err) {
    return { service: entry.name, tool, at, success: false, latencyMs: null, message: shortError(err) };
  }
}

/** The bearer key the control center sends to a server: its own, or the shared one when the entry opts in. */
export const serverApiKey = (entry: ServiceEntry, sharedKey: string | undefined): string | undefined => entry.apiKey ?? (entry.sharedApiKey ? sharedKey : undefined);

interface ListedAnnotations {
  title?: string | undefined;
  readOnlyHint?: boolean | undefined;
  destructiveHint?: boolean | undefined;
  idempotentHint?: boolean | undefined;
  openWorldHint?: boolean | undefined;
}

/** A tools/list entry as the catalog keeps it, MCP's defaults applied (destructiveHint and openWorldHint true when absent). */
function catalogToolOf(t: { name: string; title?: string | undefined; annotations?: ListedAnnotations | undefined }): CatalogTool {
  return {
    name: t.name,
    title: t.title ?? t.annotations?.title ?? null,
    readOnly: t.annotations?.readOnlyHint === true,
    destructive: t.annotations?.readOnlyHint === true ? false : t.annotations?.destructiveHint !== false,
    idempotent: t.annotations?.idempotentHint === true,
    openWorld: t.annotations?.openWorldHint !== false,
  };
}

/** A tool as tools/list describes it, with the input schema workflows check literal arguments against. */
export interface ListedTool extends CatalogTool {
  inputSchema: Record<string, unknown>;
}

/** Every tool of one server with annotations (MCP defaults applied) and input schema; throws when the server cannot be asked. */
export async function listServerTools(entry: ServiceEntry, apiKey: string | undefined, timeoutMs: number, dispatcher?: Dispatcher): Promise<ListedTool[]> {
  return withClient(entry, apiKey, timeoutMs, dispatcher, async (client, signal) => {
    const out: ListedTool[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs, signal });
      for (const t of page.tools) {
        out.push({ ...catalogToolOf(t), inputSchema: t.inputSchema as Record<string, unknown> });
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    return out;
  });
}

export interface ToolCallOutcome {
  isError: boolean;
  /** structuredContent when the tool returned it, else the text content. */
  output: unknown;
  /** The first text block of an error result. */
  message: string | null;
}

export type CallResult = Awaited<ReturnType<Client['callTool']>>;

/** A tools/call result as the engine records it. */
export function outcomeOf(result: CallResult): ToolCallOutcome {
  const texts = Array.isArray(result.content) ? result.content.map((c) => (c as { text?: unknown }).text).filter((t): t is string => typeof t === 'string') : [];
  return {
    isError: result.isError === true,
    output: result.structuredContent ?? (texts.length ? { text: texts.join('\n') } : null),
    message: result.isError ? (texts[0] ?? 'the tool returned an error').slice(0, 1_000) : null,
  };
}

/** Calls one tool on one server with a client of its own, bounded by `timeoutMs`; a failed call is `isError`, an unreachable server throws. */
export async function callServerTool(
  entry: ServiceEntry,
  apiKey: string | undefined,
  timeoutMs: number,
  tool: string,
  args: Record<string, unknown>,
  dispatcher?: Dispatcher,
): Promise<ToolCallOutcome> {
  return outcomeOf(await withClient(entry, apiKey, timeoutMs, dispatcher, (client, signal) => client.callTool({ name: tool, arguments: args }, { timeout: timeoutMs, signal })));
}
