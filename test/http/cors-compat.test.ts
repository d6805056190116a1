/**
 * Migrating from the `cors` package is a one-line change: for option objects valid for both,
 * `cors(options)` and `corsSafety(options)` give an allowed origin the same
 * Access-Control-Allow-Origin, -Credentials, -Expose-Headers, -Allow-Methods and -Max-Age.
 * Every place where cors-safety deliberately differs is a test of its own below, and each is
 * listed in the README's "Migrating from cors" section.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import cors from 'cors';
import express from 'express';
import { CorsConfigError, corsSafety, type CorsSafetyOptions, type Middleware } from '../../src/index.js';
import { listen, type Running } from '../helpers/frameworks.js';
import { accessControlNames, call, list, preflight, type Reply } from '../helpers/middleware-http.js';

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';
const OTHER = 'https://other.example';

/** An Express 5 app with `middleware` first, a GET route, an OPTIONS route and an error route. */
async function serve(middleware: Middleware): Promise<Running> {
  const app = express();
  app.set('env', 'test');
  app.use(middleware);
  app.get('/r', (_req, res) => {
    res.setHeader('X-Total', '3');
    res.send('ok');
  });
  app.options('/r', (_req, res) => {
    res.status(200).send('app options');
  });
  app.get('/error', (_req, _res, next) => {
    next(Object.assign(new Error('limited'), { status: 429, headers: { 'Access-Control-Allow-Origin': OTHER } }));
  });
  return listen(http.createServer(app));
}

/** Both middlewares built from the very same options object. */
async function pair(options: CorsSafetyOptions): Promise<{ theirs: Running; ours: Running; close(): Promise<void> }> {
  const theirs = await serve(cors(options as cors.CorsOptions) as Middleware);
  const ours = await serve(corsSafety(options));
  return {
    theirs,
    ours,
    close: async () => {
      await Promise.all([theirs.close(), ours.close()]);
    },
  };
}

/** A header as a sorted, case-normalised list, so "GET,PUT" equals "GET, PUT". */
function normalised(reply: Reply, name: string): string[] | null {
  const items = list(reply.headers.get(name));
  return items === null ? null : items.map((i) => i.toLowerCase()).sort();
}

interface CompatCase {
  readonly name: string;
  readonly options: CorsSafetyOptions;
  /** Allowed origins to compare on. */
  readonly origins: readonly string[];
  /** A preflight both must grant: method and requested headers. */
  readonly method: string;
  readonly requestHeaders?: string;
}

const byCallback: CorsSafetyOptions['origin'] = (
  origin: string,
  callback: (err: Error | null, allow?: boolean) => void,
) => {
  callback(null, origin === APP || origin === ADMIN);
};

const COMPAT: readonly CompatCase[] = [
  {
    name: 'origin: one string',
    options: { origin: APP },
    origins: [APP],
    method: 'PUT',
    requestHeaders: 'content-type',
  },
  {
    name: 'origin: array with credentials',
    options: { origin: [APP, ADMIN], credentials: true },
    origins: [APP, ADMIN],
    method: 'DELETE',
  },
  {
    name: 'origin: anchored RegExp',
    options: { origin: /^https:\/\/(?:app|admin)\.example\.com$/, credentials: true },
    origins: [APP, ADMIN],
    method: 'PATCH',
  },
  {
    name: 'origin: array of string and RegExp',
    options: { origin: [APP, /^https:\/\/admin\.example\.com$/] },
    origins: [APP, ADMIN],
    method: 'PUT',
  },
  { name: 'origin: true (reflect, no credentials)', options: { origin: true }, origins: [APP, OTHER], method: 'PUT' },
  { name: 'origin: "*"', options: { origin: '*', exposedHeaders: ['X-Total'] }, origins: [APP, OTHER], method: 'PUT' },
  {
    name: 'origin: cors-style callback',
    options: { origin: byCallback, credentials: true },
    origins: [APP, ADMIN],
    method: 'PUT',
  },
  {
    name: 'methods, allowedHeaders, exposedHeaders, maxAge as arrays',
    options: {
      origin: APP,
      credentials: true,
      methods: ['GET', 'PUT'],
      allowedHeaders: ['Content-Type', 'X-Api-Key'],
      exposedHeaders: ['X-Total', 'X-Page'],
      maxAge: 300,
    },
    origins: [APP],
    method: 'PUT',
    requestHeaders: 'x-api-key',
  },
  {
    name: 'methods, allowedHeaders, exposedHeaders as comma-separated strings',
    options: {
      origin: [APP],
      methods: 'GET,POST,DELETE',
      allowedHeaders: 'Content-Type,Authorization',
      exposedHeaders: 'X-Total,X-Page',
      maxAge: 60,
    },
    origins: [APP],
    method: 'DELETE',
    requestHeaders: 'authorization,content-type',
  },
  {
    // cors's own name for allowedHeaders: options carried over keep their header list.
    name: 'headers (the cors alias of allowedHeaders)',
    options: { origin: APP, headers: ['Content-Type', 'X-Api-Key'] },
    origins: [APP],
    method: 'PUT',
    requestHeaders: 'x-api-key,content-type',
  },
  {
    name: 'optionsSuccessStatus: 200',
    options: { origin: APP, optionsSuccessStatus: 200, maxAge: 10 },
    origins: [APP],
    method: 'PUT',
  },
];

