// What the dashboard tells an operator: neutral (not configured) services, the headline, escaping by
// construction, the catalog right after a recovery, a not-found page for browsers, badges.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { badgeSvg } from '../src/api/badge.js';
import { html, join, trusted } from '../src/dashboard/html.js';
import { pct } from '../src/dashboard/format.js';
import { serviceCard } from '../src/dashboard/overview.js';
import { incidentTable } from '../src/dashboard/incidents-page.js';
import type { ServiceView } from '../src/health/snapshot.js';
import { authed, buildControlCenter, json, services, startFixture, type Fixture } from './helpers.js';

describe('the html template', () => {
  it('escapes every interpolation, including inside arrays, and only passes markup it built itself', () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(String(html`<p title="${evil}">${evil}</p>`)).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    expect(String(html`<ul>${[evil, html`<li>${evil}</li>`]}</ul>`)).toBe('<ul>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<li>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</li></ul>');
    expect(String(html`${null}${undefined}${false}${0}`)).toBe('0');
    expect(String(join(['<a>', html`<b>`], ' & '))).toBe('&lt;a&gt; &amp; <b>');
    expect(String(html`${trusted('<svg/>')}`)).toBe('<svg/>');
    // A plain object that looks like markup is still text.
    expect(String(html`${{ value: '<b>' } as unknown as string}`)).toBe('[object Object]');
  });

  it('renders what services and the database say as text on the cards and the incidents page', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const view: ServiceView = {
      name: 'svc',
      url: 'http://127.0.0.1:1',
      required: true,
      mcp: false,
      status: 'not_ready',
      live: true,
      ready: false,
      version: evil,
      checkedAt: null,
      healthLatencyMs: 1,
      readyLatencyMs: 1,
      error: evil,
      checks: { [evil]: { status: 'error', latency_ms: 1, message: evil, required: true, success: false } },
      setup: [evil],
      maintenance: { endsAt: '2026-01-01T00:00:00.000Z', reason: evil, by: evil },
      uptime: { '24h': null, '7d': null, '30d': null, '90d': null },
      days: [{ day: evil, uptime: 0.5, checks: 2 }],
      sparkline: [1, null, 2],
      catalog: null,
      probe: { tool: evil, success: false, latencyMs: null, at: '2026-01-01T00:00:00.000Z', message: evil },
      openIncident: { id: '1', status: 'not_ready', dependencies: [evil], openedAt: '2026-01-01T00:00:00.000Z', cause: evil, acknowledgedAt: null, acknowledgedBy: evil },
    };
    const incident = { id: '1', service: 'svc', status: 'down' as const, dependencies: [evil], opened_at: '2026-01-01T00:00:00.000Z', resolved_at: null, duration_seconds: 5, cause: evil, acknowledged_at: null, acknowledged_by: null };
    for (const out of [String(serviceCard(view)), String(incidentTable([incident], evil))]) {
      expect(out).not.toContain('<img');
      expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });
});

