// Ranked Postgres full-text search (english stemming, websearch syntax) over an agent's turns, whose cost
// is bounded by the answer, not by the history, and whose plan does not hang on the planner's guess of
// how common a word is. It ranks the agent's newest `candidates` matching turns, found in one round trip
// by the database function `search_turn_matches` (migration 20261223000000, src/db/search-function-migration.ts):
//   1. a walk over the agent's newest FIRST_WALK turns, newest first, through (agent_id, id) (a common word
//      ends it);
//   2. when it found fewer and the history goes on, and the matches it saw say that walking on finds the
//      rest within `scanRows` turns in all and reads fewer rows than the GIN index would return matches
//      (the agent's turn count comes from its session counters): the walk goes on, from where it stopped;
//   3. otherwise, bitmaps only: a probe of the (agent_id || '', search) GIN index that stops after the
//      matches still wanted + 1 (fewer: they are all), else id windows walking back from the walk's end,
//      each the GIN index ANDed with the (agent_id, id) btree, so the heap is read for the window's matches.
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

export interface RankedId {
  id: string;
  rank: number;
}

interface HitRow {
  id: string;
  session_id: string;
  role: Role;
  content: string;
  created_at: Date | string;
  rank: number;
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

/** The statement of one search: the best `limit` of the agent's newest `candidates` matches, ranked. */
export function textMatchesStatement(agentId: string, query: string, sessionId: string | undefined, limit: number, options: TextSearchOptions) {
  const candidates = Math.max(options.candidates, limit);
  const first = Math.min(FIRST_WALK, options.scanRows);
  return sql<HitRow>`
    select m.id, m.session_id, m.role, m.content, m.created_at, m.rank
    from search_turn_matches(${agentId}, ${sessionId ?? null}, ${query}, ${candidates}::int, ${limit}::int, ${first}::int, ${options.scanRows}::int, ${HIT_CHARS}::int) m`;
}

/** The newest `candidates` matches of the agent ranked (ts_rank_cd, then newest first); the best `limit`. */
export async function rankTextMatches(db: Db, agentId: string, query: string, sessionId: string | undefined, limit: number, options: TextSearchOptions): Promise<SearchHit[]> {
  const { rows } = await textMatchesStatement(agentId, query, sessionId, limit, options).execute(db);
  return rows.map(toHit).sort((a, b) => b.rank - a.rank || newerFirst(a.memory_id, b.memory_id));
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
