// Origins real apps send that are not http(s): hybrid apps, Electron, browser extensions. They are
// allowed by exact entries (canonical form) and origin functions only; host patterns, allowedHosts
// and RegExps never match them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CorsConfigError,
  createCorsPolicy,
  createOriginValidator,
  type CorsSafetyOptions,
  type OriginVerdict,
} from '../../src/index.js';
import { parseAppOrigin } from '../../src/policy/app-origin.js';

const CHROME_ID = 'abcdefghijklmnopabcdefghijklmnop';
const MOZ_UUID = '2d7e0c1a-5f3b-4c8e-9a61-0b3f2e4d5c6a';
const SAFARI_UUID = 'E0B0C9A0-1A5B-4D62-9B3B-2E9F1C5C8D3A';

/** What real apps send in `Origin`, per platform. */
const REAL_APP_ORIGINS = [
  'capacitor://localhost', // Capacitor on iOS (WKWebView custom scheme)
  'ionic://localhost', // Ionic's webview on iOS
  'tauri://localhost', // Tauri on macOS and Linux
  'app://my-app', // Electron, scheme registered with { standard: true }
  `chrome-extension://${CHROME_ID}`, // Chrome and Edge extensions
  `moz-extension://${MOZ_UUID}`, // Firefox extensions
  `safari-web-extension://${SAFARI_UUID}`, // Safari web extensions (uppercase UUID)
];

function check(options: CorsSafetyOptions, origin: string): OriginVerdict | Promise<OriginVerdict> {
  return createOriginValidator({ env: {}, ...options }).check(origin);
}

function issuesOf(options: CorsSafetyOptions): { path: string; code: string; message: string }[] {
  try {
    createCorsPolicy({ env: {}, ...options });
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues.map((issue) => ({ ...issue }));
  }
  assert.fail('expected a CorsConfigError');
}

describe('app origins as exact entries', () => {
  test('each real app origin is allowed by its own entry, and only by it', () => {
    const policy = createCorsPolicy({ origin: REAL_APP_ORIGINS, env: {} });
    const validator = createOriginValidator(policy);
    for (const origin of REAL_APP_ORIGINS) {
      const verdict = validator.check(origin);
      assert.deepEqual(verdict, { allowed: true, reason: 'allowed-exact', origin, rule: origin.toLowerCase() }, origin);
    }
    for (const other of [
      'capacitor://evil',
      'ionic://localhost:8080',
      `chrome-extension://${'b'.repeat(32)}`,
      'tauri://localhost.evil',
      'app://my-app2',
    ]) {
      assert.deepEqual(validator.check(other), { allowed: false, reason: 'origin-not-allowed', origin: other });
    }
  });

  test('entries are canonicalised: scheme and host lowercased, a trailing slash dropped', () => {
    const policy = createCorsPolicy({
      origin: ['Capacitor://LocalHost/', `safari-web-extension://${SAFARI_UUID}`, 'app://host:08080'],
      env: {},
    });
    assert.deepEqual(policy.rules, [
      'capacitor://localhost',
      `safari-web-extension://${SAFARI_UUID.toLowerCase()}`,
      'app://host:8080',
    ]);
    // The grant names the origin exactly as the browser sent it: the CORS check compares bytes.
    const verdict = check({ origin: policy.rules }, `safari-web-extension://${SAFARI_UUID}`);
    assert.ok(!(verdict instanceof Promise));
    assert.equal(verdict.allowed && verdict.origin, `safari-web-extension://${SAFARI_UUID}`);
  });

  test('refused entries name the problem and the fix', () => {
    const cases: [string, string, string][] = [
      ['chrome-extension://abc', 'origin-extension-id', '32 letters a-p'],
      [`chrome-extension://${'q'.repeat(32)}`, 'origin-extension-id', 'chrome://extensions'],
      [`chrome-extension://${CHROME_ID}:8080`, 'origin-invalid-port', `write "chrome-extension://${CHROME_ID}"`],
      ['moz-extension://my-addon@example.com', 'origin-userinfo', 'write "moz-extension://example.com"'],
      ['moz-extension://not-a-uuid', 'origin-extension-id', 'Internal UUID'],
      ['safari-web-extension://1234', 'origin-extension-id', 'UUID'],
      ['capacitor://*', 'origin-app-pattern', 'matched exactly'],
      ['chrome-extension://*', 'origin-app-pattern', 'origin function'],
      ['app://*.example.com', 'origin-app-pattern', 'list each origin'],
      ['app://host:*', 'origin-app-pattern', 'matched exactly'],
      ['capacitor://localhost/index.html', 'origin-path', 'write "capacitor://localhost"'],
      ['capacitor://localhost?x', 'origin-query', 'write "capacitor://localhost"'],
      ['capacitor://', 'origin-invalid-host', 'no valid host'],
      ['app://a..b', 'origin-invalid-host', 'no valid host'],
      ['app://host:99999', 'origin-invalid-port', '1-65535'],
      ['my_app://host', 'origin-invalid-scheme', 'invalid scheme'],
      ['file://index.html', 'origin-unsupported-scheme', 'send "null"'],
    ];
    for (const [entry, code, fragment] of cases) {
      const [issue, ...more] = issuesOf({ origin: [entry] });
      assert.equal(more.length, 0, entry);
      assert.equal(issue?.code, code, `${entry}: ${issue?.message}`);
      assert.ok(issue?.message.includes(fragment), `${entry}: ${issue?.message}`);
    }
  });

  test('every fix a message writes, followed, gives a valid policy that allows it', () => {
    for (const entry of [`chrome-extension://${CHROME_ID}:8080`, 'capacitor://localhost/index.html']) {
      const message = issuesOf({ origin: [entry] })[0]?.message ?? '';
      const fixed = /write "([^"]+)"/.exec(message)?.[1];
      assert.ok(fixed !== undefined, message);
      const verdict = check({ origin: [fixed] }, fixed);
      assert.ok(!(verdict instanceof Promise) && verdict.allowed, fixed);
    }
  });
});

