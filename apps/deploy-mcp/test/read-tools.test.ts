import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  ACCOUNT,
  clusterArn,
  deploymentFixture,
  serviceArn,
  serviceFixture,
  startDeploy,
  taskArn,
  taskDefinitionFixture,
  tdArn,
  textOf,
  type Harness,
} from './helpers.js';

const READ_TOOLS = [
  'describe_service',
  'describe_task',
  'describe_task_definition',
  'get_deployment_status',
  'get_stopped_task_reasons',
  'list_clusters',
  'list_services',
  'list_task_definition_revisions',
  'list_tasks',
];

describe('deploy-mcp read tools (writes disabled)', () => {
  let h: Harness;
  beforeAll(async () => {
    // DEPLOY_ALLOW_WRITE="false" must really mean off (envBoolean, not z.coerce.boolean).
    h = await startDeploy({ DEPLOY_ALLOW_WRITE: 'false', DEPLOY_ALLOWED_SERVICES: 'prod/web' });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.ecsMock.reset();
    h.stsMock.reset();
  });

  it('registers only the read tools when writes are disabled, each fully described and read-only', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
    for (const t of tools) {
      expect(t.description?.length).toBeGreaterThan(60);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    }
    expect(h.deploy.database).toBeUndefined();
  });

  it('list_clusters lists and describes the clusters', async () => {
    h.ecsMock.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('prod'), clusterArn('staging')] });
    h.ecsMock.on(DescribeClustersCommand).resolves({
      clusters: [
        { clusterName: 'prod', clusterArn: clusterArn('prod'), status: 'ACTIVE', activeServicesCount: 3, runningTasksCount: 7, pendingTasksCount: 1 },
        { clusterName: 'staging', clusterArn: clusterArn('staging'), status: 'ACTIVE', activeServicesCount: 1, runningTasksCount: 1, pendingTasksCount: 0 },
      ],
    });
    const result = await h.call('list_clusters', {});
    expect(result.structuredContent).toEqual({
      clusters: [
        { name: 'prod', status: 'ACTIVE', active_services: 3, running_tasks: 7, pending_tasks: 1 },
        { name: 'staging', status: 'ACTIVE', active_services: 1, running_tasks: 1, pending_tasks: 0 },
      ],
    });
    expect(h.ecsMock.commandCalls(DescribeClustersCommand)[0]?.args[0].input.clusters).toEqual([clusterArn('prod'), clusterArn('staging')]);
  });

  it('list_services pages through a cluster and summarises each service', async () => {
    h.ecsMock.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('prod', 'web')], nextToken: 'page-2' });
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    const result = await h.call('list_services', { cluster: 'prod', limit: 1 });
    expect(result.structuredContent).toEqual({
      services: [
        { name: 'web', status: 'ACTIVE', task_definition: 'web:7', desired: 2, running: 2, pending: 0, launch_type: 'FARGATE', rollout_state: 'COMPLETED', deployments: 1 },
      ],
      next_token: 'page-2',
    });
    expect(h.ecsMock.commandCalls(ListServicesCommand)[0]?.args[0].input).toMatchObject({ cluster: 'prod', maxResults: 1 });
  });

  it('describe_service shows deployments, circuit breaker, recent events and that writes are not allowed', async () => {
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    const result = await h.call('describe_service', { cluster: 'prod', service: 'web', events: 1 });
    const out = result.structuredContent as Record<string, unknown>;
    expect(out).toMatchObject({
      name: 'web',
      cluster: 'prod',
      task_definition: 'web:7',
      stable: true,
      circuit_breaker: { enabled: true, rollback: true },
      minimum_healthy_percent: 100,
      write_allowed: false,
      events: [{ at: '2026-11-20T10:05:00.000Z', message: '(service web) has reached a steady state.' }],
    });
    expect(out.deployments).toEqual([
      expect.objectContaining({ id: 'ecs-svc/1111', status: 'PRIMARY', task_definition: 'web:7', rollout_state: 'COMPLETED' }),
    ]);
  });

  it('get_deployment_status reports progress of a rollout under way', async () => {
    h.ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        serviceFixture({
          taskDefinition: tdArn('web', 8),
          runningCount: 3,
          deployments: [
            deploymentFixture({ id: 'ecs-svc/2222', taskDefinition: tdArn('web', 8), runningCount: 1, desiredCount: 2, rolloutState: 'IN_PROGRESS' }),
            deploymentFixture({ status: 'ACTIVE' }),
          ],
        }),
      ],
    });
    const result = await h.call('get_deployment_status', { cluster: 'prod', service: 'web' });
    expect(result.structuredContent).toMatchObject({
      state: 'in_progress',
      stable: false,
      percent_complete: 50,
      task_definition: 'web:8',
      primary: { id: 'ecs-svc/2222', rollout_state: 'IN_PROGRESS' },
      other_deployments: [{ id: 'ecs-svc/1111', status: 'ACTIVE' }],
      circuit_breaker: { enabled: true, rollback: true, tripped: false, reason: null },
    });
  });

  it('get_deployment_status says when the deployment circuit breaker tripped', async () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    h.ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        serviceFixture({
          deployments: [
            deploymentFixture({ id: 'ecs-svc/3333', rolloutState: 'IN_PROGRESS' }),
            deploymentFixture({ id: 'ecs-svc/2222', status: 'ACTIVE', taskDefinition: tdArn('web', 8), rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 4 }),
          ],
        }),
      ],
    });
    const result = await h.call('get_deployment_status', { cluster: 'prod', service: 'web' });
    expect(result.structuredContent).toMatchObject({ state: 'failed', circuit_breaker: { tripped: true, reason } });
  });

  it('list_tasks lists a service\'s tasks with status', async () => {
    h.ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArn('prod', 'abc123')] });
    h.ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArn('prod', 'abc123'),
          taskDefinitionArn: tdArn('web', 7),
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          startedAt: new Date('2026-11-20T10:01:00Z'),
          availabilityZone: 'eu-west-1a',
        },
      ],
    });
    const result = await h.call('list_tasks', { cluster: 'prod', service: 'web' });
    expect(result.structuredContent).toEqual({
      tasks: [
        {
          id: 'abc123',
          task_definition: 'web:7',
          last_status: 'RUNNING',
          desired_status: 'RUNNING',
          health: 'HEALTHY',
          started_at: '2026-11-20T10:01:00.000Z',
          stopped_at: null,
          stop_code: null,
          stopped_reason: null,
          availability_zone: 'eu-west-1a',
        },
      ],
    });
    expect(h.ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ cluster: 'prod', serviceName: 'web', desiredStatus: 'RUNNING' });
  });

  it('describe_task shows containers with exit codes and the stopped reason', async () => {
    h.ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: taskArn('prod', 'dead01'),
          clusterArn: clusterArn('prod'),
          taskDefinitionArn: tdArn('web', 8),
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          group: 'service:web',
          containers: [{ name: 'app', image: 'web:1.8.0', lastStatus: 'STOPPED', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
        },
      ],
    });
    const result = await h.call('describe_task', { cluster: 'prod', task: 'dead01' });
    expect(result.structuredContent).toMatchObject({
      id: 'dead01',
      cluster: 'prod',
      stop_code: 'EssentialContainerExited',
      stopped_reason: 'Essential container in task exited',
      group: 'service:web',
      containers: [{ name: 'app', exit_code: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    });
  });

  it('describe_task says clearly when the task is gone', async () => {
    h.ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: taskArn('prod', 'gone'), reason: 'MISSING' }] });
    const result = await h.call('describe_task', { cluster: 'prod', task: 'gone' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Task gone was not found in cluster prod \(MISSING\)/);
  });

  it('get_stopped_task_reasons groups recent failures by cause', async () => {
    h.ecsMock.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2', 't3'].map((id) => taskArn('prod', id)) });
    const oom = (id: string, at: string) => ({
      taskArn: taskArn('prod', id),
      taskDefinitionArn: tdArn('web', 8),
      stopCode: 'EssentialContainerExited' as const,
      stoppedReason: 'Essential container in task exited',
      stoppedAt: new Date(at),
      containers: [{ name: 'app', exitCode: 137, reason: 'OutOfMemoryError' }, { name: 'sidecar', exitCode: 0 }],
    });
    h.ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        oom('t1', '2026-11-20T10:00:00Z'),
        oom('t2', '2026-11-20T10:02:00Z'),
        { taskArn: taskArn('prod', 't3'), taskDefinitionArn: tdArn('web', 7), stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by deployment', containers: [{ name: 'app', exitCode: 0 }] },
      ],
    });
    const result = await h.call('get_stopped_task_reasons', { cluster: 'prod', service: 'web' });
    expect(result.structuredContent).toEqual({
      service: 'web',
      stopped_tasks_examined: 3,
      reasons: [
        {
          stop_code: 'EssentialContainerExited',
          stopped_reason: 'Essential container in task exited',
          containers: [{ name: 'app', exit_code: 137, reason: 'OutOfMemoryError' }],
          count: 2,
          task_definitions: ['web:8'],
          latest_task_id: 't2',
          latest_stopped_at: '2026-11-20T10:02:00.000Z',
        },
        {
          stop_code: 'ServiceSchedulerInitiated',
          stopped_reason: 'Scaling activity initiated by deployment',
          containers: [],
          count: 1,
          task_definitions: ['web:7'],
          latest_task_id: 't3',
          latest_stopped_at: null,
        },
      ],
    });
    expect(h.ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ desiredStatus: 'STOPPED', serviceName: 'web' });
  });

  it('describe_task_definition returns containers with environment names but never values', async () => {
    h.ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionFixture(7) });
    const result = await h.call('describe_task_definition', { task_definition: 'web:7' });
    expect(result.structuredContent).toMatchObject({
      task_definition: 'web:7',
      family: 'web',
      revision: 7,
      cpu: '512',
      task_role_arn: `arn:aws:iam::${ACCOUNT}:role/web-task`,
      containers: [
        expect.objectContaining({ name: 'app', environment_names: ['NODE_ENV', 'DB_PASSWORD_HINT'], secret_names: ['DB_PASSWORD'], log_driver: 'awslogs' }),
        expect.objectContaining({ name: 'sidecar', essential: false }),
      ],
    });
    expect(JSON.stringify(result)).not.toContain('do-not-leak');
  });

  it('list_task_definition_revisions lists one family newest first, ignoring families sharing the prefix', async () => {
    h.ecsMock.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [tdArn('web', 8), tdArn('web-worker', 3), tdArn('web', 7)] });
    const result = await h.call('list_task_definition_revisions', { family: 'web' });
    expect(result.structuredContent).toEqual({
      family: 'web',
      revisions: [
        { task_definition: 'web:8', revision: 8 },
        { task_definition: 'web:7', revision: 7 },
      ],
      next_token: null,
    });
    expect(h.ecsMock.commandCalls(ListTaskDefinitionsCommand)[0]?.args[0].input).toMatchObject({ familyPrefix: 'web', sort: 'DESC', status: 'ACTIVE' });
  });

  it('rejects bad input without calling AWS', async () => {
    const result = await h.call('list_task_definition_revisions', { family: 'web; drop' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/family/);
    expect(h.ecsMock.calls()).toHaveLength(0);
  });

  describe('error mapping', () => {
    const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

    it('AccessDenied says which IAM action is missing', async () => {
      h.ecsMock.on(DescribeServicesCommand).rejects(
        awsError('AccessDeniedException', 'User: arn:aws:sts::123:assumed-role/deploy is not authorized to perform: ecs:DescribeServices'),
      );
      const result = await h.call('describe_service', { cluster: 'prod', service: 'web' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^AWS denied ecs:DescribeServices: .*Grant ecs:DescribeServices to the deploy-mcp task role/);
    });

    it('throttling says to wait and retry', async () => {
      h.ecsMock.on(ListClustersCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const result = await h.call('list_clusters', {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/AWS throttled ecs:ListClusters: Rate exceeded\. Wait a few seconds and try again/);
    });

    it('a timeout or network failure says AWS could not be reached', async () => {
      h.ecsMock.on(ListClustersCommand).rejects(Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' }));
      const result = await h.call('list_clusters', {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('Could not reach AWS for ecs:ListClusters (Connection timed out after 3000 ms). Check the network and AWS_REGION, then try again.');
    });

    it('a missing cluster points at list_clusters', async () => {
      h.ecsMock.on(ListServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));
      const result = await h.call('list_services', { cluster: 'nope' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/cluster does not exist.*list_clusters/);
    });

    it('a missing service (reported as a failure, not an exception) points at list_services', async () => {
      h.ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: serviceArn('prod', 'ghost'), reason: 'MISSING' }] });
      const result = await h.call('get_deployment_status', { cluster: 'prod', service: 'ghost' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('Service "ghost" was not found in cluster "prod" (MISSING). Use list_services to see the services.');
    });

    it('a missing task definition is not-found, other validation failures say the request was invalid', async () => {
      h.ecsMock.on(DescribeTaskDefinitionCommand).rejects(awsError('ClientException', 'Unable to describe task definition.'));
      const missing = await h.call('describe_task_definition', { task_definition: 'web:999' });
      expect(textOf(missing)).toMatch(/task definition does not exist.*list_task_definition_revisions/);
      h.ecsMock.on(ListTasksCommand).rejects(awsError('InvalidParameterException', 'maxResults is invalid'));
      const invalid = await h.call('list_tasks', { cluster: 'prod' });
      expect(invalid.isError).toBe(true);
      expect(textOf(invalid)).toBe('AWS rejected ecs:ListTasks as invalid: maxResults is invalid. Check the arguments and try again.');
    });
  });
});

describe('deploy-mcp readiness', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDeploy({ DEPLOY_CLUSTERS: 'prod,staging', DEPLOY_READY_MIN_INTERVAL_MS: '600000' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reports aws_connectivity (account, ARN) and ecs_permissions, and reuses them within the minimum interval', async () => {
    h.stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-mcp/task`, UserId: 'x' });
    h.ecsMock.on(DescribeClustersCommand).resolves({
      clusters: [
        { clusterName: 'prod', status: 'ACTIVE' },
        { clusterName: 'staging', status: 'ACTIVE' },
      ],
    });
    const res = await fetch(`${h.url}/ready`);
    const body = (await res.json()) as { ready: boolean; checks: Record<string, { status: string; details?: unknown; checked_at?: string }>; dependencies: unknown };
    expect(res.status).toBe(200);
    expect(body.dependencies).toEqual({ required: ['aws_connectivity', 'ecs_permissions'], optional: [] });
    expect(body.checks.aws_connectivity).toMatchObject({
      status: expect.stringMatching(/ok|warning/),
      details: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-mcp/task` },
    });
    expect(body.checks.ecs_permissions).toMatchObject({ details: { clusters: ['prod', 'staging'] } });
    expect(h.ecsMock.commandCalls(DescribeClustersCommand)[0]?.args[0].input.clusters).toEqual(['prod', 'staging']);

    const again = (await (await fetch(`${h.url}/ready`)).json()) as typeof body;
    expect(again.checks.aws_connectivity?.checked_at).toEqual(expect.any(String));
    expect(h.stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(h.ecsMock.commandCalls(DescribeClustersCommand)).toHaveLength(1);
  });
});

