/**
 * corsErrorHandler(): the CORS side. Errors raised before corsSafety() ran stay readable for
 * allowed origins only, err.headers cannot grant CORS, and the decision is shared with
 * corsSafety() or made alone, synchronously or through an async origin function.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound, type CorsSafetyOptions } from '../../src/index.js';
import {
  ALLOWED,
  DENIED,
  FLAVORS,
  TEST_TIMEOUT_MS,
  accessControlNames,
  delay,
  get,
  withServer,
} from '../helpers/error-handler-servers.js';

const T = { timeout: TEST_TIMEOUT_MS };

function policyOf(options: CorsSafetyOptions = {}) {
  return createCorsPolicy({ origin: ALLOWED, env: {}, ...options });
}

function varyFields(res: Response): string[] {
  return (res.headers.get('vary') ?? '')
    .split(',')
    .map((field) => field.trim().toLowerCase())
    .filter((field) => field !== '');
}

function httpError(status: number, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { status, expose: status < 500 }, extra);
}

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: a body parser mounted before corsSafety()`, () => {
    function app() {
      const policy = policyOf();
      const a = flavor.create();
      a.use(flavor.json({ limit: '1kb' }));
      a.use(corsSafety(policy));
      a.post('/api/items', (_req, res) => {
        res.json({ ok: true });
      });
      a.use(notFound());
      a.use(corsErrorHandler(policy));
      return a;
    }
    const post = (url: string, origin: string, body: string) =>
      get(`${url}/api/items`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body });

    it('answers malformed JSON with a readable 400 for an allowed origin', T, () =>
      withServer(app(), async (url) => {
        const res = await post(url, ALLOWED, '{"password": hunter2');
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.ok(varyFields(res).includes('origin'));
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
        const text = await res.text();
        // The parser's message quotes the body ("hunter2"): the standard message is sent instead.
        assert.doesNotMatch(text, /hunter2|password/);
        assert.deepEqual(JSON.parse(text), { error: { status: 400, message: 'Bad Request' } });
      }),
    );

    it('answers malformed JSON with a 400 that grants nothing to a denied origin', T, () =>
      withServer(app(), async (url) => {
        const res = await post(url, DENIED, '{"name": ');
        assert.equal(res.status, 400);
        assert.deepEqual(accessControlNames(res.headers), []);
        assert.ok(varyFields(res).includes('origin'), 'the answer still varies by origin');
        assert.equal(((await res.json()) as { error: { status: number } }).error.status, 400);
      }),
    );

    it(
      'answers an over-limit body with a readable 413 for an allowed origin and a bare one for a denied origin',
      T,
      () =>
        withServer(app(), async (url) => {
          const big = JSON.stringify({ data: 'x'.repeat(4096) });
          const allowed = await post(url, ALLOWED, big);
          assert.equal(allowed.status, 413);
          assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
          assert.deepEqual(await allowed.json(), { error: { status: 413, message: 'request entity too large' } });
          const denied = await post(url, DENIED, big);
          assert.equal(denied.status, 413);
          assert.deepEqual(accessControlNames(denied.headers), []);
          assert.deepEqual(await denied.json(), { error: { status: 413, message: 'request entity too large' } });
        }),
    );

    it('still serves the route itself with CORS', T, () =>
      withServer(app(), async (url) => {
        const res = await post(url, ALLOWED, '{"name":"a"}');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.deepEqual(await res.json(), { ok: true });
      }),
    );
  });

  describe(`${flavor.name}: err.headers cannot set Access-Control-*`, () => {
    const hostileHeaders = {
      'Access-Control-Allow-Origin': '*',
      'access-control-allow-credentials': 'true',
      'Access-Control-Expose-Headers': 'X-Secret',
      'ACCESS-CONTROL-ALLOW-METHODS': 'DELETE',
      'WWW-Authenticate': 'Bearer realm="api"',
    };
    function app(options: CorsSafetyOptions, withCorsSafety: boolean) {
      const policy = policyOf(options);
      const a = flavor.create();
      if (withCorsSafety) a.use(corsSafety(policy));
      a.get('/private', (_req, res) => {
        // A handler that set a grant of its own before failing must not keep it either.
        res.setHeader('Access-Control-Allow-Origin', DENIED);
        throw httpError(401, 'Unauthorized', { headers: hostileHeaders });
      });
      a.use(corsErrorHandler(policy));
      return a;
    }

    for (const withCorsSafety of [true, false]) {
      const label = withCorsSafety ? 'with corsSafety()' : 'without corsSafety()';
      it(`allowed origin gets exactly the policy's grant, other err.headers kept (${label})`, T, () =>
        withServer(app({}, withCorsSafety), async (url) => {
          const res = await get(`${url}/private`, { headers: { origin: ALLOWED } });
          assert.equal(res.status, 401);
          assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
          assert.deepEqual(accessControlNames(res.headers), ['access-control-allow-origin']);
          assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
          assert.deepEqual(await res.json(), { error: { status: 401, message: 'Unauthorized' } });
        }),
      );

      it(`denied origin gets no Access-Control-* and no credentials (${label})`, T, () =>
        withServer(app({ credentials: true }, withCorsSafety), async (url) => {
          const res = await get(`${url}/private`, { headers: { origin: DENIED } });
          assert.equal(res.status, 401);
          assert.deepEqual(accessControlNames(res.headers), []);
          assert.ok(varyFields(res).includes('origin'));
          assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
        }),
      );
    }

    it('credentials policy: allowed origin gets credentials from the policy, not from err.headers', T, () =>
      withServer(app({ credentials: true, exposedHeaders: ['X-Request-Id'] }, false), async (url) => {
        const res = await get(`${url}/private`, { headers: { origin: ALLOWED } });
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
        assert.equal(res.headers.get('access-control-expose-headers'), 'X-Request-Id');
        assert.equal(res.headers.get('access-control-allow-methods'), null);
      }),
    );

    it('no Origin header: no Access-Control-*, Vary: Origin', T, () =>
      withServer(app({ credentials: true }, false), async (url) => {
        const res = await get(`${url}/private`);
        assert.equal(res.status, 401);
        assert.deepEqual(accessControlNames(res.headers), []);
        assert.ok(varyFields(res).includes('origin'));
      }),
    );

    it('a public policy answers `*` without credentials even when err.headers asks for them', T, () =>
      withServer(app({ origin: '*' }, false), async (url) => {
        const res = await get(`${url}/private`, { headers: { origin: DENIED } });
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        assert.equal(res.headers.get('access-control-allow-credentials'), null);
        assert.equal(res.headers.get('access-control-expose-headers'), null);
      }),
    );
  });

  describe(`${flavor.name}: where the decision comes from`, () => {
    /** A policy whose origin function counts its calls. */
    function countingPolicy() {
      const counter = { calls: 0 };
      const policy = createCorsPolicy({
        env: {},
        origin: (origin: string) => {
          counter.calls++;
          return origin === ALLOWED;
        },
      });
      return { policy, counter };
    }
    const boom = () => {
      throw httpError(409, 'Conflict');
    };

    it("reuses corsSafety()'s decision when both share a policy", T, async () => {
      const { policy, counter } = countingPolicy();
      const a = flavor.create();
      a.use(corsSafety(policy));
      a.get('/boom', boom);
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        const res = await get(`${url}/boom`, { headers: { origin: ALLOWED } });
        assert.equal(res.status, 409);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(counter.calls, 1, 'the origin function ran once, in corsSafety()');
      });
    });

    it(
      "answers with corsSafety()'s decision when the error handler has another policy (one policy per request)",
      T,
      async () => {
        const { policy, counter } = countingPolicy();
        const a = flavor.create();
        // corsSafety() allows the "denied" origin; the error handler's policy does not. The request
        // was decided by corsSafety(): its error answer must agree with its preflight.
        a.use(corsSafety(createCorsPolicy({ origin: [ALLOWED, DENIED], env: {} })));
        a.get('/boom', boom);
        a.use(corsErrorHandler(policy));
        await withServer(a, async (url) => {
          const res = await get(`${url}/boom`, { headers: { origin: DENIED } });
          assert.equal(res.status, 409);
          assert.equal(res.headers.get('access-control-allow-origin'), DENIED);
          assert.equal(counter.calls, 0, "the handler's own policy was not consulted");
        });
      },
    );

    it('decides from the request when the error came before corsSafety()', T, async () => {
      const { policy, counter } = countingPolicy();
      const a = flavor.create();
      a.use((_req, _res, next) => next(httpError(429, 'Too Many Requests', { headers: { 'Retry-After': '30' } })));
      a.use(corsSafety(policy));
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        const res = await get(`${url}/`, { headers: { origin: ALLOWED } });
        assert.equal(res.status, 429);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(res.headers.get('retry-after'), '30');
        assert.equal(counter.calls, 1);
      });
    });

    it('works alone, from options instead of a policy', T, async () => {
      const a = flavor.create();
      a.get('/boom', boom);
      a.use(corsErrorHandler({ origin: ALLOWED, env: {} }));
      await withServer(a, async (url) => {
        const allowed = await get(`${url}/boom`, { headers: { origin: ALLOWED } });
        assert.equal(allowed.status, 409);
        assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
        assert.ok(varyFields(allowed).includes('origin'));
        const denied = await get(`${url}/boom`, { headers: { origin: DENIED } });
        assert.equal(denied.status, 409);
        assert.deepEqual(accessControlNames(denied.headers), []);
      });
    });

    it('awaits an async origin function (alone and behind corsSafety())', T, async () => {
      const origin = async (value: string) => {
        await delay(20);
        return value === ALLOWED;
      };
      for (const withCorsSafety of [false, true]) {
        const policy = createCorsPolicy({ origin, env: {} });
        const a = flavor.create();
        if (withCorsSafety) a.use(corsSafety(policy));
        a.get('/boom', boom);
        a.use(corsErrorHandler(policy, { format: 'problem+json' }));
        await withServer(a, async (url) => {
          const allowed = await get(`${url}/boom`, { headers: { origin: ALLOWED } });
          assert.equal(allowed.status, 409);
          assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
          assert.deepEqual(await allowed.json(), { type: 'about:blank', title: 'Conflict', status: 409 });
          const denied = await get(`${url}/boom`, { headers: { origin: DENIED } });
          assert.equal(denied.status, 409);
          assert.deepEqual(accessControlNames(denied.headers), []);
        });
      }
    });

    it('a rejecting or silent origin function: no CORS headers, still a proper error response', T, async () => {
      const cases: [string, CorsSafetyOptions][] = [
        ['rejects', { origin: () => Promise.reject(new Error('directory down')) }],
        [
          'throws',
          {
            origin: () => {
              throw new Error('directory down');
            },
          },
        ],
        ['never answers', { origin: () => new Promise<boolean>(() => undefined), originCheckTimeout: 50 }],
      ];
      for (const [label, options] of cases) {
        const a = flavor.create();
        a.get('/boom', () => {
          throw new Error('database password=hunter2');
        });
        a.use(corsErrorHandler(createCorsPolicy({ ...options, env: {} })));
        await withServer(a, async (url) => {
          const res = await get(`${url}/boom`, { headers: { origin: ALLOWED } });
          assert.equal(res.status, 500, label);
          assert.deepEqual(accessControlNames(res.headers), [], label);
          assert.equal(await res.text(), '{"error":{"status":500,"message":"Internal Server Error"}}', label);
        });
      }
    });
  });
}
