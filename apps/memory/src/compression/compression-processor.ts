// The one compression processor, used by the BullMQ worker and by the in-process runner alike.
// Incremental: new summary = summarise(previous summary + turns since it), so a compression costs in
// proportion to the new turns, not to the whole history. The write is an idempotent upsert.
import { performance } from 'node:perf_hooks';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from '@factory/base-server';
import type { MemoryCache } from '../cache/memory-cache.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { latestSummary, saveSummary, sessionPurgedThrough, turnsBetween, type Db } from '../turns/turn-repository.js';
import { LlmError, type Summariser } from './summariser.js';
import { compressionJobDataSchema, type CompressionJobData } from './job-id.js';

export interface CompressionResult {
  outcome: 'completed' | 'skipped';
  reason?: string;
  summary_id?: string;
  covers_through_turn_id?: string;
  turns_covered?: number;
}

export interface ProcessorDeps {
  db: Db;
  summariser: Summariser;
  cache: MemoryCache;
  metrics: MemoryMetrics;
  logger: Logger;
  summaryMaxTokens: number;
  /** New turns are fed to the summariser in chunks of at most this many tokens. */
  inputMaxTokens: number;
}

export type CompressionProcessor = (data: unknown, signal?: AbortSignal) => Promise<CompressionResult>;

export function createCompressionProcessor(deps: ProcessorDeps): CompressionProcessor {
  const { db, summariser, cache, metrics, logger } = deps;
  return async (raw, signal) => {
    const parsed = compressionJobDataSchema.safeParse(raw);
    if (!parsed.success) throw new UnrecoverableError('invalid compression job data: expected { agentId, sessionId, throughTurnId }');
    const { agentId, sessionId, throughTurnId }: CompressionJobData = parsed.data;
    const started = performance.now();

    // Read before the inputs: if retention deletes turns of the session meanwhile, the summary is not saved.
    const purgedThrough = await sessionPurgedThrough(db, agentId, sessionId);
    if (purgedThrough === undefined) return { outcome: 'skipped', reason: 'no turns to compress (the session may have been forgotten)' };
    const previous = await latestSummary(db, agentId, sessionId);
    if (previous && BigInt(previous.covers_through_turn_id) >= BigInt(throughTurnId)) {
      return {
        outcome: 'skipped',
        reason: 'a summary already covers these turns',
        summary_id: String(previous.id),
        covers_through_turn_id: String(previous.covers_through_turn_id),
        turns_covered: previous.turns_covered,
      };
    }
    const turns = await turnsBetween(db, agentId, sessionId, previous ? String(previous.covers_through_turn_id) : '0', throughTurnId);
    const last = turns.at(-1);
    if (!last) return { outcome: 'skipped', reason: 'no turns to compress (the session may have been forgotten)' };

    // Roll the summary forward chunk by chunk, so a long backlog never exceeds the LLM's input window.
    let summary = previous?.summary ?? null;
    let inputTokens = 0;
    let outputTokens = 0;
    let chunk: typeof turns = [];
    let chunkTokens = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      try {
        const out = await summariser.summarise({ previousSummary: summary, turns: chunk, maxTokens: deps.summaryMaxTokens }, signal);
        summary = out.summary;
        inputTokens += out.inputTokens;
        outputTokens += out.outputTokens;
      } catch (err) {
        if (err instanceof LlmError && !err.retryable) throw new UnrecoverableError(err.message);
        throw err;
      }
      chunk = [];
      chunkTokens = 0;
    };
    for (const t of turns) {
      if (chunk.length > 0 && chunkTokens + t.token_count > deps.inputMaxTokens) await flush();
      chunk.push(t);
      chunkTokens += t.token_count;
    }
    await flush();
    if (summariser.provider !== 'extractive') {
      metrics.llmTokens.inc({ direction: 'input' }, inputTokens);
      metrics.llmTokens.inc({ direction: 'output' }, outputTokens);
    }

    const { row, inserted, refused } = await saveSummary(db, {
      agentId,
      sessionId,
      summary: summary ?? '',
      coversThroughTurnId: String(last.id),
      turnsCovered: (previous?.turns_covered ?? 0) + turns.length,
      inputTokens,
      outputTokens,
      provider: summariser.provider,
      model: summariser.model,
      purgedThroughTurnId: purgedThrough,
    });
    // Retryable: the next attempt reads the remaining turns (and no deleted summary) and summarises those.
    if (refused === 'retention') throw new Error('retention deleted turns of the session while it was being compressed; retrying from the remaining turns');
    if (!row) return { outcome: 'skipped', reason: 'the session was forgotten while it was being compressed' };
    cache.invalidate(agentId, sessionId);
    metrics.compressionDuration.observe({ provider: summariser.provider }, (performance.now() - started) / 1000);
    logger.info({ agentId, sessionId, through: String(last.id), turns: turns.length, inserted }, 'session compressed');
    return {
      outcome: 'completed',
      summary_id: String(row.id),
      covers_through_turn_id: String(row.covers_through_turn_id),
      turns_covered: row.turns_covered,
    };
  };
}
