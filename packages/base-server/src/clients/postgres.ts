// Postgres through kysely (0.28.x) with house defaults, or an embedded PGlite when no DATABASE_URL is
// configured, so a machine with nothing installed can still run the whole system.
import { performance } from 'node:perf_hooks';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { Kysely, PostgresDialect, Migrator, sql, type Migration, type MigrationProvider, type LogEvent } from 'kysely';
import { Histogram } from 'prom-client';
import { markDependency } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from '../metrics.js';
import type { ReadinessCheck } from '../readiness.js';

export interface DatabaseOptions {
  /** postgres://… ; when absent an embedded PGlite database is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files (absent: in memory). */
  pgliteDataDir?: string | undefined;
  /** PGlite extensions to load (e.g. `{ vector }` from `@electric-sql/pglite/vector`); PGlite only. */
  pgliteExtensions?: Record<string, unknown> | undefined;
  /** A schema to work in (created by migrate()); lets test files and tenants share one database. */
  schema?: string | undefined;
  logger: Logger;
  metrics?: ServiceMetrics | undefined;
  applicationName?: string;
  poolMax?: number;
  /**
   * Longest wait for a connection: opening a new one, or waiting for a free one when the pool is
   * exhausted (pg-pool applies the one setting to both). Default 5000 ms.
   */
  connectTimeoutMs?: number;
  /**
   * Longest wait for one query's answer, measured on the client (pg's query_timeout), so it fires even
   * when the network is cut: the server's statement_timeout is this, the client gives up 1 s later.
   * Default 10000 ms.
   */
  queryTimeoutMs?: number;
  slowQueryMs?: number;
}

/** The defaults of DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS. */
export const DEFAULT_DATABASE_TIMEOUTS = { connectTimeoutMs: 5_000, queryTimeoutMs: 10_000 } as const;

type QueryFn = (...args: unknown[]) => unknown;

/**
 * A query that timed out on the client side may still be running on the connection (or the connection is
 * dead): the connection is destroyed, so the pool replaces it instead of queueing the next query behind it.
 */
function destroyConnectionOnTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFn;
  const check = (err: unknown) => {
    if (err instanceof Error && err.message === 'Query read timeout') (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  };
  (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => {
        if (err) check(err);
        (last as (e: unknown, r: unknown) => void)(err, res);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) result.catch(check);
    return result;
  };
}

export interface Database<DB> {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /**
   * Creates the schema if one was configured, then applies pending migrations. `app` names whose
   * migrations these are: each app keeps its own migration table, so any set of apps can share one
   * database (and the processes of one app, the memory API and worker, share theirs).
   */
  migrate(migrations: Record<string, Migration>, app: string): Promise<string[]>;
  /**
   * Runs a hot statement as a named prepared statement: parsed and planned once per connection instead
   * of on every call (on PGlite, a plain query). `name` must be unique per statement text.
   */
  prepared<R>(statement: PreparedStatement, values: readonly unknown[]): Promise<R[]>;
  /** A readiness check named `database`. */
  check(options?: Partial<Pick<ReadinessCheck, 'required' | 'timeoutMs'>>): ReadinessCheck;
  close(): Promise<void>;
}

export interface PreparedStatement {
  name: string;
  text: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function queryHistogram(metrics: ServiceMetrics | undefined): Histogram<'kind'> | undefined {
  if (!metrics) return undefined;
  const existing = metrics.registry.getSingleMetric('db_query_duration_seconds');
  if (existing) return existing as Histogram<'kind'>;
  return new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Database query duration by statement kind (select, insert, update, delete, other)',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [metrics.registry],
  });
}

function statementKind(sqlText: string): string {
  const word = /^\s*(\w+)/.exec(sqlText)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'with'].includes(word) ? word : 'other';
}

