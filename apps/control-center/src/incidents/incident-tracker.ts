// Opens an incident after N consecutive failing sweeps (dated at the first failure) and resolves it on
// the first success. Streaks live in memory; open incidents are reloaded from Postgres at start-up.
import type { Kysely } from 'kysely';
import type { Database, Incident } from '../db/schema.js';
import { insertIncident, openIncidents, resolveIncident } from './incident-repository.js';

export interface HealthSignal {
  service: string;
  /** null: the service itself. */
  dependency: string | null;
  failing: boolean;
  at: Date;
  cause: string | null;
}

export interface IncidentChanges {
  opened: Incident[];
  resolved: Incident[];
}

const keyOf = (service: string, dependency: string | null) => `${service}\u0000${dependency ?? ''}`;

export class IncidentTracker {
  private readonly streaks = new Map<string, { count: number; firstAt: Date; cause: string }>();
  private readonly open = new Map<string, Incident>();

  constructor(private readonly threshold: number) {}

  async load(db: Kysely<Database>): Promise<void> {
    this.open.clear();
    for (const i of await openIncidents(db)) this.open.set(keyOf(i.service, i.dependency), i);
  }

  openIncident(service: string, dependency: string | null): Incident | undefined {
    return this.open.get(keyOf(service, dependency));
  }

  get openCount(): number {
    return this.open.size;
  }

  async observe(db: Kysely<Database>, signals: readonly HealthSignal[]): Promise<IncidentChanges> {
    const changes: IncidentChanges = { opened: [], resolved: [] };
    for (const s of signals) {
      const key = keyOf(s.service, s.dependency);
      if (!s.failing) {
        this.streaks.delete(key);
        const incident = this.open.get(key);
        if (incident) {
          const resolved = await resolveIncident(db, incident.id, s.at);
          this.open.delete(key);
          if (resolved) changes.resolved.push(resolved);
        }
        continue;
      }
      const streak = this.streaks.get(key) ?? { count: 0, firstAt: s.at, cause: s.cause ?? 'check failed' };
      streak.count += 1;
      this.streaks.set(key, streak);
      if (streak.count >= this.threshold && !this.open.has(key)) {
        const incident = await insertIncident(db, { service: s.service, dependency: s.dependency, openedAt: streak.firstAt, cause: streak.cause });
        this.open.set(key, incident);
        changes.opened.push(incident);
      }
    }
    return changes;
  }
}
