// Versioned migrations, frozen in time and supplied statically.
import { sql, type Kysely, type Migration } from 'kysely';
import { workflowMigrations } from '../workflows/migrations.js';

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
  '20261201_0002_service_incidents': {
    // One incident per service outage: the failing dependencies live inside it (`dependencies`), its
    // latest status and cause are kept up to date while it is open, and an operator may acknowledge it.
    // Open per-dependency incidents of one service are folded into the oldest open one of that service.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('incidents')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('down'))
        .addColumn('dependencies', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('acknowledged_at', 'timestamptz')
        .addColumn('acknowledged_by', 'text')
        .execute();
      await sql`update incidents set dependencies = jsonb_build_array(dependency), status = 'degraded' where dependency is not null`.execute(db);
      await sql`
        with ranked as (
          select id, service, row_number() over (partition by service order by opened_at, id) as n from incidents where resolved_at is null
        ), keep as (select id, service from ranked where n = 1),
        merged as (
          select k.id, jsonb_agg(distinct d) filter (where d is not null) as deps
          from keep k join incidents i on i.service = k.service and i.resolved_at is null
          left join lateral jsonb_array_elements_text(i.dependencies) d on true
          group by k.id
        )
        update incidents set dependencies = coalesce(merged.deps, '[]'::jsonb) from merged where incidents.id = merged.id`.execute(db);
      await sql`delete from incidents i using incidents k where i.resolved_at is null and k.resolved_at is null and i.service = k.service and (k.opened_at, k.id) < (i.opened_at, i.id)`.execute(db);
      await db.schema.dropIndex('incidents_one_open').execute();
      await sql`create unique index incidents_one_open_per_service on incidents (service) where resolved_at is null`.execute(db);
      await db.schema.createIndex('incidents_dependencies').on('incidents').using('gin').column('dependencies').execute();

      await db.schema
        .createTable('maintenance')
        .addColumn('service', 'text', (c) => c.primaryKey())
        .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
        .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('maintenance').ifExists().execute();
      await db.schema.dropIndex('incidents_dependencies').ifExists().execute();
      await db.schema.dropIndex('incidents_one_open_per_service').ifExists().execute();
      await sql`create unique index incidents_one_open on incidents (service, coalesce(dependency, '')) where resolved_at is null`.execute(db);
      await db.schema.alterTable('incidents').dropColumn('status').dropColumn('dependencies').dropColumn('acknowledged_at').dropColumn('acknowledged_by').execute();
    },
  },
  '20261201_0005_service_state': {
    // What every replica shares about each service (src/replicas/): its latest poll and probe, and the
    // failing streak an incident opens from, written by whichever replica swept it and read by all.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('service_state')
        .addColumn('service', 'text', (c) => c.primaryKey())
        .addColumn('checked_at', 'timestamptz')
        .addColumn('poll', 'jsonb')
        .addColumn('streak_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('streak_first_at', 'timestamptz')
        .addColumn('streak_dependencies', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('probe', 'jsonb')
        .addColumn('swept_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
        .execute();
      await db.schema.createIndex('service_state_updated').on('service_state').column('updated_at').execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('service_state').ifExists().execute();
    },
  },
  '20261201_0006_service_state_written_xid': {
    // The transaction that wrote each row last: a replica reads exactly the rows written since its last
    // read (src/replicas/service-state.ts readSharedStates), instead of re-reading a time overlap.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await sql`alter table service_state add column written_xid xid8 not null default pg_current_xact_id()`.execute(db);
      await db.schema.createIndex('service_state_written_xid').on('service_state').column('written_xid').execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('service_state_written_xid').ifExists().execute();
      await db.schema.alterTable('service_state').dropColumn('written_xid').execute();
    },
  },
  ...workflowMigrations,
};
