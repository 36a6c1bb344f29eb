// One incident per service outage. An incident opens after N consecutive failing sweeps (dated at the
// first failure), its status, cause and failing dependencies are kept current while it is open, and it
// resolves on the first good sweep. A service in maintenance opens no incident (an open one stays
// open and resolves normally).
//
// Detection works from memory only, so it goes on while Postgres is down: every opening, change and
// resolution is queued and written by `flush` when the database answers (open incidents are reloaded
// from Postgres at start-up).
import type { Kysely } from 'kysely';
import type { Database, Incident, IncidentStatus } from '../db/schema.js';
import { acknowledgeIncident, openIncidents, writeIncidentEvents, type IncidentEvent, type IncidentFacts } from './incident-repository.js';

export interface HealthSignal {
  service: string;
  at: Date;
  /** What is failing, or null when the service is healthy or in a neutral state (not configured). */
  failure: { status: IncidentStatus; cause: string; dependencies: readonly string[] } | null;
  /** A maintenance silence is active: a failure opens no incident. */
  silenced: boolean;
}

/** An incident as the tracker knows it: `id` is null until its opening is written to Postgres. */
export type TrackedIncident = Omit<Incident, 'id'> & { id: string | null };

export interface IncidentChanges {
  opened: TrackedIncident[];
  updated: TrackedIncident[];
  resolved: TrackedIncident[];
}

/** Unwritten openings, changes and resolutions kept while Postgres is down; past this the oldest are dropped. */
export const MAX_PENDING_INCIDENT_EVENTS = 10_000;

const sameFacts = (i: TrackedIncident, f: IncidentFacts) =>
  i.cause === f.cause.slice(0, 500) && i.status === f.status && JSON.stringify(i.dependencies) === JSON.stringify(f.dependencies);

/** Dependencies already recorded, then the new ones, without repeats. */
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

/** Consecutive failing sweeps of a service with no open incident. */
export interface Streak {
  count: number;
  firstAt: Date;
  dependencies: string[];
}

export class IncidentTracker {
  private readonly streaks = new Map<string, Streak>();
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
    for (const i of await openIncidents(db)) this.open.set(i.service, i);
  }

  openIncident(service: string): TrackedIncident | undefined {
    return this.open.get(service);
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Openings, changes and resolutions not yet written to Postgres. */
  get unwritten(): number {
    return this.pending.length;
  }

  streakOf(service: string): Streak | undefined {
    return this.streaks.get(service);
  }

  /**
   * Takes what Postgres says of `services` (their open incidents and, when given, their failing
   * streaks) as this tracker's own, so that a replica sweeping a service continues where the replica
   * that swept it before left off. Services with changes not yet written here keep what is in memory.
   */
  adopt(services: readonly string[], open: ReadonlyMap<string, Incident>, streaks?: ReadonlyMap<string, Streak>): void {
    const unwritten = new Set(this.pending.map((e) => e.service));
    for (const service of services) {
      if (unwritten.has(service)) continue;
      const incident = open.get(service);
      if (incident) this.open.set(service, { ...incident, id: String(incident.id) });
      else this.open.delete(service);
      if (!streaks) continue;
      const streak = streaks.get(service);
      if (streak) this.streaks.set(service, { ...streak, dependencies: [...streak.dependencies] });
      else this.streaks.delete(service);
    }
  }

  async acknowledge(db: Kysely<Database>, id: string, by: string, at: Date): Promise<Incident | undefined> {
    const i = await acknowledgeIncident(db, id, by, at);
    const open = i ? this.open.get(i.service) : undefined;
    if (i && open && open.id === String(i.id)) {
      open.acknowledged_at = i.acknowledged_at;
      open.acknowledged_by = i.acknowledged_by;
    }
    return i;
  }

  observe(signals: readonly HealthSignal[]): IncidentChanges {
    const changes: IncidentChanges = { opened: [], updated: [], resolved: [] };
    for (const s of signals) {
      const incident = this.open.get(s.service);
      if (!s.failure) {
        this.streaks.delete(s.service);
        if (incident) {
          incident.resolved_at = s.at;
          this.open.delete(s.service);
          this.queue({ kind: 'resolve', service: s.service, at: s.at, incident });
          changes.resolved.push(incident);
        }
        continue;
      }
      if (incident) {
        const facts = { status: s.failure.status, cause: s.failure.cause.slice(0, 500), dependencies: union(incident.dependencies, s.failure.dependencies) };
        if (sameFacts(incident, facts)) continue;
        Object.assign(incident, facts);
        this.queue({ kind: 'update', service: s.service, ...facts, incident });
        changes.updated.push(incident);
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
        const facts = { status: s.failure.status, cause: s.failure.cause.slice(0, 500), dependencies: streak.dependencies };
        const opened: TrackedIncident = { id: null, service: s.service, dependency: null, opened_at: streak.firstAt, resolved_at: null, acknowledged_at: null, acknowledged_by: null, ...facts };
        this.streaks.delete(s.service);
        this.open.set(s.service, opened);
        this.queue({ kind: 'open', service: s.service, at: streak.firstAt, ...facts, incident: opened });
        changes.opened.push(opened);
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

  /** Writes queued events in order; on failure they stay queued and the error is thrown. */
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
