import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AWS_CREDENTIALS_MISSING, AWS_REGION_MISSING, awsConnectivityCheck, whenAwsConfigured } from '../src/readiness.js';

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

describe('without region or credentials', () => {
  it('answers not_configured naming AWS_REGION, without calling AWS', async () => {
    const noRegion = { config: { region: () => Promise.reject(new Error('Region is missing')), credentials: () => Promise.resolve({}) } };
    const check = whenAwsConfigured(noRegion, { name: 'x', required: true, run: () => Promise.reject(new Error('must not be called')) });
    await expect(check.run(new AbortController().signal)).resolves.toEqual({ status: 'not_configured', message: AWS_REGION_MISSING });
    expect(AWS_REGION_MISSING).toContain('AWS_REGION');
  });

  it('answers not_configured naming the credential settings when the default chain finds none', async () => {
    const client = new STSClient({
      region: 'eu-west-1',
      credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    });
    try {
      const check = awsConnectivityCheck(client, { minIntervalMs: 0, errors });
      const outcome = await check.run(new AbortController().signal);
      expect(outcome).toEqual({ status: 'not_configured', message: AWS_CREDENTIALS_MISSING });
      expect(AWS_CREDENTIALS_MISSING).toMatch(/AWS_PROFILE.*AWS_ACCESS_KEY_ID/);
    } finally {
      client.destroy();
    }
  });

  it('still fails for a configured credential source that does not work', async () => {
    const client = new STSClient({ region: 'eu-west-1', maxAttempts: 1, credentials: () => Promise.reject(new Error('The SSO session has expired')) });
    try {
      const check = awsConnectivityCheck(client, { minIntervalMs: 0, errors });
      await expect(check.run(new AbortController().signal)).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });
});

describe('a call without a region', () => {
  it('is refused naming AWS_REGION (never the SDK\'s "Region is missing")', async () => {
    const { awsCall } = await import('../src/errors.js');
    const bare = new STSClient({ region: () => Promise.reject<string>(new Error('Region is missing')), maxAttempts: 1, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' } });
    try {
      await expect(awsCall('ecs:ListClusters', () => bare.send(new GetCallerIdentityCommand({})), { app: 'deploy-mcp' })).rejects.toMatchObject({
        code: 'aws_region_missing',
        message: expect.stringContaining('set AWS_REGION'),
      });
    } finally {
      bare.destroy();
    }
  });
});
