/**
 * corsErrorHandler(): what the client receives. Status rules (finalhandler's), exact JSON and
 * problem+json bodies, framing and safety headers, what may be shown (expose, never for 5xx),
 * HEAD, err.headers handling and values that are not errors at all.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { corsErrorHandler, createCorsPolicy, notFound, type CorsErrorHandlerOptions } from '../../src/index.js';
import {
  ALLOWED,
  FLAVORS,
  TEST_TIMEOUT_MS,
  get,
  listen,
  rawRequest,
  withServer,
  type Flavor,
} from '../helpers/error-handler-servers.js';

const T = { timeout: TEST_TIMEOUT_MS };
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });
const GENERIC_500 = '{"error":{"status":500,"message":"Internal Server Error"}}';

/** An app whose GET /fail throws whatever `make()` returns, with the handler mounted last. */
function failing(flavor: Flavor, make: () => unknown, options?: CorsErrorHandlerOptions) {
  const a = flavor.create();
  a.get('/fail', () => {
    throw make();
  });
  a.use(notFound());
  a.use(corsErrorHandler(policy, options));
  return a;
}

/** Asserts the framing and safety headers every error response carries. */
function assertErrorHeaders(res: Response, body: string, type = 'application/json; charset=utf-8'): void {
  assert.equal(res.headers.get('content-type'), type);
  assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: status`, () => {
    const fallbacks: [string, Record<string, unknown>][] = [
      ['status 200', { status: 200 }],
      ['status 302', { status: 302 }],
      ['status "404" (a string)', { status: '404' }],
      ['status 600', { status: 600 }],
      ['status NaN', { status: Number.NaN }],
      ['status 399', { status: 399 }],
      ['status 404.5', { status: 404.5 }],
      ['status Infinity', { status: Number.POSITIVE_INFINITY }],
      ['status 404n (a bigint)', { status: 404n }],
      ['statusCode 200', { statusCode: 200 }],
      ['no status', {}],
    ];
    for (const [label, fields] of fallbacks) {
      it(`${label} falls back to 500, err.headers dropped`, T, () =>
        withServer(
          failing(flavor, () =>
            Object.assign(new Error('secret detail'), fields, {
              expose: true,
              headers: { 'Retry-After': '9', 'X-From-Error': 'yes' },
            }),
          ),
          async (url) => {
            const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
            assert.equal(res.status, 500);
            assert.equal(res.headers.get('retry-after'), null, 'err.headers only apply with a valid status');
            assert.equal(res.headers.get('x-from-error'), null);
            assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
            const text = await res.text();
            assert.equal(text, GENERIC_500);
            assertErrorHeaders(res, text);
          },
        ),
      );
    }

    const valid: [string, Record<string, unknown>, number, string][] = [
      ['status 400', { status: 400 }, 400, 'Bad Request'],
      ['status 404', { status: 404 }, 404, 'Not Found'],
      ['status 599 (no standard text)', { status: 599 }, 599, 'Internal Server Error'],
      ['status 499 (no standard text)', { status: 499 }, 499, 'Bad Request'],
      ['statusCode 409 alone', { statusCode: 409 }, 409, 'Conflict'],
      ['invalid status, valid statusCode', { status: 'x', statusCode: 410 }, 410, 'Gone'],
      ['status wins over statusCode', { status: 403, statusCode: 503 }, 403, 'Forbidden'],
      ['status 503', { status: 503 }, 503, 'Service Unavailable'],
    ];
    for (const [label, fields, status, text] of valid) {
      it(`${label} -> ${status}, err.headers kept`, T, () =>
        withServer(
          failing(flavor, () =>
            Object.assign(new Error('not for clients'), fields, { headers: { 'Retry-After': '9' } }),
          ),
          async (url) => {
            const res = await get(`${url}/fail`);
            assert.equal(res.status, status);
            assert.equal(res.headers.get('retry-after'), '9');
            assert.deepEqual(await res.json(), { error: { status, message: text } });
          },
        ),
      );
    }

    it('the status line text matches the new status, not one the failed response had set', T, async () => {
      const a = flavor.create();
      a.get('/fail', (_req, res) => {
        res.statusCode = 201;
        res.statusMessage = 'Created Just Fine';
        throw Object.assign(new Error('x'), { status: 404 });
      });
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        const res = await rawRequest(url, { path: '/fail' }).response;
        assert.equal(res.status, 404);
        assert.equal(res.statusMessage, 'Not Found');
      });
    });
  });

  describe(`${flavor.name}: body`, () => {
    it('JSON by default, exactly {"error":{"status","message"}}, with framing and safety headers', T, () =>
      withServer(
        failing(flavor, () => Object.assign(new Error('Item 7 does not exist'), { status: 404, expose: true })),
        async (url) => {
          const res = await get(`${url}/fail`);
          const text = await res.text();
          assert.equal(text, '{"error":{"status":404,"message":"Item 7 does not exist"}}');
          assertErrorHeaders(res, text);
        },
      ),
    );

    it('notFound() turns unmatched routes into the same JSON 404, CORS included', T, () =>
      withServer(
        failing(flavor, () => new Error('unused')),
        async (url) => {
          const res = await get(`${url}/no/such/route?x=1`, { method: 'DELETE', headers: { origin: ALLOWED } });
          assert.equal(res.status, 404);
          assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
          const text = await res.text();
          assert.equal(text, '{"error":{"status":404,"message":"Not Found"}}');
          assertErrorHeaders(res, text);
        },
      ),
    );

    it('problem+json: type, title, status, and detail only for a shown 4xx message', T, () => {
      const a = flavor.create();
      a.get('/shown', () => {
        throw Object.assign(new Error('Quota exceeded for key 12'), { status: 429, expose: true });
      });
      a.get('/hidden', () => {
        throw Object.assign(new Error('internal'), { status: 403 });
      });
      a.get('/crash', () => {
        throw Object.assign(new Error('stack and secrets'), { expose: true });
      });
      a.use(notFound());
      a.use(corsErrorHandler(policy, { format: 'problem+json' }));
      const type = 'application/problem+json; charset=utf-8';
      return withServer(a, async (url) => {
        const cases: [string, number, string][] = [
          [
            '/shown',
            429,
            '{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Quota exceeded for key 12"}',
          ],
          ['/hidden', 403, '{"type":"about:blank","title":"Forbidden","status":403}'],
          ['/crash', 500, '{"type":"about:blank","title":"Internal Server Error","status":500}'],
          ['/missing', 404, '{"type":"about:blank","title":"Not Found","status":404}'],
        ];
        for (const [path, status, expected] of cases) {
          const res = await get(`${url}${path}`);
          assert.equal(res.status, status, path);
          const text = await res.text();
          assert.equal(text, expected, path);
          assertErrorHeaders(res, text, type);
        }
      });
    });

    it('Content-Length counts bytes of a non-ASCII message; long messages are cut at 300 characters', T, () => {
      const a = flavor.create();
      a.get('/unicode', () => {
        throw Object.assign(new Error('Ünïcødé naïve ✓ 🚫'), { status: 422, expose: true });
      });
      a.get('/long', () => {
        throw Object.assign(new Error('x'.repeat(1000)), { status: 400, expose: true });
      });
      a.use(corsErrorHandler(policy));
      return withServer(a, async (url) => {
        const unicode = await get(`${url}/unicode`);
        const text = await unicode.text();
        assert.deepEqual(JSON.parse(text), { error: { status: 422, message: 'Ünïcødé naïve ✓ 🚫' } });
        assertErrorHeaders(unicode, text);
        const long = (await (await get(`${url}/long`)).json()) as { error: { message: string } };
        assert.equal(long.error.message, `${'x'.repeat(300)}...`);
      });
    });

    it('HEAD gets the headers of the GET answer and no body', T, () =>
      withServer(
        failing(flavor, () => Object.assign(new Error('Gone for good'), { status: 410, expose: true })),
        async (url) => {
          const getText = await (await get(`${url}/fail`)).text();
          for (const path of ['/fail', '/unmatched']) {
            const head = await rawRequest(url, { method: 'HEAD', path, headers: { origin: ALLOWED } }).response;
            const expectedBody = path === '/fail' ? getText : '{"error":{"status":404,"message":"Not Found"}}';
            assert.equal(head.status, path === '/fail' ? 410 : 404);
            assert.equal(head.body, '');
            assert.equal(head.headers['content-length'], String(Buffer.byteLength(expectedBody)));
            assert.equal(head.headers['content-type'], 'application/json; charset=utf-8');
            assert.equal(head.headers['access-control-allow-origin'], ALLOWED);
          }
        },
      ),
    );

    it('drops content headers the failed response had set, keeps the application cookies', T, async () => {
      const a = flavor.create();
      a.get('/fail', (_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.setHeader('Content-Encoding', 'gzip');
        res.setHeader('Content-Disposition', 'attachment; filename="report.csv"');
        res.setHeader('ETag', '"v1"');
        res.setHeader('Set-Cookie', 'session=abc; HttpOnly');
        throw Object.assign(new Error('x'), { status: 404, expose: true });
      });
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        const res = await rawRequest(url, { path: '/fail' }).response;
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.headers['content-encoding'], undefined);
        assert.equal(res.headers['content-disposition'], undefined);
        assert.equal(res.headers.etag, undefined);
        assert.deepEqual(res.headers['set-cookie'], ['session=abc; HttpOnly']);
        assert.equal(res.body, '{"error":{"status":404,"message":"x"}}');
      });
    });
  });

  describe(`${flavor.name}: what may be shown`, () => {
    const secret = 'password=hunter2 at /srv/app/db.js:42';
    const cases: [string, () => unknown, number, string][] = [
      [
        'expose: true on a 500 still shows the generic text',
        () => Object.assign(new Error(secret), { status: 500, expose: true }),
        500,
        'Internal Server Error',
      ],
      [
        'expose: true on a 503 still shows the generic text',
        () => Object.assign(new Error(secret), { statusCode: 503, expose: true }),
        503,
        'Service Unavailable',
      ],
      [
        'a 400 without expose shows "Bad Request"',
        () => Object.assign(new Error(secret), { status: 400 }),
        400,
        'Bad Request',
      ],
      [
        'expose: "true" (a string) is not expose',
        () => Object.assign(new Error(secret), { status: 400, expose: 'true' }),
        400,
        'Bad Request',
      ],
      [
        'expose: true with an empty message shows the status text',
        () => Object.assign(new Error(''), { status: 404, expose: true }),
        404,
        'Not Found',
      ],
      [
        'a non-string message is never shown',
        () => ({ status: 400, expose: true, message: { secret } }),
        400,
        'Bad Request',
      ],
      ['a thrown string is a 500', () => secret, 500, 'Internal Server Error'],
      ['a thrown number is a 500', () => 404, 500, 'Internal Server Error'],
      [
        'a plain object with a valid status is rendered like an error',
        () => ({ status: 409, expose: true, message: 'Version mismatch' }),
        409,
        'Version mismatch',
      ],
    ];
    for (const [label, make, status, message] of cases) {
      it(label, T, () =>
        withServer(failing(flavor, make), async (url) => {
          const res = await get(`${url}/fail`);
          assert.equal(res.status, status);
          assert.deepEqual(await res.json(), { error: { status, message } });
        }),
      );
    }

    for (const nodeEnv of [undefined, 'development', 'test']) {
      it(
        `a 5xx body never carries the message, stack, paths or request body (NODE_ENV ${nodeEnv ?? 'unset'})`,
        T,
        async () => {
          const saved = process.env.NODE_ENV;
          if (nodeEnv === undefined) delete process.env.NODE_ENV;
          else process.env.NODE_ENV = nodeEnv;
          try {
            // Express reads NODE_ENV when the app is created.
            const a = flavor.create();
            a.post('/fail', flavor.json(), (req) => {
              throw Object.assign(new Error(secret), { body: req.body as unknown, expose: true });
            });
            a.use(corsErrorHandler(policy));
            await withServer(a, async (url) => {
              const res = await get(`${url}/fail`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{"card":"4111-1111"}',
              });
              assert.equal(res.status, 500);
              const text = await res.text();
              assert.equal(text, GENERIC_500);
              const everything = text + JSON.stringify([...res.headers]);
              for (const leak of ['hunter2', '/srv/app', 'db.js', '4111', 'at ', __filenameLike()])
                assert.ok(!everything.includes(leak), leak);
            });
          } finally {
            if (saved === undefined) delete process.env.NODE_ENV;
            else process.env.NODE_ENV = saved;
          }
        },
      );
    }

    if (flavor.major === 5) {
      it('Express 5 routes async rejections to the handler', T, async () => {
        const a = flavor.create();
        a.get('/fail', async () => {
          await Promise.resolve();
          throw Object.assign(new Error('Slow down'), { status: 429, expose: true });
        });
        a.use(corsErrorHandler(policy));
        await withServer(a, async (url) => {
          const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
          assert.equal(res.status, 429);
          assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
          assert.deepEqual(await res.json(), { error: { status: 429, message: 'Slow down' } });
        });
      });
    }
  });

  describe(`${flavor.name}: err.headers`, () => {
    const withHeaders = (headers: unknown) => () => Object.assign(new Error('x'), { status: 503, headers });

    it('an invalid value or name is ignored without throwing; valid entries are kept', T, () =>
      withServer(
        failing(
          flavor,
          withHeaders({
            'X-Bad': 'a\nb',
            'Bad Name': 'v',
            'X-Undefined': undefined,
            'Retry-After': '120',
            'X-List': ['a', 'b'],
          }),
        ),
        async (url) => {
          const res = await rawRequest(url, { path: '/fail', headers: { origin: ALLOWED } }).response;
          assert.equal(res.status, 503);
          assert.equal(res.headers['retry-after'], '120');
          assert.equal(res.headers['x-list'], 'a, b');
          assert.equal(res.headers['x-bad'], undefined);
          assert.equal(res.headers['x-undefined'], undefined);
          assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
          assert.equal(res.body, '{"error":{"status":503,"message":"Service Unavailable"}}');
        },
      ),
    );

    it('values that are not strings, numbers or lists of strings are ignored', T, () =>
      withServer(
        failing(
          flavor,
          withHeaders({
            'X-Object': { toString: () => 'object text' },
            'X-Throwing': {
              toString: () => {
                throw new Error('toString');
              },
            },
            'X-Function': () => 'f',
            'X-Number': 7,
          }),
        ),
        async (url) => {
          const res = await rawRequest(url, { path: '/fail' }).response;
          assert.equal(res.status, 503);
          assert.equal(res.headers['x-object'], undefined);
          assert.equal(res.headers['x-throwing'], undefined);
          assert.equal(res.headers['x-function'], undefined);
          assert.equal(res.headers['x-number'], '7');
        },
      ),
    );

    it('Content-Type, Content-Length and Transfer-Encoding in err.headers do not override the body framing', T, () =>
      withServer(
        failing(
          flavor,
          withHeaders({
            'Content-Type': 'text/html',
            'content-length': '1',
            'Transfer-Encoding': 'chunked',
            'X-Content-Type-Options': 'off',
            'Cache-Control': 'public, max-age=600',
          }),
        ),
        async (url) => {
          const res = await get(`${url}/fail`);
          const text = await res.text();
          assert.equal(text, '{"error":{"status":503,"message":"Service Unavailable"}}');
          assertErrorHeaders(res, text);
          assert.equal(res.headers.get('transfer-encoding'), null);
        },
      ),
    );

    it('Vary from err.headers keeps Origin appended', T, () =>
      withServer(failing(flavor, withHeaders({ Vary: 'Accept-Encoding' })), async (url) => {
        const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
        assert.equal(res.headers.get('vary'), 'Accept-Encoding, Origin');
      }),
    );

    it('non-object err.headers are ignored', T, async () => {
      for (const headers of ['Retry-After: 5', 42, null, ['Retry-After', '5']]) {
        await withServer(failing(flavor, withHeaders(headers)), async (url) => {
          const res = await get(`${url}/fail`);
          assert.equal(res.status, 503);
          assert.equal(res.headers.get('retry-after'), null);
          assert.equal(res.headers.get('0'), null, 'array indexes are not header names');
          assert.equal(await res.text(), '{"error":{"status":503,"message":"Service Unavailable"}}');
        });
      }
    });
  });

  describe(`${flavor.name}: hostile thrown values`, () => {
    const throwingGetter = (key: string) => () =>
      Object.defineProperty(Object.assign(new Error('x'), { status: 404, expose: true }), key, {
        get() {
          throw new Error(`${key} getter`);
        },
      });
    const everythingThrows = () =>
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('get trap');
          },
          has: () => {
            throw new Error('has trap');
          },
          ownKeys: () => {
            throw new Error('ownKeys trap');
          },
          getPrototypeOf: () => {
            throw new Error('getPrototypeOf trap');
          },
          getOwnPropertyDescriptor: () => {
            throw new Error('getOwnPropertyDescriptor trap');
          },
        },
      );
    const throwingHeaderEntries = () =>
      Object.assign(new Error('x'), {
        status: 503,
        headers: new Proxy(
          { 'Retry-After': '1' },
          {
            ownKeys: () => {
              throw new Error('ownKeys trap');
            },
          },
        ),
      });
    const cases: [string, () => unknown, number, string][] = [
      ['a throwing getter on status', throwingGetter('status'), 500, 'Internal Server Error'],
      [
        'a throwing getter on statusCode (status invalid)',
        () =>
          Object.defineProperty({ status: 'bad' }, 'statusCode', {
            get: () => {
              throw new Error('g');
            },
          }),
        500,
        'Internal Server Error',
      ],
      ['a throwing getter on expose', throwingGetter('expose'), 404, 'Not Found'],
      ['a throwing getter on message', throwingGetter('message'), 404, 'Not Found'],
      ['a throwing getter on headers', throwingGetter('headers'), 404, 'x'],
      ['a throwing getter on stack', throwingGetter('stack'), 404, 'x'],
      ['a Proxy whose every trap throws', everythingThrows, 500, 'Internal Server Error'],
      ['err.headers whose keys cannot be listed', throwingHeaderEntries, 503, 'Service Unavailable'],
    ];
    for (const [label, make, status, message] of cases) {
      for (const log of [undefined, (entry: unknown) => void String(entry)]) {
        it(
          `${label} (${log === undefined ? 'default log' : 'log option'}): the handler does not throw`,
          T,
          async () => {
            const a = flavor.create();
            a.get('/fail', () => {
              throw make();
            });
            a.use(corsErrorHandler(policy, log === undefined ? undefined : { log }));
            // Reached only if corsErrorHandler() threw: Express then hands on the new error.
            let escaped: unknown;
            a.use((err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
              escaped = err;
              res.statusCode = 599;
              res.end('escaped');
            });
            await withServer(a, async (url) => {
              const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
              assert.equal(escaped, undefined, 'the error handler threw');
              assert.equal(res.status, status);
              assert.deepEqual(await res.json(), { error: { status, message } });
              assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
            });
          },
        );
      }
    }
  });
}

describe('values Express never routes (null, undefined): plain node:http', () => {
  for (const value of [null, undefined, false, '']) {
    it(`${String(JSON.stringify(value))} is a 500 with the generic body`, T, async () => {
      const handler = corsErrorHandler(policy);
      const running = await listen((req, res) =>
        handler(value, req, res, () => assert.fail('next must not be called')),
      );
      try {
        const res = await get(`${running.url}/x`, { headers: { origin: ALLOWED } });
        assert.equal(res.status, 500);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(await res.text(), GENERIC_500);
      } finally {
        await running.close();
      }
    });
  }
});

describe('HEAD, seen from inside the response', () => {
  it('the handler passes no body to res.end() (Node would drop it on the wire anyway)', T, async () => {
    const handler = corsErrorHandler(policy);
    const ended: unknown[][] = [];
    const running = await listen((req, res) => {
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        ended.push(args);
        return end(...args);
      }) as typeof res.end;
      handler(Object.assign(new Error('Gone'), { status: 410, expose: true }), req, res, () =>
        assert.fail('next must not be called'),
      );
    });
    try {
      const head = await rawRequest(running.url, { method: 'HEAD' }).response;
      assert.equal(head.status, 410);
      assert.equal(
        head.headers['content-length'],
        String(Buffer.byteLength('{"error":{"status":410,"message":"Gone"}}')),
      );
      const got = await get(running.url);
      assert.equal(await got.text(), '{"error":{"status":410,"message":"Gone"}}');
      assert.deepEqual(ended, [[undefined], ['{"error":{"status":410,"message":"Gone"}}']]);
    } finally {
      await running.close();
    }
  });
});

/** A fragment of this test file's own path, which a stack trace in the body would reveal. */
function __filenameLike(): string {
  return 'error-handler/responses';
}
