/**
 * createNginxConfig() without nginx: golden output, determinism, refusals, the RegExp translation
 * table, quoting, and a property check that every generated pattern (read as a JavaScript
 * RegExp, which these patterns are written to mean the same in) matches only origins the policy
 * allows. The real-nginx proof is in nginx.test.ts and nginx-origins.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CorsConfigError,
  createCorsPolicy,
  createNginxConfig,
  createOriginValidator,
  type CorsSafetyOptions,
} from '../../src/index.js';
import { nginxQuote, regexLiteral } from '../../src/proxy/nginx-syntax.js';
import { translateRegExp } from '../../src/proxy/pcre-translate.js';
import { loadConfigFile } from '../../src/cli/explain.js';

const GOLDEN = new URL('../fixtures/nginx/', import.meta.url);
/** The golden policy, the same file `cors-safety nginx --config` reads in the CLI tests. */
const goldenOptions = (await loadConfigFile(
  fileURLToPath(new URL('../fixtures/cli-nginx.mjs', import.meta.url)),
)) as CorsSafetyOptions;

function issuesOf(fn: () => unknown): { path: string; code: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, String(err));
    return err.issues.map((issue) => ({ ...issue }));
  }
  assert.fail('expected a CorsConfigError');
}

/** The `map $http_origin` entries of a generated http file: nginx-unquoted pattern and value. */
function originEntries(http: string): { pattern: string; value: string }[] {
  const block = http.slice(http.indexOf('map $http_origin $cors_safety_allow_origin {'));
  const body = block.slice(0, block.indexOf('\n}'));
  const entries: { pattern: string; value: string }[] = [];
  for (const match of body.matchAll(/^ {4}'~((?:[^'\\]|\\.)*)' (\S+);$/gm)) {
    entries.push({ pattern: (match[1] as string).replace(/\\(.)/g, '$1'), value: match[2] as string });
  }
  return entries;
}

