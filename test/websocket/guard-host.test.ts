/**
 * upgradeGuard(): the request's own origin. Host validation (400), same-origin through
 * allowedHosts with default ports, TLS, and X-Forwarded-* with and without trustProxy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { captureUpgradeLog, rawUpgrade, startGuard, wsOutcome } from '../helpers/upgrade-harness.js';
import { TLS_CERT } from '../helpers/upgrade-tls.js';

/** Cross-origin access off: only same-origin pages of the listed hosts may connect. */
const sameOriginOnly = createCorsPolicy({ origin: false, allowedHosts: ['app.example.com', 'localhost:*'], env: {} });

describe('upgradeGuard: Host', () => {
  test('a missing, repeated or malformed Host gets 400 and nothing else happens', async (t) => {
    const h = await startGuard(t, sameOriginOnly);
    const origin = 'Origin: https://app.example.com';
    const cases: [string[], string][] = [
      [[origin], 'host-missing'],
      [['Host: app.example.com', 'Host: evil.example', origin], 'host-multiple'],
      [['Host: app.example.com', 'Host: app.example.com', origin], 'host-multiple'],
      [['Host: exa mple.com', origin], 'host-malformed'],
      [['Host: user@app.example.com', origin], 'host-malformed'],
      [['Host: app.example.com:', origin], 'host-malformed'],
      [['Host: app.example.com:0443', origin], 'host-malformed'],
      [['Host: app.example.com:99999', origin], 'host-malformed'],
      [['Host: app.example.com/path', origin], 'host-malformed'],
      [['Host: ', origin], 'host-malformed'],
      [['Host: 127.1', origin], 'host-malformed'],
    ];
    for (const [lines] of cases) {
      const answer = await rawUpgrade(h.port, lines);
      assert.equal(answer.status, 400, lines.join(' | '));
      assert.equal(answer.body, 'Bad Request');
      assert.equal(answer.closedByServer, true);
    }
    assert.deepEqual(
      h.rejects.map((r) => r.reason),
      cases.map(([, reason]) => reason),
    );
    assert.equal(h.connections.length, 0);
    // Host is checked even for clients without Origin.
    const noOriginNoHost = await rawUpgrade(h.port, []);
    assert.equal(noOriginNoHost.status, 400);
    await h.waitForNoOpenSockets();
  });

  test('Host is case-insensitive and may carry the default port', async (t) => {
    const h = await startGuard(t, sameOriginOnly);
    for (const host of ['localhost', 'LOCALHOST', 'localhost:80']) {
      const answer = await rawUpgrade(h.port, [`Host: ${host}`, 'Origin: http://localhost']);
      assert.equal(answer.status, 101, host);
    }
    assert.equal(h.connections.length, 3);
  });
});

describe('upgradeGuard: same-origin', () => {
  test('a same-origin page of a listed host is allowed even with cross-origin access off', async (t) => {
    const h = await startGuard(t, sameOriginOnly);
    const host = `localhost:${h.port}`;
    assert.deepEqual(await wsOutcome(h.url, { origin: `http://${host}`, headers: { Host: host } }), { kind: 'open' });
    assert.equal(h.connections.length, 1);
    // Another port of the same host is another origin.
    const otherPort = await wsOutcome(h.url, { origin: 'http://localhost:1', headers: { Host: host } });
    assert.equal(otherPort.kind === 'refused' && otherPort.status, 403);
    assert.equal(h.rejects[0]?.reason, 'cors-disabled');
    assert.equal(h.connections.length, 1);
  });

  test('127.0.0.1 is not localhost: an unlisted host is never same-origin (no DNS-rebinding pass)', async (t) => {
    const lines = captureUpgradeLog(t);
    const h = await startGuard(t, sameOriginOnly);
    const own = `127.0.0.1:${h.port}`;
    const outcome = await wsOutcome(h.url, { origin: `http://${own}` });
    assert.equal(outcome.kind === 'refused' && outcome.status, 403);
    const rebound = await rawUpgrade(h.port, ['Host: attacker.example', 'Origin: https://attacker.example']);
    assert.equal(rebound.status, 403);
    assert.equal(h.connections.length, 0);
    assert.match(
      lines.join('\n'),
      /hint: the Origin is this server's own origin, but 127\.0\.0\.1:\d+ is not in allowedHosts/,
    );
  });

  test('default ports: Host app.example.com:443 over TLS is the same origin as https://app.example.com', async (t) => {
    const h = await startGuard(t, sameOriginOnly, {}, { tls: true });
    const client = { ca: TLS_CERT, origin: 'https://app.example.com' };
    assert.deepEqual(await wsOutcome(h.url, { ...client, headers: { Host: 'app.example.com:443' } }), { kind: 'open' });
    assert.deepEqual(await wsOutcome(h.url, { ...client, headers: { Host: 'app.example.com' } }), { kind: 'open' });
    assert.equal(h.connections.length, 2);
    // Port 80 on https is not the default port: a different origin.
    const port80 = await wsOutcome(h.url, { ...client, headers: { Host: 'app.example.com:80' } });
    assert.equal(port80.kind === 'refused' && port80.status, 403);
    // An http page is not same-origin with a TLS request (and http is not admitted by allowedHosts).
    const downgrade = await wsOutcome(h.url, {
      ca: TLS_CERT,
      origin: 'http://app.example.com',
      headers: { Host: 'app.example.com' },
    });
    assert.equal(downgrade.kind === 'refused' && downgrade.status, 403);
    assert.equal(h.connections.length, 2);
  });

  test('over plain http, a non-loopback host is not same-origin: allowedHosts admits https only', async (t) => {
    const h = await startGuard(t, sameOriginOnly);
    const answer = await rawUpgrade(h.port, ['Host: app.example.com', 'Origin: http://app.example.com']);
    assert.equal(answer.status, 403);
    assert.equal(h.connections.length, 0);
  });

  test('with an allow-list policy, allowedHosts origins are allowed as such, same-origin ones by name', async (t) => {
    const h = await startGuard(
      t,
      { origin: 'https://other.example', allowedHosts: 'app.example.com', env: {} },
      {},
      { tls: true },
    );
    const outcome = await wsOutcome(h.url, {
      ca: TLS_CERT,
      origin: 'https://app.example.com',
      headers: { Host: 'app.example.com' },
    });
    assert.deepEqual(outcome, { kind: 'open' });
    const lines = captureUpgradeLog(t);
    await wsOutcome(h.url, { ca: TLS_CERT, origin: 'https://app.example.com', headers: { Host: 'app.example.com' } });
    await wsOutcome(h.url, { ca: TLS_CERT, origin: 'https://app.example.com', headers: { Host: 'api.example.com' } });
    assert.match(
      lines.join('\n'),
      /allowed "\/" https:\/\/app\.example\.com \(allowed-same-origin, rule allowedHosts: app\.example\.com\)/,
    );
    assert.match(
      lines.join('\n'),
      /allowed "\/" https:\/\/app\.example\.com \(allowed-host, rule allowedHosts: app\.example\.com\)/,
    );
    assert.equal(h.connections.length, 3);
  });
});

