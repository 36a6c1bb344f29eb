// Every dependency bounded in time, and an outage is a clean 503 naming it: Postgres and Redis sit behind
// base-server's TCP proxy, which refuses (stop) or hangs (a partition: connections open, no bytes pass).
import { afterAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import { sql } from 'kysely';
import {
  closeRedis,
  compositeKey,
  createDatabase,
  createLogger,
  createRedis,
  defineTool,
  markDependency,
  outageOf,
  parseCompositeKey,
  toAppError,
  toolErrorMessage,
  withDeadline,
  z,
  type Database,
} from '../src/index.js';
import { startTcpProxy, type TcpProxy } from '../src/testing.js';
import { KEY, auth, makeService, request, until } from './helpers.js';

const logger = createLogger({ service: 'outages-test', version: '1', level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function proxiedDatabase(options: { queryTimeoutMs?: number; connectTimeoutMs?: number; poolMax?: number } = {}): Promise<{ proxy: TcpProxy; database: Database<unknown> }> {
  const proxy = await startTcpProxy(5432);
  const database = await createDatabase<unknown>({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, logger, queryTimeoutMs: 300, connectTimeoutMs: 500, ...options });
  cleanups.push(async () => {
    proxy.resume();
    await database.close();
    await proxy.stop();
  });
  return { proxy, database };
}

const failure = async (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error('expected a failure'), (err: unknown) => err);

/** What the client sees for an outage: a retryable 503 naming the dependency, no driver text, no host:port. */
function expectOutage(err: unknown, code: string) {
  const appErr = toAppError(err);
  expect({ status: appErr.status, code: appErr.code, retryable: appErr.retryable, retryAfter: appErr.headers['Retry-After'] }).toEqual({
    status: 503,
    code,
    retryable: true,
    retryAfter: '5',
  });
  expect(appErr.message).toMatch(/unavailable, retry shortly/);
  expect(appErr.message).not.toMatch(/127\.0\.0\.1|\d{4,5}|timeout exceeded|ECONN/);
  expect(toolErrorMessage(err)).toBe(appErr.message);
}

describe('composite keys', () => {
  it('never give two different id tuples the same key, whatever separators the ids contain', () => {
    const part = fc.string({ unit: fc.constantFrom('a', ':', '|', '.', '0', '1', '9', '\u0000', '-', '@', '_', '/', ' ') });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 4 }), (a, b) => {
        if (JSON.stringify(a) === JSON.stringify(b)) return;
        expect(compositeKey(...a)).not.toBe(compositeKey(...b));
      }),
      { seed: 14, numRuns: 2_000 },
    );
    fc.assert(fc.property(fc.array(fc.string()), (parts) => expect(parseCompositeKey(compositeKey(...parts))).toEqual(parts)), { seed: 14 });
    expect(compositeKey('acme:prod', 's1')).not.toBe(compositeKey('acme', 'prod:s1'));
  });
});

describe('postgres outages', () => {
  it('a partitioned (hanging) database fails a query within the query timeout, as a 503, and heals', async () => {
    const { proxy, database } = await proxiedDatabase();
    await sql`select 1`.execute(database.db);
    proxy.hang();
    expectOutage(await failure(sql`select 1`.execute(database.db)), 'database_unavailable');
    // The prepared-statement path is bounded the same way.
    expectOutage(await failure(database.prepared({ name: 'outage_select', text: 'select 1 as one' }, [])), 'database_unavailable');
    proxy.resume();
    // The connection that timed out was destroyed, so the next query gets a working one.
    await until(async () => (await sql<{ one: number }>`select 1 as one`.execute(database.db).catch(() => undefined))?.rows[0]?.one === 1, 'postgres to answer again');
  });

  it('a database refusing connections is a 503', async () => {
    const { proxy, database } = await proxiedDatabase();
    await proxy.stop();
    expectOutage(await failure(sql`select 1`.execute(database.db)), 'database_unavailable');
    await proxy.start();
  });

  it('a hanging connection attempt and an exhausted pool are bounded by the connect timeout', async () => {
    const hanging = await proxiedDatabase();
    hanging.proxy.hang();
    expectOutage(await failure(sql`select 1`.execute(hanging.database.db)), 'database_unavailable');

    const { database } = await proxiedDatabase({ poolMax: 1, queryTimeoutMs: 5_000 });
    let release!: () => void;
    let started = false;
    const held = new Promise<void>((r) => (release = r));
    const holding = database.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      started = true;
      await held;
    });
    await until(() => started, 'the transaction to hold the only connection');
    expectOutage(await failure(sql`select 1`.execute(database.db)), 'database_unavailable');
    release();
    await holding;
  });

  it('a database error that is not an outage stays a 500 and its Postgres text does not reach a tool caller', async () => {
    const database = await createDatabase<unknown>({ url: 'postgres://postgres@127.0.0.1:5432/test', logger });
    cleanups.push(() => database.close());
    const err = await failure(sql`select * from no_such_table_anywhere`.execute(database.db));
    expect(outageOf(err)).toBeUndefined();
    expect(toAppError(err).status).toBe(500);
    expect(toolErrorMessage(err)).not.toContain('no_such_table_anywhere');
  });
});

