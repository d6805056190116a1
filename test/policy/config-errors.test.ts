// Every configuration error code, reported all at once, each message naming the fix.
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import {
  CorsConfigError,
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  createVerifyClient,
  upgradeGuard,
  type CorsConfigIssue,
  type CorsSafetyOptions,
} from '../../src/index.js';
import { IssueCollector } from '../../src/policy/errors.js';
import { OPTION_NAMES, suggestOptionName } from '../../src/policy/options.js';
import { editDistance } from '../../src/shared/did-you-mean.js';

/** Builds a policy that must fail and returns its issues. */
function issuesOf(options: unknown): readonly CorsConfigIssue[] {
  try {
    createCorsPolicy(options as CorsSafetyOptions);
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, `expected CorsConfigError, got ${String(err)}`);
    assert.ok(err.issues.length > 0);
    return err.issues;
  }
  assert.fail(`expected a CorsConfigError for ${JSON.stringify(options)}`);
}

/** Asserts exactly one issue with this path and code, whose message includes each fragment. */
function expectIssue(options: unknown, path: string, code: string, ...fragments: string[]): void {
  const issues = issuesOf(options);
  assert.deepEqual(
    issues.map((i) => [i.path, i.code]),
    [[path, code]],
    JSON.stringify(issues),
  );
  for (const fragment of fragments)
    assert.ok(issues[0]?.message.includes(fragment), `${issues[0]?.message} should include ${fragment}`);
}

const base = { env: {} } as const;

describe('CorsConfigError', () => {
  test('lists every problem at once, in option order', () => {
    let caught: unknown;
    try {
      createCorsPolicy({
        origin: ['https://a.com/path', 'ftp://b.com', 'https://ok.com', 'https://*.com'],
        allowedHosts: ['https://example.com'],
        credentials: 'yes' as unknown as boolean,
        maxAge: -1,
        methods: ['GET', ''],
        orgin: 'x',
        env: {},
      } as CorsSafetyOptions);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof CorsConfigError);
    assert.ok(caught instanceof Error);
    assert.equal(caught.name, 'CorsConfigError');
    assert.deepEqual(
      caught.issues.map((i) => [i.path, i.code]),
      [
        ['orgin', 'unknown-option'],
        ['origin[0]', 'origin-path'],
        ['origin[1]', 'origin-unsupported-scheme'],
        ['origin[3]', 'origin-wildcard-public-suffix'],
        ['allowedHosts[0]', 'allowed-host-has-scheme'],
        ['credentials', 'not-boolean'],
        ['maxAge', 'out-of-range'],
        ['methods[1]', 'not-a-token'],
      ],
    );
    assert.ok(caught.message.startsWith('cors-safety: invalid configuration (8 problems):\n'));
    assert.equal(caught.message.split('\n').length, 9);
    assert.ok(
      caught.message.includes('  - origin[0]: "https://a.com/path" has a path; write "https://a.com" [origin-path]'),
    );
    assert.ok(Object.isFrozen(caught.issues));
  });

  test('one problem is singular', () => {
    assert.throws(() => createCorsPolicy({ origin: 'https://a.com/x', env: {} }), /\(1 problem\):/);
  });

  test('IssueCollector counts and throws only when there are issues', () => {
    const issues = new IssueCollector();
    assert.equal(issues.count, 0);
    issues.throwIfAny();
    issues.add('p', 'c', 'm');
    assert.equal(issues.count, 1);
    assert.throws(() => issues.throwIfAny(), CorsConfigError);
  });
});

