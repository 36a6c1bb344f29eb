// observability-mcp as a bench target: the built app with AWS replaced at the SDK-client boundary by
// aws-sdk-client-mock (canned alarms, a day of one-minute metrics, verbose log lines). Reports its port over IPC.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { createObservabilityService, parseObservabilityConfig } from '../../apps/observability-mcp/dist/app.js';
import { answerMemoryProbe } from './memory-probe.mjs';

// The SDK and the mock library are the app's dependencies: resolve them from the app, so the client
// classes are the very ones the app uses.
const requireFromApp = createRequire(new URL('../../apps/observability-mcp/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromApp.resolve(name)).href);
const { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } = await load('@aws-sdk/client-cloudwatch');
const { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } = await load('@aws-sdk/client-cloudwatch-logs');
const { STSClient, GetCallerIdentityCommand } = await load('@aws-sdk/client-sts');
const { mockClient } = await load('aws-sdk-client-mock');

const POINTS = 1440;
const LOG_EVENTS = 100;
const LOG_LINE_CHARS = 2000;

const credentials = { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench' };
const cloudwatch = new CloudWatchClient({ region: 'us-east-1', credentials });
const logs = new CloudWatchLogsClient({ region: 'us-east-1', credentials });
const sts = new STSClient({ region: 'us-east-1', credentials });

const start = Date.UTC(2026, 0, 1);
const timestamps = Array.from({ length: POINTS }, (_, i) => new Date(start + i * 60_000));
const series = (id, f) => ({ Id: id, Label: id, StatusCode: 'Complete', Timestamps: timestamps, Values: timestamps.map((_, i) => f(i)) });

const cwMock = mockClient(cloudwatch);
const logsMock = mockClient(logs);
const stsMock = mockClient(sts);
// sinon stubs remember every call; forget them regularly so the mock's history is not measured as our memory.
setInterval(() => {
  cwMock.resetHistory();
  logsMock.resetHistory();
  stsMock.resetHistory();
}, 500).unref();

cwMock
  .on(DescribeAlarmsCommand)
  .resolves({
    MetricAlarms: Array.from({ length: 20 }, (_, i) => ({
      AlarmName: `bench-alarm-${i}`,
      StateValue: i === 7 ? 'ALARM' : 'OK',
      StateReason: 'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (01/01/26 00:00:00)] was greater than the threshold (2.0).',
      StateUpdatedTimestamp: new Date(start),
    })),
  })
  .on(GetMetricDataCommand)
  .resolves({
    MetricDataResults: [
      series('cpu', (i) => 40 + 20 * Math.sin(i / 60)),
      series('mem', (i) => 50 + i / 100),
      series('errors', (i) => (i % 97 === 0 ? 12 : 0)),
    ],
  });
logsMock
  .on(FilterLogEventsCommand)
  .resolves({
    events: Array.from({ length: LOG_EVENTS }, (_, i) => ({
      timestamp: start + i * 1000,
      logStreamName: `ecs/api/${i % 4}`,
      message: `{"level":"error","msg":"request failed","i":${i},"stack":"${'x'.repeat(LOG_LINE_CHARS - 60)}"}`,
    })),
  })
  .on(DescribeLogGroupsCommand)
  .resolves({ logGroups: [] });
stsMock.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });

const config = parseObservabilityConfig({ PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', RATE_LIMIT_PER_MINUTE: '0' });
const service = createObservabilityService(config, { cloudwatch, logs, sts });
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
