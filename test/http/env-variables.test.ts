/**
 * The environment says everything code can: one CORS_* variable per data option, issues named
 * after the variable, code winning key by key; unknown CORS_* names and variables that are not
 * read get one warning each naming the fix; a RegExp pasted into CORS_ALLOWED_ORIGINS gets the
 * pattern to write; zero-configuration development serves loopback pages that send cookies or
 * Authorization (a real server, a credentialed preflight and request).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import express from 'express';
import { CorsConfigError, corsSafety, createCorsPolicy, type CorsPolicy } from '../../src/index.js';
import { ENV_VARIABLES, suggestVariableName } from '../../src/policy/environment.js';
import { OPTION_NAMES } from '../../src/policy/options.js';
import { withServer } from '../helpers/error-handler-servers.js';
import { call, preflight } from '../helpers/middleware-http.js';
import { collectWarnings } from '../helpers/warnings.js';

const warnings = collectWarnings() as (Error & { code?: string })[];
const ORIGINS = { CORS_ALLOWED_ORIGINS: 'https://app.example.com' };

function issuesOf(env: Record<string, string>): [string, string, string][] {
  try {
    createCorsPolicy({ env });
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues.map((i) => [i.path, i.code, i.message]);
  }
  assert.fail('expected a CorsConfigError');
}

describe('a variable for every option that is data', () => {
  test('every option except env, the cors alias headers and the options that are code has its variable', () => {
    const covered = new Set(Object.values(ENV_VARIABLES).map((spec) => spec.option));
    // Functions and policies are code: originLookup's lookup(), onDecision, a reportOnly candidate.
    const notData = new Set(['env', 'headers', 'originLookup', 'onDecision', 'reportOnly']);
    for (const option of OPTION_NAMES) {
      if (notData.has(option)) continue;
      assert.ok(covered.has(option), `no CORS_* variable sets ${option}`);
    }
  });

  test('each variable sets its option', () => {
    const policy = createCorsPolicy({
      env: {
        ...ORIGINS,
        CORS_ALLOWED_HEADERS: 'X-CSRFToken, Content-Type',
        CORS_EXPOSED_HEADERS: 'X-Total-Count',
        CORS_MAX_AGE: ' 3600 ',
        CORS_ALLOWED_METHODS: 'GET,POST',
        CORS_PREFLIGHT_CONTINUE: 'true',
        CORS_OPTIONS_SUCCESS_STATUS: '200',
        CORS_ALLOW_PRIVATE_NETWORK: 'yes',
        CORS_ORIGIN_CHECK_TIMEOUT: '500',
        CORS_EXPOSE_REASON: 'false',
      },
    });
    const expected: Partial<Record<keyof CorsPolicy, unknown>> = {
      source: 'environment',
      allowedHeaders: ['x-csrftoken', 'content-type'],
      exposedHeaders: ['X-Total-Count'],
      maxAge: 3600,
      methods: ['GET', 'POST'],
      preflightContinue: true,
      optionsSuccessStatus: 200,
      allowPrivateNetwork: true,
      originCheckTimeout: 500,
      exposeReason: false,
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(policy[key as keyof CorsPolicy], value, key);
    assert.equal(createCorsPolicy({ env: { ...ORIGINS, CORS_ALLOW_NULL_ORIGIN: '1' } }).allowNullOrigin, true);
    assert.equal(createCorsPolicy({ env: { CORS_ALLOWED_HEADERS: '*' } }).allowedHeaders, '*');
    const dangerous = createCorsPolicy({
      env: {
        CORS_ALLOWED_ORIGINS: '*',
        CORS_CREDENTIALS: 'true',
        CORS_DANGEROUSLY_ALLOW_ANY_ORIGIN_WITH_CREDENTIALS: 'true',
      },
    });
    assert.equal(dangerous.mode, 'reflect-any');
  });

  test('with the development default too: variables other than the origins still apply', () => {
    const policy = createCorsPolicy({ env: { CORS_ALLOWED_HEADERS: 'X-CSRFToken', CORS_MAX_AGE: '0' } });
    assert.equal(policy.source, 'development-default');
    assert.deepEqual(policy.allowedHeaders, ['x-csrftoken']);
    assert.equal(policy.maxAge, 0);
  });

  test('code wins key by key; an undefined option leaves the variable', () => {
    const env = { ...ORIGINS, CORS_MAX_AGE: '60', CORS_EXPOSED_HEADERS: 'X-A' };
    const policy = createCorsPolicy({ env, maxAge: 5, exposedHeaders: undefined });
    assert.equal(policy.maxAge, 5);
    assert.deepEqual(policy.exposedHeaders, ['X-A']);
  });

  test('issues name the variable the value came from', () => {
    assert.deepEqual(
      issuesOf({
        ...ORIGINS,
        CORS_MAX_AGE: '10m',
        CORS_OPTIONS_SUCCESS_STATUS: '404',
        CORS_ALLOWED_HEADERS: 'Cookie',
      }).map(([path, code]) => [path, code]),
      [
        ['CORS_MAX_AGE', 'env-not-integer'],
        ['CORS_OPTIONS_SUCCESS_STATUS', 'out-of-range'],
        ['CORS_ALLOWED_HEADERS[0]', 'header-forbidden'],
      ],
    );
    assert.deepEqual(
      issuesOf({ ...ORIGINS, CORS_MAX_AGE: '999999' }).map(([path, code]) => [path, code]),
      [['CORS_MAX_AGE', 'out-of-range']],
    );
  });
});

describe('RegExp text in CORS_ALLOWED_ORIGINS', () => {
  const cases: [string, string][] = [
    ['^https://.*\\.moviesnow\\.com$', 'write "https://*.moviesnow.com"'],
    ['/^https:\\/\\/.*\\.moviesnow\\.com$/', 'write "https://*.moviesnow.com"'],
    ['https://.*\\.moviesnow\\.com', 'write "https://*.moviesnow.com"'],
    ['^https?://([a-z0-9-]+\\.)*moviesnow\\.com$', '"https://moviesnow.com", "https://*.moviesnow.com"'],
    ['^https://(app|admin)\\.moviesnow\\.com$', 'pass a RegExp object in code'],
  ];
  for (const [entry, fix] of cases) {
    test(entry, () => {
      const issues = issuesOf({ CORS_ALLOWED_ORIGINS: `https://ok.example.com,${entry}` });
      assert.equal(issues.length, 1);
      const [path, code, message] = issues[0] ?? [];
      assert.equal(path, 'CORS_ALLOWED_ORIGINS[1]');
      assert.equal(code, 'origin-regexp-text');
      assert.ok(message?.includes(fix), message);
      assert.doesNotMatch(message ?? '', /scheme|capacitor/i);
    });
  }

  test('the same text in code gets the same fix', () => {
    assert.throws(
      () => createCorsPolicy({ origin: '^https://.*\\.moviesnow\\.com$', env: {} }),
      /origin: .*write "https:\/\/\*\.moviesnow\.com" \[origin-regexp-text\]/,
    );
  });

  test('the pattern the message names works', () => {
    const policy = createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: 'https://*.moviesnow.com' } });
    assert.deepEqual(policy.rules, ['https://*.moviesnow.com']);
  });
});

describe('variable names', () => {
  test('likely names for the usual guesses', () => {
    const cases: [string, string | undefined][] = [
      ['CORS_ALLOW_HEADERS', 'CORS_ALLOWED_HEADERS'],
      ['CORS_EXPOSE_HEADERS', 'CORS_EXPOSED_HEADERS'],
      ['CORS_ALLOW_CREDENTIALS', 'CORS_CREDENTIALS'],
      ['CORS_ORIGIN', 'CORS_ALLOWED_ORIGINS'],
      ['CORS_ORIGIN_WHITELIST', 'CORS_ALLOWED_ORIGINS'],
      ['CORS_PREFLIGHT_MAX_AGE', 'CORS_MAX_AGE'],
      ['CORS_MAXAGE', 'CORS_MAX_AGE'],
      ['CORS_ALLOWED_HEADER', 'CORS_ALLOWED_HEADERS'],
      ['CORS_SOMETHING_ELSE_ENTIRELY', undefined],
    ];
    for (const [name, expected] of cases) assert.equal(suggestVariableName(name), expected, name);
  });

  // warnOnce() is once per process: these two tests each own one warning code.
  test('unknown CORS_* variables: one warning naming the likely variable, read or not', async () => {
    const env = { ...ORIGINS, CORS_ALLOW_HEADERS: 'X-CSRFToken', CORS_MAXAGE: '60', CORS_SAFETY_TIME_SCALE: '2' };
    createCorsPolicy({ env });
    createCorsPolicy({ env });
    createCorsPolicy({ origin: 'https://a.example.com', env });
    await new Promise((resolve) => setImmediate(resolve));
    const ours = warnings.filter((w) => w.code === 'CORS_SAFETY_UNKNOWN_ENV');
    assert.equal(ours.length, 1);
    assert.match(ours[0]?.message ?? '', /"CORS_ALLOW_HEADERS" \(did you mean CORS_ALLOWED_HEADERS\?\)/);
    assert.match(ours[0]?.message ?? '', /"CORS_MAXAGE" \(did you mean CORS_MAX_AGE\?\)/);
    assert.doesNotMatch(ours[0]?.message ?? '', /CORS_SAFETY_TIME_SCALE/);
  });

  test('variables not read because the code gives origin: one warning naming them', async () => {
    // Code that reads CORS_ALLOWED_ORIGINS itself and passes origin is not warned about it.
    createCorsPolicy({ origin: 'https://a.example.com', maxAge: 5, env: { ...ORIGINS, CORS_MAX_AGE: '60' } });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.filter((w) => w.code === 'CORS_SAFETY_ENV_IGNORED'),
      [],
    );
    createCorsPolicy({ origin: 'https://a.example.com', env: { ...ORIGINS, CORS_ALLOWED_HEADERS: 'X-CSRFToken' } });
    await new Promise((resolve) => setImmediate(resolve));
    const ours = warnings.filter((w) => w.code === 'CORS_SAFETY_ENV_IGNORED');
    assert.equal(ours.length, 1);
    assert.match(ours[0]?.message ?? '', /^cors-safety: CORS_ALLOWED_HEADERS is set but not read/);
  });
});

describe('zero-configuration development: loopback pages with cookies or Authorization', () => {
  const page = 'http://localhost:5173';
  for (const env of [{}, { CORS_CREDENTIALS: 'true' }]) {
    test(`env ${JSON.stringify(env)}: a credentialed preflight and request from ${page} pass`, () => {
      const app = express();
      app.use(corsSafety({ env }));
      app.get('/me', (_req, res) => {
        res.json({ user: 'ada' });
      });
      return withServer(app, async (url) => {
        const pre = await preflight(`${url}/me`, page, 'GET', 'authorization');
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), page);
        assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
        const res = await call(`${url}/me`, { origin: page, headers: { cookie: 'sid=1', authorization: 'Bearer x' } });
        assert.equal(res.headers.get('access-control-allow-origin'), page);
        assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
        // Still loopback only.
        const other = await call(`${url}/me`, { origin: 'https://evil.example' });
        assert.equal(other.headers.get('access-control-allow-origin'), null);
        assert.equal(other.headers.get('access-control-allow-credentials'), null);
      });
    });
  }
});
