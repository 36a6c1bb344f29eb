// Ranked Postgres full-text search (english stemming, websearch syntax) over an agent's turns, whose cost
// is bounded by the answer, not by the history, and whose plan does not hang on the planner's guess of
// how common a word is. It ranks the agent's newest `candidates` matching turns, found in steps whose
// plans are fixed by the statements themselves and chosen from what the walk has seen:
//   1. a walk over the agent's newest FIRST_WALK turns, newest first, through (agent_id, id), stopping
//      once `candidates` matches are found (a common word ends it early);
//   2. when it found fewer and the history goes on, and the matches it saw say that walking on finds the
//      rest within `scanRows` turns in all and reads fewer rows than the GIN index would fetch matches
//      (the agent's turn count comes from its session counters): the walk goes on, from where it stopped;
//   3. otherwise (a rare word, or still short): the older matches through the (agent_id, search) GIN
//      index only (bitmap scans; index and sequential scans are off for that statement), so a rare word
//      costs what this agent's matches cost.
// The answer is exactly that of ranking the newest `candidates` matches (tested on a seeded corpus).
import { sql } from 'kysely';
import type { Role } from '../db/schema.js';
import type { Db } from '../turns/turn-repository.js';

export interface SearchHit {
  memory_id: string;
  session_id: string;
  role: Role;
  content: string;
  truncated: boolean;
  rank: number;
  created_at: string;
}

export interface TextSearchOptions {
  /** How many of the newest matching turns are ranked (at least the limit asked for). */
  candidates: number;
  /** The longest walk over the agent's newest turns (steps 1 and 2) before the GIN index answers. */
  scanRows: number;
}

export const DEFAULT_SEARCH_CANDIDATES = 200;
export const DEFAULT_SEARCH_SCAN_ROWS = 10_000;
export const DEFAULT_TEXT_SEARCH: TextSearchOptions = { candidates: DEFAULT_SEARCH_CANDIDATES, scanRows: DEFAULT_SEARCH_SCAN_ROWS };

const HIT_CHARS = 1_000;
/** Step 1's walk: long enough to see how common the word is, short enough to cost little when it is rare. */
export const FIRST_WALK = 200;
const tsquery = (query: string) => sql`websearch_to_tsquery('english', ${query})`;
const sessionFilter = (sessionId: string | undefined) => (sessionId === undefined ? sql`` : sql`and t.session_id = ${sessionId}`);

export interface RankedId {
  id: string;
  rank: number;
}

interface HitRow {
  id: string | null;
  session_id: string;
  role: Role;
  content: string;
  created_at: Date | string;
  rank: number;
  found: number | null;
  /** Steps 1 and 2: the walk's last turn (null: it saw the whole history). */
  walk_end?: string | null;
  /** Step 1: the agent's (or session's) turn count from its session counters. */
  total?: string | null;
}

/**
 * The best `limit` of `matches` (a materialized CTE of id, search, content, created_at, role, session_id),
 * ranked with `ts_rank_cd`, and how many matches there were; always one row at least (an empty match set
 * is a row of nulls), so `extras` (facts for the next step) travel in the same round trip. Only the best
 * `limit` of each step can be among the best `limit` overall, so each step returns just those.
 */
const bestOf = (query: string, limit: number, extras = sql``) => sql`
    select b.*${extras}
    from (select 1) one left join (
      select m.id, m.session_id, m.role, m.content, m.created_at, ts_rank_cd(m.search, ${tsquery(query)}) as rank, count(*) over () as found
      from matches m
      order by rank desc, m.id desc
      limit ${limit}
    ) b on true
    order by b.rank desc, b.id desc`;

const olderThan = (before: string | undefined) => (before === undefined ? sql`` : sql`and t.id < ${before}`);

/**
 * Steps 1 and 2: among the agent's newest `scanRows` turns (older than `before`), the newest `candidates`
 * matches; their best `limit`; where the walk ended; and (step 1) the agent's turn count.
 */
export function recentMatchesStatement(agentId: string, query: string, sessionId: string | undefined, scanRows: number, candidates: number, limit = candidates, before?: string) {
  const extras = sql`,
      (select t.id from turns t where t.agent_id = ${agentId} ${sessionFilter(sessionId)} ${olderThan(before)} order by t.id desc offset ${scanRows - 1} limit 1) as walk_end,
      (select sum(s.turn_count) from sessions s where s.agent_id = ${agentId} ${sessionId === undefined ? sql`` : sql`and s.session_id = ${sessionId}`}) as total`;
  return sql<HitRow>`
    with matches as materialized (
      select w.id, w.session_id, w.role, w.content, w.created_at, w.search
      from (
        select t.id, t.session_id, t.role, left(t.content, ${HIT_CHARS + 1}) as content, t.created_at, t.search from turns t
        where t.agent_id = ${agentId} ${sessionFilter(sessionId)} ${olderThan(before)}
        order by t.id desc
        limit ${scanRows}
      ) w
      where w.search @@ ${tsquery(query)}
      order by w.id desc
      limit ${candidates}
    )
    ${bestOf(query, limit, extras)}`;
}

/**
 * Step 3: the newest `remaining` matches older than `boundary`, their best `limit`; run under
 * withBitmapScansOnly. Only the GIN index on (agent_id || '', search) can serve it: the conditions are
 * written so that no btree does (`agent_id || ''`, `id + 0`, `session_id || ''`), else a bitmap over the
 * agent's turns or the id range would cost the whole history.
 */
