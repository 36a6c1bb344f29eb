import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { authed, json, buildControlCenter, deadUrl, KEY, REDIS_URL, services, startFixture, UPSTREAM_KEY, type Fixture } from './helpers.js';

const queueName = `memory-compression-${randomBytes(4).toString('hex')}`;
const prefix = `cctest${randomBytes(3).toString('hex')}`;

describe('control-center API', () => {
  let github: Fixture;
  let memory: Fixture;
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  let url = '';
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    github = await startFixture('github-mcp', { tools: true, deps: [{ name: 'github_api', required: true }, { name: 'authentication', required: true }] });
    memory = await startFixture('memory', { deps: [{ name: 'database', required: true }, { name: 'queue', required: false }, { name: 'llm', required: false }] });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(queueName, { connection: redis, prefix });
    await queue.add('compress', { n: 1 }, { jobId: 'old', timestamp: Date.now() - 120_000 });
    await queue.add('compress', { n: 2 }, { jobId: 'new' });
    await queue.add('compress', { n: 3 }, { jobId: 'later', delay: 3_600_000 });
    cc = await buildControlCenter({
      SERVICES: services([
        { name: 'github-mcp', url: github.url, sharedApiKey: true, probe: { tool: 'list_things', arguments: { limit: 2 } } },
        { name: 'memory', url: memory.url, mcp: false },
        { name: 'memory-worker', url: await deadUrl(), mcp: false, required: false },
      ]),
      INCIDENT_FAILURE_THRESHOLD: '2',
      REDIS_URL,
      MEMORY_QUEUE_NAME: queueName,
      MEMORY_QUEUE_PREFIX: prefix,
    });
    url = (await cc.service.start()).url;
    await cc.collector.refreshCatalogs();
    await cc.collector.runProbes();
    await cc.collector.sweep();
  });

  afterAll(async () => {
    await cc.service.stop();
    await Promise.all([github.stop(), memory.stop()]);
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });

  it('keeps health endpoints and badges public and puts the API and dashboard behind the API key', async () => {
    for (const path of ['/health', '/api/health', '/api/ready', '/api/badges/memory.svg']) {
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    }
    for (const path of ['/api/services', '/api/mcp/health', '/']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('sends a browser to /login for the dashboard, and in with a session cookie after a valid key', async () => {
    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login?next=%2F');
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: KEY, next: '/' }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const dashboard = await fetch(`${url}/`, { headers: { accept: 'text/html', cookie } });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('memory');
  });

  it('GET /api/health reports factory availability from the latest sweep', async () => {
    const body = await json(await authed(`${url}/api/health`));
    // memory-worker is down but optional: the factory is available.
    expect(body).toMatchObject({ status: 'ok', service: 'control-center', factory: { available: true, services: 3, up: 2 } });
  });

  it('GET /api/ready requires database and environment and lists one optional mcp-<service> check each, plus the shared rate limits (REDIS_URL is set)', async () => {
    const res = await authed(`${url}/api/ready`);
    const body = await json(res);
    expect(res.status).toBe(200);
    expect(body.dependencies).toEqual({ required: ['database', 'environment'], optional: ['mcp-github-mcp', 'mcp-memory', 'mcp-memory-worker', 'rate_limits'] });
    expect(body.checks['mcp-github-mcp']).toMatchObject({ status: 'ok' });
    expect(body.checks.rate_limits).toMatchObject({ status: 'ok' });
    expect(body.checks['mcp-memory-worker']).toMatchObject({ status: 'error' });
    expect(body.checks['mcp-memory-worker'].message).toContain('memory-worker is down');
    expect(body.ready).toBe(true);
    const ready = await json(await fetch(`${url}/ready`));
    expect(ready.dependencies).toEqual(body.dependencies);
  });

  it('GET /api/mcp/health shows every service with its per-dependency checks', async () => {
    const body = await json(await authed(`${url}/api/mcp/health`));
    const byName = Object.fromEntries(body.services.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(['github-mcp', 'memory', 'memory-worker']);
    expect(byName['github-mcp']).toMatchObject({ status: 'up', live: true, ready: true, version: '2.0.0' });
    expect(Object.keys(byName['github-mcp'].checks).sort()).toEqual(['authentication', 'github_api']);
    expect(byName.memory.checks.database).toMatchObject({ status: 'ok', required: true });
    expect(byName.memory.checks.llm).toMatchObject({ status: 'ok', required: false });
    expect(byName['memory-worker']).toMatchObject({ status: 'down', live: false });
  });

  it('reads the MCP catalog: tools with annotations, write mode, tool count and tools/list token cost', async () => {
    const body = await json(await authed(`${url}/api/services`));
    const gh = body.services.find((s: { name: string }) => s.name === 'github-mcp');
    expect(gh).toMatchObject({ write_mode: 'read-write', tool_count: 2 });
    expect(gh.tools_list_tokens).toBeGreaterThan(20);
    const detail = await json(await authed(`${url}/api/services/github-mcp`));
    expect(detail.tools).toEqual([
      { name: 'list_things', title: 'List things', readOnly: true, destructive: false, idempotent: true, openWorld: false },
      { name: 'delete_thing', title: 'Delete a thing', readOnly: false, destructive: true, idempotent: true, openWorld: false },
    ]);
  });

  it('runs the synthetic probe on the configured read-only tool and records success and latency', async () => {
    const gh = cc.collector.snapshot.services.find((s) => s.name === 'github-mcp');
    expect(gh?.probe).toMatchObject({ tool: 'list_things', success: true, message: null });
    expect(typeof gh?.probe?.latencyMs).toBe('number');
    const detail = await json(await authed(`${url}/api/services/github-mcp`));
    expect(detail.dependencies_24h.find((d: { dependency: string }) => d.dependency === 'synthetic_probe')).toMatchObject({ checks: 1, success_ratio: 1 });
  });

  it('refuses to probe a tool that is not read-only', async () => {
    const { runProbe } = await import('../src/catalog/mcp-catalog.js');
    const entry = { name: 'github-mcp', url: github.url, required: true, mcp: true, sharedApiKey: true, probe: { tool: 'delete_thing', arguments: { id: 'x' } } };
    const r = await runProbe(entry, undefined, 5_000, cc.collector.catalogs.get('github-mcp'));
    expect(r).toMatchObject({ success: false, message: 'probe tool delete_thing is not read-only; configure a read-only tool' });
  });

  it('GET /api/services/:name returns uptime windows, latency history and recent checks; unknown names are 404', async () => {
    const detail = await json(await authed(`${url}/api/services/memory`));
    expect(detail.uptime).toEqual({ '24h': 1, '7d': 1, '30d': 1, '90d': 1 });
    expect(detail.latency.hourly_7d).toHaveLength(1);
    expect(detail.latency.hourly_7d[0]).toMatchObject({ checks: 1, successes: 1, uptime: 1 });
    expect(detail.recent_checks[0]).toMatchObject({ success: true, status: 'up' });
    const res = await authed(`${url}/api/services/nope`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('service_not_found');
  });

  it('opens one incident per outage after two failing sweeps, with its failing dependencies, updates its cause, closes it on recovery with MTTR', async () => {
    memory.setFailing('database', true);
    await cc.collector.sweep();
    expect((await json(await authed(`${url}/api/incidents?state=open&service=memory`))).incidents).toEqual([]);
    await cc.collector.sweep();
    const open = await json(await authed(`${url}/api/incidents?state=open&service=memory`));
    expect(open.incidents).toHaveLength(1);
    expect(open.incidents[0]).toMatchObject({ service: 'memory', status: 'not_ready', dependencies: ['database'], cause: 'database check failed: database is unreachable', acknowledged_at: null });
    expect((await json(await authed(`${url}/api/health`))).factory.available).toBe(false);

    // The failure changes while open: the same incident now says so, and gathers the new dependency.
    memory.setFailing('queue', true);
    await cc.collector.sweep();
    memory.setFailing('database', false);
    await cc.collector.sweep();
    const changed = await json(await authed(`${url}/api/incidents?state=open&service=memory`));
    expect(changed.incidents).toHaveLength(1);
    expect(changed.incidents[0]).toMatchObject({ id: open.incidents[0].id, status: 'degraded', cause: 'queue check failed: queue is unreachable', dependencies: ['database', 'queue'] });
    expect((await json(await authed(`${url}/api/incidents?dependency=queue`))).incidents.map((i: { id: string }) => i.id)).toEqual([open.incidents[0].id]);

    // Acknowledged by the caller's key name; listed under state=acknowledged.
    const ack = await authed(`${url}/api/incidents/${open.incidents[0].id}/acknowledge`, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(await json(ack)).toMatchObject({ acknowledged_by: 'tester', acknowledged_at: expect.any(String) });
    expect((await json(await authed(`${url}/api/incidents?state=acknowledged&service=memory`))).incidents).toHaveLength(1);
    expect((await json(await authed(`${url}/api/incidents?state=unacknowledged&service=memory`))).incidents).toHaveLength(0);
    expect((await authed(`${url}/api/incidents/999999/acknowledge`, { method: 'POST' })).status).toBe(404);

    memory.setFailing('queue', false);
    await cc.collector.sweep();
    const resolved = await json(await authed(`${url}/api/incidents?state=resolved&service=memory`));
    expect(resolved.incidents).toHaveLength(1);
    expect(resolved.incidents[0].resolved_at).not.toBeNull();
    expect(resolved.mttr.resolved).toBe(1);
    expect(resolved.mttr.mttr_seconds).toBeGreaterThanOrEqual(0);
    const late = await authed(`${url}/api/incidents/${open.incidents[0].id}/acknowledge`, { method: 'POST' });
    expect(late.status).toBe(200); // already acknowledged while open: the acknowledgement stands
  });

  it('silences a service in maintenance: no incident, no uptime counted, factory still available', async () => {
    const before = await json(await authed(`${url}/api/services/memory`));
    const put = await authed(`${url}/api/services/memory/maintenance`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ minutes: 30, reason: 'database upgrade' }) });
    expect(put.status).toBe(200);
    expect(await json(put)).toMatchObject({ service: 'memory', reason: 'database upgrade', created_by: 'tester' });
    expect((await json(await authed(`${url}/api/maintenance`))).maintenance.map((m: { service: string }) => m.service)).toEqual(['memory']);
    memory.setFailing('database', true);
    try {
      await cc.collector.sweep();
      await cc.collector.sweep();
      expect((await json(await authed(`${url}/api/incidents?state=open&service=memory`))).incidents).toEqual([]);
      expect((await json(await authed(`${url}/api/health`))).factory.available).toBe(true);
      const during = await json(await authed(`${url}/api/services/memory`));
      expect(during.uptime).toEqual(before.uptime);
    } finally {
      memory.setFailing('database', false);
      expect((await authed(`${url}/api/services/memory/maintenance`, { method: 'DELETE' })).status).toBe(204);
    }
    expect((await authed(`${url}/api/services/memory/maintenance`, { method: 'DELETE' })).status).toBe(404);
    const bad = await authed(`${url}/api/services/memory/maintenance`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ minutes: 0, reason: '' }) });
    expect(bad.status).toBe(400);
    await cc.collector.sweep();
  });

  it('paginates incidents with a cursor and rejects bad filters with 400', async () => {
    const page1 = await json(await authed(`${url}/api/incidents?limit=1`));
    expect(page1.incidents).toHaveLength(1);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await json(await authed(`${url}/api/incidents?limit=1&cursor=${page1.next_cursor}`));
    expect(page2.incidents[0].id).not.toBe(page1.incidents[0].id);
    for (const q of ['limit=0', 'state=broken', 'from=yesterday', 'cursor=abc']) {
      const res = await authed(`${url}/api/incidents?${q}`);
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe('validation_failed');
    }
  });

  it('shows the memory queue: waiting, active, delayed, failed and the age of the oldest waiting job', async () => {
    const q = await json(await authed(`${url}/api/queue`));
    expect(q).toMatchObject({ configured: true, queue: queueName, waiting: 2, active: 0, delayed: 1, failed: 0, error: null });
    expect(q.oldestWaitingAgeSeconds).toBeGreaterThanOrEqual(119);
  });

  it('serves an SVG badge per service', async () => {
    const res = await authed(`${url}/api/badges/memory.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    const svg = await res.text();
    expect(svg).toContain('<svg');
    expect(svg).toContain('memory: up');
    expect((await authed(`${url}/api/badges/unknown-thing.svg`)).status).toBe(404);
  });

  it('exposes factory gauges on /metrics', async () => {
    const text = await (await authed(`${url}/metrics`)).text();
    // Every series also carries the registry's default labels (version, and service for factory-wide ones).
    expect(text).toMatch(/^factory_availability\{[^}]*\} 1$/m);
    expect(text).toMatch(/^service_ready\{service="memory-worker"[^}]*\} 0$/m);
    expect(text).toMatch(/^service_ready\{service="memory"[^}]*\} 1$/m);
    expect(text).toMatch(/^dependency_check_success\{service="memory",dependency="database"[^}]*\} 1$/m);
    expect(text).toMatch(/^dependency_check_latency_seconds\{service="github-mcp",dependency="github_api"[^}]*\} [\d.e-]+$/m);
    expect(text).toMatch(/^mttr_seconds\{[^}]*\} [\d.e+-]+$/m);
  });

  it('serves the dashboard with its own CSP and no inline script', async () => {
    const res = await authed(`${url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain('<script src="/assets/dashboard.js"></script>');
    expect(html).not.toMatch(/<script>/);
    for (const name of ['github-mcp', 'memory', 'memory-worker']) expect(html).toContain(`data-service="${name}"`);
    const partial = await authed(`${url}/`, { headers: { 'x-partial': '1' } });
    expect(await partial.text()).not.toContain('<html');
    expect((await authed(`${url}/services/memory`)).status).toBe(200);
    expect((await authed(`${url}/incidents`)).status).toBe(200);
    expect((await authed(`${url}/assets/dashboard.js`)).headers.get('content-type')).toContain('javascript');
  });

  it('never reveals or logs the API keys it uses for the services', async () => {
    for (const path of ['/api/services', '/api/services/github-mcp', '/api/mcp/health', '/', '/services/github-mcp']) {
      expect(await (await authed(`${url}${path}`)).text()).not.toContain(UPSTREAM_KEY);
    }
    expect(cc.logs.text()).not.toContain(UPSTREAM_KEY);
  });

  it('offers read-only health MCP tools for agents, beside the workflow tools', async () => {
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    try {
      const { tools: all } = await client.listTools();
      const workflowTools = ['cancel_workflow_run', 'decide_workflow_step', 'get_workflow', 'get_workflow_run', 'list_workflow_runs', 'list_workflows', 'start_workflow'];
      expect(all.map((t) => t.name).sort()).toEqual(['get_factory_health', 'list_incidents', ...workflowTools].sort());
      for (const t of all) expect(t.description?.length).toBeGreaterThan(80);
      const tools = all.filter((t) => !workflowTools.includes(t.name));
      for (const t of tools) {
        expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
        expect(t.outputSchema).toBeDefined();
      }
      const r = await client.callTool({ name: 'get_factory_health', arguments: { only_problems: true } });
      expect(r.structuredContent).toMatchObject({ available: true, services: [{ name: 'memory-worker', status: 'down' }] });
      const bad = await client.callTool({ name: 'list_incidents', arguments: { limit: 500 } });
      expect(bad.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});
