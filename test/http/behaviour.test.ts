/**
 * The behaviour of corsSafety() on actual requests, run unchanged against Express 5, Express 4,
 * Connect and plain node:http over real loopback sockets: the grant on every error path for an
 * allowed origin, nothing at all for any other origin, Vary handling, public and disabled
 * modes, and the security cases (duplicate, malformed, null and control-character origins).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CorsConfigError, corsSafety, REASON_HEADER, type CorsSafetyOptions } from '../../src/index.js';
import {
  FOREIGN_ORIGIN,
  HANDLER_RAN,
  finalHandler,
  listen,
  stacks,
  type Running,
  type Stack,
} from '../helpers/frameworks.js';
import {
  accessControlNames,
  call,
  headerLineCount,
  list,
  parseRawHead,
  preflight,
  rawCall,
  rawSocket,
  type Reply,
} from '../helpers/middleware-http.js';

const ALLOWED = 'https://app.example.com';
const REGEXP_ALLOWED = 'https://blue.regex.example';
const DENIED = 'https://other.example';

const OPTIONS: CorsSafetyOptions = {
  origin: [ALLOWED, /^https:\/\/[a-z]+\.regex\.example$/],
  credentials: true,
  exposedHeaders: ['X-Request-Id'],
  env: {},
};

interface ErrorPath {
  readonly name: string;
  readonly path: string;
  readonly status: number;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Only where the stack can route it. */
  readonly when?: (stack: Stack) => boolean;
  /** Extra checks that hold for every origin. */
  readonly check?: (reply: Reply) => void;
}

/** Every error path of issue #3, plus the ways a handler can write its own head. */
const ERROR_PATHS: readonly ErrorPath[] = [
  { name: 'sync throw in a handler', path: '/sync-throw', status: 500 },
  { name: 'async rejection', path: '/async-reject', status: 409, when: (s) => s.routesAsyncErrors },
  { name: 'next(err)', path: '/next-error', status: 418 },
  { name: '404 fall-through', path: '/no-such-route', status: 404 },
  {
    name: 'JSON parser 400 on malformed JSON',
    path: '/json',
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"a":',
    status: 400,
  },
  {
    name: 'JSON parser 413 on an oversized body',
    path: '/json',
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ a: 'x'.repeat(4096) }),
    status: 413,
  },
  {
    name: 'err.headers granting a foreign origin',
    path: '/err-headers',
    status: 429,
    check: (r) => assert.equal(r.headers.get('retry-after'), '7', 'the other err.headers still apply'),
  },
  { name: 'res.removeHeader(Access-Control-Allow-Origin)', path: '/remove-header', status: 500 },
  { name: 'Access-Control-* set by the handler', path: '/set-foreign', status: 200 },
  {
    name: 'writeHead(status, {...}) with its own header object',
    path: '/write-head-object',
    status: 503,
    check: (r) => {
      assert.equal(r.headers.get('x-own'), 'kept');
      assert.ok(list(r.headers.get('vary'))?.includes('Accept'), 'the Vary of the header object is kept');
    },
  },
  {
    name: 'writeHead(status, [flat array])',
    path: '/write-head-array',
    status: 502,
    check: (r) => {
      assert.equal(r.headers.get('x-own'), 'kept');
      assert.ok(list(r.headers.get('vary'))?.includes('Accept-Language'));
    },
  },
  {
    name: 'writeHead(status, message, {...})',
    path: '/write-head-message',
    status: 400,
    check: (r) => assert.equal(r.headers.get('x-own'), 'kept'),
  },
  {
    name: 'implicit head from res.write()',
    path: '/stream',
    status: 500,
    check: (r) => assert.equal(r.body, 'part 1,part 2'),
  },
  {
    name: 'route-level sub-router with its own error handler',
    path: '/sub/boom',
    status: 422,
    when: (s) => s.hasSubRouter,
    check: (r) => assert.match(r.body, /"handledBy":"sub-router"/),
  },
];

function request(url: string, path: ErrorPath, origin?: string): Promise<Reply> {
  const options: Parameters<typeof call>[1] = { method: path.method ?? 'GET', headers: path.headers ?? {} };
  return call(`${url}${path.path}`, {
    ...options,
    ...(origin === undefined ? {} : { origin }),
    ...(path.body === undefined ? {} : { body: path.body }),
  });
}

