// Several control-center processes on one Postgres schema and one Redis prefix: every service is
// polled once per interval across them (counted at the fake services), the work is spread, one
// incident per outage, a replica killed mid-sweep has its services covered by the others within an
// interval, and every replica serves the whole fleet.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import pg from 'pg';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { authed, json, KEY, PG_URL, pollUntil } from './helpers.js';
import { cleanRedisPrefix, startCountingFleet, startReplica, type CountingFleet, type Replica } from './replica-helpers.js';

const COUNT = 12;
const INTERVAL = 1_000;
const READY_DELAY = 250;
/** SHUTDOWN_TIMEOUT_MS, base-server's documented bound on a graceful stop (its default). */
const SHUTDOWN_BOUND = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fleet: CountingFleet;
let client: pg.Client;
let schema: string;
let prefix: string;
let replicas: Replica[] = [];

const env = (over: Record<string, string> = {}) => ({
  DATABASE_URL: PG_URL,
  DATABASE_SCHEMA: schema,
  POLLER_QUEUE_PREFIX: prefix,
  POLL_SHARDS: '6',
  POLL_INTERVAL_MS: String(INTERVAL),
  POLL_JITTER: '0',
  HEALTH_TIMEOUT_MS: '800',
  READY_TIMEOUT_MS: '800',
  INCIDENT_FAILURE_THRESHOLD: '2',
  SERVICES: JSON.stringify(Array.from({ length: COUNT }, (_, i) => ({ name: `svc-${i}`, url: fleet.url(i), mcp: false }))),
  ...over,
});

/**
 * One replica; started again when start-up failed because the migration lock, which kysely takes
 * database-wide, was held past the statement timeout by another test file's migrations.
 */
async function startOne(over: Record<string, string> = {}): Promise<Replica> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startReplica(env(over));
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('statement timeout')) throw err;
    }
  }
}

async function start(n: number, over: Record<string, string> = {}): Promise<void> {
  // The first creates the schema and the schedulers; the others join it.
  for (let i = 0; i < n; i++) replicas.push(await startOne(over));
  // Every replica takes its share once each counts the others.
  await pollUntil(async () => (await writers()).size === n || undefined, 20_000, 200);
}

/** The replicas that wrote the latest poll of some service. */
async function writers(): Promise<Set<string>> {
  const { rows } = await client.query<{ swept_by: string }>(`select distinct swept_by from "${schema}".service_state where poll is not null`).catch(() => ({ rows: [] }));
  return new Set(rows.map((r) => r.swept_by));
}

interface SlowUpload {
  /** Resolves once the request's headers and the first half of its body are sent. */
  started: Promise<void>;
  /** Sends the rest of the body; resolves whether an answer came (any status). The connection stays open, as a load balancer's would. */
  finish(): Promise<boolean>;
  close(): void;
}

/** POST /mcp over a keep-alive connection, its body sent in two halves: a request held in flight. */
function slowUpload(url: string): SlowUpload {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
  const agent = new http.Agent({ keepAlive: true });
  let answer: (ok: boolean) => void = () => undefined;
  const answered = new Promise<boolean>((r) => (answer = r));
  const req = http.request(`${url}/mcp`, {
    method: 'POST',
    agent,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(Buffer.byteLength(body)) },
  });
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => answer(true));
  });
  req.on('error', () => answer(false));
  const started = new Promise<void>((r) => req.write(body.slice(0, 10), () => r()));
  return {
    started,
    finish: async () => {
      req.end(body.slice(10));
      return answered;
    },
    close: () => agent.destroy(),
  };
}

/** Polls of each service in [from, to). */
const pollsIn = (from: number, to: number) => Array.from({ length: COUNT }, (_, i) => fleet.polls(i).filter((t) => t >= from && t < to));

beforeAll(async () => {
  fleet = await startCountingFleet(READY_DELAY);
  client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
});

afterAll(async () => {
  await client.end();
  await fleet.stop();
});

afterEach(async () => {
  // Teardown only: a graceful stop first, kill -9 for a replica still draining after 15 s on a loaded host.
  await Promise.all(
    replicas.map(async (r) => {
      const forced = setTimeout(() => void r.kill('SIGKILL'), 15_000);
      await r.kill('SIGTERM');
      clearTimeout(forced);
    }),
  );
  replicas = [];
  await dropSchema(PG_URL, schema);
  await cleanRedisPrefix(prefix);
}, 60_000);

const fresh = () => {
  schema = uniqueSchema('ccrep');
  prefix = `cc-rep-${randomBytes(4).toString('hex')}`;
};

