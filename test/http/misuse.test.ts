/**
 * Misuse: `app.use(corsSafety)` without calling it, corsSafety() mounted after middleware that
 * can end a response, and invalid options (CorsConfigError at construction).
 *
 * Process warnings are emitted once per process per code, so each warning is checked once in
 * this process and the Express 4 variants run in child processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import connect from 'connect';
import express from 'express';
import express4Untyped from 'express4';
import {
  CorsConfigError,
  corsSafety,
  createCorsPolicy,
  REASON_HEADER,
  type CorsSafetyOptions,
  type NextFunction,
} from '../../src/index.js';
import { findMiddlewareMountedBefore } from '../../src/express/mount-order.js';
import { listen } from '../helpers/frameworks.js';
import { accessControlNames, call, preflight } from '../helpers/middleware-http.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Express 4 under an alias is untyped
const express4 = express4Untyped as () => any;

const ORIGIN = 'https://app.example.com';

const warnings = collectWarnings();

function warningsWithCode(code: string): Error[] {
  return warnings.filter((w) => (w as Error & { code?: unknown }).code === code);
}

/** Lets process.emitWarning (emitted on the next tick) arrive. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An error handler that answers with the error's code, so the test can read what next() got. */
function reportError(err: unknown, _req: IncomingMessage, res: ServerResponse, _next: NextFunction): void {
  const e = err as CorsConfigError;
  res.statusCode = 500;
  res.setHeader('X-Error-Name', e.name);
  res.setHeader('X-Error-Code', e.issues.map((i) => i.code).join(','));
  res.end(e.message);
}

describe('app.use(corsSafety) without calling it', () => {
  it('Express 5: the first request gets next(CorsConfigError factory-not-called) and a process warning', async () => {
    const app = express();
    app.use(corsSafety as never);
    app.get('/ok', (_req, res) => {
      res.send('should not run');
    });
    app.use(reportError);
    const server = await listen(http.createServer(app));
    try {
      const reply = await call(`${server.url}/ok`, { origin: ORIGIN });
      assert.equal(reply.status, 500);
      assert.equal(reply.headers.get('x-error-name'), 'CorsConfigError');
      assert.equal(reply.headers.get('x-error-code'), 'factory-not-called');
      assert.match(reply.body, /app\.use\(corsSafety\(\)\)/);
      await call(`${server.url}/ok`, { origin: ORIGIN });
      await tick();
      const emitted = warningsWithCode('CORS_SAFETY_FACTORY_NOT_CALLED');
      assert.equal(emitted.length, 1, 'warned once, not per request');
      assert.equal(emitted[0]?.name, 'CorsSafetyWarning');
      assert.match(emitted[0]?.message ?? '', /without being called/);
    } finally {
      await server.close();
    }
  });

  for (const [name, make] of [
    ['Express 4', () => express4()],
    ['Connect', () => connect()],
  ] as const) {
    it(`${name}: the request fails with factory-not-called instead of going on without CORS`, async () => {
      const app = make();
      app.use(corsSafety);
      app.use((_req: IncomingMessage, res: ServerResponse) => res.end('should not run'));
      app.use(reportError);
      const server = await listen(http.createServer(app as http.RequestListener));
      try {
        const reply = await call(`${server.url}/ok`, { origin: ORIGIN });
        assert.equal(reply.status, 500);
        assert.equal(reply.headers.get('x-error-code'), 'factory-not-called');
      } finally {
        await server.close();
      }
    });
  }

  it('passing a request as options (node:http handler misuse) throws a CorsConfigError naming the fix', () => {
    const req = new http.IncomingMessage(null as never);
    assert.throws(
      () => corsSafety(req as never),
      (err: unknown) =>
        err instanceof CorsConfigError &&
        err.issues[0]?.code === 'options-type' &&
        /app\.use\(corsSafety\(\)\)/.test(err.message),
    );
  });
});

