// Test helpers: real Postgres (own schema per file), real Redis (own prefixes per file), a local
// OpenAI-compatible fake LLM server, the real worker process, and an SDK MCP client.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createLogger, type Logger } from '@factory/base-server';
import { captureLogs, dropSchema as dropTestSchema, uniqueSchema } from '@factory/base-server/testing';
import { parseMemoryConfig, type MemoryConfig } from '../src/config.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const KEY_A = 'alice-key-0123456789abcdef';
export const KEY_B = 'bobby-key-0123456789abcdef';

/** Settings for one test file: its own schema, queue prefix and cache prefix. */
export function isolatedEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const schema = uniqueSchema(prefix);
  return {
    PORT: '0',
    LOG_LEVEL: 'warn',
    API_KEYS: `alice:${KEY_A},bob:${KEY_B}`,
    RATE_LIMIT_PER_MINUTE: '0',
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: `test_${schema}`,
    CACHE_PREFIX: `test_${schema}:`,
    // Under the cache prefix, so cleanRedis removes the shared rate-limit keys too.
    RATE_LIMIT_KEY_PREFIX: `test_${schema}:rate-limit:`,
    COMPRESSION_BACKOFF_MS: '100',
    ...extra,
  };
}

export function testConfig(env: Record<string, string>): MemoryConfig {
  return parseMemoryConfig(env);
}

export function quietLogger(): { logs: ReturnType<typeof captureLogs>; logger: Logger } {
  const logs = captureLogs();
  return { logs, logger: createLogger({ service: 'memory-test', version: '0', level: 'info', destination: logs.stream }) };
}

export const dropSchema = (schema: string | undefined): Promise<void> => dropTestSchema(PG_URL, schema);

export async function countRows(schema: string, sqlText: string, params: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(sqlText, params);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}

export async function mcpClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'memory-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

export async function rest(url: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export type LlmMode = 'ok' | 'hang' | 'fail';

/** A local OpenAI-compatible server: POST /v1/chat/completions. Records every request body. */
export interface FakeLlm {
  url: string;
  mode: LlmMode;
  requests: Array<{ model: string; messages: Array<{ role: string; content: string }> }>;
  /** Drops connections held in `hang` mode. */
  releaseHanging(): void;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const hanging = new Set<ServerResponse>();
  const state: FakeLlm = {
    url: '',
    mode: 'ok',
    requests: [],
    releaseHanging() {
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as FakeLlm['requests'][number];
      state.requests.push(body);
      if (state.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (state.mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"model overloaded"}}');
        return;
      }
      const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
      const newTurns = user.split('\n').filter((l) => l.startsWith('[')).length;
      const answer = { choices: [{ message: { role: 'assistant', content: `LLM summary #${state.requests.length} of ${newTurns} new turns` } }], usage: { prompt_tokens: 100, completion_tokens: 10 } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      state.releaseHanging();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

const WORKER_JS = fileURLToPath(new URL('../dist/worker.js', import.meta.url));
const API_JS = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** A real process of this app (`node dist/worker.js`, `node dist/index.js`), started and ready. */
export interface WorkerProcess {
  port: number;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The real worker process (`node dist/worker.js`); resolves once it logs that it is ready. */
export function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  return startProcess(WORKER_JS, { ...env, PORT: '', WORKER_PORT: '0' }, 'memory-worker');
}

/** The real memory API process (`node dist/index.js`) on a free port; resolves once it logs that it is ready. */
export function startApi(env: Record<string, string>): Promise<WorkerProcess> {
  return startProcess(API_JS, { ...env, PORT: '0' }, 'memory');
}

function startProcess(script: string, env: Record<string, string>, name: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let ready = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 30_000);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (ready) return;
      for (const line of out.split('\n')) {
        if (!line.includes(`"${name} ready"`)) continue;
        ready = true;
        clearTimeout(timer);
        const port = (JSON.parse(line) as { port: number }).port;
        resolve({ port, child, output: () => out, kill });
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
}

/** Deletes every Redis key a test file created (its queue and cache prefixes). */
export async function cleanRedis(env: Record<string, string>, url = REDIS_URL): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  for (const pattern of [`${env.QUEUE_PREFIX}:*`, `${env.CACHE_PREFIX}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }
  await redis.quit();
}
