// The numbered rules of issue #2, each as a table of origins with the exact verdict expected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { format } from 'node:util';
import {
  CorsConfigError,
  LOOPBACK_ORIGINS,
  createCorsPolicy,
  createOriginValidator,
  isCorsPolicy,
  type CorsSafetyOptions,
  type OriginVerdict,
} from '../../src/index.js';
import { HostRules } from '../../src/policy/host-rules.js';
import { logOrigin, quoteForLog, warnOnce } from '../../src/shared/log.js';
import { decideOrigin, logVerdict } from '../../src/policy/origin-check.js';
import { compiledPolicy } from '../../src/policy/policy.js';
import { DENIED } from '../../src/policy/reasons.js';

/** No origin function: every check must answer synchronously. */
function checkSync(options: CorsSafetyOptions, origin: string | readonly string[] | undefined): OriginVerdict {
  const verdict = createOriginValidator({ env: {}, ...options }).check(origin);
  assert.ok(!(verdict instanceof Promise), 'a policy without an origin function answers synchronously');
  return verdict;
}

type Row = [origin: string, expected: string, rule?: string];

/** expected: a reason code; allowed rows also give the rule that matched. */
function runTable(name: string, options: CorsSafetyOptions, rows: readonly Row[]): void {
  describe(name, () => {
    const validator = createOriginValidator({ env: {}, ...options });
    for (const [origin, reason, rule] of rows) {
      test(`${JSON.stringify(origin)} -> ${reason}`, () => {
        const verdict = validator.check(origin);
        assert.ok(!(verdict instanceof Promise));
        assert.equal(verdict.reason, reason);
        if (reason.startsWith('allowed-')) {
          assert.deepEqual(verdict, { allowed: true, reason, origin, rule });
        } else {
          assert.equal(verdict.allowed, false);
        }
      });
    }
  });
}

describe('rule 1: exact origins, canonicalised at construction', () => {
  runTable(
    'exact list',
    {
      origin: [
        'https://APP.Example.com:443/',
        'http://localhost:3000',
        'http://[0:0::1]:8080',
        'https://bücher.example',
      ],
    },
    [
      ['https://app.example.com', 'allowed-exact', 'https://app.example.com'],
      ['http://localhost:3000', 'allowed-exact', 'http://localhost:3000'],
      ['http://[::1]:8080', 'allowed-exact', 'http://[::1]:8080'],
      ['https://xn--bcher-kva.example', 'allowed-exact', 'https://xn--bcher-kva.example'],
      // Never canonicalised at request time.
      ['https://APP.example.com', 'origin-malformed'],
      ['https://app.example.com:443', 'origin-malformed'],
      ['https://app.example.com/', 'origin-malformed'],
      ['https://bücher.example', 'origin-malformed'],
      ['http://[0:0::1]:8080', 'origin-malformed'],
      // Different origins.
      ['http://app.example.com', 'origin-not-allowed'],
      ['https://app.example.com:8443', 'origin-not-allowed'],
      ['https://app.example.com.', 'origin-not-allowed'],
      ['https://app.example.com.evil.net', 'origin-not-allowed'],
      ['https://evilapp.example.com', 'origin-not-allowed'],
      ['https://x.app.example.com', 'origin-not-allowed'],
      ['https://example.com', 'origin-not-allowed'],
      ['http://localhost:3001', 'origin-not-allowed'],
      ['http://localhost', 'origin-not-allowed'],
      ['http://127.0.0.1:3000', 'origin-not-allowed'],
      ['https://localhost:3000', 'origin-not-allowed'],
    ],
  );

  test('the policy lists its rules in canonical form', () => {
    const policy = createCorsPolicy({ origin: ['https://APP.Example.com:443/', 'http://[0:0::1]:8080'], env: {} });
    assert.deepEqual(policy.rules, ['https://app.example.com', 'http://[::1]:8080']);
    assert.equal(policy.mode, 'allow-list');
    assert.equal(policy.source, 'options');
  });

  test('a single string is one rule', () => {
    assert.equal(checkSync({ origin: 'https://a.example.com' }, 'https://a.example.com').reason, 'allowed-exact');
    assert.equal(checkSync({ origin: 'https://a.example.com' }, 'https://b.example.com').reason, 'origin-not-allowed');
  });
});

