// Semantic recall, optional: with an embeddings endpoint configured and pgvector in the database,
// search_memory fuses the full-text ranking with a vector ranking (reciprocal rank fusion); otherwise it
// is full-text only. Which mode is active is decided at start-up and shown by /ready (`embeddings`).
import type { Logger, ReadinessCheck } from '@factory/base-server';
import type { MemoryConfig } from '../config.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { createCircuitBreaker, CircuitOpenError } from '../compression/circuit-breaker.js';
import { hitsByIds, rankTextMatches, type SearchHit, type TextSearchOptions } from '../search/full-text-search.js';
import type { Db } from '../turns/turn-repository.js';
import { createEmbeddingsClient, EmbeddingsError, type EmbeddingsClient } from './embeddings-client.js';
import { createEmbeddingIndexer, type EmbeddingIndexer } from './embedding-indexer.js';
import { fuseRanks } from './rank-fusion.js';
import { nearestTurns, prepareVectorStore, type VectorStoreState } from './vector-store.js';

export type SearchMode = 'full_text' | 'hybrid';

export interface SearchAnswer {
  mode: SearchMode;
  hits: SearchHit[];
  /** Why a hybrid search answered from full-text alone this time (the endpoint failed), else null. */
  semantic_error: string | null;
}

export interface SemanticRecall {
  readonly mode: SearchMode;
  /** Finds out whether pgvector is there (and sets it up); call after the migrations. */
  prepare(db: Db): Promise<VectorStoreState | undefined>;
  /** The background embedder, once prepared in hybrid mode (the worker, or the API without Redis, starts it). */
  readonly indexer: EmbeddingIndexer | undefined;
  search(db: Db, agentId: string, query: string, sessionId: string | undefined, limit: number, text: TextSearchOptions): Promise<SearchAnswer>;
  check(): ReadinessCheck;
}

/** How deep each ranking goes before fusion: enough below the limit for a turn found by only one of them. */
const fusionDepth = (limit: number) => Math.min(100, Math.max(30, limit * 3));

export function createSemanticRecall(config: MemoryConfig, deps: { logger: Logger; metrics: MemoryMetrics; fetch?: typeof fetch }): SemanticRecall {
  const { logger, metrics } = deps;
  const modelKey = `${config.EMBEDDINGS_MODEL}@${config.EMBEDDINGS_DIMENSIONS}`;
  const client: EmbeddingsClient | undefined = config.EMBEDDINGS_BASE_URL
    ? createEmbeddingsClient({
        baseUrl: config.EMBEDDINGS_BASE_URL,
        apiKey: config.EMBEDDINGS_API_KEY,
        model: config.EMBEDDINGS_MODEL,
        dimensions: config.EMBEDDINGS_DIMENSIONS,
        timeoutMs: config.EMBEDDINGS_TIMEOUT_MS,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      })
    : undefined;
  // A failing endpoint costs a search its query timeout only until the breaker opens; then searches go
  // straight to full-text until a trial call succeeds.
  const breaker = createCircuitBreaker({
    failureThreshold: 3,
    cooldownMs: 30_000,
    onStateChange: (state) => logger.warn({ state }, `embeddings circuit breaker (search queries) ${state}`),
  });
  let store: VectorStoreState | undefined;
  let indexer: EmbeddingIndexer | undefined;
  const hybrid = () => client !== undefined && store?.available === true;

  async function embedQuery(query: string): Promise<number[]> {
    const [v] = await breaker.run(
      () => client!.embed([query], { timeoutMs: config.EMBEDDINGS_QUERY_TIMEOUT_MS }),
      (err) => err instanceof EmbeddingsError && err.retryable,
    );
    return v!;
  }

  return {
    get mode() {
      return hybrid() ? 'hybrid' : 'full_text';
    },
    get indexer() {
      return indexer;
    },
    async prepare(db) {
      if (!client) {
        logger.info('semantic recall off (EMBEDDINGS_BASE_URL unset): search_memory is full-text only');
        return undefined;
      }
      store = await prepareVectorStore(db);
      if (!store.available) {
        logger.warn({ reason: store.reason }, 'EMBEDDINGS_BASE_URL is set but pgvector is not available: search_memory is full-text only');
        return store;
      }
      logger.info({ model: modelKey, pgvector: store.version }, 'semantic recall on: search_memory fuses full-text and vector ranks');
      indexer = createEmbeddingIndexer({
        db,
        client,
        modelKey,
        batchSize: config.EMBEDDINGS_BATCH_SIZE,
        pollMs: config.EMBEDDINGS_POLL_MS,
        settleMs: config.EMBEDDINGS_SETTLE_MS,
        logger,
        metrics,
      });
      return store;
    },
    async search(db, agentId, query, sessionId, limit, text) {
      if (!hybrid()) return { mode: 'full_text', hits: await rankTextMatches(db, agentId, query, sessionId, limit, text), semantic_error: null };
      const depth = fusionDepth(limit);
      const [textHits, vector] = await Promise.all([
        rankTextMatches(db, agentId, query, sessionId, depth, text),
        embedQuery(query).then(
          (v) => ({ v, error: null }),
          (err: unknown) => ({ v: undefined, error: err instanceof CircuitOpenError ? 'the embeddings endpoint is failing (circuit open)' : err instanceof Error ? err.message : String(err) }),
        ),
      ]);
      if (!vector.v) {
        metrics.embeddingErrors.inc({ kind: 'search_fallback' });
        return { mode: 'hybrid', hits: textHits.slice(0, limit), semantic_error: vector.error };
      }
      const near = await nearestTurns(db, agentId, sessionId, modelKey, vector.v, config.EMBEDDINGS_SEARCH_WINDOW, depth);
      const fused = fuseRanks([textHits.map((h) => h.memory_id), near.map((n) => n.id)]).slice(0, limit);
      // Turns found only by their vectors are read now; the text hits came with their content.
      const byId = new Map(textHits.map((h) => [h.memory_id, h]));
      const missing = fused.filter((f) => !byId.has(f.id)).map((f) => ({ id: f.id, rank: 0 }));
      for (const h of await hitsByIds(db, agentId, missing)) byId.set(h.memory_id, h);
      const hits = fused.flatMap((f) => {
        const h = byId.get(f.id);
        return h ? [{ ...h, rank: f.score }] : [];
      });
      return { mode: 'hybrid', hits, semantic_error: null };
    },
    check: () => ({
      name: 'embeddings',
      required: false,
      async run(signal) {
        if (!client) return { status: 'not_configured', message: 'semantic recall off (EMBEDDINGS_BASE_URL unset): search_memory is full-text only' };
        if (!store) return { status: 'warning', message: 'semantic recall is configured but not set up yet (start-up has not finished)' };
        if (!store.available) {
          return {
            status: 'warning',
            message: `EMBEDDINGS_BASE_URL is set but ${store.reason}: search_memory is full-text only; install pgvector (CREATE EXTENSION vector) and restart`,
            details: { mode: 'full_text' },
          };
        }
        const details = { mode: 'hybrid', model: modelKey, pgvector: store.version, query_breaker: breaker.state };
        if (breaker.openUntil !== undefined) {
          return { status: 'warning', message: 'the embeddings endpoint is failing: search_memory answers from full-text alone until it recovers', details };
        }
        const own = indexer ? await indexer.check().run(signal) : undefined;
        if (own?.status === 'warning') return { ...own, details: { ...details, ...own.details } };
        return { message: 'semantic recall on: search_memory fuses full-text and vector ranks (reciprocal rank fusion)', details: { ...details, ...own?.details } };
      },
    }),
  };
}
