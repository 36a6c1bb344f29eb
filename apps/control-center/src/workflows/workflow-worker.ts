// The workflow worker: a BullMQ Worker on `workflow-steps` running steps, scheduled starts and the
// retention sweep, served as a base-server service with only /health, /ready and /metrics. Separate
// from the API (like the memory worker), so runs go on while the API restarts and workers scale out.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigError, closeRedis, createDatabase, createLogger, createMetrics, createRedis, createService, type Database, type Logger, type Service } from '@factory/base-server';
import type { Config } from '../config.js';
import type { Database as Tables } from '../db/schema.js';
import { migrations } from '../db/migrations.js';
import { findWorkflow, findVersion, scheduledWorkflows } from './repository.js';
import { sweepRetention } from './retention.js';
import { WORKFLOW_QUEUE, type StartJob, type StepJob } from './step-queue.js';
import { StepRunner } from './step-runner.js';
import { createWorkflows, type Workflows } from './workflow-context.js';

export const WORKER_NAME = 'workflow-worker';

export interface WorkflowWorkerDeps {
  logger?: Logger;
  /** A database schema (tests give each file its own). */
  schema?: string;
  version?: string;
}

export interface WorkflowWorker {
  service: Service;
  database: Database<Tables>;
  workflows: Workflows;
  runner: StepRunner;
  readonly worker: Worker | undefined;
}

export async function createWorkflowWorker(config: Readonly<Config>, deps: WorkflowWorkerDeps = {}): Promise<WorkflowWorker> {
  if (!config.REDIS_URL) throw new ConfigError('Invalid configuration: REDIS_URL: required by the workflow worker (steps run on the Redis queue workflow-steps)');
  const redisUrl = config.REDIS_URL;
  const version = deps.version ?? '1.0.0';
  const logger = deps.logger ?? createLogger({ service: WORKER_NAME, version, level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const metrics = createMetrics(WORKER_NAME, version);
  const database = await createDatabase<Tables>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: deps.schema ?? config.DATABASE_SCHEMA,
    poolMax: Math.max(4, Math.min(config.WORKFLOW_WORKER_CONCURRENCY + 2, 30)),
    logger,
    metrics,
    applicationName: WORKER_NAME,
  });
  const producer: Redis = createRedis({ url: redisUrl, role: 'producer', logger, name: 'workflow-worker-producer' });
  const workflows = createWorkflows(config, { db: database.db, prepared: database, redis: producer, logger, registry: metrics.registry });
  const runner = new StepRunner(workflows.engine, { defaultTimeoutMs: config.WORKFLOW_STEP_TIMEOUT_MS });

  const handle = async (job: Job): Promise<unknown> => {
    if (job.name === 'step') return runner.run(job.data as StepJob);
    if (job.name === 'start') {
      const { workflow } = job.data as StartJob;
      const wf = await findWorkflow(database.db, workflow);
      const def = wf && !wf.deleted_at ? await findVersion(database.db, workflow, wf.latest_version) : undefined;
      // A scheduler left behind (its removal at delete or save failed: Redis refused it) starts nothing
      // and goes: what Postgres says of the workflow's latest version decides.
      if (!def?.definition.schedule) {
        await workflows.queue?.removeSchedule(workflow);
        return wf && !wf.deleted_at ? 'unscheduled' : 'deleted';
      }
      return (await workflows.engine.start(workflow, def.definition.schedule.input, 'schedule', 'schedule')).id;
    }
    if (job.name === 'requeue') return runner.requeueLost();
    if (job.name === 'retention') {
      const cutoff = new Date(Date.now() - config.WORKFLOW_RETENTION_DAYS * 86_400_000);
      return sweepRetention(database.db, { cutoff, batch: config.WORKFLOW_RETENTION_BATCH, logger });
    }
    return 'ignored';
  };

  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;
  let schedulesTimer: NodeJS.Timeout | undefined;
  const keepSchedules = async (startUp = false): Promise<number> =>
    (await workflows.queue?.keepSchedules(await scheduledWorkflows(database.db), { retentionMs: config.WORKFLOW_RETENTION_INTERVAL_MS, requeueMs: config.WORKFLOW_REQUEUE_INTERVAL_MS }, startUp)) ?? 0;
  const service = createService({
    name: WORKER_NAME,
    version,
    config,
    logger,
    metrics,
    checks: [
      database.check(),
      {
        name: 'queue',
        required: true,
        run() {
          if (!worker || !workerRedis) return { status: 'error', message: 'the workflow worker has not started' };
          if (!worker.isRunning()) return { status: 'error', message: 'the workflow worker is not running; restart the process' };
          if (workerRedis.status !== 'ready' || producer.status !== 'ready') return { status: 'error', message: `redis is ${workerRedis.status}; is Redis running at REDIS_URL?` };
          return { details: { concurrency: config.WORKFLOW_WORKER_CONCURRENCY } };
        },
      },
    ],
    onStart: async () => {
      await database.migrate(migrations, 'control-center');
      workerRedis = createRedis({ url: redisUrl, role: 'worker', logger, name: WORKER_NAME });
      worker = new Worker(WORKFLOW_QUEUE, handle, {
        connection: workerRedis,
        prefix: config.WORKFLOW_QUEUE_PREFIX,
        concurrency: config.WORKFLOW_WORKER_CONCURRENCY,
        lockDuration: config.WORKFLOW_WORKER_LOCK_MS,
        stalledInterval: config.WORKFLOW_WORKER_STALLED_INTERVAL_MS,
        // A stalled step job is delivered again (the engine then applies the crash-safety rule) instead of failing.
        maxStalledCount: 10,
      });
      worker.on('error', (err) => logger.warn({ err: { message: err.message } }, 'workflow worker error'));
      worker.on('failed', (job, err) => logger.warn({ jobId: job?.id, name: job?.name, err: { message: err.message } }, 'workflow job failed'));
      worker.on('stalled', (jobId) => logger.warn({ jobId }, 'workflow step job stalled; it runs again'));
      await worker.waitUntilReady();
      await keepSchedules(true);
      // Kept by every worker on a timer of its own, not a Redis job scheduler: after Redis lost its data
      // the schedulers (cron starts, the sweeps) come back within an interval, with no restart.
      schedulesTimer = setInterval(
        () =>
          void keepSchedules().then(
            (put) => put && logger.warn({ put }, 'workflow job schedulers missing from Redis put back'),
            (err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'workflow job schedulers could not be checked'),
          ),
        config.WORKFLOW_REQUEUE_INTERVAL_MS,
      );
      schedulesTimer.unref();
      await runner.resumeInFlight();
    },
    onShutdown: [
      { name: 'workflow-schedules', close: async () => clearInterval(schedulesTimer) },
      { name: 'workflow-worker', close: async () => void (await worker?.close()) },
      { name: 'mcp-clients', close: () => runner.close() },
      { name: 'workflow-queue', close: async () => void (await workflows.queue?.close()) },
      { name: 'redis-worker', close: async () => void (workerRedis ? await closeRedis(workerRedis) : undefined) },
      { name: 'redis', close: () => closeRedis(producer) },
      { name: 'database', close: () => database.close() },
    ],
  });
  return {
    service,
    database,
    workflows,
    runner,
    get worker() {
      return worker;
    },
  };
}