describe('rule 2: patterns', () => {
  runTable('https://*.example.com', { origin: 'https://*.example.com' }, [
    ['https://a.example.com', 'allowed-pattern', 'https://*.example.com'],
    ['https://a.b.example.com', 'allowed-pattern', 'https://*.example.com'],
    ['https://x-y.example.com', 'allowed-pattern', 'https://*.example.com'],
    ['https://example.com', 'origin-not-allowed'],
    ['https://evilexample.com', 'origin-not-allowed'],
    ['https://a.evilexample.com', 'origin-not-allowed'],
    ['https://a.example.com.evil.net', 'origin-not-allowed'],
    ['https://a.example.com.', 'origin-not-allowed'],
    ['https://example.com.evil.net', 'origin-not-allowed'],
    ['http://a.example.com', 'origin-not-allowed'],
    ['https://a.example.com:8443', 'origin-not-allowed'],
    ['https://a.example.org', 'origin-not-allowed'],
    ['https://.example.com', 'origin-malformed'],
    ['https://A.example.com', 'origin-malformed'],
  ]);

  runTable('http://localhost:* (any port)', { origin: 'http://localhost:*' }, [
    ['http://localhost', 'allowed-pattern', 'http://localhost:*'],
    ['http://localhost:1', 'allowed-pattern', 'http://localhost:*'],
    ['http://localhost:65535', 'allowed-pattern', 'http://localhost:*'],
    ['https://localhost:3000', 'origin-not-allowed'],
    ['http://a.localhost:3000', 'origin-not-allowed'],
    ['http://127.0.0.1:3000', 'origin-not-allowed'],
    ['http://localhost.evil.com:3000', 'origin-not-allowed'],
    ['http://localhost:0', 'origin-malformed'],
  ]);

  runTable('https://*.example.com:* (both)', { origin: 'https://*.example.com:*' }, [
    ['https://a.example.com', 'allowed-pattern', 'https://*.example.com:*'],
    ['https://a.example.com:8443', 'allowed-pattern', 'https://*.example.com:*'],
    ['https://a.b.example.com:1', 'allowed-pattern', 'https://*.example.com:*'],
    ['https://example.com:8443', 'origin-not-allowed'],
    ['http://a.example.com:8443', 'origin-not-allowed'],
  ]);

  runTable('a pattern with one port', { origin: ['https://*.example.com:8443', 'http://*.dev.example.com'] }, [
    ['https://a.example.com:8443', 'allowed-pattern', 'https://*.example.com:8443'],
    ['https://a.example.com', 'origin-not-allowed'],
    ['http://a.dev.example.com', 'allowed-pattern', 'http://*.dev.example.com'],
    ['http://dev.example.com', 'origin-not-allowed'],
  ]);

  runTable(
    'nested patterns report the most specific rule first',
    { origin: ['https://*.example.com', 'https://*.a.example.com:*'] },
    [
      ['https://x.a.example.com', 'allowed-pattern', 'https://*.a.example.com:*'],
      ['https://x.a.example.com:444', 'allowed-pattern', 'https://*.a.example.com:*'],
      ['https://a.example.com', 'allowed-pattern', 'https://*.example.com'],
    ],
  );

  runTable('an exact origin wins over a pattern', { origin: ['https://*.example.com', 'https://app.example.com'] }, [
    ['https://app.example.com', 'allowed-exact', 'https://app.example.com'],
    ['https://api.example.com', 'allowed-pattern', 'https://*.example.com'],
  ]);

  test('patterns over a public suffix are refused', () => {
    for (const origin of ['https://*.com', 'https://*.co.uk', 'https://*.github.io']) {
      assert.throws(
        () => createCorsPolicy({ origin, env: {} }),
        (err: unknown) => {
          assert.ok(err instanceof CorsConfigError);
          assert.equal(err.issues[0]?.code, 'origin-wildcard-public-suffix');
          return true;
        },
      );
    }
  });
});

