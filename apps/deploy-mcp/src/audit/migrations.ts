// Frozen-in-time migrations for the audit table, supplied statically (work under jest and in bundles).
import { sql, type Kysely, type Migration } from 'kysely';

export const migrations: Record<string, Migration> = {
  '20261122_0001_deploy_audit': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('deploy_audit')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('cluster', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('before', 'jsonb', (c) => c.notNull())
        .addColumn('after', 'jsonb', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('succeeded', 'failed')`))
        .addColumn('error', 'text')
        .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .execute();
      await db.schema.createIndex('deploy_audit_service_idx').on('deploy_audit').columns(['cluster', 'service', 'created_at']).execute();
      // Append-only: rows can be added, never changed or removed (short of dropping the table).
      await sql`create function deploy_audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'deploy_audit is append-only'; end $$`.execute(db);
      await sql`create trigger deploy_audit_no_change before update or delete on deploy_audit
        for each row execute function deploy_audit_append_only()`.execute(db);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('deploy_audit').execute();
      await sql`drop function if exists deploy_audit_append_only()`.execute(db);
    },
  },
};
