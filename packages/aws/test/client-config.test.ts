import { describe, expect, it } from '@jest/globals';
import { STSClient } from '@aws-sdk/client-sts';
import { parseConfig, z } from '@factory/base-server';
import { awsClientConfig } from '../src/client-config.js';
import { awsConfigShape, awsRegion } from '../src/config.js';

const schema = z.object({ ...awsConfigShape });
const withDefaultRegion = z.object({ ...awsConfigShape, AWS_REGION: awsRegion('us-east-1') });

describe('awsConfigShape', () => {
  it('defaults to a 3 s connect timeout, a 10 s request timeout, 3 attempts and no region', () => {
    expect(parseConfig(schema, {})).toEqual({ AWS_REGION: undefined, AWS_CONNECT_TIMEOUT_MS: 3_000, AWS_REQUEST_TIMEOUT_MS: 10_000, AWS_MAX_ATTEMPTS: 3 });
  });

  it('treats an empty AWS_REGION as unset, or as the default region an app chose', () => {
    expect(parseConfig(schema, { AWS_REGION: ' ' }).AWS_REGION).toBeUndefined();
    expect(parseConfig(withDefaultRegion, {}).AWS_REGION).toBe('us-east-1');
    expect(parseConfig(withDefaultRegion, { AWS_REGION: '' }).AWS_REGION).toBe('us-east-1');
    expect(parseConfig(withDefaultRegion, { AWS_REGION: ' eu-west-1 ' }).AWS_REGION).toBe('eu-west-1');
  });

  it('rejects a malformed region and out-of-range numbers, naming the variable', () => {
    expect(() => parseConfig(schema, { AWS_REGION: 'Europe' })).toThrow(/AWS_REGION/);
    expect(() => parseConfig(schema, { AWS_CONNECT_TIMEOUT_MS: '50' })).toThrow(/AWS_CONNECT_TIMEOUT_MS/);
    expect(() => parseConfig(schema, { AWS_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/AWS_REQUEST_TIMEOUT_MS/);
    expect(() => parseConfig(schema, { AWS_MAX_ATTEMPTS: '11' })).toThrow(/AWS_MAX_ATTEMPTS/);
  });
});

describe('awsClientConfig', () => {
  it('gives an SDK client the region, both timeouts, standard retries and the attempt limit', async () => {
    const config = parseConfig(schema, { AWS_REGION: 'ap-southeast-2', AWS_CONNECT_TIMEOUT_MS: '1234', AWS_REQUEST_TIMEOUT_MS: '5678', AWS_MAX_ATTEMPTS: '4' });
    expect(awsClientConfig(config)).toEqual({
      region: 'ap-southeast-2',
      maxAttempts: 4,
      retryMode: 'standard',
      requestHandler: { connectionTimeout: 1234, requestTimeout: 5678 },
    });
    const client = new STSClient(awsClientConfig(config));
    try {
      expect(await client.config.region()).toBe('ap-southeast-2');
      expect(await client.config.maxAttempts()).toBe(4);
      expect(client.config.retryMode).toBe('standard');
      // The SDK's NodeHttpHandler keeps its resolved options in `configProvider`.
      const handlerConfig = await (client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
      expect(handlerConfig).toMatchObject({ connectionTimeout: 1234, requestTimeout: 5678 });
    } finally {
      client.destroy();
    }
  });

  it('leaves an unset region out, so the SDK resolves it', () => {
    expect(awsClientConfig(parseConfig(schema, {}))).not.toHaveProperty('region');
  });
});
