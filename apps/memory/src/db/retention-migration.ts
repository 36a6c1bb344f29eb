// Migration: retention (src/retention/). Frozen in time like every migration: it states its SQL itself.
import { sql, type Kysely, type Migration } from 'kysely';

export const addRetention: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    // Per-agent overrides of MEMORY_RETENTION_DAYS: no row = the default, 0 = keep forever.
    await db.schema
      .createTable('agent_retention')
      .addColumn('agent_id', 'text', (c) => c.primaryKey())
      .addColumn('retention_days', 'integer', (c) => c.notNull().check(sql`retention_days between 0 and 36500`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // The highest turn id retention deleted in a session: a summary computed from turns read before it
    // moved may carry facts of deleted turns, so saveSummary refuses it. A constant default: no rewrite.
    await sql`alter table sessions add column purged_through_turn_id bigint not null default 0`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`alter table sessions drop column purged_through_turn_id`.execute(db);
    await db.schema.dropTable('agent_retention').execute();
  },
};
