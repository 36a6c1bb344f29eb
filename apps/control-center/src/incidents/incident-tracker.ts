// One incident per service outage. An incident opens after N consecutive failing sweeps (dated at the
// first failure), its status, cause and failing dependencies are kept current while it is open, and it
// resolves on the first good sweep. A service in maintenance opens no incident (an open one stays
// open and resolves normally). Streaks live in memory; open incidents are reloaded at start-up.
import type { Kysely } from 'kysely';
import type { Database, Incident, IncidentStatus } from '../db/schema.js';
import { acknowledgeIncident, insertIncident, openIncidents, resolveIncident, updateIncident, type IncidentFacts } from './incident-repository.js';

export interface HealthSignal {
  service: string;
  at: Date;
  /** What is failing, or null when the service is healthy or in a neutral state (not configured). */
  failure: { status: IncidentStatus; cause: string; dependencies: readonly string[] } | null;
  /** A maintenance silence is active: a failure opens no incident. */
  silenced: boolean;
}

export interface IncidentChanges {
  opened: Incident[];
  updated: Incident[];
  resolved: Incident[];
}

const sameFacts = (i: Incident, f: IncidentFacts) =>
  i.cause === f.cause.slice(0, 500) && i.status === f.status && JSON.stringify(i.dependencies) === JSON.stringify(f.dependencies);

/** Dependencies already recorded, then the new ones, without repeats. */
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

export class IncidentTracker {
  private readonly streaks = new Map<string, { count: number; firstAt: Date; dependencies: string[] }>();
  private readonly open = new Map<string, Incident>();

  constructor(private readonly threshold: number) {}

  async load(db: Kysely<Database>): Promise<void> {
    this.open.clear();
    for (const i of await openIncidents(db)) this.open.set(i.service, i);
  }

  openIncident(service: string): Incident | undefined {
    return this.open.get(service);
  }

  get openCount(): number {
    return this.open.size;
  }

  async acknowledge(db: Kysely<Database>, id: string, by: string, at: Date): Promise<Incident | undefined> {
    const i = await acknowledgeIncident(db, id, by, at);
    if (i && i.resolved_at === null && this.open.has(i.service)) this.open.set(i.service, i);
    return i;
  }

  async observe(db: Kysely<Database>, signals: readonly HealthSignal[]): Promise<IncidentChanges> {
    const changes: IncidentChanges = { opened: [], updated: [], resolved: [] };
    for (const s of signals) {
      const incident = this.open.get(s.service);
      if (!s.failure) {
        this.streaks.delete(s.service);
        if (incident) {
          const resolved = await resolveIncident(db, incident.id, s.at);
          this.open.delete(s.service);
          if (resolved) changes.resolved.push(resolved);
        }
        continue;
      }
      if (incident) {
        const facts = { status: s.failure.status, cause: s.failure.cause, dependencies: union(incident.dependencies, s.failure.dependencies) };
        if (sameFacts(incident, facts)) continue;
        const updated = await updateIncident(db, incident.id, facts);
        if (updated) {
          this.open.set(s.service, updated);
          changes.updated.push(updated);
        }
        continue;
      }
      if (s.silenced) {
        this.streaks.delete(s.service);
        continue;
      }
      const streak = this.streaks.get(s.service) ?? { count: 0, firstAt: s.at, dependencies: [] };
      streak.count += 1;
      streak.dependencies = union(streak.dependencies, s.failure.dependencies);
      this.streaks.set(s.service, streak);
      if (streak.count >= this.threshold) {
        const opened = await insertIncident(db, { service: s.service, openedAt: streak.firstAt, status: s.failure.status, cause: s.failure.cause, dependencies: streak.dependencies });
        this.streaks.delete(s.service);
        this.open.set(s.service, opened);
        changes.opened.push(opened);
      }
    }
    return changes;
  }
}
