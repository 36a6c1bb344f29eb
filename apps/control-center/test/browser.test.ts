// The dashboard in Debian's headless Chromium (playwright-core): every registered service is shown,
// a service taken down shows as down within one sweep (live refresh, no reload), and a screenshot is saved.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildControlCenter, KEY, pollUntil, services, startFixture, type Fixture } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const NAMES = ['github-mcp', 'deploy-mcp', 'observability-mcp', 'memory', 'memory-worker'] as const;

describe('dashboard in a browser', () => {
  const fixtures = new Map<string, Fixture>();
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  let url = '';
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    for (const name of NAMES) {
      fixtures.set(
        name,
        await startFixture(name, {
          tools: name.endsWith('-mcp'),
          deps: name === 'memory' ? [{ name: 'database', required: true }, { name: 'queue', required: false }, { name: 'llm', required: false }] : [{ name: 'aws_connectivity', required: true }],
        }),
      );
    }
    cc = await buildControlCenter({
      SERVICES: services(NAMES.map((name) => ({ name, url: fixtures.get(name)?.url, mcp: name.endsWith('-mcp'), sharedApiKey: true, required: name !== 'memory-worker' }))),
      POLLER_ENABLED: 'true',
      POLL_INTERVAL_MS: '1000',
      DASHBOARD_REFRESH_MS: '500',
      INCIDENT_FAILURE_THRESHOLD: '1',
    });
    url = (await cc.service.start()).url;
    await pollUntil(() => cc.collector.snapshot.lastSweepAt !== null && cc.collector.catalogs.size === 3);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${KEY}` }, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cc?.service.stop();
    await Promise.all([...fixtures.values()].map((f) => f.stop().catch(() => undefined)));
  });

  it('shows every registered service with its status and dependencies, and no CSP violation', async () => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    await page.goto(`${url}/`);
    await page.waitForSelector('[data-service="memory"][data-status="up"]');
    const cards = await page.$$eval('[data-service]', (els) => els.map((el) => [el.getAttribute('data-service'), el.getAttribute('data-status')]));
    expect(cards.map(([name]) => name)).toEqual([...NAMES]);
    expect(cards.every(([, status]) => status === 'up')).toBe(true);
    expect(await page.textContent('#availability')).toContain('Factory available');
    expect(await page.$$eval('[data-service="memory"] [data-dependency]', (els) => els.map((el) => el.getAttribute('data-dependency')))).toEqual(['database', 'queue', 'llm']);
    expect(await page.textContent('[data-service="github-mcp"] .meta')).toContain('read-write · 2 tools');
    // The live-refresh script ran (it is allowed by the page's CSP): the header says when it updated.
    await page.waitForSelector('#live:has-text("updated")');
    expect(violations).toEqual([]);
  });

  it('shows a service taken down as down within one sweep, without reloading the page', async () => {
    await page.evaluate("window.marker = 'same page'");
    const stoppedAt = Date.now();
    await fixtures.get('memory')?.stop();
    // The first sweep that starts after the stop must show it down.
    await pollUntil(() => {
      const last = cc.collector.snapshot.lastSweepAt;
      return last !== null && new Date(last).getTime() >= stoppedAt;
    });
    expect(cc.collector.snapshot.services.find((s) => s.name === 'memory')?.status).toBe('down');
    await page.waitForSelector('[data-service="memory"][data-status="down"]', { timeout: 15_000 });
    expect(await page.evaluate('window.marker')).toBe('same page');
    expect(await page.textContent('#availability')).toContain('Factory unavailable: memory not ready');
    expect(await page.textContent('[data-service="memory"] .err')).toContain('refused the connection');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  }, 60_000);

  it('renders the service detail and incidents pages', async () => {
    await page.goto(`${url}/services/github-mcp`);
    expect(await page.textContent('main')).toContain('list_things');
    await page.screenshot({ path: `${ARTIFACTS}service-detail.png`, fullPage: true });
    await page.goto(`${url}/incidents`);
    await page.waitForSelector('[data-incident]');
    expect(await page.textContent('main')).toContain('memory');
    await page.screenshot({ path: `${ARTIFACTS}incidents.png`, fullPage: true });
  });
});
