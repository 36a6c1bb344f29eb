// The collector: scheduled sweeps over every registered service (bounded concurrency, jittered
// interval, never overlapping), the MCP catalog and synthetic probes on their own schedules, and
// everything derived from them (raw results, rollups, incidents, metrics, the dashboard snapshot).
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Database, Incident, Maintenance } from '../db/schema.js';
import { fetchCatalog, runProbe, type Catalog, type ProbeResult } from '../catalog/mcp-catalog.js';
import { IncidentTracker, type HealthSignal, type IncidentChanges } from '../incidents/incident-tracker.js';
import { mttr } from '../incidents/incident-repository.js';
import { activeMaintenance, endMaintenance, inMaintenance, setMaintenance } from '../incidents/maintenance.js';
import type { CloudWatchEmitter } from '../metrics/cloudwatch-emitter.js';
import type { FactoryGauges } from '../metrics/prometheus.js';
import type { MemoryQueueMonitor } from '../queue/memory-queue.js';
import { mapWithConcurrency, probeService } from './service-probe.js';
import { pruneOldData, recordObservations, type Observation } from './rollups.js';
import { buildSnapshot, factoryAvailable, type Snapshot } from './snapshot.js';
import { incidentSignal } from './signals.js';
import type { ServicePoll, SweepResult } from './types.js';

export const PROBE_DEPENDENCY = 'synthetic_probe';

export interface CollectorOptions {
  db: Kysely<Database>;
  services: readonly ServiceEntry[];
  /** Bearer key for /mcp when an entry has none. */
  defaultApiKey: string | undefined;
  logger: Logger;
  intervalMs: number;
  jitter: number;
  concurrency: number;
  healthTimeoutMs: number;
  readyTimeoutMs: number;
  incidentThreshold: number;
  rawRetentionHours: number;
  catalogIntervalMs: number;
  probeIntervalMs: number;
  mcpTimeoutMs: number;
  gauges: FactoryGauges;
  cloudwatch?: CloudWatchEmitter | undefined;
  queue: MemoryQueueMonitor;
  now?: () => Date;
  random?: () => number;
}

