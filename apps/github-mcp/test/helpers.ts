// Test helpers: a real github-mcp service on a free port, a real MCP SDK client, and GitHub's HTTP
// answered at the boundary by nock (only loopback traffic reaches the network).
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import nock from 'nock';
import { Client, InMemoryTransport, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import { createLogger } from '@factory/base-server';
import { captureLogs } from '@factory/base-server/testing';
import { parseGithubConfig } from '../src/config.js';
import { createGithubService, type GithubService, type GithubServiceDeps } from '../src/app.js';

export const KEY = 'test-key-0123456789abcdef';
export const API = 'https://api.github.com';
export const TOKEN = 'ghp_testtoken000000000000000000000000';
export const SHA = 'a'.repeat(40);
export const SHA2 = 'b'.repeat(40);

export function blockNetwork(): void {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
}

export function restoreNetwork(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}

export function testConfig(env: Record<string, string> = {}) {
  // Generous readiness bounds: this machine is slow and loaded; latency warnings are not what tests check.
  return parseGithubConfig({
    PORT: '0',
    LOG_LEVEL: 'info',
    API_KEYS: `tester:${KEY}`,
    GITHUB_TOKEN: TOKEN,
    READY_CHECK_TIMEOUT_MS: '5000',
    READY_WARN_LATENCY_MS: '60000',
    ...env,
  });
}

export interface Harness {
  service: GithubService;
  client: Client;
  url: string;
  logs: ReturnType<typeof captureLogs>;
  close(): Promise<void>;
}

export async function startGithub(env: Record<string, string> = {}, deps: GithubServiceDeps = {}): Promise<Harness> {
  const logs = captureLogs();
  const config = testConfig(env);
  const logger = createLogger({ service: 'github-mcp', version: 'test', level: config.LOG_LEVEL, destination: logs.stream });
  const service = createGithubService(config, { logger, ...deps });
  const { url } = await service.start();
  const client = new Client({ name: 'github-mcp-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
  return {
    service,
    client,
    url,
    logs,
    async close() {
      await client.close();
      await service.stop();
    },
  };
}

export interface StdioHarness extends Omit<Harness, 'url'> {
  /** Every tool list the client fetched because the server announced notifications/tools/list_changed. */
  changes: Tool[][];
  /** Resolves on the next announced change (after the client has re-listed). */
  nextChange(): Promise<Tool[]>;
}

/**
 * github-mcp served over stdio in-process: base-server's serveStdio (the SDK's stdio entry) on one end
 * of an in-memory transport pair, a real SDK client on the other, so nock still answers GitHub.
 * `era: 'modern'` makes the client negotiate 2026-07-28 (server/discover, subscriptions/listen).
 */
export async function startGithubStdio(env: Record<string, string> = {}, era: 'legacy' | 'modern' = 'legacy'): Promise<StdioHarness> {
  const logs = captureLogs();
  const config = testConfig(env);
  const logger = createLogger({ service: 'github-mcp', version: 'test', level: config.LOG_LEVEL, destination: logs.stream });
  const service = createGithubService(config, { logger, stdio: true });
  const changes: Tool[][] = [];
  let waiting: ((tools: Tool[]) => void) | undefined;
  const client = new Client(
    { name: 'github-mcp-stdio-test', version: '1.0.0' },
    {
      ...(era === 'modern' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
      listChanged: {
        tools: {
          debounceMs: 0,
          onChanged: (err, tools) => {
            if (err || !tools) return;
            changes.push(tools);
            waiting?.(tools);
          },
        },
      },
    },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await service.serveStdio(serverSide);
  await client.connect(clientSide);
  return {
    service,
    client,
    logs,
    changes,
    nextChange: () => new Promise((resolve) => (waiting = resolve)),
    async close() {
      await client.close();
      await service.stop();
    },
  };
}

/** Calls a tool and returns its structured result, failing the test on an isError result. */
export async function callOk(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  expect(result.structuredContent).toBeDefined();
  return result.structuredContent as Record<string, unknown>;
}

/** Calls a tool that must fail; returns its error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBe(true);
  const content = result.content as Array<{ type: string; text: string }>;
  return content.map((c) => c.text).join('\n');
}

/** A Link header that says another page exists. */
export const nextLink = (path: string, page: number) => ({ link: `<${API}${path}?page=${page + 1}>; rel="next", <${API}${path}?page=${page + 5}>; rel="last"` });

export { nock };

/**
 * The lifecycle every toolset test file shares: GitHub's network blocked, one service and client for
 * the file, and every nock interceptor used by each test. Returns the harness (usable inside tests).
 */
export function githubSuite(env: Record<string, string> = {}): Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    blockNetwork();
    harness = await startGithub(env);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(async () => {
    await harness?.close();
    restoreNetwork();
  });
  return new Proxy({} as Harness, {
    get: (_target, prop) => {
      if (!harness) throw new Error('the GitHub harness is used before beforeAll ran');
      return Reflect.get(harness, prop);
    },
  });
}
