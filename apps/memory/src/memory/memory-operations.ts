// What the MCP tools and the REST routes both do: agent scoping, validation beyond the schemas,
// caching, auto-compression. Tools and routes are thin adapters over these functions.
import { NotFoundError, type Logger, type Principal } from '@factory/base-server';
import type { AgentScope } from '../access/agent-scope.js';
import type { MemoryCache } from '../cache/memory-cache.js';
import type { CompressionQueue, JobInfo, JobState } from '../compression/compression-queue.js';
import { jobNotFound, batchTooLarge } from '../errors.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { estimateTokens, turnTokens } from '../turns/tokens.js';
import { truncateToTokens } from '../compression/summariser.js';
import * as repo from '../turns/turn-repository.js';
import { createGroupCommit } from '../turns/group-commit.js';
import { storeOnce } from '../turns/idempotent-store.js';
import type { SemanticRecall } from '../embeddings/semantic-recall.js';
import { DEFAULT_TEXT_SEARCH, type TextSearchOptions } from '../search/full-text-search.js';
import { retentionOverride, retentionView, setRetentionOverride, type RetentionView } from '../retention/retention-repository.js';

export interface MemoryOperationsDeps {
  db: repo.Db;
  /** Runs the write path's prepared statement. */
  database: repo.Prepared;
  cache: MemoryCache;
  queue: CompressionQueue;
  scope: AgentScope;
  metrics: MemoryMetrics;
  logger: Logger;
  compressionThresholdTokens: number;
  maxBatchTurns: number;
  /** Full-text search, optionally fused with semantic recall (src/embeddings/semantic-recall.ts). */
  recall: SemanticRecall;
  /** How many of the newest matching turns search ranks, and how far it walks first (see full-text-search.ts). */
  textSearch?: TextSearchOptions;
  /** Store statements in flight at once; writes arriving meanwhile are grouped into the next one. */
  storeConcurrency?: number;
  /** A further statement starts beside running ones only once the newest has run this long. */
  storeOverlapAfterMs?: number;
  /** MEMORY_RETENTION_DAYS (0: keep forever), what agents without an override get. */
  retentionDefaultDays?: number;
}

export interface CompressedMemory {
  agent_id: string;
  session_id: string;
  summary: {
    text: string;
    covers_through_turn_id: string;
    turns_covered: number;
    tokens: number;
    truncated: boolean;
    provider: string;
    model: string;
    created_at: string;
  } | null;
  turns: repo.TurnView[];
  total_tokens: number;
  omitted_turns: number;
  stale: boolean;
  pending_job_id: string | null;
}

/** How many unsummarised turns get_compressed_memory considers at most (newest first). */
const MAX_TAIL_TURNS = 500;

export type MemoryOperations = ReturnType<typeof createMemoryOperations>;

