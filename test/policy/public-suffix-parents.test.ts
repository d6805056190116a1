// A `*.` pattern or a `.host` allowedHosts entry over a domain that has a public suffix below it
// (`*.amazonaws.com` covers `s3.amazonaws.com`, where anyone creates a bucket) is refused with
// the suffix named, unless dangerouslyAllowPublicSuffixesUnderWildcards says otherwise.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CorsConfigError, createCorsPolicy, createOriginValidator, type CorsSafetyOptions } from '../../src/index.js';
import { publicSuffixBelow } from '../../src/policy/public-suffix.js';

function issues(options: CorsSafetyOptions): { code: string; message: string }[] {
  try {
    createCorsPolicy({ env: {}, ...options });
    return [];
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, String(err));
    return err.issues.map(({ code, message }) => ({ code, message }));
  }
}

describe('public suffixes below a wildcard base', () => {
  test('tldts data is read: the issue domains have suffixes below them, ordinary domains none', () => {
    assert.equal(publicSuffixBelow('amazonaws.com'), 's3.amazonaws.com');
    assert.match(publicSuffixBelow('core.windows.net') ?? '', /\.core\.windows\.net$/);
    assert.match(publicSuffixBelow('scw.cloud') ?? '', /\.scw\.cloud$/);
    for (const domain of ['example.com', 'github.com', 'mine.s3.amazonaws.com', 'city.kawasaki.jp', 'localhost'])
      assert.equal(publicSuffixBelow(domain), undefined, domain);
  });

  for (const pattern of ['https://*.amazonaws.com', 'https://*.core.windows.net', 'https://*.scw.cloud:8443']) {
    test(`${pattern} is refused with credentials and without, naming the suffix`, () => {
      for (const credentials of [true, false]) {
        const found = issues({ origin: [pattern], credentials });
        assert.equal(found.length, 1);
        assert.equal(found[0]?.code, 'origin-public-suffix-below');
        assert.match(found[0]?.message ?? '', /a public suffix where anyone can register a name/);
        assert.match(
          found[0]?.message ?? '',
          new RegExp(`under "[^"]+\\.${pattern.split('*.')[1]?.split(':')[0]?.replace(/\./g, '\\.')}"`),
        );
      }
    });
  }

  test('allowedHosts: ".amazonaws.com" and "*.amazonaws.com" are refused; a bucket of your own is fine', () => {
    const found = issues({ origin: ['https://a.com'], allowedHosts: ['.amazonaws.com', '*.amazonaws.com'] });
    assert.deepEqual(
      found.map((i) => i.code),
      ['allowed-host-public-suffix-below', 'allowed-host-public-suffix-below'],
    );
    assert.match(found[0]?.message ?? '', /"s3\.amazonaws\.com"/);
    assert.deepEqual(
      issues({ origin: ['https://a.com'], allowedHosts: ['.mine.s3.amazonaws.com', 'amazonaws.com'] }),
      [],
    );
    assert.deepEqual(issues({ origin: ['https://*.mine.s3.amazonaws.com', 'https://*.example.com'] }), []);
  });

  test('the environment path is checked too', () => {
    const found = issues({ env: { CORS_ALLOWED_ORIGINS: 'https://*.amazonaws.com' } });
    assert.equal(found[0]?.code, 'origin-public-suffix-below');
  });

  test('dangerouslyAllowPublicSuffixesUnderWildcards: true accepts it, and then it allows what it says', async () => {
    const validator = createOriginValidator({
      origin: ['https://*.amazonaws.com'],
      credentials: true,
      dangerouslyAllowPublicSuffixesUnderWildcards: true,
      env: {},
    });
    assert.equal((await validator.check('https://attacker-bucket.s3.amazonaws.com')).allowed, true);
    const wrongType = issues({
      origin: ['https://*.amazonaws.com'],
      dangerouslyAllowPublicSuffixesUnderWildcards: 'yes' as unknown as boolean,
    });
    assert.ok(wrongType.length >= 1);
  });

  test('RegExps of the same shape are refused when they allow a site under a public suffix (regexp-public-suffix)', () => {
    for (const re of [
      /^https:\/\/[a-z0-9-]+\.s3\.amazonaws\.com$/,
      /^https:\/\/(?:[a-z0-9-]+\.)+amazonaws\.com$/,
      /^https:\/\/[a-z0-9-]+\.github\.io$/,
      /^https?:\/\/[\w-]+\.web\.core\.windows\.net$/,
    ]) {
      const found = issues({ origin: [re] });
      assert.deepEqual(
        found.map((i) => i.code),
        ['regexp-public-suffix'],
        String(re),
      );
      assert.match(found[0]?.message ?? '', /a site under the public suffix "[^"]+" where anyone can register a name/);
    }
    for (const re of [
      /^https:\/\/mine\.s3\.amazonaws\.com$/,
      /^https:\/\/[a-z]+\.mine\.s3\.amazonaws\.com$/,
      /^https:\/\/(?:[a-z0-9-]+\.)*example\.co\.uk$/,
    ])
      assert.deepEqual(issues({ origin: [re] }), [], String(re));
  });
});
