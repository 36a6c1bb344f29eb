// Incidents in Postgres: open, resolve, list with filters and keyset pagination, MTTR over a window.
import { sql, type Kysely } from 'kysely';
import type { Database, Incident } from '../db/schema.js';

export async function openIncidents(db: Kysely<Database>): Promise<Incident[]> {
  return db.selectFrom('incidents').selectAll().where('resolved_at', 'is', null).execute();
}

/** An opening (dated at its first failure) or a resolution, as the tracker decided it in memory. */
export interface IncidentEvent {
  kind: 'open' | 'resolve';
  service: string;
  dependency: string | null;
  at: Date;
  cause: string;
}

/**
 * Writes openings and resolutions in their order, in one transaction of few statements: events are cut
 * into rounds in which each (service, dependency) appears once, and each round is one insert of its
 * openings and one update of its resolutions. Returns the new incident id for each opening (null for
 * resolutions and for openings that were already open).
 */
export async function writeIncidentEvents(db: Kysely<Database>, events: readonly IncidentEvent[]): Promise<Array<string | null>> {
  const ids = new Array<string | null>(events.length).fill(null);
  const rounds: number[][] = [];
  let seen = new Set<string>();
  let round: number[] = [];
  events.forEach((e, i) => {
    const key = JSON.stringify([e.service, e.dependency]);
    if (seen.has(key)) {
      rounds.push(round);
      round = [];
      seen = new Set();
    }
    seen.add(key);
    round.push(i);
  });
  if (round.length) rounds.push(round);
  await db.transaction().execute(async (trx) => {
    for (const r of rounds) {
      const opens = r.filter((i) => events[i]?.kind === 'open');
      const resolves = r.filter((i) => events[i]?.kind === 'resolve');
      const col = <T>(list: number[], f: (e: IncidentEvent) => T) => list.map((i) => f(events[i] as IncidentEvent));
      if (opens.length) {
        const { rows } = await sql<{ id: string; service: string; dependency: string | null }>`
          insert into incidents (service, dependency, opened_at, cause)
          select * from unnest(${col(opens, (e) => e.service)}::text[], ${col(opens, (e) => e.dependency)}::text[], ${col(opens, (e) => e.at)}::timestamptz[], ${col(opens, (e) => e.cause.slice(0, 500))}::text[])
          on conflict do nothing
          returning id, service, dependency`.execute(trx);
        const byKey = new Map(rows.map((row) => [JSON.stringify([row.service, row.dependency]), String(row.id)]));
        for (const i of opens) {
          const e = events[i] as IncidentEvent;
          ids[i] = byKey.get(JSON.stringify([e.service, e.dependency])) ?? null;
        }
      }
      if (resolves.length) {
        await sql`
          update incidents as i set resolved_at = v.at
          from unnest(${col(resolves, (e) => e.service)}::text[], ${col(resolves, (e) => e.dependency)}::text[], ${col(resolves, (e) => e.at)}::timestamptz[]) as v(service, dependency, at)
          where i.service = v.service and i.dependency is not distinct from v.dependency and i.resolved_at is null`.execute(trx);
      }
    }
  });
  return ids;
}

export interface IncidentFilter {
  service?: string | undefined;
  dependency?: string | undefined;
  state?: 'open' | 'resolved' | undefined;
  /** Incidents that were open at some point in [from, to). */
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  /** Keyset cursor: id of the last incident of the previous page. */
  before?: string | undefined;
}

/** Newest first (by id), `limit` per page; `nextCursor` is set when more exist. */
export async function listIncidents(db: Kysely<Database>, f: IncidentFilter): Promise<{ incidents: Incident[]; nextCursor: string | null }> {
  let q = db.selectFrom('incidents').selectAll();
  if (f.service) q = q.where('service', '=', f.service);
  if (f.dependency) q = q.where('dependency', '=', f.dependency);
  if (f.state === 'open') q = q.where('resolved_at', 'is', null);
  if (f.state === 'resolved') q = q.where('resolved_at', 'is not', null);
  if (f.to) q = q.where('opened_at', '<', f.to);
  if (f.from) {
    const from = f.from;
    q = q.where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', from)]));
  }
  if (f.before) q = q.where('id', '<', f.before);
  const rows = await q
    .orderBy(sql`id::bigint`, 'desc')
    .limit(f.limit + 1)
    .execute();
  const more = rows.length > f.limit;
  const incidents = more ? rows.slice(0, f.limit) : rows;
  return { incidents, nextCursor: more ? (incidents[incidents.length - 1]?.id ?? null) : null };
}

export interface Mttr {
  /** Incidents resolved inside the window. */
  resolved: number;
  /** Mean time to recovery in seconds (null when none resolved). */
  mttrSeconds: number | null;
}

/** MTTR over incidents resolved in [from, to): mean of (resolved_at - opened_at). */
export async function mttr(db: Kysely<Database>, from: Date, to: Date, filter: { service?: string | undefined } = {}): Promise<Mttr> {
  let q = db
    .selectFrom('incidents')
    .select([sql<string>`count(*)`.as('n'), sql<string | null>`avg(extract(epoch from (resolved_at - opened_at)))`.as('avg')])
    .where('resolved_at', '>=', from)
    .where('resolved_at', '<', to);
  if (filter.service) q = q.where('service', '=', filter.service);
  const row = await q.executeTakeFirstOrThrow();
  const n = Number(row.n);
  return { resolved: n, mttrSeconds: n === 0 || row.avg === null ? null : Math.round(Number(row.avg) * 1000) / 1000 };
}

export function incidentJson(i: Incident, now: Date) {
  const opened = new Date(i.opened_at);
  const resolved = i.resolved_at ? new Date(i.resolved_at) : null;
  return {
    id: String(i.id),
    service: i.service,
    dependency: i.dependency,
    opened_at: opened.toISOString(),
    resolved_at: resolved ? resolved.toISOString() : null,
    duration_seconds: Math.round(((resolved ?? now).getTime() - opened.getTime()) / 1000),
    cause: i.cause,
  };
}

/** MTTR over several windows ending at `now`, in one query (windows are named by their length in days). */
export async function mttrWindows(db: Kysely<Database>, now: Date, days: readonly number[], filter: { service?: string | undefined } = {}): Promise<Mttr[]> {
  const longest = Math.max(...days);
  let q = db
    .selectFrom('incidents')
    .select((eb) =>
      days.flatMap((d, i) => {
        const from = new Date(now.getTime() - d * 86_400_000);
        return [
          sql<string>`count(*) filter (where ${eb.ref('resolved_at')} >= ${from})`.as(`n${i}`),
          sql<string | null>`avg(extract(epoch from (resolved_at - opened_at))) filter (where ${eb.ref('resolved_at')} >= ${from})`.as(`a${i}`),
        ];
      }),
    )
    .where('resolved_at', '>=', new Date(now.getTime() - longest * 86_400_000))
    .where('resolved_at', '<', now);
  if (filter.service) q = q.where('service', '=', filter.service);
  const row = (await q.executeTakeFirstOrThrow()) as Record<string, string | null>;
  return days.map((_, i) => {
    const n = Number(row[`n${i}`] ?? 0);
    const avg = row[`a${i}`];
    return { resolved: n, mttrSeconds: n === 0 || avg === null || avg === undefined ? null : Math.round(Number(avg) * 1000) / 1000 };
  });
}