describe('options object', () => {
  test('a request passed as options: "without being called"', () => {
    const req = new IncomingMessage(new Socket());
    expectIssue(req, '(options)', 'options-type', 'without being called', 'app.use(corsSafety())');
    expectIssue({ headers: {}, method: 'GET', socket: {} }, '(options)', 'options-type', 'without being called');
  });

  test('other non-objects', () => {
    expectIssue('https://a.com', '(options)', 'options-type', 'plain object', '"https://a.com"');
    expectIssue(['https://a.com'], '(options)', 'options-type', 'an array');
    expectIssue(null, '(options)', 'options-type', 'got null');
    expectIssue(42, '(options)', 'options-type', 'number 42');
    // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a class instance, not a plain object
    expectIssue(new (class Options {})(), '(options)', 'options-type', 'an object');
    expectIssue(() => true, '(options)', 'options-type', 'function');
  });

  test('a null-prototype object is accepted', () => {
    const options = Object.assign(Object.create(null) as object, { origin: 'https://a.com', env: {} });
    assert.deepEqual(createCorsPolicy(options).rules, ['https://a.com']);
  });

  test('unknown options suggest the close spelling', () => {
    expectIssue(
      { ...base, origin: 'https://a.com', credential: true },
      'credential',
      'unknown-option',
      'did you mean "credentials"?',
    );
    expectIssue({ ...base, origin: 'https://a.com', maxage: 5 }, 'maxage', 'unknown-option', 'did you mean "maxAge"?');
    expectIssue({ ...base, origins: ['https://a.com'] }, 'origins', 'unknown-option', 'did you mean "origin"?');
    expectIssue(
      { ...base, origin: 'https://a.com', allowCredentials: true },
      'allowCredentials',
      'unknown-option',
      'did you mean "credentials"?',
    );
    // Nothing close: the message lists every option, so following it never drops what the key held.
    const listed = 'the options are origin, allowedHosts, credentials, methods, allowedHeaders, headers,';
    expectIssue({ ...base, origin: 'https://a.com', somethingElse: 1 }, 'somethingElse', 'unknown-option', listed);
    // Object.prototype members are not aliases.
    expectIssue({ ...base, origin: 'https://a.com', toString: 1 }, 'toString', 'unknown-option', listed);
    expectIssue({ ...base, origin: 'https://a.com', constructor: 1 }, 'constructor', 'unknown-option', listed);
  });

  test('headers is the cors alias of allowedHeaders; both with different lists is an error', () => {
    const viaAlias = createCorsPolicy({ ...base, origin: 'https://a.com', headers: ['X-Api-Key', 'Content-Type'] });
    assert.deepEqual(viaAlias.allowedHeaders, ['x-api-key', 'content-type']);
    assert.equal(createCorsPolicy({ ...base, origin: 'https://a.com', headers: '*' }).allowedHeaders, '*');
    // Equal lists under both names are accepted; problems in the alias are reported under its name.
    const both = createCorsPolicy({ ...base, origin: 'https://a.com', headers: 'X-A', allowedHeaders: 'X-A' });
    assert.deepEqual(both.allowedHeaders, ['x-a']);
    expectIssue(
      { ...base, origin: 'https://a.com', headers: ['X-A'], allowedHeaders: ['X-B'] },
      'headers',
      'headers-alias-conflict',
      'keep one list in allowedHeaders',
    );
    expectIssue({ ...base, origin: 'https://a.com', headers: ['X A'] }, 'headers[0]', 'not-a-token');
  });

  test('every factory suggests the closest option, or lists them all', () => {
    const messages = (make: () => unknown): string[] => {
      try {
        make();
      } catch (err) {
        assert.ok(err instanceof CorsConfigError);
        return err.issues.filter((i) => i.code === 'unknown-option').map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    const policy = createCorsPolicy({ ...base, origin: 'https://a.com' });
    const listener = () => undefined;
    assert.deepEqual(
      messages(() => corsErrorHandler(policy, { fromat: 'json' } as never)),
      ['errorHandler.fromat: is not an option of corsErrorHandler(); did you mean "format"?'],
    );
    assert.deepEqual(
      messages(() => corsErrorHandler(policy, { logger: console.error } as never)),
      ['errorHandler.logger: is not an option of corsErrorHandler(); the options are format, log'],
    );
    assert.deepEqual(
      messages(() => upgradeGuard(policy, listener, { requireOrign: true } as never)),
      ['requireOrign: is not an option of upgradeGuard(); did you mean "requireOrigin"?'],
    );
    assert.deepEqual(
      messages(() => createVerifyClient(policy, { verbose: true } as never)),
      [
        'verbose: is not an option of createVerifyClient(); the options are requireOrigin, trustProxy, dangerouslyAllowNullOrigin, onReject',
      ],
    );
    assert.deepEqual(
      messages(() => corsSafety({ ...base, origin: 'https://a.com', allowHeaders: 'X' } as never)),
      ['allowHeaders: is not an option of the policy; did you mean "allowedHeaders"?'],
    );
  });

  test('suggestOptionName and editDistance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('MaxAge', 'maxage'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('flaw', 'lawn'), 2);
    assert.equal(suggestOptionName('exposeHeaders'), 'exposedHeaders');
    assert.equal(suggestOptionName('allowedHeader'), 'allowedHeaders');
    assert.equal(
      suggestOptionName('dangerouslyAllowAnyOriginWithCredential'),
      'dangerouslyAllowAnyOriginWithCredentials',
    );
    assert.equal(suggestOptionName('zzz'), undefined);
    assert.equal(suggestOptionName('hasOwnProperty'), undefined);
    assert.ok(OPTION_NAMES.includes('allowedHosts'));
  });

  test('env must be an object', () => {
    expectIssue({ origin: 'https://a.com', env: 'production' }, 'env', 'env-type', 'like process.env');
    expectIssue({ origin: 'https://a.com', env: ['X=1'] }, 'env', 'env-type');
    expectIssue({ origin: 'https://a.com', env: null }, 'env', 'env-type');
  });
});

describe('origin option', () => {
  test('origin entries: each parser problem with its path', () => {
    const cases: [string, string, ...string[]][] = [
      ['', 'origin-empty', 'https://app.example.com'],
      [`https://${'a'.repeat(2100)}`, 'origin-too-long'],
      ['https://a.com ', 'origin-whitespace', 'write the origin alone, e.g. "https://a.com"'],
      ['null', 'origin-null-entry', 'allowNullOrigin: true'],
      ['app.example.com', 'origin-no-scheme', 'write "https://app.example.com"'],
      ['wss://a.com', 'origin-websocket-scheme', 'e.g. "https://a.com"'],
      ['chrome-extension://abc', 'origin-extension-id', '32 letters a-p'],
      ['file:///index.html', 'origin-unsupported-scheme', 'send "null"'],
      ['https://u@a.com', 'origin-userinfo', 'write "https://a.com"'],
      ['https://a.com#x', 'origin-fragment'],
      ['https://a.com?x', 'origin-query'],
      ['https://a.com/x', 'origin-path', 'write "https://a.com"'],
      ['https://a%2ecom', 'origin-invalid-host'],
      ['https://a.com:99999', 'origin-invalid-port', '1-65535'],
      ['https://a.*.com', 'origin-wildcard-position', '"https://*.example.com"'],
      ['https://*.a.com.:8443', 'origin-trailing-dot', 'write "https://*.a.com:8443"', 'exactly'],
      ['https://*.192.168.0.1', 'origin-wildcard-ip'],
      ['https://*.co.uk', 'origin-wildcard-public-suffix', 'https://*.example.co.uk'],
    ];
    for (const [entry, code, ...fragments] of cases) {
      expectIssue({ ...base, origin: entry }, 'origin', code, ...fragments);
      expectIssue({ ...base, origin: ['https://ok.com', entry] }, 'origin[1]', code, ...fragments);
    }
  });

  test('"*" inside a list', () => {
    expectIssue({ ...base, origin: ['https://a.com', '*'] }, 'origin[1]', 'origin-star-in-list', 'origin: "*"');
  });

  test('a comma-separated string', () => {
    expectIssue({ ...base, origin: 'https://a.com,https://b.com' }, 'origin', 'origin-comma-list', 'own array item');
    expectIssue({ ...base, origin: ['https://a.com, https://b.com'] }, 'origin[0]', 'origin-comma-list');
  });

  test('an empty list', () => {
    expectIssue({ ...base, origin: [] }, 'origin', 'origin-empty-list', 'origin: false');
  });

  test('wrong types', () => {
    expectIssue({ ...base, origin: 42 }, 'origin', 'origin-type', 'number 42');
    expectIssue({ ...base, origin: null }, 'origin', 'origin-type', 'got null');
    expectIssue({ ...base, origin: {} }, 'origin', 'origin-type', 'an object');
    const issues = issuesOf({ ...base, origin: ['https://a.com', 42, null, ['x'], () => true] });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['origin[1]', 'origin[2]', 'origin[3]', 'origin[4]'],
    );
    assert.ok(issues[2]?.message.includes('an array'));
    assert.ok(issues[3]?.message.includes('function'));
  });

  test('long values are shortened in messages', () => {
    expectIssue({ ...base, origin: 'https://a.com', methods: [5] }, 'methods[0]', 'list-item-type', 'number 5');
    expectIssue(
      { ...base, origin: 'https://a.com', credentials: 'x'.repeat(100) },
      'credentials',
      'not-boolean',
      `"${'x'.repeat(60)}..."`,
    );
    const issues = issuesOf({ ...base, origin: 'https://a.com', credentials: 'x'.repeat(100) });
    assert.ok(!issues[0]?.message.includes('x'.repeat(61)));
  });

  test('RegExp problems', () => {
    expectIssue({ ...base, origin: /a\.com/ }, 'origin', 'regexp-unanchored', '/^...$/');
    expectIssue({ ...base, origin: ['https://a.com', /^a$/g] }, 'origin[1]', 'regexp-stateful-flag', '"g" flag');
    expectIssue({ ...base, origin: /^a$/y }, 'origin', 'regexp-stateful-flag', '"y" flag');
    expectIssue({ ...base, origin: /^a|b$/ }, 'origin', 'regexp-unanchored-alternation', '/^(?:a|b)$/');
  });
});

