// The memory API: MCP at /mcp, REST under /v1. Builds everything; listening happens in index.ts.
import type { Redis } from 'ioredis';
import {
  closeRedis,
  createDatabase,
  databaseTimeouts,
  createLogger,
  createMetrics,
  createRedis,
  createService,
  type Database,
  type Logger,
  type Service,
} from '@factory/base-server';
import type { MemoryConfig } from './config.js';
import type { MemoryDatabase } from './db/schema.js';
import { migrations, MIGRATIONS_APP } from './db/migrations.js';
import { createAgentScope } from './access/agent-scope.js';
import { createRedisCache, noCache, type MemoryCache } from './cache/memory-cache.js';
import { cacheEpochs } from './cache/cache-epoch.js';
import { createLlm } from './compression/llm.js';
import type { Summariser } from './compression/summariser.js';
import { createCompressionProcessor } from './compression/compression-processor.js';
import { createBullmqQueue, createInProcessQueue, retryPolicy, type CompressionQueue } from './compression/compression-queue.js';
import { createFollowUp } from './compression/follow-up.js';
import { createMemoryMetrics, type MemoryMetrics } from './memory-metrics.js';
import { createMemoryOperations, type MemoryOperations } from './memory/memory-operations.js';
import { createMemoryTools } from './tools/memory-tools.js';
import { createSemanticRecall, type SemanticRecall } from './embeddings/semantic-recall.js';
import { pgliteExtensions } from './db/pglite-extensions.js';
import { registerMemoryRoutes } from './routes/memory-routes.js';
import { retentionSweepFor, startRetentionTimer, type RetentionSweep } from './retention/retention-sweep.js';
import { SERVICE_VERSION } from './version.js';

export { parseMemoryConfig } from './config.js';

export interface MemoryServiceDeps {
  logger?: Logger;
  /** Replaces the configured summariser (the processor, breaker and queue stay real). */
  summariser?: Summariser;
  fetch?: typeof fetch;
  stdio?: boolean;
}

export interface MemoryService {
  service: Service;
  database: Database<MemoryDatabase>;
  operations: MemoryOperations;
  queue: CompressionQueue;
  cache: MemoryCache;
  metrics: MemoryMetrics;
  recall: SemanticRecall;
  redis: Redis | undefined;
  /** The retention sweep (run on a timer here only without Redis; with Redis the worker runs it). */
  retention: RetentionSweep;
}


