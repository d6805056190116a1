/**
 * Real nginx (Debian's package) in front of a real Express app, both on loopback, with
 * examples/nginx.conf as written (only ports, the include directory and two limits changed) and
 * the files `createNginxConfig()` generates from the app's own policy:
 * - app up: responses pass through untouched, exactly one Access-Control-Allow-Origin, CORS
 *   headers byte-identical to going direct;
 * - nginx's own errors (502 app down, 413 body too large, 504 upstream timeout) readable by the
 *   allowed origin, with the preflight answered from the policy, and by no other origin;
 * - WebSocket handshakes through nginx with `upgradeGuard({ trustProxy: true })`.
 *
 * Without nginx these tests are skipped with a loud warning; with `CORS_SAFETY_REQUIRE_NGINX=1`
 * (CI) they fail instead.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createNginxConfig } from '../../src/index.js';
import {
  exampleSite,
  freePort,
  nginxSupport,
  assertNginxPresent,
  nginxSkip,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx.js';
import { ALLOWED, DENIED, POLICY, corsLines, headerValues, send, startApp, type App } from './nginx-app.js';

const support = nginxSupport('test/proxy/nginx.test.ts');
const skip = nginxSkip(support);
const generated = createNginxConfig(POLICY);
const FILES = { 'cors-safety-http.conf': generated.http, 'cors-safety-server.conf': generated.server };

/** Preflight request headers a credentialed fetch with an Authorization header sends. */
function preflightHeaders(origin: string): Record<string, string> {
  return {
    Origin: origin,
    'Access-Control-Request-Method': 'PUT',
    'Access-Control-Request-Headers': 'authorization,content-type',
  };
}

function accessControl(lines: readonly string[]): string[] {
  return lines.filter((line) => line.startsWith('access-control-'));
}

