// What the replicas share about each service, in Postgres (table `service_state`): the latest poll and
// probe, for every replica's API and dashboard, and the failing streak an incident opens from, so that
// consecutive sweeps by different replicas count as consecutive.
import { sql, type Kysely } from 'kysely';
import type { ProbeResult } from '../catalog/mcp-catalog.js';
import type { Database } from '../db/schema.js';
import type { Streak } from '../incidents/incident-tracker.js';
import type { ServicePoll } from '../health/types.js';

export interface SweptState {
  poll: ServicePoll;
  /** The failing streak after this poll (undefined: none). */
  streak: Streak | undefined;
}

/** Writes the latest polls and streaks of the services one replica has just swept (one statement). */
export async function writeSweptStates(db: Kysely<Database>, states: readonly SweptState[], replica: string): Promise<void> {
  if (states.length === 0) return;
  await sql`
    insert into service_state (service, checked_at, poll, streak_count, streak_first_at, streak_dependencies, swept_by, updated_at)
    select v.service, v.checked_at, v.poll::jsonb, v.streak_count, v.streak_first_at, v.streak_dependencies::jsonb, ${replica}, clock_timestamp()
    from unnest(${states.map((s) => s.poll.service)}::text[], ${states.map((s) => s.poll.checkedAt)}::timestamptz[], ${states.map((s) => JSON.stringify(s.poll))}::text[],
                ${states.map((s) => s.streak?.count ?? 0)}::int[], ${states.map((s) => s.streak?.firstAt ?? null)}::timestamptz[],
                ${states.map((s) => JSON.stringify(s.streak?.dependencies ?? []))}::text[]) as v(service, checked_at, poll, streak_count, streak_first_at, streak_dependencies)
    on conflict (service) do update set checked_at = excluded.checked_at, poll = excluded.poll, streak_count = excluded.streak_count,
      streak_first_at = excluded.streak_first_at, streak_dependencies = excluded.streak_dependencies, swept_by = excluded.swept_by, updated_at = excluded.updated_at,
      written_xid = pg_current_xact_id()`.execute(db);
}

/** Writes the latest synthetic probe results. */
export async function writeProbeStates(db: Kysely<Database>, probes: readonly ProbeResult[], replica: string): Promise<void> {
  if (probes.length === 0) return;
  await sql`
    insert into service_state (service, probe, swept_by, updated_at)
    select v.service, v.probe::jsonb, ${replica}, clock_timestamp()
    from unnest(${probes.map((p) => p.service)}::text[], ${probes.map((p) => JSON.stringify(p))}::text[]) as v(service, probe)
    on conflict (service) do update set probe = excluded.probe, swept_by = excluded.swept_by, updated_at = excluded.updated_at, written_xid = pg_current_xact_id()`.execute(db);
}

/** The failing streaks of `services` as the last replica to sweep each left them. */
export async function readStreaks(db: Kysely<Database>, services: readonly string[]): Promise<Map<string, Streak>> {
  const streaks = new Map<string, Streak>();
  if (services.length === 0) return streaks;
  const rows = await db
    .selectFrom('service_state')
    .select(['service', 'streak_count', 'streak_first_at', 'streak_dependencies'])
    .where('service', 'in', services)
    .where('streak_count', '>', 0)
    .execute();
  for (const r of rows) {
    if (!r.streak_first_at) continue;
    const dependencies = typeof r.streak_dependencies === 'string' ? (JSON.parse(r.streak_dependencies) as string[]) : r.streak_dependencies;
    streaks.set(r.service, { count: r.streak_count, firstAt: new Date(r.streak_first_at), dependencies });
  }
  return streaks;
}

export interface SharedServiceState {
  service: string;
  poll: ServicePoll | null;
  probe: ProbeResult | null;
}

const json = <T>(v: unknown): T | null => (v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/**
 * Rows other replicas wrote since the read that returned `horizon` (all rows when null), and the horizon
 * for the next read. The horizon is the oldest transaction still running when this read's snapshot was
 * taken (pg_snapshot_xmin): every row written by an older transaction is in this read or an earlier one,
 * and a row written by a transaction still running then has a written_xid at or past it, so the next read
 * returns it. A row is thus read once, or twice when it was written while an older transaction ran.
 * Every replica reads every other replica's rows each interval: only the columns the view shows are read,
 * and each parsed poll is used as it is (its timestamp made a Date in place), not copied.
 */
export async function readSharedStates(db: Kysely<Database>, horizon: string | null, exceptReplica: string): Promise<{ states: SharedServiceState[]; horizon: string }> {
  const { rows } = await sql<{ horizon: string; service: string | null; poll: unknown; probe: unknown }>`
    with h as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
    select h.xmin::text as horizon, s.service, s.poll, s.probe
    from h left join service_state s on s.swept_by <> ${exceptReplica} and s.written_xid >= ${horizon ?? '0'}::xid8`.execute(db);
  const states: SharedServiceState[] = [];
  for (const r of rows) {
    if (r.service === null) continue;
    const poll = json<Omit<ServicePoll, 'checkedAt'> & { checkedAt: string | Date }>(r.poll);
    const probe = json<Omit<ProbeResult, 'at'> & { at: string | Date }>(r.probe);
    if (poll) poll.checkedAt = new Date(poll.checkedAt);
    if (probe) probe.at = new Date(probe.at);
    states.push({ service: r.service, poll: poll as ServicePoll | null, probe: probe as ProbeResult | null });
  }
  return { states, horizon: rows[0]?.horizon ?? horizon ?? '0' };
}
