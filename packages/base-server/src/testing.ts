// Helpers for tests of services built on base-server: real servers, real sockets, nothing faked.
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A TCP proxy in front of a real server (Postgres, Redis), to simulate its outages:
 * - `stop()` closes the listener and every connection: the server is down and connecting is refused;
 *   `start()` brings it back on the same port.
 * - `hang()` keeps every connection open but stops passing bytes, both ways, and new connections are
 *   accepted and then get nothing: a network partition (a blackhole), where only client-side timeouts help.
 *   `resume()` passes bytes again (the ones held back included), as when a partition heals.
 */
export interface TcpProxy {
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  hang(): void;
  resume(): void;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let hanging = false;
  // While hanging, every socket is paused: nothing is read from either side, so nothing is forwarded.
  const setHanging = (on: boolean) => {
    hanging = on;
    for (const s of sockets) {
      if (on) s.pause();
      else s.resume();
    }
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = new (client.constructor as typeof Socket)();
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        upstream.connect(targetPort, targetHost, () => {
          client.pipe(upstream).pipe(client);
          if (hanging) {
            client.pause();
            upstream.pause();
          }
        });
        if (hanging) client.pause();
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    start: listen,
    async stop() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
    hang: () => setHanging(true),
    resume: () => setHanging(false),
  };
}

/** A pino destination that keeps every line, for asserting on logs. */
export function captureLogs(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A unique, valid schema name so each test file gets its own tables in the shared database. */
export function uniqueSchema(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test's schema and everything in it, so test runs leave the shared database as they found it. */
export async function dropSchema(url: string, schema: string | undefined): Promise<void> {
  if (!schema) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema.replace(/"/g, '""')}" cascade`);
  } finally {
    await client.end();
  }
}

export interface LegacyToolFixture {
  name: string;
  readOnly: boolean;
  /** The structuredContent every call answers with. */
  result: Record<string, unknown>;
}

export interface LegacyMcpServer {
  url: string;
  /** The JSON-RPC methods the server was sent, in order (server/discover included when a client probed). */
  methods: string[];
  close(): Promise<void>;
}

/**
 * A real 2025-era MCP server — the last v1 SDK (`@modelcontextprotocol/sdk` 1.x, which never learned
 * the 2026-07-28 revision), stateless Streamable HTTP — so tests prove that our clients, which
 * negotiate 2026-07-28 first, fall back to `initialize` against servers that predate it.
 */
export async function startLegacyMcpServer(tools: readonly LegacyToolFixture[]): Promise<LegacyMcpServer> {
  const [{ McpServer }, { StreamableHTTPServerTransport }, { createServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('node:http'),
  ]);
  const methods: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        } catch {
          body = undefined;
        }
        for (const m of Array.isArray(body) ? body : [body]) {
          if (m && typeof (m as { method?: unknown }).method === 'string') methods.push((m as { method: string }).method);
        }
        const mcp = new McpServer({ name: 'legacy-peer', version: '1.0.0' });
        for (const t of tools) {
          mcp.registerTool(
            t.name,
            {
              description: `${t.name} (2025-era fixture)`,
              inputSchema: {},
              annotations: { readOnlyHint: t.readOnly, destructiveHint: !t.readOnly, idempotentHint: true, openWorldHint: false },
            },
            async () => ({ content: [{ type: 'text' as const, text: JSON.stringify(t.result) }], structuredContent: t.result }),
          );
        }
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => void transport.close().then(() => mcp.close()));
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
export { startTestIssuer, type TestIssuer } from './test-issuer.js';
