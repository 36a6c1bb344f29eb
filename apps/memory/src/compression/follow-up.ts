// A compression request that arrives while a job of the same session is pending is absorbed by it
// (deduplication), and that job compresses only through the turn it was queued for. So when a job has
// finished, a session still over its threshold gets its next job at once: a session over its threshold
// always has a pending job once the previous one finishes, whichever queue runs it.
import type { Logger } from '@factory/base-server';
import { sessionBacklog, type Db } from '../turns/turn-repository.js';
import type { CompressionJobData } from './job-id.js';

export type FollowUp = (finished: CompressionJobData) => Promise<void>;

export function createFollowUp(opts: {
  db: Db;
  thresholdTokens: number;
  enqueue: (data: CompressionJobData) => Promise<unknown>;
  logger: Logger;
}): FollowUp {
  return async ({ agentId, sessionId, throughTurnId }) => {
    if (opts.thresholdTokens <= 0) return;
    try {
      const backlog = await sessionBacklog(opts.db, agentId, sessionId);
      if (!backlog || backlog.unsummarisedTokens < opts.thresholdTokens || BigInt(backlog.lastTurnId) <= BigInt(throughTurnId)) return;
      await opts.enqueue({ agentId, sessionId, throughTurnId: backlog.lastTurnId });
      opts.logger.info({ agentId, sessionId, through: backlog.lastTurnId, tokens: backlog.unsummarisedTokens }, 'follow-up compression queued');
    } catch (err) {
      // The next write past the threshold (or compress_memory) queues it again.
      opts.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, agentId, sessionId }, 'follow-up compression could not be queued');
    }
  };
}
