/**
 * Real browsers through real nginx, in Chromium, Firefox and WebKit: a page at `http://localhost:<port>` (the
 * allowed origin) calls the API through nginx at `http://127.0.0.1:<port>` with credentials and
 * an Authorization header (so a real preflight goes first). With the app up it reads the app's
 * 200; with the app stopped it reads nginx's 502 and its JSON body, because nginx answers the
 * preflight and the error from the same policy. A page on another origin gets a network error.
 *
 * Skipped loudly without an engine or nginx; CI (`CORS_SAFETY_REQUIRE_BROWSER=1`,
 * `CORS_SAFETY_REQUIRE_NGINX=1`) fails instead.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe } from 'node:test';
import { createCorsPolicy, createNginxConfig } from '../../src/index.js';
import { describeEngines, type EngineRun } from '../helpers/engines.js';
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
import { scaled } from '../helpers/time.js';
import { NETWORK_ERROR } from './page-calls.js';

const SUITE = 'test/browser/nginx-browser.test.ts';
const support = nginxSupport(SUITE);
const skip = nginxSkip(support);

const POLICY = createCorsPolicy({ origin: 'http://localhost:*', credentials: true });

/** What the page's script saw. */
type Outcome = { status: number; body: string } | { error: string };

describe('through nginx', { skip }, () => {
  let app: App;
  let proxy: RunningNginx;
  let page: Running;
  let appStopped = false;

  before(async () => {
    assertNginxPresent(support);
    page = await listen(
      http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end('<!doctype html><title>nginx test page</title><p>page</p>');
      }),
    );
  });

  after(async () => {
    await page?.close();
  });

  function fetchFrom(run: EngineRun, pageUrl: string): Promise<Outcome> {
    return run.withTab(pageUrl, (tab) =>
      tab.evaluate(async (url: string): Promise<Outcome> => {
        try {
          const res = await fetch(url, { credentials: 'include', headers: { Authorization: 'Bearer token' } });
          return { status: res.status, body: await res.text() };
        } catch (err) {
          return { error: String(err) };
        }
      }, `${proxy.url}/ok`),
    );
  }

  describeEngines(SUITE, 'app up, then stopped', { timeout: scaled(180_000) }, (run) => {
    // A fresh app and nginx per engine: the first test stops the app.
    run.before(async () => {
      app = await startApp(POLICY);
      appStopped = false;
      const config = createNginxConfig(POLICY);
      proxy = await startNginx(support, exampleSite({ upstreamPort: app.port }), {
        'cors-safety-http.conf': config.http,
        'cors-safety-server.conf': config.server,
      });
    });

    after(async () => {
      await proxy?.stop();
      if (!appStopped) await app?.close();
    });

    run.it("the allowed page reads the app's 200, then, with the app stopped, nginx's 502 and its body", async () => {
      const allowedPage = `http://localhost:${page.port}/`;
      const up = await fetchFrom(run, allowedPage);
      assert.deepEqual(up, { status: 200, body: '{"ok":true}' });

      appStopped = true;
      await app.close();
      const down = await fetchFrom(run, allowedPage);
      assert.deepEqual(down, { status: 502, body: '{"error":{"status":502,"message":"Bad Gateway"}}' });
    });

    run.it('a page on another origin gets a network error, not the 502', async () => {
      const outcome = await fetchFrom(run, `http://127.0.0.1:${page.port}/`);
      assert.deepEqual(outcome, { error: NETWORK_ERROR[run.engine] });
    });
  });
});
