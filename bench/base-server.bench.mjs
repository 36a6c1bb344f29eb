// base-server: /health vs a bare express route, and MCP tools/call vs the SDK's stateless pattern.
import { startServer, load, compare, row, fmt, memoryKept, MCP_HEADERS } from './lib/harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 100_000);

async function healthBench() {
  const bare = await startServer('bare-express.mjs');
  const ours = await startServer('base-service.mjs');
  const { a: o, b } = await compare({ url: `http://127.0.0.1:${ours.port}/health` }, { url: `http://127.0.0.1:${bare.port}/health` }, { rounds: ROUNDS, seconds: SECONDS });
  await Promise.all([bare.stop(), ours.stop()]);
  console.log(row('GET /health (base-server)', o.rps, 'bare express 5', b.rps) + '   goal >= 0.90x');
  console.log(`  p99 latency (median round): base-server ${fmt(o.p99, 1)} ms, bare express ${fmt(b.p99, 1)} ms`);
}

const callBody = (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });

async function mcpBench() {
  const ref = await startServer('sdk-stateless.mjs');
  const ours = await startServer('base-service.mjs');
  const opts = (port) => ({ url: `http://127.0.0.1:${port}/mcp`, method: 'POST', headers: MCP_HEADERS, body: callBody(1) });
  const { a: o, b: r } = await compare(opts(ours.port), opts(ref.port), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('MCP tools/call (base-server)', o.rps, 'SDK stateless reference', r.rps) + '   goal >= 2x');
  console.log(`  p99 latency (median round): base-server ${fmt(o.p99, 1)} ms, reference ${fmt(r.p99, 1)} ms (goal: no worse)`);

  // Memory kept over CALLS calls (after warm-up), for both, read after a full GC.
  const growth = async (srv) => {
    await load({ ...opts(srv.port), amount: 5_000 });
    return memoryKept(srv, () => load({ ...opts(srv.port), amount: CALLS }));
  };
  const og = await growth(ours);
  const rg = await growth(ref);
  console.log(`  memory over ${CALLS} calls: base-server ${og}; reference ${rg}   goal < 10 %`);
  await Promise.all([ref.stop(), ours.stop()]);
}

console.log('## base-server');
await healthBench();
await mcpBench();
