// One connected MCP client per registered server, reused across tool calls (the workflow worker's
// steps), so a call does not pay connect + server/discover (or initialize) each time.
import { SdkHttpError, type Client } from '@modelcontextprotocol/client';
import { compositeKey, withDeadline, type Dispatcher } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import { newClient, outcomeOf, type CallResult, type ToolCallOutcome } from './mcp-catalog.js';

interface Pooled {
  key: string;
  client: Client;
  ready: Promise<void>;
  inFlight: number;
  retired: boolean;
}

/**
 * One connected client per registered server, reused across calls (the workflow worker's steps): a
 * call no longer pays connect + server/discover (or initialize). Bounded: one entry per server name,
 * and the names come from SERVICES. Every call is bounded by its own `timeoutMs`, connecting included.
 *
 * A client that failed in any way (transport error, timeout, refused connection) is retired: the next
 * call connects afresh, and the retired client is closed once its last call in flight ended (closing
 * it at once would abort the other calls sharing it). A call is sent again only when the server
 * answered 404 (its session is gone, MCP's "start a new session" signal): the server did not run it,
 * so the retry cannot repeat a tool's effect. Any other failure is returned, never retried here.
 */
export class McpClientPool {
  private readonly clients = new Map<string, Pooled>();
  private closed = false;

  constructor(private readonly dispatcher?: Dispatcher) {}

  private acquire(entry: ServiceEntry, apiKey: string | undefined, timeoutMs: number): Pooled {
    if (this.closed) throw new Error('the MCP client pool is closed');
    const key = compositeKey(entry.url, apiKey ?? '');
    const hit = this.clients.get(entry.name);
    if (hit && hit.key === key) return hit;
    if (hit) this.retire(hit);
    const { client, transport } = newClient(entry, apiKey, this.dispatcher);
    const pooled: Pooled = { key, client, inFlight: 0, retired: false, ready: client.connect(transport, { timeout: timeoutMs }) };
    // A failed connect is seen by the callers awaiting `ready`; this only keeps it from being unhandled.
    pooled.ready.catch(() => this.retire(pooled));
    this.clients.set(entry.name, pooled);
    return pooled;
  }

  private retire(p: Pooled): void {
    if (!p.retired) {
      p.retired = true;
      for (const [name, q] of this.clients) if (q === p) this.clients.delete(name);
    }
    if (p.inFlight === 0) void p.client.close().catch(() => undefined);
  }

  private async once(entry: ServiceEntry, apiKey: string | undefined, timeoutMs: number, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallResult> {
    const p = this.acquire(entry, apiKey, timeoutMs);
    p.inFlight++;
    try {
      // The connect is shared: a caller's deadline bounds its wait for it, not the connect itself.
      await Promise.race([p.ready, abortOf(signal)]);
      return await p.client.callTool({ name: tool, arguments: args }, { timeout: timeoutMs, signal });
    } catch (err) {
      this.retire(p);
      throw err;
    } finally {
      p.inFlight--;
      if (p.retired && p.inFlight === 0) void p.client.close().catch(() => undefined);
    }
  }

  /** Like callServerTool, over the server's pooled client. */
  async callTool(entry: ServiceEntry, apiKey: string | undefined, timeoutMs: number, tool: string, args: Record<string, unknown>): Promise<ToolCallOutcome> {
    const result = await withDeadline(
      timeoutMs,
      async (signal) => {
        try {
          return await this.once(entry, apiKey, timeoutMs, tool, args, signal);
        } catch (err) {
          if (!sessionGone(err) || signal.aborted) throw err;
          return this.once(entry, apiKey, timeoutMs, tool, args, signal);
        }
      },
      { message: `${entry.name} did not answer within ${timeoutMs} ms` },
    );
    return outcomeOf(result);
  }

  /** How many servers have a client now (for tests and health). */
  get size(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((p) => p.client.close().catch(() => undefined)));
  }
}

/** Rejects when `signal` aborts (never unhandled: it is only ever raced). */
function abortOf(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
  p.catch(() => undefined);
  return p;
}

/** The server answered 404 to a request of an established client: its session is gone and it ran nothing. */
const sessionGone = (err: unknown): boolean => SdkHttpError.isInstance(err) && err.status === 404;
