import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../src/index.js';
import { makeService, KEY, until } from './helpers.js';
import { startTestIssuer } from '../src/testing.js';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'test-svc', exporter });

afterAll(async () => {
  await tracing?.shutdown();
});

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });

describe('OpenTelemetry tracing', () => {
  it('is off unless an OTLP endpoint (or exporter) is configured', () => {
    expect(startTracing({ serviceName: 'x' })).toBeUndefined();
    expect(tracing).toBeDefined();
  });

  it('records a span per tool call with the MCP and gen_ai attributes, error.type on isError', async () => {
    const { service } = makeService();
    const { url } = await service.start();
    try {
      const client = new Client({ name: 't', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
      await client.callTool({ name: 'echo', arguments: { message: 'traced' } });
      await client.callTool({ name: 'explode', arguments: {} });
      await client.close();
      const spans = exporter.getFinishedSpans();
      const ok = spans.find((s) => s.name === 'tools/call echo');
      expect(ok?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'enduser.id': 'tester' });
      expect(ok?.attributes['error.type']).toBeUndefined();
      const failed = spans.find((s) => s.name === 'tools/call explode');
      expect(failed?.attributes['error.type']).toBe('tool_error');
    } finally {
      await service.stop();
    }
  });

  it("names an OAuth caller by its token's subject (enduser.id) on the tool span", async () => {
    const issuer = await startTestIssuer();
    const audience = 'https://traced.example.test/mcp';
    const { service } = makeService({}, { OAUTH_ISSUER: issuer.issuer, OAUTH_AUDIENCE: audience });
    const { url } = await service.start();
    try {
      const token = await issuer.token({ audience, scope: 'test-svc:read', subject: 'alice@example.com', clientId: 'vscode' });
      const client = new Client({ name: 't', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      await client.callTool({ name: 'echo', arguments: { message: 'as alice' } });
      await client.close();
      const span = exporter.getFinishedSpans().find((s) => s.name === 'tools/call echo' && s.attributes['enduser.id'] === 'alice@example.com');
      expect(span).toBeDefined();
    } finally {
      await service.stop();
      await issuer.close();
    }
  });

  it('with the instrument preload, exports HTTP server and tool spans over OTLP to the configured endpoint', async () => {
    const received: string[] = [];
    const collector = createServer(async (req, res) => {
      received.push(`${req.url} ${await readBody(req)}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const child = spawn(
      process.execPath,
      ['--import', fileURLToPath(new URL('../dist/instrument.js', import.meta.url)), fileURLToPath(new URL('./fixtures/traced-server.mjs', import.meta.url))],
      { env: { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'traced-svc', API_KEYS: `tester:${KEY}` }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const started = await until(
        () => out.split('\n').map((l) => (l.startsWith('{"port"') ? (JSON.parse(l) as { port: number }) : undefined)).find(Boolean),
        'the traced server to start',
        30_000,
      );
      const port = started.port;
      const client = new Client({ name: 't', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
      await client.callTool({ name: 'echo', arguments: { message: 'over otlp' } });
      await client.close();
      child.kill('SIGTERM'); // shutdown flushes the batch exporter
      await until(() => received.some((r) => r.includes('tools/call echo')), 'spans to reach the collector', 20_000);
      const all = received.join('\n');
      expect(received.some((r) => r.startsWith('/v1/traces '))).toBe(true); // (metrics may be exported too, first or not)
      expect(all).toContain('traced-svc');
      expect(all).toContain('gen_ai.tool.name');
      // The HTTP server span from the http instrumentation, named for its caller like the tool span.
      type OtlpSpan = { name: string; kind: number; attributes?: { key: string; value: { stringValue?: string } }[] };
      const spans = received
        .filter((r) => r.startsWith('/v1/traces '))
        .map((r) => JSON.parse(r.slice(r.indexOf(' ') + 1)) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] })
        .flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      const callerOf = (s: OtlpSpan) => s.attributes?.find((a) => a.key === 'enduser.id')?.value.stringValue;
      const httpSpans = spans.filter((s) => /^POST( \/mcp)?$/.test(s.name) && s.kind === 2); // SERVER
      expect(httpSpans.length).toBeGreaterThan(0);
      expect(httpSpans.map(callerOf)).toEqual(httpSpans.map(() => 'tester'));
      expect(callerOf(spans.find((s) => s.name === 'tools/call echo')!)).toBe('tester');
    } finally {
      child.kill('SIGKILL');
      await new Promise<void>((r) => collector.close(() => r()));
    }
  });
});
