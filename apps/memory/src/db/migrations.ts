// Versioned migrations, frozen in time, supplied statically (they work under jest and in bundles).
import { sql, type Kysely, type Migration } from 'kysely';
import { addSessionCacheEpoch } from './cache-epoch-migration.js';
import { addRetention } from './retention-migration.js';
import { createSearchFunction } from './search-function-migration.js';

const createMemoryTables: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('turns')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'assistant', 'system', 'tool')`))
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('metadata', 'jsonb')
      .addColumn('token_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('search', sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector('english', content)`).stored())
      .execute();
    // "Recent turns of a session" and "turns after a summary" are both range scans on this index.
    await db.schema.createIndex('turns_session_recent_idx').on('turns').columns(['agent_id', 'session_id', 'id']).execute();
    await db.schema.createIndex('turns_search_idx').on('turns').using('gin').column('search').execute();

    await db.schema
      .createTable('summaries')
      .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('covers_through_turn_id', 'bigint', (c) => c.notNull())
      .addColumn('turns_covered', 'integer', (c) => c.notNull())
      .addColumn('input_tokens', 'integer', (c) => c.notNull())
      .addColumn('output_tokens', 'integer', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('summaries_session_through_key', ['agent_id', 'session_id', 'covers_through_turn_id'])
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('turn_count', 'integer', (c) => c.notNull())
      .addColumn('token_count', 'bigint', (c) => c.notNull())
      .addColumn('unsummarised_tokens', 'bigint', (c) => c.notNull())
      .addColumn('last_turn_id', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('sessions_pkey', ['agent_id', 'session_id'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropTable('sessions').execute();
    await db.schema.dropTable('summaries').execute();
    await db.schema.dropTable('turns').execute();
  },
};

/** Client-supplied idempotency keys of writes: the first answer of each, so a retry stores nothing twice. */
const createIdempotencyKeys: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('response', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('idempotency_keys_pkey', ['scope', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropTable('idempotency_keys').execute();
  },
};

/**
 * Search reads an agent's newest matching turns first (a bounded, recency-ordered candidate set), so it
 * needs the agent's turns in id order across sessions: a backward scan of this index stops after the
 * candidates are found, however long the history (the session index serves session-scoped searches).
 */
const indexTurnsByAgentRecency: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema.createIndex('turns_agent_recent_idx').on('turns').columns(['agent_id', 'id']).execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('turns_agent_recent_idx').execute();
  },
};

/**
 * Where embedding the turns has got to, per embedding model (`model@dimensions`), and which process holds
 * the lease to embed. The vectors themselves live in `turn_embeddings`, created at start-up only where
 * pgvector exists (src/embeddings/vector-store.ts), so this table needs no extension.
 */
const createEmbeddingProgress: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('embedding_progress')
      .addColumn('model', 'text', (c) => c.primaryKey())
      .addColumn('cursor', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'timestamptz')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await db.schema.dropTable('embedding_progress').execute();
  },
};

/**
 * search_memory's older matches (src/search/full-text-search.ts, step 3) need the agent and the words
 * in one index: a GIN index on (agent_id, search) intersects the agent's entries with the word's inside
 * the index, so a rare word costs what this agent's matches cost, not what every agent's matches cost.
 * It replaces the GIN index on search alone (every search names its agent). `btree_gin` gives GIN its
 * text operator class (a contrib extension on every Postgres, RDS included; PGlite loads it). On a large
 * existing table build it first by hand with CREATE INDEX CONCURRENTLY under this name: IF NOT EXISTS
 * then skips it here.
 */
const indexTurnsByAgentAndWords: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await sql`create extension if not exists btree_gin with schema public`.execute(db);
    // The agent column is indexed as the expression `agent_id || ''`, which a query names only when it
    // means this index: `agent_id = $1` would let the planner pick the (agent_id, id) btree instead.
    await sql`create index if not exists turns_agent_search_idx on turns using gin ((agent_id || ''), search)`.execute(db);
    await sql`drop index if exists turns_search_idx`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`create index if not exists turns_search_idx on turns using gin (search)`.execute(db);
    await sql`drop index if exists turns_agent_search_idx`.execute(db);
  },
};

/** Whose migrations these are: the memory API and its worker share one history (`memory_migration`). */
export const MIGRATIONS_APP = 'memory';

export const migrations: Record<string, Migration> = {
  '20261122000000_create_memory_tables': createMemoryTables,
  '20261201000000_create_idempotency_keys': createIdempotencyKeys,
  '20261215000000_index_turns_agent_recent': indexTurnsByAgentRecency,
  '20261216100000_add_session_cache_epoch': addSessionCacheEpoch,
  '20261220000000_create_embedding_progress': createEmbeddingProgress,
  '20261221000000_index_turns_agent_search': indexTurnsByAgentAndWords,
  '20261222000000_add_retention': addRetention,
  '20261223000000_create_search_function': createSearchFunction,
};