describe('nginx in front of the app, generated from the same policy', { skip }, () => {
  let app: App;
  let proxy: RunningNginx;
  let downProxy: RunningNginx;

  before(async () => {
    assertNginxPresent(support);
    app = await startApp();
    proxy = await startNginx(
      support,
      exampleSite({ upstreamPort: app.port, maxBodySize: '1k', readTimeout: '2s' }),
      FILES,
    );
    // An upstream port nothing listens on: the app is down.
    downProxy = await startNginx(support, exampleSite({ upstreamPort: await freePort() }), FILES);
  });

  after(async () => {
    await proxy?.stop();
    await downProxy?.stop();
    await app?.close();
  });

  describe('app up: responses pass through untouched', () => {
    for (const [path, status] of [
      ['/ok', 200],
      ['/unauthorized', 401],
      ['/fail', 500],
    ] as const) {
      it(`GET ${path} (${status}): one Access-Control-Allow-Origin, CORS headers byte-identical to the app's`, async () => {
        const direct = await send(`${app.url}${path}`, { headers: { Origin: ALLOWED } });
        const proxied = await send(`${proxy.url}${path}`, { headers: { Origin: ALLOWED } });
        assert.equal(direct.status, status);
        assert.equal(proxied.status, status);
        assert.deepEqual(headerValues(proxied, 'access-control-allow-origin'), [ALLOWED]);
        assert.deepEqual(corsLines(proxied), corsLines(direct));
        assert.equal(proxied.body, direct.body);
        // The app's own error body, not nginx's.
        assert.ok(!/nginx/i.test(proxied.body));
      });
    }

    it('a preflight reaches the app and gets its answer, byte-identical CORS headers', async () => {
      const direct = await send(`${app.url}/ok`, { method: 'OPTIONS', headers: preflightHeaders(ALLOWED) });
      const proxied = await send(`${proxy.url}/ok`, { method: 'OPTIONS', headers: preflightHeaders(ALLOWED) });
      assert.equal(proxied.status, 204);
      assert.deepEqual(corsLines(proxied), corsLines(direct));
      // The app answers the requested names only; nginx would have sent the whole list.
      assert.deepEqual(headerValues(proxied, 'access-control-allow-headers'), ['authorization, content-type']);
    });

    it('a denied origin gets what the app sends, and no Access-Control-* from nginx', async () => {
      const proxied = await send(`${proxy.url}/ok`, { headers: { Origin: DENIED } });
      assert.equal(proxied.status, 200);
      assert.deepEqual(accessControl(corsLines(proxied)), []);
      const preflight = await send(`${proxy.url}/ok`, { method: 'OPTIONS', headers: preflightHeaders(DENIED) });
      assert.equal(preflight.status, 403);
      assert.deepEqual(accessControl(corsLines(preflight)), []);
    });
  });

  describe('app stopped: nginx answers 502 from the policy', () => {
    it('the allowed origin reads the 502 with the grant, Vary: Origin and a JSON body', async () => {
      const res = await send(`${downProxy.url}/ok`, { headers: { Origin: ALLOWED, Cookie: 'sid=1' } });
      assert.equal(res.status, 502);
      assert.deepEqual(headerValues(res, 'access-control-allow-origin'), [ALLOWED]);
      assert.deepEqual(headerValues(res, 'access-control-allow-credentials'), ['true']);
      assert.deepEqual(headerValues(res, 'access-control-expose-headers'), ['X-Request-Id']);
      assert.deepEqual(headerValues(res, 'vary'), ['Origin']);
      assert.deepEqual(headerValues(res, 'content-type'), ['application/json; charset=utf-8']);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 502, message: 'Bad Gateway' } });
      // No preflight-only headers on an actual response.
      assert.deepEqual(headerValues(res, 'access-control-allow-methods'), []);
    });

    it("the allowed origin's credentialed preflight succeeds from the policy's methods, headers and max-age", async () => {
      const res = await send(`${downProxy.url}/ok`, { method: 'OPTIONS', headers: preflightHeaders(ALLOWED) });
      assert.equal(res.status, 204);
      assert.deepEqual(headerValues(res, 'access-control-allow-origin'), [ALLOWED]);
      assert.deepEqual(headerValues(res, 'access-control-allow-credentials'), ['true']);
      assert.deepEqual(headerValues(res, 'access-control-allow-methods'), [POLICY.methods.join(', ')]);
      assert.deepEqual(headerValues(res, 'access-control-allow-headers'), [
        (POLICY.allowedHeaders as readonly string[]).join(', '),
      ]);
      assert.deepEqual(headerValues(res, 'access-control-max-age'), [String(POLICY.maxAge)]);
      assert.deepEqual(headerValues(res, 'vary'), [
        'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      ]);
      assert.deepEqual(headerValues(res, 'access-control-expose-headers'), []);
    });

    it('a denied origin gets no Access-Control-* on the 502 or on its preflight', async () => {
      const res = await send(`${downProxy.url}/ok`, { headers: { Origin: DENIED } });
      assert.equal(res.status, 502);
      assert.deepEqual(accessControl(corsLines(res)), []);
      const preflight = await send(`${downProxy.url}/ok`, { method: 'OPTIONS', headers: preflightHeaders(DENIED) });
      assert.equal(preflight.status, 502);
      assert.deepEqual(accessControl(corsLines(preflight)), []);
      // A space in the requested method must not stand in for the (empty) granted origin.
      const spaced = await send(`${downProxy.url}/ok`, {
        method: 'OPTIONS',
        headers: { ...preflightHeaders(DENIED), 'Access-Control-Request-Method': 'PUT x' },
      });
      assert.equal(spaced.status, 502);
      assert.deepEqual(accessControl(corsLines(spaced)), []);
    });

    it('patterns: a.preview.example.com is granted; preview.example.com and a look-alike are not', async () => {
      const granted = await send(`${downProxy.url}/`, { headers: { Origin: 'https://a.preview.example.com' } });
      assert.deepEqual(headerValues(granted, 'access-control-allow-origin'), ['https://a.preview.example.com']);
      for (const origin of ['https://preview.example.com', 'https://a.preview.example.com.evil.net']) {
        const res = await send(`${downProxy.url}/`, { headers: { Origin: origin } });
        assert.equal(res.status, 502);
        assert.deepEqual(accessControl(corsLines(res)), [], origin);
      }
    });

    it('two Origin header lines never grant the second one', async () => {
      const res = await send(`${downProxy.url}/`, { headers: { Origin: [ALLOWED, DENIED] } });
      assert.equal(res.status, 502);
      // nginx before 1.23 reads the first line only; 1.23 and later join them, which no entry matches.
      assert.ok(!headerValues(res, 'access-control-allow-origin').includes(DENIED));
      assert.ok(!res.rawHeaders.some((value) => value.includes('evil')));
    });

    it('HEAD gets the grant and no body', async () => {
      const res = await send(`${downProxy.url}/ok`, { method: 'HEAD', headers: { Origin: ALLOWED } });
      assert.equal(res.status, 502);
      assert.deepEqual(headerValues(res, 'access-control-allow-origin'), [ALLOWED]);
      assert.equal(res.body, '');
    });
  });

  describe("nginx's other errors", () => {
    it('413 body over client_max_body_size: readable by the allowed origin, not by a denied one', async () => {
      const body = Buffer.alloc(4096, 'x');
      const allowed = await send(`${proxy.url}/upload`, { method: 'POST', headers: { Origin: ALLOWED }, body });
      assert.equal(allowed.status, 413);
      assert.deepEqual(headerValues(allowed, 'access-control-allow-origin'), [ALLOWED]);
      assert.deepEqual(headerValues(allowed, 'access-control-allow-credentials'), ['true']);
      assert.deepEqual(JSON.parse(allowed.body), { error: { status: 413, message: 'Payload Too Large' } });
      const denied = await send(`${proxy.url}/upload`, { method: 'POST', headers: { Origin: DENIED }, body });
      assert.equal(denied.status, 413);
      assert.deepEqual(accessControl(corsLines(denied)), []);
      // A body under the limit reaches the app.
      const small = await send(`${proxy.url}/upload`, {
        method: 'POST',
        headers: { Origin: ALLOWED, 'Content-Type': 'application/octet-stream' },
        body: Buffer.alloc(100),
      });
      assert.equal(small.status, 200);
      assert.deepEqual(JSON.parse(small.body), { received: 100 });
    });

    it('504 upstream slower than proxy_read_timeout: readable by the allowed origin', async () => {
      const res = await send(`${proxy.url}/slow`, { headers: { Origin: ALLOWED } });
      assert.equal(res.status, 504);
      assert.deepEqual(headerValues(res, 'access-control-allow-origin'), [ALLOWED]);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 504, message: 'Gateway Timeout' } });
    });
  });

  describe('WebSocket through nginx, upgradeGuard({ trustProxy: true })', () => {
    const wsUrl = (): string => `ws://127.0.0.1:${proxy.port}/chat`;

    it('the allowed origin connects and exchanges a message', async () => {
      const ws = new WebSocket(wsUrl(), { origin: ALLOWED });
      await once(ws, 'open');
      ws.send('hi');
      const [data] = (await once(ws, 'message')) as [Buffer];
      assert.equal(String(data), 'echo:hi');
      ws.close();
      await once(ws, 'close');
    });

    it('a denied origin gets 403 and no Access-Control-*', async () => {
      const ws = new WebSocket(wsUrl(), { origin: DENIED });
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
      assert.equal(res.statusCode, 403);
      assert.ok(!Object.keys(res.headers).some((name) => name.startsWith('access-control-')));
      res.resume();
      // The handshake failed as expected: end the client without an unhandled 'error'.
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.on('error', () => undefined);
      ws.terminate();
      await closed;
    });
  });
});
