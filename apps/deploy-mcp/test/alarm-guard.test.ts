// The alarm guard against a REAL observability-mcp started in-process; only its CloudWatch client (and
// deploy-mcp's ECS/STS clients) are replaced at the SDK boundary.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { createLogger, type Service } from '@factory/base-server';
import { captureLogs } from '@factory/base-server/testing';
import { createObservabilityService, parseObservabilityConfig } from '@factory/observability-mcp';
import { DATABASE_URL, KEY, REGION, TAGS, deploymentFixture, serviceFixture, startDeploy, taskDefinitionFixture, tdArn, textOf, type Harness } from './helpers.js';

const OBS_KEY = 'deploy-guard-key-0123456789';
const NEW_IMAGE = '123.dkr.ecr.eu-west-1.amazonaws.com/web:2.0.0';

/** CloudWatch as observability-mcp sees it: a table of alarms whose states the test flips. */
const alarms = new Map<string, MetricAlarm>();
function setAlarm(name: string, state: 'OK' | 'ALARM', reason = state === 'ALARM' ? 'Threshold Crossed: 5xx rate 12% > 5%' : 'Threshold not crossed') {
  alarms.set(name, { AlarmName: name, StateValue: state, StateReason: reason, StateUpdatedTimestamp: new Date('2026-11-22T03:00:00Z') });
}