describe('allowedHosts option', () => {
  const cases: [unknown, string, ...string[]][] = [
    [42, 'allowed-host-type', 'number 42'],
    [/example\.com/, 'allowed-host-type', 'got /example\\.com/'],
    [undefined, 'allowed-host-type', 'got undefined'],
    [Symbol('x'), 'allowed-host-type', 'got symbol Symbol(x)'],
    [10n, 'allowed-host-type', 'got bigint 10'],
    ['', 'allowed-host-invalid'],
    ['a'.repeat(301), 'allowed-host-invalid'],
    ['example.com ', 'allowed-host-whitespace', 'write the host alone'],
    ['exa\tmple.com', 'allowed-host-whitespace'],
    ['*', 'allowed-host-any', 'origin: "*"'],
    ['.', 'allowed-host-any'],
    ['https://example.com', 'allowed-host-has-scheme', 'write "example.com"'],
    ['HTTPS://example.com/app', 'allowed-host-has-scheme', 'write "example.com"'],
    ['example.com/app', 'allowed-host-has-scheme', 'write "example.com"'],
    ['user@example.com', 'allowed-host-invalid'],
    ['example.com?', 'allowed-host-invalid'],
    ['example.com#', 'allowed-host-invalid'],
    ['ex%61mple.com', 'allowed-host-invalid'],
    ['example.com\\', 'allowed-host-invalid'],
    ['[::1', 'allowed-host-invalid', '".example.com"'],
    [':8080', 'allowed-host-invalid'],
    ['*.*.example.com', 'allowed-host-invalid'],
    ['a.*.example.com', 'allowed-host-invalid'],
    ['a..example.com', 'allowed-host-invalid'],
    ['example.com:80:90', 'allowed-host-invalid'],
    ['::1', 'allowed-host-invalid'],
    ['example.com.', 'allowed-host-trailing-dot', 'write "example.com"'],
    ['.127.0.0.1', 'allowed-host-wildcard-ip', 'write "127.0.0.1"'],
    ['*.[::1]', 'allowed-host-wildcard-ip'],
    ['.com', 'allowed-host-public-suffix'],
    ['*.co.uk', 'allowed-host-public-suffix'],
    ['.github.io', 'allowed-host-public-suffix'],
    ['example.com:0', 'allowed-host-invalid-port', '1-65535'],
    ['example.com:', 'allowed-host-invalid-port'],
    ['localhost:99999', 'allowed-host-invalid-port'],
  ];
  for (const [entry, code, ...fragments] of cases) {
    test(`${JSON.stringify(String(entry).slice(0, 40))} -> ${code}`, () => {
      expectIssue({ ...base, allowedHosts: [entry] }, 'allowedHosts[0]', code, ...fragments);
    });
  }

  test('a single string is one entry', () => {
    expectIssue({ ...base, allowedHosts: '*' }, 'allowedHosts', 'allowed-host-any');
  });

  test('an empty list and wrong types', () => {
    expectIssue({ ...base, allowedHosts: [] }, 'allowedHosts', 'allowed-hosts-empty', 'leave the option out');
    expectIssue({ ...base, allowedHosts: 42 }, 'allowedHosts', 'allowed-hosts-type', 'number 42');
  });
});