describe('createNginxConfig: output', () => {
  it('matches the golden files for the fixture policy', () => {
    const { http, server } = createNginxConfig(goldenOptions);
    assert.equal(http, readFileSync(new URL('cors-safety-http.conf', GOLDEN), 'utf8'));
    assert.equal(server, readFileSync(new URL('cors-safety-server.conf', GOLDEN), 'utf8'));
  });

  it('is deterministic: the same policy, built twice, gives byte-identical files', () => {
    const a = createNginxConfig(createCorsPolicy(goldenOptions));
    const b = createNginxConfig(goldenOptions);
    assert.deepEqual(a, b);
  });

  it('uses only regex entries, never plain strings (nginx compares those ignoring case)', () => {
    const { http } = createNginxConfig(goldenOptions);
    const block = http.slice(http.indexOf('map $http_origin'), http.indexOf('\n}', http.indexOf('map $http_origin')));
    for (const line of block.split('\n').slice(1)) {
      const trimmed = line.trim();
      if (trimmed.startsWith('#') || trimmed.startsWith('default ')) continue;
      assert.match(trimmed, /^'~\^|^'~\(\?=/, line);
    }
    assert.doesNotMatch(http, /\bhostnames\b/);
  });

  it('adds CORS headers only inside its named error locations, and sets no proxy_intercept_errors', () => {
    const { server } = createNginxConfig(goldenOptions);
    let depth = 0;
    let inNamed = false;
    for (const line of server.split('\n')) {
      if (/^location @cors_safety_\d+ \{$/.test(line)) inNamed = true;
      if (line.includes('add_header')) assert.ok(inNamed && depth === 1, line);
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (depth === 0) inNamed = false;
    }
    const directives = server.replace(/#.*$/gm, '');
    assert.doesNotMatch(directives, /proxy_intercept_errors/);
    for (const status of [413, 502, 503, 504])
      assert.match(server, new RegExp(`error_page ${status} = @cors_safety_${status};`));
  });

  it('a public policy grants "*" without credentials; a disabled one grants nothing', () => {
    const open = createNginxConfig({ origin: '*' });
    assert.match(open.http, /map \$http_origin \$cors_safety_allow_origin \{\n {4}default '\*';\n\}/);
    assert.doesNotMatch(open.server, /Allow-Credentials/);
    const off = createNginxConfig({ origin: false });
    assert.match(off.http, /map \$http_origin \$cors_safety_allow_origin \{\n {4}default '';\n\}/);
  });

  it('allowedHeaders "*" sends back only a well-formed list of requested names', () => {
    const { http } = createNginxConfig({ origin: 'https://app.example.com', allowedHeaders: '*' });
    const line = /'~\^1:\(\?<cors_safety_names>(.*)\)\$' \$cors_safety_names;/.exec(http);
    assert.ok(line, http);
    const names = new RegExp(`^(?:${(line[1] as string).replace(/\\(.)/g, '$1')})$`);
    assert.ok(names.test('authorization,content-type'));
    assert.ok(names.test('x-a, x-b'));
    for (const bad of ['x-a\r\nx', 'x-a;', '"x"', 'a b', '', 'x-$a', "x'a"]) assert.ok(!names.test(bad), bad);
  });
});

describe('createNginxConfig: refusals (exit 2 in the CLI)', () => {
  it('refuses an origin function, naming the rule and what to do instead', () => {
    const issues = issuesOf(() =>
      createNginxConfig({
        origin: function isTenant() {
          return true;
        },
      }),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.code, 'nginx-origin-function');
    assert.match(issues[0]?.message ?? '', /"function isTenant".*list the origins/);
  });

  it('refuses dangerouslyAllowAnyOriginWithCredentials', () => {
    const issues = issuesOf(() =>
      createNginxConfig({ origin: true, credentials: true, dangerouslyAllowAnyOriginWithCredentials: true }),
    );
    assert.deepEqual(
      issues.map((i) => i.code),
      ['nginx-any-origin-with-credentials'],
    );
  });

  it('lists every problem at once', () => {
    const issues = issuesOf(() => createNginxConfig({ origin: [/^https:\/\/a\s$/, /^https:\/\/a\.example$/m] }));
    assert.deepEqual(
      issues.map((i) => i.code),
      ['nginx-regexp', 'nginx-regexp'],
    );
    assert.match(issues[0]?.message ?? '', /\/\^https:\\\/\\\/a\\s\$\/ uses "\\s"/);
  });

  it('refuses a value holding "$", which nginx would read as a variable, naming the value (issue #19)', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ exposedHeaders: ['X-Trace-$http_x_leak'] }, 'exposedHeaders', /"X-Trace-\$http_x_leak".*"\$http_x_leak"/],
      [{ allowedHeaders: ['x-$http_cookie'] }, 'allowedHeaders', /"x-\$http_cookie"/],
      [{ exposedHeaders: ['X-$nope'] }, 'exposedHeaders', /"X-\$nope"/],
      [{ exposedHeaders: ['$http_cookie'] }, 'exposedHeaders', /"\$http_cookie"/],
      [{ allowedHeaders: ['x-$host'] }, 'allowedHeaders', /"\$host"/],
      [{ exposedHeaders: ['X-A', 'X-$b'] }, 'exposedHeaders', /"X-A, X-\$b"/],
    ];
    for (const [options, path, message] of cases) {
      const issues = issuesOf(() => createNginxConfig({ origin: 'https://app.example.com', ...options }));
      assert.deepEqual(
        issues.map((i) => [i.path, i.code]),
        [[path, 'nginx-dollar-value']],
        JSON.stringify(options),
      );
      assert.match(issues[0]?.message ?? '', message);
    }
    // Without "$" the same kinds of value are written as quoted literal text.
    const { http } = createNginxConfig({ origin: 'https://app.example.com', exposedHeaders: ['X-Trace-Id'] });
    assert.match(http, / 'X-Trace-Id';/);
  });

  it('escapes control and bidi characters in its own issues, like every CorsConfigError (issue #19)', () => {
    const named = { 'evil\u202e\u001b[31m': () => true }['evil\u202e\u001b[31m'];
    const err = (() => {
      try {
        createNginxConfig({ origin: named });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(err instanceof CorsConfigError);
    assert.ok(!err.message.includes('\u001b') && !err.message.includes('\u202e'), err.message);
    assert.match(err.issues[0]?.message ?? '', /evil\\u202e\\u001b\[31m/);
    const direct = new CorsConfigError([{ path: 'x\u0007', code: 'c', message: 'm\u2028' }]);
    assert.deepEqual(direct.issues[0], { path: 'x\\u0007', code: 'c', message: 'm\\u2028' });
  });

  it('refuses a RegExp that PCRE would backtrack on, though Node matches it in linear time (issue #19)', () => {
    for (const re of [
      /^https:\/\/(?:[a-z]+[a-z0-9]*\.)+example\.com$/,
      /^https:\/\/(?:[a-z0-9]+-?[a-z0-9]*\.)+example\.com$/,
    ]) {
      assert.doesNotThrow(() => createCorsPolicy({ origin: [re], env: {} }), 'the policy itself accepts it');
      const issues = issuesOf(() => createNginxConfig({ origin: [re] }));
      assert.deepEqual(
        issues.map((i) => i.code),
        ['nginx-regexp'],
      );
      assert.match(issues[0]?.message ?? '', /PCRE in nginx can backtrack/);
    }
    // One class per part, told apart by separators: written into nginx.
    const { http } = createNginxConfig({ origin: [/^https:\/\/(?:[a-z]+(?:-[a-z]+)*\.)+example\.com$/] });
    assert.match(http, /example\\\\\.com/);
  });

  it('still reports invalid options as the policy does', () => {
    const issues = issuesOf(() => createNginxConfig({ origin: 'https://app.example.com/path' }));
    assert.equal(issues[0]?.code, 'origin-path');
  });
});

describe('translateRegExp: only what JavaScript and PCRE read the same way', () => {
  const accepted: [RegExp, string][] = [
    [/^https:\/\/pr-\d+\.example\.dev$/, '^https:\\/\\/pr-\\d+\\.example\\.dev$'],
    [/^https:\/\/(?:eu|us)\.example\.io$/, '^https:\\/\\/(?:eu|us)\\.example\\.io$'],
    [/^https:\/\/[a-z0-9-]{1,20}\.example\.io$/, '^https:\\/\\/[a-z0-9-]{1,20}\\.example\\.io$'],
    [/^https:\/\/(?<env>dev|qa)\.example\.io$/, '^https:\\/\\/(dev|qa)\\.example\\.io$'],
    [/^https:\/\/(?!admin\.)\w+\.example\.io$/, '^https:\\/\\/(?!admin\\.)\\w+\\.example\\.io$'],
    [/^https:\/\/a.b$/s, '(?s)^https:\\/\\/a.b$'],
  ];
  for (const [re, source] of accepted) {
    it(`translates ${String(re)}`, () => {
      const result = translateRegExp(re);
      assert.notEqual(typeof result, 'string', typeof result === 'string' ? result : '');
      assert.equal((result as { source: string }).source, source);
    });
  }
  assert.equal((translateRegExp(/^https:\/\/a$/i) as { caseless: boolean }).caseless, true);

  const refused: [RegExp, RegExp][] = [
    [/^https:\/\/a$/u, /"u" flag/],
    [new RegExp('^https:\\/\\/a$', 'v'), /"v" flag/],
    [/^https:\/\/a$/m, /"m" flag/],
    [/^https:\/\/a\s$/, /\\s/],
    [/^https:\/\/(a)\1$/, /escape "\\1"/],
    [/^https:\/\/(?<=a)b$/, /lookbehind/],
    [new RegExp('^https:\\/\\/[^]$'), /empty class/],
    [new RegExp('^https:\\/\\/[]a$'), /empty class/],
    [/^https:\/\/a{,3}$/, /quantifier/],
    [/^https:\/\/[[:alpha:]]$/, /inside a class/],
    [/^https:\/\/é\.example$/, /non-ASCII/],
    [/^https:\/\/a\x41$/, /escape "\\x"/],
    [/^https:\/\/a\u0041$/, /escape "\\u"/],
    [/^https:\/\/[\b]$/, /backspace/],
    [new RegExp('^https:\\/\\/\\e$'), /escape "\\e"/],
  ];
  for (const [re, message] of refused) {
    it(`refuses ${String(re)}`, () => {
      const result = translateRegExp(re);
      assert.equal(typeof result, 'string');
      assert.match(result as string, message);
    });
  }
});

describe('nginx syntax', () => {
  it('quotes for the configuration parser: backslash and quote escaped, control characters refused', () => {
    assert.equal(nginxQuote("a\\b'c;{}#$ "), "'a\\\\b\\'c;{}#$ '");
    assert.throws(() => nginxQuote('a\nb'), TypeError);
  });
  it('escapes every non-alphanumeric ASCII character of a regex literal', () => {
    assert.equal(regexLiteral('[::1]:8080'), '\\[\\:\\:1\\]\\:8080');
    assert.ok(new RegExp(`^${regexLiteral('a.b-c_d')}$`).test('a.b-c_d'));
    assert.ok(!new RegExp(`^${regexLiteral('a.b')}$`).test('axb'));
  });
});

describe('generated patterns never match an origin the policy denies (fast-check)', () => {
  const options: CorsSafetyOptions = {
    origin: [
      'https://app.example.com',
      'https://*.preview.example.com',
      'http://localhost:*',
      'https://*.example.dev:8443',
      'http://[::1]:*',
      /^https:\/\/pr-\d+\.example\.dev$/,
    ],
    allowedHosts: ['.example.org', 'api.example.net:8443'],
    credentials: true,
  };
  const validator = createOriginValidator(options);
  const entries = originEntries(createNginxConfig(options).http).map(({ pattern, value }) => ({
    re: new RegExp(pattern),
    value,
  }));

  it('has one entry per rule (.example.org is two: the domain and its subdomains)', () => {
    assert.equal(entries.length, 9);
  });

  const label = fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/);
  const host = fc.oneof(
    fc.constantFrom('app.example.com', 'preview.example.com', 'example.org', 'api.example.net', 'localhost', '[::1]'),
    fc
      .tuple(label, fc.constantFrom('preview.example.com', 'example.org', 'example.dev', 'evil.net'))
      .map(([a, b]) => `${a}.${b}`),
    fc
      .tuple(label, label, fc.constantFrom('.preview.example.com', '.example.org.', '.example.com.evil'))
      .map(([a, b, c]) => `${a}.${b}${c}`),
  );
  const origin = fc
    .tuple(
      fc.constantFrom('https://', 'http://', 'HTTPS://', 'https:'),
      host,
      fc.constantFrom('', ':443', ':80', ':8443', ':08443', ':0', ':3000', ':65536', ':'),
      fc.constantFrom('', '/', '.', ' ', '?x'),
    )
    .map((parts) => parts.join(''));

  it('any origin a pattern matches is one the policy allows, and the value granted is that origin', () => {
    fc.assert(
      fc.property(origin, (value) => {
        const entry = entries.find(({ re }) => re.test(value));
        if (entry === undefined) return;
        const verdict = validator.check(value) as { allowed: boolean };
        assert.ok(verdict.allowed, `pattern ${String(entry.re)} matches ${value}, which the policy denies`);
        assert.ok(entry.value === '$http_origin' || entry.value === `'${value}'`);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('exact app origins: the scheme is a literal too', () => {
  it('"+" and "." in a scheme match only themselves', () => {
    for (const [entry, lookAlikes] of [
      ['my+app://localhost', ['myyyapp://localhost', 'myapp://localhost']],
      ['com.example.app://localhost', ['comXexample.app://localhost', 'com.exampleXapp://localhost']],
    ] as const) {
      const { http } = createNginxConfig({ origin: [entry] });
      const line = http.split('\n').find((text) => text.trimStart().startsWith("'~") && text.includes('://localhost'));
      assert.ok(line !== undefined, http);
      const pattern = new RegExp(/'~(.*?)'/.exec(line)?.[1]?.replace(/\\\\/g, '\\') ?? '');
      assert.ok(pattern.test(entry), `${entry} must match ${pattern}`);
      for (const other of lookAlikes) assert.ok(!pattern.test(other), `${other} must not match ${pattern}`);
    }
  });
});