describe('rule 3: allowedHosts fallback', () => {
  runTable(
    'example.com, .example.org, *.example.net, localhost:*, host:8443',
    {
      origin: 'https://app.example.io',
      allowedHosts: [
        'example.com',
        '.example.org',
        '*.example.net',
        'localhost:*',
        'api.example.io:8443',
        'Bücher.example',
      ],
    },
    [
      ['https://app.example.io', 'allowed-exact', 'https://app.example.io'],
      ['https://example.com', 'allowed-host', 'allowedHosts: example.com'],
      ['https://www.example.com', 'origin-not-allowed'],
      ['https://example.com:8443', 'origin-not-allowed'],
      ['http://example.com', 'origin-not-allowed'],
      ['https://example.com.evil.net', 'origin-not-allowed'],
      ['https://evilexample.com', 'origin-not-allowed'],
      ['https://example.org', 'allowed-host', 'allowedHosts: .example.org'],
      ['https://a.example.org', 'allowed-host', 'allowedHosts: .example.org'],
      ['https://a.b.example.org', 'allowed-host', 'allowedHosts: .example.org'],
      ['http://a.example.org', 'origin-not-allowed'],
      ['https://a.example.org:444', 'origin-not-allowed'],
      ['https://evilexample.org', 'origin-not-allowed'],
      ['https://example.net', 'origin-not-allowed'],
      ['https://a.example.net', 'allowed-host', 'allowedHosts: *.example.net'],
      ['https://api.example.io:8443', 'allowed-host', 'allowedHosts: api.example.io:8443'],
      ['https://api.example.io', 'origin-not-allowed'],
      ['https://xn--bcher-kva.example', 'allowed-host', 'allowedHosts: Bücher.example'],
      // Loopback hosts may also be http.
      ['http://localhost', 'allowed-host', 'allowedHosts: localhost:*'],
      ['http://localhost:5173', 'allowed-host', 'allowedHosts: localhost:*'],
      ['https://localhost:5173', 'allowed-host', 'allowedHosts: localhost:*'],
      ['http://127.0.0.1:5173', 'origin-not-allowed'],
      ['http://a.localhost:5173', 'origin-not-allowed'],
    ],
  );

  runTable(
    'loopback addresses; http only for the loopback names themselves',
    {
      allowedHosts: ['127.0.0.1', '[::1]:8080', '.localhost'],
    },
    [
      ['http://127.0.0.1', 'allowed-host', 'allowedHosts: 127.0.0.1'],
      ['https://127.0.0.1', 'allowed-host', 'allowedHosts: 127.0.0.1'],
      ['http://127.0.0.1:8080', 'origin-not-allowed'],
      ['http://127.1', 'origin-malformed'],
      ['http://[::1]:8080', 'allowed-host', 'allowedHosts: [::1]:8080'],
      ['http://[::1]', 'origin-not-allowed'],
      ['http://localhost', 'allowed-host', 'allowedHosts: .localhost'],
      ['https://app.localhost', 'allowed-host', 'allowedHosts: .localhost'],
      // Safer reading of the spec: "app.localhost" is not one of the three loopback hosts.
      ['http://app.localhost', 'origin-not-allowed'],
    ],
  );

  runTable('allowedHosts as a single string', { allowedHosts: 'example.com:*' }, [
    ['https://example.com:1234', 'allowed-host', 'allowedHosts: example.com:*'],
    ['https://example.com', 'allowed-host', 'allowedHosts: example.com:*'],
    ['http://example.com:1234', 'origin-not-allowed'],
  ]);

  test('origin rules are tried before allowedHosts', () => {
    const verdict = checkSync(
      { origin: 'https://*.example.com', allowedHosts: '.example.com' },
      'https://a.example.com',
    );
    assert.equal(verdict.reason, 'allowed-pattern');
  });
});

