/**
 * upgradeGuard({ paths }): only listed upgrade paths are accepted; the others are answered 404,
 * destroyed, or handed to another listener, and never left open.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { upgradeGuard } from '../../src/websocket/upgrade-guard.js';
import { rawUpgrade, startGuard, wsOutcome } from '../helpers/upgrade-harness.js';

const policy = createCorsPolicy({ origin: 'https://app.example.com', env: {} });
const allowed = { origin: 'https://app.example.com' };

describe('upgradeGuard: paths', () => {
  test('a listed path is accepted with or without a query; the origin is still checked there', async (t) => {
    const h = await startGuard(t, policy, { paths: ['/chat', '/live'] });
    assert.deepEqual(await wsOutcome(`${h.url}/chat`, allowed), { kind: 'open' });
    assert.deepEqual(await wsOutcome(`${h.url}/live?room=1`, allowed), { kind: 'open' });
    const refused = await wsOutcome(`${h.url}/chat`, { origin: 'https://evil.example' });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.deepEqual(
      h.connections.map((req) => req.url),
      ['/chat', '/live?room=1'],
    );
  });

  test('by default an unlisted path gets 404 and is closed, whatever its origin', async (t) => {
    const h = await startGuard(t, policy, { paths: ['/chat'] });
    for (const path of ['/', '/chat/', '/Chat', '/other?x=/chat', '//chat']) {
      const outcome = await wsOutcome(`${h.url}${path}`, allowed);
      assert.equal(outcome.kind === 'refused' && outcome.status, 404, path);
      assert.equal(outcome.kind === 'refused' && outcome.body, 'Not Found');
    }
    assert.equal(h.connections.length, 0);
    assert.deepEqual(
      new Set(h.rejects.map((r) => [r.reason, r.status, r.origin].join())),
      new Set(['path-not-matched,404,']),
    );
    await h.waitForNoOpenSockets();
  });

  test("unmatchedPath: 'destroy' closes the socket without an answer", async (t) => {
    const h = await startGuard(t, policy, { paths: ['/chat'], unmatchedPath: 'destroy' });
    const answer = await rawUpgrade(h.port, ['Host: 127.0.0.1', 'Origin: https://app.example.com'], { path: '/other' });
    assert.equal(answer.status, undefined);
    assert.equal(answer.head, '');
    assert.equal(answer.closedByServer, true);
    assert.deepEqual(
      h.rejects.map((r) => [r.reason, r.status]),
      [['path-not-matched', undefined]],
    );
    await h.waitForNoOpenSockets();
  });

  test('unmatchedPath as a listener composes guards with different policies on one server', async (t) => {
    const chat = new WebSocketServer({ noServer: true });
    const admin = new WebSocketServer({ noServer: true });
    const seen: string[] = [];
    for (const [name, wss] of [
      ['chat', chat],
      ['admin', admin],
    ] as const) {
      wss.on('connection', (ws, req: IncomingMessage) => {
        ws.on('error', () => {});
        seen.push(`${name} ${req.headers.origin ?? ''}`);
      });
    }
    const adminGuard = upgradeGuard(
      { origin: 'https://admin.example.com', env: {} },
      (req, socket, head) => admin.handleUpgrade(req, socket, head, (ws) => admin.emit('connection', ws, req)),
      { paths: ['/admin'], requireOrigin: true },
    );
    const server = createServer();
    server.on(
      'upgrade',
      upgradeGuard(
        policy,
        (req, socket, head) => chat.handleUpgrade(req, socket, head, (ws) => chat.emit('connection', ws, req)),
        {
          paths: ['/chat'],
          unmatchedPath: adminGuard,
        },
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(async () => {
      for (const wss of [chat, admin]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    assert.deepEqual(await wsOutcome(`${url}/chat`, allowed), { kind: 'open' });
    assert.deepEqual(await wsOutcome(`${url}/admin`, { origin: 'https://admin.example.com' }), { kind: 'open' });
    const crossed = await wsOutcome(`${url}/admin`, allowed);
    assert.equal(crossed.kind === 'refused' && crossed.status, 403);
    const nowhere = await wsOutcome(`${url}/nowhere`, allowed);
    assert.equal(nowhere.kind === 'refused' && nowhere.status, 404);
    assert.deepEqual(seen, ['chat https://app.example.com', 'admin https://admin.example.com']);
  });
});
