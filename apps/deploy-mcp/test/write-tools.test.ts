import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import pg from 'pg';
import { DATABASE_URL, TAGS, deploymentFixture, serviceFixture, startDeploy, taskDefinitionFixture, tdArn, textOf, type Harness } from './helpers.js';

const WRITE_TOOLS = ['deploy_image', 'list_audit_records', 'restart_service', 'rollback_service', 'scale_service', 'wait_for_stable'];
const NEW_IMAGE = '123.dkr.ecr.eu-west-1.amazonaws.com/web:2.0.0';

describe('deploy-mcp write tools', () => {
  let h: Harness;
  let pool: pg.Pool;

  beforeAll(async () => {
    h = await startDeploy({
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web,staging/*',
      DEPLOY_MIN_DESIRED_COUNT: '1',
      DEPLOY_MAX_DESIRED_COUNT: '6',
    });
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await h.close();
    await pool.end();
  });
  beforeEach(() => {
    h.ecsMock.reset();
    h.stsMock.reset();
  });

  const auditRows = async () =>
    (await pool.query(`select * from ${h.schema}.deploy_audit order by id`)).rows as Array<{
      id: string;
      principal: string;
      request_id: string;
      action: string;
      cluster: string;
      service: string;
      before: Record<string, unknown>;
      after: Record<string, unknown>;
      result: string;
      error: string | null;
      details: Record<string, unknown>;
    }>;

  /** web runs web:7 (image 1.7.0, 2 tasks); web:8 registers on demand. */
  function webRunsRevision7() {
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    h.ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: tdArn('web', 7) }).resolves({ taskDefinition: taskDefinitionFixture(7), tags: TAGS });
    h.ecsMock.on(RegisterTaskDefinitionCommand).callsFake((input: { containerDefinitions: unknown }) => ({
      taskDefinition: { ...taskDefinitionFixture(8), containerDefinitions: input.containerDefinitions },
    }));
    h.ecsMock.on(UpdateServiceCommand).callsFake((input: { taskDefinition?: string; desiredCount?: number }) => ({
      service: serviceFixture({
        taskDefinition: input.taskDefinition ?? tdArn('web', 7),
        desiredCount: input.desiredCount ?? 2,
        deployments: [deploymentFixture({ id: 'ecs-svc/9999', taskDefinition: input.taskDefinition ?? tdArn('web', 7), rolloutState: 'IN_PROGRESS' })],
      }),
    }));
  }

  const writeCalls = () => [...h.ecsMock.commandCalls(RegisterTaskDefinitionCommand), ...h.ecsMock.commandCalls(UpdateServiceCommand)];

  it('registers the write tools when DEPLOY_ALLOW_WRITE=true, annotated as writes', async () => {
    const { tools } = await h.client.listTools();
    const names = tools.map((t) => t.name);
    for (const w of WRITE_TOOLS) expect(names).toContain(w);
    for (const t of tools.filter((x) => ['deploy_image', 'rollback_service', 'scale_service', 'restart_service'].includes(x.name))) {
      expect(t.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      expect(t.inputSchema.required).toEqual(expect.arrayContaining(['cluster', 'service', 'expected_task_definition']));
    }
  });

  it('refuses a service that is not allow-listed before touching AWS', async () => {
    webRunsRevision7();
    const result = await h.call('deploy_image', { cluster: 'prod', service: 'payments', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Writes to prod\/payments are not allowed: it is not in DEPLOY_ALLOWED_SERVICES/);
    expect(h.ecsMock.calls()).toHaveLength(0);
    // A cluster wildcard allows every service of that cluster.
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture({ serviceName: 'api', taskDefinition: tdArn('api', 3) })] });
    const allowed = await h.call('restart_service', { cluster: 'staging', service: 'api', expected_task_definition: 'api:3', dry_run: true });
    expect(allowed.isError).toBeFalsy();
  });

  it('dry_run returns the exact plan and changes nothing', async () => {
    webRunsRevision7();
    const before = (await auditRows()).length;
    const result = await h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7', dry_run: true });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      action: 'deploy_image',
      dry_run: true,
      executed: false,
      audit_id: null,
      plan: {
        current_task_definition: 'web:7',
        new_task_definition: 'web:(next revision)',
        image_changes: [{ container: 'app', from: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1.7.0', to: NEW_IMAGE }],
        desired_count: { from: 2, to: 2 },
        force_new_deployment: false,
      },
    });
    expect(writeCalls()).toHaveLength(0);
    expect(await auditRows()).toHaveLength(before);
  });

  it('deploy_image registers a copy of the current revision with only the image replaced, updates the service and audits it', async () => {
    webRunsRevision7();
    const result = await h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7' });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, unknown>;
    expect(out).toMatchObject({ executed: true, plan: { new_task_definition: 'web:8' }, deployment: { id: 'ecs-svc/9999', task_definition: 'web:8' }, rolled_back: false });

    const registered = h.ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    const original = taskDefinitionFixture(7);
    const expectedContainers = structuredClone(original.containerDefinitions!);
    expectedContainers[0]!.image = NEW_IMAGE;
    expect(registered).toEqual({
      family: 'web',
      taskRoleArn: original.taskRoleArn,
      executionRoleArn: original.executionRoleArn,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform: original.runtimePlatform,
      volumes: original.volumes,
      containerDefinitions: expectedContainers,
      tags: TAGS,
    });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'web', taskDefinition: tdArn('web', 8) });

    const rows = await auditRows();
    const row = rows.find((r) => r.id === out.audit_id);
    expect(row).toMatchObject({
      principal: 'tester',
      action: 'deploy_image',
      cluster: 'prod',
      service: 'web',
      before: { task_definition: 'web:7', desired_count: 2 },
      after: { task_definition: 'web:8', desired_count: 2 },
      result: 'succeeded',
      error: null,
      details: { image_changes: [{ container: 'app', from: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1.7.0', to: NEW_IMAGE }], caller: { via: 'api_key' } },
    });
    expect(row?.request_id).toEqual(expect.any(String));
  });

  it('refuses when the service no longer runs the revision the caller expects (the revision race)', async () => {
    webRunsRevision7();
    const result = await h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:6' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'Refusing: prod/web now runs web:7, not web:6 as you expected — it changed since you looked (another deploy?). Call describe_service and decide again.',
    );
    expect(writeCalls()).toHaveLength(0);
  });

  it('refuses an unknown container and an unchanged image, naming what exists', async () => {
    webRunsRevision7();
    const unknown = await h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'db', image: NEW_IMAGE, expected_task_definition: 'web:7' });
    expect(textOf(unknown)).toBe('Task definition web:7 has no container "db"; its containers are: app, sidecar.');
    const same = await h.call('deploy_image', {
      cluster: 'prod',
      service: 'web',
      container: 'app',
      image: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1.7.0',
      expected_task_definition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
    });
    expect(textOf(same)).toMatch(/already runs .*Use restart_service/);
    expect(writeCalls()).toHaveLength(0);
  });

  it('rollback_service goes back to the previous ACTIVE revision by default, with the image diff', async () => {
    webRunsRevision7();
    h.ecsMock.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [tdArn('web', 8), tdArn('web', 7), tdArn('web', 5), tdArn('web', 3)] });
    h.ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web:5' }).resolves({ taskDefinition: taskDefinitionFixture(5) });
    const result = await h.call('rollback_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      executed: true,
      plan: {
        current_task_definition: 'web:7',
        new_task_definition: 'web:5',
        image_changes: [{ container: 'app', from: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1.7.0', to: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1.5.0' }],
      },
    });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'web', taskDefinition: tdArn('web', 5) });
    expect((await auditRows()).at(-1)).toMatchObject({ action: 'rollback_service', before: { task_definition: 'web:7' }, result: 'succeeded' });
  });

  it('rollback_service to a named revision refuses another family', async () => {
    webRunsRevision7();
    const wrong = await h.call('rollback_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7', to_task_definition: 'api:2' });
    expect(textOf(wrong)).toMatch(/must be a revision of web/);
    h.ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web:3' }).resolves({ taskDefinition: taskDefinitionFixture(3) });
    const named = await h.call('rollback_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7', to_task_definition: 'web:3', dry_run: true });
    expect(named.structuredContent).toMatchObject({ dry_run: true, plan: { new_task_definition: 'web:3' } });
    expect(writeCalls()).toHaveLength(0);
  });

  it('scale_service stays within the configured bounds', async () => {
    webRunsRevision7();
    const tooMany = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 7, expected_task_definition: 'web:7' });
    expect(tooMany.isError).toBe(true);
    expect(textOf(tooMany)).toBe('desired_count must be between 1 and 6 (DEPLOY_MIN/MAX_DESIRED_COUNT); got 7.');
    const zero = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 0, expected_task_definition: 'web:7' });
    expect(zero.isError).toBe(true);
    expect(h.ecsMock.calls()).toHaveLength(0);

    const ok = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 4, expected_task_definition: 'web:7' });
    expect(ok.structuredContent).toMatchObject({ executed: true, plan: { desired_count: { from: 2, to: 4 } } });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'web', desiredCount: 4 });
    expect((await auditRows()).at(-1)).toMatchObject({ action: 'scale_service', before: { desired_count: 2 }, after: { desired_count: 4 }, result: 'succeeded' });
  });

  it('restart_service forces a new deployment', async () => {
    webRunsRevision7();
    const result = await h.call('restart_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' });
    expect(result.structuredContent).toMatchObject({ executed: true, plan: { force_new_deployment: true } });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'web', forceNewDeployment: true });
  });

  it('audits a write that AWS rejected, with the error, and reports it clearly', async () => {
    webRunsRevision7();
    h.ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('not authorized to perform: ecs:UpdateService'), { name: 'AccessDeniedException' }));
    const result = await h.call('restart_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^AWS denied ecs:UpdateService/);
    expect((await auditRows()).at(-1)).toMatchObject({
      action: 'restart_service',
      result: 'failed',
      error: expect.stringMatching(/^AWS denied ecs:UpdateService/),
    });
  });

  it('refuses a second concurrent write to the same service instead of racing it', async () => {
    webRunsRevision7();
    const holder = await pool.connect();
    try {
      // What an in-flight write (e.g. one still watching its guard alarms) on any replica holds.
      await holder.query('select pg_advisory_lock(hashtext($1::text || $2::text))', [h.schema, 'deploy-mcp:prod/web']);
      const result = await h.call('restart_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Another write to prod\/web is in progress/);
      expect(writeCalls()).toHaveLength(0);
      const dryRun = await h.call('restart_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7', dry_run: true });
      expect(dryRun.isError).toBeFalsy();
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      holder.release();
    }
    const after = await h.call('restart_service', { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' });
    expect(after.isError).toBeFalsy();
  });

  it('audits a deploy whose service update failed with the revision it had registered', async () => {
    webRunsRevision7();
    h.ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('Service is draining'), { name: 'InvalidParameterException' }));
    const result = await h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7' });
    expect(textOf(result)).toBe('AWS rejected ecs:UpdateService as invalid: Service is draining. Check the arguments and try again.');
    expect((await auditRows()).at(-1)).toMatchObject({
      action: 'deploy_image',
      before: { task_definition: 'web:7' },
      after: { task_definition: 'web:8' },
      result: 'failed',
      error: 'AWS rejected ecs:UpdateService as invalid: Service is draining. Check the arguments and try again.',
    });
  });

  it('list_audit_records shows the executed writes newest first', async () => {
    const result = await h.call('list_audit_records', { service: 'web', limit: 3 });
    const records = (result.structuredContent as { records: Array<{ action: string; principal: string; id: string }> }).records;
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ action: 'deploy_image', principal: 'tester' });
    expect(Number(records[0]!.id)).toBeGreaterThan(Number(records[1]!.id));
  });

  it('keeps the audit table append-only', async () => {
    await expect(pool.query(`update ${h.schema}.deploy_audit set result = 'succeeded'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`delete from ${h.schema}.deploy_audit`)).rejects.toThrow(/append-only/);
    const { rows } = await pool.query(`select count(*)::int as n from ${h.schema}.deploy_audit where result = 'failed'`);
    expect(rows[0].n).toBe(2);
  });

  describe('wait_for_stable', () => {
    it('polls until the service is stable and sends progress notifications', async () => {
      const inProgress = serviceFixture({
        runningCount: 1,
        pendingCount: 1,
        deployments: [deploymentFixture({ taskDefinition: tdArn('web', 8), rolloutState: 'IN_PROGRESS', runningCount: 1 }), deploymentFixture({ status: 'ACTIVE' })],
      });
      h.ecsMock
        .on(DescribeServicesCommand)
        .resolvesOnce({ services: [inProgress] })
        .resolvesOnce({ services: [inProgress] })
        .resolves({ services: [serviceFixture({ taskDefinition: tdArn('web', 8), deployments: [deploymentFixture({ taskDefinition: tdArn('web', 8) })] })] });
      const progress: Array<{ progress: number; message?: string | undefined }> = [];
      const result = await h.client.callTool({ name: 'wait_for_stable', arguments: { cluster: 'prod', service: 'web', timeout_seconds: 120 } }, {
        onprogress: (p: { progress: number; message?: string }) => progress.push({ progress: p.progress, message: p.message }),
      });
      expect(result.structuredContent).toMatchObject({ outcome: 'stable', stable: true, polls: 3, task_definition: 'web:8', running: 2 });
      expect(progress).toHaveLength(2);
      expect(progress[0]?.message).toBe('1/2 running, 1 pending, 2 deployment(s), rollout IN_PROGRESS');
      expect(progress[1]!.progress).toBeGreaterThan(progress[0]!.progress);
    });

    it('stops when the rollout fails (circuit breaker) and points at the stopped-task reasons', async () => {
      h.ecsMock.on(DescribeServicesCommand).resolves({
        services: [
          serviceFixture({
            runningCount: 2,
            deployments: [
              deploymentFixture({ taskDefinition: tdArn('web', 8), rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }),
              deploymentFixture({ status: 'ACTIVE' }),
            ],
          }),
        ],
      });
      const result = await h.call('wait_for_stable', { cluster: 'prod', service: 'web', timeout_seconds: 60 });
      expect(result.structuredContent).toMatchObject({ outcome: 'failed', stable: false, circuit_breaker_tripped: true });
      expect((result.structuredContent as { message: string }).message).toMatch(/circuit breaker.*\(ECS rolls back by itself\).*get_stopped_task_reasons/);
    });

    it('gives up after the bounded wait', async () => {
      h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture({ runningCount: 1, pendingCount: 1 })] });
      const result = await h.call('wait_for_stable', { cluster: 'prod', service: 'web', timeout_seconds: 1 });
      expect(result.structuredContent).toMatchObject({ outcome: 'timed_out', stable: false });
      expect(h.ecsMock.commandCalls(DescribeServicesCommand).length).toBeGreaterThan(1);
    });

    it('refuses a timeout above DEPLOY_STABLE_TIMEOUT_MS', async () => {
      const result = await h.call('wait_for_stable', { cluster: 'prod', service: 'web', timeout_seconds: 100_000 });
      expect(result.isError).toBe(true);
      expect(h.ecsMock.calls()).toHaveLength(0);
    });
  });
});
