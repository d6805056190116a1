/**
 * socket.io in headless Chromium (issue #11), with the real socket.io-client bundle in the page and
 * a socket.io 4 server on Express 5 wired with `createAllowRequest(policy)` and
 * `io.engine.use(corsSafety(policy))`. Origins:
 * - allowed page: `http://localhost:<pagePort>`; the API is `http://localhost:<apiPort>`, another
 *   origin of the same site, so the API's SameSite=Lax cookie goes with credentialed requests;
 * - denied page: `http://127.0.0.1:<foreignPort>`.
 *
 * Without Chromium these tests are skipped with a loud warning; with
 * `CORS_SAFETY_REQUIRE_BROWSER=1` (CI) they fail instead.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Browser } from 'playwright-core';
import { Server } from 'socket.io';
import { corsSafety, createAllowRequest, createCorsPolicy, type UpgradeRejectInfo } from '../../src/index.js';
import { chromiumSupport, launchChromium, openPage, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import { startPage, trySocketIo } from './socketio-page.js';

const support = chromiumSupport('test/browser/socketio.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

if (support.required) {
  it('Chromium is available (CORS_SAFETY_REQUIRE_BROWSER=1)', () => {
    if (support.missing !== undefined) assert.fail(requiredBrowserMessage(support));
  });
}

describe('socket.io in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let allowedPage: Running;
  let foreignPage: Running;
  let api: Running;
  let io: Server;
  let apiUrl: string;
  const connections: { origin: string | undefined; cookie: string | undefined }[] = [];
  const rejects: UpgradeRejectInfo[] = [];

  before(async () => {
    if (skip !== false) return;
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    allowedPage = await startPage();
    foreignPage = await startPage();
    const policy = createCorsPolicy({ origin: `http://localhost:${allowedPage.port}`, credentials: true, env: {} });
    const app = express();
    app.use(corsSafety(policy));
    app.post('/api/login', (_req, res) => {
      res.cookie('session', 'user-42', { httpOnly: true, sameSite: 'lax', path: '/' }).json({ ok: true });
    });
    const server = http.createServer(app);
    io = new Server(server, { allowRequest: createAllowRequest(policy, { onReject: (info) => rejects.push(info) }) });
    io.engine.use(corsSafety(policy));
    io.on('connection', (socket) => {
      const req: IncomingMessage = socket.request;
      connections.push({ origin: req.headers.origin, cookie: req.headers.cookie });
      socket.on('echo', (message: unknown, ack: (reply: unknown) => void) => ack(`echo:${String(message)}`));
    });
    api = await listen(server);
    apiUrl = `http://localhost:${api.port}`;
    browser = await launchChromium(support.executablePath);
  });

  after(async () => {
    if (skip !== false) return;
    await browser?.close();
    await io?.close();
    await api?.close();
    await allowedPage?.close();
    await foreignPage?.close();
  });

  it(
    'an allowed page logs in, connects with withCredentials over polling, upgrades to WebSocket, gets its echo, and the cookie reaches the handshake',
    { skip },
    async () => {
      const tab = await openPage(browser, `http://localhost:${allowedPage.port}/`);
      try {
        const login = await tab.page.evaluate(async (url) => {
          const res = await fetch(`${url}/api/login`, { method: 'POST', credentials: 'include' });
          return res.status;
        }, apiUrl);
        assert.equal(login, 200);
        const before = connections.length;
        const outcome = await trySocketIo(tab, apiUrl, { withCredentials: true });
        assert.deepEqual(outcome, { kind: 'connected', first: 'polling', last: 'websocket', reply: 'echo:hello' });
        assert.deepEqual(connections.slice(before), [
          { origin: `http://localhost:${allowedPage.port}`, cookie: 'session=user-42' },
        ]);
        const corsErrors = tab.console.filter((line) => /CORS|Access-Control/i.test(line.text));
        assert.deepEqual(corsErrors, []);
      } finally {
        await tab.context.close();
      }
    },
  );

  it('a denied page fails on both transports and no connection event fires', { skip }, async () => {
    const tab = await openPage(browser, `http://127.0.0.1:${foreignPage.port}/`);
    try {
      const before = connections.length;
      const rejectsBefore = rejects.length;
      const polling = await trySocketIo(tab, apiUrl, { withCredentials: true });
      assert.deepEqual(polling, { kind: 'error', message: 'xhr poll error' });
      const websocket = await trySocketIo(tab, apiUrl, { transports: ['websocket'] });
      assert.deepEqual(websocket, { kind: 'error', message: 'websocket error' });
      assert.equal(connections.length, before);
      assert.deepEqual(
        rejects.slice(rejectsBefore).map(({ reason, origin, status }) => ({ reason, origin, status })),
        [
          { reason: 'origin-not-allowed', origin: `http://127.0.0.1:${foreignPage.port}`, status: 403 },
          { reason: 'origin-not-allowed', origin: `http://127.0.0.1:${foreignPage.port}`, status: 400 },
        ],
      );
    } finally {
      await tab.context.close();
    }
  });
});
