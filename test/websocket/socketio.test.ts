/**
 * createAllowRequest() + io.engine.use(corsSafety(policy)) on a real socket.io 4 server (plain
 * node:http and Express 5) with the real socket.io client in Node, on each transport: long-polling
 * only, WebSocket only, and the default (polling, then the upgrade). One policy decides both
 * transports exactly as upgradeGuard() does: allowed, denied, same-origin (Host in allowedHosts),
 * no Origin, requireOrigin, an async origin function. Plus the polling responses' CORS headers
 * (engine.io's own errors and preflights included), onReject, the log, and option errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  CorsConfigError,
  createAllowRequest,
  createCorsPolicy,
  type AllowRequestCallback,
  type AllowRequestOptions,
  type CorsSafetyOptions,
} from '../../src/index.js';
import { accessControlNames, call, preflight } from '../helpers/middleware-http.js';
import { clientOutcome, startSocketIo, type Framework, type Transports } from '../helpers/socketio.js';
import { captureUpgradeLog } from '../helpers/upgrade-harness.js';

const ALLOWED = 'https://app.example.com';
const DENIED = 'https://evil.example';
const policy = createCorsPolicy({
  origin: ALLOWED,
  credentials: true,
  allowedHosts: ['127.0.0.1:*'],
  allowedHeaders: ['X-Token'],
  env: {},
});

const FRAMEWORKS: readonly Framework[] = ['node:http', 'express 5'];
const TRANSPORTS: readonly [string, Transports][] = [
  ['polling only', ['polling']],
  ['websocket only', ['websocket']],
  ['default (polling, then upgrade)', undefined],
];

/** The transport a connected client ends on, per client setting. */
function expectedTransports(transports: Transports): { first: string; last: string } {
  if (transports === undefined) return { first: 'polling', last: 'websocket' };
  return { first: transports[0], last: transports[0] };
}

/** engine.io's refusal statuses: 403 on the polling handshake, 400 on a WebSocket upgrade. */
function refusalStatus(transports: Transports): number {
  return transports?.[0] === 'websocket' ? 400 : 403;
}

for (const framework of FRAMEWORKS) {
  describe(`socket.io on ${framework}: one policy on both transports`, () => {
    for (const [label, transports] of TRANSPORTS) {
      const want = expectedTransports(transports);

      test(`${label}: an allowed origin connects and gets its echo`, async (t) => {
        const h = await startSocketIo(t, policy, { framework });
        const outcome = await clientOutcome(h.url, transports, ALLOWED);
        assert.deepEqual(outcome, { kind: 'connected', ...want, echo: 'ping' });
        assert.equal(h.connections.length, 1);
        assert.deepEqual(h.rejects, []);
      });

      test(`${label}: a denied origin gets engine.io's Forbidden error and no connection event`, async (t) => {
        const log = captureUpgradeLog(t);
        const h = await startSocketIo(t, policy, { framework });
        const outcome = await clientOutcome(h.url, transports, DENIED);
        assert.equal(outcome.kind, 'error');
        assert.equal(outcome.kind === 'error' && outcome.status, refusalStatus(transports));
        assert.equal(h.connections.length, 0);
        assert.equal(h.rejects.length, 1);
        const [info] = h.rejects;
        assert.equal(info?.reason, 'origin-not-allowed');
        assert.equal(info?.origin, DENIED);
        assert.equal(info?.status, refusalStatus(transports));
        assert.equal(info?.req.headers.origin, DENIED);
        const where = transports?.[0] === 'websocket' ? 'websocket' : 'polling';
        assert.ok(
          log.some((line) => line.includes(`allowRequest (${where}): refused`) && line.includes('origin-not-allowed')),
          log.join('\n'),
        );
      });

      test(`${label}: a same-origin page (Host in allowedHosts) connects`, async (t) => {
        const h = await startSocketIo(t, policy, { framework });
        const outcome = await clientOutcome(h.url, transports, h.url);
        assert.deepEqual(outcome, { kind: 'connected', ...want, echo: 'ping' });
      });

      test(`${label}: a same-origin page whose host is not in allowedHosts is refused`, async (t) => {
        const strict = createCorsPolicy({ origin: ALLOWED, env: {} });
        const h = await startSocketIo(t, strict, { framework });
        const outcome = await clientOutcome(h.url, transports, h.url);
        assert.equal(outcome.kind, 'error');
        assert.equal(h.rejects[0]?.reason, 'origin-not-allowed');
      });

      test(`${label}: no Origin connects by default and is refused with requireOrigin`, async (t) => {
        const open = await startSocketIo(t, policy, { framework });
        assert.deepEqual(await clientOutcome(open.url, transports, undefined), {
          kind: 'connected',
          ...want,
          echo: 'ping',
        });
        const strict = await startSocketIo(t, policy, { framework, allowRequest: { requireOrigin: true } });
        const refused = await clientOutcome(strict.url, transports, undefined);
        assert.equal(refused.kind, 'error');
        assert.equal(strict.connections.length, 0);
        assert.deepEqual(
          strict.rejects.map(({ reason, origin, status }) => ({ reason, origin, status })),
          [{ reason: 'origin-missing', origin: undefined, status: refusalStatus(transports) }],
        );
        // requireOrigin refuses only the missing Origin.
        assert.equal((await clientOutcome(strict.url, transports, ALLOWED)).kind, 'connected');
      });
    }

    test('an async origin function decides both transports', async (t) => {
      const asyncPolicy = createCorsPolicy({
        origin: async (origin: string) => {
          await new Promise((resolve) => setImmediate(resolve));
          return origin === ALLOWED;
        },
        env: {},
      });
      const h = await startSocketIo(t, asyncPolicy, { framework });
      for (const [, transports] of TRANSPORTS) {
        assert.equal((await clientOutcome(h.url, transports, ALLOWED)).kind, 'connected');
        assert.equal((await clientOutcome(h.url, transports, DENIED)).kind, 'error');
      }
      assert.equal(h.connections.length, TRANSPORTS.length);
    });
  });
}

