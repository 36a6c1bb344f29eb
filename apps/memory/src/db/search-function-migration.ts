// Migration: search_memory's full-text search as one function in the database (src/search/full-text-search.ts
// says what it finds; the README's Search section what it costs), so a search is one round trip instead of
// a transaction of four. Frozen in time like every migration: a later change is a new `create or replace`.
// Creating a function takes no lock on `turns`: safe on a table of any size.
import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `search_turn_matches(agent, session or null, query, candidates, limit, first_walk, scan_rows, hit_chars)`:
 * the agent's newest `candidates` turns matching `websearch_to_tsquery('english', query)`, ranked
 * (`ts_rank_cd`, then newest first), the best `limit` of them, content cut to `hit_chars`. Found by:
 *   1. the walk: the newest `first_walk` turns through (agent_id, id) / (agent_id, session_id, id);
 *   2. the walk goes on (up to `scan_rows` turns in all) when the density it saw says that finishes it and
 *      reads fewer rows than the GIN index would return matches;
 *   3. otherwise, with index scans off (bitmaps only, whatever the statistics say):
 *      a. the probe: the older matches through the (agent_id || '', search) GIN index alone, stopping after
 *         `need + 1` rows (a bitmap heap scan without ORDER BY stops early): at most `need` is all of them;
 *      b. else id windows walking back from the walk's end, sized from the density seen, each next one at
 *         least 4x wider: each a BitmapAnd of the GIN index and the (agent_id, id) btree over the window, so
 *         the heap is read only for the window's matches (for an agent that holds half the table or more, the
 *         GIN index is asked for the word alone: its entry for such an agent costs what the table's would).
 * The plans are custom (the planner sees the query and ids), and the settings return to the caller's at exit.
 */
