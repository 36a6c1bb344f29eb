// Issue 14, "the control center never goes blind": a hanging Redis, a Postgres outage, an endless
// /ready body and the shared API key.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startTcpProxy } from '@factory/base-server/testing';
import { probeService } from '../src/health/service-probe.js';
import { cleanRedisPrefix } from './replica-helpers.js';
import { authed, buildControlCenter, json, pollUntil, REDIS_URL, services, startFixture, startPartitionableProxy, UPSTREAM_KEY, type Fixture } from './helpers.js';

describe('a hanging Redis', () => {
  let svc: Fixture;
  beforeAll(async () => {
    svc = await startFixture('memory');
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('does not hold back the next sweep: the queue view turns into an error and a service that dies is seen', async () => {
    const proxy = await startPartitionableProxy(Number(new URL(REDIS_URL).port || 6379));
    const cc = await buildControlCenter({
      SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]),
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      POLLER_ENABLED: 'true',
      POLL_INTERVAL_MS: '200',
      QUEUE_VIEW_TIMEOUT_MS: '300',
    });
    await cc.service.start();
    try {
      await pollUntil(() => cc.collector.snapshot.queue.error === null || undefined);
      proxy.hang();
      await pollUntil(() => cc.collector.snapshot.queue.error?.includes('did not answer within 300 ms') || undefined);
      await svc.stop();
      await pollUntil(() => cc.collector.latest.get('memory')?.status === 'down' || undefined);
      expect(cc.collector.snapshot.services[0]?.status).toBe('down');
    } finally {
      proxy.heal();
      await cc.service.stop();
      await proxy.stop();
      svc = await startFixture('memory');
    }
  });
});

describe('a Redis that lost its data', () => {
  it('goes on sweeping: the replica puts the poller\'s job schedulers back, and a service that dies is seen', async () => {
    const svc = await startFixture('memory');
    let svcStopped = false;
    const prefix = `cc-lost-${randomBytes(4).toString('hex')}`;
    const cc = await buildControlCenter({
      SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]),
      REDIS_URL,
      POLLER_ENABLED: 'true',
      POLL_INTERVAL_MS: '200',
      POLLER_QUEUE_PREFIX: prefix,
    });
    await cc.service.start();
    try {
      await pollUntil(() => cc.collector.latest.get('memory')?.status === 'up' || undefined);
      // What a Redis restarted without persistence holds of the poller: nothing. Its connections stay up,
      // so the replica still counts itself in Redis: only the schedulers' absence tells.
      expect(await cleanRedisPrefix(prefix)).toBeGreaterThan(0);
      await svc.stop();
      svcStopped = true;
      await pollUntil(() => cc.collector.latest.get('memory')?.status === 'down' || undefined);
      expect(cc.logs.text()).toContain('poller job schedulers missing from Redis');
    } finally {
      await cc.service.stop();
      if (!svcStopped) await svc.stop();
      await cleanRedisPrefix(prefix);
    }
  });
});

describe('its own Postgres outage', () => {
  let svc: Fixture;
  beforeAll(async () => {
    svc = await startFixture('memory');
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('detects incidents from memory, answers 503 on the API, and writes everything, correctly dated, when the database returns', async () => {
    const pg = await startTcpProxy(5432);
    const cc = await buildControlCenter({
      SERVICES: services([{ name: 'memory', url: svc.url, mcp: false }]),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/test`,
      INCIDENT_FAILURE_THRESHOLD: '1',
    });
    const { url } = await cc.service.start();
    try {
      await pg.stop();
      svc.setFailing('database', true);
      const failing = await cc.collector.sweep();
      // The sweep is seen at once: the incident is open in memory and on the page, not yet written.
      expect(cc.collector.snapshot.services[0]).toMatchObject({ status: 'not_ready', openIncident: { id: null, status: 'not_ready', dependencies: ['database'] } });
      expect(cc.collector.backlog.sweeps).toBe(1);
      const api = await authed(`${url}/api/incidents`);
      expect(api.status).toBe(503);
      expect(api.headers.get('retry-after')).toBe('5');
      expect((await json(api)).error).toMatchObject({ type: 'service_unavailable_error', code: 'database_unavailable', message: 'Database unavailable, retry shortly.' });
      expect((await authed(`${url}/api/services/memory`)).status).toBe(503);

      svc.setFailing('database', false);
      const recovered = await cc.collector.sweep();
      expect(cc.collector.snapshot.services[0]?.openIncident).toBeNull();

      await pg.start();
      await cc.collector.persist();
      expect(cc.collector.backlog).toEqual({ sweeps: 0, observations: 0, incidentEvents: 0 });
      // One incident for the service's outage, with the dependency that failed in it.
      const incidents = await cc.database.db.selectFrom('incidents').selectAll().execute();
      expect(incidents.map((i) => [i.service, i.status, i.dependencies, new Date(i.opened_at).toISOString(), i.resolved_at && new Date(i.resolved_at).toISOString()])).toEqual([
        ['memory', 'not_ready', ['database'], failing.polls[0]?.checkedAt.toISOString(), recovered.polls[0]?.checkedAt.toISOString()],
      ]);
      const rows = await cc.database.db.selectFrom('check_results').select(['checked_at', 'success']).where('dependency', '=', '').orderBy('checked_at').execute();
      expect(rows.map((r) => r.success)).toEqual([false, true]);
      expect((await authed(`${url}/api/incidents`)).status).toBe(200);
    } finally {
      await pg.start().catch(() => undefined);
      await cc.service.stop();
      await pg.stop();
    }
  });
});

describe('what the poller reads and sends', () => {
  let server: Server;
  let base = '';
  let written = 0;
  let closed = false;
  const seen = new Map<string, IncomingHttpHeaders>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.set(req.url ?? '', req.headers);
      if (req.url === '/health') return void res.end('{"status":"ok"}');
      if (req.url === '/ready') {
        // An endless /ready body: 64 KiB chunks for as long as the reader takes them.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (!closed && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        res.on('close', () => (closed = true));
        pump();
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('stops reading a /ready body at 256 KiB and drops the connection', async () => {
    const p = await probeService({ name: 'streamer', url: base, required: true, mcp: false, sharedApiKey: false }, { healthMs: 2_000, readyMs: 10_000 });
    expect(p).toMatchObject({ live: true, ready: false, status: 'not_ready', error: '/ready answered 200 with a body larger than 256 KiB' });
    await pollUntil(() => closed || undefined, 5_000, 20);
    // What the server managed to write before the reader hung up: the cap plus socket buffers, not 96 MB.
    expect(written).toBeLessThan(8 * 1024 * 1024);
  });

  it('sends SERVICES_API_KEY only to servers whose entry opts in', async () => {
    const github = await startFixture('opted-in', { tools: true });
    const cc = await buildControlCenter({
      SERVICES: services([
        { name: 'opted-in', url: github.url, sharedApiKey: true },
        { name: 'elsewhere', url: base },
      ]),
    });
    await cc.service.start();
    try {
      await cc.collector.refreshCatalogs();
      // The opted-in server accepted the shared key; the other one never saw it.
      expect(cc.collector.catalogs.get('opted-in')).toMatchObject({ error: null, toolCount: 2 });
      expect(seen.get('/mcp')?.authorization).toBeUndefined();
      expect(cc.collector.apiKeyFor(cc.config.SERVICES[0]!)).toBe(UPSTREAM_KEY);
      expect(cc.collector.apiKeyFor(cc.config.SERVICES[1]!)).toBeUndefined();
    } finally {
      await cc.service.stop();
      await github.stop();
    }
  });
});