describe('cors(options) and corsSafety(options) agree for allowed origins', () => {
  for (const c of COMPAT) {
    describe(c.name, () => {
      let servers: Awaited<ReturnType<typeof pair>>;
      before(async () => {
        servers = await pair(c.options);
      });
      after(() => servers.close());

      for (const origin of c.origins) {
        it(`actual request from ${origin}`, async () => {
          const [theirs, ours] = await Promise.all([
            call(`${servers.theirs.url}/r`, { origin }),
            call(`${servers.ours.url}/r`, { origin }),
          ]);
          assert.equal(ours.status, theirs.status);
          for (const name of [
            'access-control-allow-origin',
            'access-control-allow-credentials',
            'access-control-expose-headers',
          ]) {
            assert.deepEqual(normalised(ours, name), normalised(theirs, name), name);
          }
          assert.notEqual(ours.headers.get('access-control-allow-origin'), null, 'granted');
        });

        it(`preflight from ${origin}`, async () => {
          const [theirs, ours] = await Promise.all([
            preflight(`${servers.theirs.url}/r`, origin, c.method, c.requestHeaders),
            preflight(`${servers.ours.url}/r`, origin, c.method, c.requestHeaders),
          ]);
          assert.equal(ours.status, theirs.status);
          for (const name of [
            'access-control-allow-origin',
            'access-control-allow-credentials',
            'access-control-allow-methods',
          ]) {
            assert.deepEqual(normalised(ours, name), normalised(theirs, name), name);
          }
          if (c.options.maxAge !== undefined)
            assert.equal(ours.headers.get('access-control-max-age'), theirs.headers.get('access-control-max-age'));
          // Access-Control-Allow-Headers: cors sends its configured list (or reflects the request);
          // corsSafety() sends the requested names it validated, so the browser sees the same grant.
          const requested =
            list(c.requestHeaders ?? null)
              ?.map((h) => h.toLowerCase())
              .sort() ?? null;
          assert.deepEqual(normalised(ours, 'access-control-allow-headers'), requested);
          for (const name of requested ?? [])
            assert.ok(normalised(theirs, 'access-control-allow-headers')?.includes(name), name);
        });
      }
    });
  }
});

