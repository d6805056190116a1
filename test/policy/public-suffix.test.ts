// Wildcards over public suffixes follow the Public Suffix List (ICANN and private sections),
// both ways: every listed suffix is refused as `https://*.<suffix>` and as `.suffix` / `*.suffix`
// in allowedHosts, and a registrable domain under it is accepted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { getPublicSuffix } from 'tldts';
import { CorsConfigError, createCorsPolicy, createOriginValidator, type OriginVerdict } from '../../src/index.js';
import { isPublicSuffix } from '../../src/policy/public-suffix.js';

/** Real entries of the list, copied from it (rules as written there; `*.` rules name a wildcard). */
const ICANN_ENTRIES = [
  'com',
  'io',
  'dev',
  'co.uk',
  'com.au',
  'ac.jp',
  'gov.br',
  'k12.ca.us',
  'edu.au',
  'net.nz',
  'xn--p1ai',
  'org.za',
  'gouv.fr',
  'com.cn',
  'ac.in',
];
const PRIVATE_ENTRIES = [
  'r2.dev',
  'githubusercontent.com',
  'eu.org',
  's3.us-east-2.amazonaws.com',
  'a.run.app',
  'github.io',
  'gitlab.io',
  'blogspot.com',
  'herokuapp.com',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'vercel.app',
  'azurewebsites.net',
  'cloudfront.net',
  'appspot.com',
  'firebaseapp.com',
  'web.app',
  'myshopify.com',
  'fly.dev',
  'onrender.com',
  'duckdns.org',
  'ngrok.io',
  'translate.goog',
];
/** Wildcard rules (`*.ck`: every label under ck is a suffix) and their exceptions (`!www.ck`). */
const WILDCARD_PARENTS = ['ck', 'kawasaki.jp', 'er', 'compute.estate'];
const EXCEPTIONS = ['www.ck', 'city.kawasaki.jp'];

function codeOf(build: () => unknown): string | undefined {
  try {
    build();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, String(err));
    return err.issues.map((i) => i.code).join(',');
  }
}

function messageOf(build: () => unknown): string {
  try {
    build();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues[0]?.message ?? '';
  }
  return assert.fail('expected a CorsConfigError');
}

const suffixes = [...ICANN_ENTRIES, ...PRIVATE_ENTRIES, ...WILDCARD_PARENTS.map((p) => `anything.${p}`)];

describe('public suffixes follow the Public Suffix List', () => {
  test('the sample is on the list (ICANN and private sections)', () => {
    for (const entry of suffixes) {
      assert.equal(getPublicSuffix(entry, { allowPrivateDomains: true }), entry, entry);
      assert.equal(isPublicSuffix(entry), true, entry);
    }
    for (const entry of PRIVATE_ENTRIES)
      assert.notEqual(getPublicSuffix(entry, { allowPrivateDomains: false }), entry, `${entry} is private`);
  });

  /** `entry` is refused with `code`, and the fix its message prints compiles. */
  function refusedWithWorkingFix(option: 'origin' | 'allowedHosts', entry: string, code: string): void {
    const build = () => createCorsPolicy({ [option]: [entry] });
    assert.equal(codeOf(build), code, entry);
    const fix = /e\.g\. "([^"]+)"/.exec(messageOf(build))?.[1];
    assert.ok(fix !== undefined, entry);
    assert.equal(
      codeOf(() => createCorsPolicy({ [option]: [fix] })),
      undefined,
      `fix for ${entry}: ${fix}`,
    );
  }

  test('every listed suffix is refused as https://*.<suffix>, with a fix that compiles', () => {
    for (const suffix of suffixes)
      for (const scheme of ['https', 'http'])
        refusedWithWorkingFix('origin', `${scheme}://*.${suffix}`, 'origin-wildcard-public-suffix');
  });

  test('every listed suffix is refused as ".suffix" and "*.suffix" in allowedHosts, with a fix that compiles', () => {
    for (const suffix of suffixes)
      for (const entry of [`.${suffix}`, `*.${suffix}`])
        refusedWithWorkingFix('allowedHosts', entry, 'allowed-host-public-suffix');
  });

  test('the failing inputs of the review: r2.dev and githubusercontent.com with credentials', () => {
    for (const entry of ['https://*.r2.dev', 'https://*.githubusercontent.com', 'https://*.a.run.app']) {
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: [entry], credentials: true })),
        'origin-wildcard-public-suffix',
      );
    }
  });

  test('registrable domains under a suffix are accepted, and match only their own subdomains', () => {
    for (const suffix of suffixes) {
      const domain = `mine.${suffix}`;
      const policy = createCorsPolicy({ origin: `https://*.${domain}`, allowedHosts: [`.${domain}`] });
      const validator = createOriginValidator(policy);
      const check = (origin: string) => validator.check(origin);
      assert.equal((check(`https://app.${domain}`) as OriginVerdict).allowed, true, domain);
      assert.equal((check(`https://other.${suffix}`) as OriginVerdict).allowed, false, domain);
    }
  });

  test('a wildcard rule makes every label under it a suffix; an exception is a registrable domain', () => {
    for (const parent of WILDCARD_PARENTS) {
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: `https://*.${parent}` })),
        'origin-wildcard-public-suffix',
      );
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: `https://*.x.${parent}` })),
        'origin-wildcard-public-suffix',
      );
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: `https://*.y.x.${parent}` })),
        undefined,
      );
    }
    for (const exception of EXCEPTIONS) {
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: `https://*.${exception}` })),
        undefined,
        exception,
      );
      assert.equal(
        codeOf(() => createCorsPolicy({ allowedHosts: `.${exception}` })),
        undefined,
        exception,
      );
    }
  });

  test('ordinary names are accepted: nothing is refused that the list does not name', () => {
    for (const domain of [
      'example.com',
      'example.co',
      'co.example',
      'com.abc',
      'a.co.uk',
      'mine.github.io',
      'corp.internal',
      'localhost',
      'example.r2.dev',
      'deep.sub.example.com',
    ]) {
      assert.equal(
        codeOf(() => createCorsPolicy({ origin: `https://*.${domain}` })),
        undefined,
        domain,
      );
      assert.equal(
        codeOf(() => createCorsPolicy({ allowedHosts: `.${domain}` })),
        undefined,
        domain,
      );
    }
  });

  test('property: https://*.<host> is refused exactly when the list names <host>', () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
    const known = fc.constantFrom(...suffixes, ...EXCEPTIONS, ...WILDCARD_PARENTS, 'example.com', 'localhost');
    const host = fc
      .tuple(fc.array(label, { maxLength: 2 }), known)
      .map(([labels, suffix]) => [...labels, suffix].join('.'))
      .filter((h) => !/(^|\.)\d+$/.test(h));
    fc.assert(
      fc.property(host, (h) => {
        const listed = h !== 'localhost' && getPublicSuffix(h, { allowPrivateDomains: true }) === h;
        const code = codeOf(() => createCorsPolicy({ origin: `https://*.${h}` }));
        assert.equal(code === 'origin-wildcard-public-suffix', listed, `${h}: ${String(code)}`);
        if (!listed) assert.equal(code, undefined, h);
      }),
      { numRuns: 500 },
    );
  });
});
