// Object.prototype member names as request text over real sockets: the middleware, the error
// handler and the upgrade guard answer them (no 500, no destroyed socket), and never grant.
// test/policy/prototype-keys.test.ts holds the same inputs against the policy alone.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy, upgradeGuard } from '../../src/index.js';
import { listen } from '../helpers/listen.js';
import { rawRequest } from '../helpers/error-handler-servers.js';
import { rawUpgrade } from '../helpers/upgrade-harness.js';

const MEMBERS = Object.getOwnPropertyNames(Object.prototype);

describe('over real sockets', () => {
  test('middleware, error handler and upgrade guard answer member-name origins, headers and methods', async (t) => {
    const policy = createCorsPolicy({ origin: ['https://app.example.com'], credentials: true, env: {} });
    const middleware = corsSafety(policy);
    const onError = corsErrorHandler(policy);
    const server = http.createServer((req, res) => {
      middleware(req, res, (err?: unknown) => {
        if (err !== undefined) return onError(err, req, res, () => res.end());
        res.end('ok');
      });
    });
    server.on(
      'upgrade',
      upgradeGuard(policy, (_req, socket) => socket.destroy()),
    );
    const running = await listen(server);
    t.after(() => running.close());
    const url = `http://127.0.0.1:${running.port}`;
    for (const name of MEMBERS) {
      const origin = `${name.toLowerCase()}://localhost`;
      const preflight = await rawRequest(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': name,
          'access-control-request-headers': `${name}, x-a`,
        },
      }).response;
      assert.ok(preflight.status < 500, `${name}: preflight answered ${preflight.status}`);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined, name);
      const simple = await rawRequest(url, { headers: { origin } }).response;
      assert.equal(simple.status, 200, name);
      assert.equal(simple.headers['access-control-allow-origin'], undefined, name);
      const upgrade = await rawUpgrade(running.port, [`Host: 127.0.0.1:${running.port}`, `Origin: ${origin}`]);
      assert.equal(upgrade.status, 403, `${name}: upgrade answered ${String(upgrade.status)}`);
    }
  });
});
