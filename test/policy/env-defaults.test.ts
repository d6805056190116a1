// Defaults with no origin/allowedHosts: the environment (through the `env` option), then the
// development and production defaults.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CorsConfigError,
  LOOPBACK_ORIGINS,
  createCorsPolicy,
  createOriginValidator,
  type CorsSafetyOptions,
  type OriginVerdict,
} from '../../src/index.js';

function reasonFor(options: CorsSafetyOptions, origin: string): string {
  const verdict = createOriginValidator(options).check(origin) as OriginVerdict;
  return verdict.reason;
}

function codesOf(options: CorsSafetyOptions): [string, string][] {
  try {
    createCorsPolicy(options);
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues.map((i) => [i.path, i.code]);
  }
  assert.fail('expected a CorsConfigError');
}

describe('environment variables', () => {
  test('CORS_ALLOWED_ORIGINS is a comma-separated allow-list', () => {
    const env = { CORS_ALLOWED_ORIGINS: ' https://app.example.com , https://*.preview.example.com,, ' };
    const policy = createCorsPolicy({ env });
    assert.equal(policy.source, 'environment');
    assert.equal(policy.mode, 'allow-list');
    assert.deepEqual(policy.rules, ['https://app.example.com', 'https://*.preview.example.com']);
    assert.equal(policy.credentials, false);
    assert.equal(reasonFor({ env }, 'https://app.example.com'), 'allowed-exact');
    assert.equal(reasonFor({ env }, 'https://pr-1.preview.example.com'), 'allowed-pattern');
    assert.equal(reasonFor({ env }, 'http://localhost:3000'), 'origin-not-allowed');
  });

  test('CORS_ALLOWED_ORIGINS="*" is a public API', () => {
    const policy = createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: ' * ' } });
    assert.equal(policy.mode, 'public');
    assert.equal(policy.source, 'environment');
  });

  test('CORS_ALLOWED_HOSTS', () => {
    const env = { CORS_ALLOWED_HOSTS: 'example.com, .example.org' };
    const policy = createCorsPolicy({ env });
    assert.equal(policy.source, 'environment');
    assert.deepEqual(policy.rules, ['allowedHosts: example.com', 'allowedHosts: .example.org']);
    assert.equal(reasonFor({ env }, 'https://a.example.org'), 'allowed-host');
    assert.equal(reasonFor({ env }, 'https://a.example.com'), 'origin-not-allowed');
  });

  test('both variables together', () => {
    const env = { CORS_ALLOWED_ORIGINS: 'https://a.com', CORS_ALLOWED_HOSTS: 'b.com', CORS_CREDENTIALS: 'true' };
    const policy = createCorsPolicy({ env });
    assert.deepEqual(policy.rules, ['https://a.com', 'allowedHosts: b.com']);
    assert.equal(policy.credentials, true);
  });

  test('CORS_CREDENTIALS values', () => {
    const cases: [string, boolean][] = [
      ['true', true],
      ['TRUE', true],
      [' 1 ', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['', false],
      ['  ', false],
    ];
    for (const [value, expected] of cases) {
      const policy = createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: 'https://a.com', CORS_CREDENTIALS: value } });
      assert.equal(policy.credentials, expected, JSON.stringify(value));
    }
  });

  test('a bad CORS_CREDENTIALS is a configuration error naming the variable', () => {
    try {
      createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: 'https://a.com', CORS_CREDENTIALS: 'maybe' } });
      assert.fail('expected a CorsConfigError');
    } catch (err) {
      assert.ok(err instanceof CorsConfigError);
      assert.deepEqual(
        err.issues.map((i) => [i.path, i.code]),
        [['CORS_CREDENTIALS', 'env-not-boolean']],
      );
      // The path names the variable; the message quotes its value once (no "CORS_CREDENTIALS: ...CORS_CREDENTIALS=").
      assert.equal(err.issues[0]?.message.includes('CORS_CREDENTIALS'), false);
      assert.ok(err.issues[0]?.message.startsWith('is "maybe"'));
      assert.ok(err.issues[0]?.message.includes('"true" or "false"'));
    }
  });

  test('CORS_CREDENTIALS alone: the development default with credentials; under production, an error saying why', () => {
    for (const value of ['true', 'false', ' ']) {
      const policy = createCorsPolicy({ env: { CORS_CREDENTIALS: value } });
      assert.equal(policy.source, 'development-default');
      assert.equal(policy.credentials, value === 'true', JSON.stringify(value));
    }
    assert.deepEqual(codesOf({ env: { CORS_CREDENTIALS: 'true', NODE_ENV: 'production' } }), [
      ['CORS_CREDENTIALS', 'env-credentials-without-origins'],
    ]);
    try {
      createCorsPolicy({ env: { CORS_CREDENTIALS: 'true', NODE_ENV: 'production' } });
    } catch (err) {
      assert.match((err as Error).message, /NODE_ENV=production there is no default origin.*set CORS_ALLOWED_ORIGINS/);
    }
    assert.equal(createCorsPolicy({ env: { CORS_CREDENTIALS: ' ', NODE_ENV: 'production' } }).mode, 'disabled');
  });

  test('credentials with "*" from the environment is refused, naming the variable', () => {
    assert.deepEqual(codesOf({ env: { CORS_ALLOWED_ORIGINS: '*', CORS_CREDENTIALS: 'true' } }), [
      ['CORS_CREDENTIALS', 'credentials-with-any-origin'],
    ]);
  });

  test('invalid entries name the variable and index', () => {
    assert.deepEqual(
      codesOf({ env: { CORS_ALLOWED_ORIGINS: 'https://a.com,https://b.com/app', CORS_ALLOWED_HOSTS: '.com' } }),
      [
        ['CORS_ALLOWED_ORIGINS[1]', 'origin-path'],
        ['CORS_ALLOWED_HOSTS[0]', 'allowed-host-public-suffix'],
      ],
    );
    assert.deepEqual(codesOf({ env: { CORS_ALLOWED_ORIGINS: ',' } }), [['CORS_ALLOWED_ORIGINS', 'origin-empty-list']]);
    assert.deepEqual(codesOf({ env: { CORS_ALLOWED_HOSTS: ' , ' } }), [['CORS_ALLOWED_HOSTS', 'allowed-hosts-empty']]);
  });

  test('options other than origin still apply; an explicit credentials option wins', () => {
    const env = { CORS_ALLOWED_ORIGINS: 'https://a.com', CORS_CREDENTIALS: 'true' };
    assert.equal(createCorsPolicy({ env, credentials: false }).credentials, false);
    assert.equal(
      createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: 'https://a.com' }, credentials: true }).credentials,
      true,
    );
    assert.equal(createCorsPolicy({ env, maxAge: 5 }).maxAge, 5);
  });

  test('origin or allowedHosts in options: the environment is not read', () => {
    const env = { CORS_ALLOWED_ORIGINS: 'https://env.example.com', CORS_CREDENTIALS: 'not-a-boolean' };
    const fromOrigin = createCorsPolicy({ origin: 'https://a.com', env });
    assert.equal(fromOrigin.source, 'options');
    assert.deepEqual(fromOrigin.rules, ['https://a.com']);
    assert.equal(fromOrigin.credentials, false);
    const fromHosts = createCorsPolicy({ allowedHosts: 'a.com', env });
    assert.equal(fromHosts.source, 'options');
    assert.deepEqual(fromHosts.rules, ['allowedHosts: a.com']);
    assert.equal(reasonFor({ origin: 'https://a.com', env }, 'https://env.example.com'), 'origin-not-allowed');
  });

  test('env: process.env itself is accepted', () => {
    // process.env is not a plain object; it must still be usable as the `env` option.
    const policy = createCorsPolicy({ origin: 'https://a.com', env: process.env });
    assert.deepEqual(policy.rules, ['https://a.com']);
  });
});

