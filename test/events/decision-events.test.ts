/**
 * Decision events over real stacks: Express 5, Express 4, Connect and node:http (corsSafety), the
 * error handler deciding alone, ws through upgradeGuard() and createVerifyClient(), socket.io through
 * createAllowRequest(). Each decision kind gives one event with the documented fields, on both the
 * `cors-safety:decision` channel and `onDecision`; no event holds the request's cookie, its
 * Authorization value or its query string. A throwing subscriber or onDecision never breaks a request.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import {
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  createVerifyClient,
  DECISION_CHANNEL,
  type CorsDecisionEvent,
  type CorsSafetyOptions,
} from '../../src/index.js';
import { listen, stacks } from '../helpers/frameworks.js';
import { call, preflight } from '../helpers/middleware-http.js';
import { clientOutcome, startSocketIo } from '../helpers/socketio.js';
import { rawUpgrade, startGuard, startWs, waitFor, wsOutcome } from '../helpers/upgrade-harness.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

const APP = 'https://app.example.com';
const PREVIEW = 'https://pr-7.preview.example.com';
const EVIL = 'https://evil.example';
const COOKIE = 'session=SECRET-COOKIE-VALUE';
const AUTHORIZATION = 'Bearer SECRET-AUTHORIZATION-VALUE';
const SECRETS = { Cookie: COOKIE, Authorization: AUTHORIZATION };
const warnings = collectWarnings();

/** Events from the channel, for the whole file. */
const published: CorsDecisionEvent[] = [];
const onMessage = (message: unknown): void => {
  published.push(message as CorsDecisionEvent);
};
subscribe(DECISION_CHANNEL, onMessage);
after(() => unsubscribe(DECISION_CHANNEL, onMessage));

function options(events: CorsDecisionEvent[], extra: CorsSafetyOptions = {}): CorsSafetyOptions {
  return {
    origin: [APP, 'https://*.preview.example.com'],
    allowedHosts: ['127.0.0.1:*'],
    env: {},
    onDecision: (event) => events.push(event),
    ...extra,
  };
}

/** No text of any event holds a secret the request carried. */
function assertNoSecrets(events: readonly CorsDecisionEvent[]): void {
  const text = JSON.stringify(events);
  for (const secret of ['SECRET-COOKIE-VALUE', 'SECRET-AUTHORIZATION-VALUE', 'token=', 'SECRET-QUERY'])
    assert.ok(!text.includes(secret), `an event holds ${secret}: ${text}`);
}

function only(events: readonly CorsDecisionEvent[]): CorsDecisionEvent {
  assert.equal(events.length, 1, JSON.stringify(events));
  return events[0] as CorsDecisionEvent;
}

const base = { policyVersion: 0, candidate: null } as const;

for (const stack of stacks) {
  describe(`decision events on ${stack.name}`, () => {
    const cases: {
      name: string;
      send: (url: string) => Promise<unknown>;
      want: Partial<CorsDecisionEvent>;
    }[] = [
      {
        name: 'allowed by an exact origin',
        send: (url) => call(`${url}/ok?token=SECRET-QUERY`, { origin: APP, headers: SECRETS }),
        want: { transport: 'http', outcome: 'allowed', reason: 'allowed-exact', origin: APP, rule: APP },
      },
      {
        name: 'allowed by a pattern',
        send: (url) => call(`${url}/ok`, { origin: PREVIEW, headers: SECRETS }),
        want: { outcome: 'allowed', reason: 'allowed-pattern', origin: PREVIEW, rule: 'https://*.preview.example.com' },
      },
      {
        name: 'denied',
        send: (url) => call(`${url}/ok`, { origin: EVIL, headers: SECRETS }),
        want: { transport: 'http', outcome: 'denied', reason: 'origin-not-allowed', origin: EVIL, rule: null },
      },
      {
        name: 'malformed origin (no raw text in the event)',
        send: (url) => call(`${url}/ok`, { origin: 'https://evil.example/SECRET-QUERY', headers: SECRETS }),
        want: { outcome: 'denied', reason: 'origin-malformed', origin: null },
      },
      {
        name: 'no origin',
        send: (url) => call(`${url}/ok`, { headers: SECRETS }),
        want: { outcome: 'no-origin', reason: 'origin-missing', origin: null, rule: null },
      },
      {
        name: 'same origin',
        send: (url) => call(`${url}/ok`, { method: 'POST', origin: url, headers: SECRETS }),
        want: { outcome: 'same-origin', reason: 'same-origin', method: 'POST' },
      },
      {
        name: 'preflight granted',
        send: (url) => preflight(`${url}/ok?token=SECRET-QUERY`, APP, 'PUT', 'authorization'),
        want: { transport: 'preflight', outcome: 'allowed', reason: 'allowed-exact', method: 'OPTIONS', rule: APP },
      },
      {
        name: 'preflight of an allowed origin with a method not allowed',
        send: (url) => preflight(`${url}/ok`, APP, 'PROPFIND'),
        want: {
          transport: 'preflight',
          outcome: 'denied',
          reason: 'method-not-allowed',
          origin: APP,
          rule: null,
          method: 'OPTIONS',
        },
      },
      {
        name: 'preflight of a denied origin',
        send: (url) => preflight(`${url}/ok`, EVIL, 'PUT'),
        want: {
          transport: 'preflight',
          outcome: 'denied',
          reason: 'origin-not-allowed',
          origin: EVIL,
          method: 'OPTIONS',
        },
      },
    ];
    for (const { name, send, want } of cases) {
      test(name, async () => {
        const events: CorsDecisionEvent[] = [];
        // Without allowedHosts: a request from the server's own origin is then same-origin, not granted.
        const running = await stack.start({ ...options(events), allowedHosts: undefined });
        try {
          published.length = 0;
          await send(running.url);
        } finally {
          await running.close();
        }
        const event = only(events);
        const expected = { ...base, method: 'GET', path: '/ok', ...want };
        if (want.reason === 'same-origin') (expected as { origin: string }).origin = running.url;
        for (const [key, value] of Object.entries(expected))
          assert.deepEqual(event[key as keyof CorsDecisionEvent], value, `${key} of ${JSON.stringify(event)}`);
        assert.ok(Object.isFrozen(event));
        // The channel got the very same event.
        assert.deepEqual(
          published.filter((e) => e.transport === event.transport),
          [event],
        );
        assertNoSecrets(events);
      });
    }
  });
}

