// The honest peer: the MCP SDK v2's own createMcpHandler (both protocol eras, stateless) on bare
// node:http with the SDK's localhost Host/Origin guards, serving the same trivial tool — what a user
// who picks the SDK alone would run.
import { createServer } from 'node:http';
import { z } from 'zod';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler, localhostHostValidation, localhostOriginValidation } from '@modelcontextprotocol/node';
import { answerMemoryProbe } from './memory-probe.mjs';

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'bench-svc', version: '1.0.0' });
  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two numbers.',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: JSON.stringify({ sum: a + b }) }], structuredContent: { sum: a + b } }),
  );
  return server;
});
const node = toNodeHandler(handler);
const validHost = localhostHostValidation();
const validOrigin = localhostOriginValidation();
const server = createServer((req, res) => {
  if (!validHost(req, res) || !validOrigin(req, res)) return;
  void node(req, res);
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
answerMemoryProbe();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
