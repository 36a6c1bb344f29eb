// Versioned migrations, frozen in time and supplied statically.
import { sql, type Kysely, type Migration } from 'kysely';

export const migrations: Record<string, Migration> = {
  '20261122_0001_initial': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('check_results')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('dependency', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
        .addColumn('success', 'boolean', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('latency_ms', 'integer')
        .addColumn('message', 'text')
        .execute();
      await db.schema.createIndex('check_results_service_time').on('check_results').columns(['service', 'dependency', 'checked_at']).execute();
      await db.schema.createIndex('check_results_time').on('check_results').column('checked_at').execute();

      await db.schema
        .createTable('rollups')
        .addColumn('granularity', 'text', (c) => c.notNull())
        .addColumn('bucket', 'timestamptz', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('dependency', 'text', (c) => c.notNull())
        .addColumn('checks', 'integer', (c) => c.notNull())
        .addColumn('successes', 'integer', (c) => c.notNull())
        .addColumn('latency_count', 'integer', (c) => c.notNull())
        .addColumn('latency_sum', 'double precision', (c) => c.notNull())
        .addColumn('latency_hist', sql`integer[]`, (c) => c.notNull())
        .addPrimaryKeyConstraint('rollups_pk', ['granularity', 'service', 'dependency', 'bucket'])
        .execute();
      await db.schema.createIndex('rollups_time').on('rollups').columns(['granularity', 'bucket']).execute();

      await db.schema
        .createTable('incidents')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('dependency', 'text')
        .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
        .addColumn('resolved_at', 'timestamptz')
        .addColumn('cause', 'text', (c) => c.notNull())
        .execute();
      await sql`create unique index incidents_one_open on incidents (service, coalesce(dependency, '')) where resolved_at is null`.execute(db);
      await db.schema.createIndex('incidents_opened').on('incidents').columns(['opened_at', 'id']).execute();
      await db.schema.createIndex('incidents_resolved').on('incidents').column('resolved_at').execute();

      await db.schema
        .createTable('mcp_catalog')
        .addColumn('service', 'text', (c) => c.primaryKey())
        .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
        .addColumn('tools', 'jsonb', (c) => c.notNull())
        .addColumn('tool_count', 'integer', (c) => c.notNull())
        .addColumn('write_mode', 'text', (c) => c.notNull())
        .addColumn('token_cost', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      for (const t of ['mcp_catalog', 'incidents', 'rollups', 'check_results']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
