// deploy-mcp: the cost of a real read tool over a trivial base-server tool, and the cost of the alarm
// guard (an MCP round trip to observability-mcp) on a guarded dry run.
import { startServer, compare, row, fmt, MCP_HEADERS } from './lib/harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const call = (name, args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
const mcp = (port, body) => ({ url: `http://127.0.0.1:${port}/mcp`, method: 'POST', headers: MCP_HEADERS, body });

/** One call up front: a bench of error results would measure the wrong thing. */
async function expectSuccess(target) {
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  const json = await res.json();
  if (json.error || json.result?.isError) throw new Error(`bench call failed: ${JSON.stringify(json).slice(0, 300)}`);
}

console.log('## deploy-mcp');
const observability = await startServer('deploy-mcp-observability.mjs');
const deploy = await startServer('deploy-mcp-server.mjs', [], { OBSERVABILITY_MCP_URL: `http://127.0.0.1:${observability.port}/mcp` });
const base = await startServer('base-service.mjs');
try {
  const describe = mcp(deploy.port, call('describe_service', { cluster: 'prod', service: 'web', events: 10 }));
  const trivial = mcp(base.port, call('add', { a: 2, b: 3 }));
  await expectSuccess(describe);
  await expectSuccess(trivial);
  const r1 = await compare(describe, trivial, { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('describe_service (SDK-mocked ECS)', r1.a.rps, 'trivial base-server tool', r1.b.rps));
  console.log(`  p99 latency (median round): describe_service ${fmt(r1.a.p99, 1)} ms, trivial ${fmt(r1.b.p99, 1)} ms`);

  const scale = { cluster: 'prod', service: 'web', desired_count: 5, expected_task_definition: 'web:7', dry_run: true };
  const guarded = mcp(deploy.port, call('scale_service', { ...scale, guard_alarms: { names: ['web-5xx', 'web-latency', 'web-unhealthy-hosts'] } }));
  const unguarded = mcp(deploy.port, call('scale_service', scale));
  await expectSuccess(guarded);
  await expectSuccess(unguarded);
  const r2 = await compare(guarded, unguarded, { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('scale_service dry run, alarm-guarded', r2.a.rps, 'same without guard', r2.b.rps));
  console.log(`  p99 latency (median round): guarded ${fmt(r2.a.p99, 1)} ms, unguarded ${fmt(r2.b.p99, 1)} ms`);
} finally {
  await Promise.all([deploy.stop(), observability.stop(), base.stop()]);
}
