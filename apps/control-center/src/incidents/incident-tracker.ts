// Opens an incident after N consecutive failing sweeps (dated at the first failure) and resolves it on
// the first success. Detection works from memory only, so it goes on while Postgres is down: every
// opening and resolution is queued and written by `flush` when the database answers (open incidents
// are reloaded from Postgres at start-up).
import type { Kysely } from 'kysely';
import type { Database, Incident } from '../db/schema.js';
import { openIncidents, writeIncidentEvents, type IncidentEvent } from './incident-repository.js';

export interface HealthSignal {
  service: string;
  /** null: the service itself. */
  dependency: string | null;
  failing: boolean;
  at: Date;
  cause: string | null;
}

/** An incident as the tracker knows it: `id` is null until its opening is written to Postgres. */
export type TrackedIncident = Omit<Incident, 'id'> & { id: string | null };

export interface IncidentChanges {
  opened: TrackedIncident[];
  resolved: TrackedIncident[];
}

/** Unwritten openings and resolutions kept while Postgres is down; past this the oldest are dropped. */
export const MAX_PENDING_INCIDENT_EVENTS = 10_000;

const keyOf = (service: string, dependency: string | null) => JSON.stringify([service, dependency]);

export class IncidentTracker {
  private readonly streaks = new Map<string, { count: number; firstAt: Date; cause: string }>();
  private readonly open = new Map<string, TrackedIncident>();
  private pending: Array<IncidentEvent & { incident: TrackedIncident }> = [];
  private flushing: Promise<void> | undefined;
  /** How many events ever left the front of `pending` by being dropped (keeps a flush's bookkeeping right). */
  private shifted = 0;
  /** Events dropped because the buffer was full (the database was down too long). */
  dropped = 0;

  constructor(private readonly threshold: number) {}

  async load(db: Kysely<Database>): Promise<void> {
    this.open.clear();
    for (const i of await openIncidents(db)) this.open.set(keyOf(i.service, i.dependency), i);
  }

  openIncident(service: string, dependency: string | null): TrackedIncident | undefined {
    return this.open.get(keyOf(service, dependency));
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Openings and resolutions not yet written to Postgres. */
  get unwritten(): number {
    return this.pending.length;
  }

  observe(signals: readonly HealthSignal[]): IncidentChanges {
    const changes: IncidentChanges = { opened: [], resolved: [] };
    for (const s of signals) {
      const key = keyOf(s.service, s.dependency);
      if (!s.failing) {
        this.streaks.delete(key);
        const incident = this.open.get(key);
        if (incident) {
          incident.resolved_at = s.at;
          this.open.delete(key);
          this.queue({ kind: 'resolve', service: s.service, dependency: s.dependency, at: s.at, cause: incident.cause, incident });
          changes.resolved.push(incident);
        }
        continue;
      }
      const streak = this.streaks.get(key) ?? { count: 0, firstAt: s.at, cause: (s.cause ?? 'check failed').slice(0, 500) };
      streak.count += 1;
      this.streaks.set(key, streak);
      if (streak.count >= this.threshold && !this.open.has(key)) {
        const incident: TrackedIncident = { id: null, service: s.service, dependency: s.dependency, opened_at: streak.firstAt, resolved_at: null, cause: streak.cause };
        this.open.set(key, incident);
        this.queue({ kind: 'open', service: s.service, dependency: s.dependency, at: streak.firstAt, cause: streak.cause, incident });
        changes.opened.push(incident);
      }
    }
    return changes;
  }

  private queue(event: IncidentEvent & { incident: TrackedIncident }): void {
    this.pending.push(event);
    const over = this.pending.length - MAX_PENDING_INCIDENT_EVENTS;
    if (over > 0) {
      this.pending.splice(0, over);
      this.dropped += over;
      this.shifted += over;
    }
  }

  /** Writes queued openings and resolutions in order; on failure they stay queued and the error is thrown. */
  flush(db: Kysely<Database>): Promise<void> {
    this.flushing ??= (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.slice();
        const shiftedBefore = this.shifted;
        const ids = await writeIncidentEvents(db, batch);
        batch.forEach((e, i) => {
          const id = ids[i];
          if (e.kind === 'open' && id) e.incident.id = id;
        });
        // Events dropped meanwhile came off the front of this very batch.
        this.pending.splice(0, Math.max(0, batch.length - (this.shifted - shiftedBefore)));
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }
}
