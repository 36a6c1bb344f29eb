// The control center: health collection, incidents and MTTR, factory metrics, JSON API and dashboard.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Redis } from 'ioredis';
import {
  closeRedis,
  createDatabase,
  createLogger,
  createMetrics,
  createRedis,
  createService,
  packageVersion,
  type Database as DatabaseHandle,
  type Logger,
  type ReadinessCheck,
  type Service,
} from '@factory/base-server';
import { sharedPolling, sweepDeadlineMs, type Config } from './config.js';
import type { Database } from './db/schema.js';
import { migrations } from './db/migrations.js';
import { HealthCollector } from './health/collector.js';
import { setupHints } from './health/status.js';
import { createCloudWatchClient, CloudWatchEmitter } from './metrics/cloudwatch-emitter.js';
import { createFactoryGauges, registerCollectorMetrics } from './metrics/prometheus.js';
import { MemoryQueueMonitor } from './queue/memory-queue.js';
import { registerApi, type ApiDeps } from './api/routes.js';
import { registerPages } from './dashboard/pages.js';
import { factoryTools } from './tools/factory-tools.js';
import { createReplicas, type Replicas } from './replicas/replicas.js';
import { createWorkflows, type Workflows } from './workflows/workflow-context.js';
import { registerWorkflowRoutes } from './workflows/routes.js';
import { workflowTools } from './workflows/tools.js';
import { registerWorkflowPages } from './workflows/pages.js';

export const SERVICE_NAME = 'control-center';
export const VERSION = packageVersion(import.meta.url);

export interface ControlCenterDeps {
  logger?: Logger;
  /** Injected CloudWatch client (tests use aws-sdk-client-mock); built from AWS_REGION otherwise. */
  cloudwatch?: Pick<CloudWatchClient, 'send'>;
  /** Retry backoff for CloudWatch (tests pass () => 0). */
  cloudwatchBackoffMs?: (attempt: number) => number;
  now?: () => Date;
  random?: () => number;
  /** A database schema (tests give each file its own). */
  schema?: string;
  stdio?: boolean;
}

export interface ControlCenter {
  service: Service;
  collector: HealthCollector;
  database: DatabaseHandle<Database>;
  /** Set when replicas share the polling (POLLER_MODE, REDIS_URL). */
  replicas: Replicas | undefined;
  workflows: Workflows;
}

