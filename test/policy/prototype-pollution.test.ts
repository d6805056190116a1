// A polluted Object.prototype (a vulnerable dependency ran `obj[key][sub] = value` with
// key "__proto__") must not change any policy: options and the environment are read as own
// properties only. Each test pollutes, builds, and cleans up in `finally`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import {
  CorsConfigError,
  corsErrorHandler,
  createCorsPolicy,
  createOriginValidator,
  createVerifyClient,
  upgradeGuard,
  type OriginVerdict,
} from '../../src/index.js';
import { readGuardOptions } from '../../src/websocket/upgrade-options.js';
import { IssueCollector } from '../../src/policy/errors.js';
import { TRUST_NO_PROXY } from '../../src/websocket/proxy-trust.js';

const proto = Object.prototype as Record<string, unknown>;

/** Runs `body` with `pollution` set on Object.prototype, and always removes it afterwards. */
function withPollution<T>(pollution: Record<string, unknown>, body: () => T): T {
  for (const [key, value] of Object.entries(pollution)) {
    Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
  }
  try {
    return body();
  } finally {
    for (const key of Object.keys(pollution)) delete proto[key];
  }
}

function summary(policy: ReturnType<typeof createCorsPolicy>): unknown {
  return { ...policy, rules: [...policy.rules], methods: [...policy.methods] };
}

const EVIL = 'https://evil.example';

describe('prototype pollution changes nothing', () => {
  test('origin, credentials and the dangerous option on Object.prototype do not open createCorsPolicy({})', () => {
    const env = { NODE_ENV: 'development' };
    const clean = summary(createCorsPolicy({ env }));
    const polluted = withPollution(
      { origin: true, credentials: true, dangerouslyAllowAnyOriginWithCredentials: true },
      () => {
        const policy = createCorsPolicy({ env });
        const verdict = createOriginValidator(policy).check(EVIL) as OriginVerdict;
        assert.equal(verdict.allowed, false);
        return summary(policy);
      },
    );
    assert.deepEqual(polluted, clean);
  });

  test('every option name polluted at once: the built policy equals the clean one', () => {
    const options = { origin: 'https://app.example.com' };
    const clean = summary(createCorsPolicy(options));
    const polluted = withPollution(
      {
        allowedHosts: ['.evil.example'],
        credentials: true,
        methods: ['DELETE'],
        allowedHeaders: '*',
        exposedHeaders: ['x-secret'],
        maxAge: 86400,
        preflightContinue: true,
        optionsSuccessStatus: 200,
        allowNullOrigin: true,
        originCheckTimeout: 1,
        exposeReason: false,
        allowPrivateNetwork: true,
        env: { CORS_ALLOWED_ORIGINS: EVIL },
      },
      () => summary(createCorsPolicy(options)),
    );
    assert.deepEqual(polluted, clean);
  });

  test('polluted allowedHosts does not allow a host', () => {
    const verdict = withPollution(
      { allowedHosts: ['evil.example'] },
      () => createOriginValidator({ origin: 'https://app.example.com' }).check(EVIL) as OriginVerdict,
    );
    assert.equal(verdict.reason, 'origin-not-allowed');
  });

  test('environment variables on Object.prototype are not read, from process.env or an env option', () => {
    const names = { CORS_ALLOWED_ORIGINS: EVIL, CORS_ALLOWED_HOSTS: 'evil.example', CORS_CREDENTIALS: 'true' };
    const saved = Object.fromEntries(Object.keys(names).map((k) => [k, process.env[k]]));
    for (const k of Object.keys(names)) delete process.env[k];
    try {
      const cleanProcess = summary(createCorsPolicy());
      const cleanOption = summary(createCorsPolicy({ env: { NODE_ENV: 'production' } }));
      withPollution({ ...names, NODE_ENV: 'development' }, () => {
        assert.deepEqual(summary(createCorsPolicy()), cleanProcess);
        const production = createCorsPolicy({ env: { NODE_ENV: 'production' } });
        assert.deepEqual(summary(production), cleanOption);
        assert.equal(production.source, 'production-default');
        assert.equal(production.mode, 'disabled');
      });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });

  test('polluted headers/method/socket do not make an options object look like a request', () => {
    const policy = withPollution({ headers: {}, method: 'GET', socket: {} }, () =>
      createCorsPolicy({ origin: 'https://app.example.com' }),
    );
    assert.deepEqual(policy.rules, ['https://app.example.com']);
  });

  test('corsErrorHandler: polluted format and log are ignored', () => {
    withPollution({ format: 'not-a-format', log: 'not-a-function' }, () => {
      assert.doesNotThrow(() => corsErrorHandler({ origin: 'https://app.example.com' }));
    });
  });

  test('upgradeGuard and createVerifyClient: polluted guard options are ignored', () => {
    const issues = new IssueCollector();
    const config = withPollution(
      { requireOrigin: true, trustProxy: true, writeTimeout: 1, paths: ['/x'], onReject: () => undefined },
      () => {
        const wss = new WebSocketServer({ noServer: true });
        try {
          assert.doesNotThrow(() => upgradeGuard({ origin: 'https://app.example.com' }, () => undefined, {}));
          assert.doesNotThrow(() => createVerifyClient({ origin: 'https://app.example.com' }, {}));
        } finally {
          wss.close();
        }
        return readGuardOptions({}, 'upgradeGuard', issues);
      },
    );
    assert.equal(issues.count, 0);
    assert.equal(config.requireOrigin, false);
    assert.equal(config.trustProxy, TRUST_NO_PROXY);
    assert.equal(config.paths, undefined);
    assert.equal(config.onReject, undefined);
    assert.notEqual(config.writeTimeout, 1);
  });

  test('a polluted prototype does not hide configuration errors either', () => {
    withPollution({ origin: 'https://app.example.com' }, () => {
      assert.throws(() => createCorsPolicy({ credentials: 'yes' as unknown as boolean }), CorsConfigError);
    });
  });
});