describe('app origins at request time', () => {
  test('origin functions receive them (they used to be origin-malformed)', async () => {
    const seen: string[] = [];
    const validator = createOriginValidator({
      env: {},
      origin: (origin: string) => {
        seen.push(origin);
        return origin.startsWith('chrome-extension://');
      },
    });
    for (const origin of REAL_APP_ORIGINS) {
      const verdict = await validator.check(origin);
      assert.equal(verdict.allowed, origin.startsWith('chrome-extension://'), origin);
      assert.equal(verdict.reason, verdict.allowed ? 'allowed-function' : 'origin-not-allowed');
    }
    assert.deepEqual(seen, REAL_APP_ORIGINS);
  });

  test('malformed look-alikes stay malformed and never reach the origin function', async () => {
    let calls = 0;
    const validator = createOriginValidator({ env: {}, origin: () => ++calls > 0 });
    for (const value of [
      'Capacitor://localhost', // browsers lowercase the scheme
      'capacitor://',
      'capacitor://local host',
      'capacitor://localhost/',
      'capacitor://user@localhost',
      'capacitor://localhost:0',
      'capacitor://localhost:080',
      'chrome-extension://abc',
      `chrome-extension://${CHROME_ID}:1`,
      'moz-extension://zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
      'file://host',
      'data://x',
      'javascript://x',
      '1app://x',
      'app://x\r\nSet-Cookie: a=b',
      'app://\u00e9',
      'capacitor:localhost',
    ]) {
      const verdict = await validator.check(value);
      assert.equal(verdict.reason, 'origin-malformed', JSON.stringify(value));
    }
    assert.equal(calls, 0);
  });

  test('modes: "*" and true allow them, false and production defaults do not', () => {
    const origin = 'capacitor://localhost';
    assert.deepEqual(check({ origin: '*' }, origin), { allowed: true, reason: 'allowed-any', origin, rule: '*' });
    assert.equal((check({ origin: true }, origin) as OriginVerdict).reason, 'allowed-any');
    assert.equal((check({ origin: false }, origin) as OriginVerdict).reason, 'cors-disabled');
    assert.equal((check({ env: { NODE_ENV: 'production' } }, origin) as OriginVerdict).reason, 'cors-disabled');
    // The development default is loopback web origins only.
    assert.equal((check({}, origin) as OriginVerdict).reason, 'origin-not-allowed');
  });

  test('parseAppOrigin returns the canonical form', () => {
    assert.equal(parseAppOrigin('capacitor://localhost'), 'capacitor://localhost');
    assert.equal(
      parseAppOrigin(`safari-web-extension://${SAFARI_UUID}`),
      `safari-web-extension://${SAFARI_UUID.toLowerCase()}`,
    );
    assert.equal(parseAppOrigin('app://host:3000'), 'app://host:3000');
    assert.equal(parseAppOrigin('https://a.com'), undefined);
    assert.equal(parseAppOrigin('wss://a.com'), undefined);
  });
});

describe('properties: web rules never match an app origin', () => {
  const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
  // Under a made-up suffix, so the web rules built from the host below are valid configuration.
  const host = fc.oneof(
    fc.constant('localhost'),
    fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.example-test`),
  );
  const scheme = fc.constantFrom('capacitor', 'ionic', 'tauri', 'app', 'vscode-webview', 'my-app+x.y');
  const appOrigin = fc
    .tuple(scheme, host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
    .map(([s, h, port]) => `${s}://${h}${port === undefined ? '' : `:${port}`}`);

  test('"*." patterns, port wildcards, allowedHosts and RegExps over the same host allow nothing', () => {
    fc.assert(
      fc.property(appOrigin, fc.boolean(), (origin, upper) => {
        const parsed = new URL(origin.replace(/^[^:]+:/, 'https:'));
        const h = parsed.hostname;
        const options: CorsSafetyOptions = {
          origin: [
            `https://*.${h}`,
            `http://*.${h}`,
            `https://${h}:*`,
            `http://${h}:*`,
            `https://${h}`,
            // Any scheme, over the same host (a RegExp matching every site is refused as configuration).
            new RegExp(`^[a-z+.-]+:\\/\\/(?:[a-z0-9-]+\\.)*${h.replace(/\./g, '\\.')}(?::\\d+)?$`),
          ],
          allowedHosts: [h, `.${h}`, `${h}:*`, 'localhost:*'],
          env: {},
        };
        const sent = upper ? origin.replace(h, h.toUpperCase()) : origin;
        const verdict = check(options, sent);
        assert.ok(!(verdict instanceof Promise));
        assert.deepEqual(verdict, { allowed: false, reason: 'origin-not-allowed', origin: sent });
      }),
      { numRuns: 300 },
    );
  });

  test('an exact app entry allows exactly itself (any host case), nothing else', () => {
    fc.assert(
      fc.property(appOrigin, appOrigin, (listed, other) => {
        const validator = createOriginValidator({ origin: [listed], env: {} });
        const own = validator.check(listed);
        assert.ok(!(own instanceof Promise) && own.allowed);
        const verdict = validator.check(other);
        assert.ok(!(verdict instanceof Promise));
        assert.equal(verdict.allowed, parseAppOrigin(other) === listed, `${listed} vs ${other}`);
      }),
      { numRuns: 300 },
    );
  });
});
