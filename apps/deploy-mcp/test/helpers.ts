// Test helpers: a real deploy-mcp service on a free port, real Postgres for the audit table, and the
// AWS SDK clients replaced at their boundary with aws-sdk-client-mock.
import { ECSClient, type Deployment, type Service, type TaskDefinition } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createLogger } from '@factory/base-server';
import { captureLogs, dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { createDeployService, type DeployDeps } from '../src/app.js';
import { parseDeployConfig } from '../src/config.js';

export const KEY = 'tester-key-0123456789abcdef';
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

export function testConfig(env: Record<string, string> = {}) {
  return parseDeployConfig({
    PORT: '0',
    LOG_LEVEL: 'info',
    API_KEYS: `tester:${KEY}`,
    AWS_REGION: REGION,
    DEPLOY_CLUSTERS: 'prod',
    DEPLOY_POLL_INTERVAL_MS: '20',
    DEPLOY_GUARD_WATCH_MS: '0',
    DATABASE_URL,
    ...env,
  });
}

function awsClients() {
  const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
  const ecs = new ECSClient({ region: REGION, credentials });
  const sts = new STSClient({ region: REGION, credentials });
  return { ecs, sts, ecsMock: mockClient(ecs), stsMock: mockClient(sts) };
}

export type Harness = Awaited<ReturnType<typeof startDeploy>>;

/** Starts deploy-mcp with mocked AWS clients; `close()` stops everything it started. */
export async function startDeploy(env: Record<string, string> = {}, deps: Partial<DeployDeps> = {}) {
  const { ecs, sts, ecsMock, stsMock } = awsClients();
  const config = testConfig(env);
  const logs = captureLogs();
  const logger = createLogger({ service: 'deploy-mcp', version: 'test', level: config.LOG_LEVEL, destination: logs.stream });
  const schema = uniqueSchema('deploy_mcp');
  const deploy = await createDeployService(config, { ecs, sts, logger, databaseSchema: schema, ...deps });
  const { url } = await deploy.service.start();
  const clients: Client[] = [];
  async function connect() {
    const client = new Client({ name: 'deploy-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    clients.push(client);
    return client;
  }
  const client = await connect();
  return {
    deploy,
    url,
    schema,
    logs,
    ecsMock,
    stsMock,
    client,
    connect,
    /** Calls a tool and returns the raw result. */
    call: (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }),
    async close() {
      for (const c of clients) await c.close();
      await deploy.service.stop();
      if (config.DATABASE_URL) await dropSchema(config.DATABASE_URL, schema);
      ecs.destroy();
      sts.destroy();
    },
  };
}

export function textOf(result: object): string {
  const content = (result as { content?: unknown }).content;
  return Array.isArray(content) ? content.map((c: { type: string; text?: string }) => (c.type === 'text' ? (c.text ?? '') : '')).join('\n') : '';
}

// ---- fixtures ------------------------------------------------------------------------------------

export const tdArn = (family: string, revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
export const serviceArn = (cluster: string, name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
export const clusterArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
export const taskArn = (cluster: string, id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`;

export function deploymentFixture(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 'ecs-svc/1111',
    status: 'PRIMARY',
    taskDefinition: tdArn('web', 7),
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    failedTasks: 0,
    rolloutState: 'COMPLETED',
    rolloutStateReason: 'ECS deployment ecs-svc/1111 completed.',
    createdAt: new Date('2026-11-20T10:00:00Z'),
    updatedAt: new Date('2026-11-20T10:05:00Z'),
    ...overrides,
  };
}

export function serviceFixture(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    serviceArn: serviceArn('prod', 'web'),
    clusterArn: clusterArn('prod'),
    status: 'ACTIVE',
    taskDefinition: tdArn('web', 7),
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    deployments: [deploymentFixture()],
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    events: [
      { id: 'e2', createdAt: new Date('2026-11-20T10:05:00Z'), message: '(service web) has reached a steady state.' },
      { id: 'e1', createdAt: new Date('2026-11-20T10:00:00Z'), message: '(service web) has started 2 tasks.' },
    ],
    ...overrides,
  };
}

export function taskDefinitionFixture(revision: number, image = `123.dkr.ecr.${REGION}.amazonaws.com/web:1.${revision}.0`): TaskDefinition {
  return {
    taskDefinitionArn: tdArn('web', revision),
    family: 'web',
    revision,
    status: 'ACTIVE',
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-exec`,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    volumes: [{ name: 'scratch' }],
    registeredAt: new Date('2026-11-01T00:00:00Z'),
    registeredBy: `arn:aws:iam::${ACCOUNT}:role/ci`,
    containerDefinitions: [
      {
        name: 'app',
        image,
        essential: true,
        cpu: 448,
        memory: 900,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'NODE_ENV', value: 'production' }, { name: 'DB_PASSWORD_HINT', value: 'do-not-leak' }],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db` }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } },
        healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health'] },
        mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp/scratch' }],
      },
      { name: 'sidecar', image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0', essential: false, cpu: 64, memory: 124 },
    ],
  };
}

export const TAGS = [{ key: 'team', value: 'payments' }];
