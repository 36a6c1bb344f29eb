// The poller shared by every replica: BullMQ job schedulers on REDIS_URL produce, per interval, one
// sweep job per shard of the registry (and catalog, probe and retention jobs), and each job is taken
// by one replica, so every service is polled once per interval whatever the number of replicas.
//
// Spread: each replica takes at most ceil(shards / replicas) sweep jobs at once (the worker count is
// read from Redis every half interval), so the shards of one interval run in parallel, split evenly.
// A replica that dies holds no future work: the scheduler has already queued the next interval's jobs,
// which the others take (the dead one's connections close, so they count one replica less). A sweep
// cut short by the death is not redone (maxStalledCount 0): its services are polled at the next
// interval. Streaks and open incidents are read from Postgres before each shard sweep, so consecutive
// sweeps by different replicas count as consecutive, and the unique index on open incidents keeps one.
//
// Never blind: while Redis cannot be reached (no worker count for two intervals) and no sweep job has
// come for two intervals, the replica sweeps every service itself each interval, as one process does;
// the database still keeps one open incident per service.
import { Queue, Worker, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import { closeRedis, createRedis, type Logger } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Database } from '../db/schema.js';
import type { HealthCollector } from '../health/collector.js';
import { openIncidents } from '../incidents/incident-repository.js';
import { readStreaks, writeProbeStates, writeSweptStates } from './service-state.js';
import { shardsOf, shardsPerReplica } from './shards.js';

export const SWEEP_QUEUE = 'control-center-sweeps';
export const TASK_QUEUE = 'control-center-tasks';
export const RETENTION_INTERVAL_MS = 10 * 60_000;

export interface SharedPollerOptions {
  redisUrl: string;
  prefix: string;
  shards: number;
  services: readonly ServiceEntry[];
  db: Kysely<Database>;
  collector: HealthCollector;
  logger: Logger;
  /** This replica's name in `service_state.swept_by` and the logs. */
  replica: string;
  intervalMs: number;
  catalogIntervalMs: number;
  probeIntervalMs: number;
}

/** One shard sweep as this replica ran it (the benchmark and the logs read these). */
export interface ShardSweep {
  shard: number;
  services: number;
  /** When the scheduler meant the job to run (ms since epoch). */
  scheduledAt: number;
  startedAt: number;
  /** The probe phase. */
  durationMs: number;
  /** Probing, applying and writing. */
  totalMs: number;
}

interface ShardJob {
  shard: number;
}

export class SharedPoller {
  private readonly shards: ServiceEntry[][];
  private producer: Redis | undefined;
  private workerRedis: Redis[] = [];
  private sweeps: Queue<ShardJob> | undefined;
  private tasks: Queue<ShardJob> | undefined;
  private sweepWorker: Worker<ShardJob> | undefined;
  private taskWorker: Worker<ShardJob> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastJobAt = Date.now();
  private lastCountAt = Date.now();
  private fallback: Promise<unknown> | undefined;
  private fallbackAt = 0;
  private stopped = false;
  /** Shard sweeps under way here (stop() cuts them short and waits for them to let go). */
  private readonly sweeping = new Set<Promise<void>>();
  /** Called after each shard sweep this replica ran. */
  onSwept: ((s: ShardSweep) => void) | undefined;

  constructor(private readonly o: SharedPollerOptions) {
    this.shards = shardsOf(o.services, o.shards);
  }

  /** How many sweep jobs this replica takes at once (ceil(shards / replicas)). */
  get concurrency(): number {
    return this.sweepWorker?.concurrency ?? 0;
  }

