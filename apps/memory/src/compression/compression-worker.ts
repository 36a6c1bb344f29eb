// The compression worker: a BullMQ Worker on `memory-compression` running the shared processor, served
// as a base-server service with only /health, /ready and /metrics.
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  ConfigError,
  closeRedis,
  createDatabase,
  databaseTimeouts,
  createLogger,
  createMetrics,
  createRedis,
  createService,
  type Database,
  type Logger,
  type Service,
} from '@factory/base-server';
import type { MemoryConfig } from '../config.js';
import type { MemoryDatabase } from '../db/schema.js';
import { migrations, MIGRATIONS_APP } from '../db/migrations.js';
import { createRedisCache } from '../cache/memory-cache.js';
import { cacheEpochs } from '../cache/cache-epoch.js';
import { createMemoryMetrics, type MemoryMetrics } from '../memory-metrics.js';
import { SERVICE_VERSION } from '../version.js';
import { createLlm } from './llm.js';
import { CircuitOpenError } from './circuit-breaker.js';
import { createCompressionProcessor, type CompressionProcessor, type CompressionResult } from './compression-processor.js';
import { QUEUE_NAME, createBullmqQueue, redisMemoryProblem, retryPolicy } from './compression-queue.js';
import { createFollowUp } from './follow-up.js';
import type { CompressionJobData } from './job-id.js';
import type { Summariser } from './summariser.js';
import { createSemanticRecall, type SemanticRecall } from '../embeddings/semantic-recall.js';
import { pgliteExtensions } from '../db/pglite-extensions.js';
import { RETENTION_JOB, RETENTION_SCHEDULER_ID, retentionSweepFor, type RetentionSweep, type RetentionSweepResult } from '../retention/retention-sweep.js';

export interface CompressionWorkerDeps {
  logger?: Logger;
  summariser?: Summariser;
  fetch?: typeof fetch;
}

export interface CompressionWorker {
  service: Service;
  database: Database<MemoryDatabase>;
  processor: CompressionProcessor;
  metrics: MemoryMetrics;
  /** Semantic recall: its background embedder runs here when configured and pgvector is there. */
  recall: SemanticRecall;
  /** The retention sweep, run by the job scheduler `memory-retention` (once per interval across workers). */
  retention: RetentionSweep;
  /** The BullMQ worker, once started. */
  readonly worker: Worker | undefined;
}

/**
 * Wraps the processor with BullMQ semantics: an open breaker delays the job instead of failing it, and a
 * job interrupted by `handBack` (a shutdown that cannot wait any longer) goes back to the queue at once,
 * without using up an attempt, instead of staying locked until its lock expires.
 */
export function bullmqProcessor(processor: CompressionProcessor, metrics: MemoryMetrics, logger: Logger, handBack?: AbortSignal) {
  return async (job: Job<CompressionJobData, CompressionResult>, token?: string): Promise<CompressionResult> => {
    try {
      const result = await processor(job.data, handBack);
      metrics.compressionJobs.inc({ outcome: result.outcome });
      return result;
    } catch (err) {
      if (handBack?.aborted) {
        await job.moveToWait(token);
        logger.info({ jobId: job.id }, 'worker stopping: compression job handed back to the queue');
        throw new WaitingError();
      }
      if (err instanceof CircuitOpenError) {
        metrics.compressionJobs.inc({ outcome: 'delayed' });
        logger.info({ jobId: job.id, retryInMs: err.retryAfterMs }, 'LLM circuit open: compression job delayed');
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        throw new DelayedError();
      }
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      metrics.compressionJobs.inc({ outcome: last ? 'failed' : 'retried' });
      logger[last ? 'error' : 'warn']({ err, jobId: job.id, attempt: job.attemptsMade + 1 }, last ? 'compression job failed' : 'compression attempt failed; will retry');
      throw err;
    }
  };
}

