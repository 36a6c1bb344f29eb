// Turn embeddings in pgvector. Whether the database has pgvector is found out at start-up: the `vector`
// extension is created when the server offers it (RDS, Aurora, PGlite with its vector extension loaded)
// and the table with it; a database without it keeps working, full-text only, and /ready says so.
import { sql } from 'kysely';
import type { Db } from '../turns/turn-repository.js';

export type VectorStoreState = { available: true; version: string } | { available: false; reason: string };

/**
 * The DDL of the embeddings store, idempotent (IF NOT EXISTS). It lives here rather than in a migration
 * because it depends on an extension the server may not have: a migration would either fail on such a
 * server or be recorded as applied without its table, and never run once pgvector is installed.
 * Embeddings are keyed by (turn, model) so a change of model or dimensions re-embeds beside the old
 * vectors instead of mixing them; they go with their turn (`on delete cascade`: forget, retention).
 */
async function createStore(db: Db): Promise<void> {
  // In public, not in DATABASE_SCHEMA: an extension exists once per database, and every schema's
  // search_path ends in public (dropping one tenant's schema must not take the type from the others).
  await sql`create extension if not exists vector with schema public`.execute(db);
  await sql`
    create table if not exists turn_embeddings (
      turn_id bigint not null references turns (id) on delete cascade,
      model text not null,
      agent_id text not null,
      session_id text not null,
      embedding vector not null,
      created_at timestamptz not null default now(),
      primary key (turn_id, model)
    )`.execute(db);
  // Search reads an agent's newest embeddings: a backward range scan of this index.
  await sql`create index if not exists turn_embeddings_agent_recent_idx on turn_embeddings (agent_id, model, turn_id)`.execute(db);
}

const isDuplicate = (err: unknown) => ['23505', '42P07', '42710'].includes((err as { code?: string }).code ?? '');

/** Creates the store when pgvector can be had; says why not otherwise. Safe to run from several processes at once. */
export async function prepareVectorStore(db: Db): Promise<VectorStoreState> {
  const { rows } = await sql<{ installed: string | null; offered: string | null }>`
    select (select extversion from pg_extension where extname = 'vector') as installed,
           (select default_version from pg_available_extensions where name = 'vector') as offered`.execute(db);
  const { installed, offered } = rows[0] ?? { installed: null, offered: null };
  if (!installed && !offered) return { available: false, reason: 'this Postgres has no pgvector extension (vector)' };
  try {
    await createStore(db);
  } catch (err) {
    // Another process created the same object at the same moment: it exists either way; try once more.
    if (!isDuplicate(err)) {
      return { available: false, reason: `pgvector could not be set up: ${err instanceof Error ? err.message : String(err)}` };
    }
    await createStore(db);
  }
  const { rows: v } = await sql<{ v: string }>`select extversion as v from pg_extension where extname = 'vector'`.execute(db);
  return { available: true, version: v[0]?.v ?? offered ?? 'unknown' };
}

/** pgvector's text form of a vector. */
export const vectorLiteral = (v: readonly number[]): string => `[${v.join(',')}]`;

export interface EmbeddedTurn {
  turnId: string;
  agentId: string;
  sessionId: string;
  embedding: readonly number[];
}

/** Stores embeddings idempotently; a turn deleted meanwhile (forget) is skipped instead of failing the batch. */
export async function saveEmbeddings(db: Db, model: string, rows: readonly EmbeddedTurn[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await sql`
    insert into turn_embeddings (turn_id, model, agent_id, session_id, embedding)
    select t.id, ${model}, t.agent_id, t.session_id, e.embedding::vector
    from unnest(${rows.map((r) => r.turnId)}::bigint[], ${rows.map((r) => vectorLiteral(r.embedding))}::text[]) as e(turn_id, embedding)
    join turns t on t.id = e.turn_id
    on conflict (turn_id, model) do nothing`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The agent's turns nearest to `query` by cosine distance, among its newest `window` embedded turns: an
 * exact ranking whose cost is bounded by the window, not by the history (an approximate index over all
 * agents would filter by agent after the search and miss an agent's own turns).
 */
export function nearestStatement(agentId: string, sessionId: string | undefined, model: string, query: readonly number[], window: number, limit: number) {
  return sql<{ id: string; distance: number }>`
    with recent as materialized (
      select e.turn_id, e.embedding from turn_embeddings e
      where e.agent_id = ${agentId} and e.model = ${model}
        ${sessionId === undefined ? sql`` : sql`and e.session_id = ${sessionId}`}
      order by e.turn_id desc
      limit ${window}
    )
    select r.turn_id as id, r.embedding <=> ${vectorLiteral(query)}::vector as distance
    from recent r
    order by distance, r.turn_id desc
    limit ${limit}`;
}

export async function nearestTurns(db: Db, agentId: string, sessionId: string | undefined, model: string, query: readonly number[], window: number, limit: number) {
  const { rows } = await nearestStatement(agentId, sessionId, model, query, window, limit).execute(db);
  return rows.map((r) => ({ id: String(r.id), distance: Number(r.distance) }));
}
