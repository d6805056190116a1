/**
 * corsErrorHandler(): around the response. Delegation once headers are sent, draining the
 * request body before answering (413 without a reset), client aborts, logging (the `log`
 * option and the `cors-safety:error` debug namespace), option validation and notFound().
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import {
  CorsConfigError,
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  notFound,
  type ErrorLogEntry,
} from '../../src/index.js';
import {
  ALLOWED,
  FLAVORS,
  TEST_TIMEOUT_MS,
  captureDebug,
  captureStderr,
  delay,
  get,
  listen,
  rawRequest,
  waitFor,
  withServer,
} from '../helpers/error-handler-servers.js';

const T = { timeout: TEST_TIMEOUT_MS };
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });
const MIB = 1024 * 1024;

/** The error the next error handler received, and what the response looked like then. */
interface Delegated {
  err?: unknown;
  headerNames?: string[];
}

/** An error handler mounted after corsErrorHandler(): records delegation and finishes the response. */
function recorder(into: Delegated) {
  return (err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    into.err = err;
    into.headerNames = res.getHeaderNames().sort();
    res.end('|tail');
  };
}

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: headers already sent`, () => {
    it('delegates to next(err) and touches nothing', T, async () => {
      const failure = new Error('failed mid-stream');
      const delegated: Delegated = {};
      const logged: ErrorLogEntry[] = [];
      let originChecks = 0;
      const countingPolicy = createCorsPolicy({
        env: {},
        origin: (origin: string) => ++originChecks > 0 && origin === ALLOWED,
      });
      const a = flavor.create();
      a.get('/stream', (_req, res, next) => {
        res.setHeader('Content-Type', 'text/plain');
        res.write('partial');
        next(failure);
      });
      a.use(corsErrorHandler(countingPolicy, { log: (entry) => logged.push(entry) }));
      a.use(recorder(delegated));
      await withServer(a, async (url) => {
        const res = await rawRequest(url, { path: '/stream', headers: { origin: ALLOWED } }).response;
        assert.equal(delegated.err, failure);
        assert.equal(res.status, 200);
        assert.equal(res.body, 'partial|tail');
        assert.equal(res.headers['content-type'], 'text/plain');
        assert.deepEqual(delegated.headerNames, ['content-type', 'x-powered-by']);
        assert.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS grant added after the fact');
        assert.equal(logged.length, 0, 'nothing logged: the next handler owns the error');
        assert.equal(originChecks, 0, 'not even the origin function ran');
      });
    });

    it('delegates when the head went out while an async origin check was pending', T, async () => {
      const failure = new Error('late');
      const delegated: Delegated = {};
      const asyncPolicy = createCorsPolicy({
        env: {},
        origin: async (origin: string) => {
          await delay(30);
          return origin === ALLOWED;
        },
      });
      const a = flavor.create();
      a.get('/race', (_req, res, next) => {
        next(failure);
        // The handler is now waiting for the origin function; the head goes out meanwhile.
        res.setHeader('X-Route', 'sent');
        res.flushHeaders();
      });
      a.use(corsErrorHandler(asyncPolicy));
      a.use(recorder(delegated));
      await withServer(a, async (url) => {
        const res = await rawRequest(url, { path: '/race', headers: { origin: ALLOWED } }).response;
        assert.equal(delegated.err, failure);
        assert.equal(res.status, 200);
        assert.equal(res.headers['x-route'], 'sent');
        assert.equal(res.headers['content-type'], undefined);
        assert.equal(res.body, '|tail');
      });
    });
  });

  describe(`${flavor.name}: the request body is drained before answering`, () => {
    function limited() {
      const a = flavor.create();
      a.use(flavor.json({ limit: '1kb' }));
      a.use(corsSafety(policy));
      a.post('/upload', (_req, res) => {
        res.json({ ok: true });
      });
      a.use(corsErrorHandler(policy));
      return a;
    }
    const expected = '{"error":{"status":413,"message":"request entity too large"}}';

    it('1 MiB against a 1kb limit, with Content-Length: the client reads the 413 JSON', T, () =>
      withServer(limited(), async (url) => {
        const body = JSON.stringify({ data: 'x'.repeat(MIB) });
        const res = await get(`${url}/upload`, {
          method: 'POST',
          headers: { origin: ALLOWED, 'content-type': 'application/json' },
          body,
        });
        assert.equal(res.status, 413);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(await res.text(), expected);
        // The connection is still usable: the server read the whole body.
        const again = await get(`${url}/upload`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(again.status, 200);
      }),
    );

    it('1 MiB against a 1kb limit, chunked and slow: the client reads the 413 JSON, not a reset', T, () =>
      withServer(limited(), async (url) => {
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const chunks = [Buffer.from('{"data":"'), ...Array.from({ length: 16 }, () => chunk), Buffer.from('"}')];
        const { response } = rawRequest(url, {
          method: 'POST',
          path: '/upload',
          headers: { origin: ALLOWED, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
          chunks,
          chunkDelayMs: 2,
        });
        const res = await response;
        assert.equal(res.status, 413);
        assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
        assert.equal(res.body, expected);
      }),
    );

    it('waits for the rest of the body, then answers', T, async () => {
      const a = flavor.create();
      // Fails without reading the body at all.
      a.post('/reject', (_req, _res, next) =>
        next(Object.assign(new Error('Forbidden'), { status: 403, expose: true })),
      );
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        let answered = false;
        const { response, request } = rawRequest(url, {
          method: 'POST',
          path: '/reject',
          headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
          chunks: ['first part'],
          keepOpen: true,
        });
        void response.then(
          () => {
            answered = true;
          },
          () => undefined,
        );
        await delay(150);
        assert.equal(answered, false, 'no answer while the client is still sending');
        request.end('last part');
        const res = await response;
        assert.equal(res.status, 403);
        assert.equal(res.body, '{"error":{"status":403,"message":"Forbidden"}}');
      });
    });

    it('delegates when the head went out while the body was still arriving', T, async () => {
      const failure = Object.assign(new Error('Forbidden'), { status: 403, expose: true });
      const delegated: Delegated = {};
      const a = flavor.create();
      a.post('/reject', (_req, res, next) => {
        next(failure);
        // The handler is now waiting for the rest of the body; the route writes the head meanwhile.
        res.setHeader('X-Route', 'sent');
        res.flushHeaders();
      });
      a.use(corsErrorHandler(policy));
      a.use(recorder(delegated));
      await withServer(a, async (url) => {
        const { response, request } = rawRequest(url, {
          method: 'POST',
          path: '/reject',
          headers: { origin: ALLOWED, 'transfer-encoding': 'chunked' },
          chunks: ['first part'],
          keepOpen: true,
        });
        await delay(50);
        assert.equal(delegated.err, undefined, 'nothing happens before the body is complete');
        request.end('last part');
        const res = await response;
        assert.equal(delegated.err, failure);
        assert.equal(res.status, 200);
        assert.equal(res.headers['x-route'], 'sent');
        assert.equal(res.headers['content-type'], undefined);
        assert.equal(res.body, '|tail');
      });
    });

    it('a client that gives up mid-body gets nothing and the server carries on', T, async () => {
      const logged: ErrorLogEntry[] = [];
      const a = flavor.create();
      a.post('/reject', (_req, _res, next) => next(Object.assign(new Error('Forbidden'), { status: 403 })));
      a.get('/ok', (_req, res) => {
        res.end('fine');
      });
      a.use(corsErrorHandler(policy, { log: (entry) => logged.push(entry) }));
      await withServer(a, async (url) => {
        const { response, request } = rawRequest(url, {
          method: 'POST',
          path: '/reject',
          headers: { 'transfer-encoding': 'chunked' },
          chunks: ['some'],
          keepOpen: true,
        });
        const outcome = response.then(
          () => 'answered',
          () => 'dropped',
        );
        await waitFor(() => logged.length === 1);
        request.destroy();
        assert.equal(await outcome, 'dropped');
        await delay(50);
        const res = await get(`${url}/ok`);
        assert.equal(await res.text(), 'fine');
        assert.equal(logged.length, 1);
      });
    });
  });

  describe(`${flavor.name}: logging`, () => {
    it('the log option receives { error, status, method, path } without the query string', T, async () => {
      const logged: ErrorLogEntry[] = [];
      const failure = Object.assign(new Error('Widget 9 is locked'), { status: 423, expose: true });
      const a = flavor.create();
      const router = flavor.create();
      router.put('/widgets/:id', () => {
        throw failure;
      });
      a.use('/api', router);
      a.get('/crash', () => {
        throw Object.assign(new Error('boom'), { status: 200 });
      });
      a.use(notFound());
      a.use(corsErrorHandler(policy, { log: (entry) => logged.push(entry) }));
      await withServer(a, async (url) => {
        await (await get(`${url}/api/widgets/9?token=s3cr3t&x=1`, { method: 'PUT' })).text();
        await (await get(`${url}/crash?debug=1`)).text();
        await (await get(`${url}/nowhere?q=secret`, { method: 'PATCH' })).text();
      });
      assert.equal(logged.length, 3);
      assert.deepEqual(Object.keys(logged[0] ?? {}).sort(), ['error', 'method', 'path', 'status']);
      assert.equal(logged[0]?.error, failure);
      assert.deepEqual(
        { ...logged[0], error: null },
        { error: null, status: 423, method: 'PUT', path: '/api/widgets/9' },
      );
      assert.deepEqual({ ...logged[1], error: null }, { error: null, status: 500, method: 'GET', path: '/crash' });
      assert.equal((logged[2]?.error as Error).message, 'Not Found');
      assert.deepEqual({ ...logged[2], error: null }, { error: null, status: 404, method: 'PATCH', path: '/nowhere' });
    });

    it('a throwing or rejecting log option does not break the response', T, async () => {
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      const debug = captureDebug();
      try {
        const logs = [
          () => {
            throw new Error('logger down');
          },
          () => Promise.reject(new Error('async logger down')),
        ];
        for (const log of logs) {
          const a = flavor.create();
          a.get('/fail', () => {
            throw Object.assign(new Error('nope'), { status: 404, expose: true });
          });
          a.use(corsErrorHandler(policy, { log }));
          await withServer(a, async (url) => {
            const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
            assert.equal(res.status, 404);
            assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
            assert.equal(await res.text(), '{"error":{"status":404,"message":"nope"}}');
          });
        }
        await delay(20);
        assert.deepEqual(rejections, []);
        assert.equal(
          debug.lines.filter((line) => line.includes('the log option threw')).length,
          2,
          debug.lines.join('\n'),
        );
      } finally {
        debug.stop();
        process.off('unhandledRejection', onRejection);
      }
    });

    it(
      'by default a 5xx goes to stderr with its stack, a 4xx to the cors-safety:error debug namespace only',
      T,
      async () => {
        const debug = captureDebug();
        try {
          const a = flavor.create();
          a.post('/fail', flavor.json(), (req) => {
            throw Object.assign(new Error('db password rejected'), { body: req.body as unknown, status: 503 });
          });
          a.get('/string', () => {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- a thrown non-error is the case under test
            throw 'plain\nstring';
          });
          a.get('/object', () => {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- a thrown non-error is the case under test
            throw { status: 400, message: 'plain object message', password: 'hunter2' };
          });
          a.use(corsErrorHandler(policy));
          const written = await captureStderr(() =>
            withServer(a, async (url) => {
              await (
                await get(`${url}/fail?token=q-secret`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: '{"card":"4111-1111"}',
                })
              ).text();
              await (await get(`${url}/string`)).text();
              await (await get(`${url}/object`)).text();
            }),
          );
          const [first, second] = written.split(/\n(?=cors-safety: )/);
          const [third] = debug.lines;
          assert.equal(debug.lines.length, 1, debug.lines.join('\n'));
          assert.match(third ?? '', /cors-safety:error/);
          assert.match(first ?? '', /^cors-safety: 503 POST \/fail\b/);
          assert.match(first ?? '', /Error: db password rejected/);
          assert.match(first ?? '', /\n\s+at /, 'the stack is logged');
          assert.doesNotMatch(first ?? '', /q-secret/, 'no query string');
          assert.doesNotMatch(first ?? '', /4111/, 'no request body');
          assert.match(second ?? '', /500 GET \/string/);
          assert.match(second ?? '', /"plain\\nstring"/, 'a non-error value is logged quoted');
          assert.match(third ?? '', /400 GET \/object: plain object message/, 'an error-like object: its message');
          assert.doesNotMatch(third ?? '', /hunter2/);
        } finally {
          debug.stop();
        }
      },
    );

    it('invalid err.headers entries are reported in the debug log by name', T, async () => {
      const debug = captureDebug();
      try {
        const a = flavor.create();
        a.get('/fail', () => {
          throw Object.assign(new Error('x'), { status: 503, headers: { 'X-Bad': 'a\r\nSet-Cookie: evil=1' } });
        });
        a.use(corsErrorHandler(policy, { log: () => undefined }));
        await withServer(a, async (url) => {
          const res = await rawRequest(url, { path: '/fail' }).response;
          assert.equal(res.status, 503);
          assert.equal(res.headers['set-cookie'], undefined);
        });
        assert.ok(
          debug.lines.some((line) => line.includes('ignored invalid err.headers entry "X-Bad"')),
          debug.lines.join('\n'),
        );
      } finally {
        debug.stop();
      }
    });
  });

  describe(`${flavor.name}: notFound()`, () => {
    it('is a three-parameter middleware that hands a 404 to the error handler', T, async () => {
      const mw = notFound();
      assert.equal(mw.length, 3);
      assert.equal(mw.name, 'notFoundMiddleware');
      const a = flavor.create();
      a.get('/exists', (_req, res) => {
        res.end('here');
      });
      a.use(notFound());
      a.use(corsErrorHandler(policy));
      await withServer(a, async (url) => {
        assert.equal(await (await get(`${url}/exists`)).text(), 'here');
        const res = await get(`${url}/missing`, { method: 'POST', headers: { origin: ALLOWED } });
        assert.equal(res.status, 404);
        assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
        assert.equal(await res.text(), '{"error":{"status":404,"message":"Not Found"}}');
      });
    });
  });
}

describe('corsErrorHandler() construction', () => {
  function issuesOf(fn: () => unknown): { path: string; code: string; message: string }[] {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof CorsConfigError, `expected CorsConfigError, got ${String(err)}`);
      return err.issues.map(({ path, code, message }) => ({ path, code, message }));
    }
    assert.fail('expected a CorsConfigError');
  }

  it('returns a named four-parameter Express error handler', () => {
    const handler = corsErrorHandler(policy);
    assert.equal(handler.length, 4);
    assert.equal(handler.name, 'corsErrorHandlerMiddleware');
    assert.equal(typeof corsErrorHandler(policy, {}), 'function');
    assert.equal(typeof corsErrorHandler(policy, { format: 'problem+json', log: undefined }), 'function');
  });

  it('lists every invalid option at once', () => {
    const issues = issuesOf(() => corsErrorHandler(policy, { format: 'xml', log: 1, colour: true } as never));
    assert.deepEqual(
      issues.map(({ path, code }) => ({ path, code })),
      [
        { path: 'errorHandler.colour', code: 'unknown-option' },
        { path: 'errorHandler.format', code: 'format-invalid' },
        { path: 'errorHandler.log', code: 'log-not-function' },
      ],
    );
    for (const issue of issues) assert.ok(issue.message.length > 10, issue.message);
  });

  it('suggests the close spelling of a mistyped option', () => {
    const [issue] = issuesOf(() => corsErrorHandler(policy, { formt: 'json' } as never));
    assert.equal(issue?.code, 'unknown-option');
    assert.match(issue?.message ?? '', /did you mean "format"/);
  });

  it('rejects options that are not a plain object', () => {
    for (const options of ['json', 5, ['format'], () => undefined]) {
      const issues = issuesOf(() => corsErrorHandler(policy, options as never));
      assert.deepEqual(
        issues.map((issue) => issue.code),
        ['options-type'],
        String(options),
      );
    }
  });

  it('reports invalid policy options and invalid handler options together', () => {
    const issues = issuesOf(() =>
      corsErrorHandler({ origin: 'https://app.example.com/path', env: {} }, { format: 'yaml' } as never),
    );
    const paths = issues.map((issue) => issue.path);
    assert.ok(paths.includes('origin'), paths.join());
    assert.ok(paths.includes('errorHandler.format'), paths.join());
  });

  it('lets an exception that is not a configuration problem through unchanged', () => {
    const thrown = new Error('options getter');
    const options = Object.defineProperty({}, 'origin', {
      enumerable: true,
      get() {
        throw thrown;
      },
    });
    assert.throws(
      () => corsErrorHandler(options),
      (err) => err === thrown,
    );
  });

  it('explains handler options given in place of the policy', () => {
    const issues = issuesOf(() => corsErrorHandler({ format: 'problem+json', env: {} } as never));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['format'],
    );
    assert.match(issues[0]?.message ?? '', /second argument/);
  });
});

describe('plain node:http use', () => {
  it('a next() that throws after an async origin check is logged, not an unhandled rejection', T, async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const debug = captureDebug();
    const asyncPolicy = createCorsPolicy({
      env: {},
      origin: async () => {
        await delay(20);
        return true;
      },
    });
    const handler = corsErrorHandler(asyncPolicy);
    let calls = 0;
    const running = await listen((req, res) => {
      handler(new Error('x'), req, res, () => {
        calls++;
        res.end('delegated');
        throw new Error('next exploded');
      });
      res.flushHeaders();
    });
    try {
      const res = await rawRequest(running.url, { headers: { origin: ALLOWED } }).response;
      assert.equal(res.body, 'delegated');
      await delay(20);
      assert.equal(calls, 1);
      assert.deepEqual(rejections, []);
      assert.ok(
        debug.lines.some((line) => line.includes('next exploded')),
        debug.lines.join('\n'),
      );
    } finally {
      debug.stop();
      process.off('unhandledRejection', onRejection);
      await running.close();
    }
  });
});
