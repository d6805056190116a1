/**
 * A route-level corsSafety() behind an app-wide one never applies (the first instance decides
 * preflight, response and error alike): one warning names the shadowed instance and the fix, and
 * the fix it names works. Instances that answer alike (the same policy, or the same options twice)
 * and specific-first mounting are silent. warnOnce() is once per process: silent cases run first.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy } from '../../src/index.js';
import { FLAVORS, withServer } from '../helpers/error-handler-servers.js';
import { call, preflight } from '../helpers/middleware-http.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

const APP = 'https://app.example.com';
const READER = 'https://reader.example';
const T = { timeout: scaled(15_000) };
const warnings = collectWarnings() as (Error & { code?: string })[];
const shadowed = (): Error[] => warnings.filter((w) => w.code === 'CORS_SAFETY_SHADOWED_POLICY');
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const privateOptions = { origin: [APP], credentials: true, env: {} };
const publicOptions = { origin: '*', env: {} };
const send = (_req: unknown, res: http.ServerResponse): void => {
  res.end('feed');
};

describe('silent: instances that answer alike, or the specific one first', () => {
  for (const flavor of FLAVORS) {
    it(`${flavor.name}: the same policy twice, the same options twice, the route's policy first`, T, async () => {
      const policy = createCorsPolicy(privateOptions);
      const same = flavor.create();
      same.use(corsSafety(policy));
      same.get('/feed', corsSafety(policy), send);
      same.get('/copy', corsSafety(privateOptions), send);
      same.use(corsSafety(privateOptions));
      same.get('/other', send);
      await withServer(same, async (url) => {
        for (const path of ['/feed', '/copy', '/other'])
          assert.equal((await call(`${url}${path}`, { origin: APP })).headers.get('access-control-allow-origin'), APP);
      });
      // The fix the warning names: app.use(path, ...) for the specific policy, before the app-wide one.
      const fixed = flavor.create();
      fixed.use('/feed', corsSafety(publicOptions));
      fixed.use(corsSafety(privateOptions));
      fixed.get('/feed', send);
      fixed.get('/feed/boom', () => {
        throw Object.assign(new Error('gone'), { status: 410, expose: true });
      });
      fixed.use(corsErrorHandler(privateOptions, { log: false }));
      await withServer(fixed, async (url) => {
        const pre = await preflight(`${url}/feed`, READER, 'GET', 'x-requested-with');
        assert.equal(pre.headers.get('access-control-allow-origin'), '*');
        const get = await call(`${url}/feed`, { origin: READER });
        assert.equal(get.headers.get('access-control-allow-origin'), '*');
        const boom = await call(`${url}/feed/boom`, { origin: READER });
        assert.equal(boom.status, 410);
        assert.equal(boom.headers.get('access-control-allow-origin'), '*', 'the error answer agrees');
      });
      await tick();
      assert.deepEqual(shadowed(), []);
    });
  }
});

describe('a route-level corsSafety() shadowed by an app-wide one', () => {
  it('Express 5: the app-wide policy decides; one warning names the route instance and the fix', T, async () => {
    const flavor = FLAVORS[1];
    assert.ok(flavor !== undefined);
    const app = flavor.create();
    app.use(corsSafety(privateOptions));
    app.get('/feed', corsSafety(publicOptions), send);
    await withServer(app, async (url) => {
      const pre = await preflight(`${url}/feed`, READER, 'GET', 'x-requested-with');
      assert.equal(pre.status, 403, 'the app-wide policy answers the preflight');
      await tick();
      assert.deepEqual(shadowed(), [], 'a preflight never reaches app.get');
      const first = await call(`${url}/feed`, { origin: READER });
      assert.equal(first.headers.get('access-control-allow-origin'), null);
      await call(`${url}/feed`, { origin: READER });
      await tick();
      const emitted = shadowed();
      assert.equal(emitted.length, 1);
      const message = emitted[0]?.message ?? '';
      assert.match(message, /^cors-safety: corsSafety\(\{ origin: "\*" \}\) on the route "\/feed" never applies/);
      assert.match(
        message,
        /corsSafety\(\{ origin: \["https:\/\/app\.example\.com"\], credentials: true \}\), mounted before it/,
      );
      assert.match(message, /app\.use\(path, corsSafety\(\.\.\.\)\) before the app-wide one/);
    });
  });
});