describe('upgradeGuard: behind a reverse proxy', () => {
  const viaProxy = (port: number, forwardedHost: string, forwardedProto: string): string[] => [
    `Host: 127.0.0.1:${port}`,
    `X-Forwarded-Host: ${forwardedHost}`,
    `X-Forwarded-Proto: ${forwardedProto}`,
    'Origin: https://app.example.com',
  ];

  test('X-Forwarded-* are ignored without trustProxy, and the refusal logs a hint', async (t) => {
    const lines = captureUpgradeLog(t);
    const h = await startGuard(t, sameOriginOnly);
    const answer = await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com', 'https'));
    assert.equal(answer.status, 403);
    assert.equal(h.connections.length, 0);
    assert.match(
      lines.join('\n'),
      /refused 403 "\/" https:\/\/app\.example\.com \(cors-disabled\); hint: .*X-Forwarded-Host.*trustProxy: \["127\.0\.0\.1"\]/,
    );
  });

  test('with trustProxy, the first X-Forwarded-Proto and X-Forwarded-Host values make the request origin', async (t) => {
    const h = await startGuard(t, sameOriginOnly, { trustProxy: true });
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com', 'https'))).status, 101);
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com:443', 'wss'))).status, 101);
    assert.equal(
      (await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com, evil.example', 'https, http'))).status,
      101,
    );
    // First value only: a client-supplied value in front of the proxy's is what counts.
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'evil.example, app.example.com', 'https'))).status, 403);
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com', 'http, https'))).status, 403);
    assert.equal(h.connections.length, 3);
    // The same request through the real ws client.
    const headers = { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https' };
    assert.deepEqual(await wsOutcome(h.url, { origin: 'https://app.example.com', headers }), { kind: 'open' });
    assert.equal(h.connections.length, 4);
  });

  test('with trustProxy, malformed forwarded values get 400', async (t) => {
    const h = await startGuard(t, sameOriginOnly, { trustProxy: true });
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'app.example.com', 'gopher'))).status, 400);
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, 'app example.com', 'https'))).status, 400);
    assert.equal((await rawUpgrade(h.port, viaProxy(h.port, '', 'https'))).status, 400);
    assert.deepEqual(
      h.rejects.map((r) => r.reason),
      ['forwarded-malformed', 'forwarded-malformed', 'forwarded-malformed'],
    );
    // Host itself must still be valid when forwarded headers are trusted.
    const badHost = await rawUpgrade(h.port, [
      'Host: a b',
      'X-Forwarded-Host: app.example.com',
      'X-Forwarded-Proto: https',
      'Origin: https://app.example.com',
    ]);
    assert.equal(badHost.status, 400);
    assert.equal(h.connections.length, 0);
  });

  test('a TLS-terminating proxy without X-Forwarded-Proto: refused, with a hint naming the fix', async (t) => {
    const lines = captureUpgradeLog(t);
    const untrusted = await startGuard(t, sameOriginOnly);
    assert.equal(
      (await rawUpgrade(untrusted.port, ['Host: app.example.com', 'Origin: https://app.example.com'])).status,
      403,
    );
    const trusted = await startGuard(t, sameOriginOnly, { trustProxy: true });
    assert.equal(
      (await rawUpgrade(trusted.port, ['Host: app.example.com', 'Origin: https://app.example.com'])).status,
      403,
    );
    // A proxy that rewrites Host to the backend's address.
    assert.equal(
      (await rawUpgrade(untrusted.port, [`Host: localhost:${untrusted.port}`, 'Origin: https://app.example.com']))
        .status,
      403,
    );
    const log = lines.join('\n');
    assert.match(
      log,
      /hint: the Origin has this server's host but the request arrived as http:\/\/app\.example\.com; behind a TLS-terminating proxy, make it send X-Forwarded-Proto: https and set trustProxy: \["127\.0\.0\.1"\]/,
    );
    assert.match(log, /hint: the request's Host is localhost: a proxy may be rewriting Host/);
    assert.equal(untrusted.connections.length + trusted.connections.length, 0);
  });
});
