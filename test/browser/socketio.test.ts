/**
 * socket.io in Chromium, Firefox and WebKit (issues #11, #24), with the real socket.io-client
 * bundle in the page and a socket.io 4 server on Express 5 wired with `createAllowRequest(policy)`
 * and `io.engine.use(corsSafety(policy))`. Origins:
 * - allowed page: `http://localhost:<pagePort>`; the API is `http://localhost:<apiPort>`, another
 *   origin of the same site, so the API's SameSite=Lax session cookie goes with credentialed requests;
 * - denied page: `http://127.0.0.1:<foreignPort>` (another site).
 *
 * The cookie cases measure what each engine sends on a WebSocket handshake it opens from another
 * site, or from a sandboxed iframe (`Origin: null`): WebKit sends the victim's SameSite=Lax cookie
 * on both, Chromium and Firefox send none; in every engine the guard refuses the handshake.
 *
 * A missing engine is skipped with a loud warning; with `CORS_SAFETY_REQUIRE_BROWSER=1` (CI) it fails.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import { after, before } from 'node:test';
import express from 'express';
import { Server } from 'socket.io';
import { corsSafety, createAllowRequest, createCorsPolicy, type UpgradeRejectInfo } from '../../src/index.js';
import { describeEngines, type BrowserTab, type EngineName } from '../helpers/engines.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { startPage, type PageOutcome } from './socketio-page.js';

const SUITE = 'test/browser/socketio.test.ts';

/**
 * The page's WebSocket helpers, beside socketio-page.ts's `trySocketIo`: `tryWebSocket` opens a
 * plain WebSocket, `tryFramedWebSocket` from a framed page, and `trySandboxedWebSocket` from a
 * sandboxed iframe (an opaque origin: `Origin: null`).
 */
const WEBSOCKET_HELPERS = `
const SOCKET_SOURCE = (url) => \`
  const events = [];
  const socket = new WebSocket(\${JSON.stringify(url)});
  socket.onopen = () => { events.push('open'); socket.close(); };
  socket.onerror = () => events.push('error');
  socket.onclose = (e) => { events.push('close:' + e.code); parent.postMessage(events.join(','), '*'); };
\`;
window.tryWebSocket = (url) => new Promise((resolve) => {
  const onMessage = (e) => { window.removeEventListener('message', onMessage); resolve(e.data); };
  window.addEventListener('message', onMessage);
  new Function('parent', SOCKET_SOURCE(url))(window);
});
window.tryFramedWebSocket = (frameUrl) => new Promise((resolve) => {
  const frame = document.createElement('iframe');
  frame.src = frameUrl;
  const onMessage = (e) => { if (e.source !== frame.contentWindow) return; window.removeEventListener('message', onMessage); resolve(e.data); };
  window.addEventListener('message', onMessage);
  document.body.appendChild(frame);
});
const framedSocket = new URLSearchParams(location.search).get('ws');
if (framedSocket !== null) new Function('parent', SOCKET_SOURCE(framedSocket))(window.parent);
window.trySandboxedWebSocket = (url) => new Promise((resolve) => {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.srcdoc = '<script>' + SOCKET_SOURCE(url) + '</' + 'script>';
  const onMessage = (e) => { if (e.source !== frame.contentWindow) return; window.removeEventListener('message', onMessage); resolve(e.data); };
  window.addEventListener('message', onMessage);
  document.body.appendChild(frame);
});
`;

/** Where the refused handshake comes from, in the cookie cases. */
type Attacker = 'cross-site page' | 'cross-site iframe' | 'sandboxed iframe';

/**
 * The victim's SameSite=Lax session cookie each engine sends on a handshake from `Attacker`
 * (measured here). WebKit applies no SameSite rule to WebSocket handshakes: only its default
 * third-party cookie blocking withholds the cookie, and only when the top-level page is on
 * another site.
 */
const HANDSHAKE_COOKIE: Readonly<Record<Attacker, Readonly<Record<EngineName, string | undefined>>>> = {
  'cross-site page': { Chromium: undefined, Firefox: undefined, WebKit: undefined },
  'cross-site iframe': { Chromium: undefined, Firefox: undefined, WebKit: 'session=user-42' },
  'sandboxed iframe': { Chromium: undefined, Firefox: undefined, WebKit: 'session=user-42' },
};

function trySocketIo(tab: BrowserTab, url: string, options: Record<string, unknown>): Promise<PageOutcome> {
  return tab.evaluate(
    ({ url, options }: { url: string; options: Record<string, unknown> }) =>
      (
        globalThis as unknown as { trySocketIo: (u: string, o: Record<string, unknown>) => Promise<PageOutcome> }
      ).trySocketIo(url, options),
    { url, options },
  );
}

