// The MCP server that workflow bench steps call: `add` (instant) and `sleep` (waits `ms`), both
// read-only, and `tally` (instant, a write: neither read-only nor idempotent, not destructive), on
// base-server as every Factory server. Reports its port over IPC.
import { setTimeout as sleep } from 'node:timers/promises';
import { createService, parseConfig, baseConfigSchema, defineTool, z } from '@factory/base-server';

const config = parseConfig(baseConfigSchema, { PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', API_KEYS: `bench:${process.env.BENCH_KEY}` });
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
let tallied = 0;
const tools = [
  defineTool({
    name: 'add',
    title: 'Add',
    description: 'Adds two numbers.',
    inputSchema: z.object({ a: z.number(), b: z.number() }),
    outputSchema: z.object({ sum: z.number() }),
    annotations: READ,
    handler: async ({ a, b }) => ({ sum: a + b }),
  }),
  defineTool({
    name: 'tally',
    title: 'Tally',
    description: 'Adds n to a counter kept by the server and returns the total.',
    inputSchema: z.object({ n: z.number() }),
    outputSchema: z.object({ total: z.number() }),
    annotations: WRITE,
    handler: async ({ n }) => ({ total: (tallied += n) }),
  }),
  defineTool({
    name: 'sleep',
    title: 'Sleep',
    description: 'Waits ms milliseconds.',
    inputSchema: z.object({ ms: z.number().int().min(0).max(600_000) }),
    outputSchema: z.object({ slept: z.number() }),
    annotations: READ,
    handler: async ({ ms }, ctx) => {
      await sleep(ms, undefined, { signal: ctx.signal }).catch(() => undefined);
      return { slept: ms };
    },
  }),
];
const service = createService({ name: 'workflow-tools', version: '1.0.0', config, tools });
const { port } = await service.start();
process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
process.send({ port });