export async function createDatabase<DB>(options: DatabaseOptions): Promise<Database<DB>> {
  const { logger } = options;
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name "${options.schema}": use lower-case letters, digits and _`);
  }
  const histogram = queryHistogram(options.metrics);
  const slowMs = options.slowQueryMs ?? 500;
  const record = (sqlText: string, ms: number, failed: boolean, error?: unknown) => {
    histogram?.observe({ kind: statementKind(sqlText) }, ms / 1000);
    if (failed) {
      markDependency(error, 'database');
      logger.warn({ err: { message: (error as Error)?.message, code: (error as { code?: string })?.code }, sql: sqlText.slice(0, 500), ms: Math.round(ms) }, 'query failed');
    } else if (ms > slowMs) {
      logger.warn({ sql: sqlText.slice(0, 500), ms: Math.round(ms) }, 'slow query');
    }
  };
  const log = (event: LogEvent) => record(event.query.sql, event.queryDurationMillis, event.level === 'error', event.level === 'error' ? event.error : undefined);

  let db: Kysely<DB>;
  let kind: Database<DB>['kind'];
  let run: (statement: PreparedStatement, values: unknown[]) => Promise<{ rows: unknown[] }>;
  let closeDriver: () => Promise<void>;
  if (options.url) {
    kind = 'postgres';
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.queryTimeoutMs;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      // The server cancels a slow statement itself (a clean 57014 on a live connection); the client-side
      // timer, 1 s later, covers a connection on which no answer can arrive at all.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 1_000,
      idle_in_transaction_session_timeout: 60_000,
      application_name: options.applicationName ?? 'factory',
      ...(options.schema ? { options: `-c search_path=${options.schema},public` } : {}),
    });
    // A client losing its connection emits 'error': on the pool while idle, on the client itself while
    // checked out (kysely attaches no listener). Without a listener either one kills the process, so
    // every client gets one for life. Only the message is logged: pg errors carry the client object.
    const onClientError = (err: Error & { code?: string }) => logger.warn({ err: { message: err.message, code: err.code } }, 'postgres connection error');
    pool.on('error', onClientError);
    pool.on('connect', (client) => {
      client.on('error', onClientError);
      destroyConnectionOnTimeout(client);
    });
    // Failing to get a connection (refused, timed out, pool exhausted) is marked as the database's.
    const kyselyPool = {
      connect: () => pool.connect().catch((err: unknown) => Promise.reject(markDependency(err, 'database'))),
      end: () => pool.end(),
    };
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool }), log });
    run = (statement, values) => pool.query({ name: statement.name, text: statement.text, values });
    closeDriver = () => db.destroy();
  } else {
    kind = 'pglite';
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
    if (options.pgliteDataDir) mkdirSync(options.pgliteDataDir, { recursive: true });
    const extensions = (options.pgliteExtensions ?? {}) as NonNullable<ConstructorParameters<typeof PGlite>[0]>['extensions'];
    const pglite = new PGlite({ ...(options.pgliteDataDir ? { dataDir: options.pgliteDataDir } : {}), extensions });
    await pglite.waitReady;
    if (options.schema) {
      await pglite.exec(`create schema if not exists "${options.schema}"; set search_path to "${options.schema}", public;`);
    }
    logger.warn({ dataDir: options.pgliteDataDir ?? '(memory)' }, 'DATABASE_URL is not set: using an embedded PGlite database (for local use only)');
    db = new Kysely<DB>({ dialect: new PGliteDialect(pglite), log });
    run = (statement, values) => pglite.query(statement.text, values);
    closeDriver = async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    };
  }

  return {
    db,
    kind,
    async prepared<R>(statement: PreparedStatement, values: readonly unknown[]): Promise<R[]> {
      const started = performance.now();
      // The same metrics and logs as queries through kysely.
      try {
        const { rows } = await run(statement, [...values]);
        record(statement.text, performance.now() - started, false);
        return rows as R[];
      } catch (error) {
        record(statement.text, performance.now() - started, true, error);
        throw error;
      }
    },
    async migrate(migrations, app) {
      if (options.schema) {
        try {
          await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
        } catch (err) {
          // Two processes creating the same schema at once: one wins, the other sees a duplicate
          // (23505 / 42P06) even with IF NOT EXISTS. The schema exists either way.
          const code = (err as { code?: string }).code;
          if (code !== '23505' && code !== '42P06') throw err;
        }
      }
      return runMigrations(db, migrations, logger, { app, ...(options.schema ? { schema: options.schema } : {}) });
    },
    check(opts = {}) {
      return {
        name: 'database',
        required: opts.required ?? true,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        async run() {
          const started = performance.now();
          await sql`select 1`.execute(db);
          return { details: { driver: kind, query_ms: Math.round(performance.now() - started) } };
        },
      };
    },
    close: closeDriver,
  };
}

/** Migrations are frozen in time and supplied statically, so they work under jest and in bundles. */
class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/** kysely's default table, where every app kept its migrations before each had its own. */
const LEGACY_MIGRATION_TABLE = 'kysely_migration';
const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** The app's own migration and lock tables: `memory_migration`, `control_center_migration_lock`. */
export function migrationTables(app: string): { table: string; lockTable: string } {
  if (!APP_NAME.test(app)) throw new Error(`invalid app name "${app}" for migrations: use lower-case letters, digits and -`);
  const table = `${app.replaceAll('-', '_')}_migration`;
  return { table, lockTable: `${table}_lock` };
}

/**
 * A database migrated before apps had their own tables keeps its history in kysely_migration: the
 * first time an app's own table is missing there, it is created with kysely's columns and the app's
 * rows are copied into it, so nothing runs twice. The old table is left as it is (read-only from now).
 */
async function adoptLegacyMigrations<DB>(db: Kysely<DB>, names: string[], table: string, schema: string | undefined, logger: Logger): Promise<void> {
  const regclass = (name: string) => (schema ? `${schema}.${name}` : name);
  const { rows } = await sql<{ own: string | null; legacy: string | null }>`
    select to_regclass(${regclass(table)})::text as own, to_regclass(${regclass(LEGACY_MIGRATION_TABLE)})::text as legacy`.execute(db);
  if (rows[0]?.own || !rows[0]?.legacy || names.length === 0) return;
  const ref = (name: string) => (schema ? sql.id(schema, name) : sql.id(name));
  try {
    await sql`create table if not exists ${ref(table)} (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(db);
  } catch (err) {
    // Another replica created it at the same moment (IF NOT EXISTS is not atomic on Postgres).
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
  const adopted = await sql`
    insert into ${ref(table)} (name, timestamp)
    select name, timestamp from ${ref(LEGACY_MIGRATION_TABLE)} where name in (${sql.join(names)})
    on conflict (name) do nothing`.execute(db);
  if (adopted.numAffectedRows) logger.info({ table, from: LEGACY_MIGRATION_TABLE, adopted: Number(adopted.numAffectedRows) }, 'migration history adopted from the shared table');
}

/**
 * Applies the app's pending migrations in name order, recorded in the app's own table; throws with the
 * failing migration's name, or, when the database holds migrations this app does not know, with what
 * to do about it.
 */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
  logger: Logger,
  options: { app: string; schema?: string },
): Promise<string[]> {
  const { app, schema } = options;
  const { table, lockTable } = migrationTables(app);
  await adoptLegacyMigrations(db, Object.keys(migrations), table, schema, logger);
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(migrations),
    migrationTableName: table,
    migrationLockTableName: lockTable,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = /previously executed migration (\S+) is missing/.exec(message)?.[1];
    if (missing) {
      throw new Error(
        `${app}: the database records migration ${missing} in ${schema ? `${schema}.` : ''}${table}, which this version of ${app} does not have. ` +
          `Run the ${app} version that applied it (a newer one?), or give ${app} a database of its own (DATABASE_URL).`,
        { cause: error },
      );
    }
    throw new Error(`${app}: migration ${failed?.migrationName ?? '(unknown)'} failed: ${message}`, { cause: error });
  }
  if (applied.length) logger.info({ applied, table }, 'migrations applied');
  return applied;
}
