import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseControlCenterConfig } from '../src/config.js';
import { authed, json, buildControlCenter, pollUntil, services, startFixture, type Fixture } from './helpers.js';

describe('configuration', () => {
  it('defaults to the local Factory services on ports 3001-3005, the worker optional and without MCP', () => {
    const c = parseControlCenterConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.SERVICES.map((s) => [s.name, s.url, s.required, s.mcp])).toEqual([
      ['github-mcp', 'http://127.0.0.1:3001', true, true],
      ['deploy-mcp', 'http://127.0.0.1:3002', true, true],
      ['observability-mcp', 'http://127.0.0.1:3003', true, true],
      ['memory', 'http://127.0.0.1:3004', true, true],
      ['memory-worker', 'http://127.0.0.1:3005', false, false],
    ]);
    expect(c).toMatchObject({ POLL_INTERVAL_MS: 15_000, POLL_JITTER: 0.2, HEALTH_TIMEOUT_MS: 1_000, READY_TIMEOUT_MS: 5_000, MEMORY_QUEUE_NAME: 'memory-compression', MEMORY_QUEUE_PREFIX: 'bull' });
  });

  it('reads a SERVICES registry with keys and probes', () => {
    const c = parseControlCenterConfig({
      SERVICES: services([{ name: 'a', url: 'http://10.0.0.1:80', apiKey: 'k', required: false, probe: { tool: 'list', arguments: { x: 1 } } }]),
    });
    expect(c.SERVICES).toEqual([{ name: 'a', url: 'http://10.0.0.1:80', apiKey: 'k', sharedApiKey: false, required: false, mcp: true, probe: { tool: 'list', arguments: { x: 1 } } }]);
  });

  it.each([
    ['not json', 'SERVICES: must be a JSON array'],
    ['[{"name":"a","url":"nope"}]', 'SERVICES: 0.url'],
    ['[{"name":"a","url":"http://x"},{"name":"a","url":"http://y"}]', 'service "a" is listed twice'],
    ['[{"name":"Bad Name","url":"http://x"}]', 'SERVICES: 0.name'],
  ])('rejects SERVICES=%s with a message naming the problem', (raw, message) => {
    expect(() => parseControlCenterConfig({ SERVICES: raw })).toThrow(message);
  });

  it('rejects a jitter outside 0..0.9', () => {
    expect(() => parseControlCenterConfig({ POLL_JITTER: '2' })).toThrow('POLL_JITTER');
  });
});

describe('schedule', () => {
  let svc: Fixture;
  beforeAll(async () => {
    svc = await startFixture('memory');
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('page views and API reads never trigger a check', async () => {
    const cc = await buildControlCenter({ SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]) });
    const { url } = await cc.service.start();
    try {
      for (const path of ['/', '/api/mcp/health', '/api/services', '/api/services/memory', '/api/ready', '/api/badges/memory.svg']) {
        expect((await authed(`${url}${path}`)).status).toBe(200);
      }
      expect(cc.collector.snapshot.lastSweepAt).toBeNull();
      expect(cc.collector.latest.size).toBe(0);
      const ready = await json(await authed(`${url}/api/ready`));
      expect(ready.checks['mcp-memory']).toMatchObject({ status: 'warning', message: 'memory has not been polled yet' });
    } finally {
      await cc.service.stop();
    }
  });

  it('sweeps on its own schedule once started and stops sweeping on shutdown', async () => {
    const cc = await buildControlCenter({ SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]), POLLER_ENABLED: 'true', POLL_INTERVAL_MS: '200' });
    await cc.service.start();
    const first = await pollUntil(() => cc.collector.snapshot.lastSweepAt ?? undefined);
    const second = await pollUntil(() => {
      const last = cc.collector.snapshot.lastSweepAt;
      return last && last !== first ? last : undefined;
    });
    expect(new Date(second).getTime()).toBeGreaterThan(new Date(first).getTime());
    await cc.service.stop();
    const after = cc.collector.snapshot.lastSweepAt;
    await new Promise((r) => setTimeout(r, 600));
    expect(cc.collector.snapshot.lastSweepAt).toBe(after);
  });

  it('concurrent sweep requests share one sweep in flight', async () => {
    const cc = await buildControlCenter({ SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]) });
    await cc.service.start();
    try {
      const [a, b] = await Promise.all([cc.collector.sweep(), cc.collector.sweep()]);
      expect(a).toBe(b);
    } finally {
      await cc.service.stop();
    }
  });
});
