// base-server against the peers a user would pick instead, all measured in this run:
// - MCP tools/call, both protocol eras: base-server (auth on, as shipped) vs the MCP SDK v2's own
//   createMcpHandler on bare node:http (no auth) — the honest peer; and base-server with its
//   tools/call fast path off (MCP_FAST_PATH=false: every request through the SDK handler), which the
//   fast path must beat by more than 20 % to earn its place;
// - a declared REST route vs a bare express 5 route with the same auth, body parsing and validation;
// - GET /health vs bare node:http sending the same body and headers;
// - memory kept over BENCH_MCP_CALLS calls.
import { startServer, load, compare, row, fmt, memoryKept, ADD_CALL } from './lib/harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 100_000);
const KEY = 'bench-key-0123456789';
const env = { BENCH_KEY: KEY };
const authHeader = { authorization: `Bearer ${KEY}` };

const ERAS = ADD_CALL;

const ours = await startServer('base-service.mjs', [], env);
const oursPlain = await startServer('base-service.mjs', [], { ...env, MCP_FAST_PATH: 'false' });
const sdk = await startServer('sdk-v2-handler.mjs');
const bareExpress = await startServer('bare-express.mjs', [], env);
const bareNode = await startServer('bare-node-http.mjs');
const mcp = (srv, era, auth) => ({ url: `http://127.0.0.1:${srv.port}/mcp`, method: 'POST', headers: { ...ERAS[era].headers, ...(auth ? authHeader : {}) }, body: ERAS[era].body });

console.log('## base-server');
for (const era of Object.keys(ERAS)) {
  const { a: o, b: r } = await compare(mcp(ours, era, true), mcp(sdk, era, false), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row(`MCP tools/call ${era} (base-server)`, o.rps, 'SDK v2 createMcpHandler', r.rps) + '   goal >= 3x');
  console.log(`  p99 latency (median round): base-server ${fmt(o.p99, 1)} ms, SDK v2 handler ${fmt(r.p99, 1)} ms (goal: no worse)`);
  const { a: f, b: p } = await compare(mcp(ours, era, true), mcp(oursPlain, era, true), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row(`  fast path on (${era})`, f.rps, 'base-server, fast path off', p.rps) + '   goal > 1.20x');
}

const rest = (srv) => ({ url: `http://127.0.0.1:${srv.port}/v1/add`, method: 'POST', headers: { 'content-type': 'application/json', ...authHeader }, body: '{"a":2,"b":3}' });
{
  const { a: o, b } = await compare(rest(ours), rest(bareExpress), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('REST POST /v1/add (base-server)', o.rps, 'bare express 5 + same auth/zod', b.rps) + '   goal >= 0.90x');
}
{
  const health = (srv) => ({ url: `http://127.0.0.1:${srv.port}/health` });
  const { a: o, b } = await compare(health(ours), health(bareNode), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row('GET /health (base-server)', o.rps, 'bare node:http, same headers', b.rps) + '   goal >= 0.90x');
}

// Memory kept over CALLS calls (after warm-up), read after a full GC, for base-server and the SDK peer.
const growth = async (srv, auth) => {
  await load({ ...mcp(srv, '2025-11-25', auth), amount: 5_000 });
  return memoryKept(srv, () => load({ ...mcp(srv, '2025-11-25', auth), amount: CALLS }));
};
console.log(`  memory over ${CALLS} calls: base-server ${await growth(ours, true)}; SDK v2 handler ${await growth(sdk, false)}   goal: flat`);
await Promise.all([ours.stop(), oursPlain.stop(), sdk.stop(), bareExpress.stop(), bareNode.stop()]);
