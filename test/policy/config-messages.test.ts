// Every configuration error reads once and cleanly. CorsConfigError prints `path: message [code]`,
// so a message must not repeat its path ("credentials: credentials: true ..."), must read as one
// sentence (no second sentence, no trailing period) and must name the fix.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CorsConfigError,
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  createOriginValidator,
  createVerifyClient,
  upgradeGuard,
  type CorsConfigIssue,
} from '../../src/index.js';

const ok = 'https://app.example.com';
const onAllowed = () => undefined;

/** One call per code: each must throw a CorsConfigError holding that code. */
const TRIGGERS: Record<string, () => unknown> = {
  'options-type': () => createCorsPolicy('https://a.com' as never),
  'unknown-option': () => createCorsPolicy({ origin: ok, orign: ok, env: {} } as never),
  'env-type': () => createCorsPolicy({ origin: ok, env: 'production' as never }),
  'env-not-boolean': () => createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: ok, CORS_CREDENTIALS: 'maybe' } }),
  'env-credentials-without-origins': () =>
    createCorsPolicy({ env: { CORS_CREDENTIALS: 'true', NODE_ENV: 'production' } }),
  'env-not-integer': () => createCorsPolicy({ env: { CORS_MAX_AGE: '10m' } }),
  'origin-regexp-text': () => createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: '^https://.*\\.moviesnow\\.com$' } }),
  'origin-type': () => createCorsPolicy({ origin: 42 as never, env: {} }),
  'origin-empty-list': () => createCorsPolicy({ origin: [], env: {} }),
  'origin-comma-list': () => createCorsPolicy({ origin: `${ok},https://b.com`, env: {} }),
  'origin-empty': () => createCorsPolicy({ origin: '', env: {} }),
  'origin-too-long': () => createCorsPolicy({ origin: `https://${'a'.repeat(2100)}.com`, env: {} }),
  'origin-whitespace': () => createCorsPolicy({ origin: ' https://a.com', env: {} }),
  'origin-null-entry': () => createCorsPolicy({ origin: 'null', env: {} }),
  'origin-star-in-list': () => createCorsPolicy({ origin: [ok, '*'], env: {} }),
  'origin-no-scheme': () => createCorsPolicy({ origin: 'app.example.com', env: {} }),
  'origin-websocket-scheme': () => createCorsPolicy({ origin: 'wss://a.com', env: {} }),
  'origin-unsupported-scheme': () => createCorsPolicy({ origin: 'file://a', env: {} }),
  'origin-invalid-scheme': () => createCorsPolicy({ origin: 'my_app://a', env: {} }),
  'origin-userinfo': () => createCorsPolicy({ origin: 'https://u@a.com', env: {} }),
  'origin-fragment': () => createCorsPolicy({ origin: 'https://a.com#x', env: {} }),
  'origin-query': () => createCorsPolicy({ origin: 'https://a.com?x', env: {} }),
  'origin-path': () => createCorsPolicy({ origin: 'https://a.com/x', env: {} }),
  'origin-invalid-host': () => createCorsPolicy({ origin: 'https://a..com', env: {} }),
  'origin-invalid-port': () => createCorsPolicy({ origin: 'https://a.com:99999', env: {} }),
  'origin-wildcard-position': () => createCorsPolicy({ origin: 'https://a.*.com', env: {} }),
  'origin-trailing-dot': () => createCorsPolicy({ origin: 'https://*.a.com.', env: {} }),
  'origin-wildcard-ip': () => createCorsPolicy({ origin: 'https://*.10.0.0.1', env: {} }),
  'origin-wildcard-public-suffix': () => createCorsPolicy({ origin: 'https://*.co.uk', env: {} }),
  'origin-app-pattern': () => createCorsPolicy({ origin: 'capacitor://*', env: {} }),
  'origin-extension-id': () => createCorsPolicy({ origin: 'chrome-extension://abc', env: {} }),
  'regexp-stateful-flag': () => createCorsPolicy({ origin: /^https:\/\/a\.com$/g, env: {} }),
  'regexp-unanchored': () => createCorsPolicy({ origin: /a\.com/, env: {} }),
  'regexp-unanchored-alternation': () => createCorsPolicy({ origin: /^https:\/\/a\.com|b\.com$/, env: {} }),
  'allowed-hosts-type': () => createCorsPolicy({ allowedHosts: 5 as never, env: {} }),
  'allowed-hosts-empty': () => createCorsPolicy({ allowedHosts: [], env: {} }),
  'allowed-host-type': () => createCorsPolicy({ allowedHosts: [5 as never], env: {} }),
  'allowed-host-invalid': () => createCorsPolicy({ allowedHosts: ['a@b'], env: {} }),
  'allowed-host-whitespace': () => createCorsPolicy({ allowedHosts: ['a .com'], env: {} }),
  'allowed-host-any': () => createCorsPolicy({ allowedHosts: ['*'], env: {} }),
  'allowed-host-has-scheme': () => createCorsPolicy({ allowedHosts: ['https://a.com'], env: {} }),
  'allowed-host-trailing-dot': () => createCorsPolicy({ allowedHosts: ['a.com.'], env: {} }),
  'allowed-host-wildcard-ip': () => createCorsPolicy({ allowedHosts: ['.10.0.0.1'], env: {} }),
  'allowed-host-public-suffix': () => createCorsPolicy({ allowedHosts: ['.co.uk'], env: {} }),
  'allowed-host-invalid-port': () => createCorsPolicy({ allowedHosts: ['a.com:0'], env: {} }),
  'allowed-hosts-with-any-origin': () => createCorsPolicy({ origin: '*', allowedHosts: ['a.com'], env: {} }),
  'not-boolean': () => createCorsPolicy({ origin: ok, credentials: 'yes' as never, env: {} }),
  'out-of-range': () => createCorsPolicy({ origin: ok, maxAge: -1, env: {} }),
  'list-type': () => createCorsPolicy({ origin: ok, methods: 5 as never, env: {} }),
  'list-item-type': () => createCorsPolicy({ origin: ok, methods: [5 as never], env: {} }),
  'star-not-supported': () => createCorsPolicy({ origin: ok, methods: '*', env: {} }),
  'not-a-token': () => createCorsPolicy({ origin: ok, allowedHeaders: ['x y'], env: {} }),
  'methods-empty': () => createCorsPolicy({ origin: ok, methods: [], env: {} }),
  'headers-alias-conflict': () => createCorsPolicy({ origin: ok, headers: ['x-a'], allowedHeaders: ['x-b'], env: {} }),
  'credentials-with-any-origin': () => createCorsPolicy({ origin: '*', credentials: true, env: {} }),
  'dangerous-option-unused': () =>
    createCorsPolicy({ origin: ok, dangerouslyAllowAnyOriginWithCredentials: true, env: {} }),
  'null-origin-with-credentials': () =>
    createCorsPolicy({ origin: ok, allowNullOrigin: true, credentials: true, env: {} }),
  'expose-star-with-credentials': () =>
    createCorsPolicy({ origin: ok, exposedHeaders: '*', credentials: true, env: {} }),
  'format-invalid': () => corsErrorHandler({ origin: ok, env: {} }, { format: 'xml' as never }),
  'log-not-function': () => corsErrorHandler({ origin: ok, env: {} }, { log: 'console' as never }),
  'on-allowed-type': () => upgradeGuard({ origin: ok, env: {} }, undefined as never),
  'guard-option-in-policy': () => upgradeGuard({ origin: ok, env: {}, requireOrigin: true } as never, onAllowed),
  'policy-option-in-guard-options': () =>
    upgradeGuard({ origin: ok, env: {} }, onAllowed, { credentials: true } as never),
  'not-function': () => createVerifyClient({ origin: ok, env: {} }, { onReject: 1 as never }),
  'paths-type': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: '/ws' as never }),
  'paths-empty': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: [] }),
  'path-type': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: [1 as never] }),
  'path-not-absolute': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: ['ws'] }),
  'path-too-long': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: [`/${'a'.repeat(3000)}`] }),
  'path-whitespace': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: ['/a b'] }),
  'path-has-query': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: ['/ws?x=1'] }),
  'unmatched-path-type': () =>
    upgradeGuard({ origin: ok, env: {} }, onAllowed, { paths: ['/ws'], unmatchedPath: 'close' as never }),
  'unmatched-path-without-paths': () => upgradeGuard({ origin: ok, env: {} }, onAllowed, { unmatchedPath: 'destroy' }),
  'guard-not-called': () =>
    (upgradeGuard as unknown as (...args: unknown[]) => unknown)(
      { headers: {}, method: 'GET', socket: {} },
      { write() {}, destroy() {} },
      Buffer.alloc(0),
    ),
};

