/**
 * The mount-order warning names only what may really have answered: real pass-through middleware
 * from npm mounted before corsSafety() (morgan, helmet, cookie-parser, compression, express.static
 * for a file it does not have, a counter) stays silent through preflights, actual requests, 404s
 * and body-parser errors after corsSafety(); an auth check that answers 401 before corsSafety()
 * makes it fire, once. warnOnce() is once per process: the silent cases run first, the firing one last.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import express4Untyped from 'express4';
import helmet from 'helmet';
import morgan from 'morgan';
import { corsErrorHandler, corsSafety, notFound } from '../../src/index.js';
import { FLAVORS, withServer, type Flavor } from '../helpers/error-handler-servers.js';
import { call, preflight } from '../helpers/middleware-http.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

const express4 = express4Untyped as unknown as typeof express;
const ORIGIN = 'https://app.example.com';
const T = { timeout: scaled(20_000) };
const warnings = collectWarnings() as (Error & { code?: string })[];
const mountOrder = (): Error[] => warnings.filter((w) => w.code === 'CORS_SAFETY_MOUNT_ORDER');
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const emptyDir = mkdtempSync(join(tmpdir(), 'cors-safety-static-'));
after(() => rmSync(emptyDir, { recursive: true, force: true }));

/** The usual pass-through middleware from npm, mounted before corsSafety(); `extra` goes last before it. */
function app(flavor: Flavor, extra?: (app: Express) => void): http.RequestListener {
  const a = flavor.create();
  let count = 0;
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  a.use(morgan('combined', { stream: sink }));
  a.use(helmet());
  a.use(cookieParser());
  a.use(compression());
  a.use((flavor.major === 5 ? express : express4).static(emptyDir));
  a.use(function countRequests(_req, _res, next) {
    count++;
    next();
  });
  extra?.(a);
  a.use(corsSafety({ origin: ORIGIN, credentials: true, env: {} }));
  a.use(flavor.json({ limit: 10 }));
  a.get('/data', (_req, res) => {
    res.json({ count });
  });
  a.post('/data', (_req, res) => {
    res.json({ ok: true });
  });
  a.use(notFound());
  a.use(corsErrorHandler({ origin: ORIGIN, credentials: true, env: {} }, { log: false }));
  return a;
}

describe('pass-through middleware before corsSafety(): no warning', () => {
  for (const flavor of FLAVORS) {
    it(`${flavor.name}: morgan, helmet, cookie-parser, compression, express.static (missing file), a counter`, T, () =>
      withServer(app(flavor), async (url) => {
        const pre = await preflight(`${url}/data`, ORIGIN, 'POST', 'content-type');
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
        const get = await call(`${url}/data`, { origin: ORIGIN, headers: { cookie: 'sid=1' } });
        assert.equal(get.status, 200);
        assert.equal(get.headers.get('access-control-allow-origin'), ORIGIN);
        assert.equal(get.headers.get('x-content-type-options'), 'nosniff', 'helmet ran');
        const missing = await call(`${url}/missing.css`, { origin: ORIGIN });
        assert.equal(missing.status, 404);
        assert.equal(missing.headers.get('access-control-allow-origin'), ORIGIN);
        const tooLarge = await call(`${url}/data`, {
          method: 'POST',
          origin: ORIGIN,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'more than ten bytes' }),
        });
        assert.equal(tooLarge.status, 413);
        const denied = await call(`${url}/data`, { origin: 'https://evil.example' });
        assert.equal(denied.headers.get('access-control-allow-origin'), null);
        await call(`${url}/data`);
        await tick();
        assert.deepEqual(mountOrder(), []);
      }),
    );
  }
});

describe('an auth check that answers before corsSafety(): the warning fires once', () => {
  it('Express 5: a 401 sent before corsSafety() ran is reported, naming what was mounted before it', T, () =>
    withServer(
      app(FLAVORS[1] as Flavor, (a) =>
        a.use(function requireToken(req, res, next) {
          if (req.headers.authorization === 'Bearer good') next();
          else res.status(401).json({ error: 'log in first' });
        }),
      ),
      async (url) => {
        const ok = await call(`${url}/data`, { origin: ORIGIN, headers: { authorization: 'Bearer good' } });
        assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
        await tick();
        assert.deepEqual(mountOrder(), [], 'nothing answered early yet');
        const rejected = await call(`${url}/data`, { origin: ORIGIN });
        assert.equal(rejected.status, 401);
        assert.equal(rejected.headers.get('access-control-allow-origin'), null, 'what the warning is about');
        await call(`${url}/data`, { origin: ORIGIN });
        await tick();
        const emitted = mountOrder();
        assert.equal(emitted.length, 1);
        const message = emitted[0]?.message ?? '';
        assert.match(message, /a 401 response was sent before corsSafety\(\) ran/);
        assert.match(
          message,
          /\(logger, helmetMiddleware, cookieParser, compression, serveStatic, countRequests, requireToken\)/,
        );
        assert.match(message, /Mount corsSafety\(\) first/);
      },
    ),
  );
});
