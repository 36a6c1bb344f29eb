// Retention's reads and writes: per-agent overrides, the agents to sweep, and one bounded deletion batch.
// Every function takes the kysely instance (or a transaction) first.
import { sql } from 'kysely';
import { NEW_CACHE_EPOCH } from '../cache/cache-epoch.js';
import type { Db } from '../turns/turn-repository.js';

/** Largest retention_days accepted (100 years); 0 keeps forever. The migration checks the same range. */
export const MAX_RETENTION_DAYS = 36_500;

/** An agent's override (days, 0 = keep forever), or undefined when it uses MEMORY_RETENTION_DAYS. */
export async function retentionOverride(db: Db, agentId: string): Promise<number | undefined> {
  const row = await db.selectFrom('agent_retention').select('retention_days').where('agent_id', '=', agentId).executeTakeFirst();
  return row?.retention_days;
}

/** Sets an agent's override, or removes it (`null`: back to MEMORY_RETENTION_DAYS). */
export async function setRetentionOverride(db: Db, agentId: string, days: number | null): Promise<void> {
  if (days === null) {
    await db.deleteFrom('agent_retention').where('agent_id', '=', agentId).execute();
    return;
  }
  await db
    .insertInto('agent_retention')
    .values({ agent_id: agentId, retention_days: days })
    .onConflict((oc) => oc.column('agent_id').doUpdateSet({ retention_days: days, updated_at: sql`now()` }))
    .execute();
}

export interface RetentionView {
  agent_id: string;
  /** The agent's override (0 = keep forever), or null when it uses the default. */
  retention_days: number | null;
  default_days: number;
  /** What applies: the override, else the default; 0 = kept forever. */
  effective_days: number;
  keeps_forever: boolean;
}

export function retentionView(agentId: string, override: number | undefined, defaultDays: number): RetentionView {
  const effective = override ?? defaultDays;
  return { agent_id: agentId, retention_days: override ?? null, default_days: defaultDays, effective_days: effective, keeps_forever: effective === 0 };
}

export interface AgentPolicy {
  agentId: string;
  /** Effective retention in days, always > 0 here (agents kept forever are not swept). */
  days: number;
}

/**
 * The next page of agents (after `after`, in agent order) whose turns expire, with their effective
 * retention. With no default (0) only agents with a positive override can expire, so only those are
 * read; otherwise every agent that has a session, found by a loose index scan of the sessions key (one
 * probe per agent, however many sessions it has). `next` is the cursor of the following page (undefined:
 * this was the last one).
 */
export async function agentsToSweep(db: Db, defaultDays: number, after: string, limit: number): Promise<{ agents: AgentPolicy[]; next: string | undefined }> {
  if (defaultDays <= 0) {
    const rows = await db
      .selectFrom('agent_retention')
      .select(['agent_id', 'retention_days'])
      .where('retention_days', '>', 0)
      .where('agent_id', '>', after)
      .orderBy('agent_id')
      .limit(limit)
      .execute();
    return { agents: rows.map((r) => ({ agentId: r.agent_id, days: r.retention_days })), next: rows.length === limit ? rows.at(-1)?.agent_id : undefined };
  }
  const { rows } = await sql<{ agent_id: string; days: number }>`
    with recursive a(agent_id, n) as (
      (select agent_id, 1 from sessions where agent_id > ${after} order by agent_id limit 1)
      union all
      select (select s.agent_id from sessions s where s.agent_id > a.agent_id order by s.agent_id limit 1), a.n + 1
      from a where a.agent_id is not null and a.n < ${limit}
    )
    select a.agent_id, coalesce(r.retention_days, ${defaultDays}::int) as days
    from a left join agent_retention r on r.agent_id = a.agent_id
    where a.agent_id is not null
    order by a.agent_id
  `.execute(db);
  return { agents: rows.filter((r) => r.days > 0).map((r) => ({ agentId: r.agent_id, days: r.days })), next: rows.length === limit ? rows.at(-1)?.agent_id : undefined };
}

/**
 * Whether the agent's oldest turn has expired: one index entry read, so a sweep visits an agent with
 * nothing to delete for the cost of one probe (a batch would read `batch` turns to find none).
 */
export async function hasExpiredTurns(db: Db, agentId: string, days: number): Promise<boolean> {
  const { rows } = await sql<{ expired: boolean }>`
    select coalesce((
      select created_at < now() - make_interval(days => ${days}::int) from turns where agent_id = ${agentId} order by id limit 1
    ), false) as expired
  `.execute(db);
  return rows[0]?.expired === true;
}

