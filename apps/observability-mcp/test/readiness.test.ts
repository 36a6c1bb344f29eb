import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createLogger } from '@factory/base-server';
import { createObservabilityService } from '../src/app.js';
import { startTestService, awsError, testConfig, type TestService } from './helpers.js';

type CheckBody = { status: string; message?: string; checked_at?: string; details?: Record<string, unknown> };

interface ReadyBody {
  ready: boolean;
  checks: { aws_connectivity: CheckBody; cloudwatch_permissions: CheckBody };
  dependencies: { required: string[]; optional: string[] };
  errors: string[];
}

async function ready(s: TestService) {
  const res = await fetch(`${s.url}/ready`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

describe('readiness: aws_connectivity and cloudwatch_permissions', () => {
  describe('with results reused for a minimum interval', () => {
    let s: TestService;
    beforeAll(async () => {
      s = await startTestService({ AWS_READY_MIN_INTERVAL_MS: '600000' });
    });
    afterAll(async () => {
      await s.stop();
    });

    it('is ready when STS, DescribeAlarms and DescribeLogGroups answer, and reuses the result instead of calling AWS again', async () => {
      s.stsMock.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
      s.cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
      s.logsMock.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
      const first = await ready(s);
      expect(first.status).toBe(200);
      expect(first.body.dependencies).toEqual({ required: ['aws_connectivity', 'cloudwatch_permissions'], optional: [] });
      expect(first.body.checks.aws_connectivity).toMatchObject({ status: 'ok', details: { account: '123456789012', region: 'eu-west-1' } });
      expect(first.body.checks.cloudwatch_permissions.status).toBe('ok');
      expect(s.cwMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({ MaxRecords: 1 });
      expect(s.logsMock.commandCalls(DescribeLogGroupsCommand)[0]!.args[0].input).toEqual({ limit: 1 });

      const second = await ready(s);
      expect(second.status).toBe(200);
      expect(second.body.checks.aws_connectivity.checked_at).toEqual(expect.any(String));
      expect(s.stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
      expect(s.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
    });
  });

  describe('measured on every call', () => {
    let s: TestService;
    beforeAll(async () => {
      s = await startTestService({ AWS_READY_MIN_INTERVAL_MS: '0', READY_CHECK_TIMEOUT_MS: '300' });
    });
    afterAll(async () => {
      await s.stop();
    });

    it('is not ready, saying which permission is missing, when CloudWatch Logs denies DescribeLogGroups', async () => {
      s.stsMock.reset().on(GetCallerIdentityCommand).resolves({ Account: '1' });
      s.cwMock.reset().on(DescribeAlarmsCommand).resolves({});
      s.logsMock.reset().on(DescribeLogGroupsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform logs:DescribeLogGroups'));
      const r = await ready(s);
      expect(r.status).toBe(503);
      expect(r.body.checks.aws_connectivity.status).toBe('ok');
      expect(r.body.checks.cloudwatch_permissions).toMatchObject({ status: 'error' });
      expect(r.body.checks.cloudwatch_permissions.message).toMatch(/AWS denied logs:DescribeLogGroups/);
    });

    it('is not ready when the credentials are rejected', async () => {
      s.stsMock.reset().on(GetCallerIdentityCommand).rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403));
      s.cwMock.reset().on(DescribeAlarmsCommand).resolves({});
      s.logsMock.reset().on(DescribeLogGroupsCommand).resolves({});
      const r = await ready(s);
      expect(r.status).toBe(503);
      expect(r.body.errors[0]).toMatch(/^aws_connectivity check failed: /);
    });

    it('reports a hanging AWS call as an error within the check timeout instead of hanging', async () => {
      s.stsMock.reset().on(GetCallerIdentityCommand).callsFake(() => new Promise(() => undefined));
      s.cwMock.reset().on(DescribeAlarmsCommand).resolves({});
      s.logsMock.reset().on(DescribeLogGroupsCommand).resolves({});
      const r = await ready(s);
      expect(r.status).toBe(503);
      expect(r.body.checks.aws_connectivity).toMatchObject({ status: 'error', message: 'aws_connectivity did not answer within 300 ms' });
    });
  });
});

describe('readiness without AWS credentials', () => {
  it('reports both checks as not_configured, naming the credential settings, without calling AWS', async () => {
    const none = () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const options = { region: 'eu-west-1', maxAttempts: 1, credentials: none };
    const clients = { cloudwatch: new CloudWatchClient(options), logs: new CloudWatchLogsClient(options), sts: new STSClient(options) };
    const service = createObservabilityService(testConfig(), { ...clients, logger: createLogger({ service: 'observability-mcp', version: 'test', level: 'silent' }) });
    const { url } = await service.start();
    try {
      const res = await fetch(`${url}/ready`);
      const body = (await res.json()) as ReadyBody;
      expect(res.status).toBe(503);
      for (const check of [body.checks.aws_connectivity, body.checks.cloudwatch_permissions]) {
        expect(check).toMatchObject({ status: 'not_configured', message: expect.stringContaining('AWS_ACCESS_KEY_ID') });
      }
    } finally {
      await service.stop();
      for (const c of Object.values(clients)) c.destroy();
    }
  });
});
