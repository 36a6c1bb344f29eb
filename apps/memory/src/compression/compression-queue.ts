// Where compression jobs go: the BullMQ queue `memory-compression` (processed by the worker process),
// or, without Redis, an in-process runner that calls the same processor with the same retry rules.
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CheckOutcome, Logger, ReadinessCheck } from '@factory/base-server';
import type { MemoryConfig } from '../config.js';
import { queueUnavailable } from '../errors.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { CircuitOpenError } from './circuit-breaker.js';
import type { CompressionProcessor, CompressionResult } from './compression-processor.js';
import { compressionJobId, sessionDedupId, type CompressionJobData } from './job-id.js';

export const QUEUE_NAME = 'memory-compression';

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'unknown';

export interface JobInfo {
  job_id: string;
  state: JobState;
  agent_id: string;
  session_id: string;
  through_turn_id: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  result: CompressionResult | null;
  created_at: string | null;
  finished_at: string | null;
}

export interface Enqueued {
  jobId: string;
  state: JobState;
  /** True when the request collapsed into an existing job. */
  deduplicated: boolean;
}

export interface CompressionQueue {
  readonly mode: 'bullmq' | 'in-process';
  /** `withState: false` skips reading the job's state (reported as `waiting`), saving a round trip. */
  enqueue(data: CompressionJobData, options?: { withState?: boolean }): Promise<Enqueued>;
  getJob(jobId: string): Promise<JobInfo | undefined>;
  /** The id of a waiting, delayed or active compression of this session, if there is one. */
  pendingJobId(agentId: string, sessionId: string): Promise<string | undefined>;
  counts(): Promise<Record<string, number> | undefined>;
  check(): ReadinessCheck;
  close(): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  keepCompleted: number;
  keepFailed: number;
}

export const retryPolicy = (config: MemoryConfig): RetryPolicy => ({
  attempts: config.COMPRESSION_ATTEMPTS,
  backoffMs: config.COMPRESSION_BACKOFF_MS,
  keepCompleted: config.COMPRESSION_KEEP_COMPLETED,
  keepFailed: config.COMPRESSION_KEEP_FAILED,
});

export function jobOptions(policy: RetryPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    // Exponential backoff (backoffMs, 2x, 4x, ...) with up to 50 % random jitter.
    backoff: { type: 'exponential', delay: policy.backoffMs, jitter: 0.5 },
    removeOnComplete: { count: policy.keepCompleted },
    removeOnFail: { count: policy.keepFailed },
  };
}

const normaliseState = (s: string): JobState =>
  s === 'waiting' || s === 'active' || s === 'delayed' || s === 'completed' || s === 'failed'
    ? s
    : s === 'prioritized' || s === 'waiting-children' || s === 'paused'
      ? 'waiting'
      : 'unknown';

const withTimeout = async <T>(p: Promise<T>, ms: number): Promise<T> => {
  const ac = new AbortController();
  try {
    return await Promise.race([p, sleep(ms, undefined, { signal: ac.signal }).then(() => Promise.reject(new Error(`redis did not answer within ${ms} ms`)))]);
  } finally {
    ac.abort();
  }
};

/**
 * Whether Redis keeps job data: BullMQ needs `maxmemory-policy noeviction` (any other policy lets Redis
 * evict job hashes under memory pressure, and the worker then fails those jobs), and a Redis at its
 * `maxmemory` refuses every new job (warned from 90 % on). Read from INFO (CONFIG is often disabled on managed Redis).
 */
export async function redisMemoryProblem(redis: Redis): Promise<CheckOutcome | undefined> {
  const info = await redis.info('memory');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const policy = field('maxmemory_policy');
  if (policy !== undefined && policy !== 'noeviction') {
    return {
      status: 'error',
      message: `redis maxmemory-policy is ${policy}, which evicts queue jobs under memory pressure; set maxmemory-policy noeviction on this Redis (BullMQ requires it)`,
      details: { maxmemory_policy: policy },
    };
  }
  const max = Number(field('maxmemory') ?? 0);
  const used = Number(field('used_memory') ?? 0);
  // Redis refuses writes once used_memory passes maxmemory; from 90 % on, a job or two more can tip it over.
  if (max > 0 && used >= max * 0.9) {
    return {
      status: 'warning',
      message: `redis is out of memory (${Math.round((used / max) * 100)} % of maxmemory used) and refuses or will soon refuse new jobs; raise maxmemory or free memory`,
      details: { used_memory: used, maxmemory: max },
    };
  }
  return undefined;
}

