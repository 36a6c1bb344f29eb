// What every replica serves (API, dashboard, /ready, /metrics) comes from the shared database: every
// `refreshMs` (a third of the poll interval, 200 ms to 5 s) a replica reads what the others wrote since
// its last read (latest polls and probes), the open incidents, the maintenance silences and new tool
// catalogs, adopts them, and rebuilds its snapshot. So a page on any replica is at most one refresh
// behind the replica that swept the service. Each read is single-flight; when Postgres cannot answer,
// the last view is kept (and the replica's own sweeps still show).
import type { Kysely } from 'kysely';
import type { Logger } from '@factory/base-server';
import { catalogFromRow } from '../catalog/mcp-catalog.js';
import type { ServiceEntry } from '../config.js';
import type { Database } from '../db/schema.js';
import type { HealthCollector } from '../health/collector.js';
import type { ServicePoll } from '../health/types.js';
import { openIncidents } from '../incidents/incident-repository.js';
import { activeMaintenance } from '../incidents/maintenance.js';
import { readSharedStates } from './service-state.js';

/** Catalog rows are re-read this far behind the newest one seen: a write committed late is not missed. */
export const READ_OVERLAP_MS = 2_000;

export interface SharedViewOptions {
  db: Kysely<Database>;
  collector: HealthCollector;
  services: readonly ServiceEntry[];
  replica: string;
  refreshMs: number;
  logger: Logger;
  now: () => Date;
}

export const sharedRefreshMs = (intervalMs: number): number => Math.min(5_000, Math.max(200, Math.round(intervalMs / 3)));

export class SharedView {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** Where the next read of service_state starts (readSharedStates). */
  private horizon: string | null = null;
  private newestCatalog: Date | null = null;
  private appliedSeen = -1;
  private signature = '';
  private readonly names: Set<string>;
  private readonly nameList: readonly string[];
  private stopped = false;

  constructor(private readonly o: SharedViewOptions) {
    this.nameList = o.services.map((s) => s.name);
    this.names = new Set(this.nameList);
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.refresh().finally(() => {
          if (!this.stopped) tick();
        });
      }, this.o.refreshMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight?.catch(() => undefined);
  }

  /** One read of the shared state (concurrent callers share it). */
  refresh(): Promise<void> {
    this.inFlight ??= this.read()
      .catch((err: unknown) => this.o.logger.warn({ err: { message: (err as Error).message } }, 'shared view not refreshed: keeping the last one'))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async read(): Promise<void> {
    const { db, collector, replica } = this.o;
    const now = this.o.now();
    const behind = (d: Date | null) => (d ? new Date(d.getTime() - READ_OVERLAP_MS) : null);
    const [{ states, horizon }, open, maintenance, catalogs] = await Promise.all([
      readSharedStates(db, this.horizon, replica),
      openIncidents(db),
      activeMaintenance(db, now),
      (() => {
        let q = db.selectFrom('mcp_catalog').selectAll();
        const since = behind(this.newestCatalog);
        if (since) q = q.where('fetched_at', '>', since);
        return q.execute();
      })(),
    ]);
    this.horizon = horizon;
    const adopted: ServicePoll[] = [];
    for (const s of states) {
      if (!this.names.has(s.service)) continue;
      const mine = collector.latest.get(s.service);
      if (s.poll && (!mine || mine.checkedAt < s.poll.checkedAt)) {
        collector.latest.set(s.service, s.poll);
        collector.noteSweep(s.poll.checkedAt);
        collector.noteElapsed(s.poll);
        adopted.push(s.poll);
      }
      const probe = collector.probes.get(s.service);
      if (s.probe && (!probe || probe.at < s.probe.at)) collector.probes.set(s.service, s.probe);
    }
    for (const r of catalogs) {
      const fetchedAt = new Date(r.fetched_at);
      if (!this.newestCatalog || fetchedAt > this.newestCatalog) this.newestCatalog = fetchedAt;
      const mine = collector.catalogs.get(r.service);
      if (this.names.has(r.service) && (!mine || mine.fetchedAt < fetchedAt)) collector.catalogs.set(r.service, catalogFromRow(r));
    }
    collector.maintenance.clear();
    for (const m of maintenance) collector.maintenance.set(m.service, m);
    collector.tracker.adopt(this.nameList, new Map(open.map((i) => [i.service, i])));
    // The watchdog watches the fleet's sweeps: a replica given no shard (more replicas than shards) is not late.
    if (adopted.length > 0) collector.watchdog.completedElsewhere();
    // Rebuilt when anything may have changed: adopted rows, incidents, silences, or sweeps applied here.
    const signature = JSON.stringify([open.map((i) => [i.id, i.status, i.cause, i.dependencies, i.acknowledged_by]), maintenance.map((m) => [m.service, m.ends_at])]);
    if (adopted.length > 0 || catalogs.length > 0 || collector.appliedSweeps !== this.appliedSeen || signature !== this.signature) {
      this.appliedSeen = collector.appliedSweeps;
      this.signature = signature;
      collector.refreshView(adopted);
    }
  }
}