describe('deploy-mcp readiness failures', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDeploy({ DEPLOY_CLUSTERS: 'prod,gone', DEPLOY_READY_MIN_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is not ready when a configured cluster is missing or credentials are rejected, and says why', async () => {
    h.stsMock.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' }));
    h.ecsMock.on(DescribeClustersCommand).resolves({
      clusters: [{ clusterName: 'prod', status: 'ACTIVE' }],
      failures: [{ arn: clusterArn('gone'), reason: 'MISSING' }],
    });
    const res = await fetch(`${h.url}/ready`);
    const body = (await res.json()) as { ready: boolean; checks: Record<string, { status: string; message?: string }> };
    expect(res.status).toBe(503);
    expect(body.checks.aws_connectivity).toMatchObject({ status: 'error', message: expect.stringMatching(/no valid AWS credentials for sts:GetCallerIdentity/) });
    expect(body.checks.ecs_permissions).toMatchObject({ status: 'error', message: expect.stringMatching(/gone \(MISSING\)/) });
  });
});

describe('deploy-mcp readiness without DEPLOY_CLUSTERS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDeploy({ DEPLOY_CLUSTERS: '' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('stays ready but warns that only ListClusters was checked', async () => {
    h.stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-mcp/task` });
    h.ecsMock.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('prod')] });
    const res = await fetch(`${h.url}/ready`);
    const body = (await res.json()) as { checks: Record<string, { status: string; message?: string }> };
    expect(res.status).toBe(200);
    expect(body.checks.ecs_permissions).toMatchObject({ status: 'warning', message: expect.stringMatching(/DEPLOY_CLUSTERS is not set/) });
    expect(h.ecsMock.commandCalls(DescribeClustersCommand)).toHaveLength(0);
  });
});
