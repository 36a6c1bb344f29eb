// The search search_memory ran before the search function (git history: apps/memory/src/search/full-text-search.ts
// before migration 20261223000000), frozen here as a baseline for bench/memory-scale.bench.mjs: up to three
// statements from the client (the walk, the walk going on, the older matches through the GIN index in a
// transaction with set_config), four round trips for a rare word.
import { createRequire } from 'node:module';

const { sql } = createRequire(new URL('../../apps/memory/package.json', import.meta.url))('kysely');

const HIT_CHARS = 1_000;
/** Step 1's walk: long enough to see how common the word is, short enough to cost little when it is rare. */
const FIRST_WALK = 200;
const tsquery = (query) => sql `websearch_to_tsquery('english', ${query})`;
const sessionFilter = (sessionId) => (sessionId === undefined ? sql `` : sql `and t.session_id = ${sessionId}`);
/**
 * The best `limit` of `matches` (a materialized CTE of id, search, content, created_at, role, session_id),
 * ranked with `ts_rank_cd`, and how many matches there were; always one row at least (an empty match set
 * is a row of nulls), so `extras` (facts for the next step) travel in the same round trip. Only the best
 * `limit` of each step can be among the best `limit` overall, so each step returns just those.
 */
const bestOf = (query, limit, extras = sql ``) => sql `
    select b.*${extras}
    from (select 1) one left join (
      select m.id, m.session_id, m.role, m.content, m.created_at, ts_rank_cd(m.search, ${tsquery(query)}) as rank, count(*) over () as found
      from matches m
      order by rank desc, m.id desc
      limit ${limit}
    ) b on true
    order by b.rank desc, b.id desc`;
const olderThan = (before) => (before === undefined ? sql `` : sql `and t.id < ${before}`);
/**
 * Steps 1 and 2: among the agent's newest `scanRows` turns (older than `before`), the newest `candidates`
 * matches; their best `limit`; where the walk ended; and (step 1) the agent's turn count.
 */
function recentMatchesStatement(agentId, query, sessionId, scanRows, candidates, limit = candidates, before) {
    const extras = sql `,
      (select t.id from turns t where t.agent_id = ${agentId} ${sessionFilter(sessionId)} ${olderThan(before)} order by t.id desc offset ${scanRows - 1} limit 1) as walk_end,
      (select sum(s.turn_count) from sessions s where s.agent_id = ${agentId} ${sessionId === undefined ? sql `` : sql `and s.session_id = ${sessionId}`}) as total`;
    return sql `
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
function olderMatchesStatement(agentId, query, sessionId, boundary, remaining, limit = remaining) {
    return sql `
    with matches as materialized (
      select t.id, t.session_id, t.role, left(t.content, ${HIT_CHARS + 1}) as content, t.created_at, t.search
      from turns t
      where t.search @@ ${tsquery(query)} and t.agent_id || '' = ${agentId}
        ${sessionId === undefined ? sql `` : sql `and t.session_id || '' = ${sessionId}`}
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
async function withBitmapScansOnly(db, fn) {
    return db.transaction().execute(async (trx) => {
        await sql `select set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)`.execute(trx);
        return fn(trx);
    });
}
const newerFirst = (a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0);
const toHit = (r) => ({
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
function walkOn(found, walked, wanted, remaining, budget) {
    if (found === 0 || remaining <= 0 || budget <= 0)
        return false;
    const density = found / walked;
    const walkRows = Math.min(remaining, (wanted - found) / density);
    const ginMatches = density * remaining;
    return walkRows <= budget && walkRows <= ginMatches;
}
/** The newest `candidates` matches of the agent ranked (ts_rank_cd, then newest first); the best `limit`. */
async function rankTextMatches(db, agentId, query, sessionId, limit, options) {
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

/** The two-step search's answer: the best `limit` of the agent's newest 200 matches. */
export const twoStepSearch = (db, agentId, query, sessionId, limit) => rankTextMatches(db, agentId, query, sessionId, limit, { candidates: 200, scanRows: 10_000 });