describe('decision events of the error handler and of odd requests', () => {
  test('corsErrorHandler deciding a request no corsSafety() saw publishes one http event', async () => {
    const events: CorsDecisionEvent[] = [];
    const handler = corsErrorHandler(createCorsPolicy(options(events)));
    const running = await listen(
      http.createServer((req, res) =>
        handler(Object.assign(new Error('boom'), { status: 409 }), req, res, () => res.end()),
      ),
    );
    try {
      const reply = await call(`${running.url}/fail?token=SECRET-QUERY`, { origin: APP, headers: SECRETS });
      assert.equal(reply.status, 409);
      assert.equal(reply.headers.get('access-control-allow-origin'), APP);
    } finally {
      await running.close();
    }
    assert.deepEqual(only(events), {
      ...base,
      transport: 'http',
      outcome: 'allowed',
      reason: 'allowed-exact',
      origin: APP,
      rule: APP,
      method: 'GET',
      path: '/fail',
    });
    assertNoSecrets(events);
  });

  test('the path is cut at the query, cut in length and escaped; a method that is not a token is null', () => {
    const events: CorsDecisionEvent[] = [];
    const middleware = corsSafety(options(events));
    const send = (method: string, url: string): CorsDecisionEvent => {
      events.length = 0;
      const req = new IncomingMessage(new Socket());
      Object.assign(req, { method, url, headers: { origin: APP } });
      middleware(req, new ServerResponse(req), () => {});
      return only(events);
    };
    assert.equal(send('GET', '/a\u001b[31mb\u0000?x=\u0007').path, '/a\\u001b[31mb\\u0000');
    assert.equal(send('GET', '/p#frag?q').path, '/p');
    assert.equal(send('GET', `/${'x'.repeat(5000)}`).path, `/${'x'.repeat(255)}`);
    assert.equal(send('GE T\r\n', '/').method, null);
    assert.equal(send('X'.repeat(40), '/').method, null);
    assert.equal(send('PROPFIND', '/').method, 'PROPFIND');
  });

  test('an onDecision that throws, rejects, or a subscriber that throws never breaks a request', async () => {
    const throwing = (): void => {
      throw new Error('metrics are down');
    };
    subscribe(DECISION_CHANNEL, throwing);
    try {
      for (const onDecision of [throwing, () => Promise.reject(new Error('async metrics are down'))]) {
        const running = await stacks[0]!.start({ origin: APP, env: {}, onDecision });
        try {
          const reply = await call(`${running.url}/ok`, { origin: APP });
          assert.equal(reply.status, 200);
          assert.equal(reply.headers.get('access-control-allow-origin'), APP);
          const denied = await call(`${running.url}/ok`, { origin: EVIL });
          assert.equal(denied.status, 200);
          assert.equal(denied.headers.get('access-control-allow-origin'), null);
        } finally {
          await running.close();
        }
      }
      // Let a rethrow scheduled by Node (process.nextTick) happen inside this test if it were to.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      unsubscribe(DECISION_CHANNEL, throwing);
    }
    const codes = warnings.map((w) => (w as Error & { code?: string }).code);
    assert.ok(codes.includes('CORS_SAFETY_ON_DECISION_THREW'), codes.join());
    assert.ok(codes.includes('CORS_SAFETY_DECISION_SUBSCRIBER_THREW'), codes.join());
  });

  test('nothing is built without a subscriber, onDecision or reportOnly', () => {
    unsubscribe(DECISION_CHANNEL, onMessage);
    try {
      const middleware = corsSafety({ origin: APP, env: {} });
      const req = new IncomingMessage(new Socket());
      // A getter that counts reads: the event builder reads the method and the path.
      let reads = 0;
      Object.defineProperty(req, 'originalUrl', {
        get: () => {
          reads++;
          return '/x';
        },
      });
      Object.assign(req, { method: 'GET', url: '/x', headers: { origin: APP } });
      middleware(req, new ServerResponse(req), () => {});
      assert.equal(reads, 0);
    } finally {
      subscribe(DECISION_CHANNEL, onMessage);
    }
  });
});

