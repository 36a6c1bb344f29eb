// Workflow test rig: the real deploy-mcp and observability-mcp servers (AWS mocked at the SDK client),
// a control center and workflow workers built in-process on one Postgres schema and one Redis prefix,
// and the real worker process (`node dist/workflow-worker.js`) for crash tests.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, DescribeServicesCommand, ListClustersCommand, UpdateServiceCommand, type Service as EcsService } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Redis } from 'ioredis';
import { createLogger } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { createDeployService, parseDeployConfig } from '@factory/deploy-mcp';
import { createObservabilityService, parseObservabilityConfig } from '@factory/observability-mcp';
import { parseControlCenterConfig, parseWorkflowWorkerConfig } from '../src/config.js';
import { createControlCenter } from '../src/app.js';
import { createWorkflowWorker } from '../src/workflows/workflow-worker.js';
import { KEY, PG_URL, REDIS_URL, UPSTREAM_KEY } from './helpers.js';
import { startAppProcess, type AppProcess } from './replica-helpers.js';

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
export const TD = `arn:aws:ecs:${REGION}:123456789012:task-definition/web:7`;

export const ecsService = (overrides: Partial<EcsService> = {}): EcsService => ({
  serviceName: 'web',
  serviceArn: `arn:aws:ecs:${REGION}:123456789012:service/prod/web`,
  clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/prod`,
  status: 'ACTIVE',
  taskDefinition: TD,
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  launchType: 'FARGATE',
  deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD, desiredCount: 2, runningCount: 2, pendingCount: 0, rolloutState: 'COMPLETED', createdAt: new Date('2026-11-20T10:00:00Z'), updatedAt: new Date('2026-11-20T10:05:00Z') }],
  events: [],
  ...overrides,
});

/** The real Factory servers the steps call. */
export async function startServers() {
  const silent = createLogger({ service: 'fixture', version: 'test', level: 'silent' });
  const ecs = new ECSClient({ region: REGION, credentials });
  const sts = new STSClient({ region: REGION, credentials });
  const ecsMock = mockClient(ecs);
  mockClient(sts);
  const deploySchema = uniqueSchema('wf_deploy');
  const deploy = await createDeployService(
    parseDeployConfig({ PORT: '0', LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}`, AWS_REGION: REGION, DEPLOY_CLUSTERS: 'prod', DEPLOY_ALLOW_WRITE: 'true', DEPLOY_ALLOWED_SERVICES: 'prod/web', DEPLOY_GUARD_WATCH_MS: '0', DEPLOY_POLL_INTERVAL_MS: '20', DATABASE_URL: PG_URL }),
    { ecs, sts, logger: silent, databaseSchema: deploySchema },
  );
  const deployUrl = (await deploy.service.start()).url;
  const cloudwatch = new CloudWatchClient({ region: REGION, credentials });
  const logs = new CloudWatchLogsClient({ region: REGION, credentials });
  const cwMock = mockClient(cloudwatch);
  mockClient(logs);
  const observability = createObservabilityService(parseObservabilityConfig({ PORT: '0', LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}`, AWS_REGION: REGION }), { cloudwatch, logs, sts, logger: silent });
  const observabilityUrl = (await observability.start()).url;
  ecsMock.on(DescribeServicesCommand).resolves({ services: [ecsService()], failures: [] });
  ecsMock.on(UpdateServiceCommand).resolves({ service: ecsService() });
  ecsMock.on(ListClustersCommand).resolves({ clusterArns: [`arn:aws:ecs:${REGION}:123456789012:cluster/prod`] });
  return {
    ecsMock,
    cwMock,
    services: JSON.stringify([
      { name: 'deploy-mcp', url: deployUrl, sharedApiKey: true },
      { name: 'observability-mcp', url: observabilityUrl, sharedApiKey: true },
    ]),
    async close() {
      await deploy.service.stop();
      await observability.stop();
      await dropSchema(PG_URL, deploySchema);
    },
  };
}

export type Servers = Awaited<ReturnType<typeof startServers>>;

/** One environment (schema, queue prefix) that the control center and every worker of a test file share. */
export function workflowEnv(servers: Servers, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: uniqueSchema('cc_wf'),
    REDIS_URL,
    WORKFLOW_QUEUE_PREFIX: `wf-test-${randomBytes(4).toString('hex')}`,
    API_KEYS: `tester:${KEY}`,
    SERVICES_API_KEY: UPSTREAM_KEY,
    SERVICES: servers.services,
    POLLER_ENABLED: 'false',
    WORKFLOW_WORKER_LOCK_MS: '1000',
    WORKFLOW_WORKER_STALLED_INTERVAL_MS: '500',
    WORKFLOW_TOOLS_TTL_MS: '0',
    ...extra,
  };
}

export async function startControlCenter(env: Record<string, string>) {
  const cc = await createControlCenter(parseControlCenterConfig(env));
  const { url } = await cc.service.start();
  return { ...cc, url };
}

export async function startInProcessWorker(env: Record<string, string>) {
  const w = await createWorkflowWorker(parseWorkflowWorkerConfig({ ...env, WORKFLOW_WORKER_PORT: '0' }), { logger: createLogger({ service: 'workflow-worker', version: 'test', level: 'silent' }) });
  const { url } = await w.service.start();
  return { ...w, url };
}

const WORKER_JS = fileURLToPath(new URL('../dist/workflow-worker.js', import.meta.url));

export type WorkerProcess = AppProcess;

/** The real worker process; resolves once it logs that it is ready. */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return startAppProcess(WORKER_JS, { ...process.env, ...env, LOG_LEVEL: 'info', WORKFLOW_WORKER_PORT: '0' }, 'workflow-worker ready', 30_000);
}

/** Drops the file's schema and deletes its Redis keys. */
export async function cleanUp(env: Record<string, string>): Promise<void> {
  await dropSchema(PG_URL, env.DATABASE_SCHEMA);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.WORKFLOW_QUEUE_PREFIX}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

export const api = (base: string, path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { Authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (r: Response): Promise<any> => r.json();
