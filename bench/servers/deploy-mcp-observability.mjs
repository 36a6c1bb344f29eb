// observability-mcp as deploy-mcp's alarm-guard peer in the bench: the built app, CloudWatch mocked
// with three guard alarms that are all OK. Reports its port over IPC.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createObservabilityService, parseObservabilityConfig } from '../../apps/observability-mcp/dist/app.js';

const requireFromApp = createRequire(new URL('../../apps/observability-mcp/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromApp.resolve(name)).href);
const { CloudWatchClient, DescribeAlarmsCommand } = await load('@aws-sdk/client-cloudwatch');
const { STSClient } = await load('@aws-sdk/client-sts');
const { mockClient } = await load('aws-sdk-client-mock');

const credentials = { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench' };
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1', credentials });
const sts = new STSClient({ region: 'eu-west-1', credentials });
const cwMock = mockClient(cloudwatch);
mockClient(sts);
setInterval(() => cwMock.resetHistory(), 500).unref();
cwMock.on(DescribeAlarmsCommand).resolves({
  MetricAlarms: ['web-5xx', 'web-latency', 'web-unhealthy-hosts'].map((name) => ({
    AlarmName: name,
    StateValue: 'OK',
    StateReason: 'Threshold not crossed',
    StateUpdatedTimestamp: new Date(0),
  })),
});

const config = parseObservabilityConfig({ PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', RATE_LIMIT_PER_MINUTE: '0', AWS_REGION: 'eu-west-1' });
const service = createObservabilityService(config, { cloudwatch, sts });
const { port } = await service.start();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