/** Opens a WebSocket from `tab` as `attacker` and resolves with its events (`error,close:1006`). */
function tryWebSocket(tab: BrowserTab, url: string, attacker: Attacker): Promise<string> {
  const frameUrl = `http://127.0.0.1:${foreignPage.port}/?ws=${encodeURIComponent(url)}`;
  return tab.evaluate(
    ({ url, attacker, frameUrl }: { url: string; attacker: Attacker; frameUrl: string }) => {
      const page = globalThis as unknown as Record<string, (u: string) => Promise<string>>;
      if (attacker === 'cross-site iframe') return page.tryFramedWebSocket!(frameUrl);
      return attacker === 'sandboxed iframe' ? page.trySandboxedWebSocket!(url) : page.tryWebSocket!(url);
    },
    { url, attacker, frameUrl },
  );
}

/** Logs in from `tab` (an allowed page): the API sets its SameSite=Lax session cookie. */
async function logIn(tab: BrowserTab): Promise<void> {
  const status = await tab.evaluate(async (url: string) => {
    const res = await fetch(`${url}/api/login`, { method: 'POST', credentials: 'include' });
    return res.status;
  }, apiUrl);
  assert.equal(status, 200);
}

let allowedPage: Running;
let foreignPage: Running;
let api: Running;
let io: Server;
let apiUrl: string;
const connections: { origin: string | undefined; cookie: string | undefined }[] = [];
/** Every WebSocket handshake that reached the server, before any check. */
const handshakes: { origin: string | undefined; cookie: string | undefined }[] = [];
const rejects: UpgradeRejectInfo[] = [];

before(async () => {
  allowedPage = await startPage(WEBSOCKET_HELPERS);
  foreignPage = await startPage(WEBSOCKET_HELPERS);
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
  server.prependListener('upgrade', (req: IncomingMessage) =>
    handshakes.push({ origin: req.headers.origin, cookie: req.headers.cookie }),
  );
  api = await listen(server);
  apiUrl = `http://localhost:${api.port}`;
});

after(async () => {
  await io?.close();
  await api?.close();
  await allowedPage?.close();
  await foreignPage?.close();
});

describeEngines(SUITE, 'socket.io in a real browser', { timeout: scaled(180_000) }, (run) => {
  const { engine } = run;
  const allowedUrl = (): string => `http://localhost:${allowedPage.port}/`;
  const foreignUrl = (): string => `http://127.0.0.1:${foreignPage.port}/`;
  const wsUrl = (): string => `ws://localhost:${api.port}/socket.io/?EIO=4&transport=websocket`;

  run.it(
    'an allowed page logs in, connects with withCredentials over polling, upgrades to WebSocket, gets its echo, and the cookie reaches the handshake',
    () =>
      run.withTab(allowedUrl(), async (tab) => {
        await logIn(tab);
        const before = connections.length;
        const outcome = await trySocketIo(tab, apiUrl, { withCredentials: true });
        assert.deepEqual(outcome, { kind: 'connected', first: 'polling', last: 'websocket', reply: 'echo:hello' });
        assert.deepEqual(connections.slice(before), [
          { origin: `http://localhost:${allowedPage.port}`, cookie: 'session=user-42' },
        ]);
        const corsErrors = tab.console.filter((line) => /CORS|Access-Control|Cross-Origin/i.test(line.text));
        assert.deepEqual(corsErrors, []);
      }),
  );

  run.it('a denied page fails on both transports and no connection event fires', () =>
    run.withTab(foreignUrl(), async (tab) => {
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
    }),
  );

  for (const attacker of ['cross-site page', 'cross-site iframe', 'sandboxed iframe'] as const) {
    const cookie = HANDSHAKE_COOKIE[attacker][engine];
    const origin = (): string => (attacker === 'sandboxed iframe' ? 'null' : `http://127.0.0.1:${foreignPage.port}`);
    run.it(
      `after the victim logged in, a ${attacker} opens a WebSocket to the API: the handshake ${cookie === undefined ? 'carries no cookie' : "carries the victim's cookie"} and the guard refuses it`,
      () =>
        run.withTab(allowedUrl(), async (tab) => {
          await logIn(tab);
          if (attacker === 'cross-site page') await tab.goto(foreignUrl());
          const counts = { handshakes: handshakes.length, rejects: rejects.length, connections: connections.length };
          assert.equal(await tryWebSocket(tab, wsUrl(), attacker), 'error,close:1006');
          assert.deepEqual(handshakes.slice(counts.handshakes), [{ origin: origin(), cookie }]);
          const refused = rejects.slice(counts.rejects).map((info) => ({ reason: info.reason, origin: info.origin }));
          const reason = attacker === 'sandboxed iframe' ? 'origin-null' : 'origin-not-allowed';
          assert.deepEqual(refused, [{ reason, origin: origin() }]);
          assert.equal(connections.length, counts.connections);
        }),
    );
  }
});