describe('redis outages', () => {
  it('a partitioned Redis fails a command within the command timeout, as a 503 naming Redis', async () => {
    const proxy = await startTcpProxy(6379);
    const redis = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'client', logger, commandTimeoutMs: 200 });
    cleanups.push(async () => {
      proxy.resume();
      await closeRedis(redis);
      await proxy.stop();
    });
    await until(() => redis.status === 'ready', 'redis to connect');
    proxy.hang();
    const err = await failure(redis.get('outages-test:k'));
    expect((err as Error).message).toBe('Command timed out');
    expectOutage(err, 'redis_unavailable');
    proxy.resume();
    await until(async () => (await redis.ping().catch(() => '')) === 'PONG', 'redis to answer again');
  });

  it('a Redis that is down is a 503 naming Redis', async () => {
    const proxy = await startTcpProxy(6379);
    const redis = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'producer', logger });
    cleanups.push(async () => {
      await closeRedis(redis);
      await proxy.stop();
    });
    await until(() => redis.status === 'ready', 'redis to connect');
    await proxy.stop();
    await until(() => redis.status !== 'ready', 'the client to notice');
    expectOutage(await failure(redis.get('outages-test:k')), 'redis_unavailable');
  });
});

describe('calls that outlive their deadline', () => {
  it('are a 503 naming the dependency they were marked with; unmarked, a dependency outage whose tool message is their own sentence', async () => {
    const hang = (message: string) => failure(withDeadline(50, () => new Promise(() => undefined), { message }));
    expectOutage(markDependency(await hang('Redis did not answer within 50 ms'), 'redis'), 'redis_unavailable');
    expectOutage(markDependency(await hang('postgres did not answer within 50 ms'), 'database'), 'database_unavailable');
    const upstream = await hang('observability-mcp did not answer within 50 ms');
    expect(outageOf(upstream)).toBe('dependency');
    expect(toAppError(upstream)).toMatchObject({ status: 503, code: 'dependency_unavailable', headers: { 'Retry-After': '5' } });
    expect(toolErrorMessage(upstream)).toBe('observability-mcp did not answer within 50 ms');
  });
});

describe('an outage at the edges', () => {
  it('answers 503 with the envelope and Retry-After over REST, and the same sentence as isError over MCP', async () => {
    const { proxy, database } = await proxiedDatabase();
    await proxy.stop();
    const count = () => sql<{ n: number }>`select 1 as n`.execute(database.db).then((r) => r.rows.length);
    const { service } = makeService({
      tools: [
        defineTool({
          name: 'count',
          title: 'Count',
          description: 'Counts rows, to prove a database outage reaches a tool caller as a clean sentence.',
          inputSchema: z.object({}),
          outputSchema: z.object({ n: z.number() }),
          annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
          handler: async () => ({ n: await count() }),
        }),
      ],
      routes: (api) => api.route({ method: 'get', path: '/v1/count', summary: 'count', handler: async () => ({ n: await count() }) }),
    });
    const { url } = await service.start();
    cleanups.push(() => service.stop());

    const res = await request(`${url}/v1/count`, { headers: auth() });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ error: { type: 'service_unavailable_error', code: 'database_unavailable', message: 'Database unavailable, retry shortly.' } });

    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    cleanups.push(() => client.close());
    const result = await client.callTool({ name: 'count', arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: 'Database unavailable, retry shortly.' }]);
  });
});
