// Table-driven tests for the origin parsers: the strict request-time parser and the canonicalising
// configuration parser. Hostile inputs first: every one of them must be refused, never repaired.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_PORTS,
  MAX_ORIGIN_LENGTH,
  canonicalHost,
  isIpAddress,
  parseConfigPort,
  parseSerializedOrigin,
  serializeOrigin,
  splitHostPort,
  type ConfigOrigin,
  type ParsedOrigin,
} from '../../src/policy/origin-syntax.js';
import { parseConfigOrigin } from '../../src/policy/origin-entry.js';
import { installNodePlatform } from '../../src/node/platform.js';
import { isPublicSuffix } from '../../src/policy/public-suffix.js';

// The policy core loads the Public Suffix List through the platform the entry installs.
installNodePlatform();

const label63 = 'a'.repeat(63);
const host253 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(61)}`;

test('host253 is 253 characters long', () => assert.equal(host253.length, 253));

describe('parseSerializedOrigin: well-formed serialized origins', () => {
  const cases: [string, ParsedOrigin][] = [
    ['https://app.example.com', { scheme: 'https', host: 'app.example.com', port: 443 }],
    ['http://app.example.com', { scheme: 'http', host: 'app.example.com', port: 80 }],
    ['http://localhost:3000', { scheme: 'http', host: 'localhost', port: 3000 }],
    ['http://[::1]:8080', { scheme: 'http', host: '[::1]', port: 8080 }],
    ['http://[::1]', { scheme: 'http', host: '[::1]', port: 80 }],
    ['http://[2001:db8::1]', { scheme: 'http', host: '[2001:db8::1]', port: 80 }],
    // The canonical (RFC 5952) form of an IPv4-mapped address, as a browser serializes it.
    ['https://[::ffff:7f00:1]', { scheme: 'https', host: '[::ffff:7f00:1]', port: 443 }],
    ['http://127.0.0.1', { scheme: 'http', host: '127.0.0.1', port: 80 }],
    ['http://0.0.0.0:1', { scheme: 'http', host: '0.0.0.0', port: 1 }],
    ['http://255.255.255.255', { scheme: 'http', host: '255.255.255.255', port: 80 }],
    // A trailing dot is kept by browsers: a different origin, but a well-formed one.
    ['https://example.com.', { scheme: 'https', host: 'example.com.', port: 443 }],
    ['https://xn--bcher-kva.example', { scheme: 'https', host: 'xn--bcher-kva.example', port: 443 }],
    ['https://a_b.example.com', { scheme: 'https', host: 'a_b.example.com', port: 443 }],
    // The other scheme's default port is not this scheme's default: it stays.
    ['https://a.com:80', { scheme: 'https', host: 'a.com', port: 80 }],
    ['http://a.com:443', { scheme: 'http', host: 'a.com', port: 443 }],
    ['http://a.com:65535', { scheme: 'http', host: 'a.com', port: 65535 }],
    [`https://${label63}.com`, { scheme: 'https', host: `${label63}.com`, port: 443 }],
    [`https://${host253}`, { scheme: 'https', host: host253, port: 443 }],
    [`https://${host253}.`, { scheme: 'https', host: `${host253}.`, port: 443 }],
    ['http://localhost', { scheme: 'http', host: 'localhost', port: 80 }],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      assert.deepEqual(parseSerializedOrigin(input), expected);
    });
  }
});

