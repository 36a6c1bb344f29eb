// Where guard watches run. With REDIS_URL: as durable jobs on the BullMQ queue `deploy-guard-watch`,
// which every replica works on; a replica that dies mid-watch loses the job's lock and another
// replica's worker takes the job over (BullMQ's stalled-job check) and finishes it, rollback included.
// Without Redis: in the process that made the write, as before (lost if it restarts; /ready says so).
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import { closeRedis, createRedis, redisCheck, type Logger, type ReadinessCheck } from '@factory/base-server';
import type { AuditDatabase } from '../audit/audit-table.js';
import { AutoRollbackFailed, guardWatchJobId, guardWatchJobSchema, runGuardWatch, type GuardWatchDeps, type GuardWatchJob, type GuardWatchResult } from './guard-watch.js';

export const GUARD_QUEUE = 'deploy-guard-watch';

export interface GuardWatchRunner {
  /**
   * Runs the watch of one write and answers its outcome. `db` is the connection the write holds (the
   * in-process runner writes its audit records through it); `onTick` reports progress.
   */
  run(job: GuardWatchJob, onTick: (elapsedMs: number, totalMs: number) => Promise<void>, db: Kysely<AuditDatabase>): Promise<GuardWatchResult>;
  readonly durable: boolean;
  check: ReadinessCheck;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface GuardQueueSettings {
  redisUrl: string | undefined;
  prefix: string;
  /** How long a replica's hold on a running watch lasts without renewal (BullMQ lockDuration): how soon another replica takes over. */
  lockMs: number;
  commandTimeoutMs: number;
  logger: Logger;
}

export function createGuardWatchRunner(deps: GuardWatchDeps, settings: GuardQueueSettings): GuardWatchRunner {
  if (!settings.redisUrl) {
    return {
      durable: false,
      run: (job, onTick, db) => runGuardWatch({ ...deps, audit: db }, job, onTick),
      check: {
        name: 'guard_queue',
        required: false,
        run: () => ({ status: 'not_configured' as const, message: 'REDIS_URL is not set: guard watches run in-process and a restart mid-watch loses them (and their rollback)' }),
      },
      start: async () => {},
      close: async () => {},
    };
  }
  const { logger, prefix } = settings;
  const producer = createRedis({ url: settings.redisUrl, role: 'producer', commandTimeoutMs: settings.commandTimeoutMs, logger, name: 'deploy-guard-queue', lazyConnect: true });
  const workerRedis = createRedis({ url: settings.redisUrl, role: 'worker', logger, name: 'deploy-guard-worker', lazyConnect: true });
  const eventsRedis = createRedis({ url: settings.redisUrl, role: 'worker', logger, name: 'deploy-guard-events', lazyConnect: true });
  let queue: Queue<GuardWatchJob, GuardWatchResult> | undefined;
  let worker: Worker<GuardWatchJob, GuardWatchResult> | undefined;
  let events: QueueEvents | undefined;

  const processJob = async (job: Job<GuardWatchJob, GuardWatchResult>): Promise<GuardWatchResult> => {
    const parsed = guardWatchJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid guard watch job data');
    if (job.attemptsMade > 0 || job.stalledCounter > 0) logger.warn({ job: job.id, replica: deps.replica }, 'resuming a guard watch another replica did not finish');
    try {
      return await runGuardWatch(deps, parsed.data, (elapsed, total) => job.updateProgress({ elapsed, total }));
    } catch (err) {
      // A failed or refused rollback is reported to the caller, never retried behind its back.
      if (err instanceof AutoRollbackFailed) throw new UnrecoverableError(err.message);
      throw err;
    }
  };

  return {
    durable: true,
    check: redisCheck(producer, 'guard_queue', false),
    async start() {
      await Promise.all([producer.connect(), workerRedis.connect(), eventsRedis.connect()]);
      queue = new Queue(GUARD_QUEUE, { connection: producer, prefix });
      queue.on('error', (err) => logger.warn({ err: { message: err.message } }, 'guard queue error'));
      events = new QueueEvents(GUARD_QUEUE, { connection: eventsRedis, prefix });
      events.on('error', (err) => logger.warn({ err: { message: err.message } }, 'guard queue events error'));
      worker = new Worker(GUARD_QUEUE, processJob, {
        connection: workerRedis,
        prefix,
        // Stored on each job it runs (job.processedBy): which replica is watching.
        name: deps.replica,
        // Watches mostly sleep between polls.
        concurrency: 50,
        lockDuration: settings.lockMs,
        stalledInterval: settings.lockMs,
        maxStalledCount: 3,
      });
      worker.on('error', (err) => logger.warn({ err: { message: err.message } }, 'guard worker error'));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
    },
    async run(job, onTick) {
      if (!queue || !events) throw new Error('the guard queue is not started');
      const jobId = guardWatchJobId(job);
      const ev = events;
      const onProgress = ({ jobId: id, data }: { jobId: string; data: unknown }) => {
        const p = data as { elapsed?: number; total?: number };
        if (id === jobId && typeof p.elapsed === 'number' && typeof p.total === 'number') void onTick(p.elapsed, p.total).catch(() => undefined);
      };
      ev.on('progress', onProgress);
      try {
        const added = await queue.add('watch', job, { jobId, attempts: 1, removeOnComplete: { age: 7 * 86_400, count: 10_000 }, removeOnFail: { age: 30 * 86_400 } });
        // The window, and time for another replica to take the job over should this one's worker die.
        return await added.waitUntilFinished(ev, Math.max(0, job.watch_until - Date.now()) + 4 * settings.lockMs + 60_000);
      } catch (err) {
        // A watch job fails only after an alarm fired, when the rollback failed or was refused.
        throw err instanceof AutoRollbackFailed ? err : new AutoRollbackFailed(err instanceof Error ? err.message : String(err));
      } finally {
        ev.off('progress', onProgress);
      }
    },
    async close() {
      await worker?.close().catch(() => undefined);
      await events?.close().catch(() => undefined);
      await queue?.close().catch(() => undefined);
      await Promise.all([closeRedis(producer), closeRedis(workerRedis), closeRedis(eventsRedis)]);
    },
  };
}
