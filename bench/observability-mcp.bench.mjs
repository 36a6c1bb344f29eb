// observability-mcp: MCP tool calls against a mocked AWS, each next to a baseline from the same run:
// - check_alarms (the deploy guard) and get_metric_data vs a trivial base-server tool (cost of our layer
//   plus the AWS SDK middleware stack, AWS itself excluded);
// - what an agent receives vs the raw AWS payload (bytes and GPT tokens): downsampling and log truncation;
// - GET /ready with its two AWS checks reused for the minimum interval vs GET /ready of a service without checks;
// - memory kept (RSS and live heap after a full GC) over many check_alarms calls.
import { encode } from 'gpt-tokenizer';
import { startServer, load, row, fmt, memoryKept, MCP_HEADERS } from './lib/harness.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 5_000);
const POINTS = 1440;
const LOG_EVENTS = 100;
const LOG_LINE_CHARS = 2000;

const call = (name, args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
const CHECK = call('check_alarms', { prefix: 'bench-' });
const METRICS = call('get_metric_data', {
  queries: [
    { id: 'cpu', namespace: 'AWS/ECS', metric_name: 'CPUUtilization', stat: 'Average', dimensions: [{ name: 'ServiceName', value: 'api' }] },
    { id: 'mem', namespace: 'AWS/ECS', metric_name: 'MemoryUtilization', stat: 'Average', dimensions: [{ name: 'ServiceName', value: 'api' }] },
    { id: 'errors', namespace: 'AWS/ApplicationELB', metric_name: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  ],
  start: '24h',
  period_seconds: 60,
});
const LOGS = call('filter_log_events', { log_group: '/ecs/api', pattern: 'error', limit: 100 });

async function mcp(port, body) {
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: MCP_HEADERS, body });
  const json = await res.json();
  if (json.result?.isError) throw new Error(`tool failed: ${json.result.content?.[0]?.text}`);
  return json.result;
}

console.log('## observability-mcp');
const ref = await startServer('base-service.mjs');
const obs = await startServer('observability-mcp-server.mjs');
try {
  const opts = (port, body) => ({ url: `http://127.0.0.1:${port}/mcp`, method: 'POST', headers: MCP_HEADERS, body });
  const addBody = call('add', { a: 2, b: 3 });
  await load({ ...opts(ref.port, addBody), duration: 1 });
  await load({ ...opts(obs.port, CHECK), duration: 1 });
  await load({ ...opts(obs.port, METRICS), duration: 1 });

  const base1 = await load({ ...opts(ref.port, addBody), duration: DURATION });
  const check = await load({ ...opts(obs.port, CHECK), duration: DURATION });
  const metrics = await load({ ...opts(obs.port, METRICS), duration: DURATION });
  const base2 = await load({ ...opts(ref.port, addBody), duration: DURATION });
  const baseRps = (base1.rps + base2.rps) / 2;
  console.log(row('check_alarms, 20 alarms (mocked AWS)', check.rps, 'trivial base-server tool', baseRps));
  console.log(row(`get_metric_data, 3 x ${POINTS} points -> 60`, metrics.rps, 'trivial base-server tool', baseRps));
  console.log(`  p99 latency: check_alarms ${fmt(check.p99, 1)} ms, get_metric_data ${fmt(metrics.p99, 1)} ms, trivial tool ${fmt(Math.max(base1.p99, base2.p99), 1)} ms`);

  // What the agent receives vs what AWS returned.
  const start = Date.UTC(2026, 0, 1);
  const rawMetrics = JSON.stringify(
    ['cpu', 'mem', 'errors'].map((id) => ({ id, timestamps: Array.from({ length: POINTS }, (_, i) => new Date(start + i * 60_000).toISOString()), values: Array.from({ length: POINTS }, (_, i) => (id === 'cpu' ? 40 + 20 * Math.sin(i / 60) : i)) })),
  );
  const metricOut = JSON.stringify((await mcp(obs.port, METRICS)).structuredContent);
  const rawLogs = JSON.stringify(Array.from({ length: LOG_EVENTS }, (_, i) => ({ timestamp: start + i * 1000, logStreamName: `ecs/api/${i % 4}`, message: 'x'.repeat(LOG_LINE_CHARS) })));
  const logsOut = (await mcp(obs.port, LOGS)).structuredContent;
  const logOut = JSON.stringify(logsOut);
  console.log(row('get_metric_data answer size', metricOut.length, 'raw datapoints', rawMetrics.length, 'bytes'));
  console.log(row('get_metric_data answer tokens', encode(metricOut).length, 'raw datapoints', encode(rawMetrics).length, 'tokens'));
  console.log(row(`filter_log_events answer size (${logsOut.count} events)`, logOut.length, `raw ${LOG_EVENTS} x ${LOG_LINE_CHARS}-char lines`, rawLogs.length, 'bytes'));
  console.log(`  filter_log_events reported lines_truncated=${logsOut.lines_truncated}, chars_omitted=${logsOut.chars_omitted}, events_omitted=${logsOut.events_omitted}`);

  // /ready reuses AWS check results for AWS_READY_MIN_INTERVAL_MS, so it costs about as much as a /ready with no check.
  await load({ url: `http://127.0.0.1:${obs.port}/ready`, duration: 1 });
  await load({ url: `http://127.0.0.1:${ref.port}/ready`, duration: 1 });
  const ready = await load({ url: `http://127.0.0.1:${obs.port}/ready`, duration: DURATION });
  const refReady = await load({ url: `http://127.0.0.1:${ref.port}/ready`, duration: DURATION });
  console.log(row('GET /ready (2 AWS checks, reused)', ready.rps, 'GET /ready, service without checks', refReady.rps));

  // Memory kept over many guard calls, read after a full GC.
  await load({ ...opts(obs.port, CHECK), amount: 2_000 });
  const kept = await memoryKept(obs, () => load({ ...opts(obs.port, CHECK), amount: CALLS }));
  const refKept = await memoryKept(ref, () => load({ ...opts(ref.port, addBody), amount: CALLS }));
  console.log(`  memory over ${CALLS} check_alarms calls: ${kept}; trivial tool server ${refKept}`);
} finally {
  await Promise.all([ref.stop(), obs.stop()]);
}
