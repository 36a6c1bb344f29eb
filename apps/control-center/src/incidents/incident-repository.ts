// Incidents in Postgres: openings, updates and resolutions written in batches, acknowledge, list with filters and keyset pagination,
// MTTR over a window.
import { sql, type Kysely } from 'kysely';
import type { Database, Incident, IncidentStatus } from '../db/schema.js';

/** Open incidents (of `services` only, when given). */
export async function openIncidents(db: Kysely<Database>, services?: readonly string[]): Promise<Incident[]> {
  if (services?.length === 0) return [];
  let q = db.selectFrom('incidents').selectAll().where('resolved_at', 'is', null);
  if (services) q = q.where('service', 'in', services);
  return q.execute();
}

export interface IncidentFacts {
  status: IncidentStatus;
  cause: string;
  dependencies: readonly string[];
}

/**
 * An opening (dated at its first failure), a change of what an open incident looks like (its cause,
 * status and failing dependencies), or a resolution, as the tracker decided it in memory.
 */
export type IncidentEvent = { service: string } & (
  | ({ kind: 'open'; at: Date } & IncidentFacts)
  | ({ kind: 'update' } & IncidentFacts)
  | { kind: 'resolve'; at: Date }
);

/**
 * Writes openings, updates and resolutions in their order, in one transaction of few statements. An
 * update is folded into the opening or update before it for the same service; the events are then cut
 * into rounds in which each service appears once, and each round is one insert of its openings, one
 * update of its changed incidents and one update of its resolutions. Returns the new incident id for
 * each opening (null for other events and for openings of a service that already had one open).
 */
export async function writeIncidentEvents(db: Kysely<Database>, events: readonly IncidentEvent[]): Promise<Array<string | null>> {
  const ids = new Array<string | null>(events.length).fill(null);
  // Folding: `written[k]` is what is written, `origin[k]` the index of the event whose id it yields.
  const written: IncidentEvent[] = [];
  const origin: number[] = [];
  const foldable = new Map<string, number>();
  events.forEach((e, i) => {
    const k = foldable.get(e.service);
    const target = k === undefined ? undefined : written[k];
    if (e.kind === 'update' && k !== undefined && target && target.kind !== 'resolve') {
      written[k] = { ...target, status: e.status, cause: e.cause, dependencies: e.dependencies };
      return;
    }
    if (e.kind === 'resolve') foldable.delete(e.service);
    else foldable.set(e.service, written.length);
    written.push(e);
    origin.push(i);
  });
  const rounds: number[][] = [];
  let seen = new Set<string>();
  let round: number[] = [];
  written.forEach((e, k) => {
    if (seen.has(e.service)) {
      rounds.push(round);
      round = [];
      seen = new Set();
    }
    seen.add(e.service);
    round.push(k);
  });
  if (round.length) rounds.push(round);
  await db.transaction().execute(async (trx) => {
    for (const r of rounds) {
      const of = <K extends IncidentEvent['kind']>(kind: K) => r.map((k) => written[k] as IncidentEvent).filter((e): e is Extract<IncidentEvent, { kind: K }> => e.kind === kind);
      const opens = of('open');
      const updates = of('update');
      const resolves = of('resolve');
      if (opens.length) {
        const { rows } = await sql<{ id: string; service: string }>`
          insert into incidents (service, dependency, opened_at, cause, status, dependencies)
          select v.service, null, v.opened_at, v.cause, v.status, v.dependencies::jsonb
          from unnest(${opens.map((e) => e.service)}::text[], ${opens.map((e) => e.at)}::timestamptz[], ${opens.map((e) => e.cause.slice(0, 500))}::text[],
                      ${opens.map((e) => e.status)}::text[], ${opens.map((e) => JSON.stringify(e.dependencies))}::text[]) as v(service, opened_at, cause, status, dependencies)
          on conflict do nothing
          returning id, service`.execute(trx);
        const byService = new Map(rows.map((row) => [row.service, String(row.id)]));
        for (const k of r) {
          const e = written[k] as IncidentEvent;
          if (e.kind === 'open') ids[origin[k] as number] = byService.get(e.service) ?? null;
        }
      }
      if (updates.length) {
        await sql`
          update incidents as i set cause = v.cause, status = v.status, dependencies = v.dependencies::jsonb
          from unnest(${updates.map((e) => e.service)}::text[], ${updates.map((e) => e.cause.slice(0, 500))}::text[], ${updates.map((e) => e.status)}::text[],
                      ${updates.map((e) => JSON.stringify(e.dependencies))}::text[]) as v(service, cause, status, dependencies)
          where i.service = v.service and i.resolved_at is null`.execute(trx);
      }
      if (resolves.length) {
        await sql`
          update incidents as i set resolved_at = v.at
          from unnest(${resolves.map((e) => e.service)}::text[], ${resolves.map((e) => e.at)}::timestamptz[]) as v(service, at)
          where i.service = v.service and i.resolved_at is null`.execute(trx);
      }
    }
  });
  return ids;
}

/** Marks an open incident acknowledged by `by` (a key name); acknowledging twice keeps the first. Returns the row as it is now. */
export async function acknowledgeIncident(db: Kysely<Database>, id: string, by: string, at: Date): Promise<Incident | undefined> {
  await db.updateTable('incidents').set({ acknowledged_at: at, acknowledged_by: by.slice(0, 200) }).where('id', '=', id).where('acknowledged_at', 'is', null).where('resolved_at', 'is', null).execute();
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

export const INCIDENT_STATES = ['open', 'unacknowledged', 'acknowledged', 'resolved'] as const;
/** open = every open incident; unacknowledged/acknowledged = open ones by acknowledgement; resolved = closed. */
export type IncidentState = (typeof INCIDENT_STATES)[number];

export interface IncidentFilter {
  service?: string | undefined;
  /** Incidents in which this dependency failed. */
  dependency?: string | undefined;
  state?: IncidentState | undefined;
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
  if (f.dependency) q = q.where(sql<boolean>`dependencies ? ${f.dependency}`);
  if (f.state === 'resolved') q = q.where('resolved_at', 'is not', null);
  else if (f.state) q = q.where('resolved_at', 'is', null);
  if (f.state === 'acknowledged') q = q.where('acknowledged_at', 'is not', null);
  if (f.state === 'unacknowledged') q = q.where('acknowledged_at', 'is', null);
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

export interface IncidentJson {
  id: string;
  service: string;
  status: IncidentStatus;
  dependencies: string[];
  opened_at: string;
  resolved_at: string | null;
  duration_seconds: number;
  cause: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export function incidentJson(i: Incident, now: Date): IncidentJson {
  const opened = new Date(i.opened_at);
  const resolved = i.resolved_at ? new Date(i.resolved_at) : null;
  const dependencies = typeof i.dependencies === 'string' ? (JSON.parse(i.dependencies) as string[]) : i.dependencies;
  return {
    id: String(i.id),
    service: i.service,
    status: i.status,
    dependencies,
    opened_at: opened.toISOString(),
    resolved_at: resolved ? resolved.toISOString() : null,
    duration_seconds: Math.round(((resolved ?? now).getTime() - opened.getTime()) / 1000),
    cause: i.cause,
    acknowledged_at: i.acknowledged_at ? new Date(i.acknowledged_at).toISOString() : null,
    acknowledged_by: i.acknowledged_by,
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