describe('control center on several replicas', () => {
  test.each([2, 3])('with %i replicas every service is polled once per interval, the shards spread over all of them, and each serves the whole fleet', async (n) => {
    fresh();
    await start(n);
    const from = Date.now();
    await sleep(6 * INTERVAL);
    const to = Date.now();
    // Six intervals: six polls of each service (five or seven when a job runs late at an edge of the
    // window on a loaded machine); replicas polling on their own would make it twelve or eighteen.
    expect(pollsIn(from, to).map((times, i) => ({ service: i, polls: Math.min(7, Math.max(5, times.length)) === times.length }))).toEqual(
      Array.from({ length: COUNT }, (_, i) => ({ service: i, polls: true })),
    );
    expect((await writers()).size).toBe(n);
    for (const r of replicas) {
      const body = await json(await authed(`${r.url}/api/mcp/health`));
      const names = (body.services as Array<{ name: string; status: string }>).map((s) => s.name).sort();
      expect(names).toHaveLength(COUNT);
      expect((body.services as Array<{ status: string }>).every((s) => s.status === 'up')).toBe(true);
      // /metrics too: every service's gauges, not only the shards this replica swept last.
      const metrics = await (await authed(`${r.url}/metrics`)).text();
      const dependencyOk = Array.from({ length: COUNT }, (_, i) => new RegExp(`^dependency_check_success\\{service="svc-${i}",dependency="database"[^}]*\\} 1$`, 'm').test(metrics));
      expect(dependencyOk).toEqual(Array.from({ length: COUNT }, () => true));
      expect(metrics.match(/^service_ready\{service="svc-\d+"[^}]*\} 1$/gm)).toHaveLength(COUNT);
    }
  }, 240_000);

  test('an outage opens one incident and resolves it once, whichever replicas sweep the service', async () => {
    fresh();
    await start(3);
    fleet.setDown(5, true);
    const opened = await pollUntil(async () => {
      const { rows } = await client.query(`select * from "${schema}".incidents where service = 'svc-5'`);
      return rows.length > 0 ? rows : undefined;
    }, 20_000, 100);
    expect(opened).toHaveLength(1);
    await sleep(3 * INTERVAL); // more failing sweeps, by whichever replicas take the shard
    fleet.setDown(5, false);
    await pollUntil(async () => {
      const { rows } = await client.query(`select * from "${schema}".incidents where service = 'svc-5' and resolved_at is not null`);
      return rows.length > 0 || undefined;
    }, 20_000, 100);
    await sleep(2 * INTERVAL);
    // One incident for the outage (on a loaded machine a timed-out probe elsewhere may open its own).
    const { rows } = await client.query<{ service: string; resolved_at: Date | null }>(`select service, resolved_at from "${schema}".incidents where service = 'svc-5'`);
    expect(rows).toEqual([{ service: 'svc-5', resolved_at: expect.any(Date) }]);
    // Every replica shows it from the shared database.
    for (const r of replicas) {
      const body = await json(await authed(`${r.url}/api/incidents?service=svc-5`));
      expect(body.incidents).toHaveLength(1);
      expect(body.incidents[0].resolved_at).not.toBeNull();
    }
  }, 240_000);

  test('a replica killed (kill -9) mid-sweep has its services polled by the others within one interval, still once per interval', async () => {
    fresh();
    await start(3);
    await pollUntil(() => fleet.pendingReady > 0 || undefined, 10_000, 5); // a sweep is under way on every replica
    const victim = replicas[0] as Replica;
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    replicas = replicas.slice(1);
    // The interval under way when it died, then the next one: every service polled after the kill.
    await sleep(INTERVAL + 900 + READY_DELAY);
    const covered = pollsIn(killedAt, Date.now());
    expect(covered.map((t, i) => ({ service: i, polled: t.length > 0 }))).toEqual(Array.from({ length: COUNT }, (_, i) => ({ service: i, polled: true })));
    // And from then on, once per interval by the two left.
    const from = Date.now();
    await sleep(4 * INTERVAL);
    expect(pollsIn(from, Date.now()).map((times, i) => ({ service: i, polls: Math.min(5, Math.max(3, times.length)) === times.length }))).toEqual(
      Array.from({ length: COUNT }, (_, i) => ({ service: i, polls: true })),
    );
    expect((await writers()).size).toBeLessThanOrEqual(3);
  }, 240_000);

  test('SIGTERM to three replicas while a sweep is in flight: each drains and exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    fresh();
    // /ready hangs far past its 5 s timeout (the default), so every sweep has probes in flight.
    const hanging = await startCountingFleet(60_000);
    try {
      const services = Array.from({ length: COUNT }, (_, i) => ({ name: `svc-${i}`, url: hanging.url(i), mcp: false }));
      await start(3, { SERVICES: JSON.stringify(services), READY_TIMEOUT_MS: '5000', HEALTH_TIMEOUT_MS: '1000', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND) });
      await pollUntil(() => hanging.pendingReady > 0 || undefined, 20_000, 5);
      // And a request in flight on each replica (its body still coming) when SIGTERM arrives: answered
      // after the signal, its keep-alive connection must not hold the drain.
      const uploads = replicas.map((r) => slowUpload(r.url));
      await Promise.all(uploads.map((u) => u.started));
      await sleep(200); // accepted and parsed: each replica's express is waiting for the body
      const t0 = Date.now();
      const exits = await Promise.all(
        replicas.map(async (r, i) => {
          const forced = setTimeout(() => void r.kill('SIGKILL'), 3 * SHUTDOWN_BOUND);
          const exited = r.kill('SIGTERM');
          await sleep(300);
          const upload = uploads[i] as SlowUpload;
          const answered = await upload.finish();
          await exited;
          upload.close();
          clearTimeout(forced);
          const closed = r.output().split('\n').filter((l) => l.includes('"msg":"closed"')).length;
          return { answered, code: r.child.exitCode, signal: r.child.signalCode, withinBound: Date.now() - t0 < SHUTDOWN_BOUND, timedOut: r.output().includes('shutdown did not finish in time'), closed: closed > 0 };
        }),
      );
      replicas = [];
      expect(exits).toEqual(Array.from({ length: 3 }, () => ({ answered: true, code: 0, signal: null, withinBound: true, timedOut: false, closed: true })));
    } finally {
      await hanging.stop();
    }
  }, 240_000);
});
