/**
 * The combined setup of docs/websockets.md and docs/socketio.md in headless Chromium: one server
 * with `ws` behind upgradeGuard(policy, onAllowed, { paths: ['/ws'] }) and socket.io with
 * createAllowRequest() + io.engine.use(corsSafety()). An allowed page connects to socket.io over
 * polling and upgrades to WebSocket, connects WebSocket-only, and opens a native WebSocket on /ws;
 * a denied page fails on all three. Skipped loudly without Chromium; required under CI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

const support = chromiumSupport('test/browser/ws-socketio.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

const CLIENT_BUNDLE = readFileSync(
  new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url),
);

/** In the page: a socket.io connection (echo after the upgrade on default transports) and a native WebSocket. */
const PAGE_SCRIPT = `
window.trySocketIo = (url, options) => new Promise((resolve) => {
  const socket = io(url, Object.assign({ reconnection: false, forceNew: true, timeout: 10000 }, options));
  const timer = setTimeout(() => { socket.close(); resolve({ kind: 'timeout' }); }, 20000);
  socket.on('connect', () => {
    const engine = socket.io.engine;
    const echo = () => socket.emit('echo', 'hello', (reply) => {
      clearTimeout(timer);
      const last = engine.transport.name;
      socket.close();
      resolve({ kind: 'connected', last, reply });
    });
    if (options.transports === undefined && engine.transport.name === 'polling') engine.once('upgrade', echo);
    else echo();
  });
  socket.on('connect_error', (err) => { clearTimeout(timer); socket.close(); resolve({ kind: 'error', message: err.message }); });
});
window.tryWebSocket = (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => { ws.close(); resolve({ kind: 'timeout' }); }, 20000);
  ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve({ kind: 'message', data: event.data }); };
  ws.onerror = () => { clearTimeout(timer); resolve({ kind: 'error' }); };
});
`;

function startPage(): Promise<Running> {
  return listen(
    http.createServer((req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      if (req.url === '/socket.io.min.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(CLIENT_BUNDLE);
        return;
      }
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        '<!doctype html><html><head><meta charset="utf-8"><title>ws + socket.io</title>' +
          `<script src="/socket.io.min.js"></script></head><body><script>${PAGE_SCRIPT}</script></body></html>`,
      );
    }),
  );
}

function inPage<T>(tab: CollectingPage, name: string, ...args: unknown[]): Promise<T> {
  return tab.page.evaluate(
    ({ name, args }) => (globalThis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name]?.(...args),
    { name, args },
  ) as Promise<T>;
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
    allowedPage = await startPage();
    foreignPage = await startPage();
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
        assert.deepEqual(await inPage(tab, 'trySocketIo', apiUrl, { withCredentials: true }), {
          kind: 'connected',
          last: 'websocket',
          reply: 'echo:hello',
        });
        assert.deepEqual(await inPage(tab, 'trySocketIo', apiUrl, { transports: ['websocket'] }), {
          kind: 'connected',
          last: 'websocket',
          reply: 'echo:hello',
        });
        assert.deepEqual(await inPage(tab, 'tryWebSocket', `ws://localhost:${api.port}/ws`), {
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
      assert.deepEqual(await inPage(tab, 'trySocketIo', apiUrl, {}), { kind: 'error', message: 'xhr poll error' });
      assert.deepEqual(await inPage(tab, 'trySocketIo', apiUrl, { transports: ['websocket'] }), {
        kind: 'error',
        message: 'websocket error',
      });
      assert.deepEqual(await inPage(tab, 'tryWebSocket', `ws://localhost:${api.port}/ws`), { kind: 'error' });
    } finally {
      await tab.context.close();
    }
  });
});