export function createMemoryOperations(deps: MemoryOperationsDeps) {
  const { db, cache, queue, scope, metrics, logger } = deps;

  // Past the threshold, a job is queued when the unsummarised tokens cross it and then again every quarter
  // threshold while they keep growing (a pending job absorbs the repeats; a failed enqueue is retried).
  const step = Math.max(1, Math.floor(deps.compressionThresholdTokens / 4));
  async function maybeAutoCompress(agentId: string, sessionId: string, stored: repo.StoredTurns, addedTokens: number) {
    const threshold = deps.compressionThresholdTokens;
    const after = stored.unsummarisedTokens;
    const before = after - addedTokens;
    if (threshold <= 0 || after < threshold) return;
    if (before >= threshold && Math.floor(after / step) === Math.floor(before / step)) return;
    try {
      const job = await queue.enqueue({ agentId, sessionId, throughTurnId: stored.lastTurnId }, { withState: false });
      if (!job.deduplicated) logger.info({ agentId, sessionId, jobId: job.jobId, tokens: stored.unsummarisedTokens }, 'auto-compression queued');
    } catch (err) {
      // The turns are stored; the next write past the threshold (or compress_memory) queues it again.
      logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, agentId, sessionId }, 'auto-compression could not be queued');
    }
  }

  const commit = createGroupCommit((writes: repo.TurnWrite[]) => repo.storeTurnWrites(deps.database, writes), {
    maxInFlight: deps.storeConcurrency ?? 2,
    overlapAfterMs: deps.storeOverlapAfterMs ?? 5,
    maxWeight: Math.max(deps.maxBatchTurns, 1_000),
    weight: (w) => w.turns.length,
    isolatable: repo.isStatementError,
  });

  /**
   * Stores turns; with an idempotency key, at most once per key (a retry gets the first answer). Keyed
   * writes run in a transaction of their own, beside the group commit.
   */
  async function store(principal: Principal | undefined, agentId: string, sessionId: string, turns: repo.NewTurn[], idempotencyKey?: string) {
    scope.assert(principal, agentId);
    if (turns.length > deps.maxBatchTurns) throw batchTooLarge(deps.maxBatchTurns, turns.length);
    let stored: repo.StoredTurns;
    if (idempotencyKey === undefined) {
      stored = await commit({ agentId, sessionId, turns });
    } else {
      const once = await storeOnce(db, { principal, agentId, sessionId, turns, key: idempotencyKey });
      if (once.replayed) return once.stored;
      stored = once.stored;
    }
    metrics.turnsStored.inc(turns.length);
    // Not awaited: the commit moved the session's cache epoch, so no replica serves an older answer.
    cache.invalidate(agentId, sessionId);
    await maybeAutoCompress(agentId, sessionId, stored, turns.reduce((n, t) => n + turnTokens(t.content), 0));
    return stored;
  }

  async function compressedMemory(principal: Principal | undefined, agentId: string, sessionId: string, maxTokens: number | undefined): Promise<CompressedMemory> {
    scope.assert(principal, agentId);
    const base = await cache.get(agentId, sessionId, `compressed:${maxTokens ?? 'all'}`, async () => {
      // Reads only what it returns: the summary, the session's counters and the newest turns that fit.
      const [summary, turnCount] = await Promise.all([repo.latestSummary(db, agentId, sessionId), repo.sessionTurnCount(db, agentId, sessionId)]);
      const after = summary ? String(summary.covers_through_turn_id) : '0';
      // turns_covered counts every turn the summary covers, so the rest of the session is unsummarised.
      const unsummarised = Math.max(0, (turnCount ?? 0) - (summary?.turns_covered ?? 0));
      let budget = maxTokens ?? Number.POSITIVE_INFINITY;
      let summaryView: CompressedMemory['summary'] = null;
      if (summary) {
        const text = Number.isFinite(budget) ? truncateToTokens(summary.summary, budget) : summary.summary;
        const tokens = estimateTokens(text);
        budget -= tokens;
        summaryView = {
          text,
          covers_through_turn_id: String(summary.covers_through_turn_id),
          turns_covered: summary.turns_covered,
          tokens,
          truncated: text !== summary.summary,
          provider: summary.provider,
          model: summary.model,
          created_at: new Date(summary.created_at).toISOString(),
        };
      }
      const turns = unsummarised === 0 ? [] : await repo.newestTurnsWithin(db, agentId, sessionId, after, budget, MAX_TAIL_TURNS);
      turns.reverse();
      const total = (summaryView?.tokens ?? 0) + turns.reduce((n, t) => n + t.token_count, 0);
      return { summary: summaryView, turns, total_tokens: total, omitted_turns: unsummarised - turns.length, unsummarised };
    });
    const { unsummarised, ...rest } = base;
    const stale = unsummarised > 0;
    const pending = stale ? await queue.pendingJobId(agentId, sessionId) : undefined;
    return { agent_id: agentId, session_id: sessionId, ...rest, stale, pending_job_id: pending ?? null };
  }

  return {
    store,

    async recentTurns(principal: Principal | undefined, agentId: string, sessionId: string, limit: number) {
      scope.assert(principal, agentId);
      const turns = await cache.get(agentId, sessionId, `recent:${limit}`, () => repo.recentTurns(db, agentId, sessionId, limit));
      return { agent_id: agentId, session_id: sessionId, turns };
    },

    compressedMemory,

    async compress(principal: Principal | undefined, agentId: string, sessionId: string): Promise<{ job_id: string; status: JobState; deduplicated: boolean }> {
      scope.assert(principal, agentId);
      const through = await repo.latestTurnId(db, agentId, sessionId);
      if (!through) throw new NotFoundError('session_not_found', `Agent "${agentId}" has no stored turns in session "${sessionId}", so there is nothing to compress.`);
      const job = await queue.enqueue({ agentId, sessionId, throughTurnId: through });
      return { job_id: job.jobId, status: job.state, deduplicated: job.deduplicated };
    },

    async job(principal: Principal | undefined, jobId: string) {
      const info: JobInfo | undefined = await queue.getJob(jobId);
      // Someone else's job is reported exactly like a missing one: ids must not reveal other agents' work.
      if (!info || !scope.allows(principal, info.agent_id)) throw jobNotFound(jobId);
      let summary: { summary_id: string; text: string; covers_through_turn_id: string; turns_covered: number } | null = null;
      const through = info.result?.covers_through_turn_id;
      if (through) {
        const row = await repo.summaryThrough(db, info.agent_id, info.session_id, through);
        if (row) summary = { summary_id: String(row.id), text: row.summary, covers_through_turn_id: String(row.covers_through_turn_id), turns_covered: row.turns_covered };
      }
      return { ...info, summary };
    },

    async search(principal: Principal | undefined, agentId: string, query: string, sessionId: string | undefined, limit: number) {
      scope.assert(principal, agentId);
      return { agent_id: agentId, ...(await deps.recall.search(db, agentId, query, sessionId, limit, deps.textSearch ?? DEFAULT_TEXT_SEARCH)) };
    },

    async sessions(principal: Principal | undefined, agentId: string) {
      scope.assert(principal, agentId);
      return { agent_id: agentId, sessions: await repo.listSessions(db, agentId) };
    },

    async forget(principal: Principal | undefined, agentId: string, sessionId: string | undefined) {
      scope.assert(principal, agentId);
      const result = await repo.forget(db, agentId, sessionId);
      // Deleting a session's row made its cached answers unservable (cache-epoch.ts); freeing them is best effort.
      // A session without a row had nothing cached, so the count is that of the sessions deleted.
      for (const s of result.sessions) cache.invalidate(agentId, s);
      return {
        agent_id: agentId,
        session_id: sessionId ?? null,
        turns_deleted: result.turns_deleted,
        summaries_deleted: result.summaries_deleted,
        sessions_deleted: result.sessions.length,
        cache_entries_cleared: result.sessions.length,
      };
    },

    async retention(principal: Principal | undefined, agentId: string): Promise<RetentionView> {
      scope.assert(principal, agentId);
      return retentionView(agentId, await retentionOverride(db, agentId), deps.retentionDefaultDays ?? 0);
    },

    /** Sets (or with null removes) an agent's retention override; the next sweep applies it. */
    async setRetention(principal: Principal | undefined, agentId: string, days: number | null): Promise<RetentionView> {
      scope.assert(principal, agentId);
      await setRetentionOverride(db, agentId, days);
      logger.info({ agentId, retentionDays: days, by: principal?.keyName ?? null }, 'agent retention set');
      return retentionView(agentId, days ?? undefined, deps.retentionDefaultDays ?? 0);
    },
  };
}
