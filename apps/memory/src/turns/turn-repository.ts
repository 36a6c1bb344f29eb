// Reads and writes of turns, sessions and summaries. Every function takes the kysely instance (or a
// transaction) first.
import { sql, type Kysely } from 'kysely';
import { compositeKey, type Database, type PreparedStatement } from '@factory/base-server';
import type { MemoryDatabase, Role, SummaryRow } from '../db/schema.js';
import { NEW_CACHE_EPOCH } from '../cache/cache-epoch.js';
import { turnTokens } from './tokens.js';

export type Db = Kysely<MemoryDatabase>;
/** What the hot write path needs: prepared statements. */
export type Prepared = Pick<Database<MemoryDatabase>, 'prepared'>;

export interface NewTurn {
  role: Role;
  content: string;
  metadata?: Record<string, unknown> | undefined;
}

export interface StoredTurns {
  ids: string[];
  /** Tokens in the session not yet covered by a summary, after this write. */
  unsummarisedTokens: number;
  lastTurnId: string;
}

export interface TurnView {
  memory_id: string;
  role: Role;
  content: string;
  metadata: Record<string, unknown> | null;
  token_count: number;
  created_at: string;
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

export interface TurnWrite {
  agentId: string;
  sessionId: string;
  turns: readonly NewTurn[];
}

/**
 * Stores turns of one session with one statement: a multi-row insert plus the session's counters, so
 * the write is atomic (all turns or none) and costs one round trip however large the batch.
 */
export async function storeTurns(db: Prepared, agentId: string, sessionId: string, turns: readonly NewTurn[]): Promise<StoredTurns> {
  const [stored] = await storeTurnWrites(db, [{ agentId, sessionId, turns }]);
  if (!stored) throw new Error('storing turns returned no result');
  return stored;
}

/**
 * The write path's one statement, prepared once per connection (it runs for every stored turn). It moves
 * each session to a new cache epoch (a new row gets one by default): see cache/cache-epoch.ts.
 */
const STORE_TURN_WRITES: PreparedStatement = {
  name: 'memory_store_turn_writes_v2',
  text: `with ins as (
      insert into turns (agent_id, session_id, role, content, metadata, token_count)
      select t.agent_id, t.session_id, t.role, t.content, t.metadata, t.token_count
      from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::int[]) with ordinality
        as t(agent_id, session_id, role, content, metadata, token_count, ord)
      order by t.ord
      returning id, agent_id, session_id, token_count
    ), per_session as (
      select agent_id, session_id, count(*) as n, sum(token_count) as tokens, max(id) as last_id, array_agg(id order by id) as ids
      from ins group by agent_id, session_id
    ), upd as (
      insert into sessions as s (agent_id, session_id, turn_count, token_count, unsummarised_tokens, last_turn_id)
      select agent_id, session_id, n, tokens, tokens, last_id from per_session order by agent_id, session_id
      on conflict (agent_id, session_id) do update set
        turn_count = s.turn_count + excluded.turn_count,
        token_count = s.token_count + excluded.token_count,
        unsummarised_tokens = s.unsummarised_tokens + excluded.unsummarised_tokens,
        last_turn_id = greatest(s.last_turn_id, excluded.last_turn_id),
        cache_epoch = ${NEW_CACHE_EPOCH},
        updated_at = now()
      returning agent_id, session_id, unsummarised_tokens
    )
    select upd.agent_id, upd.session_id, upd.unsummarised_tokens, p.ids
    from upd join per_session p using (agent_id, session_id)`,
};

/** An error Postgres reported for a statement (it was rolled back: nothing of it was stored). */
export const isStatementError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' && 'severity' in err;

/**
 * Stores several writes (of any sessions) with one statement, in one transaction: all of them or none.
 * Each result carries its own turn ids, and the session's unsummarised tokens as they stood right after
 * that write. Session rows are locked in (agent, session) order, so concurrent statements cannot deadlock.
 */
export async function storeTurnWrites(db: Prepared, writes: readonly TurnWrite[]): Promise<StoredTurns[]> {
  const agents: string[] = [];
  const sessions: string[] = [];
  const roles: string[] = [];
  const contents: string[] = [];
  const metas: Array<string | null> = [];
  const tokens: number[] = [];
  const writeTokens: number[] = [];
  for (const w of writes) {
    let sum = 0;
    for (const t of w.turns) {
      const n = turnTokens(t.content);
      agents.push(w.agentId);
      sessions.push(w.sessionId);
      roles.push(t.role);
      contents.push(t.content);
      metas.push(t.metadata === undefined ? null : JSON.stringify(t.metadata));
      tokens.push(n);
      sum += n;
    }
    writeTokens.push(sum);
  }
  const rows = await db.prepared<{ agent_id: string; session_id: string; ids: Array<string | number>; unsummarised_tokens: string | number }>(STORE_TURN_WRITES, [
    agents,
    sessions,
    roles,
    contents,
    metas,
    tokens,
  ]);
  // Ids were drawn in input order, so each session's ids, ascending, belong to its writes in order.
  const bySession = new Map(rows.map((r) => [compositeKey(r.agent_id, r.session_id), { ids: r.ids.map(String), next: 0, after: Number(r.unsummarised_tokens) }]));
  const results: StoredTurns[] = writes.map((w) => {
    const s = bySession.get(compositeKey(w.agentId, w.sessionId));
    if (!s) throw new Error('storing turns returned no row for a session');
    const ids = s.ids.slice(s.next, s.next + w.turns.length);
    s.next += w.turns.length;
    return { ids, unsummarisedTokens: 0, lastTurnId: ids[ids.length - 1] ?? '' };
  });
  // Unsummarised tokens right after each write: the session's final figure less what later writes added.
  const later = new Map<string, number>();
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i]!;
    const key = compositeKey(w.agentId, w.sessionId);
    const after = bySession.get(key)!.after - (later.get(key) ?? 0);
    results[i]!.unsummarisedTokens = after;
    later.set(key, (later.get(key) ?? 0) + writeTokens[i]!);
  }
  return results;
}