export async function createControlCenter(config: Config, deps: ControlCenterDeps = {}): Promise<ControlCenter> {
  // Over stdio, stdout carries the MCP protocol: logs go to stderr.
  const logger =
    deps.logger ?? createLogger({ service: SERVICE_NAME, version: VERSION, level: config.LOG_LEVEL, format: config.LOG_FORMAT, stdio: deps.stdio ?? false });
  const metrics = createMetrics(SERVICE_NAME, VERSION);
  const now = deps.now ?? (() => new Date());
  const database = await createDatabase<Database>({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    schema: deps.schema ?? config.DATABASE_SCHEMA,
    logger,
    metrics,
    applicationName: SERVICE_NAME,
  });

  let redis: Redis | undefined;
  if (config.REDIS_URL) redis = createRedis({ url: config.REDIS_URL, role: 'producer', logger, name: 'control-center-queue-view' });
  const queue = new MemoryQueueMonitor(config.MEMORY_QUEUE_NAME, config.MEMORY_QUEUE_PREFIX, redis, config.QUEUE_VIEW_TIMEOUT_MS);

  const cloudwatch = config.CLOUDWATCH_ENABLED
    ? new CloudWatchEmitter({
        client: deps.cloudwatch ?? createCloudWatchClient(config.AWS_REGION),
        namespace: config.CLOUDWATCH_NAMESPACE,
        logger,
        ...(deps.cloudwatchBackoffMs ? { backoffMs: deps.cloudwatchBackoffMs } : {}),
      })
    : undefined;

  const collector = new HealthCollector({
    db: database.db,
    services: config.SERVICES,
    defaultApiKey: config.SERVICES_API_KEY,
    logger,
    intervalMs: config.POLL_INTERVAL_MS,
    jitter: config.POLL_JITTER,
    concurrency: config.POLL_CONCURRENCY,
    maxInFlight: config.POLL_MAX_IN_FLIGHT,
    healthTimeoutMs: config.HEALTH_TIMEOUT_MS,
    readyTimeoutMs: config.READY_TIMEOUT_MS,
    sweepDeadlineMs: sweepDeadlineMs(config),
    bufferObservations: config.POLL_BUFFER_OBSERVATIONS,
    incidentThreshold: config.INCIDENT_FAILURE_THRESHOLD,
    rawRetentionHours: config.RAW_RETENTION_HOURS,
    catalogIntervalMs: config.CATALOG_INTERVAL_MS,
    probeIntervalMs: config.PROBE_INTERVAL_MS,
    mcpTimeoutMs: config.MCP_TIMEOUT_MS,
    gauges: createFactoryGauges(metrics),
    cloudwatch,
    queue,
    now,
    ...(deps.random ? { random: deps.random } : {}),
    shared: sharedPolling(config),
  });
  registerCollectorMetrics(metrics, collector);
  const replicas = sharedPolling(config) ? createReplicas(config, { collector, db: database.db, logger, now }) : undefined;

  const environmentCheck: ReadinessCheck = {
    name: 'environment',
    required: true,
    run() {
      if (config.CLOUDWATCH_ENABLED && !config.AWS_REGION && !deps.cloudwatch) {
        return { status: 'error', message: 'CLOUDWATCH_ENABLED is true but AWS_REGION is not set; set AWS_REGION or disable CloudWatch' };
      }
      const backlog = collector.backlog;
      const details = {
        services: config.SERVICES.length,
        poller: config.POLL_INTERVAL_MS,
        cloudwatch: config.CLOUDWATCH_ENABLED,
        queue_view: !!config.REDIS_URL,
        unwritten_sweeps: backlog.sweeps,
        dropped_observations: collector.droppedObservations,
      };
      // The watchdog only reads clocks: it answers even while a sweep waits on something.
      if (collector.scheduled) {
        const late = collector.watchdog.check();
        if (late.status) return { ...late, details: { ...details, ...late.details } };
      }
      if (backlog.sweeps > 3) {
        return { status: 'warning', message: `results of ${backlog.sweeps} sweeps are waiting for Postgres; they are written when it answers`, details };
      }
      return { details };
    },
  };

  // One optional check per registered service, answered from the latest poll (never a fetch).
  const serviceChecks: ReadinessCheck[] = config.SERVICES.map((s) => ({
    name: `mcp-${s.name}`,
    required: false,
    run() {
      const p = collector.latest.get(s.name);
      if (!p) return { status: 'warning', message: `${s.name} has not been polled yet` };
      const details = { status: p.status, checked_at: p.checkedAt.toISOString() };
      if (p.status === 'not_configured') return { status: 'not_configured', message: `${s.name} is not configured: ${setupHints(p.checks).join('; ')}`, details };
      if (!p.ready) return { status: 'error', message: `${s.name} is ${p.status.replace('_', ' ')}: ${p.error ?? 'see its /ready'}`, details };
      return { status: p.status === 'degraded' ? 'warning' : 'ok', ...(p.status === 'degraded' ? { message: `${s.name} is degraded` } : {}), details };
    },
  }));

  const workflows = createWorkflows(config, { db: database.db, prepared: database, redis, logger, registry: metrics.registry, now });

  const apiDeps: ApiDeps = {
    db: database.db,
    collector,
    services: config.SERVICES,
    version: VERSION,
    // Called only by request handlers, after `service` below exists.
    service: () => service,
    now,
  };

  const service: Service = createService({
    name: SERVICE_NAME,
    version: VERSION,
    description: 'Health of every Factory service and dependency, incidents and MTTR, factory metrics and a dashboard',
    config,
    logger,
    metrics,
    stdio: deps.stdio ?? false,
    // The dashboard is for people: with API_KEYS set they sign in once at /login (a session cookie).
    browserLogin: true,
    checks: [database.check(), environmentCheck, ...serviceChecks],
    tools: [...factoryTools(apiDeps), ...workflowTools(workflows, database.db)],
    instructions: 'The Factory control center: ask it whether the Factory MCP servers and their dependencies work, and what incidents happened.',
    routes: (api) => {
      registerApi(api, apiDeps);
      registerWorkflowRoutes(api, workflows, database.db, now);
    },
    pages: (app) => {
      registerWorkflowPages(app, workflows, database.db, config.DASHBOARD_REFRESH_MS);
      registerPages(app, apiDeps, config.DASHBOARD_REFRESH_MS);
    },
    onStart: async () => {
      await database.migrate(migrations, SERVICE_NAME);
      await collector.init();
      if (replicas) await replicas.start();
      else if (config.POLLER_ENABLED) collector.start();
    },
    onShutdown: [
      ...(replicas ? [{ name: 'replicas', close: () => replicas.stop() }] : []),
      { name: 'collector', close: () => collector.stop() },
      { name: 'queue-view', close: () => queue.close() },
      { name: 'workflow-queue', close: async () => void (await workflows.queue?.close()) },
      ...(redis ? [{ name: 'redis', close: () => closeRedis(redis) }] : []),
      { name: 'database', close: () => database.close() },
    ],
  });
  return { service, collector, database, replicas, workflows };
}
