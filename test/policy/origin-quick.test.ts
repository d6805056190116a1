// The fast path of configuration parsing (quickOriginForm) against the full parser: it may take
// an entry only when parseConfigOrigin() accepts it as the same kind with the entry itself as its
// canonical rule text, and a policy built from a list decides, lists and refuses exactly as the
// full parser alone would.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createCorsPolicy, CorsConfigError } from '../../src/index.js';
import { installNodePlatform } from '../../src/node/platform.js';
import { originRuleText } from '../../src/policy/policy-builder.js';
import { parseConfigOrigin } from '../../src/policy/origin-entry.js';
import { QUICK_EXACT, QUICK_NONE, QUICK_SUBDOMAINS, quickOriginForm } from '../../src/policy/origin-quick.js';
import { isBelowEveryRule, isPublicSuffix, publicSuffixBelow } from '../../src/policy/public-suffix.js';

installNodePlatform();

/** What the full parser makes of an entry, in the terms of the fast path. */
function fullParserForm(entry: string): number | string {
  const parsed = parseConfigOrigin(entry, isPublicSuffix);
  if (!parsed.ok) return parsed.problem.code;
  const { value } = parsed;
  if (originRuleText(value) !== entry) return `canonicalised to ${originRuleText(value)}`;
  if (value.kind === 'exact') return QUICK_EXACT;
  if (value.kind === 'subdomains') return QUICK_SUBDOMAINS;
  return value.kind;
}

/** The fast path may decline anything; what it takes, the full parser takes the same way. */
function assertAgrees(entry: string): void {
  const quick = quickOriginForm(entry);
  if (quick === QUICK_NONE) return;
  const full = fullParserForm(entry);
  // A `*.` pattern over a public suffix is refused by the builder's own check after the fast path.
  if (quick === QUICK_SUBDOMAINS && full === 'origin-wildcard-public-suffix') return;
  assert.equal(full, quick, `${JSON.stringify(entry)}: fast path ${quick}, full parser ${String(full)}`);
}

