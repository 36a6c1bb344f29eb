// The tools of every registered server as their tools/list says (annotations and input schemas),
// read through the catalog's MCP client and kept for a while: saving a definition checks against it,
// and the step worker decides approvals and crash safety from the tools' own annotations.
import type { Dispatcher } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import { listServerTools, serverApiKey, type ListedTool } from '../catalog/mcp-catalog.js';

export interface ToolDirectoryOptions {
  services: readonly ServiceEntry[];
  sharedApiKey: string | undefined;
  timeoutMs: number;
  /** How long a server's tool list is reused. */
  ttlMs: number;
  dispatcher?: Dispatcher;
  now?: () => number;
}

interface Entry {
  at: number;
  tools: Map<string, ListedTool>;
}

/** Whether calling the tool again after an interruption cannot do harm, by its own annotations (read-only or idempotent). */
export const isRepeatable = (t: ListedTool | undefined): boolean => !!t && (t.readOnly || t.idempotent);

/** The repeatable tools of the servers read so far, as two parallel arrays (server, tool) for a SQL `unnest`. */
export interface RepeatableTools {
  servers: string[];
  tools: string[];
}

export class ToolDirectory {
  private readonly cache = new Map<string, Entry>();
  private known: RepeatableTools = { servers: [], tools: [] };
  private readonly inFlight = new Map<string, Promise<Map<string, ListedTool>>>();
  private readonly now: () => number;

  constructor(private readonly o: ToolDirectoryOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The registered MCP server of that name, if there is one. */
  server(name: string): ServiceEntry | undefined {
    return this.o.services.find((s) => s.name === name && s.mcp);
  }

  get serverNames(): string[] {
    return this.o.services.filter((s) => s.mcp).map((s) => s.name);
  }

  apiKeyFor(entry: ServiceEntry): string | undefined {
    return serverApiKey(entry, this.o.sharedApiKey);
  }

  /** The server's tools (fresh within ttlMs; a stale list when the server cannot be asked now); throws when never read. */
  async tools(server: string, options: { fresh?: boolean } = {}): Promise<Map<string, ListedTool>> {
    const entry = this.server(server);
    if (!entry) throw new Error(`${server} is not a registered MCP server`);
    const hit = this.cache.get(server);
    if (hit && !options.fresh && this.now() - hit.at < this.o.ttlMs) return hit.tools;
    let pending = this.inFlight.get(server);
    if (!pending) {
      pending = listServerTools(entry, this.apiKeyFor(entry), this.o.timeoutMs, this.o.dispatcher)
        .then((list) => {
          const tools = new Map(list.map((t) => [t.name, t]));
          this.cache.set(server, { at: this.now(), tools });
          this.known = this.collectRepeatable();
          return tools;
        })
        .finally(() => this.inFlight.delete(server));
      this.inFlight.set(server, pending);
    }
    try {
      return await pending;
    } catch (err) {
      if (hit) return hit.tools;
      throw err;
    }
  }

  async tool(server: string, name: string): Promise<ListedTool | undefined> {
    return (await this.tools(server)).get(name);
  }

  /**
   * The repeatable tools among the lists read so far, without asking any server (a server not read yet
   * has none here: its steps are treated as not repeatable).
   */
  get repeatable(): RepeatableTools {
    return this.known;
  }

  private collectRepeatable(): RepeatableTools {
    const out: RepeatableTools = { servers: [], tools: [] };
    for (const [server, { tools }] of this.cache)
      for (const t of tools.values())
        if (isRepeatable(t)) {
          out.servers.push(server);
          out.tools.push(t.name);
        }
    return out;
  }
}
