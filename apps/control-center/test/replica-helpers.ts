// Helpers for the several-replicas tests: real control-center processes (`node dist/index.js`) on one
// Postgres schema and one Redis key prefix, and a fleet of fake services that records every request.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { KEY, REDIS_URL } from './helpers.js';

const INDEX_JS = fileURLToPath(new URL('../dist/index.js', import.meta.url));

export interface CountingFleet {
  url(i: number): string;
  /** Times (ms since epoch) of the `/health` requests service i received. */
  polls(i: number): number[];
  /** Makes service i fail (/health answers 503) or work again. */
  setDown(i: number, down: boolean): void;
  /** /ready requests being answered right now (a sweep is under way). */
  readonly pendingReady: number;
  stop(): Promise<void>;
}

/** Fake services /s/<i>/health and /s/<i>/ready; /ready answers after `readyDelayMs`. */
export async function startCountingFleet(readyDelayMs: number): Promise<CountingFleet> {
  const polls = new Map<number, number[]>();
  const down = new Set<number>();
  let pendingReady = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const m = /^\/s\/(\d+)\/(health|ready)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    const i = Number(m[1]);
    const at = new Date().toISOString();
    if (m[2] === 'health') {
      polls.set(i, [...(polls.get(i) ?? []), Date.now()]);
      if (down.has(i)) return void res.writeHead(503).end('{}');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', service: `svc-${i}`, version: '1.0.0', timestamp: at }));
    }
    pendingReady++;
    const t = setTimeout(() => {
      timers.delete(t);
      pendingReady--;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ ready: true, service: `svc-${i}`, version: '1.0.0', timestamp: at, checks: { database: { status: 'ok', latency_ms: 1 } }, dependencies: { required: ['database'], optional: [] } }),
      );
    }, readyDelayMs);
    timers.add(t);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (i) => `http://127.0.0.1:${port}/s/${i}`,
    polls: (i) => polls.get(i) ?? [],
    setDown: (i, d) => void (d ? down.add(i) : down.delete(i)),
    get pendingReady() {
      return pendingReady;
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A built entry of this app running as its own process. */
export interface AppProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (a graceful stop) or SIGKILL (kill -9); resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The port its ready log line reports. */
  port: number;
}

/**
 * Starts `entry` (a file of dist/) with `env` and resolves once it logs `ready` (its JSON log line with
 * the port it listens on); rejects with the output so far if it exits first or takes over `timeoutMs`.
 */
export function startAppProcess(entry: string, env: NodeJS.ProcessEnv, ready: string, timeoutMs: number): Promise<AppProcess> {
  const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${ready}: not within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes(`"${ready}"`) && l.endsWith('}'));
      if (!line || child.exitCode !== null) return;
      clearTimeout(timer);
      resolve({ child, output: () => out, kill, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${out}`));
    });
  });
}

export interface Replica extends AppProcess {
  url: string;
}

/** One control-center process; resolves once it listens. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const app = await startAppProcess(
    INDEX_JS,
    { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', API_KEYS: `tester:${KEY}`, REDIS_URL, ...env },
    'control-center ready',
    90_000,
  );
  return { ...app, url: `http://127.0.0.1:${app.port}` };
}

/** Deletes every Redis key under `prefix` (what a Redis restarted without persistence holds of it); how many there were. */
export async function cleanRedisPrefix(prefix: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return deleted;
}