describe('quickOriginForm', () => {
  const cases: [string, number][] = [
    ['https://app.example.com', QUICK_EXACT],
    ['http://localhost', QUICK_EXACT],
    ['http://localhost:3000', QUICK_EXACT],
    ['https://a_b-c.example.com:8443', QUICK_EXACT],
    ['https://a.com:80', QUICK_EXACT],
    ['https://*.example.com', QUICK_SUBDOMAINS],
    ['http://*.example.com:8080', QUICK_SUBDOMAINS],
    // Declined: the full parser canonicalises, refuses or has to look closer.
    ['https://App.example.com', QUICK_NONE],
    ['https://app.example.com/', QUICK_NONE],
    ['https://app.example.com:443', QUICK_NONE],
    ['http://app.example.com:80', QUICK_NONE],
    ['https://app.example.com:08443', QUICK_NONE],
    ['https://app.example.com:0', QUICK_NONE],
    ['https://app.example.com:65536', QUICK_NONE],
    ['https://app.example.com:', QUICK_NONE],
    ['https://app.example.com:*', QUICK_NONE],
    ['https://app.example.com.', QUICK_NONE],
    ['https://app..example.com', QUICK_NONE],
    ['https://.example.com', QUICK_NONE],
    ['https://127.0.0.1', QUICK_NONE],
    ['https://example.0x10', QUICK_NONE],
    ['https://example.123', QUICK_NONE],
    ['https://[::1]', QUICK_NONE],
    ['https://xn--bcher-kva.example', QUICK_NONE],
    ['https://a.xn--p1ai', QUICK_NONE],
    [`https://${'a'.repeat(64)}.com`, QUICK_NONE],
    [`https://${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, QUICK_NONE],
    ['https://*.', QUICK_NONE],
    ['https://*', QUICK_NONE],
    ['https://*x.example.com', QUICK_NONE],
    ['https://*.*.example.com', QUICK_NONE],
    ['https://a.*.example.com', QUICK_NONE],
    ['https://', QUICK_NONE],
    ['https://user@app.example.com', QUICK_NONE],
    ['https://app.example.com?x', QUICK_NONE],
    ['https://app.example.com#x', QUICK_NONE],
    ['https://app.example.com,https://b.com', QUICK_NONE],
    ['https://app.example.com ', QUICK_NONE],
    ['HTTPS://app.example.com', QUICK_NONE],
    ['wss://app.example.com', QUICK_NONE],
    ['capacitor://localhost', QUICK_NONE],
    ['app.example.com', QUICK_NONE],
    ['https://app%2eexample.com', QUICK_NONE],
    ['https://app\\example.com', QUICK_NONE],
  ];
  for (const [entry, expected] of cases) {
    test(`${JSON.stringify(entry.length > 80 ? `${entry.slice(0, 77)}...` : entry)} -> ${expected}`, () => {
      assert.equal(quickOriginForm(entry), expected);
      assertAgrees(entry);
    });
  }

  test('the longest host the fast path takes is the longest the full parser takes unchanged', () => {
    const host253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(quickOriginForm(`https://${host253}`), QUICK_EXACT);
    assertAgrees(`https://${host253}`);
  });

  // Entries built from the characters and pieces where the two parsers could part ways.
  const piece = fc.constantFrom(
    'a',
    'z',
    '0',
    '9',
    '-',
    '_',
    '.',
    ':',
    '*',
    '*.',
    '/',
    'A',
    'xn--',
    'com',
    'localhost',
    '443',
    '80',
    '8080',
    '0x1',
    '%',
    '@',
    '[',
    ']',
    ' ',
    '\u00e9',
    '\u0130',
    'ß',
  );
  const entryArb = fc
    .tuple(fc.constantFrom('https://', 'http://', 'https://*.', 'http://*.', 'HTTPS://', 'ws://', ''), fc.array(piece))
    .map(([scheme, parts]) => scheme + parts.join(''));

  test('whatever it takes, the full parser takes as the same kind and the same rule text', () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        assertAgrees(entry);
      }),
      { numRuns: 20_000 },
    );
  });

  test('random host-like text: the same', () => {
    const hostArb = fc.stringMatching(/^[a-z0-9_.-]{1,20}(:[0-9]{1,6})?$/);
    fc.assert(
      fc.property(fc.constantFrom('https://', 'http://', 'https://*.', 'http://*.'), hostArb, (scheme, rest) => {
        assertAgrees(scheme + rest);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('isBelowEveryRule (the one-walk Public Suffix List check of the fast path)', () => {
  test('answers true for ordinary bases and false wherever the list has a rule that deep', () => {
    for (const domain of ['tenant7.example.net', 'app.example.com', 'example.test', 'mine.s3.amazonaws.com'])
      assert.equal(isBelowEveryRule(domain), true, domain);
    for (const domain of [
      'com',
      'localhost',
      'amazonaws.com',
      's3.amazonaws.com',
      'x.kawasaki.jp',
      'co.uk',
      'github.io',
    ])
      assert.equal(isBelowEveryRule(domain), false, domain);
  });

  test('when it says true, the full checks find no public suffix at or below the domain', () => {
    const label = fc.constantFrom(
      ...['com', 'net', 'org', 'jp', 'uk', 'co', 'ck', 'www', 'kawasaki', 'city', 'amazonaws', 's3', 'compute'],
      ...['github', 'io', 'example', 'x', 'r2', 'dev', 'us-east-1', 'blogspot', 'appspot', 'herokuapp', 'test'],
      ...['localhost', 'windows', 'core', 'blob', 'cloudfront', 'scw', 'cloud', 'fr', 'gov', 'ac', 'pvt', 'k12'],
    );
    let below = 0;
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const domain = labels.join('.');
        if (!isBelowEveryRule(domain)) return;
        below++;
        assert.equal(isPublicSuffix(domain), false, domain);
        assert.equal(publicSuffixBelow(domain), undefined, domain);
      }),
      { numRuns: 5000 },
    );
    assert.ok(below > 1000, `only ${below} domains were below every rule: the property says little`);
  });
});

/** Rules and issues of a policy built from `list`. */
function outcome(list: readonly string[]): { rules: readonly string[] } | { issues: string[] } {
  try {
    return { rules: createCorsPolicy({ origin: [...list], env: {} }).rules };
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return { issues: err.issues.map((issue) => `${issue.path} ${issue.code}: ${issue.message}`) };
  }
}

describe('a list through the fast path', () => {
  test('gives each refused entry its own path, code and message, as one entry alone does', () => {
    const list = [
      'https://a.example.com',
      'https://*.com',
      'https://*.amazonaws.com',
      'https://B.example.com',
      'https://b.example.com/',
      'https://c.example.com:443',
      'https://*.github.io',
    ];
    const result = outcome(list);
    assert.ok('issues' in result);
    assert.deepEqual(
      result.issues.map((line) => line.split(':', 1)[0]),
      [
        'origin[1] origin-wildcard-public-suffix',
        'origin[2] origin-public-suffix-below',
        'origin[6] origin-wildcard-public-suffix',
      ],
    );
    // The same message as the entry gets on its own.
    const alone = outcome(['https://*.amazonaws.com']);
    assert.ok('issues' in alone);
    assert.equal(result.issues[1]?.replace('origin[2]', 'origin[0]'), alone.issues[0]);
  });

  test('keeps canonical entries as written and canonicalises the rest, in list order', () => {
    const result = outcome([
      'https://a.example.com',
      'https://B.example.com',
      'https://*.x.example.com',
      'https://c.example.com:443',
      'http://localhost:3000',
      'https://*.Y.example.com:8443',
    ]);
    assert.ok('rules' in result);
    assert.deepEqual(result.rules, [
      'https://a.example.com',
      'https://b.example.com',
      'https://*.x.example.com',
      'https://c.example.com',
      'http://localhost:3000',
      'https://*.y.example.com:8443',
    ]);
  });
});
