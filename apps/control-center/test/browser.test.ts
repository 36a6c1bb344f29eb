// The dashboard in Debian's headless Chromium (playwright-core), as an operator meets it: signed in with
// an API key, services without credentials grey (neutral, the setting named), a service taken down
// shown down within one sweep (live refresh, no reload) with one incident that opens and closes with
// its MTTR. Screenshots of the sign-in, overview, service and incidents pages go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildControlCenter, KEY, pollUntil, services, startFixture, type Fixture } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const NAMES = ['github-mcp', 'deploy-mcp', 'observability-mcp', 'memory', 'memory-worker'] as const;
const UNCONFIGURED: Record<string, { dep: string; message: string }> = {
  'github-mcp': { dep: 'authentication', message: 'no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings' },
  'deploy-mcp': { dep: 'aws_connectivity', message: 'AWS_REGION is not set: set AWS_REGION (e.g. eu-west-1) to use AWS' },
  'observability-mcp': { dep: 'aws_connectivity', message: 'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' },
};
const MEMORY_DEPS = [
  { name: 'database', required: true },
  { name: 'queue', required: false },
  { name: 'llm', required: false },
];

describe('dashboard in a browser', () => {
  const fixtures = new Map<string, Fixture>();
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  let url = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    for (const name of NAMES) {
      const deps = name === 'memory' ? MEMORY_DEPS : name === 'github-mcp' ? [{ name: 'github_api', required: true }, { name: 'authentication', required: true }] : [{ name: 'aws_connectivity', required: true }];
      const f = await startFixture(name, { tools: name.endsWith('-mcp') || name === 'memory', deps });
      const unset = UNCONFIGURED[name];
      if (unset) f.setNotConfigured(unset.dep, unset.message);
      if (name === 'memory') f.setNotConfigured('llm', 'no LLM configured (LLM_BASE_URL unset)');
      fixtures.set(name, f);
    }
    cc = await buildControlCenter({
      SERVICES: services(NAMES.map((name) => ({ name, url: fixtures.get(name)?.url, mcp: name !== 'memory-worker', sharedApiKey: true, required: name !== 'memory-worker' }))),
      POLLER_ENABLED: 'true',
      POLL_INTERVAL_MS: '1000',
      POLL_JITTER: '0',
      DASHBOARD_REFRESH_MS: '500',
      INCIDENT_FAILURE_THRESHOLD: '2',
    });
    url = (await cc.service.start()).url;
    await pollUntil(() => cc.collector.snapshot.lastSweepAt !== null && cc.collector.catalogs.size === 4);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cc?.service.stop();
    await Promise.all([...fixtures.values()].map((f) => f.stop().catch(() => undefined)));
  });

  it('asks for an API key on a styled sign-in page and signs in with it', async () => {
    await page.goto(`${url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.screenshot({ path: `${ARTIFACTS}login.png` });
    // Chromium submits the sign-in form itself (a same-origin POST), and lands where it came from.
    await page.fill('#key', KEY);
    await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/');
    expect((await context.cookies()).some((c) => c.name === 'factory_session' && c.httpOnly)).toBe(true);
  });

  it('shows services without credentials as neutral, naming the setting, and the factory as available', async () => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    await page.goto(`${url}/`);
    await page.waitForSelector('[data-service="memory"][data-status="up"]');
    const cards = await page.$$eval('[data-service]', (els) => els.map((el) => [el.getAttribute('data-service'), el.getAttribute('data-status')]));
    expect(cards).toEqual([
      ['github-mcp', 'not_configured'],
      ['deploy-mcp', 'not_configured'],
      ['observability-mcp', 'not_configured'],
      ['memory', 'up'],
      ['memory-worker', 'up'],
    ]);
    expect(await page.textContent('#availability')).toContain('Factory available (3 not configured)');
    expect(await page.textContent('[data-service="github-mcp"] .setup')).toContain('set GITHUB_TOKEN');
    expect(await page.textContent('[data-service="deploy-mcp"] .setup')).toContain('AWS_REGION');
    // Grey, not red: the card's top border is the neutral colour.
    const border = await page.evaluate(`getComputedStyle(document.querySelector('[data-service="github-mcp"]')).borderTopColor`);
    expect(border).toBe('rgb(156, 163, 175)');
    expect(await page.$$eval('[data-service="memory"] [data-dependency]', (els) => els.map((el) => el.getAttribute('data-dependency')))).toEqual(['database', 'queue', 'llm']);
    expect(cc.collector.snapshot.openIncidents).toBe(0);
    // The live-refresh script ran (it is allowed by the page's CSP): the header says when it updated.
    await page.waitForSelector('#live:has-text("updated")');
    await page.screenshot({ path: `${ARTIFACTS}overview.png`, fullPage: true });
    expect(violations).toEqual([]);
  });

  it('shows a service taken down as down without reloading, with one incident that opens and closes with its MTTR', async () => {
    await page.evaluate("window.marker = 'same page'");
    const memory = fixtures.get('memory');
    const port = Number(new URL(memory?.url ?? '').port);
    await memory?.stop();
    await page.waitForSelector('[data-service="memory"][data-status="down"]', { timeout: 15_000 });
    expect(await page.evaluate('window.marker')).toBe('same page');
    expect(await page.textContent('#availability')).toContain('Factory unavailable: memory down');
    expect(await page.textContent('[data-service="memory"] .err')).toContain('refused the connection');
    // After the second failing sweep: one incident, linked from the card.
    await page.waitForSelector('[data-service="memory"] .incident', { timeout: 15_000 });
    // The card reads the tracker's memory; the incidents page reads Postgres, which gets the incident
    // from the write buffer a moment later (longer on a loaded machine): the page is reloaded until it has it.
    const openRows = await pollUntil(async () => {
      await page.goto(`${url}/incidents?service=memory&state=open`);
      const rows = await page.$$eval('[data-incident]', (els) => els.map((r) => r.getAttribute('data-state')));
      return rows.length > 0 ? rows : undefined;
    }, 10_000, 200);
    expect(openRows).toEqual(['open']);
    expect(await page.textContent('#mttr')).toBe('–');
    // Acknowledged from the page: a same-origin form post, back on the same list with who took it.
    await page.click('[data-ack]');
    await page.waitForSelector('[data-incident] :text("by tester")');
    expect(new URL(page.url()).search).toBe('?service=memory&state=open');

    fixtures.set('memory', await startFixture('memory', { tools: true, port, deps: MEMORY_DEPS }));
    await page.goto(`${url}/incidents?service=memory`);
    await page.waitForSelector('[data-incident][data-state="resolved"]', { timeout: 15_000 });
    expect(await page.$$eval('[data-incident]', (rows) => rows.map((r) => r.getAttribute('data-state')))).toEqual(['resolved']);
    const seconds = Number(await page.getAttribute('[data-incident] [data-duration]', 'data-duration'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    await page.waitForFunction(`document.getElementById('mttr')?.textContent !== '–'`);
    expect(await page.textContent('#mttr')).toMatch(/^\d+(s|m \d+s)$/);
    await page.screenshot({ path: `${ARTIFACTS}incidents.png`, fullPage: true });
  }, 60_000);

  it('renders the service page with its response-time chart and range selector', async () => {
    await page.goto(`${url}/services/memory?range=1h`);
    await page.waitForSelector('#response-time svg .axis.y text');
    expect(await page.getAttribute('[data-range="1h"]', 'class')).toBe('active');
    expect(await page.textContent('main')).toContain('list_things');
    await page.click('[data-range="24h"]');
    await page.waitForURL(/range=24h/);
    expect(await page.getAttribute('[data-range="24h"]', 'class')).toBe('active');
    await page.screenshot({ path: `${ARTIFACTS}service.png`, fullPage: true });
  });
});