describe('rule 4: RegExp entries', () => {
  runTable(
    'anchored RegExps',
    { origin: [/^https:\/\/(?:app|api)\.example\.com$/, /^https:\/\/[a-z]+\.example\.org$/i] },
    [
      ['https://app.example.com', 'allowed-regexp', '/^https:\\/\\/(?:app|api)\\.example\\.com$/'],
      ['https://api.example.com', 'allowed-regexp', '/^https:\\/\\/(?:app|api)\\.example\\.com$/'],
      ['https://web.example.org', 'allowed-regexp', '/^https:\\/\\/[a-z]+\\.example\\.org$/i'],
      ['https://app.example.com.evil.net', 'origin-not-allowed'],
      ['https://evil.app.example.com', 'origin-not-allowed'],
      // The RegExp only ever sees well-formed origins.
      ['https://APP.example.com', 'origin-malformed'],
      ['https://app.example.com/x', 'origin-malformed'],
    ],
  );

  test("the compiled RegExp is a private copy: changing the caller's RegExp has no effect", () => {
    const re = /^https:\/\/a\.example\.com$/;
    const validator = createOriginValidator({ origin: [re], env: {} });
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the point: the RegExp changes after construction
    re.compile('^https://evil\\.com$');
    assert.equal((validator.check('https://a.example.com') as OriginVerdict).allowed, true);
    assert.equal((validator.check('https://evil.com') as OriginVerdict).allowed, false);
  });

  test('unanchored, alternation and stateful RegExps are refused', () => {
    const cases: [RegExp, string][] = [
      [/example\.com$/, 'regexp-unanchored'],
      [/^https:\/\/example\.com/, 'regexp-unanchored'],
      [/^https:\/\/example\.com\$/, 'regexp-unanchored'],
      [/^https:\/\/(example\.com$)/, 'regexp-unanchored'],
      [/^https:\/\/a\.com|https:\/\/b\.com$/, 'regexp-unanchored-alternation'],
      [/^https:\/\/a\.com$|^https:\/\/b\.com$/, 'regexp-unanchored-alternation'],
      [/^https:\/\/a\.com$/g, 'regexp-stateful-flag'],
      [/^https:\/\/a\.com$/y, 'regexp-stateful-flag'],
    ];
    for (const [re, code] of cases) {
      assert.throws(
        () => createCorsPolicy({ origin: re, env: {} }),
        (err: unknown) => {
          assert.ok(err instanceof CorsConfigError);
          assert.deepEqual(
            err.issues.map((i) => i.code),
            [code],
            String(re),
          );
          return true;
        },
      );
    }
  });

  test('groups, classes and escapes do not count as top-level alternation', () => {
    for (const re of [
      /^https:\/\/(a|b)\.com$/,
      /^https:\/\/[|a]\.com$/,
      /^https:\/\/a\|b\.com$/,
      /^https:\/\/[\]|]\.com$/,
      /^https:\/\/a\\$/,
    ]) {
      assert.doesNotThrow(() => createCorsPolicy({ origin: re, env: {} }), String(re));
    }
  });
});

describe('rule 5: an origin function (see origin-function.test.ts for the details)', () => {
  test('only true allows', async () => {
    const seen: string[] = [];
    const validator = createOriginValidator({
      origin: (origin: string) => {
        seen.push(origin);
        return origin === 'https://ok.example.com';
      },
      env: {},
    });
    assert.equal(validator.policy.hasOriginFunction, true);
    assert.deepEqual(await validator.check('https://ok.example.com'), {
      allowed: true,
      reason: 'allowed-function',
      origin: 'https://ok.example.com',
      rule: 'function origin',
    });
    assert.equal((await validator.check('https://no.example.com')).reason, 'origin-not-allowed');
    // The function never sees malformed, null or multiple origins.
    assert.equal((await validator.check('https://OK.example.com')).reason, 'origin-malformed');
    assert.equal((await validator.check('null')).reason, 'origin-null');
    assert.equal((await validator.check('https://a.com, https://b.com')).reason, 'origin-multiple');
    assert.deepEqual(seen, ['https://ok.example.com', 'https://no.example.com']);
  });
});

