// deploy-mcp as a bench target: the built app with ECS/STS replaced at the SDK-client boundary by
// aws-sdk-client-mock, writes enabled for prod/web (audit schema in the local Postgres, or PGlite).
// Reports its port over IPC.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createDeployService } from '../../apps/deploy-mcp/dist/app.js';
import { parseDeployConfig } from '../../apps/deploy-mcp/dist/config.js';
import { dropSchema } from '@factory/base-server/testing';
import { answerMemoryProbe } from './memory-probe.mjs';

const requireFromApp = createRequire(new URL('../../apps/deploy-mcp/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromApp.resolve(name)).href);
const { ECSClient, DescribeServicesCommand } = await load('@aws-sdk/client-ecs');
const { STSClient, GetCallerIdentityCommand } = await load('@aws-sdk/client-sts');
const { mockClient } = await load('aws-sdk-client-mock');

const credentials = { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench' };
const ecs = new ECSClient({ region: 'eu-west-1', credentials });
const sts = new STSClient({ region: 'eu-west-1', credentials });
const ecsMock = mockClient(ecs);
const stsMock = mockClient(sts);
setInterval(() => {
  ecsMock.resetHistory();
  stsMock.resetHistory();
}, 500).unref();

const td = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7';
const deployment = (i) => ({
  id: `ecs-svc/${i}`,
  status: i === 0 ? 'PRIMARY' : 'ACTIVE',
  taskDefinition: td,
  desiredCount: 4,
  runningCount: 4,
  pendingCount: 0,
  failedTasks: 0,
  rolloutState: 'COMPLETED',
  rolloutStateReason: 'completed',
  createdAt: new Date(0),
  updatedAt: new Date(0),
});
ecsMock.on(DescribeServicesCommand).resolves({
  services: [
    {
      serviceName: 'web',
      serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      status: 'ACTIVE',
      taskDefinition: td,
      desiredCount: 4,
      runningCount: 4,
      pendingCount: 0,
      launchType: 'FARGATE',
      deployments: [deployment(0)],
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      // ECS keeps up to 100 events per service.
      events: Array.from({ length: 100 }, (_, i) => ({ id: `e${i}`, createdAt: new Date(i * 1000), message: `(service web) event number ${i} with some text.` })),
    },
  ],
});
stsMock.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/bench/x' });

const config = parseDeployConfig({
  PORT: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  RATE_LIMIT_PER_MINUTE: '0',
  AWS_REGION: 'eu-west-1',
  DEPLOY_ALLOW_WRITE: 'true',
  DEPLOY_ALLOWED_SERVICES: 'prod/web',
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  OBSERVABILITY_MCP_URL: process.env.OBSERVABILITY_MCP_URL,
  DEPLOY_GUARD_WATCH_MS: '0',
});
const schema = `bench_deploy_${randomBytes(4).toString('hex')}`;
const { service } = await createDeployService(config, { ecs, sts, databaseSchema: schema });
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', async () => {
  await service.stop();
  // The audit schema is this run's alone: leave nothing behind in the shared Postgres.
  await dropSchema(config.DATABASE_URL, schema);
  process.exit(0);
});
process.send({ port });
