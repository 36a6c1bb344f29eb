// The embeddings backlog: turns not yet embedded with the current model, found from a cursor kept in
// Postgres (`embedding_progress`), so a pass reads only what is new, however long the history. Never
// touched by the write path: turns are stored first and embedded later by whoever holds the lease.
import { sql } from 'kysely';
import type { Db } from '../turns/turn-repository.js';

export interface BacklogTurn {
  id: string;
  agent_id: string;
  session_id: string;
  content: string;
}

export interface BacklogBatch {
  turns: BacklogTurn[];
  /**
   * How far the cursor may move once these turns are embedded: the newest turn at or below the batch's
   * end that is older than the settle time. Ids are drawn before a write commits, so a turn may become
   * visible after a newer one; a turn older than the settle time proves every lower id has committed or
   * rolled back (see README, "Semantic recall"). Undefined: nothing is settled yet.
   */
  safeCursor: string | undefined;
}

/** The lease: one process embeds for a model at a time; another takes over once the lease has lapsed. */
export async function takeLease(db: Db, model: string, owner: string, leaseMs: number): Promise<string | undefined> {
  await sql`insert into embedding_progress (model) values (${model}) on conflict (model) do nothing`.execute(db);
  const { rows } = await sql<{ cursor: string }>`
    update embedding_progress
    set lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
    where model = ${model} and (lease_owner = ${owner} or lease_until is null or lease_until < now())
    returning cursor`.execute(db);
  return rows[0] ? String(rows[0].cursor) : undefined;
}

export async function releaseLease(db: Db, model: string, owner: string): Promise<void> {
  await sql`update embedding_progress set lease_until = null where model = ${model} and lease_owner = ${owner}`.execute(db);
}

/** Moves the cursor forward (never back), only while this process still holds the lease. */
export async function advanceCursor(db: Db, model: string, owner: string, cursor: string): Promise<void> {
  await sql`
    update embedding_progress set cursor = greatest(cursor, ${cursor}::bigint), updated_at = now()
    where model = ${model} and lease_owner = ${owner}`.execute(db);
}

/**
 * The oldest `limit` turns after `cursor` without an embedding for `model`, and how far the cursor may
 * move once they are embedded, all read in one statement (one snapshot, one `now()`).
 */
export async function nextBatch(db: Db, model: string, cursor: string, limit: number, settleMs: number): Promise<BacklogBatch> {
  const { rows } = await sql<{ id: string | null; agent_id: string | null; session_id: string | null; content: string | null; safe: string | null }>`
    with batch as materialized (
      select t.id, t.agent_id, t.session_id, t.content from turns t
      where t.id > ${cursor}
        and not exists (select 1 from turn_embeddings e where e.turn_id = t.id and e.model = ${model})
      order by t.id
      limit ${limit}
    ), bound as (
      -- A full batch covers the backlog up to its last turn; a partial one covers every turn there is.
      select case when (select count(*) from batch) >= ${limit} then (select max(id) from batch) else (select max(id) from turns) end as hi
    )
    select b.id, b.agent_id, b.session_id, b.content,
      (select max(t.id) from turns t where t.id > ${cursor} and t.id <= bound.hi and t.created_at < now() - ${settleMs} * interval '1 millisecond') as safe
    from bound left join batch b on true
    order by b.id`.execute(db);
  const safe = rows[0]?.safe;
  return {
    turns: rows.filter((r) => r.id !== null).map((r) => ({ id: String(r.id), agent_id: r.agent_id!, session_id: r.session_id!, content: r.content! })),
    safeCursor: safe === null || safe === undefined ? undefined : String(safe),
  };
}
