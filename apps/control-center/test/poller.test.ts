import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mapWithConcurrency, probeService } from '../src/health/service-probe.js';
import { deadUrl, startFixture, startHangingServer, type Fixture } from './helpers.js';

const entry = (name: string, url: string) => ({ name, url, required: true, mcp: false, sharedApiKey: false });
const timeouts = { healthMs: 1_000, readyMs: 2_000 };

describe('probing one service', () => {
  let healthy: Fixture;
  let failing: Fixture;
  let hanging: Awaited<ReturnType<typeof startHangingServer>>;
  beforeAll(async () => {
    healthy = await startFixture('healthy', { deps: [{ name: 'database', required: true }, { name: 'queue', required: false }] });
    failing = await startFixture('failing', { deps: [{ name: 'database', required: true }, { name: 'queue', required: false }] });
    failing.setFailing('database', true);
    hanging = await startHangingServer();
  });
  afterAll(async () => {
    await Promise.all([healthy.stop(), failing.stop(), hanging.stop()]);
  });

  it('reports a healthy service as up with each dependency check and latency', async () => {
    const p = await probeService(entry('healthy', healthy.url), timeouts);
    expect(p).toMatchObject({ service: 'healthy', live: true, ready: true, status: 'up', version: '2.0.0', error: null });
    expect(p.checks.database).toMatchObject({ status: 'ok', required: true, success: true });
    expect(p.checks.queue).toMatchObject({ status: 'ok', required: false, success: true });
    expect(typeof p.checks.database?.latency_ms).toBe('number');
    expect(typeof p.healthLatencyMs).toBe('number');
  });

  it('reports a live service whose required dependency fails as not ready, naming the dependency', async () => {
    const p = await probeService(entry('failing', failing.url), timeouts);
    expect(p).toMatchObject({ live: true, ready: false, status: 'not_ready' });
    expect(p.checks.database).toMatchObject({ status: 'error', success: false, message: 'database is unreachable' });
    expect(p.error).toContain('database check failed');
  });

  it('reports a service whose optional dependency fails as degraded but ready', async () => {
    failing.setFailing('database', false);
    failing.setFailing('queue', true);
    try {
      const p = await probeService(entry('failing', failing.url), timeouts);
      expect(p).toMatchObject({ ready: true, status: 'degraded' });
      expect(p.checks.queue).toMatchObject({ status: 'error', success: false, required: false });
    } finally {
      failing.setFailing('queue', false);
      failing.setFailing('database', true);
    }
  });

  it('reports a hanging service as down with a timeout message instead of waiting for /ready', async () => {
    const p = await probeService(entry('hanging', hanging.url), timeouts);
    expect(p).toMatchObject({ live: false, ready: false, status: 'down', healthLatencyMs: null, readyLatencyMs: null });
    expect(p.error).toBe('/health did not answer within 1000 ms');
    expect(p.checks).toEqual({});
  });

  it('reports a service that is not running as down with connection refused', async () => {
    const p = await probeService(entry('dead', await deadUrl()), timeouts);
    expect(p.status).toBe('down');
    expect(p.error).toContain('refused the connection');
  });

  it('reports a /ready that hangs as not ready after the /ready timeout while /health answers', async () => {
    // A server whose /health answers but whose /ready never does.
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url === '/health') res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const p = await probeService(entry('half', `http://127.0.0.1:${port}`), { healthMs: 1_000, readyMs: 500 });
      expect(p).toMatchObject({ live: true, ready: false, status: 'not_ready', error: '/ready did not answer within 500 ms' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a sweep over healthy, failing and hanging services returns every result, the slow one not holding back the rest', async () => {
    const order: string[] = [];
    const entries = [entry('hanging', hanging.url), entry('healthy', healthy.url), entry('failing', failing.url)];
    const results = await mapWithConcurrency(entries, 2, async (e) => {
      const r = await probeService(e, timeouts);
      order.push(e.name);
      return r;
    });
    expect(results.map((r) => [r.service, r.status])).toEqual([
      ['hanging', 'down'],
      ['healthy', 'up'],
      ['failing', 'not_ready'],
    ]);
    // With two slots, both fast services finish while the hanging one still occupies the other slot.
    expect(order).toEqual(['healthy', 'failing', 'hanging']);
  });
});

describe('bounded concurrency', () => {
  it('never runs more than the limit at once and keeps input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 5));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(3);
  });
});