describe('parseSerializedOrigin: anything a browser would not send is malformed', () => {
  const cases: [string, string][] = [
    ['', 'empty'],
    ['null', 'the opaque origin is handled by the caller'],
    ['https://', 'no host'],
    ['http://', 'no host'],
    ['https:///', 'no host, a path'],
    ['//app.example.com', 'no scheme'],
    ['app.example.com', 'no scheme'],
    ['ftp://a.com', 'other scheme'],
    ['ws://a.com', 'websocket scheme'],
    ['wss://a.com', 'websocket scheme'],
    ['HTTPS://a.com', 'uppercase scheme'],
    ['Https://a.com', 'mixed-case scheme'],
    ['https://A.com', 'uppercase host'],
    ['https://app.Example.com', 'mixed-case host'],
    ['https://a.com:443', 'explicit default port'],
    ['http://a.com:80', 'explicit default port'],
    ['http://[::1]:80', 'explicit default port on IPv6'],
    ['https://a.com/', 'trailing slash'],
    ['https://a.com/path', 'path'],
    ['https://a.com?x=1', 'query'],
    ['https://a.com#x', 'fragment'],
    ['https://user@a.com', 'userinfo'],
    ['https://user:pw@a.com', 'userinfo with password'],
    ['https://a.com@evil.com', 'userinfo trick'],
    ['https://a.com\\@evil.com', 'backslash trick'],
    ['https://ex%61mple.com', 'percent-encoding'],
    ['https://a.com%2e', 'percent-encoded dot'],
    ['https://a.com,https://b.com', 'two origins'],
    ['https://*.a.com', 'wildcard is config syntax only'],
    // Suffix and prefix tricks are well-formed but different origins; prefixes with junk are not.
    ['xhttps://a.com', 'prefix before scheme'],
    // IPv4 shorthand and other forms the URL parser would rewrite.
    ['http://127.1', 'IPv4 shorthand'],
    ['http://0x7f.0.0.1', 'hex IPv4 part'],
    ['http://2130706433', 'IPv4 as one number'],
    ['http://0177.0.0.1', 'octal IPv4 part'],
    ['http://127.0.0.01', 'leading zero in IPv4 part'],
    ['http://127.0.0.1.', 'IPv4 with trailing dot'],
    ['http://256.0.0.1', 'IPv4 part over 255'],
    ['http://1.2.3.4.5', 'five IPv4 parts'],
    ['http://1234.0.0.1', 'IPv4 part with four digits'],
    ['http://1.2.3.', 'three IPv4 parts and a trailing dot'],
    ['http://a.0.0.1', 'letters in a dotted quad'],
    ['http://foo.123', 'ends in a number'],
    ['http://foo.0x7f', 'ends in a hex number'],
    // IPv6 forms that are not canonical, or not closed.
    ['http://[0:0::1]', 'non-canonical IPv6'],
    ['http://[0000::1]', 'IPv6 with leading zeros'],
    ['http://[::ffff:127.0.0.1]', 'IPv4-mapped IPv6 in dotted form'],
    ['http://[::A]', 'uppercase IPv6'],
    ['http://[::1', 'unclosed IPv6'],
    ['http://[::1]]', 'junk after IPv6'],
    ['http://[::1]x', 'junk after IPv6'],
    ['http://[::1]:', 'empty port after IPv6'],
    ['http://[]', 'empty IPv6'],
    ['http://[1]', 'one-character IPv6'],
    ['http://[::g]', 'non-hex IPv6'],
    ['http://[fe80::1%25eth0]', 'IPv6 zone'],
    [`http://[${'1:'.repeat(23)}1]`, 'IPv6 text too long'],
    ['http://::1', 'unbracketed IPv6'],
    // Labels.
    ['https://.a.com', 'empty first label'],
    ['https://a..com', 'empty inner label'],
    ['https://.', 'only a dot'],
    ['https://a.com..', 'two trailing dots'],
    [`https://${'a'.repeat(64)}.com`, 'label over 63 characters'],
    [`https://a.${host253}`, 'host over 254 characters'],
    ['https://a$b.com', 'character outside a host name'],
    // Whitespace and control characters.
    [' https://a.com', 'leading space'],
    ['https://a.com ', 'trailing space'],
    ['https://a.com\r\n', 'CR LF'],
    ['https://a.com\nX-Injected: 1', 'header injection'],
    ['https://a.com\t', 'tab'],
    ['https://a\tb.com', 'tab inside the host'],
    ['https://a.com\0', 'NUL'],
    ['https://a.com\x7f', 'DEL'],
    // Unicode hosts: a browser sends punycode.
    ['https://bücher.example', 'Unicode host'],
    ['https://\u0430pple.com', 'Cyrillic homograph'],
    ['https://\uff41.com', 'full-width letter'],
    ['https://a.com\u3002', 'ideographic full stop'],
    // Ports.
    ['http://a.com:0', 'port 0'],
    ['http://a.com:65536', 'port over 65535'],
    ['http://a.com:99999', 'port over 65535'],
    ['http://a.com:123456', 'six-digit port'],
    ['http://a.com:08080', 'leading zero'],
    ['http://a.com:', 'empty port'],
    ['http://a.com:+80', 'signed port'],
    ['http://a.com:-1', 'negative port'],
    ['http://a.com:8o', 'letter in port'],
    ['http://a.com:8080:90', 'two ports'],
    ['http://a.com: 80', 'space in port'],
  ];
  for (const [input, why] of cases) {
    test(`${JSON.stringify(input)} (${why})`, () => {
      assert.equal(parseSerializedOrigin(input), undefined);
    });
  }

  test('values over MAX_ORIGIN_LENGTH are refused before parsing', () => {
    assert.equal(MAX_ORIGIN_LENGTH, 2048);
    // Over-long but otherwise of a shape the parser would look at.
    assert.equal(parseSerializedOrigin(`https://${'a.'.repeat(1100)}com`), undefined);
  });
});

