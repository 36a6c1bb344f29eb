// Log output as an operator sees it: readable lines on a terminal (a real pseudo-terminal, from
// util-linux `script`), JSON lines when piped; and the access log of an MCP client's normal session.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { KEY, makeService, until } from './helpers.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const program = `import { createLogger } from ${JSON.stringify(dist)};
const format = process.env.LOG_FORMAT;
createLogger({ service: 'logger-test', version: '1', level: 'info', ...(format ? { format } : {}) }).info({ port: 3004 }, 'memory ready');`;

function runLogger(onTerminal: boolean, env: Record<string, string> = {}): string {
  const node = [process.execPath, '--input-type=module', '-e', program];
  const quoted = node.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = onTerminal
    ? spawnSync('script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
    : spawnSync(node[0] ?? 'node', node.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  expect(r.status).toBe(0);
  return r.stdout;
}

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').trim();

describe('log format', () => {
  it('writes readable lines when stdout is a terminal', () => {
    const out = plain(runLogger(true));
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: memory ready\s+port: 3004$/);
  });

  it('writes JSON lines when stdout is not a terminal', () => {
    expect(JSON.parse(runLogger(false))).toMatchObject({ level: 'info', service: 'logger-test', msg: 'memory ready', port: 3004 });
  });

  it('follows LOG_FORMAT over the terminal check', () => {
    expect(JSON.parse(plain(runLogger(true, { LOG_FORMAT: 'json' })))).toMatchObject({ level: 'info', msg: 'memory ready' });
    expect(plain(runLogger(false, { LOG_FORMAT: 'pretty' }))).toContain('INFO: memory ready');
  });
});

describe('access log of an MCP client session', () => {
  const { service, logs } = makeService({}, { LOG_LEVEL: 'debug' });
  let url = '';
  beforeAll(async () => {
    url = (await service.start()).url;
  });
  afterAll(async () => {
    await service.stop();
  });

  it("logs an MCP client session without a warning: a 2025-era client's GET /mcp (405 from a stateless server) is debug", async () => {
    const headers = { Authorization: `Bearer ${KEY}` };
    // The control center's client (SDK v2) …
    const client = new Client({ name: 'probe', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
    await client.listTools();
    await client.close();
    // … and a 2025-era client (SDK v1, as most MCP hosts ship), which asks GET /mcp after initialize.
    const legacy = new LegacyClient({ name: 'probe-2025', version: '1' });
    await legacy.connect(new LegacyTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
    await legacy.listTools();
    const getProbe = () => logs.lines().find((l) => l.msg === 'request completed' && (l.req as { method: string }).method === 'GET');
    await until(getProbe, "the 2025-era client's GET /mcp");
    await legacy.close();
    const access = logs.lines().filter((l) => l.msg === 'request completed');
    const probe = access.find((l) => (l.req as { method: string }).method === 'GET');
    expect(probe).toMatchObject({ level: 'debug', req: { url: '/mcp' }, res: { statusCode: 405 } });
    expect(logs.lines().filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    // A real client error on /mcp is still a warning.
    await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(logs.lines().some((l) => l.level === 'warn' && (l.res as { statusCode: number } | undefined)?.statusCode === 401)).toBe(true);
  });
});
