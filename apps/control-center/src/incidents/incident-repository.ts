// Incidents in Postgres: open, update, acknowledge, resolve, list with filters and keyset pagination,
// MTTR over a window.
import { sql, type Kysely } from 'kysely';
import type { Database, Incident, IncidentStatus } from '../db/schema.js';

export async function openIncidents(db: Kysely<Database>): Promise<Incident[]> {
  return db.selectFrom('incidents').selectAll().where('resolved_at', 'is', null).execute();
}

export interface IncidentFacts {
  status: IncidentStatus;
  cause: string;
  dependencies: readonly string[];
}

export async function insertIncident(db: Kysely<Database>, incident: IncidentFacts & { service: string; openedAt: Date }): Promise<Incident> {
  return db
    .insertInto('incidents')
    .values({
      service: incident.service,
      dependency: null,
      opened_at: incident.openedAt,
      cause: incident.cause.slice(0, 500),
      status: incident.status,
      dependencies: JSON.stringify(incident.dependencies),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Records what an open incident looks like now (its cause, status and the dependencies failing in it). */
export async function updateIncident(db: Kysely<Database>, id: string, facts: IncidentFacts): Promise<Incident | undefined> {
  return db
    .updateTable('incidents')
    .set({ cause: facts.cause.slice(0, 500), status: facts.status, dependencies: JSON.stringify(facts.dependencies) })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Marks an open incident acknowledged by `by` (a key name); acknowledging twice keeps the first. Returns the row as it is now. */
export async function acknowledgeIncident(db: Kysely<Database>, id: string, by: string, at: Date): Promise<Incident | undefined> {
  await db.updateTable('incidents').set({ acknowledged_at: at, acknowledged_by: by.slice(0, 200) }).where('id', '=', id).where('acknowledged_at', 'is', null).where('resolved_at', 'is', null).execute();
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function resolveIncident(db: Kysely<Database>, id: string, resolvedAt: Date): Promise<Incident | undefined> {
  return db.updateTable('incidents').set({ resolved_at: resolvedAt }).where('id', '=', id).where('resolved_at', 'is', null).returningAll().executeTakeFirst();
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