type ConfigCase = [entry: string, expected: ConfigOrigin];

describe('parseConfigOrigin: accepted entries are canonicalised', () => {
  const cases: ConfigCase[] = [
    [
      'https://app.example.com',
      { kind: 'exact', origin: 'https://app.example.com', scheme: 'https', host: 'app.example.com', port: 443 },
    ],
    [
      'HTTPS://APP.Example.COM',
      { kind: 'exact', origin: 'https://app.example.com', scheme: 'https', host: 'app.example.com', port: 443 },
    ],
    [
      'https://app.example.com/',
      { kind: 'exact', origin: 'https://app.example.com', scheme: 'https', host: 'app.example.com', port: 443 },
    ],
    [
      'https://app.example.com:443',
      { kind: 'exact', origin: 'https://app.example.com', scheme: 'https', host: 'app.example.com', port: 443 },
    ],
    [
      'http://app.example.com:80/',
      { kind: 'exact', origin: 'http://app.example.com', scheme: 'http', host: 'app.example.com', port: 80 },
    ],
    [
      'https://app.example.com:80',
      { kind: 'exact', origin: 'https://app.example.com:80', scheme: 'https', host: 'app.example.com', port: 80 },
    ],
    [
      'http://localhost:3000',
      { kind: 'exact', origin: 'http://localhost:3000', scheme: 'http', host: 'localhost', port: 3000 },
    ],
    ['http://[::1]:8080', { kind: 'exact', origin: 'http://[::1]:8080', scheme: 'http', host: '[::1]', port: 8080 }],
    ['http://[0:0::1]:8080', { kind: 'exact', origin: 'http://[::1]:8080', scheme: 'http', host: '[::1]', port: 8080 }],
    [
      'http://[::ffff:127.0.0.1]',
      { kind: 'exact', origin: 'http://[::ffff:7f00:1]', scheme: 'http', host: '[::ffff:7f00:1]', port: 80 },
    ],
    [
      'https://bücher.example',
      {
        kind: 'exact',
        origin: 'https://xn--bcher-kva.example',
        scheme: 'https',
        host: 'xn--bcher-kva.example',
        port: 443,
      },
    ],
    [
      'https://BÜCHER.example',
      {
        kind: 'exact',
        origin: 'https://xn--bcher-kva.example',
        scheme: 'https',
        host: 'xn--bcher-kva.example',
        port: 443,
      },
    ],
    // Configuration is written by the operator: IPv4 shorthand means the address it names.
    [
      'http://127.1:3000',
      { kind: 'exact', origin: 'http://127.0.0.1:3000', scheme: 'http', host: '127.0.0.1', port: 3000 },
    ],
    [
      'https://a.com:08443',
      { kind: 'exact', origin: 'https://a.com:8443', scheme: 'https', host: 'a.com', port: 8443 },
    ],
    ['https://a.com:0443', { kind: 'exact', origin: 'https://a.com', scheme: 'https', host: 'a.com', port: 443 }],
    ['http://a.com:65535', { kind: 'exact', origin: 'http://a.com:65535', scheme: 'http', host: 'a.com', port: 65535 }],
    ['http://localhost:*', { kind: 'host', scheme: 'http', host: 'localhost', port: '*' }],
    ['http://[::1]:*', { kind: 'host', scheme: 'http', host: '[::1]', port: '*' }],
    ['https://*.example.com', { kind: 'subdomains', scheme: 'https', suffix: 'example.com', port: 443 }],
    ['https://*.example.com:*', { kind: 'subdomains', scheme: 'https', suffix: 'example.com', port: '*' }],
    [
      'https://*.Bücher.example:8443/',
      { kind: 'subdomains', scheme: 'https', suffix: 'xn--bcher-kva.example', port: 8443 },
    ],
    ['http://*.localhost:*', { kind: 'subdomains', scheme: 'http', suffix: 'localhost', port: '*' }],
    ['https://*.mine.github.io', { kind: 'subdomains', scheme: 'https', suffix: 'mine.github.io', port: 443 }],
  ];
  for (const [entry, expected] of cases) {
    test(JSON.stringify(entry), () => {
      assert.deepEqual(parseConfigOrigin(entry, isPublicSuffix), { ok: true, value: expected });
    });
  }
});