export function olderMatchesStatement(agentId: string, query: string, sessionId: string | undefined, boundary: string, remaining: number, limit = remaining) {
  return sql<HitRow>`
    with matches as materialized (
      select t.id, t.session_id, t.role, left(t.content, ${HIT_CHARS + 1}) as content, t.created_at, t.search
      from turns t
      where t.search @@ ${tsquery(query)} and t.agent_id || '' = ${agentId}
        ${sessionId === undefined ? sql`` : sql`and t.session_id || '' = ${sessionId}`}
        and t.id + 0 < ${boundary}
      order by t.id desc
      limit ${remaining}
    )
    ${bestOf(query, limit)}`;
}

/**
 * Runs `fn` in a transaction whose statements are planned with bitmap scans only, so step 2 goes through
 * the GIN index whatever the statistics say: a backward walk (index scan) or a sequential scan costs the
 * whole history when the planner takes a rare word for a common one (seen at 1,000,000 turns).
 */
export async function withBitmapScansOnly<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)`.execute(trx);
    return fn(trx);
  });
}

const newerFirst = (a: string, b: string) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0);

const toHit = (r: HitRow): SearchHit => ({
  memory_id: String(r.id),
  session_id: r.session_id,
  role: r.role,
  content: r.content.slice(0, HIT_CHARS),
  truncated: r.content.length > HIT_CHARS,
  rank: Number(r.rank),
  created_at: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString(),
});

/**
 * Whether to walk on (step 2) rather than ask the GIN index (step 3), from the density seen in the first
 * walk: walking on must finish within the walk budget and read fewer rows than the GIN index would fetch
 * matches. Both read about one heap page per row, so rows read is the cost either way.
 */
export function walkOn(found: number, walked: number, wanted: number, remaining: number, budget: number): boolean {
  if (found === 0 || remaining <= 0 || budget <= 0) return false;
  const density = found / walked;
  const walkRows = Math.min(remaining, (wanted - found) / density);
  const ginMatches = density * remaining;
  return walkRows <= budget && walkRows <= ginMatches;
}

/** The newest `candidates` matches of the agent ranked (ts_rank_cd, then newest first); the best `limit`. */
export async function rankTextMatches(db: Db, agentId: string, query: string, sessionId: string | undefined, limit: number, options: TextSearchOptions): Promise<SearchHit[]> {
  const candidates = Math.max(options.candidates, limit);
  const first = Math.min(FIRST_WALK, options.scanRows);
  const step1 = (await recentMatchesStatement(agentId, query, sessionId, first, candidates, limit).execute(db)).rows;
  const rows = step1.filter((r) => r.id !== null);
  let found = Number(step1[0]?.found ?? 0);
  let boundary = step1[0]?.walk_end ?? undefined;
  if (found < candidates && boundary !== undefined) {
    // A history the counters do not know (0) is taken as long: the walk budget still bounds step 2.
    const total = Number(step1[0]?.total ?? 0);
    const remaining = total > first ? total - first : Number.MAX_SAFE_INTEGER;
    const rest = options.scanRows - first;
    if (walkOn(found, first, candidates, remaining, rest)) {
      const step2 = (await recentMatchesStatement(agentId, query, sessionId, rest, candidates - found, limit, String(boundary)).execute(db)).rows;
      found += Number(step2[0]?.found ?? 0);
      rows.push(...step2.filter((r) => r.id !== null));
      boundary = step2[0]?.walk_end ?? undefined;
    }
    if (boundary !== undefined && found < candidates) {
      const older = await withBitmapScansOnly(db, async (trx) => (await olderMatchesStatement(agentId, query, sessionId, String(boundary), candidates - found, limit).execute(trx)).rows);
      rows.push(...older.filter((r) => r.id !== null));
    }
  }
  return rows
    .map(toHit)
    .sort((a, b) => b.rank - a.rank || newerFirst(a.memory_id, b.memory_id))
    .slice(0, limit);
}

/** The hits for these turn ids of the agent, in the order given (ids of other agents or deleted turns are left out). */
export async function hitsByIds(db: Db, agentId: string, ranked: readonly RankedId[]): Promise<SearchHit[]> {
  if (ranked.length === 0) return [];
  const { rows } = await sql<{ id: string; session_id: string; role: Role; content: string; created_at: Date | string }>`
    select t.id, t.session_id, t.role, left(t.content, ${HIT_CHARS + 1}) as content, t.created_at
    from turns t where t.id = any(${ranked.map((r) => r.id)}::bigint[]) and t.agent_id = ${agentId}`.execute(db);
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  return ranked.flatMap(({ id, rank }) => {
    const r = byId.get(id);
    if (!r) return [];
    const created = r.created_at instanceof Date ? r.created_at : new Date(r.created_at);
    return [{ memory_id: id, session_id: r.session_id, role: r.role, content: r.content.slice(0, HIT_CHARS), truncated: r.content.length > HIT_CHARS, rank, created_at: created.toISOString() }];
  });
}

/** Full-text search: the newest `candidates` matches ranked, the best `limit` of them. */
export async function searchTurns(
  db: Db,
  agentId: string,
  query: string,
  sessionId: string | undefined,
  limit: number,
  options: TextSearchOptions = DEFAULT_TEXT_SEARCH,
): Promise<SearchHit[]> {
  return rankTextMatches(db, agentId, query, sessionId, limit, options);
}
