// A base-server service with one trivial tool and one declared REST route, as a bench target.
// Reports its port over IPC.
import { createService, parseConfig, baseConfigSchema, defineTool, z } from '@factory/base-server';
import { answerMemoryProbe } from './memory-probe.mjs';

const config = parseConfig(baseConfigSchema, {
  PORT: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // Limits off unless a bench sets them (rate-limit.bench.mjs: in memory, or shared through Redis).
  RATE_LIMIT_PER_MINUTE: process.env.BENCH_RATE_LIMIT ?? '0',
  ...(process.env.BENCH_RATE_LIMIT_REDIS_URL ? { RATE_LIMIT_REDIS_URL: process.env.BENCH_RATE_LIMIT_REDIS_URL, RATE_LIMIT_KEY_PREFIX: process.env.BENCH_RATE_LIMIT_PREFIX } : {}),
  ...(process.env.MCP_FAST_PATH ? { MCP_FAST_PATH: process.env.MCP_FAST_PATH } : {}),
  // With BENCH_KEY set, auth is on (as in production); other benches use it keyless as a trivial-tool reference.
  ...(process.env.BENCH_KEY ? { API_KEYS: `bench:${process.env.BENCH_KEY}` } : {}),
  // With OAUTH_ISSUER set (bench/oauth.bench.mjs), OAuth access tokens are accepted too.
  ...(process.env.OAUTH_ISSUER ? { OAUTH_ISSUER: process.env.OAUTH_ISSUER, OAUTH_AUDIENCE: process.env.OAUTH_AUDIENCE } : {}),
  ...(process.env.OAUTH_TOKEN_CACHE_SIZE ? { OAUTH_TOKEN_CACHE_SIZE: process.env.OAUTH_TOKEN_CACHE_SIZE } : {}),
});
const add = defineTool({
  name: 'add',
  title: 'Add',
  description: 'Adds two numbers.',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  outputSchema: z.object({ sum: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ a, b }) => ({ sum: a + b }),
});
const service = createService({
  name: 'bench-svc',
  version: '1.0.0',
  config,
  tools: [add],
  routes: (api) =>
    api.route({
      method: 'post',
      path: '/v1/add',
      summary: 'Adds two numbers',
      body: z.object({ a: z.number(), b: z.number() }),
      handler: async ({ body }) => ({ sum: body.a + body.b }),
    }),
});
const { port } = await service.start();
answerMemoryProbe();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