describe('io.engine.use(corsSafety(policy)): CORS headers on the long-polling responses', () => {
  const handshake = '/socket.io/?EIO=4&transport=polling';

  test('the polling handshake to an allowed origin carries the grant; to a denied origin, none', async (t) => {
    const h = await startSocketIo(t, policy);
    const allowed = await call(`${h.url}${handshake}`, { origin: ALLOWED });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);
    assert.match(allowed.body, /"sid":"/);
    const denied = await call(`${h.url}${handshake}`, { origin: DENIED });
    assert.equal(denied.status, 403);
    assert.deepEqual(JSON.parse(denied.body), { code: 4, message: 'Forbidden' });
    assert.deepEqual(accessControlNames(denied.headers), []);
  });

  test("engine.io's own errors (400 unknown transport, 400 unknown sid) carry the grant for an allowed origin", async (t) => {
    const h = await startSocketIo(t, policy);
    for (const path of ['/socket.io/?EIO=4&transport=bogus', '/socket.io/?EIO=4&transport=polling&sid=nope']) {
      const allowed = await call(`${h.url}${path}`, { origin: ALLOWED });
      assert.equal(allowed.status, 400, path);
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED, path);
      const denied = await call(`${h.url}${path}`, { origin: DENIED });
      assert.equal(denied.status, 400, path);
      assert.deepEqual(accessControlNames(denied.headers), [], path);
    }
  });

  test('later polling requests of a session (GET and POST with sid) carry the grant', async (t) => {
    const h = await startSocketIo(t, policy);
    const open = await call(`${h.url}${handshake}`, { origin: ALLOWED });
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    const post = await call(`${h.url}${handshake}&sid=${sid}`, { method: 'POST', origin: ALLOWED, body: '40' });
    assert.equal(post.status, 200);
    assert.equal(post.headers.get('access-control-allow-origin'), ALLOWED);
    const poll = await call(`${h.url}${handshake}&sid=${sid}`, { origin: ALLOWED });
    assert.equal(poll.status, 200);
    assert.equal(poll.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(poll.body, /^40/);
  });

  test("a preflight for the client's extraHeaders is answered for an allowed origin, refused for a denied one", async (t) => {
    const h = await startSocketIo(t, policy);
    const allowed = await preflight(`${h.url}${handshake}`, ALLOWED, 'GET', 'x-token');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /x-token/i);
    const denied = await preflight(`${h.url}${handshake}`, DENIED, 'GET', 'x-token');
    assert.deepEqual(accessControlNames(denied.headers), []);
    const unlisted = await preflight(`${h.url}${handshake}`, ALLOWED, 'GET', 'x-other');
    assert.doesNotMatch(unlisted.headers.get('access-control-allow-headers') ?? '', /x-other/i);
  });

  test('without corsSafety() on the engine, the polling handshake has no CORS headers (what the doctor flags)', async (t) => {
    const h = await startSocketIo(t, policy, { withoutMiddleware: true });
    const reply = await call(`${h.url}${handshake}`, { origin: ALLOWED });
    assert.equal(reply.status, 200);
    assert.deepEqual(accessControlNames(reply.headers), []);
  });
});