export class HealthCollector {
  readonly latest = new Map<string, ServicePoll>();
  readonly catalogs = new Map<string, Catalog>();
  readonly probes = new Map<string, ProbeResult>();
  /** Active maintenance silences by service. */
  readonly maintenance = new Map<string, Maintenance>();
  readonly tracker: IncidentTracker;
  private snapshotValue: Snapshot | undefined;
  private lastSweep: { at: Date; ms: number } | null = null;
  private sweepInFlight: Promise<SweepResult> | undefined;
  private catalogInFlight: Promise<void> | undefined;
  private probeInFlight: Promise<void> | undefined;
  private readonly catalogRefreshing = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private lastPrune = 0;
  private readonly lastElapsed = new Map<string, number>();
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly o: CollectorOptions) {
    this.tracker = new IncidentTracker(o.incidentThreshold);
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
  }

  /** Loads open incidents and the stored catalog, and builds the first snapshot. */
  async init(): Promise<void> {
    await this.tracker.load(this.o.db);
    for (const m of await activeMaintenance(this.o.db, this.now())) this.maintenance.set(m.service, m);
    const rows = await this.o.db.selectFrom('mcp_catalog').selectAll().execute();
    const names = new Set(this.o.services.map((s) => s.name));
    for (const r of rows) {
      if (!names.has(r.service)) continue;
      const tools = typeof r.tools === 'string' ? JSON.parse(r.tools) : r.tools;
      this.catalogs.set(r.service, {
        service: r.service,
        fetchedAt: new Date(r.fetched_at),
        tools,
        toolCount: r.tool_count,
        writeMode: r.write_mode,
        tokenCost: r.token_cost,
        error: r.error,
      });
    }
    await this.rebuildSnapshot();
  }

  /** The last built view; page views and API reads use only this. */
  get snapshot(): Snapshot {
    if (!this.snapshotValue) throw new Error('collector not initialised');
    return this.snapshotValue;
  }

  apiKeyFor(entry: ServiceEntry): string | undefined {
    return entry.apiKey ?? this.o.defaultApiKey;
  }

  /** Starts the schedules: a sweep at once, then every interval ± jitter; catalog and probes likewise. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop('sweep', () => this.sweep().then(() => undefined), () => this.jittered(this.o.intervalMs), 0);
    this.loop('catalog', () => this.refreshCatalogs(), () => this.jittered(this.o.catalogIntervalMs), 0);
    this.loop('probe', () => this.runProbes(), () => this.jittered(this.o.probeIntervalMs), this.jittered(Math.min(this.o.probeIntervalMs, 5_000)));
  }

  /** Stops scheduling and waits for work in flight. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([this.sweepInFlight, this.catalogInFlight, this.probeInFlight, ...this.catalogRefreshing.values()]);
  }

  private jittered(ms: number): number {
    return Math.max(0, Math.round(ms * (1 + (this.random() * 2 - 1) * this.o.jitter)));
  }

  private loop(name: string, task: () => Promise<void>, nextDelay: () => number, firstDelay: number): void {
    const schedule = (delay: number) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        const started = performance.now();
        task()
          .catch((err: unknown) => this.o.logger.error({ err }, `${name} failed`))
          .finally(() => {
            // Interval measured from the start: a slow run is followed at once, never overlapped.
            if (this.running) schedule(Math.max(0, nextDelay() - (performance.now() - started)));
          });
      }, delay);
      t.unref();
      this.timers.add(t);
    };
    schedule(firstDelay);
  }

  /** One sweep over every service; concurrent callers share the sweep in flight. */
  sweep(): Promise<SweepResult> {
    this.sweepInFlight ??= this.sweepNow().finally(() => {
      this.sweepInFlight = undefined;
    });
    return this.sweepInFlight;
  }

  private async sweepNow(): Promise<SweepResult> {
    const startedAt = this.now();
    const t0 = performance.now();
    // Longest first: services that were slow (or hung) last sweep start at once, so they wait out their
    // timeouts in parallel while the fast ones share the remaining slots; the sweep then ends close to
    // the /ready timeout instead of a multiple of it.
    const ordered = [...this.o.services].sort((a, b) => (this.lastElapsed.get(b.name) ?? 0) - (this.lastElapsed.get(a.name) ?? 0));
    // A sweep ends by the /ready timeout: a service that only gets a slot late (a saturated sweep, the
    // first sweep without ordering history) waits for the time left, but never less than the /health timeout.
    const deadline = t0 + this.o.readyTimeoutMs;
    const [unordered] = await Promise.all([
      mapWithConcurrency(ordered, this.o.concurrency, async (s) => {
        const t = performance.now();
        const readyMs = Math.max(this.o.healthTimeoutMs, Math.min(this.o.readyTimeoutMs, Math.round(deadline - t)));
        const poll = await probeService(s, { healthMs: this.o.healthTimeoutMs, readyMs }, this.now);
        this.lastElapsed.set(s.name, performance.now() - t);
        return poll;
      }),
      this.o.queue.refresh(startedAt),
    ]);
    const byName = new Map(unordered.map((p) => [p.service, p]));
    const polls = this.o.services.map((s) => byName.get(s.name)).filter((p): p is ServicePoll => p !== undefined);
    const durationMs = Math.round(performance.now() - t0);
    // A service that is back (live again, or ready again) gets its tool catalog at once, not at the next refresh.
    const recovered = polls.filter((p) => {
      const before = this.latest.get(p.service);
      return p.live && before !== undefined && (!before.live || (p.ready && !before.ready));
    });
    for (const p of polls) this.latest.set(p.service, p);
    this.refreshCatalogsOf(recovered.map((p) => p.service));
    this.lastSweep = { at: startedAt, ms: durationMs };
    const result = { startedAt, durationMs, polls };
    await this.record(polls);
    return result;
  }

  private async record(polls: readonly ServicePoll[]): Promise<void> {
    const { db } = this.o;
    const now = this.now();
    const observations: Observation[] = [];
    const signals: HealthSignal[] = [];
    for (const p of polls) {
      const silenced = inMaintenance(this.maintenance, p.service, p.checkedAt);
      const neutral = silenced || p.status === 'not_configured';
      observations.push({ service: p.service, dependency: '', at: p.checkedAt, success: p.ready, status: p.status, latencyMs: p.healthLatencyMs, message: p.error, neutral });
      signals.push(incidentSignal(p, silenced));
      if (!p.live) continue; // dependencies are unknown while the service itself is down
      for (const [dep, c] of Object.entries(p.checks)) {
        const depNeutral = silenced || c.status === 'not_configured';
        observations.push({ service: p.service, dependency: dep, at: p.checkedAt, success: c.success, status: c.status, latencyMs: c.latency_ms, message: c.message, neutral: depNeutral });
      }
    }
    await recordObservations(db, observations);
    const changes = await this.tracker.observe(db, signals);
    this.logChanges(changes);
    for (const [service, m] of this.maintenance) if (new Date(m.ends_at).getTime() <= now.getTime()) this.maintenance.delete(service);
    if (now.getTime() - this.lastPrune > 10 * 60_000) {
      this.lastPrune = now.getTime();
      await pruneOldData(db, now, { rawHours: this.o.rawRetentionHours });
    }
    const available = factoryAvailable(this.o.services, this.latest, this.maintenance, now);
    const m30 = await mttr(db, new Date(now.getTime() - 30 * 86_400_000), now);
    this.o.gauges.update(polls, available, m30.mttrSeconds);
    await this.emitCloudWatch(polls, available ?? false, changes, now);
    await this.rebuildSnapshot();
  }

  private logChanges(changes: IncidentChanges): void {
    for (const i of changes.opened) this.o.logger.warn({ target: i.service, incident: i.id, status: i.status, dependencies: i.dependencies, cause: i.cause }, 'incident opened');
    for (const i of changes.updated) this.o.logger.info({ target: i.service, incident: i.id, status: i.status, dependencies: i.dependencies, cause: i.cause }, 'incident updated');
    for (const i of changes.resolved) {
      const seconds = (new Date(i.resolved_at ?? 0).getTime() - new Date(i.opened_at).getTime()) / 1000;
      this.o.logger.info({ target: i.service, incident: i.id, seconds }, 'incident resolved');
    }
  }

  private async emitCloudWatch(polls: readonly ServicePoll[], available: boolean, changes: IncidentChanges, at: Date): Promise<void> {
    const cw = this.o.cloudwatch;
    if (!cw) return;
    const data = cw.sweepData(polls, available, at);
    for (const i of changes.resolved) {
      const seconds = (new Date(i.resolved_at ?? at).getTime() - new Date(i.opened_at).getTime()) / 1000;
      data.push(cw.mttrDatum('service', seconds, at));
    }
    await cw.put(data);
  }

  /** Re-reads every MCP server's tool catalog and stores it. */
  refreshCatalogs(): Promise<void> {
    this.catalogInFlight ??= this.fetchCatalogs(this.o.services.filter((s) => s.mcp)).finally(() => {
      this.catalogInFlight = undefined;
    });
    return this.catalogInFlight;
  }

  /** Re-reads the catalogs of the named MCP servers in the background (one fetch in flight per server). */
  refreshCatalogsOf(names: readonly string[]): void {
    for (const name of names) {
      const entry = this.o.services.find((s) => s.name === name && s.mcp);
      if (!entry || this.catalogRefreshing.has(name)) continue;
      const done = this.fetchCatalogs([entry])
        .catch((err: unknown) => this.o.logger.error({ err, target: name }, 'catalog refresh failed'))
        .finally(() => this.catalogRefreshing.delete(name));
      this.catalogRefreshing.set(name, done);
    }
  }

  /** Resolves when every catalog refresh started by a recovery has finished (tests wait on it). */
  async catalogRefreshesSettled(): Promise<void> {
    await Promise.allSettled([...this.catalogRefreshing.values()]);
  }

  private async fetchCatalogs(entries: readonly ServiceEntry[]): Promise<void> {
    const catalogs = await mapWithConcurrency(entries, Math.min(this.o.concurrency, 10), (s) => fetchCatalog(s, this.apiKeyFor(s), this.o.mcpTimeoutMs, this.now));
    for (const c of catalogs) {
      // A failed fetch keeps the last good tool list but records the error.
      const previous = this.catalogs.get(c.service);
      const kept = c.error && previous && !previous.error ? { ...previous, error: c.error, fetchedAt: c.fetchedAt } : c;
      this.catalogs.set(c.service, kept);
      await this.o.db
        .insertInto('mcp_catalog')
        .values({
          service: kept.service,
          fetched_at: kept.fetchedAt,
          tools: JSON.stringify(kept.tools),
          tool_count: kept.toolCount,
          write_mode: kept.writeMode,
          token_cost: kept.tokenCost,
          error: kept.error,
        })
        .onConflict((oc) =>
          oc.column('service').doUpdateSet((eb) => ({
            fetched_at: eb.ref('excluded.fetched_at'),
            tools: eb.ref('excluded.tools'),
            tool_count: eb.ref('excluded.tool_count'),
            write_mode: eb.ref('excluded.write_mode'),
            token_cost: eb.ref('excluded.token_cost'),
            error: eb.ref('excluded.error'),
          })),
        )
        .execute();
    }
    await this.rebuildSnapshot();
  }

  /** Calls each configured read-only probe tool and records success and latency. */
  runProbes(): Promise<void> {
    this.probeInFlight ??= (async () => {
      const targets = this.o.services.filter((s) => s.mcp && s.probe);
      if (targets.length === 0) return;
      const results = await mapWithConcurrency(targets, Math.min(this.o.concurrency, 10), (s) => runProbe(s, this.apiKeyFor(s), this.o.mcpTimeoutMs, this.catalogs.get(s.name), this.now));
      const observations: Observation[] = [];
      for (const r of results) {
        if (!r) continue;
        this.probes.set(r.service, r);
        observations.push({ service: r.service, dependency: PROBE_DEPENDENCY, at: r.at, success: r.success, status: r.success ? 'ok' : 'error', latencyMs: r.latencyMs, message: r.message });
      }
      await recordObservations(this.o.db, observations);
      await this.rebuildSnapshot();
    })().finally(() => {
      this.probeInFlight = undefined;
    });
    return this.probeInFlight;
  }

  /** Acknowledges an incident (the open one in memory too) and rebuilds the snapshot. */
  async acknowledge(id: string, by: string): Promise<Incident | undefined> {
    const i = await this.tracker.acknowledge(this.o.db, id, by, this.now());
    if (i) await this.rebuildSnapshot();
    return i;
  }

  /** Silences a service for `minutes` from now (replacing any silence it had). */
  async startMaintenance(service: string, minutes: number, reason: string, by: string): Promise<Maintenance> {
    const startsAt = this.now();
    const m = await setMaintenance(this.o.db, { service, startsAt, endsAt: new Date(startsAt.getTime() + minutes * 60_000), reason, by });
    this.maintenance.set(service, m);
    await this.rebuildSnapshot();
    return m;
  }

  async endMaintenance(service: string): Promise<boolean> {
    const ended = await endMaintenance(this.o.db, service);
    this.maintenance.delete(service);
    await this.rebuildSnapshot();
    return ended;
  }

  async rebuildSnapshot(): Promise<Snapshot> {
    this.snapshotValue = await buildSnapshot(
      this.o.db,
      {
        services: this.o.services,
        latest: this.latest,
        catalogs: this.catalogs,
        probes: this.probes,
        tracker: this.tracker,
        maintenance: this.maintenance,
        queue: this.o.queue.latest,
        lastSweep: this.lastSweep,
      },
      this.now(),
    );
    return this.snapshotValue;
  }
}