describe('rule 6: request-time checks', () => {
  const options: CorsSafetyOptions = { origin: ['https://app.example.com', 'https://*.example.org'] };

  test('missing Origin', () => {
    assert.equal(checkSync(options, undefined), DENIED.missing);
    assert.equal(checkSync(options, []), DENIED.missing);
  });

  test('two Origin headers', () => {
    assert.equal(checkSync(options, 'https://app.example.com, https://app.example.com').reason, 'origin-multiple');
    assert.equal(checkSync(options, 'https://evil.com, https://app.example.com').reason, 'origin-multiple');
    assert.equal(checkSync(options, 'https://app.example.com,https://a.example.org').reason, 'origin-multiple');
    assert.equal(checkSync(options, ['https://app.example.com', 'https://app.example.com']).reason, 'origin-multiple');
  });

  test('an array with one value is that value', () => {
    assert.equal(checkSync(options, ['https://app.example.com']).reason, 'allowed-exact');
    assert.equal(checkSync(options, [42 as unknown as string]).reason, 'origin-multiple');
  });

  test('over 2048 characters', () => {
    const long = `https://${'a'.repeat(2041)}`;
    assert.equal(long.length, 2049);
    assert.equal(checkSync(options, long), DENIED.tooLong);
    assert.equal(checkSync(options, `https://app.example.com${' '.repeat(3000)}`).reason, 'origin-too-long');
  });

  test('denials of malformed input carry no origin', () => {
    for (const raw of [
      'https://app.example.com\r\n',
      'https://app.example.com\0',
      'https://app.example.com\t',
      'https://app.example.com/',
      ' https://app.example.com',
      'https://App.example.com',
      'https://app.example.com:443',
      'javascript:alert(1)',
      'NULL',
      '',
    ]) {
      const verdict = checkSync(options, raw);
      assert.deepEqual(verdict, { allowed: false, reason: 'origin-malformed' }, JSON.stringify(raw));
    }
  });

  test('null is denied unless allowNullOrigin', () => {
    assert.equal(checkSync(options, 'null'), DENIED.null);
    assert.deepEqual(checkSync({ ...options, allowNullOrigin: true }, 'null'), {
      allowed: true,
      reason: 'allowed-null',
      origin: 'null',
      rule: 'allowNullOrigin',
    });
    assert.equal(checkSync({ origin: false, allowNullOrigin: true }, 'null').reason, 'origin-null');
  });

  test('denied well-formed origins are reported', () => {
    assert.deepEqual(checkSync(options, 'https://evil.example.com'), {
      allowed: false,
      reason: 'origin-not-allowed',
      origin: 'https://evil.example.com',
    });
  });
});

describe('rule 7: credentials with any origin', () => {
  test('"*" is public, true reflects; neither with credentials', () => {
    assert.deepEqual(checkSync({ origin: '*' }, 'https://any.example'), {
      allowed: true,
      reason: 'allowed-any',
      origin: 'https://any.example',
      rule: '*',
    });
    assert.deepEqual(checkSync({ origin: true }, 'https://any.example'), {
      allowed: true,
      reason: 'allowed-any',
      origin: 'https://any.example',
      rule: 'any origin (reflected)',
    });
    assert.equal(checkSync({ origin: '*' }, 'https://ANY.example').reason, 'origin-malformed');
    assert.equal(createCorsPolicy({ origin: '*', env: {} }).mode, 'public');
    assert.equal(createCorsPolicy({ origin: true, env: {} }).mode, 'reflect-any');
    for (const origin of ['*', true] as const) {
      assert.throws(() => createCorsPolicy({ origin, credentials: true, env: {} }), /credentials-with-any-origin/);
    }
  });

  test('the dangerous option turns it into reflection', () => {
    for (const origin of ['*', true] as const) {
      const policy = createCorsPolicy({
        origin,
        credentials: true,
        dangerouslyAllowAnyOriginWithCredentials: true,
        env: {},
      });
      assert.equal(policy.mode, 'reflect-any');
      assert.equal(policy.credentials, true);
      assert.equal((createOriginValidator(policy).check('https://x.example') as OriginVerdict).reason, 'allowed-any');
    }
  });

  test('the dangerous option alone is an error', () => {
    for (const options of [
      { origin: '*', dangerouslyAllowAnyOriginWithCredentials: true },
      { origin: 'https://a.com', credentials: true, dangerouslyAllowAnyOriginWithCredentials: true },
    ] as CorsSafetyOptions[]) {
      assert.throws(
        () => createCorsPolicy({ ...options, env: {} }),
        (err: unknown) => {
          assert.ok(err instanceof CorsConfigError);
          assert.deepEqual(
            err.issues.map((i) => i.code),
            ['dangerous-option-unused'],
          );
          return true;
        },
      );
    }
  });

  test('origin: false disables cross-origin access', () => {
    const policy = createCorsPolicy({ origin: false, env: {} });
    assert.equal(policy.mode, 'disabled');
    assert.deepEqual(policy.rules, []);
    assert.equal(checkSync({ origin: false }, 'https://a.com'), DENIED.disabled);
    assert.equal(checkSync({ origin: false }, 'https://A.com'), DENIED.malformed);
  });
});