describe('development default', () => {
  for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }, { NODE_ENV: 'Production' }]) {
    test(`NODE_ENV=${JSON.stringify(env.NODE_ENV)}: loopback origins on any port`, () => {
      const policy = createCorsPolicy({ env });
      assert.equal(policy.source, 'development-default');
      assert.equal(policy.mode, 'allow-list');
      assert.deepEqual(policy.rules, [...LOOPBACK_ORIGINS]);
      assert.equal(policy.exposeReason, true);
      for (const origin of [
        'http://localhost:5173',
        'http://localhost',
        'http://127.0.0.1:8080',
        'http://[::1]:3000',
        // vite --https, Capacitor 6 on Android: https loopback pages are loopback too.
        'https://localhost:5173',
        'https://localhost',
        'https://127.0.0.1:8443',
        'https://[::1]:5173',
      ]) {
        assert.equal(reasonFor({ env }, origin), 'allowed-pattern', origin);
      }
      for (const origin of [
        'https://example.com',
        'http://10.0.0.2:3000',
        'http://localhost.evil.com',
        'https://localhost.evil.com:5173',
        'https://127.0.0.2:5173',
        'capacitor://localhost',
      ]) {
        assert.equal(reasonFor({ env }, origin), 'origin-not-allowed', origin);
      }
    });
  }

  test('other options still apply', () => {
    const policy = createCorsPolicy({ env: {}, credentials: false, methods: ['GET'] });
    assert.equal(policy.source, 'development-default');
    assert.equal(policy.credentials, false);
    assert.deepEqual(policy.methods, ['GET']);
  });

  test('credentials are on by default for the loopback pages, unless another option rules them out', () => {
    assert.equal(createCorsPolicy({ env: {} }).credentials, true);
    assert.equal(createCorsPolicy({ env: { NODE_ENV: 'development' } }).credentials, true);
    assert.equal(createCorsPolicy({ env: { CORS_CREDENTIALS: 'false' } }).credentials, false);
    // Options that cannot go with credentials keep them off instead of failing the default.
    assert.equal(createCorsPolicy({ env: {}, allowNullOrigin: true }).credentials, false);
    assert.equal(createCorsPolicy({ env: {}, exposedHeaders: '*' }).credentials, false);
    assert.equal(createCorsPolicy({ env: {}, exposedHeaders: ['*'] }).credentials, false);
    assert.equal(createCorsPolicy({ env: { CORS_EXPOSED_HEADERS: '*' } }).credentials, false);
    // Production has no default origins, so nothing to send credentials to.
    assert.equal(createCorsPolicy({ env: { NODE_ENV: 'production' } }).credentials, false);
    // Explicit origins in code: credentials stay off unless asked for.
    assert.equal(createCorsPolicy({ env: {}, origin: 'http://localhost:5173' }).credentials, false);
  });
});