describe('alarm guard (real observability-mcp)', () => {
  const cloudwatch = new CloudWatchClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const cloudwatchMock = mockClient(cloudwatch);
  const obsSts = new STSClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  mockClient(obsSts);
  let observability: Service;
  let obsUrl = '';
  let h: Harness;
  let pool: pg.Pool;

  beforeAll(async () => {
    const logs = captureLogs();
    const obsConfig = parseObservabilityConfig({ PORT: '0', API_KEYS: `deploy-mcp:${OBS_KEY}`, AWS_REGION: REGION, LOG_LEVEL: 'info' });
    observability = createObservabilityService(obsConfig, {
      cloudwatch,
      sts: obsSts,
      logger: createLogger({ service: 'observability-mcp', version: 'test', level: 'info', destination: logs.stream }),
    });
    obsUrl = `${(await observability.start()).url}/mcp`;
    h = await startDeploy({
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web',
      OBSERVABILITY_MCP_URL: obsUrl,
      OBSERVABILITY_MCP_API_KEY: OBS_KEY,
      DEPLOY_GUARD_WATCH_MS: '1500',
      DEPLOY_GUARD_POLL_INTERVAL_MS: '50',
    });
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  });
  afterAll(async () => {
    await h.close();
    await observability.stop();
    cloudwatch.destroy();
    obsSts.destroy();
    await pool.end();
  });

  beforeEach(() => {
    h.ecsMock.reset();
    cloudwatchMock.reset();
    alarms.clear();
    cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
      const wantsMetric = !input.AlarmTypes || input.AlarmTypes.includes('MetricAlarm');
      const matched = [...alarms.values()].filter(
        (a) => (input.AlarmNames ? input.AlarmNames.includes(a.AlarmName!) : true) && (input.AlarmNamePrefix ? a.AlarmName!.startsWith(input.AlarmNamePrefix) : true),
      );
      return { MetricAlarms: wantsMetric ? matched.map((a) => ({ ...a })) : [], CompositeAlarms: [] };
    });
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    h.ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionFixture(7), tags: TAGS });
    h.ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionFixture(8, NEW_IMAGE) });
    h.ecsMock.on(UpdateServiceCommand).callsFake((input: { taskDefinition?: string; desiredCount?: number }) => ({
      service: serviceFixture({
        taskDefinition: input.taskDefinition ?? tdArn('web', 7),
        desiredCount: input.desiredCount ?? 2,
        deployments: [deploymentFixture({ taskDefinition: input.taskDefinition ?? tdArn('web', 7), rolloutState: 'IN_PROGRESS' })],
      }),
    }));
  });

  const writes = () => [...h.ecsMock.commandCalls(RegisterTaskDefinitionCommand), ...h.ecsMock.commandCalls(UpdateServiceCommand)];
  const deploy = (guard: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    h.call('deploy_image', { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7', guard_alarms: guard, ...extra });

  it('refuses to deploy while a guard alarm is in ALARM, naming it and its reason', async () => {
    setAlarm('web-5xx', 'ALARM');
    setAlarm('web-latency', 'OK');
    const result = await deploy({ prefix: 'web-' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Refusing to act: guard alarm(s) in ALARM: web-5xx (Threshold Crossed: 5xx rate 12% > 5%). Wait until they are OK, then try again.');
    expect(writes()).toHaveLength(0);
    expect(cloudwatchMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({ AlarmNamePrefix: 'web-' });
  });

  it('refuses to scale while a guard alarm fires, and when a named guard alarm does not exist', async () => {
    setAlarm('web-5xx', 'ALARM');
    const firing = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 3, expected_task_definition: 'web:7', guard_alarms: { names: ['web-5xx'] } });
    expect(textOf(firing)).toMatch(/^Refusing to act: guard alarm\(s\) in ALARM: web-5xx/);
    const missing = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 3, expected_task_definition: 'web:7', guard_alarms: { names: ['web-typo'] } });
    expect(textOf(missing)).toBe('Refusing to act: guard alarm(s) not found: web-typo. A guard that does not exist cannot protect the change; fix the names.');
    expect(writes()).toHaveLength(0);
  });

  it('deploys when every guard alarm is OK, watches the window, and reports a clear watch', async () => {
    setAlarm('web-5xx', 'OK');
    const progress: string[] = [];
    const result = await h.client.callTool(
      { name: 'deploy_image', arguments: { cluster: 'prod', service: 'web', container: 'app', image: NEW_IMAGE, expected_task_definition: 'web:7', guard_alarms: { names: ['web-5xx'] } } },
      { onprogress: (p: { message?: string }) => progress.push(p.message ?? ''), timeout: 60_000 },
    );
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      executed: true,
      rolled_back: false,
      rollback: null,
      guard: { alarms_checked: 1, watch: 'clear', watch_ms: 1500, fired: [], unanswered_checks: 0 },
    });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/^watching guard alarms/);
  });

  it('rolls back automatically when a guard alarm fires after the deploy, and audits both writes', async () => {
    setAlarm('web-5xx', 'OK');
    // The new revision breaks things: the alarm fires once the service was updated to it.
    h.ecsMock.on(UpdateServiceCommand).callsFake((input: { taskDefinition?: string }) => {
      if (input.taskDefinition === tdArn('web', 8)) setAlarm('web-5xx', 'ALARM');
      return { service: serviceFixture({ taskDefinition: input.taskDefinition, deployments: [deploymentFixture({ taskDefinition: input.taskDefinition })] }) };
    });
    const result = await deploy({ names: ['web-5xx'] });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { audit_id: string; rollback: { audit_id: string } };
    expect(result.structuredContent).toMatchObject({
      executed: true,
      rolled_back: true,
      guard: { watch: 'fired', fired: [{ name: 'web-5xx', reason: 'Threshold Crossed: 5xx rate 12% > 5%' }] },
      rollback: { restored_task_definition: 'web:7', reason: expect.stringMatching(/guard alarm\(s\) fired after deploy_image: web-5xx/) },
    });
    const updates = h.ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition);
    expect(updates).toEqual([tdArn('web', 8), tdArn('web', 7)]);
    const { rows } = await pool.query(`select id::text, action, result, details from ${h.schema}.deploy_audit where id in ($1, $2) order by id`, [out.audit_id, out.rollback.audit_id]);
    expect(rows).toMatchObject([
      { action: 'deploy_image', result: 'succeeded' },
      { action: 'auto_rollback', result: 'succeeded', details: { reverts_audit_id: out.audit_id } },
    ]);
  });

  it('restores the previous desired count when a guard alarm fires after scaling', async () => {
    setAlarm('web-5xx', 'OK');
    h.ecsMock.on(UpdateServiceCommand).callsFake((input: { desiredCount?: number }) => {
      if (input.desiredCount === 5) setAlarm('web-5xx', 'ALARM', 'Threshold Crossed: connections exhausted');
      return { service: serviceFixture({ desiredCount: input.desiredCount }) };
    });
    const result = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 5, expected_task_definition: 'web:7', guard_alarms: { prefix: 'web-' } });
    expect(result.structuredContent).toMatchObject({ rolled_back: true, rollback: { restored_desired_count: 2 } });
    expect(h.ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.desiredCount)).toEqual([5, 2]);
  });

  // Counts accumulated by the tests above (jest runs a file's tests in order).
  it('counts guard refusals and automatic rollbacks in /metrics', async () => {
    const res = await fetch(`${h.url}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } });
    const text = await res.text();
    expect(text).toMatch(/^deploy_guard_refusals_total\{reason="alarm_firing"[^}]*\} 2$/m);
    expect(text).toMatch(/^deploy_guard_refusals_total\{reason="bad_guard"[^}]*\} 1$/m);
    expect(text).toMatch(/^deploy_writes_total\{action="auto_rollback",result="succeeded"[^}]*\} 2$/m);
    expect(text).toMatch(/^deploy_writes_total\{action="deploy_image",result="succeeded"[^}]*\} 2$/m);
  });

  it('keeps asking after observability-mcp restarts (reconnects instead of using a dead connection)', async () => {
    setAlarm('web-5xx', 'OK');
    expect((await deploy({ names: ['web-5xx'] }, { dry_run: true })).isError).toBeFalsy();
    const port = new URL(obsUrl).port;
    await observability.stop();
    const logs = captureLogs();
    observability = createObservabilityService(
      parseObservabilityConfig({ PORT: port, API_KEYS: `deploy-mcp:${OBS_KEY}`, AWS_REGION: REGION, LOG_LEVEL: 'info' }),
      { cloudwatch, sts: obsSts, logger: createLogger({ service: 'observability-mcp', version: 'test', level: 'info', destination: logs.stream }) },
    );
    await observability.start();
    const after = await deploy({ names: ['web-5xx'] }, { dry_run: true });
    expect(after.isError).toBeFalsy();
    expect(after.structuredContent).toMatchObject({ dry_run: true, executed: false });
  });

  it('fails closed when observability-mcp is unreachable, and says so', async () => {
    const offline = await startDeploy({
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web',
      OBSERVABILITY_MCP_URL: 'http://127.0.0.1:9/mcp',
      OBSERVABILITY_MCP_API_KEY: OBS_KEY,
      OBSERVABILITY_MCP_TIMEOUT_MS: '3000',
    });
    try {
      offline.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
      offline.ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionFixture(7), tags: TAGS });
      const result = await offline.call('deploy_image', {
        cluster: 'prod',
        service: 'web',
        container: 'app',
        image: NEW_IMAGE,
        expected_task_definition: 'web:7',
        guard_alarms: { prefix: 'web-' },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Refusing to act: could not ask observability-mcp \(http:\/\/127\.0\.0\.1:9\/mcp\) about the guard alarms .*fails closed/);
      expect(offline.ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
      expect(offline.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    } finally {
      await offline.close();
    }
  });

  it('fails closed when observability-mcp rejects deploy-mcp\'s API key', async () => {
    const wrongKey = await startDeploy({
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web',
      OBSERVABILITY_MCP_URL: obsUrl,
      OBSERVABILITY_MCP_API_KEY: 'not-the-right-key-0123456789',
    });
    try {
      wrongKey.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
      const result = await wrongKey.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 3, expected_task_definition: 'web:7', guard_alarms: { prefix: 'web-' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Refusing to act: could not ask observability-mcp .*fails closed/);
      expect(wrongKey.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    } finally {
      await wrongKey.close();
    }
  });
});
