// The collector: scheduled sweeps over every registered service, the MCP catalog and synthetic probes
// on their own schedules, and everything derived from them (raw results, rollups, incidents, metrics,
// the dashboard snapshot).
//
// A sweep never waits on anything that can hang: its probe phase ends by a hard deadline, and what it
// learns is applied in memory (latest polls, incident detection, gauges, the live snapshot) before the
// next one is due. Postgres writes, the history read, the queue view and CloudWatch run beside it,
// each single-flight and bounded; while Postgres is down the sweep's results wait in a bounded buffer
// (oldest dropped, counted) and are written when it answers.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { boundedAgent, type Agent, type Logger } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Database, Incident, Maintenance } from '../db/schema.js';
import { catalogFromRow, fetchCatalog, runProbe, type Catalog, type ProbeResult } from '../catalog/mcp-catalog.js';
import { IncidentTracker, type HealthSignal, type IncidentChanges } from '../incidents/incident-tracker.js';
import { activeMaintenance, endMaintenance, inMaintenance, setMaintenance } from '../incidents/maintenance.js';
import type { CloudWatchEmitter } from '../metrics/cloudwatch-emitter.js';
import type { FactoryGauges } from '../metrics/prometheus.js';
import type { MemoryQueueMonitor } from '../queue/memory-queue.js';
import { mapWithConcurrency } from './service-probe.js';
import { pruneOldData, recordObservations, type Observation } from './rollups.js';
import { buildSnapshot, EMPTY_HISTORY, factoryAvailable, loadHistory, type History, type Snapshot, type ViewCache } from './snapshot.js';
import { incidentSignal } from './signals.js';
import { probeAll } from './sweep.js';
import type { ServicePoll, SweepResult } from './types.js';
import { SweepWatchdog } from './watchdog.js';

export const PROBE_DEPENDENCY = 'synthetic_probe';
/** The history (uptime, bars, sparklines, MTTR) is re-read at most this often. */
export const HISTORY_REFRESH_MS = 30_000;

export interface CollectorOptions {
  db: Kysely<Database>;
  services: readonly ServiceEntry[];
  /** Bearer key for /mcp, sent only to entries with `sharedApiKey: true` and no key of their own. */
  defaultApiKey: string | undefined;
  logger: Logger;
  intervalMs: number;
  jitter: number;
  /** Probes actively waiting for an answer at once (stalled ones do not count). */
  concurrency: number;
  /** Probes in flight at once, stalled ones included: bounds the sockets (two per probe). */
  maxInFlight: number;
  healthTimeoutMs: number;
  readyTimeoutMs: number;
  /** Hard bound of a sweep's probe phase. */
  sweepDeadlineMs: number;
  /** Observations kept while Postgres cannot take them; past this the oldest sweeps are dropped. */
  bufferObservations: number;
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
  /**
   * Replicas share the polling (src/replicas/): sweeps come per shard from the shared poller, retention
   * runs as its own job, and the snapshot is rebuilt by the shared view, not after every shard.
   */
  shared?: boolean;
}

type Task = () => Promise<void>;

