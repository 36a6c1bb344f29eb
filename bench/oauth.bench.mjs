// OAuth resource-server cost: MCP tools/call (2026-07-28) on one base-server service that accepts both
// API keys and OAuth access tokens, called with a JWT from a local issuer (verified on the real path:
// discovery, JWKS fetched once and cached, signature, iss/aud/exp) vs with an API key, in the same run;
// as shipped (verified tokens cached, src/token-cache.ts) and with the cache off (OAUTH_TOKEN_CACHE_SIZE=0:
// an ES256 signature check on every request).
import { startServer, compare, row, fmt, ADD_CALL } from './lib/harness.mjs';
import { startTestIssuer } from '@factory/base-server/testing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const KEY = 'bench-key-0123456789';
const AUDIENCE = 'http://127.0.0.1/mcp';

const issuer = await startTestIssuer();
const token = await issuer.token({ audience: AUDIENCE, scope: 'bench-svc:read bench-svc:write' });
const oauthEnv = { BENCH_KEY: KEY, OAUTH_ISSUER: issuer.issuer, OAUTH_AUDIENCE: AUDIENCE };
const srv = await startServer('base-service.mjs', [], oauthEnv);
const uncached = await startServer('base-service.mjs', [], { ...oauthEnv, OAUTH_TOKEN_CACHE_SIZE: '0' });

const call = (server, credential) => ({
  url: `http://127.0.0.1:${server.port}/mcp`,
  method: 'POST',
  headers: { ...ADD_CALL['2026-07-28'].headers, authorization: `Bearer ${credential}` },
  body: ADD_CALL['2026-07-28'].body,
});

console.log('## OAuth (base-server resource server)');
for (const [label, server] of [['as shipped, verified tokens cached', srv], ['OAUTH_TOKEN_CACHE_SIZE=0', uncached]]) {
  const { a: jwt, b: key } = await compare(call(server, token), call(server, KEY), { rounds: ROUNDS, seconds: SECONDS });
  console.log(row(`MCP tools/call, OAuth JWT (${label})`, jwt.rps, 'API key, same server', key.rps) + '   goal >= 0.80x');
  console.log(`  p50/p99 latency (median round): JWT ${fmt(jwt.p50, 1)}/${fmt(jwt.p99, 1)} ms, API key ${fmt(key.p50, 1)}/${fmt(key.p99, 1)} ms`);
}
console.log(`  JWKS fetched ${issuer.jwksFetches()} time(s) in the whole run (once per server)`);
await Promise.all([srv.stop(), uncached.stop()]);
await issuer.close();
