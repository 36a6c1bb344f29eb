// Migrations of the workflow tables, frozen in time; db/migrations.ts lists them with the others.
import { sql, type Kysely, type Migration } from 'kysely';

export const workflowMigrations: Record<string, Migration> = {
  '20261201_0003_workflows': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('workflows')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('deleted_at', 'timestamptz')
        .addColumn('deleted_by', 'text')
        .execute();
      await db.schema
        .createTable('workflow_versions')
        .addColumn('workflow', 'text', (c) => c.notNull().references('workflows.name'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_versions_pk', ['workflow', 'version'])
        .execute();
      await db.schema
        .createTable('workflow_runs')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('workflow', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('input', 'jsonb', (c) => c.notNull())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addForeignKeyConstraint('workflow_runs_version_fk', ['workflow', 'version'], 'workflow_versions', ['workflow', 'version'])
        .execute();
      await db.schema.createIndex('workflow_runs_workflow_created').on('workflow_runs').columns(['workflow', 'created_at']).execute();
      await db.schema.createIndex('workflow_runs_created').on('workflow_runs').columns(['created_at', 'id']).execute();
      // In-flight runs (resumed at start-up) and finished ones (retention) are each found by index.
      await sql`create index workflow_runs_in_flight on workflow_runs (state) where finished_at is null`.execute(db);
      await sql`create index workflow_runs_finished on workflow_runs (finished_at) where finished_at is not null`.execute(db);
      await db.schema
        .createTable('workflow_steps')
        .addColumn('run_id', 'uuid', (c) => c.notNull().references('workflow_runs.id').onDelete('cascade'))
        .addColumn('index', 'integer', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('dispatch', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('args', 'jsonb')
        .addColumn('output', 'jsonb')
        .addColumn('error', 'text')
        .addColumn('started_at', 'timestamptz')
        .addColumn('finished_at', 'timestamptz')
        .addColumn('decision', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('duration_ms', 'integer')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('workflow_steps_pk', ['run_id', 'index'])
        .execute();
      await sql`create index workflow_steps_waiting on workflow_steps (state) where state in ('waiting_approval', 'unknown')`.execute(db);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      for (const t of ['workflow_steps', 'workflow_runs', 'workflow_versions', 'workflows']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