describe('scalar options', () => {
  test('booleans', () => {
    for (const key of [
      'credentials',
      'dangerouslyAllowAnyOriginWithCredentials',
      'allowNullOrigin',
      'preflightContinue',
      'exposeReason',
    ]) {
      expectIssue({ ...base, origin: 'https://a.com', [key]: 'true' }, key, 'not-boolean', 'true or false', '"true"');
    }
  });

  test('integers in range', () => {
    const cases: [string, unknown, string][] = [
      ['maxAge', -1, '0 to 86400'],
      ['maxAge', 86401, '0 to 86400'],
      ['maxAge', 1.5, '0 to 86400'],
      ['maxAge', '600', '"600"'],
      ['maxAge', Number.NaN, 'number NaN'],
      ['optionsSuccessStatus', 199, '200 to 299'],
      ['optionsSuccessStatus', 300, '200 to 299'],
      ['originCheckTimeout', 0, '1 to 60000'],
      ['originCheckTimeout', 60001, '1 to 60000'],
    ];
    for (const [key, value, fragment] of cases) {
      expectIssue({ ...base, origin: 'https://a.com', [key]: value }, key, 'out-of-range', fragment);
    }
    const ok = createCorsPolicy({
      ...base,
      origin: 'https://a.com',
      maxAge: 86400,
      optionsSuccessStatus: 299,
      originCheckTimeout: 60000,
    });
    assert.deepEqual([ok.maxAge, ok.optionsSuccessStatus, ok.originCheckTimeout], [86400, 299, 60000]);
  });
});

