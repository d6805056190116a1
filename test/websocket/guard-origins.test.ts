/**
 * upgradeGuard() with the real ws client and a real ws server ({ noServer: true }) on loopback:
 * which origins reach the `connection` event and what refused ones get back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { createVerifyClient } from '../../src/websocket/upgrade-guard.js';
import {
  captureUpgradeLog,
  headerMap,
  rawUpgrade,
  startGuard,
  startWs,
  wsOutcome,
} from '../helpers/upgrade-harness.js';

const policy = createCorsPolicy({ origin: ['https://app.example.com', 'http://localhost:*'], env: {} });

describe('upgradeGuard: origins', () => {
  test('an allowed origin reaches the connection event; onReject is not called', async (t) => {
    const h = await startGuard(t, policy);
    assert.deepEqual(await wsOutcome(h.url, { origin: 'https://app.example.com' }), { kind: 'open' });
    assert.equal(h.connections.length, 1);
    assert.equal(h.connections[0]?.headers.origin, 'https://app.example.com');
    assert.equal(h.rejects.length, 0);
  });

  test('a refused origin gets a complete 403 that echoes nothing, and never reaches connection', async (t) => {
    const h = await startGuard(t, policy);
    const outcome = await wsOutcome(h.url, { origin: 'https://evil.example' });
    assert.equal(outcome.kind, 'refused');
    assert.ok(outcome.kind === 'refused');
    assert.equal(outcome.status, 403);
    assert.equal(outcome.body, 'Forbidden');
    assert.equal(outcome.headers.connection, 'close');
    assert.equal(outcome.headers['content-length'], '9');
    assert.equal(outcome.headers['content-type'], 'text/plain');
    assert.equal(h.connections.length, 0);
    assert.equal(h.rejects.length, 1);
    assert.equal(h.rejects[0]?.reason, 'origin-not-allowed');
    assert.equal(h.rejects[0]?.origin, 'https://evil.example');
    assert.equal(h.rejects[0]?.status, 403);
    assert.equal(h.rejects[0]?.req.url, '/');
  });

  test('the raw 403 is exactly one HTTP/1.1 response, then the server closes the socket', async (t) => {
    const h = await startGuard(t, policy);
    const answer = await rawUpgrade(h.port, [`Host: 127.0.0.1:${h.port}`, 'Origin: https://evil.example']);
    assert.equal(
      answer.head,
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 9',
    );
    assert.equal(answer.body, 'Forbidden');
    assert.equal(answer.closedByServer, true);
    assert.ok(!answer.body.includes('evil'));
    await h.waitForNoOpenSockets();
  });

  test('no Origin (a non-browser client) is allowed by default, refused with requireOrigin', async (t) => {
    const open = await startGuard(t, policy);
    assert.deepEqual(await wsOutcome(open.url), { kind: 'open' });
    assert.equal(open.connections.length, 1);
    assert.equal(open.connections[0]?.headers.origin, undefined);

    const strict = await startGuard(t, policy, { requireOrigin: true });
    const outcome = await wsOutcome(strict.url);
    assert.equal(outcome.kind === 'refused' && outcome.status, 403);
    assert.equal(strict.connections.length, 0);
    assert.deepEqual(
      strict.rejects.map((r) => [r.reason, r.origin]),
      [['origin-missing', undefined]],
    );
    // requireOrigin does not get in the way of browsers.
    assert.deepEqual(await wsOutcome(strict.url, { origin: 'https://app.example.com' }), { kind: 'open' });
    assert.equal(strict.connections.length, 1);
  });

  test('the opaque origin "null" is refused unless the policy allows it', async (t) => {
    const h = await startGuard(t, policy);
    const outcome = await wsOutcome(h.url, { origin: 'null' });
    assert.equal(outcome.kind === 'refused' && outcome.status, 403);
    assert.equal(h.rejects[0]?.reason, 'origin-null');
    assert.equal(h.connections.length, 0);

    const allowsNull = await startGuard(t, { origin: 'https://app.example.com', allowNullOrigin: true, env: {} });
    assert.deepEqual(await wsOutcome(allowsNull.url, { origin: 'null' }), { kind: 'open' });
    assert.equal(allowsNull.connections.length, 1);
  });

  test('malformed origins are refused and onReject never sees their raw text', async (t) => {
    const h = await startGuard(t, policy);
    const malformed = [
      'https://APP.example.com',
      'https://app.example.com/',
      'https://app.example.com:443',
      'app.example.com',
      '',
      'https://app.example.com.evil.example:99999',
    ];
    for (const origin of malformed) {
      const answer = await rawUpgrade(h.port, [`Host: 127.0.0.1:${h.port}`, `Origin: ${origin}`]);
      assert.equal(answer.status, 403, JSON.stringify(origin));
    }
    assert.equal(h.connections.length, 0);
    assert.deepEqual(new Set(h.rejects.map((r) => r.reason)), new Set(['origin-malformed']));
    assert.ok(h.rejects.every((r) => r.origin === undefined));
  });

  test('two Origin lines are refused even when both are allowed, as is a comma-joined value', async (t) => {
    const h = await startGuard(t, policy);
    const twice = await rawUpgrade(h.port, [
      `Host: 127.0.0.1:${h.port}`,
      'Origin: https://app.example.com',
      'Origin: https://app.example.com',
    ]);
    assert.equal(twice.status, 403);
    const joined = await rawUpgrade(h.port, [
      `Host: 127.0.0.1:${h.port}`,
      'Origin: https://app.example.com, https://evil.example',
    ]);
    assert.equal(joined.status, 403);
    assert.equal(h.connections.length, 0);
    assert.deepEqual(
      h.rejects.map((r) => [r.reason, r.origin]),
      [
        ['origin-multiple', undefined],
        ['origin-multiple', undefined],
      ],
    );
    // Control: one line with the same value is accepted.
    const single = await rawUpgrade(h.port, [`Host: 127.0.0.1:${h.port}`, 'Origin: https://app.example.com']);
    assert.equal(single.status, 101);
  });

  test('a scheme downgrade is refused: http://app to a policy that lists https://app', async (t) => {
    const h = await startGuard(t, policy);
    const outcome = await wsOutcome(h.url, { origin: 'http://app.example.com' });
    assert.equal(outcome.kind === 'refused' && outcome.status, 403);
    assert.equal(h.rejects[0]?.reason, 'origin-not-allowed');
    assert.equal(h.connections.length, 0);
  });

  test('protocol-8 clients: Sec-WebSocket-Origin is checked like Origin', async (t) => {
    const h = await startGuard(t, policy);
    // The ws client sends Sec-WebSocket-Origin instead of Origin for protocolVersion 8.
    assert.deepEqual(await wsOutcome(h.url, { protocolVersion: 8, origin: 'https://app.example.com' }), {
      kind: 'open',
    });
    assert.equal(h.connections[0]?.headers['sec-websocket-origin'], 'https://app.example.com');
    assert.equal(h.connections[0]?.headers.origin, undefined);
    const refused = await wsOutcome(h.url, { protocolVersion: 8, origin: 'https://evil.example' });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.equal(h.connections.length, 1);
    assert.deepEqual(
      h.rejects.map((r) => [r.reason, r.origin]),
      [['origin-not-allowed', 'https://evil.example']],
    );
  });

  test('Origin and a different Sec-WebSocket-Origin are refused; the same value in both is accepted', async (t) => {
    const h = await startGuard(t, policy);
    const host = `Host: 127.0.0.1:${h.port}`;
    const conflict = await rawUpgrade(h.port, [
      host,
      'Origin: https://app.example.com',
      'Sec-WebSocket-Origin: https://evil.example',
    ]);
    assert.equal(conflict.status, 403);
    const sneaky = await rawUpgrade(h.port, [
      host,
      'Origin: https://evil.example',
      'Sec-WebSocket-Origin: https://app.example.com',
    ]);
    assert.equal(sneaky.status, 403);
    const twoLegacy = await rawUpgrade(h.port, [
      host,
      'Sec-WebSocket-Origin: https://app.example.com',
      'Sec-WebSocket-Origin: https://app.example.com',
    ]);
    assert.equal(twoLegacy.status, 403);
    assert.deepEqual(
      h.rejects.map((r) => r.reason),
      ['origin-multiple', 'origin-multiple', 'origin-multiple'],
    );
    const same = await rawUpgrade(h.port, [
      host,
      'Origin: https://app.example.com',
      'Sec-WebSocket-Origin: https://app.example.com',
    ]);
    assert.equal(same.status, 101);
  });

  test('localhost and 127.0.0.1 are different origins, as configured', async (t) => {
    const h = await startGuard(t, policy); // lists http://localhost:* only
    assert.deepEqual(await wsOutcome(h.url, { origin: 'http://localhost:5173' }), { kind: 'open' });
    const ip = await wsOutcome(h.url, { origin: 'http://127.0.0.1:5173' });
    assert.equal(ip.kind === 'refused' && ip.status, 403);
    assert.equal(h.connections.length, 1);

    const both = await startGuard(t, { origin: ['http://localhost:*', 'http://127.0.0.1:*'], env: {} });
    assert.deepEqual(await wsOutcome(both.url, { origin: 'http://127.0.0.1:5173' }), { kind: 'open' });
    const v6 = await wsOutcome(both.url, { origin: 'http://[::1]:5173' });
    assert.equal(v6.kind === 'refused' && v6.status, 403);
  });

  test('an async origin function decides too', async (t) => {
    const h = await startGuard(t, {
      origin: async (origin: string) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return origin === 'https://async.example';
      },
      env: {},
    });
    assert.deepEqual(await wsOutcome(h.url, { origin: 'https://async.example' }), { kind: 'open' });
    const refused = await wsOutcome(h.url, { origin: 'https://evil.example' });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.equal(h.connections.length, 1);
    assert.deepEqual(
      h.rejects.map((r) => r.reason),
      ['origin-not-allowed'],
    );
  });

  test('an origin function that never answers is refused after originCheckTimeout', async (t) => {
    const h = await startGuard(t, { origin: () => new Promise<boolean>(() => {}), originCheckTimeout: 50, env: {} });
    const started = Date.now();
    const refused = await wsOutcome(h.url, { origin: 'https://slow.example' });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.ok(Date.now() - started >= 45);
    assert.deepEqual(
      h.rejects.map((r) => [r.reason, r.origin]),
      [['origin-check-timeout', 'https://slow.example']],
    );
    assert.equal(h.connections.length, 0);
  });

  test('every decision is logged under cors-safety:upgrade with its reason code', async (t) => {
    const lines = captureUpgradeLog(t);
    const h = await startGuard(t, policy);
    await wsOutcome(h.url, { origin: 'https://app.example.com' });
    await wsOutcome(h.url, { origin: 'https://evil.example' });
    await rawUpgrade(h.port, [`Host: 127.0.0.1:${h.port}`, 'Origin: <script> X-Injected: 1']);
    await wsOutcome(h.url);
    const log = lines.join('\n');
    assert.match(
      log,
      /cors-safety:upgrade guard: allowed "\/" https:\/\/app\.example\.com \(allowed-exact, rule https:\/\/app\.example\.com\)/,
    );
    assert.match(log, /guard: refused 403 "\/" https:\/\/evil\.example \(origin-not-allowed\)/);
    assert.match(log, /guard: refused 403 "\/" "<script> X-Injected: 1" \(origin-malformed\)/);
    assert.match(log, /guard: allowed "\/" \(no Origin\) \(allowed-no-origin, rule requireOrigin: false\)/);
  });

  test('onReject that throws or rejects changes nothing for the client or the server', async (t) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));
    const lines = captureUpgradeLog(t);
    let calls = 0;
    const throwing = await startGuard(t, policy, {
      onReject: () => {
        calls++;
        if (calls === 1) throw new Error('metrics down');
        return Promise.reject(new Error('metrics still down')) as unknown as undefined;
      },
    });
    for (let i = 0; i < 2; i++) {
      const outcome = await wsOutcome(throwing.url, { origin: 'https://evil.example' });
      assert.equal(outcome.kind === 'refused' && outcome.status, 403);
    }
    assert.deepEqual(await wsOutcome(throwing.url, { origin: 'https://app.example.com' }), { kind: 'open' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 2);
    assert.deepEqual(unhandled, []);
    assert.match(lines.join('\n'), /onReject threw: Error: metrics down/);
    assert.match(lines.join('\n'), /onReject rejected: Error: metrics still down/);
  });

  test('response headers of a refusal parse as one complete message', async (t) => {
    const h = await startGuard(t, policy);
    const answer = await rawUpgrade(h.port, [`Host: 127.0.0.1:${h.port}`, 'Origin: https://evil.example']);
    const headers = headerMap(answer.head);
    assert.equal(Number(headers.get('content-length')), Buffer.byteLength(answer.body));
  });
});

describe('upgradeGuard and createVerifyClient: app origins (hybrid apps, extensions)', () => {
  const EXTENSION = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
  const appPolicy = createCorsPolicy({
    origin: ['capacitor://localhost', EXTENSION],
    allowedHosts: ['localhost:*', '127.0.0.1:*'],
    env: {},
  });

  test('an exact entry lets the app connect; allowedHosts and other app origins do not', async (t) => {
    const h = await startGuard(t, appPolicy);
    assert.deepEqual(await wsOutcome(h.url, { origin: 'capacitor://localhost' }), { kind: 'open' });
    assert.deepEqual(await wsOutcome(h.url, { origin: EXTENSION }), { kind: 'open' });
    for (const origin of ['ionic://localhost', 'capacitor://127.0.0.1', 'tauri://localhost']) {
      const outcome = await wsOutcome(h.url, { origin });
      assert.equal(outcome.kind === 'refused' && outcome.status, 403, origin);
    }
    assert.equal(h.connections.length, 2);
    assert.deepEqual(
      h.rejects.map((r) => [r.reason, r.origin]),
      [
        ['origin-not-allowed', 'ionic://localhost'],
        ['origin-not-allowed', 'capacitor://127.0.0.1'],
        ['origin-not-allowed', 'tauri://localhost'],
      ],
    );
  });

  test('createVerifyClient applies the same rules, and an origin function sees app origins', async (t) => {
    const seen: string[] = [];
    const ws = await startWs(t, 'server', {
      verifyClient: createVerifyClient({
        env: {},
        origin: (origin: string) => {
          seen.push(origin);
          return origin === 'tauri://localhost';
        },
      }),
    });
    assert.deepEqual(await wsOutcome(ws.url, { origin: 'tauri://localhost' }), { kind: 'open' });
    const refused = await wsOutcome(ws.url, { origin: 'app://other' });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
    assert.deepEqual(seen, ['tauri://localhost', 'app://other']);
  });
});
