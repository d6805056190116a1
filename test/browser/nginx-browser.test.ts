/**
 * Real browser through real nginx: headless Chromium on a page at `http://localhost:<port>` (the
 * allowed origin) calls the API through nginx at `http://127.0.0.1:<port>` with credentials and
 * an Authorization header (so a real preflight goes first). With the app up it reads the app's
 * 200; with the app stopped it reads nginx's 502 and its JSON body, because nginx answers the
 * preflight and the error from the same policy. A page on another origin gets a network error.
 *
 * Skipped loudly without Chromium or nginx; CI (`CORS_SAFETY_REQUIRE_BROWSER=1`,
 * `CORS_SAFETY_REQUIRE_NGINX=1`) fails instead.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createCorsPolicy, createNginxConfig } from '../../src/index.js';
import { chromiumSupport, launchChromium, openPage, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import {
  assertNginxPresent,
  exampleSite,
  nginxSkip,
  nginxSupport,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx.js';
import { startApp, type App } from '../proxy/nginx-app.js';

const browserSupport = chromiumSupport('test/browser/nginx-browser.test.ts');
const support = nginxSupport('test/browser/nginx-browser.test.ts');
const browserSkip =
  browserSupport.missing !== undefined && !browserSupport.required ? `skipped: ${browserSupport.missing}` : false;
const skip = browserSkip === false ? nginxSkip(support) : browserSkip;

const POLICY = createCorsPolicy({ origin: 'http://localhost:*', credentials: true });

/** What the page's script saw. */
type Outcome = { status: number; body: string } | { error: string };

describe('Chromium through nginx, app stopped', { skip }, () => {
  let browser: Browser;
  let app: App;
  let proxy: RunningNginx;
  let page: Running;

  before(async () => {
    if (browserSupport.missing !== undefined) throw new Error(requiredBrowserMessage(browserSupport));
    assertNginxPresent(support);
    app = await startApp(POLICY);
    const config = createNginxConfig(POLICY);
    proxy = await startNginx(support, exampleSite({ upstreamPort: app.port }), {
      'cors-safety-http.conf': config.http,
      'cors-safety-server.conf': config.server,
    });
    page = await listen(
      http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end('<!doctype html><title>nginx test page</title><p>page</p>');
      }),
    );
    browser = await launchChromium(browserSupport.executablePath);
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await app?.close();
    await page?.close();
  });

  async function fetchFrom(pageUrl: string): Promise<Outcome> {
    const tab = await openPage(browser, pageUrl);
    try {
      return await tab.page.evaluate(async (url: string): Promise<Outcome> => {
        try {
          const res = await fetch(url, { credentials: 'include', headers: { Authorization: 'Bearer token' } });
          return { status: res.status, body: await res.text() };
        } catch (err) {
          return { error: String(err) };
        }
      }, `${proxy.url}/ok`);
    } finally {
      await tab.context.close();
    }
  }

  it("app up, then stopped: the allowed page reads the app's 200, then nginx's 502 and its body", async () => {
    const allowedPage = `http://localhost:${page.port}/`;
    const up = await fetchFrom(allowedPage);
    assert.deepEqual(up, { status: 200, body: '{"ok":true}' });

    await app.close();
    const down = await fetchFrom(allowedPage);
    assert.deepEqual(down, { status: 502, body: '{"error":{"status":502,"message":"Bad Gateway"}}' });
  });

  it('a page on another origin gets a network error, not the 502', async () => {
    const outcome = await fetchFrom(`http://127.0.0.1:${page.port}/`);
    assert.ok('error' in outcome, JSON.stringify(outcome));
    assert.match(outcome.error, /TypeError: Failed to fetch/);
  });
});