describe('rule 8: localhost', () => {
  test('LOOPBACK_ORIGINS lists the three loopback hosts on any port, over http and https', () => {
    assert.deepEqual(
      [...LOOPBACK_ORIGINS],
      [
        'http://localhost:*',
        'http://127.0.0.1:*',
        'http://[::1]:*',
        'https://localhost:*',
        'https://127.0.0.1:*',
        'https://[::1]:*',
      ],
    );
    assert.ok(Object.isFrozen(LOOPBACK_ORIGINS));
  });

  runTable('localhost, 127.0.0.1 and [::1] are distinct origins', { origin: ['http://localhost:3000'] }, [
    ['http://localhost:3000', 'allowed-exact', 'http://localhost:3000'],
    ['http://127.0.0.1:3000', 'origin-not-allowed'],
    ['http://[::1]:3000', 'origin-not-allowed'],
  ]);

  runTable('...LOOPBACK_ORIGINS', { origin: [...LOOPBACK_ORIGINS, 'https://app.example.com'] }, [
    ['http://localhost:5173', 'allowed-pattern', 'http://localhost:*'],
    ['http://127.0.0.1:8080', 'allowed-pattern', 'http://127.0.0.1:*'],
    ['http://[::1]:8080', 'allowed-pattern', 'http://[::1]:*'],
    ['http://127.0.0.2:8080', 'origin-not-allowed'],
    ['http://[::2]:8080', 'origin-not-allowed'],
    ['https://localhost:5173', 'allowed-pattern', 'https://localhost:*'],
    ['https://127.0.0.1', 'allowed-pattern', 'https://127.0.0.1:*'],
    ['https://[::1]:8443', 'allowed-pattern', 'https://[::1]:*'],
    ['https://127.0.0.2:8443', 'origin-not-allowed'],
    ['http://127.1:8080', 'origin-malformed'],
    ['http://2130706433:8080', 'origin-malformed'],
    ['http://[0:0::1]:8080', 'origin-malformed'],
    ['http://[::ffff:127.0.0.1]:8080', 'origin-malformed'],
    ['http://localhost.:5173', 'origin-not-allowed'],
  ]);
});

