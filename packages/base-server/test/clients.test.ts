import { afterAll, describe, expect, it } from '@jest/globals';
import { Migrator, sql, type Generated, type Kysely, type Migration } from 'kysely';
import { createDatabase, createRedis, redisCheck, closeRedis, createLogger, createMetrics, Readiness } from '../src/index.js';
import { startTcpProxy, uniqueSchema } from '../src/testing.js';
import { until } from './helpers.js';

const logger = createLogger({ service: 'clients-test', version: '1', level: 'silent' });
const PG = 'postgres://postgres@127.0.0.1:5432/test';

const migrations = {
  '20260101000000_create_notes': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('notes').addColumn('id', 'serial', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('notes').execute();
    },
  },
};

interface NotesDb {
  notes: { id: Generated<number>; body: string };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function readinessFor(check: ReturnType<Awaited<ReturnType<typeof createDatabase>>['check']>) {
  return new Readiness({ service: 't', version: '1', checks: [check], defaultTimeoutMs: 2_000, defaultWarnLatencyMs: 1_000 });
}

describe('postgres through kysely', () => {
  it('runs migrations once into its own schema, queries, and records query durations', async () => {
    const metrics = createMetrics('t', '1', false);
    const schema = uniqueSchema('clients');
    const database = await createDatabase<NotesDb>({ url: PG, schema, logger, metrics });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    });
    expect(database.kind).toBe('postgres');
    expect(await database.migrate(migrations, 'notes')).toEqual(['20260101000000_create_notes']);
    expect(await database.migrate(migrations, 'notes')).toEqual([]);
    const inserts = async () => Number(/db_query_duration_seconds_count\{[^}]*kind="insert"[^}]*\} (\d+)/.exec(await metrics.registry.metrics())?.[1] ?? 0);
    const before = await inserts();
    await database.db.insertInto('notes').values({ body: 'hello' }).execute();
    expect(await inserts()).toBe(before + 1);
    const rows = await database.db.selectFrom('notes').select(['body']).execute();
    expect(rows).toEqual([{ body: 'hello' }]);
    const where = await sql<{ schemaname: string }>`select schemaname from pg_tables where tablename = 'notes' and schemaname = ${schema}`.execute(database.db);
    expect(where.rows).toHaveLength(1);
  });

  it('goes error when the Postgres server is unreachable, and ok again when it is back', async () => {
    const proxy = await startTcpProxy(5432);
    cleanups.push(() => proxy.stop());
    const database = await createDatabase({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, logger, connectTimeoutMs: 1_000 });
    cleanups.push(() => database.close());
    const readiness = readinessFor(database.check());
    expect((await readiness.evaluate()).checks.database?.status).toBe('ok');
    await proxy.stop();
    const down = await readiness.evaluate();
    expect(down.ready).toBe(false);
    expect(down.checks.database?.status).toBe('error');
    expect(down.errors?.[0]).toMatch(/^database check failed: /);
    await proxy.start();
    await until(async () => (await readiness.evaluate()).checks.database?.status === 'ok', 'postgres to be reachable again');
  });

  it('falls back to an embedded PGlite database when no DATABASE_URL is set', async () => {
    const database = await createDatabase<NotesDb>({ logger, schema: 'app' });
    cleanups.push(() => database.close());
    expect(database.kind).toBe('pglite');
    await database.migrate(migrations, 'notes');
    await database.db.insertInto('notes').values({ body: 'embedded' }).execute();
    expect(await database.db.selectFrom('notes').select('body').execute()).toEqual([{ body: 'embedded' }]);
    expect((await readinessFor(database.check()).evaluate()).checks.database?.status).toBe('ok');
  });

  it('reports which migration failed', async () => {
    const schema = uniqueSchema('badmig');
    const database = await createDatabase({ url: PG, schema, logger });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    });
    await expect(
      database.migrate({
        '20260101000000_broken': {
          async up(db: Kysely<unknown>) {
            await sql`create table oops (`.execute(db);
          },
        },
      }, 'notes'),
    ).rejects.toThrow(/^notes: migration 20260101000000_broken failed: /);
  });

  it('lets two processes migrate the same new schema at once (one applies, neither fails)', async () => {
    const schema = uniqueSchema('race');
    const a = await createDatabase({ url: PG, schema, logger });
    const b = await createDatabase({ url: PG, schema, logger });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(a.db);
      await a.close();
      await b.close();
    });
    const [ra, rb] = await Promise.all([a.migrate(migrations, 'notes'), b.migrate(migrations, 'notes')]);
    expect([...ra, ...rb]).toEqual(['20260101000000_create_notes']);
  });

  const tableMigrations = (table: string): Record<string, Migration> => ({
    [`20261122_0001_${table}`]: {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable(table).addColumn('id', 'serial', (c) => c.primaryKey()).execute();
      },
    },
  });
  const tablesIn = async (database: { db: Kysely<unknown> }, schema: string) =>
    (await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = ${schema} order by tablename`.execute(database.db)).rows.map((r) => r.tablename);

  async function schemaDatabase(prefix: string) {
    const schema = uniqueSchema(prefix);
    const database = await createDatabase({ url: PG, schema, logger });
    cleanups.push(async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    });
    return { schema, database };
  }

  it('lets two apps keep their migrations in one database, each in its own table', async () => {
    const { schema, database } = await schemaDatabase('twoapps');
    expect(await database.migrate(tableMigrations('alpha_things'), 'alpha-app')).toEqual(['20261122_0001_alpha_things']);
    expect(await database.migrate(tableMigrations('beta_things'), 'beta-app')).toEqual(['20261122_0001_beta_things']);
    // Each restart of either finds its own history and nothing to do.
    expect(await database.migrate(tableMigrations('alpha_things'), 'alpha-app')).toEqual([]);
    expect(await database.migrate(tableMigrations('beta_things'), 'beta-app')).toEqual([]);
    expect(await tablesIn(database, schema)).toEqual(['alpha_app_migration', 'alpha_app_migration_lock', 'alpha_things', 'beta_app_migration', 'beta_app_migration_lock', 'beta_things']);
  });

  it('adopts the history of an existing database from kysely_migration, so nothing runs twice', async () => {
    const { schema, database } = await schemaDatabase('legacy');
    // How every app migrated before: kysely's default table, in the app's schema.
    const legacy = new Migrator({ db: database.db, migrationTableSchema: schema, provider: { getMigrations: async () => tableMigrations('alpha_things') } });
    expect((await legacy.migrateToLatest()).error).toBeUndefined();
    expect(await database.migrate(tableMigrations('alpha_things'), 'alpha-app')).toEqual([]);
    const own = await sql<{ name: string }>`select name from ${sql.id(schema, 'alpha_app_migration')}`.execute(database.db);
    expect(own.rows.map((r) => r.name)).toEqual(['20261122_0001_alpha_things']);
    // A second app pointed at the same database now starts instead of finding alpha's history "corrupted".
    expect(await database.migrate(tableMigrations('beta_things'), 'beta-app')).toEqual(['20261122_0001_beta_things']);
  });

  it('says which app and what to do when the database holds a migration the app does not have', async () => {
    const { database } = await schemaDatabase('mismatch');
    await database.migrate({ ...tableMigrations('alpha_things'), ...tableMigrations('alpha_more') }, 'alpha-app');
    await expect(database.migrate(tableMigrations('alpha_things'), 'alpha-app')).rejects.toThrow(
      /^alpha-app: the database records migration 20261122_0001_alpha_more in \w+\.alpha_app_migration, which this version of alpha-app does not have\. Run the alpha-app version that applied it .*, or give alpha-app a database of its own \(DATABASE_URL\)\.$/,
    );
  });

  it('rejects an unsafe schema name', async () => {
    await expect(createDatabase({ url: PG, schema: 'x; drop table y', logger })).rejects.toThrow('invalid schema name');
  });
});

describe('redis through ioredis', () => {
  it('a producer fails fast while Redis is down, the check goes error, and both heal when Redis is back', async () => {
    const proxy = await startTcpProxy(6379);
    cleanups.push(() => proxy.stop());
    const redis = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'producer', logger, name: 'test-producer' });
    cleanups.push(() => closeRedis(redis));
    const readiness = new Readiness({ service: 't', version: '1', checks: [redisCheck(redis)], defaultTimeoutMs: 2_000, defaultWarnLatencyMs: 1_000 });
    await until(() => redis.status === 'ready', 'redis to connect');
    expect((await readiness.evaluate()).checks.queue?.status).toBe('ok');
    await proxy.stop();
    await until(() => redis.status !== 'ready', 'the client to notice Redis is gone');
    const down = await readiness.evaluate();
    expect(down.checks.queue).toMatchObject({ status: 'error', message: expect.stringContaining('redis is') });
    await expect(redis.set('k', 'v')).rejects.toThrow();
    await proxy.start();
    await until(async () => (await readiness.evaluate()).checks.queue?.status === 'ok', 'redis to be reachable again', 15_000);
    expect(await redis.ping()).toBe('PONG');
  });

  it('a worker connection waits for Redis instead of failing commands', async () => {
    const proxy = await startTcpProxy(6379);
    cleanups.push(() => proxy.stop());
    const redis = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'worker', logger });
    cleanups.push(() => closeRedis(redis));
    await until(() => redis.status === 'ready', 'redis to connect');
    await proxy.stop();
    await until(() => redis.status !== 'ready', 'the client to notice Redis is gone');
    const pending = redis.ping();
    await proxy.start();
    expect(await pending).toBe('PONG');
  });
});