describe('parseConfigOrigin: refused entries name the problem and the fix', () => {
  const cases: [entry: string, code: string, messageIncludes?: string][] = [
    ['', 'origin-empty', 'https://app.example.com'],
    [`https://${'a'.repeat(2050)}.com`, 'origin-too-long', '2048'],
    [' https://a.com', 'origin-whitespace', '"https://a.com"'],
    ['https://a.com\n', 'origin-whitespace', '"https://a.com"'],
    ['https://a.com\r\nX: y', 'origin-whitespace'],
    ['https://a\tb.com', 'origin-whitespace'],
    ['https://a.com\0', 'origin-whitespace'],
    ['https://a.com\x7f', 'origin-whitespace'],
    ['null', 'origin-null-entry', 'allowNullOrigin'],
    ['NULL', 'origin-null-entry', 'allowNullOrigin'],
    ['*', 'origin-star-in-list', 'origin: "*"'],
    ['app.example.com', 'origin-no-scheme', '"https://app.example.com"'],
    ['app.example.com/', 'origin-no-scheme', '"https://app.example.com"'],
    ['localhost:3000', 'origin-no-scheme', '"https://localhost:3000"'],
    ['ws://a.com:8080', 'origin-websocket-scheme', '"http://a.com:8080"'],
    ['wss://a.com', 'origin-websocket-scheme', '"https://a.com"'],
    ['WSS://a.com', 'origin-websocket-scheme', '"https://a.com"'],
    ['ftp://a.com', 'origin-unsupported-scheme', 'no browser sends'],
    ['data://x', 'origin-unsupported-scheme', 'data: pages send "null"'],
    ['blob:https://a.com', 'origin-unsupported-scheme', 'scheme "blob"'],
    ['file://a.com', 'origin-unsupported-scheme'],
    ['https://user@a.com', 'origin-userinfo', '"https://a.com"'],
    ['https://user:pw@a.com/', 'origin-userinfo', '"https://a.com/"'],
    ['https://a.com#top', 'origin-fragment'],
    ['https://a.com?x=1', 'origin-query'],
    ['https://a.com/path', 'origin-path', '"https://a.com"'],
    ['https://a.com//', 'origin-path', '"https://a.com"'],
    ['https://a.com/app/', 'origin-path', '"https://a.com"'],
    ['https://ex%61mple.com', 'origin-invalid-host', 'plain text'],
    ['https://a.com\\', 'origin-invalid-host'],
    ['https://', 'origin-invalid-host'],
    ['https:///', 'origin-invalid-host'],
    ['https://:8080', 'origin-invalid-host'],
    ['https://[::1', 'origin-invalid-host'],
    ['https://[::1]x', 'origin-invalid-host'],
    ['https://[::g]', 'origin-invalid-host'],
    ['https://a..com', 'origin-invalid-host'],
    ['https://.a.com', 'origin-invalid-host'],
    ['https://a$b.com', 'origin-invalid-host'],
    ['https://xn--zz', 'origin-invalid-host'],
    ['https://foo.123', 'origin-invalid-host'],
    ['https://*.', 'origin-invalid-host'],
    // The host text must not smuggle a second port: "a.com:8080:90" is not "a.com:90".
    ['https://a.com:8080:90', 'origin-invalid-host'],
    ['https://a.com:0', 'origin-invalid-port', '1-65535'],
    ['https://a.com:65536', 'origin-invalid-port', '1-65535'],
    ['https://a.com:123456', 'origin-invalid-port'],
    ['https://a.com:', 'origin-invalid-port'],
    ['https://a.com:8o', 'origin-invalid-port'],
    ['https://[::1]:x', 'origin-invalid-port'],
    ['https://*', 'origin-wildcard-position', 'https://*.example.com'],
    ['https://*a.example.com', 'origin-wildcard-position'],
    ['https://a.*.example.com', 'origin-wildcard-position'],
    ['https://*.*.example.com', 'origin-wildcard-position'],
    ['https://example.*', 'origin-wildcard-position'],
    ['https://*.example.com.', 'origin-trailing-dot', '"https://*.example.com"'],
    ['https://*.example.com.:8443', 'origin-trailing-dot', '"https://*.example.com:8443"'],
    ['http://localhost.:*', 'origin-trailing-dot', '"http://localhost:*"'],
    ['https://*.10.0.0.1', 'origin-wildcard-ip', 'list the address itself'],
    ['https://*.0.1', 'origin-wildcard-ip'],
    ['https://*.com', 'origin-wildcard-public-suffix', '"https://*.example.com"'],
    ['https://*.co.uk', 'origin-wildcard-public-suffix', '"https://*.example.co.uk"'],
    ['https://*.CO.UK', 'origin-wildcard-public-suffix'],
    ['https://*.github.io', 'origin-wildcard-public-suffix'],
    ['https://*.s3.amazonaws.com', 'origin-wildcard-public-suffix'],
    ['http://*.com:*', 'origin-wildcard-public-suffix'],
    ['https://*.рф', 'origin-wildcard-public-suffix'],
  ];
  for (const [entry, code, includes] of cases) {
    test(`${JSON.stringify(entry.slice(0, 60))} -> ${code}`, () => {
      const result = parseConfigOrigin(entry, isPublicSuffix);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.problem.code, code);
      if (includes !== undefined) assert.ok(result.problem.message.includes(includes), result.problem.message);
    });
  }

  test('the public-suffix guard is the function passed in', () => {
    assert.equal(parseConfigOrigin('https://*.example.com', () => true).ok, false);
    assert.equal(parseConfigOrigin('https://*.com', () => false).ok, true);
  });
});