export interface BullmqCompressionQueue extends CompressionQueue {
  /** One job `name` every `everyMs` across all workers (a BullMQ job scheduler: upserting it again changes nothing). */
  schedule(schedulerId: string, name: string, everyMs: number): Promise<void>;
  /** Puts the scheduler back when Redis does not hold it (lost with Redis's data); true when it did. */
  scheduleIfMissing(schedulerId: string, name: string, everyMs: number): Promise<boolean>;
}

export function createBullmqQueue(opts: { redis: Redis; prefix: string; policy: RetryPolicy; logger: Logger }): BullmqCompressionQueue {
  const { redis } = opts;
  const queue = new Queue<CompressionJobData, CompressionResult>(QUEUE_NAME, {
    connection: redis,
    prefix: opts.prefix,
    defaultJobOptions: jobOptions(opts.policy),
  });
  queue.on('error', (err) => opts.logger.warn({ err: { message: err.message } }, 'compression queue error'));
  const up = () => redis.status === 'ready';

  return {
    mode: 'bullmq',
    async enqueue(data, options = {}) {
      if (!up()) throw queueUnavailable();
      const jobId = compressionJobId(data);
      try {
        const job = await withTimeout(queue.add('compress', data, { jobId, deduplication: { id: sessionDedupId(data.agentId, data.sessionId) } }), 3_000);
        const id = job.id ?? jobId;
        const state = options.withState === false ? 'waiting' : normaliseState(await withTimeout(queue.getJobState(id), 3_000));
        return { jobId: id, state, deduplicated: id !== jobId };
      } catch (err) {
        throw queueUnavailable(err);
      }
    },
    async getJob(jobId) {
      if (!up()) throw queueUnavailable();
      let job;
      try {
        job = await withTimeout(queue.getJob(jobId), 3_000);
        if (!job) return undefined;
        const state = normaliseState(await withTimeout(job.getState(), 3_000));
        return {
          job_id: jobId,
          state,
          agent_id: job.data.agentId,
          session_id: job.data.sessionId,
          through_turn_id: job.data.throughTurnId,
          attempts: job.attemptsMade,
          max_attempts: job.opts.attempts ?? 1,
          last_error: job.failedReason ? job.failedReason : null,
          result: (job.returnvalue as CompressionResult | null | undefined) ?? null,
          created_at: new Date(job.timestamp).toISOString(),
          finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        };
      } catch (err) {
        throw queueUnavailable(err);
      }
    },
    async pendingJobId(agentId, sessionId) {
      if (!up()) return undefined;
      try {
        const id = await withTimeout(queue.getDeduplicationJobId(sessionDedupId(agentId, sessionId)), 1_000);
        return id ?? undefined;
      } catch {
        return undefined;
      }
    },
    async counts() {
      if (!up()) return undefined;
      return withTimeout(queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'paused'), 2_000);
    },
    check() {
      return {
        name: 'queue',
        required: true,
        async run() {
          if (!up()) return { status: 'error', message: `redis is ${redis.status}; is Redis running at REDIS_URL?` };
          const [counts, memory] = await Promise.all([queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), redisMemoryProblem(redis)]);
          return memory ? { ...memory, details: { ...counts, ...memory.details } } : { details: counts };
        },
      };
    },
    async schedule(schedulerId, name, everyMs) {
      // The template's data is empty: the worker dispatches on the job name (never compression data).
      await withTimeout(queue.upsertJobScheduler(schedulerId, { every: everyMs }, { name, data: {} as CompressionJobData }), 3_000);
    },
    async scheduleIfMissing(schedulerId, name, everyMs) {
      // Only when missing: re-upserting a present one would move its next run (and workers of two
      // settings during a rolling deploy would undo each other).
      if (await withTimeout(queue.getJobScheduler(schedulerId), 3_000)) return false;
      await this.schedule(schedulerId, name, everyMs);
      return true;
    },
    async close() {
      await queue.close();
    },
  };
}

interface LocalJob {
  info: JobInfo;
  data: CompressionJobData;
}

