// Error tracking against a local fake Sentry ingest: the real @sentry/node SDK, configured with a DSN
// whose host is a node:http server here, sends its envelopes to it. Only unexpected errors arrive,
// tagged and scrubbed; 4xx, outages and the isError results a caller caused never do.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { BadRequestError, defineTool, dependencyUnavailable, z, type Service } from '../src/index.js';
import { auth, failingTool, echoTool, KEY, makeService, request } from './helpers.js';
import { FILTERED, scrubEvent } from '../src/error-tracking.js';

interface Envelope {
  items: Array<{ type: string; payload: Record<string, unknown> }>;
}

/** A fake ingest: records every envelope POSTed to /api/<project>/envelope/ (and the paths of all other POSTs). */
async function startIngest(): Promise<{ port: number; envelopes: Envelope[]; otherPosts: string[]; close(): Promise<void> }> {
  const envelopes: Envelope[] = [];
  const otherPosts: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && /^\/api\/\d+\/envelope\/?/.test(req.url ?? '')) {
        const raw = Buffer.concat(chunks);
        const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        const [, ...lines] = text.split('\n').filter(Boolean);
        const items: Envelope['items'] = [];
        for (let i = 0; i + 1 < lines.length; i += 2) items.push({ type: (JSON.parse(lines[i]!) as { type: string }).type, payload: JSON.parse(lines[i + 1]!) });
        envelopes.push({ items });
      } else if (req.method === 'POST') otherPosts.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    envelopes,
    otherPosts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const TOKEN_IN_URL = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

const callerFaultTool = defineTool({
  name: 'refuse',
  title: 'Refuse',
  description: 'Refuses with a 4xx AppError: the caller asked for something wrong.',
  inputSchema: z.object({}),
  outputSchema: z.object({}),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async () => {
    throw new BadRequestError('bad_widget', 'That widget does not exist; call list_widgets.');
  },
});

const mcpCall = (name: string, args: Record<string, unknown>, requestId: string) => ({
  method: 'POST',
  headers: {
    ...auth(),
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-11-25',
    'x-request-id': requestId,
  },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
});

let ingest: Awaited<ReturnType<typeof startIngest>>;
let service: Service;
let events: Array<Record<string, unknown>>;