export interface RetentionBatch {
  turnsDeleted: number;
  summariesDeleted: number;
  /** Sessions that lost turns and still have some (their summaries are gone: they are compressed anew). */
  keptSessions: string[];
  /** Sessions deleted because retention removed their last turn. */
  deletedSessions: string[];
  /** Expired turns the batch found (`batch` of them: there may be more). */
  candidates: number;
}

/**
 * Deletes up to `batch` of an agent's turns older than `days`, in one short transaction:
 * - the agent's oldest `batch` turns are read through its (agent_id, id) index, and of those the ones
 *   before the first turn that is not yet old are taken: a prefix of the agent's history, so the read is
 *   bounded however long the history, and what remains of each session is newer than all it lost;
 * - the sessions concerned are locked in session order (as forget, saveSummary and the store statement
 *   lock them: no deadlock), the turns deleted (their vectors by cascade), and every summary of those
 *   sessions deleted: a summary is rolled forward from its session's first turn, so it carries facts of
 *   exactly the oldest turns retention deletes. The remaining turns count as unsummarised again;
 * - each session's counters are lowered, its cache epoch moved (no cached read serves a deleted turn),
 *   and its `purged_through_turn_id` raised, so a compression that read turns before this batch is not
 *   saved; a session left without turns is deleted.
 */
export async function deleteExpiredTurns(db: Db, agentId: string, days: number, batch: number): Promise<RetentionBatch> {
  return db.transaction().execute(async (trx) => {
    const { rows: head } = await sql<{ id: string; session_id: string }>`
      with head as (
        select id, session_id, created_at from turns where agent_id = ${agentId} order by id limit ${batch}
      )
      select id::text as id, session_id from head
      where id < coalesce((select min(id) from head where created_at >= now() - make_interval(days => ${days}::int)), 9223372036854775807)
      order by id
    `.execute(trx);
    const candidates = head.length;
    if (head.length === 0) return { turnsDeleted: 0, summariesDeleted: 0, keptSessions: [], deletedSessions: [], candidates };
    const sessionIds = [...new Set(head.map((r) => r.session_id))].sort();
    await sql`
      select session_id from sessions where agent_id = ${agentId} and session_id = any(${sessionIds}::text[])
      order by session_id for update
    `.execute(trx);
    // What was really deleted (a concurrent forget may have taken some): the counters follow it.
    const { rows: deleted } = await sql<{ session_id: string; token_count: number; id: string }>`
      delete from turns where agent_id = ${agentId} and id = any(${head.map((r) => r.id)}::bigint[])
      returning session_id, token_count, id::text as id
    `.execute(trx);
    const per = new Map<string, { n: number; tokens: number; maxId: bigint }>();
    for (const d of deleted) {
      const p = per.get(d.session_id) ?? { n: 0, tokens: 0, maxId: 0n };
      p.n += 1;
      p.tokens += d.token_count;
      if (BigInt(d.id) > p.maxId) p.maxId = BigInt(d.id);
      per.set(d.session_id, p);
    }
    const touched = [...per.keys()].sort();
    if (touched.length === 0) return { turnsDeleted: 0, summariesDeleted: 0, keptSessions: [], deletedSessions: [], candidates };
    const summaries = await trx.deleteFrom('summaries').where('agent_id', '=', agentId).where('session_id', 'in', touched).executeTakeFirst();
    const stats = touched.map((s) => per.get(s)!);
    await sql`
      update sessions s set
        turn_count = s.turn_count - d.n,
        token_count = s.token_count - d.tokens,
        unsummarised_tokens = s.token_count - d.tokens,
        purged_through_turn_id = greatest(s.purged_through_turn_id, d.max_id),
        cache_epoch = ${sql.raw(NEW_CACHE_EPOCH)}
      from unnest(${touched}::text[], ${stats.map((p) => p.n)}::int[], ${stats.map((p) => p.tokens)}::bigint[], ${stats.map((p) => p.maxId.toString())}::bigint[])
        as d(session_id, n, tokens, max_id)
      where s.agent_id = ${agentId} and s.session_id = d.session_id
    `.execute(trx);
    const { rows: emptied } = await sql<{ session_id: string }>`
      delete from sessions s where s.agent_id = ${agentId} and s.session_id = any(${touched}::text[])
        and not exists (select 1 from turns t where t.agent_id = s.agent_id and t.session_id = s.session_id)
      returning s.session_id
    `.execute(trx);
    const gone = new Set(emptied.map((r) => r.session_id));
    return {
      turnsDeleted: deleted.length,
      summariesDeleted: Number(summaries.numDeletedRows),
      keptSessions: touched.filter((s) => !gone.has(s)),
      deletedSessions: [...gone],
      candidates,
    };
  });
}
