import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { request, until } from './helpers.js';

// The README promises a complete service in under 50 lines. This test runs exactly that code.
const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
const section = readme.slice(readme.indexOf('## A new service in under 50 lines'));
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const [configPart, indexPart] = code.split(/^\/\/ apps\/greeter\/src\/index\.ts.*$/m);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGTERM');
});

describe('README: a new service in under 50 lines', () => {
  it('is under 50 lines and really is a complete service: health, ready, REST, MCP', async () => {
    expect(code.trim().split('\n').length).toBeLessThan(50);
    expect(indexPart).toBeDefined();
    // Inside packages/base-server, `@factory/base-server` resolves to this package (self-reference).
    const dir = fileURLToPath(new URL('../.readme-example/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}config.js`, configPart ?? '');
    writeFileSync(`${dir}index.js`, indexPart ?? '');
    const port = await freePort();
    child = spawn(process.execPath, [`${dir}index.js`], { env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'error' }, stdio: 'inherit' });
    const base = `http://127.0.0.1:${port}`;
    await until(async () => (await request(`${base}/ready`).catch(() => undefined))?.status === 200, 'the README service to be ready', 20_000);
    expect((await request(`${base}/health`)).json()).toMatchObject({ status: 'ok', service: 'greeter' });
    expect((await request(`${base}/v1/greetings/Ada`)).json()).toEqual({ greeting: 'Hello, Ada!' });
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    const result = await client.callTool({ name: 'greet', arguments: { name: 'Grace' } });
    expect(result.structuredContent).toEqual({ greeting: 'Hello, Grace!' });
    await client.close();
  });
});
