// RegExp entries: refused when they can backtrack catastrophically (ReDoS) or write an unescaped
// "." where a literal dot was meant; the same checks for RegExps an origin callback answers with,
// at request time (deny, warn once, analyse once per RegExp).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CorsConfigError, createCorsPolicy, createOriginValidator, type OriginVerdict } from '../../src/index.js';
import { backtrackingRisk } from '../../src/policy/regexp-backtracking.js';
import { cachedOriginRegExp, equivalentPatterns, regexpProblem } from '../../src/policy/regexp-rules.js';

function issueOf(origin: RegExp): { code: string; message: string } | undefined {
  try {
    createCorsPolicy({ origin: [origin] });
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues[0];
  }
}

const allowed = (policy: ReturnType<typeof createCorsPolicy>, origin: string): boolean =>
  (createOriginValidator(policy).check(origin) as OriginVerdict).allowed;

/** Origins to compare a RegExp with the pattern offered instead of it (all short: no backtracking storm). */
const PROBES = [
  'https://example.com',
  'https://a.example.com',
  'https://a-b.example.com',
  'https://app1.example.com',
  'http://a.example.com',
  'https://a.example.com:8443',
  'https://evil.com',
  'https://aexample.com',
  'https://a.example.com.evil.net',
];

describe('ReDoS: RegExps that can backtrack catastrophically are refused', () => {
  test('the review input /^https:\\/\\/([a-z0-9]+-?)+\\.example\\.com$/ is refused, offering https://*.example.com', () => {
    const issue = issueOf(/^https:\/\/([a-z0-9]+-?)+\.example\.com$/);
    assert.equal(issue?.code, 'regexp-backtracking');
    assert.match(issue?.message ?? '', /ReDoS/);
    assert.match(issue?.message ?? '', /use the pattern "https:\/\/\*\.example\.com" \(matched without any RegExp\)/);
  });

  test('the offered patterns compile, allow what the RegExp allowed, and nothing outside its domain', () => {
    const cases: [RegExp, string[]][] = [
      [/^https:\/\/([a-z0-9]+-?)+\.example\.com$/, ['https://*.example.com']],
      [/^https?:\/\/(\w+-?)+\.example\.com$/, ['https://*.example.com', 'http://*.example.com']],
      [/^https:\/\/((a+)+\.)*example\.com$/, ['https://example.com', 'https://*.example.com']],
    ];
    for (const [re, expected] of cases) {
      assert.deepEqual(equivalentPatterns(re), expected, String(re));
      assert.ok(issueOf(re)?.message.includes(expected.map((p) => JSON.stringify(p)).join(', ')), String(re));
      const policy = createCorsPolicy({ origin: expected });
      for (const origin of PROBES) {
        if (re.test(origin)) assert.ok(allowed(policy, origin), `${String(re)} ${origin}`);
        const inDomain = /(^|\.)example\.com(:\d+)?$/.test(new URL(origin).host);
        if (!inDomain) assert.equal(allowed(policy, origin), false, `${String(re)} ${origin}`);
      }
    }
  });

  test('no pattern is offered for other shapes, nor over a public suffix; the generic fix is named', () => {
    for (const re of [/^https:\/\/(\w+-?)+\.github\.io$/, /^https:\/\/(a|a)*$/, /^https:\/\/(x+)+:8080$/]) {
      assert.equal(equivalentPatterns(re), undefined, String(re));
      const issue = issueOf(re);
      assert.equal(issue?.code, 'regexp-backtracking', String(re));
      assert.match(issue?.message ?? '', /\[a-z0-9-\]\+/);
    }
  });

  test('table: risky shapes are refused', () => {
    for (const re of [
      /^(a+)+$/,
      /^https:\/\/(a|a)*$/,
      /^(a?a?)+$/,
      /^https:\/\/(.+\.)+example\.com$/,
      /^https:\/\/(?:[a-z0-9-.]+\.)*example\.com$/,
      /^https:\/\/([a-z]+){2}\.x\.com$/,
      /^https:\/\/(?<!x)a\.com$/,
    ]) {
      assert.notEqual(backtrackingRisk(re), undefined, String(re));
      assert.equal(issueOf(re)?.code, 'regexp-backtracking', String(re));
    }
  });

  test('table: common safe RegExps stay accepted (optional parts, separated repetitions)', () => {
    for (const re of [
      /^https:\/\/pr-\d+\.example\.dev$/,
      /^https?:\/\/localhost(:\d+)?$/,
      /^https:\/\/(?:[a-z0-9-]+\.)?example\.com(?::\d+)?$/,
      /^https:\/\/(?:[a-z0-9-]+\.)*example\.com$/,
      /^https:\/\/[a-z0-9]+(?:-[a-z0-9]+)*\.example\.com$/,
      /^https:\/\/(?<tenant>[a-z]+)\.example\.com$/,
      /^https:\/\/(?:foo|bar)\.example\.com$/,
      /^https:\/\/([a-z]{1,63}\.){1,3}example\.com$/,
      /^https:\/\/.*\.example\.com$/,
    ]) {
      assert.equal(backtrackingRisk(re), undefined, String(re));
      assert.equal(issueOf(re), undefined, String(re));
    }
  });

  test('the generic fix compiles, except over a public suffix, where any site could match (issue #19)', () => {
    assert.equal(issueOf(/^https:\/\/[a-z0-9-]+\.example\.io$/), undefined);
    assert.equal(issueOf(/^https:\/\/[a-z0-9-]+\.github\.io$/)?.code, 'regexp-public-suffix');
  });
});

