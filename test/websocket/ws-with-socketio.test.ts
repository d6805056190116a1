/**
 * `ws` behind upgradeGuard() and socket.io on one server, each wired as its docs page says (the
 * combined setup of docs/websockets.md and docs/socketio.md): socket.io's polling session upgrades
 * to WebSocket, WebSocket-only connects, `ws` on `/ws` opens, denied origins are refused on all
 * three, and no bypass warning blames ws. Both registration orders. Real ws and socket.io clients.
 * warnOnce() is once per process: the warning case (a guard without `paths`) runs last.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import express from 'express';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';
import {
  corsSafety,
  createAllowRequest,
  createCorsPolicy,
  upgradeGuard,
  type UpgradeGuardOptions,
} from '../../src/index.js';
import { listen } from '../helpers/listen.js';
import { clientOutcome } from '../helpers/socketio.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings, wsOutcome } from '../helpers/upgrade-harness.js';

const ALLOWED = 'https://app.example.com';
const DENIED = 'https://evil.example';
const T = { timeout: scaled(60_000) };

/** The combined server: Express + corsSafety(), socket.io (allowRequest + engine.use), ws on /ws. */
async function start(
  t: TestContext,
  order: 'guard first' | 'socket.io first',
  guardOptions: UpgradeGuardOptions = { paths: ['/ws'] },
): Promise<{ url: string; wsUrl: string }> {
  const policy = createCorsPolicy({ origin: [ALLOWED], credentials: true, allowedHosts: ['localhost:*'], env: {} });
  const app = express();
  app.use(corsSafety(policy));
  app.get('/api', (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(app);
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.send('welcome');
  });
  const onAllowed = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  const addGuard = (): void => void server.on('upgrade', upgradeGuard(policy, onAllowed, guardOptions));
  if (order === 'guard first') addGuard();
  const io = new Server(server, { allowRequest: createAllowRequest(policy) });
  io.engine.use(corsSafety(policy));
  io.on('connection', (socket) => {
    socket.on('echo', (text: unknown, ack: (reply: unknown) => void) => ack(text));
  });
  if (order === 'socket.io first') addGuard();
  const running = await listen(server);
  t.after(async () => {
    await io.close();
    wss.close();
    await running.close();
  });
  return { url: running.url, wsUrl: running.url.replace(/^http/, 'ws') };
}

describe('ws (upgradeGuard with paths) and socket.io on one server', () => {
  for (const order of ['guard first', 'socket.io first'] as const) {
    it(`${order}: both socket.io transports and ws work; denied origins are refused; no warning`, T, async (t) => {
      const warnings = collectWarnings(t, 'CORS_SAFETY_UPGRADE_BYPASS');
      const { url, wsUrl } = await start(t, order);
      assert.deepEqual(await clientOutcome(url, undefined, ALLOWED), {
        kind: 'connected',
        first: 'polling',
        last: 'websocket',
        echo: 'ping',
      });
      assert.deepEqual(await clientOutcome(url, ['websocket'], ALLOWED), {
        kind: 'connected',
        first: 'websocket',
        last: 'websocket',
        echo: 'ping',
      });
      assert.deepEqual(await wsOutcome(`${wsUrl}/ws`, { origin: ALLOWED }), { kind: 'open' });
      const ownPage = url.replace('127.0.0.1', 'localhost');
      assert.deepEqual(await wsOutcome(`${wsUrl}/ws`, { origin: ownPage, headers: { host: new URL(ownPage).host } }), {
        kind: 'open',
      });
      // Refusals on each of the three.
      const refusedWs = await wsOutcome(`${wsUrl}/ws`, { origin: DENIED });
      assert.equal(refusedWs.kind === 'refused' ? refusedWs.status : refusedWs.kind, 403);
      const polling = await clientOutcome(url, ['polling'], DENIED);
      assert.equal(polling.kind, 'error');
      const websocketOnly = await clientOutcome(url, ['websocket'], DENIED);
      assert.equal(websocketOnly.kind, 'error');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, [], 'no bypass warning for the documented combined setup');
    });
  }

  it('a path neither serves is not opened (engine.io closes what no listener takes)', T, async (t) => {
    const { wsUrl } = await start(t, 'guard first');
    const outcome = await wsOutcome(`${wsUrl}/elsewhere`, { origin: ALLOWED }, scaled(8000));
    assert.notEqual(outcome.kind, 'open');
  });

  it("unmatchedPath: 'not-found' given explicitly still answers 404 on other paths", T, async (t) => {
    const { wsUrl } = await start(t, 'guard first', { paths: ['/ws'], unmatchedPath: 'not-found' });
    const outcome = await wsOutcome(`${wsUrl}/elsewhere`, { origin: ALLOWED });
    assert.equal(outcome.kind === 'refused' ? outcome.status : outcome.kind, 404);
  });

  it(
    'a guard without paths next to socket.io: warned once, with the fix that applies (paths), not ws',
    T,
    async (t) => {
      const warnings = collectWarnings(t, 'CORS_SAFETY_UPGRADE_BYPASS');
      const { wsUrl } = await start(t, 'socket.io first', {});
      await wsOutcome(`${wsUrl}/ws`, { origin: ALLOWED });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1);
      const message = warnings[0]?.message ?? '';
      assert.match(message, /1 other 'upgrade' listener \(\(anonymous\)\) besides upgradeGuard\(\)/);
      assert.match(message, /socket\.io adds one for its own path: give the guard paths/);
      assert.doesNotMatch(message, /noServer/);
    },
  );
});