describe('decision events of WebSocket and socket.io handshakes', () => {
  const wsCases: {
    name: string;
    lines: (port: number) => string[];
    path?: string;
    want: Partial<CorsDecisionEvent>;
  }[] = [
    {
      name: 'allowed',
      lines: (port) => [`Host: 127.0.0.1:${port}`, `Origin: ${APP}`, `Cookie: ${COOKIE}`],
      want: { outcome: 'allowed', reason: 'allowed-exact', origin: APP, rule: APP },
    },
    {
      name: 'denied',
      lines: (port) => [`Host: 127.0.0.1:${port}`, `Origin: ${EVIL}`, `Authorization: ${AUTHORIZATION}`],
      want: { outcome: 'denied', reason: 'origin-not-allowed', origin: EVIL, rule: null },
    },
    {
      name: 'same origin (Host in allowedHosts)',
      lines: (port) => [`Host: 127.0.0.1:${port}`, `Origin: http://127.0.0.1:${port}`],
      want: { outcome: 'same-origin', reason: 'allowed-same-origin', rule: 'allowedHosts: 127.0.0.1:*' },
    },
    {
      name: 'no origin',
      lines: (port) => [`Host: 127.0.0.1:${port}`],
      want: { outcome: 'no-origin', reason: 'allowed-no-origin', origin: null, rule: 'requireOrigin: false' },
    },
    {
      name: 'no Host',
      lines: () => [`Origin: ${APP}`],
      want: { outcome: 'denied', reason: 'host-missing', origin: null },
    },
    {
      name: 'a path outside paths',
      lines: (port) => [`Host: 127.0.0.1:${port}`, `Origin: ${APP}`],
      path: '/elsewhere?token=SECRET-QUERY',
      want: { outcome: 'denied', reason: 'path-not-matched', origin: null, path: '/elsewhere' },
    },
  ];
  for (const { name, lines, path, want } of wsCases) {
    test(`upgradeGuard: ${name}`, async (t) => {
      const events: CorsDecisionEvent[] = [];
      const h = await startGuard(t, options(events), { paths: ['/ws'] });
      await rawUpgrade(h.port, lines(h.port), { path: path ?? '/ws?token=SECRET-QUERY' });
      await waitFor(
        () => events.length > 0,
        scaled(3000),
        () => 'no event',
      );
      const event = only(events);
      const expected = { ...base, transport: 'websocket', method: 'GET', path: '/ws', ...want };
      if (want.reason === 'allowed-same-origin') (expected as { origin: string }).origin = `http://127.0.0.1:${h.port}`;
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual(event[key as keyof CorsDecisionEvent], value, `${key} of ${JSON.stringify(event)}`);
      assertNoSecrets(events);
    });
  }

  test('createVerifyClient: allowed and denied handshakes, each one websocket event', async (t) => {
    const events: CorsDecisionEvent[] = [];
    const h = await startWs(t, 'server', { verifyClient: createVerifyClient(createCorsPolicy(options(events))) });
    assert.equal((await wsOutcome(`${h.url}/live?token=SECRET-QUERY`, { origin: APP, headers: SECRETS })).kind, 'open');
    const refused = await wsOutcome(`${h.url}/live`, { origin: EVIL, headers: SECRETS });
    assert.equal(refused.kind, 'refused');
    assert.deepEqual(
      events.map((e) => [e.transport, e.outcome, e.reason, e.origin, e.path]),
      [
        ['websocket', 'allowed', 'allowed-exact', APP, '/live'],
        ['websocket', 'denied', 'origin-not-allowed', EVIL, '/live'],
      ],
    );
    assertNoSecrets(events);
  });

  test('createAllowRequest: socket.io handshakes on both transports', async (t) => {
    const events: CorsDecisionEvent[] = [];
    const h = await startSocketIo(t, createCorsPolicy(options(events)));
    assert.equal((await clientOutcome(h.url, ['websocket'], APP)).kind, 'connected');
    assert.equal((await clientOutcome(h.url, ['polling'], EVIL)).kind, 'error');
    const handshakes = events.filter((e) => e.transport === 'socketio');
    assert.deepEqual(
      handshakes.map((e) => [e.outcome, e.reason, e.origin, e.method, e.path]),
      [
        ['allowed', 'allowed-exact', APP, 'GET', '/socket.io/'],
        ['denied', 'origin-not-allowed', EVIL, 'GET', '/socket.io/'],
      ],
    );
    // io.engine.use(corsSafety(policy)) reports the polling requests as http events.
    assert.ok(events.some((e) => e.transport === 'http' && e.origin === EVIL && e.outcome === 'denied'));
    assertNoSecrets(events);
  });
});