describe('token lists', () => {
  test('types', () => {
    expectIssue(
      { ...base, origin: 'https://a.com', methods: 5 },
      'methods',
      'list-type',
      'comma-separated string or an array',
    );
    expectIssue({ ...base, origin: 'https://a.com', allowedHeaders: { a: 1 } }, 'allowedHeaders', 'list-type');
    expectIssue(
      { ...base, origin: 'https://a.com', exposedHeaders: ['X-A', null] },
      'exposedHeaders[1]',
      'list-item-type',
      'got null',
    );
  });

  test('"*"', () => {
    expectIssue(
      { ...base, origin: 'https://a.com', methods: '*' },
      'methods',
      'star-not-supported',
      'list the methods you use',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', allowedHeaders: ['*', 'x-a'] },
      'allowedHeaders[0]',
      'star-not-supported',
      'must be the only item',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', exposedHeaders: 'x-a, *' },
      'exposedHeaders',
      'star-not-supported',
      'must be the only item',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', credentials: true, exposedHeaders: '*' },
      'exposedHeaders',
      'expose-star-with-credentials',
      'list the headers',
    );
    assert.equal(
      createCorsPolicy({ ...base, origin: 'https://a.com', credentials: true, allowedHeaders: ' * ' }).allowedHeaders,
      '*',
    );
  });

  test('tokens', () => {
    expectIssue(
      { ...base, origin: 'https://a.com', methods: 'GET POST' },
      'methods',
      'not-a-token',
      '"GET POST"',
      'RFC 9110',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', allowedHeaders: ['x-ok', 'x(bad)'] },
      'allowedHeaders[1]',
      'not-a-token',
      '"x(bad)"',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', exposedHeaders: ['X-Ünicode'] },
      'exposedHeaders[0]',
      'not-a-token',
    );
    assert.deepEqual(createCorsPolicy({ ...base, origin: 'https://a.com', methods: [' get ', 'PURGE'] }).methods, [
      'GET',
      'PURGE',
    ]);
    expectIssue(
      { ...base, origin: 'https://a.com', methods: [' get ', 'Purge'] },
      'methods[1]',
      'method-not-accepted-by-node',
      'Write "PURGE"',
    );
  });

  test('methods must not be empty', () => {
    expectIssue({ ...base, origin: 'https://a.com', methods: [] }, 'methods', 'methods-empty', '"GET"');
    expectIssue({ ...base, origin: 'https://a.com', methods: ' , ' }, 'methods', 'methods-empty');
    assert.deepEqual(createCorsPolicy({ ...base, origin: 'https://a.com', allowedHeaders: [] }).allowedHeaders, []);
  });
});