export class HealthCollector {
  readonly latest = new Map<string, ServicePoll>();
  readonly catalogs = new Map<string, Catalog>();
  readonly probes = new Map<string, ProbeResult>();
  /** Active maintenance silences by service. */
  readonly maintenance = new Map<string, Maintenance>();
  readonly tracker: IncidentTracker;
  readonly watchdog: SweepWatchdog;
  private snapshotValue: Snapshot | undefined;
  /** Something the snapshot shows changed since it was built (it is rebuilt on the next read). */
  private snapshotStale = false;
  /** The snapshot was read since it was built: the next change rebuilds it at once, off any request. */
  private snapshotRead = false;
  /** Each service's last view, reused by the next rebuild while nothing it shows changed. */
  private readonly views: ViewCache = new Map();
  private history: History = EMPTY_HISTORY;
  private lastSweep: { at: Date; ms: number } | null = null;
  private sweepInFlight: Promise<SweepResult> | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly catalogRefreshing = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  /** Whether the schedules run (start() was called and stop() not yet). */
  get scheduled(): boolean {
    return this.running;
  }
  private lastPrune = 0;
  private readonly lastElapsed = new Map<string, number>();
  /** The stall threshold per swept set of services ('all', or a shard), from its last sweep. */
  private readonly stallMs = new Map<string, number>();
  private readonly unwritten: Observation[][] = [];
  private unwrittenCount = 0;
  /** Sweeps (or shards) applied so far: the shared view rebuilds the snapshot when this moves. */
  appliedSweeps = 0;
  /** Observations dropped because the buffer was full (Postgres was down too long). */
  droppedObservations = 0;
  /** Aborted by halt(): sweeps under way end at once and apply nothing. */
  private readonly halted = new AbortController();
  private readonly dispatcher: Agent;
  private readonly mcpDispatcher: Agent;
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly o: CollectorOptions) {
    // Every sweep under way (one per shard in shared mode) listens on it.
    setMaxListeners(0, this.halted.signal);
    this.tracker = new IncidentTracker(o.incidentThreshold);
    this.watchdog = new SweepWatchdog({ intervalMs: o.intervalMs, jitter: o.jitter, deadlineMs: o.sweepDeadlineMs });
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
    // Probe sockets time out on their own at the longest probe bound; idle ones live across sweeps.
    this.dispatcher = boundedAgent({ timeoutMs: Math.max(o.healthTimeoutMs, o.readyTimeoutMs), keepAliveTimeoutMs: Math.max(4_000, o.intervalMs * 2) });
    this.mcpDispatcher = boundedAgent({ timeoutMs: o.mcpTimeoutMs });
  }

  /** Loads open incidents and the stored catalog, and builds the first snapshot. */
  async init(): Promise<void> {
    await this.tracker.load(this.o.db);
    for (const m of await activeMaintenance(this.o.db, this.now())) this.maintenance.set(m.service, m);
    const rows = await this.o.db.selectFrom('mcp_catalog').selectAll().execute();
    const names = new Set(this.o.services.map((s) => s.name));
    for (const r of rows) if (names.has(r.service)) this.catalogs.set(r.service, catalogFromRow(r));
    await this.refreshHistory(true);
  }

  /**
   * The view page views and API reads use (only this). Demand-driven: while it is being read, every change
   * rebuilds it at once (a read finds it built); a change nobody reads only marks it stale, and the next
   * read rebuilds it first. So a replica nobody asks builds nothing, and a read never sees an older state.
   */
  get snapshot(): Snapshot {
    if (!this.snapshotValue) throw new Error('collector not initialised');
    if (this.snapshotStale) this.buildSnapshot();
    this.snapshotRead = true;
    return this.snapshotValue as Snapshot;
  }

  /** Sweeps whose results are waiting for Postgres, and how many observations they hold. */
  get backlog(): { sweeps: number; observations: number; incidentEvents: number } {
    return { sweeps: this.unwritten.length, observations: this.unwrittenCount, incidentEvents: this.tracker.unwritten };
  }

  apiKeyFor(entry: ServiceEntry): string | undefined {
    return entry.apiKey ?? (entry.sharedApiKey ? this.o.defaultApiKey : undefined);
  }

  /** The shared poller drives the sweeps (shared mode): the watchdog starts counting, no local schedule. */
  startShared(): void {
    this.running = true;
    this.watchdog.restart();
  }

  /** Starts the schedules: a sweep at once, then every interval ± jitter; catalog and probes likewise. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.watchdog.restart();
    this.loop('sweep', () => this.sweepAndApply().then(() => undefined), () => this.jittered(this.o.intervalMs), 0);
    this.loop('catalog', () => this.refreshCatalogs(), () => this.jittered(this.o.catalogIntervalMs), 0);
    this.loop('probe', () => this.runProbes(), () => this.jittered(this.o.probeIntervalMs), this.jittered(Math.min(this.o.probeIntervalMs, 5_000)));
  }

  /** Stops scheduling and waits for work in flight (a write that cannot finish is left behind). */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([this.sweepInFlight, ...this.inFlight.values(), ...this.catalogRefreshing.values()]);
    await Promise.all([this.dispatcher.destroy(), this.mcpDispatcher.destroy()]).catch(() => undefined);
  }

  /**
   * Cuts every sweep under way short (the shared poller on stop): its probes are aborted and nothing of
   * it is applied or written; the next interval's sweep covers its services.
   */
  halt(): void {
    this.halted.abort(new Error('the control center is stopping'));
  }

  private jittered(ms: number): number {
    return Math.max(0, Math.round(ms * (1 + (this.random() * 2 - 1) * this.o.jitter)));
  }

  private loop(name: string, task: Task, nextDelay: () => number, firstDelay: number): void {
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

  /** Runs `task` unless one of the same name is still running (then that one is returned). */
  private single(name: string, task: Task): Promise<void> {
    let p = this.inFlight.get(name);
    if (!p) {
      p = task()
        .catch((err: unknown) => this.o.logger.warn({ err: { message: (err as Error)?.message } }, `${name} failed`))
        .finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, p);
    }
    return p;
  }

  /**
   * One sweep over every service, then its results written, as far as Postgres lets them (tests and
   * benchmarks call this). Concurrent callers share the sweep in flight.
   */
  async sweep(): Promise<SweepResult> {
    const result = await this.sweepAndApply();
    await this.persist();
    await this.single('history', () => this.refreshHistory(true));
    return result;
  }

  /** The scheduled part: probe under the deadline and apply in memory; writes start beside it. */
  private sweepAndApply(): Promise<SweepResult> {
    this.sweepInFlight ??= this.sweepPart(this.o.services, 'all', true).finally(() => {
      this.sweepInFlight = undefined;
    });
    return this.sweepInFlight;
  }

  /**
   * One sweep of `services` (every service, or one shard in shared mode) under the deadline, applied in
   * memory; writes start beside it. `key` names the set (its stall threshold is its own); the
   * factory-wide CloudWatch availability is emitted by one set only.
   */
  async sweepPart(services: readonly ServiceEntry[], key: string, emitAvailability: boolean, dueAt?: number): Promise<SweepResult> {
    const startedAt = this.now();
    const t0 = performance.now();
    // A shard job taken late (queueing, a busy replica) ends by the interval's start + the deadline, as
    // one process's sweep does, but always leaves a probe its whole /ready timeout.
    const late = dueAt === undefined ? 0 : Math.max(0, startedAt.getTime() - dueAt);
    const deadlineMs = Math.max(Math.min(this.o.sweepDeadlineMs, this.o.readyTimeoutMs + 100), this.o.sweepDeadlineMs - late);
    this.watchdog.begin();
    void this.single('queue view', () => this.o.queue.refresh(startedAt).then(() => undefined));
    const total = services.length;
    // A shard gets its share of the probe slots: a replica running every shard uses them all.
    const share = (n: number) => Math.max(1, Math.ceil((n * total) / Math.max(1, this.o.services.length)));
    const { polls, cutOff, stallMs } = await probeAll({
      services,
      concurrency: share(this.o.concurrency),
      maxInFlight: share(this.o.maxInFlight),
      stallMs: this.stallMs.get(key) ?? 250,
      healthTimeoutMs: this.o.healthTimeoutMs,
      readyTimeoutMs: this.o.readyTimeoutMs,
      deadlineMs,
      dispatcher: this.dispatcher,
      signal: this.halted.signal,
      lastElapsed: this.lastElapsed,
      now: this.now,
      onProgress: (finished) => this.watchdog.detail(`${total - finished} of ${total} probes still running`),
    });
    this.stallMs.set(key, stallMs);
    if (cutOff.length > 0) this.o.logger.warn({ services: cutOff.slice(0, 20), count: cutOff.length, deadlineMs }, 'probes cut off by the sweep deadline');
    const durationMs = Math.round(performance.now() - t0);
    this.watchdog.step('applying results');
    // A service that is back (live again, or ready again) gets its tool catalog at once, not at the next refresh.
    const recovered = polls.filter((p) => {
      const before = this.latest.get(p.service);
      return p.live && before !== undefined && (!before.live || (p.ready && !before.ready));
    });
    for (const p of polls) this.latest.set(p.service, p);
    this.refreshCatalogsOf(recovered.map((p) => p.service));
    if (!this.lastSweep || this.lastSweep.at <= startedAt) this.lastSweep = { at: startedAt, ms: durationMs };
    this.apply(polls, key, emitAvailability);
    this.watchdog.complete();
    void this.persist();
    return { startedAt, durationMs, polls };
  }

  /** Everything a sweep changes in memory: incidents, gauges, the live snapshot; writes are queued. */
  private apply(polls: readonly ServicePoll[], key: string, emitAvailability: boolean): void {
    this.appliedSweeps += 1;
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
    this.buffer(observations);
    const changes = this.tracker.observe(signals);
    this.logChanges(changes);
    for (const [service, m] of this.maintenance) if (new Date(m.ends_at).getTime() <= now.getTime()) this.maintenance.delete(service);
    const available = factoryAvailable(this.o.services, this.latest, this.maintenance, now);
    this.o.gauges.update(available, this.history.mttr30d);
    if (this.o.cloudwatch) void this.single(`cloudwatch ${key}`, () => this.emitCloudWatch(polls, emitAvailability ? (available ?? false) : undefined, changes, now));
    // Shard by shard, the shared view rebuilds it; a sweep of everything (one process, or the fallback) does here.
    if (!this.o.shared || key === 'all') this.rebuildSnapshot();
  }

  private buffer(observations: Observation[]): void {
    if (observations.length === 0) return;
    this.unwritten.push(observations);
    this.unwrittenCount += observations.length;
    while (this.unwrittenCount > this.o.bufferObservations && this.unwritten.length > 1) {
      const dropped = this.unwritten.shift() ?? [];
      this.unwrittenCount -= dropped.length;
      this.droppedObservations += dropped.length;
      this.o.logger.warn({ observations: dropped.length }, 'Postgres has not taken sweep results for too long: the oldest sweep is dropped');
    }
  }

  /** Writes buffered sweeps and incident changes; on failure they stay buffered for the next try. */
  persist(): Promise<void> {
    return this.single('write', async () => {
      const { db } = this.o;
      while (this.unwritten.length > 0 || this.tracker.unwritten > 0) {
        await this.tracker.flush(db);
        // Every buffered sweep in one transaction (two statements): catching up costs one round trip.
        const batch = this.unwritten.slice();
        await recordObservations(db, batch.flat());
        for (const b of batch) {
          const i = this.unwritten.indexOf(b);
          if (i >= 0) {
            this.unwritten.splice(i, 1);
            this.unwrittenCount -= b.length;
          }
        }
      }
      const now = this.now();
      // With replicas, retention is a job of its own (one replica runs it).
      if (!this.o.shared && now.getTime() - this.lastPrune > 10 * 60_000) {
        this.lastPrune = now.getTime();
        await this.prune();
      }
      if (!this.history.readAt || now.getTime() - this.history.readAt.getTime() >= HISTORY_REFRESH_MS) void this.single('history', () => this.refreshHistory(false));
    });
  }

  /** Deletes raw results and rollups past their retention. */
  prune(): Promise<void> {
    return pruneOldData(this.o.db, this.now(), { rawHours: this.o.rawRetentionHours });
  }

  /**
   * Another replica's poll of a service, adopted: how long its probe took there is remembered, so that a
   * service that hung for another replica starts first when this one next sweeps its shard.
   */
  noteElapsed(p: ServicePoll): void {
    const ms = p.live && p.readyLatencyMs === null ? this.o.readyTimeoutMs : Math.max(p.healthLatencyMs ?? this.o.healthTimeoutMs, p.readyLatencyMs ?? 0);
    this.lastElapsed.set(p.service, ms);
  }

  /** Another replica's sweep is known to have completed at `at` (the dashboard's "last sweep"). */
  noteSweep(at: Date): void {
    if (!this.lastSweep || this.lastSweep.at < at) this.lastSweep = { at, ms: this.lastSweep?.ms ?? 0 };
  }

  /** What the other replicas learned was adopted into the maps: gauges follow, the snapshot is rebuilt. */
  refreshView(polls: readonly ServicePoll[]): void {
    const now = this.now();
    if (polls.length > 0) this.o.gauges.update(factoryAvailable(this.o.services, this.latest, this.maintenance, now), this.history.mttr30d);
    this.rebuildSnapshot();
  }

  /** Re-reads the history from Postgres; when it cannot, the last one is kept. */
  private async refreshHistory(force: boolean): Promise<void> {
    const now = this.now();
    if (force || !this.history.readAt || now.getTime() - this.history.readAt.getTime() >= HISTORY_REFRESH_MS) {
      try {
        this.history = await loadHistory(this.o.db, now);
      } finally {
        this.rebuildSnapshot();
      }
    }
  }

  private logChanges(changes: IncidentChanges): void {
    for (const i of changes.opened) this.o.logger.warn({ target: i.service, incident: i.id, status: i.status, dependencies: i.dependencies, cause: i.cause }, 'incident opened');
    for (const i of changes.updated) this.o.logger.info({ target: i.service, incident: i.id, status: i.status, dependencies: i.dependencies, cause: i.cause }, 'incident updated');
    for (const i of changes.resolved) {
      const seconds = (new Date(i.resolved_at ?? 0).getTime() - new Date(i.opened_at).getTime()) / 1000;
      this.o.logger.info({ target: i.service, incident: i.id, seconds }, 'incident resolved');
    }
  }

  private async emitCloudWatch(polls: readonly ServicePoll[], available: boolean | undefined, changes: IncidentChanges, at: Date): Promise<void> {
    const cw = this.o.cloudwatch;
    if (!cw) return;
    const data = cw.sweepData(polls, available, at);
    for (const i of changes.resolved) {
      const seconds = (new Date(i.resolved_at ?? at).getTime() - new Date(i.opened_at).getTime()) / 1000;
      data.push(cw.mttrDatum('service', seconds, at));
    }
    await cw.put(data);
  }

  /** Re-reads the tool catalog of every MCP server (of `services`, a shard) and stores it. */
  refreshCatalogs(services: readonly ServiceEntry[] = this.o.services, key = 'catalog'): Promise<void> {
    return this.single(key, () => this.fetchCatalogs(services.filter((s) => s.mcp)));
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

  /** Fetches the catalogs of `entries`, applies them in memory, then stores them in one statement. */
  private async fetchCatalogs(entries: readonly ServiceEntry[]): Promise<void> {
    const catalogs = await mapWithConcurrency(entries, Math.min(this.o.concurrency, 10), (s) => fetchCatalog(s, this.apiKeyFor(s), this.o.mcpTimeoutMs, this.now, this.mcpDispatcher));
    const kept = catalogs.map((c) => {
      // A failed fetch keeps the last good tool list but records the error.
      const previous = this.catalogs.get(c.service);
      const k = c.error && previous && !previous.error ? { ...previous, error: c.error, fetchedAt: c.fetchedAt } : c;
      this.catalogs.set(c.service, k);
      return k;
    });
    this.rebuildSnapshot();
    if (kept.length === 0) return;
    await this.o.db
      .insertInto('mcp_catalog')
      .values(
        kept.map((k) => ({
          service: k.service,
          fetched_at: k.fetchedAt,
          tools: JSON.stringify(k.tools),
          tool_count: k.toolCount,
          write_mode: k.writeMode,
          token_cost: k.tokenCost,
          error: k.error,
        })),
      )
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

  /** Calls each configured read-only probe tool and records success and latency. */
  runProbes(services: readonly ServiceEntry[] = this.o.services, key = 'probe'): Promise<void> {
    return this.single(key, async () => {
      const targets = services.filter((s) => s.mcp && s.probe);
      if (targets.length === 0) return;
      const results = await mapWithConcurrency(targets, Math.min(this.o.concurrency, 10), (s) =>
        runProbe(s, this.apiKeyFor(s), this.o.mcpTimeoutMs, this.catalogs.get(s.name), this.now, this.mcpDispatcher),
      );
      const observations: Observation[] = [];
      for (const r of results) {
        if (!r) continue;
        this.probes.set(r.service, r);
        observations.push({ service: r.service, dependency: PROBE_DEPENDENCY, at: r.at, success: r.success, status: r.success ? 'ok' : 'error', latencyMs: r.latencyMs, message: r.message });
      }
      this.rebuildSnapshot();
      this.buffer(observations);
      await this.persist();
    });
  }

  /** Acknowledges an incident (the open one in memory too) and rebuilds the snapshot. */
  async acknowledge(id: string, by: string): Promise<Incident | undefined> {
    const i = await this.tracker.acknowledge(this.o.db, id, by, this.now());
    if (i) this.rebuildSnapshot();
    return i;
  }

  /** Silences a service for `minutes` from now (replacing any silence it had). */
  async startMaintenance(service: string, minutes: number, reason: string, by: string): Promise<Maintenance> {
    const startsAt = this.now();
    const m = await setMaintenance(this.o.db, { service, startsAt, endsAt: new Date(startsAt.getTime() + minutes * 60_000), reason, by });
    this.maintenance.set(service, m);
    this.rebuildSnapshot();
    return m;
  }

  async endMaintenance(service: string): Promise<boolean> {
    const ended = await endMaintenance(this.o.db, service);
    this.maintenance.delete(service);
    this.rebuildSnapshot();
    return ended;
  }

  /** Something the snapshot shows changed: rebuilt now if the last one was read, else on the next read. */
  rebuildSnapshot(): void {
    if (this.snapshotValue && !this.snapshotRead) this.snapshotStale = true;
    else this.buildSnapshot();
  }

  private buildSnapshot(): void {
    this.snapshotStale = false;
    this.snapshotRead = false;
    this.snapshotValue = buildSnapshot(
      {
        services: this.o.services,
        latest: this.latest,
        catalogs: this.catalogs,
        probes: this.probes,
        tracker: this.tracker,
        maintenance: this.maintenance,
        queue: this.o.queue.latest,
        lastSweep: this.lastSweep,
        cache: this.views,
      },
      this.history,
      this.now(),
    );
  }
}