describe('origin-syntax helpers', () => {
  test('DEFAULT_PORTS', () => {
    assert.deepEqual({ ...DEFAULT_PORTS }, { http: 80, https: 443 });
    assert.ok(Object.isFrozen(DEFAULT_PORTS));
  });

  test('serializeOrigin leaves the default port out', () => {
    assert.equal(serializeOrigin('https', 'a.com', 443), 'https://a.com');
    assert.equal(serializeOrigin('http', 'a.com', 80), 'http://a.com');
    assert.equal(serializeOrigin('https', 'a.com', 80), 'https://a.com:80');
    assert.equal(serializeOrigin('http', '[::1]', 8080), 'http://[::1]:8080');
  });

  test('splitHostPort', () => {
    assert.deepEqual(splitHostPort('a.com'), { host: 'a.com', port: undefined });
    assert.deepEqual(splitHostPort('a.com:80'), { host: 'a.com', port: '80' });
    assert.deepEqual(splitHostPort('a.com:'), { host: 'a.com', port: '' });
    assert.deepEqual(splitHostPort('[::1]'), { host: '[::1]', port: undefined });
    assert.deepEqual(splitHostPort('[::1]:8080'), { host: '[::1]', port: '8080' });
    assert.equal(splitHostPort('[::1'), undefined);
    assert.equal(splitHostPort('[::1]8080'), undefined);
  });

  test('parseConfigPort', () => {
    assert.equal(parseConfigPort(undefined, 'https', true), 443);
    assert.equal(parseConfigPort(undefined, 'http', false), 80);
    assert.equal(parseConfigPort('*', 'http', true), '*');
    assert.equal(parseConfigPort('*', 'http', false), undefined);
    assert.equal(parseConfigPort('1', 'http', false), 1);
    assert.equal(parseConfigPort('65535', 'http', false), 65535);
    assert.equal(parseConfigPort('08080', 'http', false), 8080);
    for (const bad of ['', '0', '00', '65536', '123456', '8o', '-1', '+1', ' 80']) {
      assert.equal(parseConfigPort(bad, 'http', true), undefined, bad);
    }
  });

  test('canonicalHost', () => {
    assert.equal(canonicalHost('https', 'Bücher.Example'), 'xn--bcher-kva.example');
    assert.equal(canonicalHost('http', '127.1'), '127.0.0.1');
    assert.equal(canonicalHost('http', '0x7f.0.0.1'), '127.0.0.1');
    assert.equal(canonicalHost('http', '[0:0::1]'), '[::1]');
    assert.equal(canonicalHost('https', 'example.com.'), 'example.com.');
    assert.equal(canonicalHost('https', 'a.com:8080'), undefined);
    assert.equal(canonicalHost('https', '::1'), undefined);
    assert.equal(canonicalHost('https', ''), undefined);
    assert.equal(canonicalHost('https', 'a..b'), undefined);
    assert.equal(canonicalHost('https', 'a b'), undefined);
  });

  test('isIpAddress', () => {
    for (const host of ['127.0.0.1', '10.0.0.1', '[::1]', '1.2.3.4.', 'foo.0x1'])
      assert.equal(isIpAddress(host), true, host);
    for (const host of ['example.com', 'localhost', '1.2.3.com', 'a.', 'x1', 'a..', '.'])
      assert.equal(isIpAddress(host), false, host);
  });

  test('isPublicSuffix', () => {
    for (const s of ['com', 'io', 'co.uk', 'com.au', 'ac.jp', 'github.io', 's3.amazonaws.com', 'vercel.app']) {
      assert.equal(isPublicSuffix(s), true, s);
    }
    for (const s of [
      'localhost',
      'example.com',
      'example.co',
      'co.example',
      'com.abc',
      'a.co.uk',
      'mine.github.io',
      'corp.internal',
    ]) {
      assert.equal(isPublicSuffix(s), false, s);
    }
  });
});
