/**
 * Fastify 5, Koa 3 and Hono 4 with corsSafety() around their node:http listener, over real
 * loopback sockets: the table the Express suites use. Every answer from the framework's own error
 * paths (thrown HTTP errors, schema validation, unknown routes, body limits, thrown Errors) keeps
 * the grant of an allowed origin and carries nothing to a denied one; preflights are answered
 * before routing; @fastify/websocket's handshake is guarded by the same policy.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createCorsPolicy, REASON_HEADER } from '../../src/index.js';
import type { Running } from '../helpers/listen.js';
import { collectWarnings } from '../helpers/warnings.js';
import { nestExpressApp, nestFastifyApp } from './nest-servers.js';
import { BODY_LIMIT, FRAMEWORK_APPS } from './servers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const warnings = collectWarnings();
const policy = createCorsPolicy({ origin: APP, credentials: true, exposeReason: true });

const CASES: readonly { label: string; path: string; init?: RequestInit; status: number }[] = [
  { label: 'a route', path: '/ok', status: 200 },
  { label: 'a thrown 401', path: '/unauthorized', status: 401 },
  {
    label: 'an invalid body (400)',
    path: '/items',
    init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"nope":1}' },
    status: 400,
  },
  { label: 'an unknown route (404)', path: '/nowhere', status: 404 },
  {
    label: 'a body over the limit (413)',
    path: '/upload',
    init: {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(BODY_LIMIT) }),
    },
    status: 413,
  },
  { label: 'a thrown Error (500)', path: '/fail', status: 500 },
  { label: 'a handler granting * itself', path: '/grants-all', status: 200 },
];

for (const framework of [...FRAMEWORK_APPS, nestExpressApp, nestFastifyApp]) {
  describe(framework.name, () => {
    let server: Running;
    before(async () => {
      server = await framework.start(policy);
    });
    after(() => server.close());

    const call = (path: string, origin: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as object), Origin: origin } });

    for (const { label, path, init, status } of CASES) {
      test(`${label}: the grant for an allowed origin, nothing for a denied one`, async () => {
        const allowed = await call(path, APP, init);
        assert.equal(allowed.status, status);
        assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
        assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
        assert.match(allowed.headers.get('vary') ?? '', /Origin/);
        // What the body says is the framework's (Fastify's default handler shows a 500's message).
        await allowed.arrayBuffer();

        const denied = await call(path, EVIL, init);
        assert.equal(denied.status, status);
        assert.equal(denied.headers.get('access-control-allow-origin'), null);
        assert.equal(denied.headers.get('access-control-allow-credentials'), null);
        assert.equal(denied.headers.get(REASON_HEADER), 'origin-not-allowed');
        await denied.arrayBuffer();
      });
    }

    test('preflights are answered before routing: 204 with the grant, 403 for a denied origin', async () => {
      const preflight = { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'PUT' } };
      const allowed = await call('/items', APP, preflight);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
      assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /PUT/);
      const denied = await call('/items', EVIL, preflight);
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.get('access-control-allow-origin'), null);
    });

    test('a handler or plugin setting Access-Control-Allow-Origin itself: a warning naming the CORS plugins', async () => {
      await (await call('/grants-all', EVIL)).arrayBuffer();
      const warned = warnings.filter((w) => (w as Error & { code?: unknown }).code === 'CORS_SAFETY_DUPLICATE_CORS');
      // Emitted once per process; the first framework's run emits it.
      assert.equal(warned.length, 1);
      for (const plugin of ['@fastify/cors', '@koa/cors', 'hono/cors', 'app.enableCors()'])
        assert.ok(warned[0]?.message.includes(plugin), plugin);
    });

    if (framework.websocket) {
      test('WebSocket: the allowed origin opens the socket, the denied one is refused with 403', async () => {
        const url = `${server.url.replace('http', 'ws')}/ws`;
        const open = new WebSocket(url, { origin: APP });
        const [message] = (await once(open, 'message')) as [Buffer];
        assert.equal(message.toString(), 'hello');
        open.close();
        const refused = new WebSocket(url, { origin: EVIL });
        refused.on('error', () => undefined); // terminate() below reports the aborted handshake
        const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
        assert.equal(response.statusCode, 403);
        refused.terminate();
      });
    }
  });
}
