import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { awsClientConfig } from '@factory/aws';
import { observabilityTools } from '../src/app.js';
import { startTestService, testClients, testConfig, type TestService } from './helpers.js';

const EXPECTED_TOOLS = [
  'check_alarms',
  'describe_alarms_for_metric',
  'describe_log_groups',
  'filter_log_events',
  'get_active_alarms',
  'get_alarm_history',
  'get_logs_insights_results',
  'get_metric_data',
  'get_service_health',
  'list_metrics',
  'run_logs_insights_query',
];

describe('tool catalog', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('serves every tool with a description, input and output schemas, and read-only annotations', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(EXPECTED_TOOLS);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: true });
      expect(typeof tool.annotations!.idempotentHint).toBe('boolean');
    }
  });

  it('declares the tool list as data, the same list the server serves', () => {
    const aws = testClients();
    const tools = observabilityTools(aws, testConfig());
    expect(tools).toHaveLength(11);
    for (const t of tools) expect(t.annotations.readOnlyHint).toBe(true);
  });
});

describe('AWS client settings', () => {
  it('uses the configured region, explicit timeouts and standard retries', async () => {
    const config = testConfig({ AWS_REGION: 'ap-southeast-2', AWS_CONNECT_TIMEOUT_MS: '1500', AWS_REQUEST_TIMEOUT_MS: '7000', AWS_MAX_ATTEMPTS: '4' });
    const options = awsClientConfig(config);
    expect(options).toEqual({ region: 'ap-southeast-2', maxAttempts: 4, retryMode: 'standard', requestHandler: { connectionTimeout: 1500, requestTimeout: 7000 } });
    const client = new CloudWatchClient(options);
    expect(await client.config.region()).toBe('ap-southeast-2');
    expect(await client.config.maxAttempts()).toBe(4);
    client.destroy();
  });

  it('leaves an unset region to the SDK, as deploy-mcp does, and defaults to port 3003', () => {
    const config = testConfig({ AWS_REGION: '', PORT: '' });
    expect(config.AWS_REGION).toBeUndefined();
    expect(awsClientConfig(config)).not.toHaveProperty('region');
    expect(config.PORT).toBe(3003);
  });

  it('rejects a bad setting with a message naming the variable', () => {
    expect(() => testConfig({ LOGS_QUERY_POLL_INTERVAL_MS: 'soon' })).toThrow(/LOGS_QUERY_POLL_INTERVAL_MS/);
    expect(() => testConfig({ AWS_REGION: 'Frankfurt' })).toThrow(/AWS_REGION: expected an AWS region/);
  });
});

describe('stdio entrypoint', () => {
  const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  it('serves the tools over stdio from the built entry', async () => {
    if (!existsSync(entry)) throw new Error('run `pnpm build` before the tests: dist/index.js is missing');
    const transport = new StdioClientTransport({ command: process.execPath, args: [entry, '--stdio'], env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', LOG_LEVEL: 'warn' }, stderr: 'pipe' });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.some((t) => t.name === 'check_alarms')).toBe(true);
    const bad = await client.callTool({ name: 'check_alarms', arguments: {} });
    expect(bad.isError).toBe(true);
    await client.close();
  });
});