describe('unescaped "." in a RegExp', () => {
  test('/^https:\\/\\/app.example.com$/ is refused, naming what it lets in and the escaped form', () => {
    const re = /^https:\/\/app.example.com$/;
    assert.ok(re.test('https://appxexample.com'), 'the danger is real');
    const issue = issueOf(re);
    assert.equal(issue?.code, 'regexp-unescaped-dot');
    assert.match(issue?.message ?? '', /also allows "https:\/\/appxexample\.com"/);
    assert.ok(issue?.message.includes('write /^https:\\/\\/app\\.example\\.com$/ for a literal dot'));
    const fixed = /^https:\/\/app\.example\.com$/;
    assert.equal(issueOf(fixed), undefined);
    assert.equal(fixed.test('https://appxexample.com'), false);
  });

  test('flags are kept in the fix; a RegExp with other syntax gets no made-up sample', () => {
    const message = issueOf(/^https:\/\/a.b(c|d)\.com$/i)?.message ?? '';
    assert.ok(message.includes('write /^https:\\/\\/a\\.b(c|d)\\.com$/i'), message);
    assert.doesNotMatch(message, /also allows/);
  });

  test('a quantified "." (.*, .+, .?, .{n}) and a "." in a class are not flagged', () => {
    for (const re of [
      /^https:\/\/.*\.example\.com$/,
      /^https:\/\/[a-z.]+\.example\.com$/,
      /^https:\/\/a.{0,3}b\.com$/,
    ]) {
      assert.notEqual(regexpProblem(re)?.code, 'regexp-unescaped-dot', String(re));
    }
  });
});