describe('formats and badges', () => {
  it('formats every percentage with two decimals, never rounding a shortfall up to 100 %', () => {
    expect([pct(1), pct(0.99999), pct(0.5), pct(0.123456), pct(0), pct(null)]).toEqual(['100.00%', '99.99%', '50.00%', '12.34%', '0.00%', '–']);
  });

  it('sizes badges by the real width of their text', () => {
    const width = (svg: string) => Number(/<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
    // Same length, different glyphs: an approximation by character count gives both the same width.
    expect(width(badgeSvg('mmmmmmmm', 'up', null))).toBeGreaterThan(width(badgeSvg('iiiiiiii', 'up', null)) + 20);
    expect(badgeSvg('a<b', 'not_configured', 0.5)).toContain('a&lt;b: not configured · 50.00%');
  });
});

describe('dashboard pages', () => {
  let github: Fixture;
  let memory: Fixture;
  let worker: Fixture;
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  let url = '';

  beforeAll(async () => {
    github = await startFixture('github-mcp', { tools: true, deps: [{ name: 'github_api', required: true }, { name: 'authentication', required: true }] });
    github.setNotConfigured('authentication', 'no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings');
    memory = await startFixture('memory', { tools: true, deps: [{ name: 'database', required: true }, { name: 'llm', required: false }] });
    memory.setNotConfigured('llm', 'no LLM configured (LLM_BASE_URL unset)');
    worker = await startFixture('memory-worker', { deps: [{ name: 'database', required: true }] });
    cc = await buildControlCenter({
      SERVICES: services([
        { name: 'github-mcp', url: github.url, sharedApiKey: true },
        { name: 'memory', url: memory.url, sharedApiKey: true },
        { name: 'memory-worker', url: worker.url, mcp: false, required: true },
      ]),
      INCIDENT_FAILURE_THRESHOLD: '1',
    });
    url = (await cc.service.start()).url;
    await cc.collector.refreshCatalogs();
    await cc.collector.sweep();
    await cc.collector.sweep();
  });

  afterAll(async () => {
    await cc.service.stop();
    await Promise.all([github.stop(), memory.stop(), worker.stop().catch(() => undefined)]);
  });

  it('shows a service that lacks a setting as neutral: grey, the setting named, no incident, no uptime, factory available', async () => {
    const snap = cc.collector.snapshot;
    const gh = snap.services.find((s) => s.name === 'github-mcp');
    expect(gh).toMatchObject({ status: 'not_configured', ready: false, setup: ['authentication: no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings'], openIncident: null });
    expect(gh?.uptime['24h']).toBeNull();
    // An optional dependency that is not configured is not a degradation.
    expect(snap.services.find((s) => s.name === 'memory')?.status).toBe('up');
    expect(snap.available).toBe(true);
    expect((await json(await authed(`${url}/api/incidents`))).incidents).toEqual([]);
    const page = await (await authed(`${url}/`)).text();
    expect(page).toContain('Factory available (1 not configured)');
    expect(page).toMatch(/<article class="card not_configured" data-service="github-mcp" data-status="not_configured">/);
    expect(page).toContain('set GITHUB_TOKEN or the GITHUB_APP_* settings');
    // The control center's own readiness says the same, without failing.
    const ready = await json(await fetch(`${url}/ready`));
    expect(ready.checks['mcp-github-mcp']).toMatchObject({ status: 'not_configured', message: expect.stringContaining('GITHUB_TOKEN') });
    expect(ready.ready).toBe(true);
  });

  it('stays red for a real failure of a configured service', async () => {
    memory.setFailing('database', true);
    try {
      await cc.collector.sweep();
      expect(cc.collector.snapshot.services.find((s) => s.name === 'memory')?.status).toBe('not_ready');
      expect(cc.collector.snapshot.available).toBe(false);
      expect((await json(await authed(`${url}/api/incidents?state=open`))).incidents.map((i: { service: string }) => i.service)).toEqual(['memory']);
    } finally {
      memory.setFailing('database', false);
      await cc.collector.sweep();
    }
  });

  it('says "down" for a service that is down and "not ready" for one that is not ready', async () => {
    await worker.stop();
    memory.setFailing('database', true);
    try {
      await cc.collector.sweep();
      const page = await (await authed(`${url}/`)).text();
      expect(page).toContain('Factory unavailable: memory not ready, memory-worker down');
    } finally {
      memory.setFailing('database', false);
    }
  });

  it('reads the tool catalog of a service as soon as it is back, not at the next catalog refresh', async () => {
    memory.setFailing('database', false);
    const port = new URL(memory.url).port;
    await memory.stop();
    await cc.collector.sweep();
    expect(cc.collector.snapshot.services.find((s) => s.name === 'memory')?.status).toBe('down');
    // A catalog fetched while it is down fails; only a recovery can bring it back before the 5-minute refresh.
    await cc.collector.refreshCatalogs();
    expect(cc.collector.catalogs.get('memory')?.error).not.toBeNull();
    memory = await startFixture('memory', { tools: true, port: Number(port), deps: [{ name: 'database', required: true }] });
    await cc.collector.sweep();
    await cc.collector.catalogRefreshesSettled();
    expect(cc.collector.catalogs.get('memory')).toMatchObject({ error: null, toolCount: 2 });
  });

  it('shows browsers a not-found page and keeps the JSON envelope for API clients', async () => {
    for (const path of ['/no-such-page', '/services/no-such-service']) {
      const page = await authed(`${url}${path}`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('id="not-found"');
    }
    const api = await authed(`${url}/no-such-page`, { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect((await json(api)).error.code).toBe('route_not_found');
    const apiPath = await authed(`${url}/api/nothing`, { headers: { Accept: 'text/html' } });
    expect((await json(apiPath)).error.code).toBe('route_not_found');
  });

  it('draws the response-time chart with axes for the chosen range, and uptime bars with hover details', async () => {
    for (const range of ['1h', '24h', '7d']) {
      const page = await (await authed(`${url}/services/memory?range=${range}`)).text();
      expect(page).toContain(`<a href="/services/memory?range=${range}" class="active" data-range="${range}">`);
      expect(page).toMatch(/<g class="axis y"><text[^>]*>0 ms<\/text>/);
      expect(page).toMatch(/<g class="axis x"><text/);
    }
    const detail = await json(await authed(`${url}/api/services/memory?range=1h`));
    expect(detail.response_time.range).toBe('1h');
    expect(detail.response_time.points).toHaveLength(60);
    expect(detail.response_time.points.at(-1).avg_ms).toEqual(expect.any(Number));
    expect((await authed(`${url}/api/services/memory?range=2d`)).status).toBe(400);
    // The service page: every day its own hover text. The overview (200 cards): one shape per colour, whose
    // hover text names the days that fell short.
    const day = /<title>\d{4}-\d\d-\d\d: \d+\.\d\d% up, \d+ checks<\/title>/;
    const servicePage = await (await authed(`${url}/services/memory`)).text();
    expect(servicePage).toMatch(new RegExp(`<rect class="bad" x="\\d+" width="8" height="22">${day.source}</rect>`));
    expect(servicePage.match(/<rect class="(none|ok|warn|bad)"/g)).toHaveLength(30);
    const overview = await (await authed(`${url}/`)).text();
    expect(overview).toMatch(new RegExp(`<path class="bad" d="[^"]+">${day.source}</path>`));
  });
});