describe('where corsSafety() deliberately differs from cors', () => {
  it('a fixed string origin: cors sends it to every origin; corsSafety() only to that origin', async () => {
    const servers = await pair({ origin: APP });
    try {
      const theirs = await call(`${servers.theirs.url}/r`, { origin: OTHER });
      const ours = await call(`${servers.ours.url}/r`, { origin: OTHER });
      assert.equal(theirs.headers.get('access-control-allow-origin'), APP);
      assert.deepEqual(accessControlNames(ours.headers), []);
    } finally {
      await servers.close();
    }
  });

  it('a denied origin: cors still sends credentials and exposed headers; corsSafety() sends no Access-Control-*', async () => {
    const servers = await pair({ origin: [APP], credentials: true, exposedHeaders: ['X-Total'] });
    try {
      const theirs = await call(`${servers.theirs.url}/r`, { origin: OTHER });
      const ours = await call(`${servers.ours.url}/r`, { origin: OTHER });
      assert.equal(theirs.headers.get('access-control-allow-credentials'), 'true');
      assert.equal(theirs.headers.get('access-control-expose-headers'), 'X-Total');
      assert.deepEqual(accessControlNames(ours.headers), []);
    } finally {
      await servers.close();
    }
  });

  it("a denied origin's preflight: cors answers 204 with methods; corsSafety() answers 403 with nothing", async () => {
    const servers = await pair({ origin: [APP] });
    try {
      const theirs = await preflight(`${servers.theirs.url}/r`, OTHER, 'PUT');
      const ours = await preflight(`${servers.ours.url}/r`, OTHER, 'PUT');
      assert.equal(theirs.status, 204);
      assert.notEqual(theirs.headers.get('access-control-allow-methods'), null);
      assert.equal(ours.status, 403);
      assert.deepEqual(accessControlNames(ours.headers), []);
    } finally {
      await servers.close();
    }
  });

  it('cors answers every OPTIONS as a preflight; corsSafety() passes non-preflight OPTIONS to the app', async () => {
    const servers = await pair({ origin: APP });
    try {
      const theirs = await call(`${servers.theirs.url}/r`, { method: 'OPTIONS', origin: APP });
      const ours = await call(`${servers.ours.url}/r`, { method: 'OPTIONS', origin: APP });
      assert.equal(theirs.status, 204);
      assert.equal(ours.status, 200);
      assert.equal(ours.body, 'app options');
    } finally {
      await servers.close();
    }
  });

  it('preflightContinue: cors forwards failed preflights too; corsSafety() forwards only successful ones', async () => {
    const servers = await pair({ origin: [APP], preflightContinue: true });
    try {
      const theirs = await preflight(`${servers.theirs.url}/r`, OTHER, 'PUT');
      const ours = await preflight(`${servers.ours.url}/r`, OTHER, 'PUT');
      assert.equal(theirs.body, 'app options');
      assert.equal(ours.status, 403);
      assert.equal(ours.body, '');
      assert.equal((await preflight(`${servers.ours.url}/r`, APP, 'PUT')).body, 'app options');
    } finally {
      await servers.close();
    }
  });

  it('default maxAge: cors sends none (browser default 5 s); corsSafety() sends 600', async () => {
    const servers = await pair({ origin: APP });
    try {
      assert.equal(
        (await preflight(`${servers.theirs.url}/r`, APP, 'PUT')).headers.get('access-control-max-age'),
        null,
      );
      assert.equal((await preflight(`${servers.ours.url}/r`, APP, 'PUT')).headers.get('access-control-max-age'), '600');
    } finally {
      await servers.close();
    }
  });

  it('maxAge: 0: both send "0" (do not cache the preflight)', async () => {
    const servers = await pair({ origin: APP, maxAge: 0 });
    try {
      assert.equal((await preflight(`${servers.theirs.url}/r`, APP, 'PUT')).headers.get('access-control-max-age'), '0');
      assert.equal((await preflight(`${servers.ours.url}/r`, APP, 'PUT')).headers.get('access-control-max-age'), '0');
    } finally {
      await servers.close();
    }
  });

  it('default allowedHeaders: cors reflects any requested header; corsSafety() allows a fixed list', async () => {
    const servers = await pair({ origin: APP });
    try {
      const theirs = await preflight(`${servers.theirs.url}/r`, APP, 'PUT', 'x-anything');
      const ours = await preflight(`${servers.ours.url}/r`, APP, 'PUT', 'x-anything');
      assert.equal(theirs.headers.get('access-control-allow-headers'), 'x-anything');
      assert.ok(!(list(ours.headers.get('access-control-allow-headers')) ?? []).includes('x-anything'));
      assert.equal(ours.headers.get('cors-safety-reason'), 'header-not-allowed');
      const any = await pair({ origin: APP, allowedHeaders: '*' });
      try {
        assert.equal(
          (await preflight(`${any.ours.url}/r`, APP, 'PUT', 'x-anything')).headers.get('access-control-allow-headers'),
          'x-anything',
        );
      } finally {
        await any.close();
      }
    } finally {
      await servers.close();
    }
  });

  it('errors: cors sets headers once, so err.headers can replace the grant; corsSafety() re-asserts it', async () => {
    const servers = await pair({ origin: APP });
    try {
      const theirs = await call(`${servers.theirs.url}/error`, { origin: APP });
      const ours = await call(`${servers.ours.url}/error`, { origin: APP });
      assert.equal(theirs.status, 429);
      assert.equal(theirs.headers.get('access-control-allow-origin'), OTHER);
      assert.equal(ours.status, 429);
      assert.equal(ours.headers.get('access-control-allow-origin'), APP);
    } finally {
      await servers.close();
    }
  });

  it('a /g RegExp: cors alternates its answer for identical requests; corsSafety() refuses it', async () => {
    const theirs = await serve(cors({ origin: /^https:\/\/app\.example\.com$/g }) as Middleware);
    try {
      const answers = [];
      for (let i = 0; i < 4; i++)
        answers.push((await call(`${theirs.url}/r`, { origin: APP })).headers.get('access-control-allow-origin'));
      assert.deepEqual(answers, [APP, null, APP, null]);
    } finally {
      await theirs.close();
    }
    assert.throws(() => corsSafety({ origin: /^https:\/\/app\.example\.com$/g }), CorsConfigError);
  });

  it('the origin callback: cors calls it without Origin and turns its error into a 500; corsSafety() denies and goes on', async () => {
    const seen: (string | undefined)[] = [];
    const failing = (origin: string | undefined, callback: (err: Error | null, allow?: boolean) => void): void => {
      seen.push(origin);
      callback(new Error('lookup failed'));
    };
    const theirs = await serve(cors({ origin: failing }) as Middleware);
    const ours = await serve(
      corsSafety({ origin: failing as (origin: string, callback: (err: Error | null) => void) => void }),
    );
    try {
      assert.equal((await call(`${theirs.url}/r`)).status, 500);
      assert.deepEqual(seen, [undefined]);
      const reply = await call(`${ours.url}/r`, { origin: APP });
      assert.equal(reply.status, 200);
      assert.deepEqual(accessControlNames(reply.headers), []);
      assert.equal((await call(`${ours.url}/r`)).status, 200);
      assert.deepEqual(seen, [undefined, APP], 'not called for a request without Origin');
    } finally {
      await Promise.all([theirs.close(), ours.close()]);
    }
  });

  const refused: [string, CorsSafetyOptions, string][] = [
    [
      '"*" with credentials (cors sends both, which the browser rejects)',
      { origin: '*', credentials: true },
      'credentials-with-any-origin',
    ],
    ['reflecting any origin with credentials', { origin: true, credentials: true }, 'credentials-with-any-origin'],
    [
      'an unanchored RegExp (cors matches https://app.example.com.evil.net)',
      { origin: /app\.example\.com/ },
      'regexp-unanchored',
    ],
    ['"null" as a listed origin (use allowNullOrigin)', { origin: ['null'] }, 'origin-null-entry'],
    ['a comma-separated origin string', { origin: `${APP},${ADMIN}` }, 'origin-comma-list'],
  ];
  for (const [name, options, code] of refused) {
    it(`refuses at construction: ${name}`, () => {
      assert.doesNotThrow(() => cors(options as cors.CorsOptions));
      assert.throws(
        () => corsSafety(options),
        (err: unknown) => err instanceof CorsConfigError && err.issues.some((i) => i.code === code),
      );
    });
  }

  it('reflecting any origin with credentials needs a long explicit opt-in', async () => {
    const ours = await serve(
      corsSafety({ origin: true, credentials: true, dangerouslyAllowAnyOriginWithCredentials: true }),
    );
    try {
      const reply = await call(`${ours.url}/r`, { origin: OTHER });
      assert.equal(reply.headers.get('access-control-allow-origin'), OTHER);
      assert.equal(reply.headers.get('access-control-allow-credentials'), 'true');
    } finally {
      await ours.close();
    }
  });

  it('no options: cors() is public "*"; corsSafety() allows loopback origins in development, nothing in production', async () => {
    const dev = await serve(corsSafety({ env: {} }));
    const prod = await serve(corsSafety({ env: { NODE_ENV: 'production' } }));
    const theirs = await serve(cors() as Middleware);
    try {
      assert.equal((await call(`${theirs.url}/r`, { origin: OTHER })).headers.get('access-control-allow-origin'), '*');
      assert.equal(
        (await call(`${dev.url}/r`, { origin: 'http://localhost:5173' })).headers.get('access-control-allow-origin'),
        'http://localhost:5173',
      );
      assert.equal((await call(`${dev.url}/r`, { origin: OTHER })).headers.get('access-control-allow-origin'), null);
      assert.equal(
        (await call(`${prod.url}/r`, { origin: 'http://localhost:5173' })).headers.get('access-control-allow-origin'),
        null,
      );
    } finally {
      await Promise.all([dev.close(), prod.close(), theirs.close()]);
    }
  });
});
