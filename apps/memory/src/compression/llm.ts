// Builds the configured summariser with its circuit breaker, and the `llm` readiness check.
import type { Redis } from 'ioredis';
import type { Logger, ReadinessCheck } from '@factory/base-server';
import type { MemoryConfig } from '../config.js';
import type { MemoryMetrics } from '../memory-metrics.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';
import { createExtractiveSummariser, createOpenAiCompatibleSummariser, type Summariser } from './summariser.js';

export interface Llm {
  summariser: Summariser;
  breaker: CircuitBreaker;
  check(): ReadinessCheck;
}

/** The worker publishes an open breaker here so the API's /ready can show it too. */
export const breakerKey = (config: MemoryConfig) => `${config.CACHE_PREFIX}llm-breaker`;

export function createLlm(
  config: MemoryConfig,
  opts: { metrics: MemoryMetrics; logger: Logger; fetch?: typeof fetch; summariser?: Summariser; publishTo?: Redis },
): Llm {
  const breaker = createCircuitBreaker({
    failureThreshold: config.LLM_BREAKER_FAILURES,
    cooldownMs: config.LLM_BREAKER_COOLDOWN_MS,
    onStateChange: (state, openUntil) => {
      opts.logger.warn({ state, openUntil: openUntil ? new Date(openUntil).toISOString() : undefined }, `LLM circuit breaker ${state}`);
      const redis = opts.publishTo;
      if (!redis || redis.status !== 'ready') return;
      const key = breakerKey(config);
      const op = state === 'open' && openUntil ? redis.set(key, String(openUntil), 'PX', Math.max(1, openUntil - Date.now())) : redis.del(key);
      op.catch(() => undefined);
    },
  });
  const useLlm = config.SUMMARIZER === 'openai-compatible' || (config.SUMMARIZER === 'auto' && config.LLM_BASE_URL !== undefined);
  if (useLlm && !config.LLM_BASE_URL) throw new Error('SUMMARIZER=openai-compatible needs LLM_BASE_URL');
  const summariser =
    opts.summariser ??
    (useLlm && config.LLM_BASE_URL
      ? createOpenAiCompatibleSummariser({
          baseUrl: config.LLM_BASE_URL,
          apiKey: config.LLM_API_KEY,
          model: config.LLM_MODEL,
          timeoutMs: config.LLM_TIMEOUT_MS,
          retries: config.LLM_RETRIES,
          breaker,
          onError: (err) => opts.metrics.llmErrors.inc({ kind: err.kind }),
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        })
      : createExtractiveSummariser());

  return {
    summariser,
    breaker,
    check: () => ({
      name: 'llm',
      required: false,
      async run() {
        if (summariser.provider === 'extractive') {
          return { status: 'not_configured', message: 'no LLM configured (LLM_BASE_URL unset); summaries use the offline extractive summariser' };
        }
        let openUntil = breaker.openUntil;
        if (openUntil === undefined && opts.publishTo?.status === 'ready') {
          const published = await opts.publishTo.get(breakerKey(config)).catch(() => null);
          if (published) openUntil = Number(published);
        }
        if (openUntil !== undefined && openUntil > Date.now()) {
          return {
            status: 'warning',
            message: `LLM circuit breaker is open after repeated failures; compression jobs are delayed until ${new Date(openUntil).toISOString()}`,
            details: { provider: summariser.provider, model: summariser.model },
          };
        }
        return { details: { provider: summariser.provider, model: summariser.model, breaker: breaker.state } };
      },
    }),
  };
}
