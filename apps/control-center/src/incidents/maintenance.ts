// Per-service maintenance silences in Postgres: while one is active, the service's failures open no
// incident and count against no uptime. One silence per service; setting it again replaces it.
import type { Kysely } from 'kysely';
import type { Database, Maintenance } from '../db/schema.js';

export async function activeMaintenance(db: Kysely<Database>, now: Date): Promise<Maintenance[]> {
  return db.selectFrom('maintenance').selectAll().where('ends_at', '>', now).execute();
}

export async function setMaintenance(db: Kysely<Database>, m: { service: string; startsAt: Date; endsAt: Date; reason: string; by: string }): Promise<Maintenance> {
  const values = { service: m.service, starts_at: m.startsAt, ends_at: m.endsAt, reason: m.reason.slice(0, 300), created_by: m.by.slice(0, 200) };
  return db
    .insertInto('maintenance')
    .values(values)
    .onConflict((oc) => oc.column('service').doUpdateSet({ starts_at: values.starts_at, ends_at: values.ends_at, reason: values.reason, created_by: values.created_by }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function endMaintenance(db: Kysely<Database>, service: string): Promise<boolean> {
  const r = await db.deleteFrom('maintenance').where('service', '=', service).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export function maintenanceJson(m: Maintenance) {
  return { service: m.service, starts_at: new Date(m.starts_at).toISOString(), ends_at: new Date(m.ends_at).toISOString(), reason: m.reason, created_by: m.created_by };
}

/** Whether `service` is silenced at `at`. */
export const inMaintenance = (windows: ReadonlyMap<string, Maintenance>, service: string, at: Date): boolean => {
  const m = windows.get(service);
  return m !== undefined && new Date(m.starts_at).getTime() <= at.getTime() && at.getTime() < new Date(m.ends_at).getTime();
};