  async start(): Promise<void> {
    const { o } = this;
    this.producer = createRedis({ url: o.redisUrl, role: 'producer', logger: o.logger, name: 'control-center-scheduler' });
    this.sweeps = new Queue<ShardJob>(SWEEP_QUEUE, { connection: this.producer, prefix: o.prefix });
    this.tasks = new Queue<ShardJob>(TASK_QUEUE, { connection: this.producer, prefix: o.prefix });
    for (const q of [this.sweeps, this.tasks]) q.on('error', (err) => o.logger.warn({ err: { message: err.message } }, 'poller queue error'));
    await this.schedule();
    this.sweepWorker = this.worker(SWEEP_QUEUE, (job) => this.tracked(this.sweep(job)), o.shards);
    this.taskWorker = this.worker(TASK_QUEUE, (job) => this.task(job), 2);
    await Promise.all([this.sweepWorker.waitUntilReady(), this.taskWorker.waitUntilReady()]);
    o.collector.startShared();
    await this.balance();
    void this.sweepWorker.run().catch((err: unknown) => o.logger.error({ err }, 'sweep worker stopped'));
    void this.taskWorker.run().catch((err: unknown) => o.logger.error({ err }, 'task worker stopped'));
    const tick = () => {
      this.timer = setTimeout(() => {
        void Promise.all([this.balance(), this.keepSchedules()]).finally(() => {
          this.guard();
          if (!this.stopped) tick();
        });
      }, Math.max(250, Math.round(o.intervalMs / 2)));
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // Forced: a sweep cut short is not redone (the next interval covers it), and an unforced close waits
    // for the active job, which may be blocked on a Redis that does not answer. A forced close does not
    // stop the job's processor, though: the sweeps under way are halted (probes aborted, nothing applied
    // or written) and waited for, so none runs on into the closing database and Redis.
    this.o.collector.halt();
    await Promise.allSettled([this.sweepWorker?.close(true), this.taskWorker?.close(true), this.fallback, ...this.sweeping]);
    await Promise.allSettled([this.sweeps?.close(), this.tasks?.close()]);
    await Promise.allSettled([...this.workerRedis, ...(this.producer ? [this.producer] : [])].map((r) => closeRedis(r)));
  }

  private tracked(sweep: Promise<void>): Promise<void> {
    this.sweeping.add(sweep);
    return sweep.finally(() => this.sweeping.delete(sweep));
  }

  private worker(queue: string, run: (job: Job<ShardJob>) => Promise<void>, concurrency: number): Worker<ShardJob> {
    const connection = createRedis({ url: this.o.redisUrl, role: 'worker', logger: this.o.logger, name: `control-center-${queue}` });
    this.workerRedis.push(connection);
    const w = new Worker<ShardJob>(queue, run, {
      connection,
      prefix: this.o.prefix,
      name: this.o.replica,
      concurrency,
      autorun: false,
      // A sweep cut short by a dead replica is not redone: the next interval's job covers its services.
      maxStalledCount: 0,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    w.on('error', (err) => this.o.logger.warn({ err: { message: err.message } }, `${queue} worker error`));
    return w;
  }

  /** The job schedulers this replica's settings ask for. */
  private wanted() {
    const { o } = this;
    const sweeps = this.sweeps as Queue<ShardJob>;
    const tasks = this.tasks as Queue<ShardJob>;
    const hasMcp = o.services.some((s) => s.mcp);
    const hasProbe = o.services.some((s) => s.mcp && s.probe);
    const want: Array<{ queue: Queue<ShardJob>; id: string; name: string; every: number; shard: number; startDate?: number }> = [];
    for (let k = 0; k < o.shards; k++) {
      if (this.shards[k]?.length === 0) continue;
      want.push({ queue: sweeps, id: `sweep-${k}`, name: 'sweep', every: o.intervalMs, shard: k });
      if (hasMcp) want.push({ queue: tasks, id: `catalog-${k}`, name: 'catalog', every: o.catalogIntervalMs, shard: k });
      // The first probes wait for the first catalogs (a probe tool must be known to be read-only).
      if (hasProbe) want.push({ queue: tasks, id: `probe-${k}`, name: 'probe', every: o.probeIntervalMs, shard: k, startDate: Date.now() + Math.min(o.probeIntervalMs, 5_000) });
    }
    want.push({ queue: tasks, id: 'retention', name: 'retention', every: RETENTION_INTERVAL_MS, shard: 0 });
    return want;
  }

  /**
   * At start-up every replica upserts the schedulers its settings ask for (new or changed ones only:
   * re-upserting an unchanged one would queue an extra job at once) and removes the others (those of a
   * larger POLL_SHARDS). Afterwards, `missingOnly`: each tick puts back the ones Redis no longer holds
   * (it lost its data) and changes nothing else, so replicas of two settings during a rolling deploy
   * never undo each other.
   */
  private async schedule(missingOnly = false): Promise<number> {
    const want = this.wanted();
    let put = 0;
    for (const w of want) {
      const existing = await w.queue.getJobScheduler(w.id);
      if (existing && (missingOnly || existing.every === w.every)) continue;
      await w.queue.upsertJobScheduler(
        w.id,
        { every: w.every, ...(w.startDate ? { startDate: w.startDate } : {}) },
        { name: w.name, data: { shard: w.shard }, opts: { removeOnComplete: true, removeOnFail: true } },
      );
      put++;
    }
    if (missingOnly) return put;
    const ids = new Set(want.map((w) => w.id));
    for (const q of [this.sweeps as Queue<ShardJob>, this.tasks as Queue<ShardJob>]) for (const s of await q.getJobSchedulers(0, -1)) if (!ids.has(s.key)) await q.removeJobScheduler(s.key);
    return put;
  }

  /**
   * A tick of a replica that got no sweep job for more than an interval (every replica, once Redis lost
   * its data; otherwise only ones the others leave no shard to): one count per queue, and the schedulers
   * Redis lost put back when there are fewer than wanted.
   */
  private async keepSchedules(): Promise<void> {
    if (!this.sweeps || !this.tasks || this.stopped || Date.now() - this.lastJobAt <= this.o.intervalMs * 1.5) return;
    try {
      const present = (await this.sweeps.getJobSchedulersCount()) + (await this.tasks.getJobSchedulersCount());
      if (present >= this.wanted().length) return;
      const put = await this.schedule(true);
      if (put) this.o.logger.warn({ put }, 'poller job schedulers missing from Redis (it lost its data?) put back');
    } catch (err) {
      // Redis unreachable: the guard sweeps from here meanwhile.
      this.o.logger.warn({ err: { message: (err as Error).message } }, 'cannot check the poller job schedulers in Redis');
    }
  }

  /** Takes ceil(shards / replicas) sweep jobs at once, the replicas counted from Redis's client list. */
  private async balance(): Promise<void> {
    const w = this.sweepWorker;
    if (!w || !this.sweeps) return;
    try {
      const replicas = await this.sweeps.getWorkersCount();
      this.lastCountAt = Date.now();
      const c = shardsPerReplica(this.o.shards, replicas);
      if (w.concurrency !== c) {
        this.o.logger.info({ replicas, shards: this.o.shards, concurrency: c }, 'sweep shards per replica changed');
        w.concurrency = c;
      }
    } catch (err) {
      this.o.logger.warn({ err: { message: (err as Error).message } }, 'cannot count the control-center replicas in Redis');
    }
  }

  /** Redis unreachable and no sweep job for two intervals: this replica sweeps every service itself. */
  private guard(): void {
    const blind = Date.now() - Math.max(this.lastJobAt, this.lastCountAt) > 2 * this.o.intervalMs;
    if (!blind || this.fallback || this.stopped || Date.now() - this.fallbackAt < this.o.intervalMs) return;
    this.fallbackAt = Date.now();
    this.o.logger.warn({ replica: this.o.replica }, 'no sweep job from Redis for two intervals: sweeping every service from this replica');
    this.fallback = this.o.collector
      .sweepPart(this.o.services, 'all', true)
      .then(() => this.o.collector.persist())
      .catch((err: unknown) => this.o.logger.warn({ err: { message: (err as Error).message } }, 'fallback sweep failed'))
      .finally(() => {
        this.fallback = undefined;
      });
  }

  private async sweep(job: Job<ShardJob>): Promise<void> {
    const startedAt = Date.now();
    this.lastJobAt = startedAt;
    const { collector, db, logger, replica } = this.o;
    const shard = job.data.shard;
    const services = this.shards[shard] ?? [];
    if (services.length === 0) return;
    const names = services.map((s) => s.name);
    try {
      // Continue where the replica that swept these services last left off.
      const [open, streaks] = await Promise.all([openIncidents(db, names), readStreaks(db, names)]);
      collector.tracker.adopt(names, new Map(open.map((i) => [i.service, i])), streaks);
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, shard }, 'shard state unreadable: sweeping from what this replica knows');
    }
    const scheduledAt = Number(job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0));
    const result = await collector.sweepPart(services, `shard-${shard}`, shard === 0, scheduledAt);
    await collector.persist();
    try {
      await writeSweptStates(db, result.polls.map((p) => ({ poll: p, streak: collector.tracker.streakOf(p.service) })), replica);
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, shard }, 'shard state not written');
    }
    this.onSwept?.({ shard, services: services.length, scheduledAt, startedAt, durationMs: result.durationMs, totalMs: Date.now() - startedAt });
  }

  private async task(job: Job<ShardJob>): Promise<void> {
    const { collector, db, replica } = this.o;
    const services = this.shards[job.data.shard] ?? [];
    if (job.name === 'retention') return collector.prune();
    if (job.name === 'catalog') return collector.refreshCatalogs(services, `catalog-${job.data.shard}`);
    if (job.name === 'probe') {
      await collector.runProbes(services, `probe-${job.data.shard}`);
      const probes = services.flatMap((s) => {
        const p = collector.probes.get(s.name);
        return p ? [p] : [];
      });
      await writeProbeStates(db, probes, replica);
    }
  }
}
