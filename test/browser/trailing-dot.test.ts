/**
 * A page opened under its trailing-dot name: Chromium sends `Origin: http://localhost.:<port>`,
 * a distinct origin, which a policy allows when it lists it as an exact entry (and does not allow
 * through the plain name). Headless Chromium against a real Express API. Skipped loudly without
 * Chromium; required under CI.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Browser } from 'playwright-core';
import { corsSafety } from '../../src/index.js';
import { chromiumSupport, launchChromium, openPage, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';

const support = chromiumSupport('test/browser/trailing-dot.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

if (support.required) {
  it('Chromium is available (CORS_SAFETY_REQUIRE_BROWSER=1)', () => {
    if (support.missing !== undefined) assert.fail(requiredBrowserMessage(support));
  });
}

describe('a trailing-dot origin in headless Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Running;
  let dotted: Running;
  let plain: Running;
  const seen: (string | undefined)[] = [];

  /** An API allowing exactly `origins`, recording each Origin it receives. */
  const api = (origins: string[]): Promise<Running> => {
    const app = express();
    app.use((req, _res, next) => {
      seen.push(req.headers.origin);
      next();
    });
    app.use(corsSafety({ origin: origins, env: {} }));
    app.get('/data', (_req, res) => {
      res.json({ ok: true });
    });
    return listen(http.createServer(app));
  };

  before(async () => {
    if (skip !== false) return;
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    page = await listen(http.createServer((_req, res) => res.end('<!doctype html><title>page</title>')));
    dotted = await api([`http://localhost.:${page.port}`]);
    plain = await api([`http://localhost:${page.port}`]);
    browser = await launchChromium(support.executablePath);
  });

  after(async () => {
    if (skip !== false) return;
    await browser?.close();
    await Promise.all([page?.close(), dotted?.close(), plain?.close()]);
  });

  it('the exact trailing-dot entry allows the page; the plain name does not', { skip }, async () => {
    const tab = await openPage(browser, `http://localhost.:${page.port}/`);
    try {
      const fetchFrom = (url: string) =>
        tab.page.evaluate(async (target) => {
          try {
            const res = await fetch(target);
            return `${res.status} ${JSON.stringify(await res.json())}`;
          } catch (err) {
            return `blocked: ${(err as Error).name}`;
          }
        }, url);
      assert.equal(await fetchFrom(`http://127.0.0.1:${dotted.port}/data`), '200 {"ok":true}');
      assert.equal(await fetchFrom(`http://127.0.0.1:${plain.port}/data`), 'blocked: TypeError');
      assert.deepEqual(seen, [`http://localhost.:${page.port}`, `http://localhost.:${page.port}`]);
    } finally {
      await tab.context.close();
    }
  });
});
