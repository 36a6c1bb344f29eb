// Postgres through kysely (0.28.x) with house defaults, or an embedded PGlite when no DATABASE_URL is
// configured, so a machine with nothing installed can still run the whole system.
import { performance } from 'node:perf_hooks';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { Kysely, PostgresDialect, Migrator, sql, type Migration, type MigrationProvider, type LogEvent } from 'kysely';
import { Histogram } from 'prom-client';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from '../metrics.js';
import type { ReadinessCheck } from '../readiness.js';

export interface DatabaseOptions {
  /** postgres://… ; when absent an embedded PGlite database is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files (absent: in memory). */
  pgliteDataDir?: string | undefined;
  /** A schema to work in (created by migrate()); lets test files and tenants share one database. */
  schema?: string | undefined;
  logger: Logger;
  metrics?: ServiceMetrics | undefined;
  applicationName?: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  slowQueryMs?: number;
}

export interface Database<DB> {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /** Creates the schema if one was configured, then applies pending migrations. */
  migrate(migrations: Record<string, Migration>): Promise<string[]>;
  /** A readiness check named `database`. */
  check(options?: Partial<Pick<ReadinessCheck, 'required' | 'timeoutMs'>>): ReadinessCheck;
  close(): Promise<void>;
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
  const log = (event: LogEvent) => {
    const ms = event.queryDurationMillis;
    histogram?.observe({ kind: statementKind(event.query.sql) }, ms / 1000);
    if (event.level === 'error') {
      logger.warn({ err: { message: (event.error as Error)?.message, code: (event.error as { code?: string })?.code }, sql: event.query.sql.slice(0, 500), ms: Math.round(ms) }, 'query failed');
    } else if (ms > slowMs) {
      logger.warn({ sql: event.query.sql.slice(0, 500), ms: Math.round(ms) }, 'slow query');
    }
  };

  let db: Kysely<DB>;
  let kind: Database<DB>['kind'];
  let closeDriver: () => Promise<void>;
  if (options.url) {
    kind = 'postgres';
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      idle_in_transaction_session_timeout: 60_000,
      application_name: options.applicationName ?? 'factory',
      ...(options.schema ? { options: `-c search_path=${options.schema},public` } : {}),
    });
    // A client losing its connection emits 'error': on the pool while idle, on the client itself while
    // checked out (kysely attaches no listener). Without a listener either one kills the process, so
    // every client gets one for life. Only the message is logged: pg errors carry the client object.
    const onClientError = (err: Error & { code?: string }) => logger.warn({ err: { message: err.message, code: err.code } }, 'postgres connection error');
    pool.on('error', onClientError);
    pool.on('connect', (client) => client.on('error', onClientError));
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log });
    closeDriver = () => db.destroy();
  } else {
    kind = 'pglite';
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
    if (options.pgliteDataDir) mkdirSync(options.pgliteDataDir, { recursive: true });
    const pglite = options.pgliteDataDir ? new PGlite(options.pgliteDataDir) : new PGlite();
    await pglite.waitReady;
    if (options.schema) {
      await pglite.exec(`create schema if not exists "${options.schema}"; set search_path to "${options.schema}", public;`);
    }
    logger.warn({ dataDir: options.pgliteDataDir ?? '(memory)' }, 'DATABASE_URL is not set: using an embedded PGlite database (for local use only)');
    db = new Kysely<DB>({ dialect: new PGliteDialect(pglite), log });
    closeDriver = async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    };
  }

  return {
    db,
    kind,
    async migrate(migrations) {
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
      return runMigrations(db, migrations, logger, options.schema);
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

/** Applies pending migrations in name order; throws (with the failing migration's name) on error. */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
  logger: Logger,
  schema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(migrations),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (applied.length) logger.info({ applied }, 'migrations applied');
  return applied;
}