describe('policies', () => {
  test('a policy is frozen, reusable and recognised', () => {
    const policy = createCorsPolicy({ origin: 'https://a.com', env: {} });
    assert.ok(Object.isFrozen(policy));
    assert.ok(Object.isFrozen(policy.rules));
    assert.equal(isCorsPolicy(policy), true);
    assert.equal(isCorsPolicy({ ...policy }), false);
    assert.equal(isCorsPolicy(null), false);
    assert.equal(isCorsPolicy('policy'), false);
    assert.equal(createCorsPolicy(policy), policy);
    assert.equal(createOriginValidator(policy).policy, policy);
    assert.throws(() => compiledPolicy({ ...policy }), /not a policy made by createCorsPolicy/);
    assert.ok(Object.isFrozen(compiledPolicy(policy)));
  });

  test('the validator is frozen and its check function is named', () => {
    const validator = createOriginValidator({ origin: 'https://a.com', env: {} });
    assert.ok(Object.isFrozen(validator));
    assert.equal(validator.check.name, 'checkOrigin');
  });

  test('decideOrigin reuses frozen denial verdicts', () => {
    const compiled = compiledPolicy(createCorsPolicy({ origin: 'https://a.com', env: {} }));
    assert.equal(decideOrigin(compiled, 'https://A.com'), decideOrigin(compiled, 'ftp://x'));
    assert.ok(Object.isFrozen(DENIED.malformed));
  });

  test('policy summary fields', () => {
    const policy = createCorsPolicy({
      origin: ['https://a.com', 'https://*.b.com:8443', 'http://c.com:*', /^https:\/\/d\.com$/],
      allowedHosts: ['.e.com'],
      credentials: true,
      methods: 'get, PURGE, PATCH',
      allowedHeaders: ['X-Trace-Id'],
      exposedHeaders: 'X-Request-Id, ETag',
      maxAge: 0,
      preflightContinue: true,
      optionsSuccessStatus: 200,
      originCheckTimeout: 50,
      exposeReason: false,
      env: {},
    });
    assert.deepEqual(policy.rules, [
      'https://a.com',
      'https://*.b.com:8443',
      'http://c.com:*',
      '/^https:\\/\\/d\\.com$/',
      'allowedHosts: .e.com',
    ]);
    // Fetch §2.2.1 upper-cases GET in the browser, never PATCH: only the former is normalised.
    assert.deepEqual(policy.methods, ['GET', 'PURGE', 'PATCH']);
    assert.deepEqual(policy.allowedHeaders, ['x-trace-id']);
    assert.deepEqual(policy.exposedHeaders, ['X-Request-Id', 'ETag']);
    assert.equal(policy.credentials, true);
    assert.equal(policy.maxAge, 0);
    assert.equal(policy.preflightContinue, true);
    assert.equal(policy.optionsSuccessStatus, 200);
    assert.equal(policy.originCheckTimeout, 50);
    assert.equal(policy.exposeReason, false);
    assert.equal(policy.hasOriginFunction, false);
    const compiled = compiledPolicy(policy);
    assert.equal(compiled.methodsHeader, 'GET, PURGE, PATCH');
    assert.equal(compiled.allowedHeadersHeader, 'x-trace-id');
    assert.deepEqual([...(compiled.allowedHeaders ?? [])], ['x-trace-id']);
    assert.equal(compiled.exposedHeadersHeader, 'X-Request-Id, ETag');
    assert.equal(compiled.maxAgeHeader, '0');
  });

  test('defaults', () => {
    const policy = createCorsPolicy({ origin: 'https://a.com', env: {} });
    assert.deepEqual(policy.methods, ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']);
    assert.deepEqual(policy.allowedHeaders, [
      'accept',
      'accept-language',
      'authorization',
      'content-language',
      'content-type',
      'x-requested-with',
    ]);
    assert.deepEqual(policy.exposedHeaders, []);
    assert.equal(policy.credentials, false);
    assert.equal(policy.maxAge, 600);
    assert.equal(policy.optionsSuccessStatus, 204);
    assert.equal(policy.originCheckTimeout, 2000);
    assert.equal(policy.allowNullOrigin, false);
    assert.equal(policy.preflightContinue, false);
    assert.equal(policy.exposeReason, true);
    const compiled = compiledPolicy(policy);
    assert.equal(compiled.maxAgeHeader, '600');
    assert.equal(compiled.exposedHeadersHeader, undefined);
  });

  test('"*" header lists', () => {
    const policy = createCorsPolicy({ origin: 'https://a.com', allowedHeaders: '*', exposedHeaders: ['*'], env: {} });
    assert.equal(policy.allowedHeaders, '*');
    assert.deepEqual(policy.exposedHeaders, ['*']);
    const compiled = compiledPolicy(policy);
    assert.equal(compiled.allowedHeaders, undefined);
    assert.equal(compiled.allowedHeadersHeader, '');
    assert.equal(compiled.exposedHeadersHeader, '*');
  });

  test('an anonymous origin function is named in the rules', () => {
    const fns = [(): boolean => true];
    assert.deepEqual(createCorsPolicy({ origin: fns[0], env: {} }).rules, ['function (anonymous)']);
  });

  test('duplicate rules keep the first rule text', () => {
    const rules = new HostRules();
    rules.addHost('https', 'a.com', 443, 'first');
    rules.addHost('https', 'a.com', 443, 'second');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 443 }), 'first');
    const subs = new HostRules();
    subs.addSubdomains('http', 'a.com', '*', 'subs');
    assert.equal(subs.match({ scheme: 'http', host: 'x.a.com', port: 1 }), 'subs');
    assert.equal(subs.match({ scheme: 'https', host: 'x.a.com', port: 1 }), undefined);
    assert.equal(subs.match({ scheme: 'http', host: '[::1]', port: 1 }), undefined);
  });
});

