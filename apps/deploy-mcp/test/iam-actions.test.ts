// iam-actions.json is what the infra engineer grants deploy-mcp's task role. This test runs every tool
// and the readiness checks, collects the AWS SDK commands actually sent, and requires the file to be
// exactly that set of actions (plus what those calls imply), so the list cannot drift from the code.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as ecsSdk from '@aws-sdk/client-ecs';
import * as stsSdk from '@aws-sdk/client-sts';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ACCOUNT, TAGS, clusterArn, deploymentFixture, serviceArn, serviceFixture, startDeploy, taskArn, taskDefinitionFixture, tdArn, type Harness } from './helpers.js';

const iamFile = JSON.parse(readFileSync(new URL('../iam-actions.json', import.meta.url), 'utf8')) as string[];

/** Every *Command class a module exports, by name. */
const commandsOf = (mod: Record<string, unknown>) =>
  Object.entries(mod).filter((e): e is [string, new (input: never) => object] => /^[A-Z][A-Za-z0-9]*Command$/.test(e[0]) && typeof e[1] === 'function');

type AnyStub = AwsStub<object, { $metadata: object }, object>;

/** `service:Action` for each command sent through the stub, collected with .commandCalls(). */
function actionsSent(prefix: string, mod: Record<string, unknown>, stub: AnyStub): { actions: string[]; inputs: Map<string, object[]> } {
  const actions: string[] = [];
  const inputs = new Map<string, object[]>();
  for (const [name, command] of commandsOf(mod)) {
    const calls = stub.commandCalls(command as never);
    if (calls.length === 0) continue;
    const action = `${prefix}:${name.replace(/Command$/, '')}`;
    actions.push(action);
    inputs.set(action, calls.map((c) => (c.args[0] as { input: object }).input));
  }
  return { actions, inputs };
}

describe('iam-actions.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDeploy({ DEPLOY_ALLOW_WRITE: 'true', DEPLOY_ALLOWED_SERVICES: 'prod/web', DEPLOY_CLUSTERS: 'prod', DEPLOY_READY_MIN_INTERVAL_MS: '0' });
    const { ecsMock, stsMock } = h;
    stsMock.on(stsSdk.GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-mcp/task` });
    ecsMock.on(ecsSdk.ListClustersCommand).resolves({ clusterArns: [clusterArn('prod')] });
    ecsMock.on(ecsSdk.DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'prod', clusterArn: clusterArn('prod'), status: 'ACTIVE' }] });
    ecsMock.on(ecsSdk.ListServicesCommand).resolves({ serviceArns: [serviceArn('prod', 'web')] });
    ecsMock.on(ecsSdk.DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    ecsMock.on(ecsSdk.ListTasksCommand).resolves({ taskArns: [taskArn('prod', 't1')] });
    ecsMock.on(ecsSdk.DescribeTasksCommand).resolves({ tasks: [{ taskArn: taskArn('prod', 't1'), taskDefinitionArn: tdArn('web', 7), lastStatus: 'STOPPED' }] });
    ecsMock.on(ecsSdk.DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
      const revision = Number(/:(\d+)$/.exec(input.taskDefinition)?.[1] ?? 7);
      return { taskDefinition: taskDefinitionFixture(revision), tags: TAGS };
    });
    ecsMock.on(ecsSdk.ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [tdArn('web', 7), tdArn('web', 6)] });
    ecsMock.on(ecsSdk.RegisterTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionFixture(8) });
    ecsMock.on(ecsSdk.UpdateServiceCommand).resolves({ service: serviceFixture({ deployments: [deploymentFixture()] }) });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists exactly the IAM actions that the tools and readiness checks use', async () => {
    const base = { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' };
    const runs: Record<string, Record<string, unknown>> = {
      list_clusters: {},
      list_services: { cluster: 'prod' },
      describe_service: { cluster: 'prod', service: 'web' },
      get_deployment_status: { cluster: 'prod', service: 'web' },
      list_tasks: { cluster: 'prod' },
      describe_task: { cluster: 'prod', task: 't1' },
      get_stopped_task_reasons: { cluster: 'prod', service: 'web' },
      describe_task_definition: { task_definition: 'web:7' },
      list_task_definition_revisions: { family: 'web' },
      deploy_image: { ...base, container: 'app', image: 'registry.example.com/web:2.0.0' },
      rollback_service: base,
      scale_service: { ...base, desired_count: 3 },
      restart_service: base,
      wait_for_stable: { cluster: 'prod', service: 'web', timeout_seconds: 5 },
      list_audit_records: {},
    };
    const { tools } = await h.client.listTools();
    expect(Object.keys(runs).sort()).toEqual(tools.map((t) => t.name).sort());
    for (const [name, args] of Object.entries(runs)) {
      const result = await h.call(name, args);
      expect({ name, isError: result.isError ?? false }).toEqual({ name, isError: false });
    }
    const ready = await h.deploy.service.readiness.evaluate();
    expect(ready.ready).toBe(true);

    const ecs = actionsSent('ecs', ecsSdk as Record<string, unknown>, h.ecsMock as unknown as AnyStub);
    const sts = actionsSent('sts', stsSdk as Record<string, unknown>, h.stsMock as unknown as AnyStub);
    const sent = [...ecs.actions, ...sts.actions];
    // What a call implies: registering a revision that names task/execution roles needs iam:PassRole on
    // them; registering it with tags needs ecs:TagResource (ECS tag-on-create authorization).
    const implied: string[] = [];
    for (const input of ecs.inputs.get('ecs:RegisterTaskDefinition') ?? []) {
      const r = input as ecsSdk.RegisterTaskDefinitionCommandInput;
      if (r.taskRoleArn || r.executionRoleArn) implied.push('iam:PassRole');
      if (r.tags?.length) implied.push('ecs:TagResource');
    }
    const expected = [...new Set([...sent, ...implied])].sort();
    expect(iamFile).toEqual(expected);
    expect([...iamFile].sort()).toEqual(iamFile);
  });
});