describe('mount order', () => {
  it('Express 5: warns once at the first response sent before corsSafety(), naming the middleware before it', async () => {
    const app = express();
    app.use(function authenticate(req, res, next) {
      if (req.headers.authorization === 'Bearer good') next();
      else res.status(401).json({ error: 'unauthorized' });
    });
    app.use(express.json());
    app.use((_req, _res, next) => next());
    app.use(corsSafety({ origin: ORIGIN, env: {} }));
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    const server = await listen(http.createServer(app));
    try {
      assert.equal(warningsWithCode('CORS_SAFETY_MOUNT_ORDER').length, 0, 'nothing before the first request');
      // What the warning is about: the 401 ended before corsSafety() carries no CORS headers.
      const unauthorized = await call(`${server.url}/ok`, { origin: ORIGIN });
      assert.equal(unauthorized.status, 401);
      assert.deepEqual(accessControlNames(unauthorized.headers), []);
      const ok = await call(`${server.url}/ok`, { origin: ORIGIN, headers: { Authorization: 'Bearer good' } });
      assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
      await tick();
      const emitted = warningsWithCode('CORS_SAFETY_MOUNT_ORDER');
      assert.equal(emitted.length, 1);
      assert.match(
        emitted[0]?.message ?? '',
        /a 401 response was sent before corsSafety\(\) ran.*\(authenticate, jsonParser, <anonymous>\) ended it/,
      );
      assert.match(emitted[0]?.message ?? '', /Mount corsSafety\(\) first/);
    } finally {
      await server.close();
    }
  });

  it('a preflight answer never carries Access-Control-* set by middleware mounted before', async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Max-Age', '86400');
      res.setHeader('Access-Control-Allow-Headers', '*');
      next();
    });
    app.use(corsSafety({ origin: ORIGIN, env: {} }));
    const server = await listen(http.createServer(app));
    try {
      const denied = await preflight(`${server.url}/x`, 'https://other.example', 'PUT');
      assert.equal(denied.status, 403);
      assert.deepEqual(accessControlNames(denied.headers), []);
      const refused = await preflight(`${server.url}/x`, ORIGIN, 'PURGE', 'x-any');
      assert.equal(refused.headers.get('access-control-max-age'), null);
      assert.notEqual(refused.headers.get('access-control-allow-headers'), '*');
      assert.equal(refused.headers.get(REASON_HEADER), 'method-not-allowed');
    } finally {
      await server.close();
    }
  });

  it('a middleware that answered and still called next(): corsSafety() leaves the sent response alone', async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.end('already answered');
      next();
    });
    app.use(corsSafety({ origin: ORIGIN, env: {} }));
    let reached = 0;
    const errors: unknown[] = [];
    app.use((_req, _res, next) => {
      reached++;
      next();
    });
    app.use((err: unknown, _req: IncomingMessage, _res: ServerResponse, next: NextFunction) => {
      errors.push(err);
      next(err);
    });
    const server = await listen(http.createServer(app));
    try {
      for (const send of [
        () => preflight(`${server.url}/x`, ORIGIN, 'PUT'),
        () => call(`${server.url}/x`, { origin: ORIGIN }),
      ]) {
        const before = reached;
        const reply = await send();
        assert.equal(reply.body, 'already answered');
        assert.deepEqual(accessControlNames(reply.headers), []);
        await tick();
        assert.equal(reached, before + 1, 'the chain goes on as it would without corsSafety()');
      }
      assert.deepEqual(errors, [], 'corsSafety() raised no error');
    } finally {
      await server.close();
    }
  });

  /** Mounts a probe after corsSafety() that records what findMiddlewareMountedBefore() sees on a real request. */
  async function probe(
    build: (cors: ReturnType<typeof corsSafety>, record: (req: IncomingMessage) => void) => http.RequestListener,
  ): Promise<string[]> {
    const cors = corsSafety({ origin: ORIGIN, env: {} });
    let seen: string[] | undefined;
    const server = await listen(
      http.createServer(build(cors, (req) => (seen = findMiddlewareMountedBefore(req, cors)))),
    );
    try {
      await call(`${server.url}/probe`);
    } finally {
      await server.close();
    }
    assert.ok(seen !== undefined, 'probe ran');
    return seen;
  }

  it('ignores Express 4 built-ins (query, expressInit) when corsSafety() is first', async () => {
    const seen = await probe((cors, record) => {
      const app = express4();
      app.use(cors);
      app.use((req: IncomingMessage, res: ServerResponse) => {
        record(req);
        res.end();
      });
      return app;
    });
    assert.deepEqual(seen, []);
  });

  it('names Express 4 middleware and routes mounted before', async () => {
    const seen = await probe((cors, record) => {
      const app = express4();
      app.get('/health', (_req: IncomingMessage, res: ServerResponse) => res.end());
      app.use(function rateLimit(_req: IncomingMessage, _res: ServerResponse, next: NextFunction) {
        next();
      });
      app.use(cors);
      app.use((req: IncomingMessage, res: ServerResponse) => {
        record(req);
        res.end();
      });
      return app;
    });
    assert.deepEqual(seen, ['the route /health', 'rateLimit']);
  });

  it('finds nothing in Connect, in a Router, or for a middleware not in the stack', async () => {
    const connectSeen = await probe((cors, record) => {
      const app = connect();
      app.use(function before(_req: IncomingMessage, _res: ServerResponse, next: NextFunction) {
        next();
      });
      app.use(cors);
      app.use((req: IncomingMessage, res: ServerResponse) => {
        record(req);
        res.end();
      });
      return app;
    });
    assert.deepEqual(connectSeen, []);
    const routerSeen = await probe((cors, record) => {
      const app = express();
      const router = express.Router();
      router.use(function before(_req, _res, next) {
        next();
      });
      router.use(cors);
      router.use((req, res) => {
        record(req);
        res.end();
      });
      app.use(router);
      return app;
    });
    assert.deepEqual(routerSeen, [], 'mounted in a Router, not on the app: not reported');
  });

  it('Express 4 in a child process: warns only when the middleware before corsSafety() answered', async () => {
    const first = await runChild('first');
    assert.doesNotMatch(first, /CORS_SAFETY_MOUNT_ORDER/);
    assert.match(first, /ACAO=https:\/\/app\.example\.com/);
    // A pass-through middleware mounted before corsSafety() answers nothing: no warning.
    const late = await runChild('late');
    assert.doesNotMatch(late, /CORS_SAFETY_MOUNT_ORDER/);
    assert.match(late, /ACAO=https:\/\/app\.example\.com/);
    const answering = await runChild('late-401');
    assert.match(answering, /\[CORS_SAFETY_MOUNT_ORDER\]/);
    assert.match(answering, /a 401 response was sent before corsSafety\(\) ran.*\(authenticate\) ended it/);
  });
});