function toView(r: {
  id: string | number;
  role: Role;
  content: string;
  metadata: Record<string, unknown> | null;
  token_count: number;
  created_at: Date | string;
}): TurnView {
  return { memory_id: String(r.id), role: r.role, content: r.content, metadata: r.metadata, token_count: r.token_count, created_at: iso(r.created_at) };
}

/** The newest `limit` turns of a session, oldest first. */
export async function recentTurns(db: Db, agentId: string, sessionId: string, limit: number): Promise<TurnView[]> {
  const rows = await db
    .selectFrom('turns')
    .select(['id', 'role', 'content', 'metadata', 'token_count', 'created_at'])
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(toView);
}

/**
 * The newest turns after `afterId` that fit in `budget` tokens together, newest first, contiguous (it
 * stops at the first that does not fit), at most `maxTurns`. It reads pages that double in size
 * (16, 32, ...), so it reads at most about twice what it returns, however long the history.
 */
export async function newestTurnsWithin(db: Db, agentId: string, sessionId: string, afterId: string, budget: number, maxTurns: number): Promise<TurnView[]> {
  const kept: TurnView[] = [];
  let left = budget;
  let before: string | undefined;
  for (let page = 16; kept.length < maxTurns; page *= 2) {
    let q = db
      .selectFrom('turns')
      .select(['id', 'role', 'content', 'metadata', 'token_count', 'created_at'])
      .where('agent_id', '=', agentId)
      .where('session_id', '=', sessionId)
      .where('id', '>', afterId);
    if (before !== undefined) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(Math.min(page, maxTurns - kept.length)).execute();
    for (const r of rows) {
      if (r.token_count > left) return kept;
      kept.push(toView(r));
      left -= r.token_count;
    }
    if (rows.length < page) return kept;
    before = String(rows[rows.length - 1]!.id);
  }
  return kept;
}

/** Turns in (afterId, throughId], oldest first: the input of one incremental compression. */
export async function turnsBetween(db: Db, agentId: string, sessionId: string, afterId: string, throughId: string) {
  return db
    .selectFrom('turns')
    .select(['id', 'role', 'content', 'token_count'])
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .where('id', '>', afterId)
    .where('id', '<=', throughId)
    .orderBy('id', 'asc')
    .execute();
}

export async function latestSummary(db: Db, agentId: string, sessionId: string): Promise<SummaryRow | undefined> {
  return db
    .selectFrom('summaries')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .orderBy('covers_through_turn_id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function summaryThrough(db: Db, agentId: string, sessionId: string, throughId: string): Promise<SummaryRow | undefined> {
  return db
    .selectFrom('summaries')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .where('covers_through_turn_id', '=', throughId)
    .executeTakeFirst();
}

/** A session's newest turn and its tokens not yet covered by a summary (undefined: no such session). */
export async function sessionBacklog(db: Db, agentId: string, sessionId: string): Promise<{ lastTurnId: string; unsummarisedTokens: number } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(['last_turn_id', 'unsummarised_tokens'])
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row ? { lastTurnId: String(row.last_turn_id), unsummarisedTokens: Number(row.unsummarised_tokens) } : undefined;
}

/** A session's stored turn count (undefined: no such session), from its counters row: no walk over turns. */
export async function sessionTurnCount(db: Db, agentId: string, sessionId: string): Promise<number | undefined> {
  const row = await db.selectFrom('sessions').select(['turn_count']).where('agent_id', '=', agentId).where('session_id', '=', sessionId).executeTakeFirst();
  return row ? row.turn_count : undefined;
}

export async function latestTurnId(db: Db, agentId: string, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(['last_turn_id'])
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row ? String(row.last_turn_id) : undefined;
}

export interface NewSummary {
  agentId: string;
  sessionId: string;
  summary: string;
  coversThroughTurnId: string;
  turnsCovered: number;
  inputTokens: number;
  outputTokens: number;
  provider: string;
  model: string;
  /**
   * The session's `purged_through_turn_id` when the summary's inputs were read (sessionPurgedThrough):
   * if retention has deleted turns since, the summary may carry their facts and is not written.
   */
  purgedThroughTurnId?: string;
}

