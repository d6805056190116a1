/**
 * The combined setup of docs/websockets.md and docs/socketio.md in headless Chromium: one server
 * with `ws` behind upgradeGuard(policy, onAllowed, { paths: ['/ws'] }) and socket.io with
 * createAllowRequest() + io.engine.use(corsSafety()). An allowed page connects to socket.io over
 * polling and upgrades to WebSocket, connects WebSocket-only, and opens a native WebSocket on /ws;
 * a denied page fails on all three. Skipped loudly without Chromium; required under CI.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Browser } from 'playwright-core';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';
import { corsSafety, createAllowRequest, createCorsPolicy, upgradeGuard } from '../../src/index.js';
import {
  chromiumSupport,
  launchChromium,
  openPage,
  requiredBrowserMessage,
  type CollectingPage,
} from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import { startPage, trySocketIo } from './socketio-page.js';

const support = chromiumSupport('test/browser/ws-socketio.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

/** In the page, beside trySocketIo(): a native WebSocket that resolves with its first message. */
const WEBSOCKET_SCRIPT = `
window.tryWebSocket = (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => { ws.close(); resolve({ kind: 'timeout' }); }, 20000);
  ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve({ kind: 'message', data: event.data }); };
  ws.onerror = () => { clearTimeout(timer); resolve({ kind: 'error' }); };
});
`;

function tryWebSocket(tab: CollectingPage, url: string): Promise<unknown> {
  return tab.page.evaluate(
    (target) => (globalThis as unknown as { tryWebSocket: (u: string) => Promise<unknown> }).tryWebSocket(target),
    url,
  );
}

if (support.required) {
  it('Chromium is available (CORS_SAFETY_REQUIRE_BROWSER=1)', () => {
    if (support.missing !== undefined) assert.fail(requiredBrowserMessage(support));
  });
}

describe('ws (upgradeGuard) and socket.io on one server, in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let allowedPage: Running;
  let foreignPage: Running;
  let api: Running;
  let io: Server;
  let wss: WebSocketServer;

  before(async () => {
    if (skip !== false) return;
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    allowedPage = await startPage(WEBSOCKET_SCRIPT);
    foreignPage = await startPage(WEBSOCKET_SCRIPT);
    const policy = createCorsPolicy({ origin: `http://localhost:${allowedPage.port}`, credentials: true, env: {} });
    const app = express();
    app.use(corsSafety(policy));
    const server = http.createServer(app);
    wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.send('welcome');
    });
    const onAllowed = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    server.on('upgrade', upgradeGuard(policy, onAllowed, { paths: ['/ws'] }));
    io = new Server(server, { allowRequest: createAllowRequest(policy) });
    io.engine.use(corsSafety(policy));
    io.on('connection', (socket) => {
      socket.on('echo', (message: unknown, ack: (reply: unknown) => void) => ack(`echo:${String(message)}`));
    });
    api = await listen(server);
    browser = await launchChromium(support.executablePath);
  });

  after(async () => {
    if (skip !== false) return;
    await browser?.close();
    await io?.close();
    wss?.close();
    await api?.close();
    await allowedPage?.close();
    await foreignPage?.close();
  });

  it(
    'an allowed page: socket.io upgrades to WebSocket, WebSocket-only connects, ws on /ws opens',
    { skip },
    async () => {
      const tab = await openPage(browser, `http://localhost:${allowedPage.port}/`);
      try {
        const apiUrl = `http://localhost:${api.port}`;
        assert.deepEqual(await trySocketIo(tab, apiUrl, { withCredentials: true }), {
          kind: 'connected',
          first: 'polling',
          last: 'websocket',
          reply: 'echo:hello',
        });
        assert.deepEqual(await trySocketIo(tab, apiUrl, { transports: ['websocket'] }), {
          kind: 'connected',
          first: 'websocket',
          last: 'websocket',
          reply: 'echo:hello',
        });
        assert.deepEqual(await tryWebSocket(tab, `ws://localhost:${api.port}/ws`), {
          kind: 'message',
          data: 'welcome',
        });
      } finally {
        await tab.context.close();
      }
    },
  );

  it('a denied page fails on all three', { skip }, async () => {
    const tab = await openPage(browser, `http://127.0.0.1:${foreignPage.port}/`);
    try {
      const apiUrl = `http://localhost:${api.port}`;
      assert.deepEqual(await trySocketIo(tab, apiUrl, {}), { kind: 'error', message: 'xhr poll error' });
      assert.deepEqual(await trySocketIo(tab, apiUrl, { transports: ['websocket'] }), {
        kind: 'error',
        message: 'websocket error',
      });
      assert.deepEqual(await tryWebSocket(tab, `ws://localhost:${api.port}/ws`), { kind: 'error' });
    } finally {
      await tab.context.close();
    }
  });
});