const createFunction = sql`
create or replace function search_turn_matches(
  p_agent text, p_session text, p_query text, p_candidates int, p_limit int, p_first_walk int, p_scan_rows int, p_hit_chars int)
returns table (id bigint, session_id text, role text, content text, created_at timestamptz, rank real)
language plpgsql stable
set enable_seqscan = off
set enable_indexscan = on
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  q tsquery := websearch_to_tsquery('english', p_query);
  ids bigint[];
  more bigint[];
  found int;
  need int;
  boundary bigint;
  total bigint;
  remaining float8;
  first_id bigint;
  density float8;
  walk_rows float8;
  rest int := p_scan_rows - p_first_walk;
  walked int := p_first_walk;
  win float8;
  seen float8;
  looked float8;
  word_only boolean;
  lo bigint;
  hi bigint;
begin
  -- 1. The walk over the newest turns, and where it ends (an index-only scan).
  select coalesce(array_agg(m.id), '{}') into ids from (
    select w.id from (
      select t.id, t.search from turns t
      where t.agent_id = p_agent and (p_session is null or t.session_id = p_session)
      order by t.id desc limit p_first_walk) w
    where w.search @@ q order by w.id desc limit p_candidates) m;
  found := cardinality(ids);
  if found < p_candidates then
    select t.id into boundary from turns t
    where t.agent_id = p_agent and (p_session is null or t.session_id = p_session)
    order by t.id desc offset p_first_walk - 1 limit 1;
  end if;

  if boundary is not null and found < p_candidates then
    -- The agent's (or session's) turn count from its session counters; unknown (0) is taken as long.
    select sum(s.turn_count) into total from sessions s
    where s.agent_id = p_agent and (p_session is null or s.session_id = p_session);
    remaining := case when coalesce(total, 0) > p_first_walk then total - p_first_walk else 'infinity'::float8 end;

    -- 2. The walk goes on when the density seen says it finds the rest within the budget, reading fewer
    --    rows than the GIN index would return matches.
    if found > 0 and rest > 0 then
      density := found::float8 / p_first_walk;
      walk_rows := least(remaining, (p_candidates - found) / density);
      if walk_rows <= rest and walk_rows <= density * remaining then
        select coalesce(array_agg(m.id), '{}') into more from (
          select w.id from (
            select t.id, t.search from turns t
            where t.agent_id = p_agent and (p_session is null or t.session_id = p_session) and t.id < boundary
            order by t.id desc limit rest) w
          where w.search @@ q order by w.id desc limit p_candidates - found) m;
        ids := ids || more;
        found := cardinality(ids);
        remaining := remaining - rest;
        walked := walked + rest;
        select t.id into boundary from turns t
        where t.agent_id = p_agent and (p_session is null or t.session_id = p_session) and t.id < boundary
        order by t.id desc offset rest - 1 limit 1;
      end if;
    end if;
  end if;

  if boundary is not null and found < p_candidates then
    need := p_candidates - found;
    -- The agent's first turn (for the windows' id spread), while index-only scans are still on.
    select t.id into first_id from turns t
    where t.agent_id = p_agent and (p_session is null or t.session_id = p_session)
    order by t.id limit 1;
    -- Whether the agent holds half the table or more (its turns against the table's span of ids): then the
    -- windows ask the GIN index for the word alone, because its entry for the agent, which the index reads
    -- in full beside the word's, costs about what the whole table's would (the btree bounds the agent).
    select (coalesce(total, 0) * 2 >= max(t.id) - min(t.id) + 1) into word_only from turns t;
    perform set_config('enable_indexscan', 'off', true);

    -- 3a. The probe, when the walk saw too few matches to say there are more than need older ones: the
    --     GIN index alone (no btree can serve these conditions), stopping after need + 1 rows.
    more := null;
    if found = 0 or found * remaining < 4.0 * need * walked then
      select coalesce(array_agg(m.id), '{}') into more from (
        select t.id from turns t
        where t.search @@ q and t.agent_id || '' = p_agent
          and (p_session is null or t.session_id || '' = p_session) and t.id + 0 < boundary
        limit need + 1) m;
    end if;

    if cardinality(more) <= need then
      ids := ids || more;
    else
      -- 3b. Windows of turns walking back from the walk's end, newest first, each the GIN index ANDed with
      --     the (agent_id, id) btree over an id range: the first sized to hold twice the matches still
      --     wanted at the density the walk saw (a quarter of a match per walk when it saw none), each next one
      --     sized the same way from the density seen so far and at least 4x wider, the last reaching the
      --     agent's first turn. A window's turns become ids through the agent's span of ids per turn.
      seen := found;
      looked := walked;
      win := 2 * need * looked / greatest(seen, 0.25);
      hi := boundary;
      loop
        lo := case when remaining = 'infinity'::float8 or win >= remaining then first_id
                   else greatest(first_id, hi - ceil(win * (hi - first_id) / remaining)::bigint) end;
        select coalesce(array_agg(m.id), '{}') into more from (
          select t.id from turns t
          where t.agent_id = p_agent and (p_session is null or t.session_id = p_session)
            and t.id >= lo and t.id < hi
            and t.search @@ q and (word_only or t.agent_id || '' = p_agent)
          order by t.id desc limit need) m;
        ids := ids || more;
        need := need - cardinality(more);
        exit when need <= 0 or lo <= first_id;
        seen := seen + cardinality(more);
        looked := looked + win;
        remaining := remaining - win;
        hi := lo;
        win := greatest(4 * win, 2 * need * looked / greatest(seen, 0.25));
      end loop;
    end if;
  end if;

  return query
    select t.id, t.session_id, t.role, left(t.content, p_hit_chars + 1), t.created_at, ts_rank_cd(t.search, q)
    from turns t
    where t.id = any(ids) and t.agent_id = p_agent
    order by 6 desc, 1 desc
    limit p_limit;
end
$fn$`;

export const createSearchFunction: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await createFunction.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>) {
    await sql`drop function if exists search_turn_matches(text, text, text, int, int, int, int, int)`.execute(db);
  },
};
