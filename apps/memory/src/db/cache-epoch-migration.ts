// Migration: the cache epoch of a session (see src/cache/cache-epoch.ts for what it guarantees).
// Frozen in time like every migration: it states its SQL itself rather than importing today's constants.
import { sql, type Kysely, type Migration } from 'kysely';

export const addSessionCacheEpoch: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    // Existing rows get 0 (no transaction ever has id 0) without rewriting the table; rows inserted from
    // now on default to the id of the transaction that inserts them, whatever statement inserts them.
    await sql`alter table sessions add column cache_epoch bigint not null default 0`.execute(db);
    await sql`alter table sessions alter column cache_epoch set default (pg_current_xact_id()::text::bigint)`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`alter table sessions drop column cache_epoch`.execute(db);
  },
};