beforeAll(async () => {
  ingest = await startIngest();
  ({ service } = makeService(
    {
      tools: [echoTool, failingTool, callerFaultTool],
      routes: (api) => {
        api.route({
          method: 'post',
          path: '/v1/boom',
          summary: 'A bug',
          handler: async () => {
            throw new Error(`widget lookup failed for Bearer ${KEY} at https://api.example.com/w?access_token=${TOKEN_IN_URL} with ${JWT}`);
          },
        });
        api.route({ method: 'post', path: '/v1/bad', summary: 'A caller error', handler: async () => Promise.reject(new BadRequestError('bad_widget', 'No such widget.')) });
        api.route({ method: 'post', path: '/v1/down', summary: 'An outage', handler: async () => Promise.reject(dependencyUnavailable('database', new Error('connect ECONNREFUSED'))) });
      },
    },
    { SENTRY_DSN: `http://publickey@127.0.0.1:${ingest.port}/42`, SENTRY_ENVIRONMENT: 'test-env' },
  ));
  const { url } = await service.start();
  const post = (path: string, requestId: string) =>
    request(`${url}${path}?access_token=${TOKEN_IN_URL}`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', 'x-request-id': requestId, cookie: `session=${JWT}` }, body: '{}' });
  expect((await post('/v1/boom', 'req-boom')).status).toBe(500);
  expect((await post('/v1/bad', 'req-bad')).status).toBe(400);
  expect((await post('/v1/down', 'req-down')).status).toBe(503);
  const explode = await request(`${url}/mcp`, mcpCall('explode', {}, 'req-explode'));
  const refuse = await request(`${url}/mcp`, mcpCall('refuse', {}, 'req-refuse'));
  const badArgs = await request(`${url}/mcp`, mcpCall('echo', { message: 42 }, 'req-bad-args'));
  for (const r of [explode, refuse, badArgs]) expect(r.json().result.isError).toBe(true);
  // Stopping flushes what the SDK still holds (the shutdown registry's error-tracking closer).
  await service.stop();
  events = ingest.envelopes.flatMap((e) => e.items.filter((i) => i.type === 'event').map((i) => i.payload));
}, 30_000);

afterAll(async () => {
  await ingest.close();
});

const tagsOf = (event: Record<string, unknown>) => event.tags as Record<string, string>;
const byRequest = (id: string) => events.filter((e) => tagsOf(e).request_id === id);

describe('error tracking (Sentry, SENTRY_DSN set)', () => {
  it('captures a 500 with the request id, service, version, release and environment', () => {
    const [event, ...more] = byRequest('req-boom');
    expect(more).toEqual([]);
    expect(event).toBeDefined();
    expect(tagsOf(event!)).toMatchObject({ request_id: 'req-boom', service: 'test-svc', version: '9.9.9' });
    expect(event).toMatchObject({ release: 'test-svc@9.9.9', environment: 'test-env', user: { id: 'tester' }, contexts: { request: { method: 'POST', path: '/v1/boom' } } });
    const exception = (event!.exception as { values: Array<{ type: string; value: string }> }).values.at(-1)!;
    expect(exception.type).toBe('Error');
    expect(exception.value).toContain('widget lookup failed');
  });

  it('scrubs the API key, bearer credentials, tokens in URLs and JWTs from what it sends', () => {
    const text = JSON.stringify(byRequest('req-boom'));
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(TOKEN_IN_URL);
    expect(text).not.toContain(JWT);
    expect(text).toContain(`Bearer ${FILTERED}`);
    expect(text).toContain(`access_token=${FILTERED}`);
    // No request headers, cookies or query strings are attached at all.
    expect(text).not.toMatch(/authorization|cookie/i);
  });

  it('captures a tool handler that threw a bug (an isError the caller did not cause), tagged with the tool', () => {
    const [event] = byRequest('req-explode');
    expect(event).toBeDefined();
    expect(tagsOf(event!)).toMatchObject({ 'mcp.tool': 'explode', service: 'test-svc' });
    expect(event!.user).toEqual({ id: 'tester' });
  });

  it('sends nothing for a 400, a dependency outage (503), or isError results the caller caused', () => {
    expect(byRequest('req-bad')).toEqual([]);
    expect(byRequest('req-down')).toEqual([]);
    expect(byRequest('req-refuse')).toEqual([]);
    expect(byRequest('req-bad-args')).toEqual([]);
    expect(events).toHaveLength(2);
  });
});

describe('scrubEvent', () => {
  it('filters values under secret-looking keys and secrets inside strings, keeping the rest', () => {
    const scrubbed = scrubEvent({
      request: { headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k', accept: 'json' }, cookies: { sid: 'x' } },
      extra: { github_token: 'ghp_x', url: 'postgres://app:hunter2@db:5432/app', note: 'key AKIAABCDEFGHIJKLMNOP used' },
      breadcrumbs: [{ message: 'GET https://x.test/cb?code=s3cr3t&state=ok' }],
    });
    expect(scrubbed).toEqual({
      request: { headers: { Authorization: FILTERED, 'X-Api-Key': FILTERED, accept: 'json' }, cookies: FILTERED },
      extra: { github_token: FILTERED, url: `postgres://${FILTERED}@db:5432/app`, note: `key ${FILTERED} used` },
      breadcrumbs: [{ message: `GET https://x.test/cb?code=${FILTERED}&state=ok` }],
    });
  });
});

describe('error tracking started by the instrument preload', () => {
  it('reports an uncaught exception of the process, tagged and scrubbed, next to OpenTelemetry exporting its spans', async () => {
    const own = await startIngest();
    const secret = 'crash-secret-0123456789abcdef';
    const child = spawn(
      process.execPath,
      ['--import', fileURLToPath(new URL('../dist/instrument.js', import.meta.url)), fileURLToPath(new URL('./fixtures/crashing-server.mjs', import.meta.url))],
      {
        env: {
          PATH: process.env.PATH ?? '',
          SENTRY_DSN: `http://publickey@127.0.0.1:${own.port}/7`,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${own.port}`,
          OTEL_SERVICE_NAME: 'crash-svc',
          CRASH_SECRET: secret,
          NODE_ENV: 'production',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      // runService logs it, stops the service (flushing the events), and exits 1.
      expect(code).toBe(1);
      const crashes = own.envelopes.flatMap((e) => e.items.filter((i) => i.type === 'event').map((i) => i.payload));
      expect(crashes).toHaveLength(1);
      const [crash] = crashes;
      expect(tagsOf(crash!)).toMatchObject({ service: 'crash-svc', version: '2.0.0' });
      expect(crash).toMatchObject({ release: 'crash-svc@2.0.0', environment: 'production', level: 'fatal' });
      const text = JSON.stringify(crash);
      expect(text).toContain('background job crashed');
      expect(text).not.toContain(secret);
      // Tracing is still the one OpenTelemetry setup of the preload, exporting over OTLP.
      expect(own.otherPosts).toContain('/v1/traces');
    } finally {
      child.kill('SIGKILL');
      await own.close();
    }
  }, 120_000);
});