describe('RegExps answered by an origin callback', () => {
  const ORIGIN = 'https://app-1.example.com';

  test('an unsafe RegExp denies (origin-check-failed), warns once, and never runs', async () => {
    const warnings: { code?: string | undefined; message: string }[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push({ code: w.code, message: w.message });
    process.on('warning', onWarning);
    try {
      let tested = 0;
      class Spy extends RegExp {
        override test(text: string): boolean {
          tested++;
          return super.test(text);
        }
      }
      const unsafe = new Spy('^https:\\/\\/([a-z0-9]+-?)+\\.example\\.com$');
      const dotted = /^https:\/\/app-1.example.com$/;
      for (const answer of [unsafe, dotted, [ORIGIN.replace('1', '2'), unsafe]]) {
        const validator = createOriginValidator({
          origin: (_origin: string, callback: (err: null, allow: RegExp) => void) => callback(null, answer as RegExp),
        });
        const verdict = await validator.check(ORIGIN);
        assert.equal(verdict.allowed, false);
        assert.equal(verdict.reason, 'origin-check-failed');
        assert.match(verdict.allowed ? '' : (verdict.detail ?? ''), /regexp-(backtracking|unescaped-dot)/);
      }
      assert.equal(tested, 0, 'the unsafe RegExp is never run against an origin');
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => w.code === 'CORS_SAFETY_UNSAFE_CALLBACK_REGEXP');
      assert.equal(ours.length, 1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('a safe RegExp still allows, and the analysis runs once per RegExp object', async () => {
    let sourceReads = 0;
    class Counting extends RegExp {
      override get source(): string {
        sourceReads++;
        return super.source;
      }
    }
    const re = new Counting('^https:\\/\\/app-\\d\\.example\\.com$');
    const validator = createOriginValidator({
      origin: (_origin: string, callback: (err: null, allow: RegExp) => void) => callback(null, re),
    });
    assert.equal((await validator.check(ORIGIN)).allowed, true);
    const afterFirst = sourceReads;
    for (let i = 0; i < 10; i++) assert.equal((await validator.check(ORIGIN)).allowed, true);
    assert.equal(sourceReads - afterFirst, 10, 'one cache lookup read per request, no re-analysis');
    assert.equal(afterFirst, 1, 'the first request analysed and compiled it from one read of its source');
  });

  test('a RegExp built anew per request is analysed once per text', () => {
    const first = cachedOriginRegExp(new RegExp('^https:\\/\\/(a+)+\\.x\\.com$'));
    const second = cachedOriginRegExp(new RegExp('^https:\\/\\/(a+)+\\.x\\.com$'));
    assert.equal(second, first);
    assert.equal(first.ok ? undefined : first.problem.code, 'regexp-backtracking');
  });

  test('a callback answering with something that throws when read denies, even when it answers later', async () => {
    const revoked = Proxy.revocable([], {});
    revoked.revoke();
    const throwingRegExp = Object.create(RegExp.prototype) as RegExp;
    for (const value of [revoked.proxy, throwingRegExp]) {
      for (const later of [false, true]) {
        const validator = createOriginValidator({
          origin: (_origin: string, callback: (err: null, allow: RegExp) => void) => {
            if (later) setImmediate(() => callback(null, value as RegExp));
            else callback(null, value as RegExp);
          },
        });
        const verdict = await validator.check(ORIGIN);
        assert.equal(verdict.reason, 'origin-check-failed');
      }
    }
  });
});

describe('a RegExp that matches any site', () => {
  test('is refused like origin: true with credentials would be (review input /^.*$/ with credentials)', () => {
    for (const re of [
      /^.*$/,
      /^https?:\/\/.+$/,
      /^https:\/\/[a-z0-9.-]+$/,
      /^https:\/\/.*$/,
      /^(?:https?):\/\/[^/]+$/i,
    ]) {
      const issue = issueOf(re);
      assert.equal(issue?.code, 'regexp-any-origin', String(re));
      assert.match(issue?.message ?? '', /cors-safety-probe\.invalid/);
      assert.throws(() => createCorsPolicy({ origin: re, credentials: true }), CorsConfigError, String(re));
    }
  });

  test('RegExps bound to a domain or a loopback host stay accepted', () => {
    for (const re of [
      /^https:\/\/.*\.example\.com$/,
      /^https?:\/\/localhost(:\d+)?$/,
      /^https:\/\/[a-z]+\.example\.org$/,
    ]) {
      assert.equal(issueOf(re), undefined, String(re));
    }
  });

  test('an origin callback answering with such a RegExp denies', async () => {
    const validator = createOriginValidator({
      origin: (_origin: string, callback: (err: null, allow: RegExp) => void) => callback(null, /^.*$/),
      credentials: true,
    });
    const verdict = await validator.check('https://evil.example');
    assert.equal(verdict.allowed, false);
    assert.match(verdict.allowed ? '' : (verdict.detail ?? ''), /regexp-any-origin/);
  });
});
