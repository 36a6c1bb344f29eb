// deploy-mcp: safe ECS deployments over MCP. Read tools always; write tools only when enabled,
// only for allow-listed services, alarm-guarded and audited.
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { STSClient } from '@aws-sdk/client-sts';
import { Counter, createDatabase, createLogger, createMetrics, createService, packageVersion, type Database, type Logger, type Service } from '@factory/base-server';
import { createAwsClients } from './aws/clients.js';
import type { AuditDatabase } from './audit/audit-table.js';
import { migrations } from './audit/migrations.js';
import type { DeployConfig } from './config.js';
import { AllowList } from './deployments/allow-list.js';
import { EcsGateway } from './ecs/ecs-gateway.js';
import { AlarmGuard } from './guard/alarm-guard.js';
import { createObservabilityClient, type AlarmSource } from './guard/observability-client.js';
import { createGuardWatchRunner } from './guard/guard-queue.js';
import { awsChecks } from './readiness/aws-checks.js';
import { readTools } from './tools/read-tools.js';
import { writeTools } from './tools/write-tools.js';

export { parseDeployConfig, type DeployConfig } from './config.js';
export const SERVICE_NAME = 'deploy-mcp';
export const SERVICE_VERSION = packageVersion(import.meta.url);

export interface DeployDeps {
  ecs?: ECSClient;
  sts?: STSClient;
  logger?: Logger;
  /** Postgres schema for the audit table (tests give each file its own). */
  databaseSchema?: string;
  /** Replaces the MCP client of observability-mcp (default: built from OBSERVABILITY_MCP_URL). */
  alarmSource?: AlarmSource;
  stdio?: boolean;
}

export interface DeployService {
  service: Service;
  ecs: ECSClient;
  sts: STSClient;
  /** The audit database; present only when writes are enabled. */
  database: Database<AuditDatabase> | undefined;
}

const INSTRUCTIONS =
  'deploy-mcp inspects and (when enabled) changes AWS ECS services. Read with list_clusters, list_services, describe_service, ' +
  'get_deployment_status, list_tasks, describe_task, get_stopped_task_reasons, describe_task_definition and list_task_definition_revisions. ' +
  'Write tools exist only when the operator enabled them, act only on allow-listed services, and need expected_task_definition ' +
  '(what describe_service shows now). Run a write with dry_run=true first, then for real, then follow it with wait_for_stable.';

export async function createDeployService(config: Readonly<DeployConfig>, deps: DeployDeps = {}): Promise<DeployService> {
  const defaults = deps.ecs && deps.sts ? undefined : createAwsClients(config);
  const ecsClient = deps.ecs ?? defaults!.ecs;
  const stsClient = deps.sts ?? defaults!.sts;
  const ecs = new EcsGateway(ecsClient);
  const allowList = new AllowList(config.DEPLOY_ALLOWED_SERVICES);
  const alarmSource =
    deps.alarmSource ??
    (config.OBSERVABILITY_MCP_URL
      ? createObservabilityClient({
          url: config.OBSERVABILITY_MCP_URL,
          apiKey: config.OBSERVABILITY_MCP_API_KEY,
          timeoutMs: config.OBSERVABILITY_MCP_TIMEOUT_MS,
          version: SERVICE_VERSION,
        })
      : undefined);
  const guard = new AlarmGuard(alarmSource, { watchMs: config.DEPLOY_GUARD_WATCH_MS, pollMs: config.DEPLOY_GUARD_POLL_INTERVAL_MS });

  const logger =
    deps.logger ??
    createLogger({ service: SERVICE_NAME, version: SERVICE_VERSION, level: config.LOG_LEVEL, format: config.LOG_FORMAT, stdio: deps.stdio ?? false });
  const metrics = createMetrics(SERVICE_NAME, SERVICE_VERSION);

  // Only a service that may write needs somewhere to write its audit records.
  const database = config.DEPLOY_ALLOW_WRITE
    ? await createDatabase<AuditDatabase>({
        url: config.DATABASE_URL,
        pgliteDataDir: config.DATABASE_URL ? undefined : config.PGLITE_DATA_DIR,
        schema: deps.databaseSchema ?? config.DATABASE_SCHEMA,
        logger,
        metrics,
        applicationName: SERVICE_NAME,
      })
    : undefined;
  const writes = new Counter({
    name: 'deploy_writes_total',
    help: 'Executed deploy writes by action (deploy_image, rollback_service, scale_service, restart_service, auto_rollback) and result',
    labelNames: ['action', 'result'] as const,
    registers: [metrics.registry],
  });
  // Guard watches: durable jobs every replica works on when there is a Redis (writes only).
  const watches =
    database &&
    createGuardWatchRunner(
      { guard, ecs, audit: database.db, writes, logger, replica: config.REPLICA_ID },
      { redisUrl: deps.stdio ? undefined : config.REDIS_URL, prefix: config.QUEUE_PREFIX, lockMs: config.DEPLOY_GUARD_LOCK_MS, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger },
    );
  const context = {
    config,
    ecs,
    allowList,
    guard,
    audit: database?.db,
    writes,
    watches,
    replica: config.REPLICA_ID,
    guardRefusals: new Counter({
      name: 'deploy_guard_refusals_total',
      help: 'Writes refused by the alarm guard before acting, by reason (alarm_firing, unavailable, not_configured, bad_guard)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    }),
  };

  const service = createService({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'MCP server over AWS ECS: read tools always, guarded and audited writes when enabled.',
    config,
    instructions: INSTRUCTIONS,
    logger,
    metrics,
    ...(deps.stdio ? { stdio: true } : {}),
    checks: [
      ...awsChecks(ecs, stsClient, { clusters: config.DEPLOY_CLUSTERS, minIntervalMs: config.DEPLOY_READY_MIN_INTERVAL_MS }),
      ...(database ? [database.check()] : []),
      ...(watches ? [watches.check] : []),
    ],
    tools: [...readTools(context), ...(database ? writeTools(context) : [])],
    onStart: async () => {
      if (database) await database.migrate(migrations, SERVICE_NAME);
      await watches?.start();
    },
    onShutdown: [
      { name: 'guard-watches', close: async () => watches?.close() },
      { name: 'observability-client', close: async () => alarmSource?.close() },
      { name: 'audit-database', close: async () => database?.close() },
      {
        name: 'aws-clients',
        close: async () => {
          if (!deps.ecs) ecsClient.destroy();
          if (!deps.sts) stsClient.destroy();
        },
      },
    ],
  });
  return { service, ecs: ecsClient, sts: stsClient, database };
}
