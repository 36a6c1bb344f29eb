import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { makeService, KEY } from './helpers.js';

describe('MCP over Streamable HTTP', () => {
  const { service } = makeService();
  let url = '';
  beforeAll(async () => {
    url = (await service.start()).url;
  });
  afterAll(async () => {
    await service.stop();
  });

  async function connect() {
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    return client;
  }

  it('lets an SDK client list and call tools', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'explode']);
    const echo = tools.find((t) => t.name === 'echo');
    expect(echo?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(echo?.outputSchema).toMatchObject({ type: 'object' });
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ echoed: 'hi', caller: 'tester' });
    await client.close();
  });

  it('turns a thrown handler error into an isError result with a clean message', async () => {
    const client = await connect();
    const result = await client.callTool({ name: 'explode', arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: 'the widget broke' }]);
    await client.close();
  });
});
