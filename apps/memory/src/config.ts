// Configuration for the memory API and the compression worker: the only module that reads process.env.
import { baseConfigShape, databaseTimeoutShape, envInt, loadConfig, parseConfig, redisTimeoutShape, z } from '@factory/base-server';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * `keyName=agent-a|agent-b;sub:alice@example.com=agent-c;client:ci-bot=*`: binds API key names, OAuth
 * subjects (`sub:`) and OAuth clients (`client:`) to the agent ids they may touch.
 */
const agentScopes = z
  .string()
  .optional()
  .transform((v, ctx): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    if (!v || v.trim() === '') return out;
    for (const part of v.split(';').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim();
      const agents = part.slice(eq + 1).split('|').map((s) => s.trim()).filter(Boolean);
      if (eq <= 0 || agents.length === 0) {
        ctx.addIssue({ code: 'custom', message: `expected "keyName=agent1|agent2" entries separated by ";", got "${part}"` });
        return z.NEVER;
      }
      out[name] = agents;
    }
    return out;
  });

const memoryShape = {
  ...baseConfigShape,
  PORT: envInt(3004, 0, 65535),
  /** postgres://… ; unset: an embedded PGlite database. */
  DATABASE_URL: optionalString,
  PGLITE_DATA_DIR: optionalString,
  /** A Postgres schema to work in (tests, several tenants in one database). */
  DATABASE_SCHEMA: optionalString,
  DATABASE_POOL_MAX: envInt(10, 1, 200),
  ...databaseTimeoutShape,
  ...redisTimeoutShape,
  /** Store statements in flight at once; writes arriving meanwhile are grouped into the next one. */
  STORE_MAX_IN_FLIGHT: envInt(2, 1, 100),
  /** A further store statement starts beside a running one only once that one has run this long. */
  STORE_OVERLAP_AFTER_MS: envInt(5, 0, 10_000),
  /** redis://… ; unset: compression runs in-process and there is no cache. */
  REDIS_URL: optionalString,
  QUEUE_PREFIX: z.string().min(1).default('bull'),
  CACHE_PREFIX: z.string().min(1).default('memory:'),
  CACHE_TTL_SECONDS: envInt(300, 0, 86_400),
  /** Summariser: `auto` uses openai-compatible when LLM_BASE_URL is set, else extractive. */
  SUMMARIZER: z.enum(['auto', 'openai-compatible', 'extractive']).default('auto'),
  LLM_BASE_URL: optionalString.pipe(z.url().optional()),
  LLM_API_KEY: optionalString,
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: envInt(60_000, 100),
  LLM_RETRIES: envInt(2, 0, 10),
  LLM_INPUT_MAX_TOKENS: envInt(6_000, 200),
  LLM_BREAKER_FAILURES: envInt(5, 1),
  LLM_BREAKER_COOLDOWN_MS: envInt(30_000, 100),
  SUMMARY_MAX_TOKENS: envInt(512, 32, 32_000),
  /** Unsummarised tokens in a session that trigger a compression job; 0 turns auto-compression off. */
  COMPRESSION_THRESHOLD_TOKENS: envInt(4_000, 0),
  COMPRESSION_ATTEMPTS: envInt(5, 1, 100),
  COMPRESSION_BACKOFF_MS: envInt(2_000, 1),
  COMPRESSION_KEEP_COMPLETED: envInt(1_000, 0),
  COMPRESSION_KEEP_FAILED: envInt(5_000, 0),
  MAX_CONTENT_CHARS: envInt(32_000, 1, 1_000_000),
  MAX_BATCH_TURNS: envInt(1_000, 1, 10_000),
  /** search_memory ranks at most this many of the newest matching turns (at least the largest limit, 100). */
  SEARCH_CANDIDATES: envInt(200, 100, 100_000),
  /** search_memory's walk over the agent's newest turns before it asks the GIN index for older matches. */
  SEARCH_SCAN_ROWS: envInt(10_000, 100, 1_000_000),
  /** Semantic recall: an OpenAI-compatible embeddings endpoint (POST {base}/embeddings); unset: full-text only. */
  EMBEDDINGS_BASE_URL: optionalString.pipe(z.url().optional()),
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
  /** Vector length asked of the endpoint and checked on every answer (pgvector indexes up to 2000). */
  EMBEDDINGS_DIMENSIONS: envInt(1_536, 1, 16_000),
  EMBEDDINGS_BATCH_SIZE: envInt(64, 1, 2_048),
  EMBEDDINGS_TIMEOUT_MS: envInt(10_000, 100),
  /** Embedding a search query: past this, search_memory answers from full-text alone. */
  EMBEDDINGS_QUERY_TIMEOUT_MS: envInt(1_500, 50),
  EMBEDDINGS_POLL_MS: envInt(2_000, 10),
  /** Turns younger than this may still have uncommitted neighbours: the backlog cursor waits for them. */
  EMBEDDINGS_SETTLE_MS: envInt(60_000, 0),
  /** Newest embedded turns of an agent that search_memory ranks by vector distance. */
  EMBEDDINGS_SEARCH_WINDOW: envInt(5_000, 10, 1_000_000),
  AGENT_SCOPES: agentScopes,
  /** Turns older than this many days are deleted (with their summaries); 0 keeps them forever. Per agent: set_retention. */
  MEMORY_RETENTION_DAYS: envInt(0, 0, 36_500),
  /** Turns one retention statement deletes (each batch is its own short transaction). */
  MEMORY_RETENTION_BATCH: envInt(1_000, 1, 100_000),
  /** How often the retention sweep runs (once per interval across all workers). */
  MEMORY_RETENTION_INTERVAL_MS: envInt(3_600_000, 1_000, 86_400_000),
  /** The worker's own settings. */
  WORKER_CONCURRENCY: envInt(4, 1, 100),
  WORKER_LOCK_MS: envInt(30_000, 500),
  WORKER_STALLED_INTERVAL_MS: envInt(30_000, 500),
};

export const memoryConfigSchema = z.object(memoryShape);
export type MemoryConfig = z.infer<typeof memoryConfigSchema>;

/** The worker reads WORKER_PORT (default 3005) as its port, so it never collides with the API's PORT. */
export const workerConfigSchema = z.object({ ...memoryShape, PORT: envInt(3005, 0, 65535) });

type Env = Record<string, string | undefined>;
const workerEnv = (env: Env): Env => ({ ...env, PORT: env.WORKER_PORT });

export const parseMemoryConfig = (env: Env): MemoryConfig => parseConfig(memoryConfigSchema, env);
export const parseWorkerConfig = (env: Env): MemoryConfig => parseConfig(workerConfigSchema, workerEnv(env));
export const loadMemoryConfig = (env: Env = process.env): MemoryConfig => loadConfig(memoryConfigSchema, env);
export const loadWorkerConfig = (env: Env = process.env): MemoryConfig => loadConfig(workerConfigSchema, workerEnv(env));