describe('logging', () => {
  test('logVerdict writes one quoted line per verdict when enabled', () => {
    const lines: string[] = [];
    const saved = { enabled: logOrigin.enabled, log: logOrigin.log };
    logOrigin.enabled = true;
    logOrigin.log = (...args: unknown[]) => lines.push(format(...args));
    try {
      const validator = createOriginValidator({ origin: 'https://a.com', env: {} });
      void validator.check('https://a.com');
      void validator.check('https://b.com');
      void validator.check('https://a.com\r\nSet-Cookie: x=1');
      void validator.check(undefined);
      logVerdict(
        { allowed: false, reason: 'origin-check-failed', origin: 'https://c.com', detail: 'Error: boom' },
        'https://c.com',
        'test',
      );
    } finally {
      logOrigin.enabled = saved.enabled;
      logOrigin.log = saved.log;
    }
    assert.equal(lines.length, 5);
    assert.match(lines[0] ?? '', /validator: allowed https:\/\/a\.com \(allowed-exact, rule https:\/\/a\.com\)/);
    assert.match(lines[1] ?? '', /validator: denied https:\/\/b\.com \(origin-not-allowed\)$/);
    assert.match(lines[2] ?? '', /validator: denied "https:\/\/a\.com\\r\\nSet-Cookie: x=1" \(origin-malformed\)/);
    assert.ok(!lines.join('').includes('\r\n'), 'raw CR/LF never reaches the log');
    assert.match(lines[3] ?? '', /validator: denied \(no Origin\) \(origin-missing\)/);
    assert.match(lines[4] ?? '', /test: denied https:\/\/c\.com \(origin-check-failed\): Error: boom/);
  });

  test('logVerdict does nothing when the namespace is off', () => {
    const saved = { enabled: logOrigin.enabled, log: logOrigin.log };
    let calls = 0;
    logOrigin.enabled = false;
    logOrigin.log = () => calls++;
    try {
      logVerdict(DENIED.malformed, 'x', 'test');
    } finally {
      logOrigin.enabled = saved.enabled;
      logOrigin.log = saved.log;
    }
    assert.equal(calls, 0);
  });

  test('quoteForLog escapes, caps and never throws', () => {
    assert.equal(quoteForLog('a\r\nb'), '"a\\r\\nb"');
    assert.equal(quoteForLog('x'.repeat(100), 5), '"xxxxx..."');
    assert.equal(quoteForLog(42), '"42"');
    assert.equal(quoteForLog(Object.create(null)), '"[object]"');
  });

  test('warnOnce emits one process warning per code', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      warnOnce('CORS_SAFETY_TEST_CODE', 'first');
      warnOnce('CORS_SAFETY_TEST_CODE', 'second');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'CORS_SAFETY_TEST_CODE');
    assert.equal(ours.length, 1);
    assert.equal(ours[0]?.message, 'first');
    assert.equal(ours[0]?.name, 'CorsSafetyWarning');
  });
});
