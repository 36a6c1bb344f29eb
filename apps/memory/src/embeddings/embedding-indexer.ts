// Embeds stored turns in the background: on the worker (or in the API process when there is no Redis,
// like compression). Each pass takes the lease, reads the next batch of the backlog, embeds it with one
// call and stores the vectors; a failed pass is retried after an exponential backoff with jitter, and
// the cursor only moves once vectors are stored, so nothing is skipped. Writes never wait for any of it.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, ReadinessCheck } from '@factory/base-server';
import type { Db } from '../turns/turn-repository.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { advanceCursor, nextBatch, releaseLease, takeLease } from './embedding-backlog.js';
import { EmbeddingsError, type EmbeddingsClient } from './embeddings-client.js';
import { saveEmbeddings } from './vector-store.js';

export interface PassResult {
  outcome: 'embedded' | 'idle' | 'leased_elsewhere';
  embedded: number;
  cursor?: string;
}

export interface EmbeddingIndexer {
  /** One pass: lease, one batch, store, advance. Throws when the endpoint or the database fails. */
  runOnce(): Promise<PassResult>;
  start(): void;
  stop(): Promise<void>;
  check(): ReadinessCheck;
}

export interface IndexerOptions {
  db: Db;
  client: EmbeddingsClient;
  /** `model@dimensions`: the key of the vectors and of the cursor. */
  modelKey: string;
  batchSize: number;
  pollMs: number;
  settleMs: number;
  logger: Logger;
  metrics: MemoryMetrics;
  /** Longest backoff after repeated failures. */
  maxBackoffMs?: number;
}

export function createEmbeddingIndexer(o: IndexerOptions): EmbeddingIndexer {
  const owner = `${process.pid}-${randomUUID()}`;
  // The lease outlives one pass (an embeddings call plus a few statements) with room to spare.
  const leaseMs = 60_000;
  const maxBackoffMs = o.maxBackoffMs ?? 60_000;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake = new AbortController();
  let inFlight: AbortController | undefined;
  let failures = 0;
  let lastError: string | undefined;
  let lastPassAt: number | undefined;
  let lastCursor: string | undefined;
  let mutex: Promise<unknown> = Promise.resolve();

  async function pass(): Promise<PassResult> {
    const cursor = await takeLease(o.db, o.modelKey, owner, leaseMs);
    if (cursor === undefined) return { outcome: 'leased_elsewhere', embedded: 0 };
    const batch = await nextBatch(o.db, o.modelKey, cursor, o.batchSize, o.settleMs);
    let embedded = 0;
    if (batch.turns.length > 0) {
      inFlight = new AbortController();
      let vectors: number[][];
      try {
        vectors = await o.client.embed(batch.turns.map((t) => t.content), { signal: inFlight.signal });
      } finally {
        inFlight = undefined;
      }
      embedded = await saveEmbeddings(
        o.db,
        o.modelKey,
        batch.turns.map((t, i) => ({ turnId: t.id, agentId: t.agent_id, sessionId: t.session_id, embedding: vectors[i]! })),
      );
      o.metrics.turnsEmbedded.inc(embedded);
    }
    if (batch.safeCursor !== undefined && BigInt(batch.safeCursor) > BigInt(cursor)) {
      await advanceCursor(o.db, o.modelKey, owner, batch.safeCursor);
      lastCursor = batch.safeCursor;
    } else {
      lastCursor = cursor;
    }
    return { outcome: batch.turns.length > 0 ? 'embedded' : 'idle', embedded, cursor: lastCursor };
  }

  async function runOnce(): Promise<PassResult> {
    // One pass at a time in this process (the loop and a direct call never overlap).
    const result = mutex.then(pass);
    mutex = result.catch(() => undefined);
    try {
      const r = await result;
      failures = 0;
      lastError = undefined;
      lastPassAt = Date.now();
      return r;
    } catch (err) {
      failures += 1;
      lastError = err instanceof Error ? err.message : String(err);
      o.metrics.embeddingErrors.inc({ kind: err instanceof EmbeddingsError ? err.kind : 'database' });
      throw err;
    }
  }

  async function run(): Promise<void> {
    while (running) {
      let delay = o.pollMs;
      try {
        const r = await runOnce();
        // A full batch means more backlog: go on at once.
        if (r.outcome === 'embedded' && r.embedded >= o.batchSize) delay = 0;
      } catch (err) {
        // Exponential backoff with full jitter from the poll interval, capped.
        const step = Math.min(maxBackoffMs, o.pollMs * 2 ** Math.min(failures, 16));
        delay = step / 2 + Math.random() * (step / 2);
        o.logger.warn({ err: { message: lastError }, failures, retryInMs: Math.round(delay) }, 'embedding pass failed; will retry');
        void err;
      }
      if (!running) break;
      if (delay > 0) await sleep(delay, undefined, { signal: wake.signal }).catch(() => undefined);
    }
  }

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      wake = new AbortController();
      loop = run();
    },
    async stop() {
      running = false;
      wake.abort();
      inFlight?.abort();
      await loop;
      await mutex;
      await releaseLease(o.db, o.modelKey, owner).catch(() => undefined);
    },
    check: () => ({
      name: 'embeddings',
      required: false,
      async run() {
        const details = { model: o.modelKey, cursor: lastCursor ?? null, last_pass_at: lastPassAt ? new Date(lastPassAt).toISOString() : null, failures };
        if (lastError) {
          return { status: 'warning', message: `embedding turns fails (${lastError}); retrying with backoff, search_memory still answers (full-text for turns not yet embedded)`, details };
        }
        return { message: 'semantic recall on: turns are embedded in the background', details };
      },
    }),
  };
}