export async function createMemoryService(config: MemoryConfig, deps: MemoryServiceDeps = {}): Promise<MemoryService> {
  const logger =
    deps.logger ?? createLogger({ service: 'memory', version: SERVICE_VERSION, level: config.LOG_LEVEL, format: config.LOG_FORMAT, stdio: deps.stdio ?? false });
  const serviceMetrics = createMetrics('memory', SERVICE_VERSION);
  const database = await createDatabase<MemoryDatabase>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: config.DATABASE_SCHEMA,
    poolMax: config.DATABASE_POOL_MAX,
    applicationName: 'memory-api',
    ...(config.DATABASE_URL ? {} : { pgliteExtensions: await pgliteExtensions(config) }),
    logger,
    metrics: serviceMetrics,
    ...databaseTimeouts(config),
  });
  const redis = config.REDIS_URL ? createRedis({ url: config.REDIS_URL, role: 'producer', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger, name: 'memory-api' }) : undefined;

  // The queue needs the metrics and the metrics read the queue's counts: tie the knot through a holder.
  const queueRef: { current?: CompressionQueue } = {};
  const metrics = createMemoryMetrics(serviceMetrics.registry, () => queueRef.current?.counts() ?? Promise.resolve(undefined));
  // The cache has a connection of its own, apart from the queue's (on which BullMQ defines its Lua scripts).
  const cacheRedis = config.REDIS_URL ? createRedis({ url: config.REDIS_URL, role: 'client', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger, name: 'memory-api-cache' }) : undefined;
  const cache = cacheRedis ? createRedisCache({ redis: cacheRedis, epochs: cacheEpochs(database), prefix: config.CACHE_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS, logger }) : noCache;
  const llm = createLlm(config, { metrics, logger, ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.summariser ? { summariser: deps.summariser } : {}), ...(redis ? { publishTo: redis } : {}) });
  const queue = redis
    ? createBullmqQueue({ redis, prefix: config.QUEUE_PREFIX, policy: retryPolicy(config), logger })
    : createInProcessQueue({
        processor: createCompressionProcessor({
          db: database.db,
          summariser: llm.summariser,
          cache,
          metrics,
          logger,
          summaryMaxTokens: config.SUMMARY_MAX_TOKENS,
          inputMaxTokens: config.LLM_INPUT_MAX_TOKENS,
        }),
        policy: retryPolicy(config),
        logger,
        metrics,
        onCompleted: (data) => followUp(data),
      });
  queueRef.current = queue;
  // Without Redis the in-process queue runs the jobs, so the API queues their follow-ups; with Redis the worker does.
  const followUp = createFollowUp({ db: database.db, thresholdTokens: config.COMPRESSION_THRESHOLD_TOKENS, enqueue: (data) => queue.enqueue(data, { withState: false }), logger });

  const recall = createSemanticRecall(config, { logger, metrics, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  // Like compression: without Redis there is no worker, so this process embeds the turns itself.
  const embedsHere = !redis;

  const operations = createMemoryOperations({
    db: database.db,
    database,
    cache,
    queue,
    scope: createAgentScope(config.AGENT_SCOPES),
    metrics,
    logger,
    compressionThresholdTokens: config.COMPRESSION_THRESHOLD_TOKENS,
    maxBatchTurns: config.MAX_BATCH_TURNS,
    recall,
    textSearch: { candidates: config.SEARCH_CANDIDATES, scanRows: config.SEARCH_SCAN_ROWS },
    storeConcurrency: config.STORE_MAX_IN_FLIGHT,
    storeOverlapAfterMs: config.STORE_OVERLAP_AFTER_MS,
    retentionDefaultDays: config.MEMORY_RETENTION_DAYS,
  });
  const retention = retentionSweepFor(config, { db: database.db, cache, metrics, logger, followUp });
  let stopRetention: (() => Promise<void>) | undefined;
  const limits = { maxContentChars: config.MAX_CONTENT_CHARS, maxBatchTurns: config.MAX_BATCH_TURNS };

  const service = createService({
    name: 'memory',
    version: SERVICE_VERSION,
    description: 'Durable agent memory: every turn in Postgres, compact rolling summaries, full-text and optional semantic search.',
    config,
    logger,
    metrics: serviceMetrics,
    stdio: deps.stdio ?? false,
    instructions:
      'Durable conversation memory. Store every turn with store_memory; to continue a long conversation call ' +
      'get_compressed_memory (summary of older turns plus recent turns, within a token budget); find old facts with search_memory.',
    tools: createMemoryTools(operations, limits),
    checks: [database.check(), queue.check(), llm.check(), recall.check()],
    routes: (api) => registerMemoryRoutes(api, operations, limits),
    onStart: async () => {
      await database.migrate(migrations, MIGRATIONS_APP);
      await recall.prepare(database.db);
      if (embedsHere) recall.indexer?.start();
      // Like compression and embedding: without Redis there is no worker, so this process sweeps.
      if (embedsHere) stopRetention = startRetentionTimer(retention, config.MEMORY_RETENTION_INTERVAL_MS, logger);
    },
    onShutdown: [
      { name: 'retention-sweep', close: async () => void (await stopRetention?.()) },
      { name: 'embedding-indexer', close: async () => void (await recall.indexer?.stop()) },
      { name: 'compression-queue', close: () => queue.close() },
      ...(redis ? [{ name: 'redis', close: () => closeRedis(redis) }] : []),
      ...(cacheRedis ? [{ name: 'redis-cache', close: () => closeRedis(cacheRedis) }] : []),
      { name: 'database', close: () => database.close() },
    ],
  });
  return { service, database, operations, queue, cache, metrics, recall, redis, retention };
}