describe('combinations', () => {
  test('credentials with any origin', () => {
    expectIssue(
      { ...base, origin: '*', credentials: true },
      'credentials',
      'credentials-with-any-origin',
      'list the origins you trust',
      'dangerouslyAllowAnyOriginWithCredentials: true',
    );
    expectIssue({ ...base, origin: true, credentials: true }, 'credentials', 'credentials-with-any-origin');
  });

  test('the dangerous option without the combination', () => {
    expectIssue(
      { ...base, origin: true, dangerouslyAllowAnyOriginWithCredentials: true },
      'dangerouslyAllowAnyOriginWithCredentials',
      'dangerous-option-unused',
      'remove it',
    );
    expectIssue(
      { ...base, origin: 'https://a.com', credentials: true, dangerouslyAllowAnyOriginWithCredentials: true },
      'dangerouslyAllowAnyOriginWithCredentials',
      'dangerous-option-unused',
    );
    assert.doesNotThrow(() =>
      createCorsPolicy({ ...base, origin: 'https://a.com', dangerouslyAllowAnyOriginWithCredentials: false }),
    );
  });

  test('null origin with credentials', () => {
    expectIssue(
      { ...base, origin: 'https://a.com', credentials: true, allowNullOrigin: true },
      'allowNullOrigin',
      'null-origin-with-credentials',
      'sandboxed',
    );
  });
});

test('allowedHosts beside an any-origin rule is refused instead of being silently ignored', () => {
  for (const origin of ['*', true] as const) {
    assert.throws(
      () => createCorsPolicy({ origin, allowedHosts: ['example.com'] }),
      (err: unknown) =>
        err instanceof CorsConfigError && err.issues.map((i) => i.code).join() === 'allowed-hosts-with-any-origin',
    );
  }
  // origin: false with allowedHosts stays valid: same-origin WebSocket pages rely on the host list.
  assert.equal(createCorsPolicy({ origin: false, allowedHosts: ['example.com'] }).mode, 'disabled');
});