describe("refusals are engine.io's Forbidden error on both transports", () => {
  test('polling: 403 {"code":4,"message":"Forbidden"}; WebSocket: 400 with the body Forbidden', async (t) => {
    const h = await startSocketIo(t, policy);
    const polling = await call(`${h.url}/socket.io/?EIO=4&transport=polling`, { origin: DENIED });
    assert.equal(polling.status, 403);
    assert.deepEqual(JSON.parse(polling.body), { code: 4, message: 'Forbidden' });
    const upgrade = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
        origin: DENIED,
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.once('error', reject);
      });
      ws.once('open', () => reject(new Error('a denied origin opened a WebSocket')));
      ws.once('error', () => undefined);
    });
    assert.deepEqual(upgrade, { status: 400, body: 'Forbidden' });
    assert.equal(h.connections.length, 0);
  });
});

describe('createAllowRequest(): construction', () => {
  test('accepts options or a policy, and the decision options', () => {
    assert.equal(typeof createAllowRequest({ origin: ALLOWED, env: {} }), 'function');
    assert.equal(createAllowRequest(policy, { requireOrigin: true, trustProxy: false }).name, 'corsSafetyAllowRequest');
  });

  const invalid: [string, unknown, unknown, RegExp][] = [
    ['paths (a guard-only option)', policy, { paths: ['/socket.io/'] }, /paths.*socket\.io's own path option/],
    ['writeTimeout', policy, { writeTimeout: 10 }, /writeTimeout.*engine\.io writes the refusal itself/],
    ['a misspelt option', policy, { requireOrign: true }, /did you mean "requireOrigin"/],
    ['a policy option in the options', policy, { credentials: true }, /createAllowRequest\(\{ credentials/],
    [
      'an adapter option in the policy',
      { origin: ALLOWED, requireOrigin: true, env: {} },
      undefined,
      /createAllowRequest\(policy, \{ requireOrigin/,
    ],
    ['onReject that is not a function', policy, { onReject: 'log' }, /onReject/],
    ['requireOrigin that is not a boolean', policy, { requireOrigin: 'yes' }, /true or false/],
  ];
  for (const [label, first, options, message] of invalid) {
    test(`throws CorsConfigError for ${label}`, () => {
      assert.throws(
        () => createAllowRequest(first as CorsSafetyOptions, options as AllowRequestOptions),
        (err: unknown) => err instanceof CorsConfigError && message.test(err.message),
      );
    });
  }

  test('lists every problem at once', () => {
    assert.throws(
      () =>
        createAllowRequest({ origin: 'app.example.com', env: {} }, {
          paths: ['/x'],
          onReject: 1,
        } as unknown as AllowRequestOptions),
      (err: unknown) => err instanceof CorsConfigError && err.issues.length === 3,
    );
  });

  test("a bad Host is refused (engine.io's Forbidden) and reported as the guard would", async () => {
    const rejects: string[] = [];
    const allowRequest = createAllowRequest(policy, { onReject: ({ reason }) => rejects.push(reason) });
    const answers: [unknown, boolean][] = [];
    const callback: AllowRequestCallback = (message, success) => answers.push([message, success]);
    const req = { headers: { origin: ALLOWED }, rawHeaders: ['Origin', ALLOWED], url: '/socket.io/', socket: {} };
    allowRequest(req as never, callback);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(answers, [['Forbidden', false]]);
    assert.deepEqual(rejects, ['host-missing']);
  });
});
