// The retention sweep: every agent's turns older than its retention are deleted in bounded batches
// (deleteExpiredTurns), the sessions that lost turns are compressed anew from what remains, and the
// counts are logged and counted. The worker runs it from a BullMQ job scheduler (once per interval across
// all replicas); without Redis the API runs it on a timer (startRetentionTimer).
import { compositeKey, drainInBatches, type Logger } from '@factory/base-server';
import type { MemoryCache } from '../cache/memory-cache.js';
import type { FollowUp } from '../compression/follow-up.js';
import type { MemoryConfig } from '../config.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import type { Db } from '../turns/turn-repository.js';
import { agentsToSweep, deleteExpiredTurns, hasExpiredTurns } from './retention-repository.js';

/** The BullMQ job (and job scheduler id) of the sweep on the memory-compression queue. */
export const RETENTION_JOB = 'retention';
export const RETENTION_SCHEDULER_ID = 'memory-retention';

/** Agents read per page, and the most batches one sweep runs (the next sweep goes on from there). */
const AGENT_PAGE = 500;
const MAX_BATCHES_PER_SWEEP = 10_000;

export interface RetentionSweepResult {
  turns_deleted: number;
  summaries_deleted: number;
  sessions_deleted: number;
  agents_swept: number;
  batches: number;
  /** False when the sweep stopped early (shutdown, or MAX_BATCHES_PER_SWEEP): the next one goes on. */
  complete: boolean;
}

export interface RetentionSweepDeps {
  db: Db;
  /** MEMORY_RETENTION_DAYS: 0 keeps turns forever unless an agent has an override. */
  defaultDays: number;
  batch: number;
  cache: MemoryCache;
  metrics: MemoryMetrics;
  logger: Logger;
  /** Queues a compression of a session whose summaries retention deleted (when it is over its threshold). */
  recompress: (agentId: string, sessionId: string) => Promise<void>;
}

export type RetentionSweep = (signal?: AbortSignal) => Promise<RetentionSweepResult>;

export function createRetentionSweep(deps: RetentionSweepDeps): RetentionSweep {
  const { db, metrics, logger } = deps;
  return async (signal) => {
    const started = Date.now();
    const result: RetentionSweepResult = { turns_deleted: 0, summaries_deleted: 0, sessions_deleted: 0, agents_swept: 0, batches: 0, complete: true };
    const toRecompress = new Map<string, { agentId: string; sessionId: string }>();
    let after: string | undefined = '';
    pages: while (after !== undefined) {
      const page = await agentsToSweep(db, deps.defaultDays, after, AGENT_PAGE);
      after = page.next;
      for (const { agentId, days } of page.agents) {
        if (signal?.aborted === true || result.batches >= MAX_BATCHES_PER_SWEEP) {
          result.complete = false;
          break pages;
        }
        result.agents_swept += 1;
        if (!(await hasExpiredTurns(db, agentId, days))) continue;
        const drained = await drainInBatches(
          async () => {
            const b = await deleteExpiredTurns(db, agentId, days, deps.batch);
            result.turns_deleted += b.turnsDeleted;
            result.summaries_deleted += b.summariesDeleted;
            result.sessions_deleted += b.deletedSessions.length;
            metrics.retentionDeleted.inc({ kind: 'turns' }, b.turnsDeleted);
            metrics.retentionDeleted.inc({ kind: 'summaries' }, b.summariesDeleted);
            metrics.retentionDeleted.inc({ kind: 'sessions' }, b.deletedSessions.length);
            // The commit moved the epochs (or deleted the rows): this only frees Redis memory early.
            for (const s of [...b.keptSessions, ...b.deletedSessions]) deps.cache.invalidate(agentId, s);
            for (const s of b.keptSessions) toRecompress.set(compositeKey(agentId, s), { agentId, sessionId: s });
            for (const s of b.deletedSessions) toRecompress.delete(compositeKey(agentId, s));
            return b.candidates;
          },
          { size: deps.batch, maxBatches: MAX_BATCHES_PER_SWEEP - result.batches, ...(signal ? { signal } : {}) },
        );
        result.batches += drained.batches;
        if (!drained.complete) {
          result.complete = false;
          break pages;
        }
      }
    }
    for (const { agentId, sessionId } of toRecompress.values()) await deps.recompress(agentId, sessionId);
    metrics.retentionLastSweep.set(Date.now() / 1000);
    logger.info({ ...result, duration_ms: Date.now() - started, default_days: deps.defaultDays }, 'retention sweep finished');
    return result;
  };
}

/**
 * Without Redis (one API process, no worker): the sweep on a timer, never two at once, stopped (between
 * batches) by the returned function.
 */
export function startRetentionTimer(sweep: RetentionSweep, everyMs: number, logger: Logger): () => Promise<void> {
  const ac = new AbortController();
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = sweep(ac.signal)
      .catch((err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'retention sweep failed; it runs again at the next interval'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    ac.abort();
    await running;
  };
}

/**
 * The sweep as the API (timer, without Redis) and the worker (job scheduler) both run it: the configured
 * retention and batch, and a session whose summaries retention deleted compressed anew from its remaining
 * turns through the same follow-up as a finished compression.
 */
export function retentionSweepFor(
  config: Pick<MemoryConfig, 'MEMORY_RETENTION_DAYS' | 'MEMORY_RETENTION_BATCH'>,
  deps: Pick<RetentionSweepDeps, 'db' | 'cache' | 'metrics' | 'logger'> & { followUp: FollowUp },
): RetentionSweep {
  const { followUp, ...rest } = deps;
  return createRetentionSweep({
    ...rest,
    defaultDays: config.MEMORY_RETENTION_DAYS,
    batch: config.MEMORY_RETENTION_BATCH,
    recompress: (agentId, sessionId) => followUp({ agentId, sessionId, throughTurnId: '0' }),
  });
}