function varyOf(reply: Reply): string[] {
  return list(reply.headers.get('vary')) ?? [];
}

function assertGranted(reply: Reply, origin: string): void {
  assert.equal(reply.headers.get('access-control-allow-origin'), origin);
  assert.equal(reply.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(reply.headers.get('access-control-expose-headers'), 'X-Request-Id');
  assert.ok(varyOf(reply).includes('Origin'), `Vary: Origin expected, got ${reply.headers.get('vary')}`);
  assert.equal(reply.headers.get(REASON_HEADER), null);
  // cors-safety owns Access-Control-*: nothing the app or an error set survives next to the grant.
  assert.deepEqual(accessControlNames(reply.headers), [
    'access-control-allow-credentials',
    'access-control-allow-origin',
    'access-control-expose-headers',
  ]);
}

function assertNothingGranted(reply: Reply): void {
  assert.deepEqual(accessControlNames(reply.headers), [], 'no Access-Control-* header at all');
}

for (const stack of stacks) {
  describe(`corsSafety() on ${stack.name}`, () => {
    let app: Running;
    before(async () => {
      app = await stack.start(OPTIONS);
    });
    after(() => app.close());

    describe('actual requests', () => {
      it('grants an allowed origin: exactly that origin, credentials, exposed headers, Vary: Origin', async () => {
        const reply = await call(`${app.url}/ok`, { origin: ALLOWED });
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get(HANDLER_RAN), '1');
        assertGranted(reply, ALLOWED);
      });

      it('puts exactly one Access-Control-Allow-Origin line on the wire, even when the app adds its own', async () => {
        for (const path of [
          '/ok',
          '/set-foreign',
          '/err-headers',
          '/write-head-object',
          '/write-head-array',
          '/sync-throw',
        ]) {
          const reply = await rawCall(`${app.url}${path}`, 'GET', { Origin: ALLOWED });
          assert.equal(headerLineCount(reply.rawHeaders, 'access-control-allow-origin'), 1, path);
          assert.equal(headerLineCount(reply.rawHeaders, 'access-control-allow-credentials'), 1, path);
          assert.equal(reply.headers['access-control-allow-origin'], ALLOWED, path);
        }
      });

      it('grants an origin matched by an anchored RegExp, identically on every repeat', async () => {
        const replies = await Promise.all(
          Array.from({ length: 6 }, () => call(`${app.url}/ok`, { origin: REGEXP_ALLOWED })),
        );
        for (const reply of replies) assertGranted(reply, REGEXP_ALLOWED);
      });

      it('gives a denied origin nothing, credentials included, and names the reason', async () => {
        const reply = await call(`${app.url}/ok`, { origin: DENIED });
        assert.equal(reply.status, 200, 'the request itself still goes on');
        assert.equal(reply.headers.get(HANDLER_RAN), '1');
        assertNothingGranted(reply);
        assert.ok(varyOf(reply).includes('Origin'));
        assert.equal(reply.headers.get(REASON_HEADER), 'origin-not-allowed');
      });

      it('gives a request without Origin nothing but Vary: Origin, and no reason header', async () => {
        const reply = await call(`${app.url}/ok`);
        assert.equal(reply.status, 200);
        assertNothingGranted(reply);
        assert.ok(varyOf(reply).includes('Origin'));
        assert.equal(reply.headers.get(REASON_HEADER), null);
      });

      it('passes a non-preflight OPTIONS (no Access-Control-Request-Method) to the app, with the grant', async () => {
        const reply = await call(`${app.url}/options`, { method: 'OPTIONS', origin: ALLOWED });
        assert.equal(reply.status, 200);
        assert.equal(reply.body, 'app options');
        assert.equal(reply.headers.get('x-app-saw-method'), '(none)');
        assertGranted(reply, ALLOWED);
      });

      it('answers preflights itself: the OPTIONS route never runs', async () => {
        const ok = await preflight(`${app.url}/options`, ALLOWED, 'PUT');
        assert.equal(ok.status, 204);
        assert.equal(ok.headers.get(HANDLER_RAN), null);
        assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
        const denied = await preflight(`${app.url}/options`, DENIED, 'PUT');
        assert.equal(denied.status, 403);
        assert.equal(denied.headers.get(HANDLER_RAN), null);
        assertNothingGranted(denied);
        // A preflight to a route that throws is answered before the route can see it.
        const beforeRoute = await preflight(`${app.url}/sync-throw`, ALLOWED, 'DELETE', 'authorization');
        assert.equal(beforeRoute.status, 204);
        assert.equal(beforeRoute.headers.get('access-control-allow-headers'), 'authorization');
      });
    });

    describe('error paths, allowed origin: the grant survives', () => {
      for (const path of ERROR_PATHS) {
        const skip = path.when !== undefined && !path.when(stack);
        it(path.name, { skip: skip && `${stack.name} does not route this case` }, async () => {
          const reply = await request(app.url, path, ALLOWED);
          assert.equal(reply.status, path.status);
          assertGranted(reply, ALLOWED);
          assert.ok(!(reply.headers.get('access-control-expose-headers') ?? '').includes('X-Secret'));
          path.check?.(reply);
        });
      }
    });

    describe('error paths, denied origin: nothing is added on the way', () => {
      for (const path of ERROR_PATHS) {
        const skip = path.when !== undefined && !path.when(stack);
        it(path.name, { skip: skip && `${stack.name} does not route this case` }, async () => {
          const reply = await request(app.url, path, DENIED);
          assert.equal(reply.status, path.status);
          assertNothingGranted(reply);
          assert.ok(varyOf(reply).includes('Origin'));
          assert.equal(reply.headers.get(REASON_HEADER), 'origin-not-allowed');
          path.check?.(reply);
        });
      }
    });

    describe('error paths, no Origin header', () => {
      for (const path of ERROR_PATHS) {
        const skip = path.when !== undefined && !path.when(stack);
        it(path.name, { skip: skip && `${stack.name} does not route this case` }, async () => {
          const reply = await request(app.url, path);
          assert.equal(reply.status, path.status);
          assertNothingGranted(reply);
          assert.ok(varyOf(reply).includes('Origin'));
          path.check?.(reply);
        });
      }
    });

    describe('Vary', () => {
      it('appends Origin to a Vary the app set, never replacing it', async () => {
        for (const origin of [ALLOWED, DENIED, undefined]) {
          const reply = await call(`${app.url}/vary-app`, origin === undefined ? {} : { origin });
          assert.deepEqual(varyOf(reply), ['Accept-Encoding', 'Origin'], `origin ${origin}`);
        }
      });

      it('keeps Vary: * as it is', async () => {
        for (const origin of [ALLOWED, DENIED, undefined]) {
          const reply = await call(`${app.url}/vary-star`, origin === undefined ? {} : { origin });
          assert.equal(reply.headers.get('vary'), '*', `origin ${origin}`);
        }
        const granted = await call(`${app.url}/vary-star`, { origin: ALLOWED });
        assert.equal(granted.headers.get('access-control-allow-origin'), ALLOWED, 'Vary: * still carries the grant');
      });
    });

    describe('security', () => {
      it('refuses two Origin headers, even two identical allowed ones', async () => {
        for (const origins of [
          [ALLOWED, ALLOWED],
          [ALLOWED, DENIED],
          [DENIED, ALLOWED],
        ]) {
          const reply = await rawCall(`${app.url}/ok`, 'GET', { Origin: origins });
          assert.equal(reply.status, 200);
          assert.equal(headerLineCount(reply.rawHeaders, 'access-control-allow-origin'), 0, origins.join(' + '));
          assert.equal(headerLineCount(reply.rawHeaders, 'access-control-allow-credentials'), 0);
          assert.equal(reply.headers[REASON_HEADER.toLowerCase()], 'origin-multiple');
        }
      });

      it('refuses two Origin headers on a preflight and on an error path', async () => {
        const pre = await rawCall(`${app.url}/ok`, 'OPTIONS', {
          Origin: [ALLOWED, ALLOWED],
          'Access-Control-Request-Method': 'PUT',
        });
        assert.equal(pre.status, 403);
        assert.equal(Object.keys(pre.headers).filter((n) => n.startsWith('access-control-')).length, 0);
        const err = await rawCall(`${app.url}/err-headers`, 'GET', { Origin: [ALLOWED, ALLOWED] });
        assert.equal(err.status, 429);
        assert.equal(Object.keys(err.headers).filter((n) => n.startsWith('access-control-')).length, 0);
      });

      it('denies the opaque origin "null" by default', async () => {
        const reply = await call(`${app.url}/sync-throw`, { origin: 'null' });
        assert.equal(reply.status, 500);
        assertNothingGranted(reply);
        assert.equal(reply.headers.get(REASON_HEADER), 'origin-null');
        const pre = await preflight(`${app.url}/ok`, 'null', 'PUT');
        assert.equal(pre.status, 403);
        assertNothingGranted(pre);
      });

      it('denies look-alike and malformed origins', async () => {
        const cases: [string, string][] = [
          ['https://app.example.com.evil.net', 'origin-not-allowed'],
          ['https://evilapp.example.com', 'origin-not-allowed'],
          ['http://app.example.com', 'origin-not-allowed'],
          ['https://app.example.com:444', 'origin-not-allowed'],
          ['https://APP.example.com', 'origin-malformed'],
          ['https://app.example.com/', 'origin-malformed'],
          ['https://app.example.com\tx', 'origin-malformed'],
          ['https://blue.regex.example.evil.net', 'origin-not-allowed'],
          [`https://${'a'.repeat(3000)}.example`, 'origin-too-long'],
        ];
        for (const [origin, reason] of cases) {
          const reply = await call(`${app.url}/next-error`, { origin });
          assert.equal(reply.status, 418);
          assertNothingGranted(reply);
          assert.equal(reply.headers.get(REASON_HEADER), reason, origin);
        }
      });

      for (const [name, bytes] of [
        ['CR', '\r'],
        ['LF', '\n'],
        ['NUL', '\0'],
      ] as const) {
        it(`grants nothing to an Origin with ${name} in it (raw socket)`, async () => {
          const response = await rawSocket(
            app.url,
            `GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ALLOWED}${bytes}Access-Control-Allow-Origin: ${FOREIGN_ORIGIN}\r\nConnection: close\r\n\r\n`,
          );
          const { status, headers } = parseRawHead(response);
          assert.equal(status, 400, "Node's parser refuses the request");
          assert.deepEqual(
            [...headers.keys()].filter((n) => n.startsWith('access-control-')),
            [],
          );
        });
      }

      it('refuses a /g-flagged RegExp at construction', () => {
        assert.throws(
          () => corsSafety({ origin: [/^https:\/\/[a-z]+\.regex\.example$/g], env: {} }),
          (err: unknown) => err instanceof CorsConfigError && err.issues.some((i) => i.code === 'regexp-stateful-flag'),
        );
      });
    });

    describe('public mode (origin: "*")', () => {
      let pub: Running;
      before(async () => {
        pub = await stack.start({ origin: '*', exposedHeaders: 'X-Request-Id', env: {} });
      });
      after(() => pub.close());

      it('sends Access-Control-Allow-Origin: * to everyone, no credentials, no Vary: Origin', async () => {
        for (const [path, status] of [
          ['/ok', 200],
          ['/sync-throw', 500],
          ['/err-headers', 429],
          ['/set-foreign', 200],
          ['/write-head-object', 503],
          ['/no-such-route', 404],
        ] as const) {
          for (const origin of [ALLOWED, DENIED, 'null', undefined]) {
            const reply = await call(`${pub.url}${path}`, origin === undefined ? {} : { origin });
            assert.equal(reply.status, status);
            assert.equal(reply.headers.get('access-control-allow-origin'), '*', `${path} ${origin}`);
            assert.equal(reply.headers.get('access-control-allow-credentials'), null, `${path} ${origin}`);
            assert.equal(reply.headers.get('access-control-expose-headers'), 'X-Request-Id');
            assert.ok(!varyOf(reply).includes('Origin'), `${path}: Vary ${reply.headers.get('vary')}`);
          }
        }
      });

      it('answers preflights with * and varies only on the request headers', async () => {
        const reply = await preflight(`${pub.url}/ok`, DENIED, 'PUT', 'content-type');
        assert.equal(reply.status, 204);
        assert.equal(reply.headers.get('access-control-allow-origin'), '*');
        assert.deepEqual(varyOf(reply), ['Access-Control-Request-Method', 'Access-Control-Request-Headers']);
      });
    });

    describe('cross-origin access off (origin: false)', () => {
      let off: Running;
      before(async () => {
        off = await stack.start({ origin: false, env: {} });
      });
      after(() => off.close());

      it('grants nothing, strips what the app sets, adds no Vary: Origin', async () => {
        for (const path of ['/ok', '/set-foreign', '/err-headers']) {
          const reply = await call(`${off.url}${path}`, { origin: ALLOWED });
          assertNothingGranted(reply);
          assert.ok(!varyOf(reply).includes('Origin'), path);
          assert.equal(reply.headers.get(REASON_HEADER), 'cors-disabled');
        }
      });
    });

    describe('allowNullOrigin', () => {
      let nullable: Running;
      before(async () => {
        nullable = await stack.start({ origin: ALLOWED, allowNullOrigin: true, env: {} });
      });
      after(() => nullable.close());

      it('grants "null" only when asked to, without credentials', async () => {
        const reply = await call(`${nullable.url}/sync-throw`, { origin: 'null' });
        assert.equal(reply.status, 500);
        assert.equal(reply.headers.get('access-control-allow-origin'), 'null');
        assert.equal(reply.headers.get('access-control-allow-credentials'), null);
        assert.ok(varyOf(reply).includes('Origin'));
      });
    });
  });
}