export interface SavedSummary {
  row: SummaryRow | undefined;
  inserted: boolean;
  /** Set when nothing was written: the session is gone, or retention deleted turns the summary was computed from. */
  refused?: 'forgotten' | 'retention';
}

/** The highest turn id retention has deleted in a session (`'0'`: none; undefined: no such session). */
export async function sessionPurgedThrough(db: Db, agentId: string, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(sql<string>`purged_through_turn_id::text`.as('purged'))
    .where('agent_id', '=', agentId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row?.purged;
}

/**
 * Writes a summary idempotently: an upsert on (agent, session, covers_through_turn_id) that keeps the
 * first row, so a job re-run after a stall or crash changes nothing. Nothing is written when the session
 * no longer exists (it was forgotten meanwhile) or when retention deleted turns of it after the inputs
 * were read (`purgedThroughTurnId` moved). The session row is locked first, as forget and retention lock
 * it, so the check and the insert see one state. Returns the stored row.
 */
export async function saveSummary(db: Db, s: NewSummary): Promise<SavedSummary> {
  return db.transaction().execute(async (trx) => {
    const { rows: locked } = await sql<{ purged: string }>`
      select purged_through_turn_id::text as purged from sessions
      where agent_id = ${s.agentId} and session_id = ${s.sessionId} for update
    `.execute(trx);
    const purged = locked[0]?.purged;
    if (purged === undefined) return { row: undefined, inserted: false, refused: 'forgotten' as const };
    if (s.purgedThroughTurnId !== undefined && purged !== s.purgedThroughTurnId) return { row: undefined, inserted: false, refused: 'retention' as const };
    const { rows } = await sql<{ id: string }>`
      insert into summaries (agent_id, session_id, summary, covers_through_turn_id, turns_covered, input_tokens, output_tokens, provider, model)
      select ${s.agentId}, ${s.sessionId}, ${s.summary}, ${s.coversThroughTurnId}, ${s.turnsCovered}, ${s.inputTokens}, ${s.outputTokens}, ${s.provider}, ${s.model}
      where exists (select 1 from turns where id = ${s.coversThroughTurnId} and agent_id = ${s.agentId} and session_id = ${s.sessionId})
      on conflict (agent_id, session_id, covers_through_turn_id) do nothing
      returning id
    `.execute(trx);
    const inserted = rows.length > 0;
    if (inserted) {
      // The session's unsummarised tokens are now those after the newest summary; its cached reads change.
      await sql`
        update sessions set cache_epoch = ${sql.raw(NEW_CACHE_EPOCH)}, unsummarised_tokens = coalesce((
          select sum(token_count) from turns
          where agent_id = ${s.agentId} and session_id = ${s.sessionId}
            and id > (select max(covers_through_turn_id) from summaries where agent_id = ${s.agentId} and session_id = ${s.sessionId})
        ), 0)
        where agent_id = ${s.agentId} and session_id = ${s.sessionId}
      `.execute(trx);
    }
    const row = await summaryThrough(trx, s.agentId, s.sessionId, s.coversThroughTurnId);
    return { row, inserted };
  });
}

export interface SessionView {
  session_id: string;
  turn_count: number;
  token_count: number;
  unsummarised_tokens: number;
  created_at: string;
  updated_at: string;
}

export async function listSessions(db: Db, agentId: string, limit = 1_000): Promise<SessionView[]> {
  const rows = await db.selectFrom('sessions').selectAll().where('agent_id', '=', agentId).orderBy('updated_at', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    session_id: r.session_id,
    turn_count: r.turn_count,
    token_count: Number(r.token_count),
    unsummarised_tokens: Number(r.unsummarised_tokens),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  }));
}

export interface ForgetResult {
  turns_deleted: number;
  summaries_deleted: number;
  sessions: string[];
}

/**
 * Deletes an agent's memory (one session, or all of them) in one transaction. The session rows are
 * locked first, in session order, as retention and saveSummary lock them, so they cannot deadlock.
 */
export async function forget(db: Db, agentId: string, sessionId: string | undefined): Promise<ForgetResult> {
  return db.transaction().execute(async (trx) => {
    let lockQ = trx.selectFrom('sessions').select('session_id').where('agent_id', '=', agentId);
    let turnsQ = trx.deleteFrom('turns').where('agent_id', '=', agentId);
    let sumQ = trx.deleteFrom('summaries').where('agent_id', '=', agentId);
    let sessQ = trx.deleteFrom('sessions').where('agent_id', '=', agentId);
    if (sessionId !== undefined) {
      lockQ = lockQ.where('session_id', '=', sessionId);
      turnsQ = turnsQ.where('session_id', '=', sessionId);
      sumQ = sumQ.where('session_id', '=', sessionId);
      sessQ = sessQ.where('session_id', '=', sessionId);
    }
    await lockQ.orderBy('session_id').forUpdate().execute();
    const t = await turnsQ.executeTakeFirst();
    const s = await sumQ.executeTakeFirst();
    const sessions = await sessQ.returning('session_id').execute();
    return { turns_deleted: Number(t.numDeletedRows), summaries_deleted: Number(s.numDeletedRows), sessions: sessions.map((r) => r.session_id) };
  });
}
