// The workflow worker's pooled MCP clients: one connected client per server reused across calls, a
// fresh one after the server restarted or forgot the session (404), and never a call sent twice
// after a failure the server may have acted on.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogger, createService, defineTool, parseConfig, baseConfigSchema, z, type Service } from '@factory/base-server';
import { startTcpProxy, type TcpProxy } from '@factory/base-server/testing';
import { McpClientPool } from '../src/catalog/mcp-client-pool.js';
import { UPSTREAM_KEY } from './helpers.js';

let calls = 0;
let hang: Promise<void> | undefined;
let service: Service;
let upstreamPort: number;
/** JSON-RPC methods that reached the proxy, in order. */
const methods: string[] = [];
/** When set, the proxy answers the next tools/call with 404 (a server that forgot the session) without forwarding it. */
let forgetSession = false;
let front: Server;
let frontUrl: string;
let tcp: TcpProxy;

beforeAll(async () => {
  const tools = [
    defineTool({
      name: 'count',
      title: 'Count',
      description: 'Counts its calls.',
      inputSchema: z.object({}),
      outputSchema: z.object({ n: z.number() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      handler: async () => {
        calls++;
        if (hang) await hang;
        return { n: calls };
      },
    }),
  ];
  service = createService({ name: 'pool-peer', version: '1.0.0', config: parseConfig(baseConfigSchema, { PORT: '0', LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}` }), logger: createLogger({ service: 'pool-peer', version: '0', level: 'silent' }), tools, checks: [] });
  upstreamPort = Number(new URL((await service.start()).url).port);
  // A TCP proxy in front of the server: stop()/start() is the server going down and coming back on the same address.
  tcp = await startTcpProxy(upstreamPort);
  // An HTTP hop that records methods and can answer 404 as a server that lost the session does.
  front = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let method: string | undefined;
      try {
        method = (JSON.parse(body.toString('utf8')) as { method?: string }).method;
      } catch {
        method = undefined;
      }
      if (method) methods.push(method);
      if (method === 'tools/call' && forgetSession) {
        forgetSession = false;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
        return;
      }
      const up = request({ host: '127.0.0.1', port: tcp.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => {
    front.close(() => r());
    front.closeAllConnections();
  });
  await tcp.stop();
  await service.stop();
});
beforeEach(() => {
  methods.length = 0;
  calls = 0;
  forgetSession = false;
  hang = undefined;
});

const entry = () => ({ name: 'pool-peer', url: frontUrl }) as never;
const handshakes = () => methods.filter((m) => m === 'server/discover' || m === 'initialize').length;

describe('McpClientPool', () => {
  it('connects once per server and reuses the client for every call, concurrent ones included', async () => {
    const pool = new McpClientPool();
    try {
      for (let i = 0; i < 3; i++) expect(await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).toMatchObject({ isError: false });
      await Promise.all(Array.from({ length: 5 }, () => pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})));
      expect(calls).toBe(8);
      expect(handshakes()).toBe(1);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('reconnects after the server went down and came back', async () => {
    const pool = new McpClientPool();
    try {
      expect(await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).toMatchObject({ isError: false });
      await tcp.stop();
      await expect(pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).rejects.toThrow();
      await tcp.start();
      expect(await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).toMatchObject({ isError: false, output: { n: 2 } });
      expect(handshakes()).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('sends a call again on a new client when the server answered 404 (session gone), and the tool runs once', async () => {
    const pool = new McpClientPool();
    try {
      await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {});
      forgetSession = true;
      expect(await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).toMatchObject({ isError: false, output: { n: 2 } });
      expect(calls).toBe(2);
      expect(handshakes()).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('never sends a timed-out call again, and the next call gets a new client', async () => {
    const pool = new McpClientPool();
    let release: () => void = () => undefined;
    try {
      await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {});
      hang = new Promise<void>((r) => (release = r));
      await expect(pool.callTool(entry(), UPSTREAM_KEY, 300, 'count', {})).rejects.toThrow(/did not answer within 300 ms/);
      release();
      hang = undefined;
      expect(calls).toBe(2);
      expect(await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).toMatchObject({ isError: false, output: { n: 3 } });
      expect(handshakes()).toBe(2);
    } finally {
      release();
      await pool.close();
    }
  });

  it('refuses calls once closed', async () => {
    const pool = new McpClientPool();
    await pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {});
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(pool.callTool(entry(), UPSTREAM_KEY, 5_000, 'count', {})).rejects.toThrow(/closed/);
  });
});
