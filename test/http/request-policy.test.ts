/**
 * One request, one policy: with a per-route policy mounted beside the app-wide one, the first
 * corsSafety() that handles a request decides its preflight, its actual response and its error
 * answer; later instances pass it on untouched and are never blamed by the mount-order warning.
 * Same-origin requests (Origin = the request's scheme and Host) are reported as such, never as
 * refusals, and nothing is granted on the strength of Host alone.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy, REASON_HEADER, type Middleware } from '../../src/index.js';
import { compiledPolicy } from '../../src/policy/policy.js';
import { decideRequest } from '../../src/headers/request-verdict.js';
import { FLAVORS, get, listen, withServer } from '../helpers/error-handler-servers.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';
const T = { timeout: scaled(15_000) };

const warnings = collectWarnings();

const privatePolicy = createCorsPolicy({ origin: ALLOWED, credentials: true, env: {} });

const preflight = (url: string, origin: string) =>
  get(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: different policies per route`, () => {
    const app = (publicFirst: boolean) => {
      const a = flavor.create();
      if (publicFirst) a.use('/public', corsSafety({ origin: '*', env: {} }));
      a.use(corsSafety(privatePolicy));
      if (!publicFirst) a.use('/public', corsSafety({ origin: '*', env: {} }));
      a.get('/public/data', (_req: unknown, res: http.ServerResponse) => res.end('public'));
      a.get('/public/boom', () => {
        throw Object.assign(new Error('conflict'), { status: 409, expose: true });
      });
      a.get('/api/data', (_req: unknown, res: http.ServerResponse) => res.end('private'));
      a.use(corsErrorHandler(privatePolicy));
      return a as http.RequestListener;
    };

    it('the per-route policy mounted first decides both the preflight and the actual request', T, () =>
      withServer(app(true), async (url) => {
        const pre = await preflight(`${url}/public/data`, EVIL);
        const actual = await get(`${url}/public/data`, { headers: { origin: EVIL } });
        assert.equal(pre.headers.get('access-control-allow-origin'), '*');
        assert.equal(actual.headers.get('access-control-allow-origin'), '*');
        const boom = await get(`${url}/public/boom`, { headers: { origin: EVIL } });
        assert.equal(boom.status, 409);
        assert.equal(boom.headers.get('access-control-allow-origin'), '*', 'the error answer agrees too');
        const api = await get(`${url}/api/data`, { headers: { origin: EVIL } });
        assert.equal(api.headers.get('access-control-allow-origin'), null);
        const apiAllowed = await get(`${url}/api/data`, { headers: { origin: ALLOWED } });
        assert.equal(apiAllowed.headers.get('access-control-allow-origin'), ALLOWED);
        await new Promise((resolve) => setImmediate(resolve));
        const blamed = warnings.filter((w) => /corsSafetyMiddleware/.test(w.message));
        assert.deepEqual(blamed, [], 'no warning blames another corsSafety()');
      }),
    );

    it('mounted the other way round, the app-wide policy decides both, consistently', T, () =>
      withServer(app(false), async (url) => {
        const pre = await preflight(`${url}/public/data`, EVIL);
        const actual = await get(`${url}/public/data`, { headers: { origin: EVIL } });
        assert.equal(pre.status, 403);
        assert.equal(pre.headers.get('access-control-allow-origin'), null);
        assert.equal(actual.headers.get('access-control-allow-origin'), null);
      }),
    );
  });
}

describe('same-origin requests', () => {
  const handler = (mw: Middleware): http.RequestListener => {
    const onError = corsErrorHandler(privatePolicy);
    return (req, res) =>
      mw(req, res, () => {
        if (req.url === '/boom') onError(Object.assign(new Error('x'), { status: 400 }), req, res, () => res.end());
        else res.end('ok');
      });
  };

  for (const [name, mw] of [
    ['allow-list', corsSafety(privatePolicy)],
    ['disabled', corsSafety({ origin: false, env: {} })],
  ] as const) {
    it(`${name}: a POST from the server's own origin carries no refusal label and no grant`, T, async () => {
      const running = await listen(handler(mw));
      try {
        for (const path of ['/', '/boom']) {
          const res = await get(`${running.url}${path}`, { method: 'POST', headers: { origin: running.url } });
          assert.equal(res.headers.get(REASON_HEADER), null, `${path}: no Cors-Safety-Reason`);
          assert.equal(res.headers.get('access-control-allow-origin'), null, `${path}: nothing granted`);
        }
        const foreign = await get(`${running.url}/`, { method: 'POST', headers: { origin: EVIL } });
        assert.equal(foreign.headers.get(REASON_HEADER), name === 'disabled' ? 'cors-disabled' : 'origin-not-allowed');
      } finally {
        await running.close();
      }
    });
  }

  it('a Host that names the Origin is reported same-origin but grants nothing', T, async () => {
    const running = await listen(handler(corsSafety(privatePolicy)));
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get(`${running.url}/`, { headers: { origin: 'http://evil.example', host: 'evil.example' } }, resolve)
          .on('error', reject);
      });
      res.resume();
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    } finally {
      await running.close();
    }
  });

  it('decideRequest() names the reason same-origin (the debug log shows it)', () => {
    const compiled = compiledPolicy(privatePolicy);
    const request = (headers: http.IncomingHttpHeaders, encrypted: boolean) =>
      ({ headers, socket: { encrypted } }) as unknown as http.IncomingMessage;
    const same = decideRequest(
      compiled,
      request({ origin: 'https://api.example.com', host: 'API.example.com:443' }, true),
    );
    assert.deepEqual(same, { allowed: false, reason: 'same-origin', origin: 'https://api.example.com' });
    // Scheme differs (http socket): a cross-origin refusal as before.
    const cross = decideRequest(
      compiled,
      request({ origin: 'https://api.example.com', host: 'api.example.com' }, false),
    );
    assert.equal((cross as { reason: string }).reason, 'origin-not-allowed');
    // HTTP/2 names the authority in :authority.
    const h2 = decideRequest(
      compiled,
      request({ origin: 'https://api.example.com', ':authority': 'api.example.com', ':scheme': 'https' }, true),
    );
    assert.equal((h2 as { reason: string }).reason, 'same-origin');
    // An allowed origin keeps its grant.
    const granted = decideRequest(compiled, request({ origin: ALLOWED, host: 'app.example.com' }, true));
    assert.equal((granted as { reason: string }).reason, 'allowed-exact');
    // A request object without headers is no crash.
    assert.equal((decideRequest(compiled, {} as http.IncomingMessage) as { reason: string }).reason, 'origin-missing');
  });
});