describe('exposeReason', () => {
  it('is off under NODE_ENV=production and can be turned off explicitly', async () => {
    for (const options of [
      { origin: ALLOWED, env: { NODE_ENV: 'production' } },
      { origin: ALLOWED, exposeReason: false, env: {} },
    ]) {
      const app = await stacks[0]!.start(options);
      try {
        const actual = await call(`${app.url}/ok`, { origin: DENIED });
        assert.equal(actual.headers.get(REASON_HEADER), null);
        const pre = await preflight(`${app.url}/ok`, DENIED, 'PUT');
        assert.equal(pre.status, 403);
        assert.equal(pre.headers.get(REASON_HEADER), null);
        const refused = await preflight(`${app.url}/ok`, ALLOWED, 'PROPFIND');
        assert.equal(refused.headers.get(REASON_HEADER), null);
      } finally {
        await app.close();
      }
    }
  });
});

describe('control characters that reach the middleware (insecureHTTPParser)', () => {
  let app: Running;
  before(async () => {
    const cors = corsSafety({ origin: ALLOWED, credentials: true, env: {} });
    const server = http.createServer({ insecureHTTPParser: true }, (req, res) => {
      cors(req, res, (err) => {
        if (err !== undefined) finalHandler(req, res, err);
        else finalHandler(req, res, Object.assign(new Error('boom'), { status: 500 }));
      });
    });
    app = await listen(server);
  });
  after(() => app.close());

  for (const [name, bytes] of [
    ['NUL', '\0'],
    ['obs-fold', '\r\n x'],
    ['DEL', '\x7f'],
  ] as const) {
    it(`denies an Origin with ${name} as malformed on an error response`, async () => {
      const response = await rawSocket(
        app.url,
        `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ALLOWED}${bytes}\r\nConnection: close\r\n\r\n`,
      );
      const { status, headers } = parseRawHead(response);
      assert.equal(status, 500);
      assert.deepEqual(
        [...headers.keys()].filter((n) => n.startsWith('access-control-')),
        [],
      );
      assert.deepEqual(headers.get(REASON_HEADER.toLowerCase()), ['origin-malformed']);
    });
  }

  it('still grants the same origin written cleanly on that server', async () => {
    const { status, headers } = parseRawHead(
      await rawSocket(app.url, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ALLOWED}\r\nConnection: close\r\n\r\n`),
    );
    assert.equal(status, 500);
    assert.deepEqual(headers.get('access-control-allow-origin'), [ALLOWED]);
  });
});
