import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { awsConnectivityCheck } from '../src/readiness.js';
import { awsCall } from '../src/errors.js';

const sts = new STSClient({ region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' } });
const stsMock = mockClient(sts);
const errors = { app: 'test-mcp' };

afterAll(() => {
  stsMock.restore();
  sts.destroy();
});

beforeEach(() => {
  stsMock.reset();
});

describe('awsConnectivityCheck', () => {
  it('is a required aws_connectivity check reporting account, caller ARN and region', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/test/task', UserId: 'x' });
    const check = awsConnectivityCheck(sts, { minIntervalMs: 60_000, errors });
    expect(check).toMatchObject({ name: 'aws_connectivity', required: true, minIntervalMs: 60_000 });
    const signal = new AbortController().signal;
    await expect(check.run(signal)).resolves.toEqual({
      details: { account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/test/task', region: 'eu-west-1' },
    });
    const calls = stsMock.commandCalls(GetCallerIdentityCommand);
    expect(calls).toHaveLength(1);
    expect((calls[0]!.args as unknown[])[1]).toMatchObject({ abortSignal: signal });
  });

  it('measures on every run when minIntervalMs is 0', () => {
    expect(awsConnectivityCheck(sts, { minIntervalMs: 0, errors })).not.toHaveProperty('minIntervalMs');
  });

  it('fails with the mapped error naming the app when the credentials are rejected', async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' }));
    const check = awsConnectivityCheck(sts, { minIntervalMs: 0, errors });
    await expect(check.run(new AbortController().signal)).rejects.toMatchObject({
      code: 'aws_credentials_invalid',
      message: expect.stringMatching(/^test-mcp has no valid AWS credentials for sts:GetCallerIdentity/),
    });
  });
});

describe('with nothing configured (the SDK finds no region or no credentials)', () => {
  const saved = { ...process.env };
  const unconfigured = (extra: Record<string, string> = {}) => {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    // No profile files and no instance metadata: the SDK's chains find nothing, as on a fresh laptop.
    Object.assign(process.env, { AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials', AWS_EC2_METADATA_DISABLED: 'true', ...extra });
  };
  afterAll(() => {
    process.env = saved;
  });

  it('is not_configured naming AWS_REGION when no region resolves, and a call says the same', async () => {
    unconfigured();
    const bare = new STSClient({ maxAttempts: 1, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' } });
    try {
      const check = awsConnectivityCheck(bare, { minIntervalMs: 0, errors: { app: 'deploy-mcp' } });
      await expect(check.run(new AbortController().signal)).resolves.toEqual({
        status: 'not_configured',
        message: 'no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in the AWS profile',
      });
      await expect(awsCall('ecs:ListClusters', () => bare.send(new GetCallerIdentityCommand({})), { app: 'deploy-mcp' })).rejects.toMatchObject({
        code: 'aws_region_missing',
        message: 'deploy-mcp does not know which AWS region to call for ecs:ListClusters: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in the AWS profile.',
      });
    } finally {
      bare.destroy();
    }
  });

  it('is not_configured naming the credential settings when no credentials resolve', async () => {
    unconfigured({ AWS_REGION: 'eu-west-1' });
    const bare = new STSClient({ maxAttempts: 1 });
    try {
      const result = await awsConnectivityCheck(bare, { minIntervalMs: 0, errors }).run(new AbortController().signal);
      expect(result).toEqual({ status: 'not_configured', message: 'no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a task role' });
    } finally {
      bare.destroy();
    }
  });
});
