// The memory service's own Prometheus metrics, registered on the service's registry.
import { Counter, Gauge, Histogram, type Registry } from '@factory/base-server';

export interface MemoryMetrics {
  turnsStored: Counter;
  compressionDuration: Histogram<'provider'>;
  compressionJobs: Counter<'outcome'>;
  llmErrors: Counter<'kind'>;
  llmTokens: Counter<'direction'>;
  queueJobs: Gauge<'state'>;
  turnsEmbedded: Counter;
  embeddingErrors: Counter<'kind'>;
  retentionDeleted: Counter<'kind'>;
  retentionLastSweep: Gauge;
}

export function createMemoryMetrics(registry: Registry, queueCounts?: () => Promise<Record<string, number> | undefined>): MemoryMetrics {
  const registers = [registry];
  return {
    turnsStored: new Counter({ name: 'memory_turns_stored_total', help: 'Turns stored', registers }),
    compressionDuration: new Histogram({
      name: 'memory_compression_duration_seconds',
      help: 'Time to compress one job (read turns, summarise, write the summary), by summariser',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    compressionJobs: new Counter({
      name: 'memory_compression_jobs_total',
      help: 'Compression jobs processed, by outcome (completed, skipped, retried, delayed, failed)',
      labelNames: ['outcome'],
      registers,
    }),
    llmErrors: new Counter({ name: 'llm_errors_total', help: 'Failed LLM calls, by kind (timeout, http_5xx, http_4xx, network, invalid_response)', labelNames: ['kind'], registers }),
    llmTokens: new Counter({ name: 'llm_tokens_total', help: 'LLM tokens used for summaries, by direction (input, output)', labelNames: ['direction'], registers }),
    turnsEmbedded: new Counter({ name: 'memory_turns_embedded_total', help: 'Turns embedded for semantic recall', registers }),
    embeddingErrors: new Counter({
      name: 'memory_embedding_errors_total',
      help: 'Failed embedding passes by kind (timeout, http_5xx, http_4xx, http_429, network, invalid_response, database) and searches that fell back to full-text (search_fallback)',
      labelNames: ['kind'],
      registers,
    }),
    retentionDeleted: new Counter({
      name: 'memory_retention_deleted_total',
      help: 'Rows deleted by the retention sweep, by kind (turns, summaries, sessions)',
      labelNames: ['kind'],
      registers,
    }),
    retentionLastSweep: new Gauge({
      name: 'memory_retention_last_sweep_timestamp_seconds',
      help: 'When this process last finished a retention sweep (Unix time; 0: not yet)',
      registers,
    }),
    queueJobs: new Gauge({
      name: 'memory_compression_queue_jobs',
      help: 'Jobs in the memory-compression queue by state (waiting, active, delayed, completed, failed)',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await queueCounts?.().catch(() => undefined);
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    }),
  };
}