describe('mount order: seen even when nothing ever reaches corsSafety()', () => {
  // Each variant runs in its own process: the warning is emitted once per process.
  const rejectAll = {
    end: 'function authenticate(req, res) { res.status(401).end(); }',
    next: 'function authenticate(req, res, next) { next(Object.assign(new Error("no token"), { status: 401 })); }',
  };
  for (const framework of ['express', 'express4'] as const) {
    for (const [how, auth] of Object.entries(rejectAll)) {
      it(`${framework}: an auth check before corsSafety() answers every request 401 (${how}); the warning appears`, async () => {
        const output = await runApp(framework, `app.use(${auth}); app.use(corsSafety(options));`);
        // With res.end() the 401 has no CORS headers; with next(err) corsErrorHandler() makes it
        // readable, but a preflight would still get a 401, which fails it.
        assert.match(output, how === 'end' ? /status=401 ACAO=null/ : /status=401 ACAO=https:/, output);
        assert.match(
          output,
          /\[CORS_SAFETY_MOUNT_ORDER\] CorsSafetyWarning: cors-safety: a 401 response was sent before corsSafety\(\) ran.*\(authenticate\)/,
        );
        assert.equal(output.match(/CORS_SAFETY_MOUNT_ORDER/g)?.length, 1, 'once');
      });
    }
  }

  it('express: corsSafety() first, then the same auth check: no warning, and the 401 is readable', async () => {
    const output = await runApp('express', `app.use(corsSafety(options)); app.use(${rejectAll.next});`);
    assert.match(output, /status=401 ACAO=https:\/\/app\.example\.com/);
    assert.doesNotMatch(output, /CORS_SAFETY_MOUNT_ORDER/);
  });

  it('express: another corsSafety() instance mounted before is not blamed', async () => {
    const output = await runApp(
      'express',
      `app.use(corsSafety(options)); app.use(corsSafety(options)); app.use(${rejectAll.end});`,
    );
    assert.doesNotMatch(output, /CORS_SAFETY_MOUNT_ORDER/);
  });
});

const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/**
 * Runs an Express app in a child process: `mount` adds the middleware (with `options`, `corsSafety`
 * in scope), then routes, notFound() and corsErrorHandler(). Two requests; returns stdout + stderr.
 */
function runApp(framework: 'express' | 'express4', mount: string): Promise<string> {
  const script = `
    import http from 'node:http';
    import express from '${framework}';
    import { corsSafety, corsErrorHandler, notFound } from ${JSON.stringify(SRC)};
    const options = { origin: ${JSON.stringify(ORIGIN)}, env: {} };
    const app = express();
    ${mount}
    app.get('/', (req, res) => res.send('ok'));
    app.use(notFound());
    app.use(corsErrorHandler(options, { log: false }));
    const server = http.createServer(app).listen(0, '127.0.0.1', async () => {
      const url = 'http://127.0.0.1:' + server.address().port + '/';
      for (let i = 0; i < 2; i++) {
        const res = await fetch(url, { headers: { Origin: ${JSON.stringify(ORIGIN)} } });
        console.log('status=' + res.status + ' ACAO=' + res.headers.get('access-control-allow-origin'));
      }
      server.close();
    });
  `;
  return runScript(script);
}

function runScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill(), scaled(20_000));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

/** Runs a small Express 4 app in a child process and returns its stdout + stderr. */
function runChild(order: 'first' | 'late' | 'late-401'): Promise<string> {
  const script = `
    import http from 'node:http';
    import express4 from 'express4';
    import { corsSafety } from ${JSON.stringify(SRC)};
    const app = express4();
    const auth = function authenticate(req, res, next) { next(); };
    const reject = function authenticate(req, res) { res.status(401).end(); };
    if (${JSON.stringify(order)} === 'late') app.use(auth);
    if (${JSON.stringify(order)} === 'late-401') app.use(reject);
    app.use(corsSafety({ origin: ${JSON.stringify(ORIGIN)}, env: {} }));
    app.get('/', (req, res) => res.send('ok'));
    const server = http.createServer(app).listen(0, '127.0.0.1', async () => {
      const url = 'http://127.0.0.1:' + server.address().port + '/';
      for (let i = 0; i < 2; i++) {
        const res = await fetch(url, { headers: { Origin: ${JSON.stringify(ORIGIN)} } });
        console.log('ACAO=' + res.headers.get('access-control-allow-origin'));
      }
      server.close();
    });
  `;
  return runScript(script);
}

describe('invalid options throw CorsConfigError at construction', () => {
  const cases: [string, CorsSafetyOptions | Record<string, unknown>, string][] = [
    ['unknown option with a suggestion', { origins: [ORIGIN] }, 'unknown-option'],
    ['credentials with origin "*"', { origin: '*', credentials: true }, 'credentials-with-any-origin'],
    ['credentials with origin true', { origin: true, credentials: true }, 'credentials-with-any-origin'],
    ['a /g RegExp', { origin: /^https:\/\/a\.example$/g }, 'regexp-stateful-flag'],
    ['an unanchored RegExp', { origin: /example\.com$/ }, 'regexp-unanchored'],
    ['an origin with a path', { origin: 'https://app.example.com/api' }, 'origin-path'],
    ['an empty origin list', { origin: [] }, 'origin-empty-list'],
    ['a non-2xx optionsSuccessStatus', { origin: ORIGIN, optionsSuccessStatus: 404 }, 'out-of-range'],
    ['a negative maxAge', { origin: ORIGIN, maxAge: -1 }, 'out-of-range'],
    ['a zero originCheckTimeout', { origin: ORIGIN, originCheckTimeout: 0 }, 'out-of-range'],
    ['a method that is not a token', { origin: ORIGIN, methods: ['GET POST'] }, 'not-a-token'],
    ['a header name that is not a token', { origin: ORIGIN, allowedHeaders: ['x a'] }, 'not-a-token'],
    ['"*" methods', { origin: ORIGIN, methods: '*' }, 'star-not-supported'],
    [
      '"null" with credentials',
      { origin: ORIGIN, allowNullOrigin: true, credentials: true },
      'null-origin-with-credentials',
    ],
    ['a non-boolean credentials', { origin: ORIGIN, credentials: 'true' }, 'not-boolean'],
  ];
  for (const [name, options, code] of cases) {
    it(name, () => {
      assert.throws(
        () => corsSafety({ env: {}, ...options }),
        (err: unknown) => {
          assert.ok(err instanceof CorsConfigError, String(err));
          assert.ok(
            err.issues.some((i) => i.code === code),
            `expected ${code}, got ${err.issues.map((i) => i.code).join(', ')}`,
          );
          return true;
        },
      );
    });
  }

  it('lists every problem at once', () => {
    try {
      corsSafety({ origin: [ORIGIN, 'no-scheme.example', /x/g], maxAge: -5, env: {} });
      assert.fail('expected a CorsConfigError');
    } catch (err) {
      assert.ok(err instanceof CorsConfigError);
      assert.ok(err.issues.length >= 3, err.message);
      assert.deepEqual(new Set(err.issues.map((i) => i.path)), new Set(['origin[1]', 'origin[2]', 'maxAge']));
    }
  });

  it('accepts a policy and exposes it as .policy', () => {
    const policy = createCorsPolicy({ origin: ORIGIN, env: {} });
    const middleware = corsSafety(policy);
    assert.equal(middleware.policy, policy);
    assert.equal(middleware.name, 'corsSafetyMiddleware');
    assert.equal(corsSafety({ origin: ORIGIN, env: {} }).policy.mode, 'allow-list');
  });
});