describe('production default', () => {
  test('nothing cross-origin, reason cors-disabled, one process warning', async () => {
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const env = { NODE_ENV: 'production' };
      const policy = createCorsPolicy({ env });
      assert.equal(policy.source, 'production-default');
      assert.equal(policy.mode, 'disabled');
      assert.deepEqual(policy.rules, []);
      assert.equal(policy.exposeReason, false);
      for (const origin of ['http://localhost:3000', 'https://example.com']) {
        assert.deepEqual(createOriginValidator(policy).check(origin), { allowed: false, reason: 'cors-disabled' });
      }
      // A second policy does not warn again.
      createCorsPolicy({ env, maxAge: 10 });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => w.code === 'CORS_SAFETY_NOT_CONFIGURED');
    assert.equal(ours.length, 1);
    assert.equal(ours[0]?.name, 'CorsSafetyWarning');
    assert.match(ours[0]?.message ?? '', /NODE_ENV=production/);
    assert.match(ours[0]?.message ?? '', /CORS_ALLOWED_ORIGINS/);
  });

  test('production with the environment configured', () => {
    const policy = createCorsPolicy({ env: { NODE_ENV: 'production', CORS_ALLOWED_ORIGINS: 'https://a.com' } });
    assert.equal(policy.source, 'environment');
    assert.equal(policy.mode, 'allow-list');
    assert.equal(policy.exposeReason, false);
  });

  test('production with explicit options', () => {
    const policy = createCorsPolicy({ origin: 'https://a.com', env: { NODE_ENV: 'production' } });
    assert.equal(policy.source, 'options');
    assert.equal(policy.exposeReason, false);
    assert.equal(
      createCorsPolicy({ origin: 'https://a.com', exposeReason: true, env: { NODE_ENV: 'production' } }).exposeReason,
      true,
    );
  });
});
