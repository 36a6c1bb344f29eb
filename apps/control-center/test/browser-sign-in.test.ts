// Signing in to the dashboard in Debian's headless Chromium (playwright-core) with API_KEYS set, as in
// every compose and AWS setup: the browser, not the test, decides the Origin and Sec-Fetch-Site headers.
// The control center is reached under a host name that is not loopback (mapped to 127.0.0.1 by
// Chromium's resolver), so only the same-origin rule, not the loopback default, lets the form in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildControlCenter, KEY, services } from './helpers.js';

const SITE = 'factory.test';
const EVIL = 'evil.test';

describe('dashboard sign-in in a browser', () => {
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  let port = 0;
  let evil: Server;
  let evilPort = 0;
  let browser: Browser;

  beforeAll(async () => {
    cc = await buildControlCenter({ SERVICES: services([]), ALLOWED_HOSTS: SITE });
    port = Number(new URL((await cc.service.start()).url).port);
    // A page on another site that posts a valid key to the control center's /login (login CSRF).
    evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id="f" method="post" action="http://${SITE}:${port}/login">
<input name="key" value="${KEY}"><input name="next" value="/"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilPort = (evil.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--host-resolver-rules=MAP ${SITE} 127.0.0.1, MAP ${EVIL} 127.0.0.1`],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await cc?.service.stop();
  });

  const fresh = (): Promise<BrowserContext> => browser.newContext({ viewport: { width: 1280, height: 900 } });

  it('signs in through the /login form and lands on the page it was sent from', async () => {
    const context = await fresh();
    const page = await context.newPage();
    await page.goto(`http://${SITE}:${port}/incidents`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#key', KEY);
    const [posted] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(posted.status()).toBe(303);
    await page.waitForURL(`http://${SITE}:${port}/incidents`);
    expect(await page.textContent('main')).toContain('ncident');
    expect((await context.cookies()).map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['factory_session', true, 'Strict']]);
    await context.close();
  });

  it('refuses a valid key posted from another site, and sets no session', async () => {
    const context = await fresh();
    const page = await context.newPage();
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.url() === `http://${SITE}:${port}/login` && r.request().method() === 'POST'),
      page.goto(`http://${EVIL}:${evilPort}/`),
    ]);
    expect(posted.status()).toBe(403);
    expect(await posted.text()).toContain('origin_not_allowed');
    expect(await context.cookies(`http://${SITE}:${port}`)).toEqual([]);
    await context.close();
  });
});