export async function createCompressionWorker(config: MemoryConfig, deps: CompressionWorkerDeps = {}): Promise<CompressionWorker> {
  if (!config.REDIS_URL) throw new ConfigError('Invalid configuration: REDIS_URL: required by the compression worker (without Redis the API compresses in-process)');
  const redisUrl = config.REDIS_URL;
  const logger = deps.logger ?? createLogger({ service: 'memory-worker', version: SERVICE_VERSION, level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const serviceMetrics = createMetrics('memory-worker', SERVICE_VERSION);
  const database = await createDatabase<MemoryDatabase>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: config.DATABASE_SCHEMA,
    poolMax: Math.max(2, config.WORKER_CONCURRENCY + 1),
    applicationName: 'memory-worker',
    ...(config.DATABASE_URL ? {} : { pgliteExtensions: await pgliteExtensions(config) }),
    logger,
    metrics: serviceMetrics,
    ...databaseTimeouts(config),
  });
  const client: Redis = createRedis({ url: redisUrl, role: 'producer', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger, name: 'memory-worker-client' });
  // The producer side on the worker: job counts for /ready and metrics, and follow-up jobs.
  const producer = createBullmqQueue({ redis: client, prefix: config.QUEUE_PREFIX, policy: retryPolicy(config), logger });
  const metrics = createMemoryMetrics(serviceMetrics.registry, () => producer.counts());
  const cache = createRedisCache({ redis: client, epochs: cacheEpochs(database), prefix: config.CACHE_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS, logger });
  const llm = createLlm(config, { metrics, logger, publishTo: client, ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.summariser ? { summariser: deps.summariser } : {}) });
  const processor = createCompressionProcessor({
    db: database.db,
    summariser: llm.summariser,
    cache,
    metrics,
    logger,
    summaryMaxTokens: config.SUMMARY_MAX_TOKENS,
    inputMaxTokens: config.LLM_INPUT_MAX_TOKENS,
  });
  const recall = createSemanticRecall(config, { logger, metrics, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const followUp = createFollowUp({ db: database.db, thresholdTokens: config.COMPRESSION_THRESHOLD_TOKENS, enqueue: (data) => producer.enqueue(data, { withState: false }), logger });
  const retention = retentionSweepFor(config, { db: database.db, cache, metrics, logger, followUp });

  let worker: Worker | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  // Aborted when a shutdown has waited half of SHUTDOWN_TIMEOUT_MS for running jobs: they are handed back.
  const handBack = new AbortController();
  let workerRedis: Redis | undefined;
  let lastActivity = 0;
  const stuckAfterMs = Math.max(60_000, 2 * config.WORKER_LOCK_MS);
  const touch = () => {
    lastActivity = Date.now();
  };

  const service = createService({
    name: 'memory-worker',
    version: SERVICE_VERSION,
    config,
    logger,
    metrics: serviceMetrics,
    checks: [
      database.check(),
      {
        name: 'queue',
        required: true,
        async run() {
          // Taking jobs means: the worker runs, is not paused, its connection is up and Redis answers.
          if (!worker || !workerRedis) return { status: 'error', message: 'the compression worker has not started' };
          if (!worker.isRunning()) return { status: 'error', message: 'the compression worker is not running; restart the process' };
          if (worker.isPaused()) return { status: 'error', message: 'the compression worker is paused' };
          if (workerRedis.status !== 'ready' || client.status !== 'ready') {
            return { status: 'error', message: `redis is ${workerRedis.status}; is Redis running at REDIS_URL?` };
          }
          const [counts = {}, memory] = await Promise.all([producer.counts(), redisMemoryProblem(client)]);
          const idleMs = Date.now() - lastActivity;
          const details = { last_activity_at: lastActivity ? new Date(lastActivity).toISOString() : null, concurrency: config.WORKER_CONCURRENCY, ...counts };
          // Jobs waiting, none running, and no sign of life for a while: the worker is not taking jobs.
          if ((counts.waiting ?? 0) > 0 && (counts.active ?? 0) === 0 && idleMs > stuckAfterMs) {
            return { status: 'error', message: `${counts.waiting} jobs are waiting but the worker has taken none for ${Math.round(idleMs / 1000)} s; restart it`, details };
          }
          if (memory) return { ...memory, details: { ...details, ...memory.details } };
          return { details };
        },
      },
      llm.check(),
      recall.check(),
    ],
    onStart: async () => {
      await database.migrate(migrations, MIGRATIONS_APP);
      await recall.prepare(database.db);
      recall.indexer?.start();
      workerRedis = createRedis({ url: redisUrl, role: 'worker', logger, name: 'memory-worker' });
      const compress = bullmqProcessor(processor, metrics, logger, handBack.signal);
      // The queue also carries the scheduled retention sweep; a shutdown stops it between batches.
      const handle = (job: Job, token?: string): Promise<CompressionResult | RetentionSweepResult> =>
        job.name === RETENTION_JOB ? retention(handBack.signal) : compress(job as Job<CompressionJobData, CompressionResult>, token);
      worker = new Worker(QUEUE_NAME, handle, {
        connection: workerRedis,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        lockDuration: config.WORKER_LOCK_MS,
        stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: 2,
        removeOnComplete: { count: config.COMPRESSION_KEEP_COMPLETED },
        removeOnFail: { count: config.COMPRESSION_KEEP_FAILED },
      });
      worker.on('error', (err) => logger.warn({ err: { message: err.message } }, 'compression worker error'));
      worker.on('stalled', (jobId) => logger.warn({ jobId }, 'compression job stalled; it will be retried'));
      // 'completed' comes after BullMQ released the session's deduplication key, so the follow-up is not absorbed.
      worker.on('completed', (job) => {
        if (job.name === RETENTION_JOB) return;
        void followUp(job.data as CompressionJobData);
      });
      worker.on('failed', (job, err) => {
        if (job?.name === RETENTION_JOB) logger.warn({ jobId: job.id, err: { message: err.message } }, 'retention sweep failed; it is retried');
      });
      for (const ev of ['active', 'completed', 'failed', 'drained', 'ready'] as const) worker.on(ev, touch);
      await worker.waitUntilReady();
      await producer.schedule(RETENTION_SCHEDULER_ID, RETENTION_JOB, config.MEMORY_RETENTION_INTERVAL_MS);
      // The scheduler lives in Redis only: a Redis that lost its data would stop retention for good. Each
      // worker looks for it on a timer of its own (every interval, at most every minute) and puts it back.
      retentionTimer = setInterval(
        () =>
          void producer.scheduleIfMissing(RETENTION_SCHEDULER_ID, RETENTION_JOB, config.MEMORY_RETENTION_INTERVAL_MS).then(
            (put) => put && logger.warn({ scheduler: RETENTION_SCHEDULER_ID }, 'retention job scheduler missing from Redis put back'),
            (err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'retention job scheduler could not be checked'),
          ),
        Math.min(config.MEMORY_RETENTION_INTERVAL_MS, 60_000),
      );
      retentionTimer.unref();
      touch();
    },
    onShutdown: [
      { name: 'retention-schedule', close: async () => clearInterval(retentionTimer) },
      {
        // Stop taking jobs at once; let running ones finish within half the shutdown timeout, then hand them back.
        name: 'compression-worker',
        close: async () => {
          if (!worker) return;
          const timer = setTimeout(() => handBack.abort(), Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2));
          try {
            await worker.close();
          } finally {
            clearTimeout(timer);
          }
        },
      },
      { name: 'embedding-indexer', close: async () => void (await recall.indexer?.stop()) },
      { name: 'producer-queue', close: () => producer.close() },
      { name: 'redis-worker', close: async () => void (workerRedis ? await closeRedis(workerRedis) : undefined) },
      { name: 'redis', close: () => closeRedis(client) },
      { name: 'database', close: () => database.close() },
    ],
  });

  return {
    service,
    database,
    processor,
    metrics,
    recall,
    retention,
    get worker() {
      return worker;
    },
  };
}