/** What the user reads for one issue: CorsConfigError's own line. */
function line(issue: CorsConfigIssue): string {
  return `${issue.path}: ${issue.message} [${issue.code}]`;
}

/** The name a path ends with: `origin[2]` -> origin, `errorHandler.format` -> format. */
function lastName(path: string): string {
  return path
    .replace(/\[\d+\]$/, '')
    .replace(/^.*\./, '')
    .replace(/^\((.*)\)$/, '$1');
}

const FIX = /\b(write|use|set|list|remove|pass|add|keep|wrap|leave|did you mean|must be|must start|percent-encode)\b/;

function issuesFrom(trigger: () => unknown): readonly CorsConfigIssue[] {
  try {
    trigger();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, String(err));
    return err.issues;
  }
  return [];
}

describe('every configuration error reads once, cleanly, and names the fix', () => {
  for (const [code, trigger] of Object.entries(TRIGGERS)) {
    test(code, () => {
      const issue = issuesFrom(trigger).find((i) => i.code === code);
      assert.ok(issue !== undefined, `${code} was not raised`);
      const { path, message } = issue;
      const name = lastName(path);
      assert.ok(!message.toLowerCase().startsWith(name.toLowerCase()), `the message repeats its path: ${line(issue)}`);
      assert.ok(!message.includes(`${path}=`), `path repeated: ${line(issue)}`);
      assert.doesNotMatch(message, /\.\s+[A-Z]/, `one sentence: ${line(issue)}`);
      assert.doesNotMatch(message, /\.$/, `no closing period (the code follows): ${line(issue)}`);
      assert.match(message, FIX, `names the fix: ${line(issue)}`);
    });
  }

  test('corsSafety() and createOriginValidator() report the same issues as createCorsPolicy()', () => {
    const options = { origin: '*', credentials: true, orign: 1, env: {} } as never;
    const expected = issuesFrom(() => createCorsPolicy(options));
    assert.deepEqual(
      issuesFrom(() => corsSafety(options)),
      expected,
    );
    assert.deepEqual(
      issuesFrom(() => createOriginValidator(options)),
      expected,
    );
  });

  test('the printed error has one line per issue, each starting with its path once', () => {
    const issues = issuesFrom(() =>
      createCorsPolicy({ origin: '*', credentials: true, env: { NODE_ENV: 'x' }, maxage: 1 } as never),
    );
    for (const issue of issues) {
      const shown = line(issue);
      assert.equal(shown.split(`${issue.path}:`).length, 2, shown);
    }
  });
});
