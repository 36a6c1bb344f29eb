// Builds a real observability-mcp service in-process with AWS replaced at the SDK-client boundary,
// starts it on a free port and connects an SDK MCP client over Streamable HTTP.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { STSClient } from '@aws-sdk/client-sts';
import { createLogger } from '@factory/base-server';
import { captureLogs } from '@factory/base-server/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { mockClient } from 'aws-sdk-client-mock';
import { createObservabilityService, parseObservabilityConfig } from '../src/app.js';

export const KEY = 'obs-test-key-0123456789abcdef';

export function testConfig(env: Record<string, string> = {}) {
  return parseObservabilityConfig({
    PORT: '0',
    LOG_LEVEL: 'info',
    API_KEYS: `tester:${KEY}`,
    AWS_REGION: 'eu-west-1',
    AWS_MAX_ATTEMPTS: '1',
    LOGS_QUERY_POLL_INTERVAL_MS: '5',
    ...env,
  });
}

/** Fresh clients with static fake credentials (never used: every send is mocked). */
export function testClients() {
  const options = { region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' } };
  const cloudwatch = new CloudWatchClient(options);
  const logs = new CloudWatchLogsClient(options);
  const sts = new STSClient(options);
  return { cloudwatch, logs, sts, cwMock: mockClient(cloudwatch), logsMock: mockClient(logs), stsMock: mockClient(sts) };
}

/** Tool results as tests read them: structuredContent is already validated by the tool's output schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach deep into schema-validated results
export type ToolResultForTest = { isError?: boolean; structuredContent?: Record<string, any>; content: Array<{ type: string; text?: string }> };

export async function startTestService(env: Record<string, string> = {}) {
  const aws = testClients();
  const logs = captureLogs();
  const config = testConfig(env);
  const logger = createLogger({ service: 'observability-mcp', version: 'test', level: 'info', destination: logs.stream });
  const service = createObservabilityService(config, { cloudwatch: aws.cloudwatch, logs: aws.logs, sts: aws.sts, logger });
  const { url } = await service.start();
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ name: 'obs-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    clients.push(client);
    return client;
  };
  const client = await connect();
  return {
    ...aws,
    service,
    url,
    logs,
    client,
    connect,
    async call(name: string, args: Record<string, unknown>) {
      const result = await client.callTool({ name, arguments: args });
      return result as ToolResultForTest;
    },
    async stop() {
      for (const c of clients) await c.close();
      await service.stop();
      aws.cwMock.restore();
      aws.logsMock.restore();
      aws.stsMock.restore();
    },
  };
}

export type TestService = Awaited<ReturnType<typeof startTestService>>;

export const textOf = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((c) => c.text ?? '').join('\n');

/** An AWS SDK-style service exception. */
export function awsError(name: string, message: string, httpStatusCode = 400, fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode } });
}