/**
 * Without Redis: jobs run in this process through the same processor, one at a time, with the same
 * attempts, exponential backoff with jitter, and delay-while-the-breaker-is-open rules as the worker.
 * Jobs live in memory (bounded); summaries are in Postgres, so a restart loses only pending jobs, and
 * the next stored turn past the threshold (or compress_memory) queues them again.
 */
export function createInProcessQueue(opts: {
  processor: CompressionProcessor;
  policy: RetryPolicy;
  logger: Logger;
  metrics: MemoryMetrics;
  /** Called once a job has completed and its session has no pending job any more (see follow-up.ts). */
  onCompleted?: (data: CompressionJobData) => Promise<void>;
}): CompressionQueue {
  const jobs = new Map<string, LocalJob>();
  const pendingBySession = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const ac = new AbortController();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const prune = () => {
    const finished = [...jobs.values()].filter((j) => j.info.state === 'completed' || j.info.state === 'failed');
    const limit = Math.max(opts.policy.keepCompleted, 1);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) jobs.delete(j.info.job_id);
  };

  const schedule = (job: LocalJob, delayMs: number) => {
    if (closed) return;
    const t = setTimeout(() => {
      timers.delete(t);
      job.info.state = 'waiting';
      run(job);
    }, delayMs);
    timers.add(t);
  };

  const run = (job: LocalJob) => {
    chain = chain.then(async () => {
      if (closed) return;
      job.info.state = 'active';
      try {
        const result = await opts.processor(job.data, ac.signal);
        job.info.attempts += 1;
        job.info.state = 'completed';
        job.info.result = result;
        opts.metrics.compressionJobs.inc({ outcome: result.outcome });
      } catch (err) {
        if (err instanceof CircuitOpenError) {
          job.info.state = 'delayed';
          opts.metrics.compressionJobs.inc({ outcome: 'delayed' });
          schedule(job, err.retryAfterMs);
          return;
        }
        job.info.attempts += 1;
        job.info.last_error = err instanceof Error ? err.message : String(err);
        if (err instanceof UnrecoverableError || job.info.attempts >= job.info.max_attempts) {
          job.info.state = 'failed';
          opts.metrics.compressionJobs.inc({ outcome: 'failed' });
          opts.logger.error({ err, jobId: job.info.job_id }, 'compression job failed');
        } else {
          job.info.state = 'delayed';
          opts.metrics.compressionJobs.inc({ outcome: 'retried' });
          const base = opts.policy.backoffMs * 2 ** (job.info.attempts - 1);
          schedule(job, base * (0.5 + Math.random() * 0.5));
          return;
        }
      }
      job.info.finished_at = new Date().toISOString();
      pendingBySession.delete(sessionDedupId(job.data.agentId, job.data.sessionId));
      prune();
      if (job.info.state === 'completed') void opts.onCompleted?.(job.data);
    });
  };

  return {
    mode: 'in-process',
    async enqueue(data) {
      const jobId = compressionJobId(data);
      const dedup = sessionDedupId(data.agentId, data.sessionId);
      const pending = pendingBySession.get(dedup);
      const existing = jobs.get(pending ?? jobId);
      if (existing) return { jobId: existing.info.job_id, state: existing.info.state, deduplicated: true };
      const job: LocalJob = {
        data,
        info: {
          job_id: jobId,
          state: 'waiting',
          agent_id: data.agentId,
          session_id: data.sessionId,
          through_turn_id: data.throughTurnId,
          attempts: 0,
          max_attempts: opts.policy.attempts,
          last_error: null,
          result: null,
          created_at: new Date().toISOString(),
          finished_at: null,
        },
      };
      jobs.set(jobId, job);
      pendingBySession.set(dedup, jobId);
      run(job);
      return { jobId, state: 'waiting', deduplicated: false };
    },
    async getJob(jobId) {
      const j = jobs.get(jobId);
      return j ? { ...j.info } : undefined;
    },
    async pendingJobId(agentId, sessionId) {
      return pendingBySession.get(sessionDedupId(agentId, sessionId));
    },
    async counts() {
      const counts: Record<string, number> = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
      for (const j of jobs.values()) counts[j.info.state] = (counts[j.info.state] ?? 0) + 1;
      return counts;
    },
    check() {
      return {
        name: 'queue',
        required: false,
        run: () => ({ status: 'not_configured' as const, message: 'REDIS_URL is not set; compression runs in-process' }),
      };
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      ac.abort();
      await chain.catch(() => undefined);
    },
  };
}
