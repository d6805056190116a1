/**
 * Every documented way of wiring cors-safety to ws, with the real ws client and server: a refused
 * origin never reaches the `connection` event and an allowed one does. Plus createVerifyClient()
 * on its own, and the one wiring documented as unsafe.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { CorsSafetyOptions } from '../../src/policy/options.js';
import { createCorsPolicy } from '../../src/policy/policy.js';
import {
  createVerifyClient,
  upgradeGuard,
  type UpgradeRejectInfo,
  type VerifyClientOptions,
} from '../../src/websocket/upgrade-guard.js';
import {
  KEY,
  delay,
  rawUpgrade,
  startGuard,
  startWs,
  waitFor,
  wsOutcome,
  type Harness,
} from '../helpers/upgrade-harness.js';

const syncPolicy = createCorsPolicy({ origin: 'https://app.example.com', env: {} });
const asyncPolicy = createCorsPolicy({
  origin: async (origin: string) => {
    await delay(10);
    return origin === 'https://app.example.com';
  },
  env: {},
});

type Wiring = (t: TestContext, policy: typeof syncPolicy) => Promise<Harness>;

const wirings: Record<string, Wiring> = {
  'http server + upgradeGuard + WebSocketServer({ noServer: true })': (t, policy) => startGuard(t, policy),
  'http server + upgradeGuard({ paths }) + noServer': (t, policy) => startGuard(t, policy, { paths: ['/'] }),
  'WebSocketServer({ server, verifyClient: createVerifyClient(policy) })': (t, policy) =>
    startWs(t, 'server', { verifyClient: createVerifyClient(policy) }),
  'WebSocketServer({ port, verifyClient: createVerifyClient(policy) })': (t, policy) =>
    startWs(t, 'port', { verifyClient: createVerifyClient(policy) }),
};

describe('documented wirings', () => {
  for (const [name, start] of Object.entries(wirings)) {
    for (const [kind, policy] of [
      ['sync policy', syncPolicy],
      ['async origin function', asyncPolicy],
    ] as const) {
      test(`${name}, ${kind}: refused never connects, allowed does`, async (t) => {
        const h = await start(t, policy);
        const refused = await wsOutcome(h.url, { origin: 'https://evil.example' });
        assert.equal(refused.kind === 'refused' && refused.status, 403);
        const downgrade = await wsOutcome(h.url, { origin: 'http://app.example.com' });
        assert.equal(downgrade.kind === 'refused' && downgrade.status, 403);
        const duplicate = await rawUpgrade(h.port, [
          'Host: 127.0.0.1',
          'Origin: https://app.example.com',
          'Origin: https://app.example.com',
        ]);
        assert.equal(duplicate.status, 403);
        const legacy = await wsOutcome(h.url, { protocolVersion: 8, origin: 'https://evil.example' });
        assert.equal(legacy.kind === 'refused' && legacy.status, 403);
        await delay(20);
        assert.equal(h.connections.length, 0, 'a refused origin reached connection');
        assert.deepEqual(await wsOutcome(h.url, { origin: 'https://app.example.com' }), { kind: 'open' });
        assert.deepEqual(await wsOutcome(h.url, { protocolVersion: 8, origin: 'https://app.example.com' }), {
          kind: 'open',
        });
        assert.equal(h.connections.length, 2);
        await h.waitForNoOpenSockets();
      });
    }
  }
});

async function verifyClientServer(
  t: TestContext,
  policy: typeof syncPolicy | CorsSafetyOptions,
  options?: VerifyClientOptions,
) {
  const rejects: UpgradeRejectInfo[] = [];
  const h = await startWs(t, 'server', {
    verifyClient: createVerifyClient(policy, { ...options, onReject: (info) => rejects.push(info) }),
  });
  return { ...h, rejects };
}

describe('createVerifyClient()', () => {
  test('is the two-parameter (async) form ws expects, with its own name', () => {
    const verifyClient = createVerifyClient(syncPolicy);
    assert.equal(verifyClient.length, 2);
    assert.equal(verifyClient.name, 'corsSafetyVerifyClient');
  });

  test('no Origin passes by default and is refused with requireOrigin; onReject sees the reason', async (t) => {
    const open = await verifyClientServer(t, syncPolicy);
    assert.deepEqual(await wsOutcome(open.url), { kind: 'open' });
    const strict = await verifyClientServer(t, syncPolicy, { requireOrigin: true });
    const refused = await wsOutcome(strict.url);
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.equal(refused.kind === 'refused' && refused.body, 'Forbidden');
    assert.deepEqual(
      strict.rejects.map((r) => [r.reason, r.origin, r.status]),
      [['origin-missing', undefined, 403]],
    );
    assert.equal(strict.connections.length, 0);
  });

  test('Host problems get 400; same-origin and trustProxy work as in the guard', async (t) => {
    const h = await verifyClientServer(
      t,
      { origin: false, allowedHosts: 'app.example.com', env: {} },
      { trustProxy: true },
    );
    assert.equal((await rawUpgrade(h.port, ['Origin: https://app.example.com'])).status, 400);
    assert.equal((await rawUpgrade(h.port, ['Host: a', 'Host: b'])).status, 400);
    const proxied = [
      'Host: 127.0.0.1',
      'X-Forwarded-Host: app.example.com',
      'X-Forwarded-Proto: https',
      'Origin: https://app.example.com',
    ];
    assert.equal((await rawUpgrade(h.port, proxied)).status, 101);
    assert.equal((await rawUpgrade(h.port, ['Host: 127.0.0.1', 'Origin: https://app.example.com'])).status, 403);
    assert.deepEqual(
      h.rejects.map((r) => r.reason),
      ['host-missing', 'host-multiple', 'cors-disabled'],
    );
    assert.equal(h.connections.length, 1);
  });

  test('a client that leaves during the async check is not upgraded and gets nothing', async (t) => {
    let started = false;
    let settled = false;
    const h = await verifyClientServer(t, {
      origin: async () => {
        started = true;
        await delay(600);
        settled = true;
        return true;
      },
      env: {},
    });
    const ws = new WebSocket(h.url, { origin: 'https://app.example.com' });
    const failed = once(ws, 'error');
    await waitFor(
      () => started,
      2000,
      () => 'origin function not called',
    );
    ws.terminate();
    await failed;
    await h.waitForNoOpenSockets();
    assert.equal(settled, false);
    await waitFor(
      () => settled,
      2000,
      () => 'origin function did not settle',
    );
    await delay(20);
    assert.equal(h.connections.length, 0);

    // Refused after the client half-closed: nothing is written, onReject still counts it.
    let refusingStarted = false;
    const refusing = await verifyClientServer(t, {
      origin: async () => {
        refusingStarted = true;
        await delay(100);
        return false;
      },
      env: {},
    });
    const client = connect(refusing.port, '127.0.0.1');
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.on('error', () => {});
    await once(client, 'connect');
    client.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor(
      () => refusingStarted,
      2000,
      () => 'origin function not called',
    );
    client.end();
    await once(client, 'close');
    await waitFor(
      () => refusing.rejects.length === 1,
      2000,
      () => 'onReject not called',
    );
    assert.deepEqual(received, []);
    assert.equal(refusing.rejects[0]?.status, undefined);
  });
});

describe('unsafe wiring (documented): ws { server } plus the guard', () => {
  test("ws's own upgrade listener completes handshakes the guard is still checking", async (t) => {
    const server = createServer();
    const connections: IncomingMessage[] = [];
    server.on(
      'upgrade',
      upgradeGuard(asyncPolicy, () => {}),
    );
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws, req) => {
      ws.on('error', () => {});
      connections.push(req);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    // This is why the guard warns about other upgrade listeners and the README says noServer.
    assert.deepEqual(await wsOutcome(url, { origin: 'https://evil.example' }), { kind: 'open' });
    assert.equal(connections.length, 1);
  });
});
