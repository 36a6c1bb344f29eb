// Test helpers: real HTTP services (built on base-server, as every Factory service is), a hanging
// server, and a control center built in-process against the real Postgres.
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createLogger, createService, defineTool, parseConfig, baseConfigSchema, z, type Service } from '@factory/base-server';
import { captureLogs, dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { parseControlCenterConfig } from '../src/config.js';
import { createControlCenter, type ControlCenterDeps } from '../src/app.js';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const KEY = 'cc-test-key-0123456789abcdef';
export const UPSTREAM_KEY = 'upstream-key-0123456789abcdef';

const silent = () => createLogger({ service: 'fixture', version: '0.0.0', level: 'silent' });

export interface Fixture {
  service: Service;
  url: string;
  /** Makes the named dependency fail (true) or pass (false). */
  setFailing(dep: string, failing: boolean): void;
  /** Makes the named dependency report not_configured with this message (undefined: configured again). */
  setNotConfigured(dep: string, message: string | undefined): void;
  stop(): Promise<void>;
}

/**
 * A real Factory-style service: /health, /ready with the given dependencies (each can be switched
 * to failing), and, when `tools` is set, MCP tools at /mcp (one read-only, one that writes).
 */
export async function startFixture(name: string, opts: { deps?: Array<{ name: string; required: boolean }>; tools?: boolean; port?: number } = {}): Promise<Fixture> {
  const failing = new Set<string>();
  const notConfigured = new Map<string, string>();
  const config = parseConfig(baseConfigSchema, { PORT: String(opts.port ?? 0), LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}` });
  const tools = opts.tools
    ? [
        defineTool({
          name: 'list_things',
          title: 'List things',
          description: 'Lists things. Read-only.',
          inputSchema: z.object({ limit: z.number().int().min(1).max(10).default(3) }),
          outputSchema: z.object({ things: z.array(z.string()) }),
          annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
          handler: async ({ limit }) => ({ things: Array.from({ length: limit }, (_, i) => `thing-${i}`) }),
        }),
        defineTool({
          name: 'delete_thing',
          title: 'Delete a thing',
          description: 'Deletes a thing.',
          inputSchema: z.object({ id: z.string() }),
          outputSchema: z.object({ deleted: z.boolean() }),
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
          handler: async () => {
            throw new Error('the control center must never call this');
          },
        }),
      ]
    : undefined;
  const service = createService({
    name,
    version: '2.0.0',
    config,
    logger: silent(),
    ...(tools ? { tools } : {}),
    checks: (opts.deps ?? [{ name: 'database', required: true }]).map((d) => ({
      name: d.name,
      required: d.required,
      run: () => {
        if (failing.has(d.name)) throw new Error(`${d.name} is unreachable`);
        const message = notConfigured.get(d.name);
        if (message !== undefined) return { status: 'not_configured' as const, message };
      },
    })),
  });
  const { url } = await service.start();
  return {
    service,
    url,
    setFailing: (dep, f) => (f ? failing.add(dep) : failing.delete(dep)),
    setNotConfigured: (dep, message) => (message === undefined ? notConfigured.delete(dep) : notConfigured.set(dep, message)),
    stop: async () => {
      await service.stop();
    },
  };
}

/** A TCP server that accepts connections and never answers (a hung process). */
export async function startHangingServer(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

export async function buildControlCenter(env: Record<string, string>, deps: ControlCenterDeps = {}) {
  const logs = captureLogs();
  const config = parseControlCenterConfig({
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: PG_URL,
    API_KEYS: `tester:${KEY}`,
    SERVICES_API_KEY: UPSTREAM_KEY,
    POLLER_ENABLED: 'false',
    ...env,
  });
  const logger = createLogger({ service: 'control-center', version: 'test', level: 'info', destination: logs.stream });
  const schema = uniqueSchema('cc');
  const cc = await createControlCenter(config, { logger, schema, ...deps });
  // Stopping the service also drops its schema: test runs leave the shared database as they found it.
  const stop = cc.service.stop.bind(cc.service);
  cc.service.stop = async () => {
    const stopped = await stop();
    await dropSchema(PG_URL, schema);
    return stopped;
  };
  return { ...cc, logs, config };
}

export function authed(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { Authorization: `Bearer ${KEY}`, ...(init.headers as Record<string, string> | undefined) } });
}

export async function pollUntil<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const services = (list: Array<Record<string, unknown>>) => JSON.stringify(list);

/** Response bodies in tests are checked field by field; `any` keeps those assertions readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export const json = (res: Response): Promise<Json> => res.json() as Promise<Json>;

/**
 * A fleet of simulated Factory services behind one port, in a child process (so it does not share the
 * control center's event loop): the same fleet the benchmark polls, bench/servers/control-center-fleet.mjs.
 * Indexes in `hang` never answer /ready (mode 'ready') or anything (mode 'all').
 */
export async function startFleet(opts: { hang?: ReadonlySet<number>; mode?: 'ready' | 'all' } = {}) {
  const { fork } = await import('node:child_process');
  const child = fork(fileURLToPath(new URL('../../../bench/servers/control-center-fleet.mjs', import.meta.url)), [], {
    env: { ...process.env, NODE_OPTIONS: '', HANG: [...(opts.hang ?? [])].join(','), HANG_MODE: opts.mode ?? 'ready' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m) => resolve((m as { port: number }).port));
  });
  return {
    url: (i: number) => `http://127.0.0.1:${port}/s/${i}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A TCP proxy in front of a real server whose `hang()` keeps every connection open but stops
 * forwarding in both directions (a network partition: no error, no answer); `heal()` resumes.
 */
export async function startPartitionableProxy(targetPort: number) {
  const pairs = new Set<[Socket, Socket]>();
  let hanging = false;
  const server = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(targetPort, '127.0.0.1', () => {
      client.on('data', (d) => void (hanging || upstream.write(d)));
      upstream.on('data', (d) => void (hanging || client.write(d)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    hang: () => void (hanging = true),
    heal: () => void (hanging = false),
    stop: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
