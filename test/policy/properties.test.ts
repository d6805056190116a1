// Property tests: for random allow-lists and hostile origin strings, nothing outside the
// allow-list is ever granted. The oracle below is a deliberately plain reference implementation
// built on the WHATWG URL parser and string comparisons, not on the library's code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createCorsPolicy,
  createOriginValidator,
  type CorsSafetyOptions,
  type OriginVerdict,
} from '../../src/index.js';
import { parseSerializedOrigin } from '../../src/policy/origin-syntax.js';

type Scheme = 'http' | 'https';
type Port = number | '*' | undefined;
interface ExactRule {
  scheme: Scheme;
  host: string;
  port: Port;
  upper: boolean;
  slash: boolean;
}
interface PatternRule {
  scheme: Scheme;
  suffix: string;
  port: Port;
  upper: boolean;
}
interface HostEntry {
  prefix: '' | '.' | '*.';
  host: string;
  port: Port;
  upper: boolean;
}
interface Config {
  exact: ExactRule[];
  patterns: PatternRule[];
  hosts: HostEntry[];
}

const DEFAULT_PORT: Record<Scheme, number> = { http: 80, https: 443 };
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

// ---------------------------------------------------------------------------------------------
// The oracle.

/** `host` is `suffix` with one or more non-empty labels in front. */
function isStrictSubdomain(host: string, suffix: string): boolean {
  if (!host.endsWith(`.${suffix}`)) return false;
  const front = host.slice(0, host.length - suffix.length - 1);
  return front.split('.').every((label) => label.length > 0);
}

function oracleAllows(config: Config, value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // Only a string that already is the serialization of its own origin can be allowed.
  if (url.origin !== value) return false;
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return false;
  const host = url.hostname;
  const port = url.port === '' ? DEFAULT_PORT[scheme] : Number(url.port);
  const portMatches = (want: Port): boolean => want === '*' || (want ?? DEFAULT_PORT[scheme]) === port;

  if (config.exact.some((r) => r.scheme === scheme && r.host === host && portMatches(r.port))) return true;
  if (config.patterns.some((r) => r.scheme === scheme && isStrictSubdomain(host, r.suffix) && portMatches(r.port)))
    return true;
  return config.hosts.some((h) => {
    // https only, except the three loopback hosts themselves, which may be http.
    if (scheme !== 'https' && !LOOPBACK.has(host)) return false;
    if (!portMatches(h.port)) return false;
    if (h.prefix === '') return host === h.host;
    if (h.prefix === '.') return host === h.host || isStrictSubdomain(host, h.host);
    return isStrictSubdomain(host, h.host);
  });
}

/**
 * A URL whose host is plain letters/digits/hyphens/dots (or bracketed IPv6) and whose port is not
 * 0, which no browser page can have: the shape of origins a browser actually sends.
 */
function isBrowserShaped(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.port === '0') return false;
    return /^[a-z0-9.-]+$/.test(url.hostname) || /^\[[0-9a-f:.]+\]$/.test(url.hostname);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

const schemeArb = fc.constantFrom<Scheme>('http', 'https');
const portArb = fc.constantFrom<Port>(undefined, 80, 443, 3000, 8080, '*');
const labelArb = fc.constantFrom(
  'a',
  'b',
  'app',
  'api',
  'www',
  'example',
  'evil',
  'x-y',
  'xn--bcher-kva',
  '1a',
  'localhost',
);
const tldArb = fc.constantFrom('com', 'net', 'org', 'test', 'dev');
/** Two or more labels, never a public suffix (no two-letter TLDs, no hosting suffixes). */
const domainArb = fc
  .tuple(fc.array(labelArb, { maxLength: 2 }), labelArb, tldArb)
  .map(([front, base, tld]) => [...front, base, tld].join('.'));
const hostArb = fc.oneof(
  { weight: 4, arbitrary: domainArb },
  { weight: 1, arbitrary: fc.constantFrom('localhost', '127.0.0.1', '[::1]') },
);

const exactArb = fc.record({
  scheme: schemeArb,
  host: hostArb,
  port: portArb,
  upper: fc.boolean(),
  slash: fc.boolean(),
});
const patternArb = fc.record({ scheme: schemeArb, suffix: domainArb, port: portArb, upper: fc.boolean() });
const hostEntryArb = fc.oneof(
  fc.record({
    prefix: fc.constantFrom<HostEntry['prefix']>('', '.', '*.'),
    host: domainArb,
    port: portArb,
    upper: fc.boolean(),
  }),
  fc.record({
    prefix: fc.constant<HostEntry['prefix']>(''),
    host: fc.constantFrom('localhost', '127.0.0.1', '[::1]'),
    port: portArb,
    upper: fc.boolean(),
  }),
  fc.record({
    prefix: fc.constant<HostEntry['prefix']>('.'),
    host: fc.constant('localhost'),
    port: portArb,
    upper: fc.boolean(),
  }),
);
const configArb: fc.Arbitrary<Config> = fc.record({
  exact: fc.array(exactArb, { minLength: 1, maxLength: 5 }),
  patterns: fc.array(patternArb, { maxLength: 3 }),
  hosts: fc.array(hostEntryArb, { maxLength: 3 }),
});

const portText = (port: Port): string => (port === undefined ? '' : `:${port}`);
const maybeUpper = (text: string, upper: boolean): string => (upper ? text.toUpperCase() : text);

function toOptions(config: Config): CorsSafetyOptions {
  const origin = [
    ...config.exact.map(
      (r) => maybeUpper(`${r.scheme}://${r.host}${portText(r.port)}`, r.upper) + (r.slash ? '/' : ''),
    ),
    ...config.patterns.map((r) => maybeUpper(`${r.scheme}://*.${r.suffix}${portText(r.port)}`, r.upper)),
  ];
  const options: CorsSafetyOptions = { origin, env: {} };
  if (config.hosts.length > 0)
    options.allowedHosts = config.hosts.map((h) => maybeUpper(`${h.prefix}${h.host}${portText(h.port)}`, h.upper));
  return options;
}

/** A serialized origin for a port choice: the default port is left out, "*" picks one. */
function serialize(scheme: Scheme, host: string, port: Port, anyPort: number): string {
  const effective = port === '*' ? anyPort : (port ?? DEFAULT_PORT[scheme]);
  return effective === DEFAULT_PORT[scheme] ? `${scheme}://${host}` : `${scheme}://${host}:${effective}`;
}

/** Origins the configuration allows, as a browser would send them. */
function allowedOriginsArb(config: Config): fc.Arbitrary<string> {
  const anyPort = fc.constantFrom(80, 443, 1, 5173, 65535);
  const choices: fc.Arbitrary<string>[] = [
    fc.tuple(fc.constantFrom(...config.exact), anyPort).map(([r, p]) => serialize(r.scheme, r.host, r.port, p)),
  ];
  if (config.patterns.length > 0) {
    choices.push(
      fc
        .tuple(fc.constantFrom(...config.patterns), labelArb, anyPort)
        .map(([r, label, p]) => serialize(r.scheme, `${label}.${r.suffix}`, r.port, p)),
    );
  }
  if (config.hosts.length > 0) {
    choices.push(
      fc.tuple(fc.constantFrom(...config.hosts), labelArb, anyPort, schemeArb).map(([h, label, p, scheme]) => {
        const host = h.prefix === '' ? h.host : `${label}.${h.host}`;
        return serialize(LOOPBACK.has(host) ? scheme : 'https', host, h.port, p);
      }),
    );
  }
  return fc.oneof(...choices);
}

type Mutation = (origin: string) => fc.Arbitrary<string>;
const at = (text: string) => fc.integer({ min: 0, max: Math.max(0, text.length) });
const afterScheme = (origin: string): number => Math.max(0, origin.indexOf('://') + 3);
const junk = fc.constantFrom(
  '.evil.net',
  '.',
  'x',
  '-',
  '/',
  '/path',
  '?',
  '#',
  '%2e',
  '%41',
  ' ',
  '\r\n',
  '\n',
  '\t',
  '\0',
  '\x7f',
  'ü',
  '\u0430',
  ':443',
  ':80',
  ':8080',
  ':0',
  ':65536',
  ':08080',
  ':',
  '@',
  '\\',
  ',',
  ', https://a.com',
  '*',
  '[',
  ']',
  '0x7f',
  '.1',
);
const mutations: Mutation[] = [
  // Case changes.
  (o) => at(o).map((i) => o.slice(0, i) + o.slice(i, i + 1).toUpperCase() + o.slice(i + 1)),
  (o) => fc.constant(o.toUpperCase()),
  // Ports, labels and characters appended or inserted anywhere.
  (o) => junk.map((j) => o + j),
  (o) => fc.tuple(at(o), junk).map(([i, j]) => o.slice(0, i) + j + o.slice(i)),
  // Prefixes: a label in front of the host, glued text, text before the scheme.
  (o) =>
    fc
      .constantFrom('evil.', 'evil', 'a.b.', 'user@', 'user:pw@', 'app.example.com@', 'xn--')
      .map((p) => o.slice(0, afterScheme(o)) + p + o.slice(afterScheme(o))),
  (o) => fc.constantFrom(' ', 'x', 'evil-', '\t', 'null').map((p) => p + o),
  // Swapped scheme, dropped character, unicode lookalikes.
  (o) => fc.constant(o.startsWith('https:') ? o.replace('https:', 'http:') : o.replace('http:', 'https:')),
  (o) => at(o).map((i) => o.slice(0, i) + o.slice(i + 1)),
  (o) => fc.constant(o.replace('a', '\u0430').replace('o', '\u00f6')),
  (o) => fc.constant(o.replace('127.0.0.1', '127.1').replace('[::1]', '[0:0::1]').replace('localhost', 'LOCALHOST')),
  // The parent domain: drops the first label (a pattern's apex, a host entry's parent).
  (o) => fc.constant(o.slice(0, afterScheme(o)) + o.slice(o.indexOf('.', afterScheme(o)) + 1)),
];

function requestOriginArb(config: Config): fc.Arbitrary<string> {
  const allowed = allowedOriginsArb(config);
  const mutated = fc
    .tuple(allowed, fc.integer({ min: 0, max: mutations.length - 1 }))
    .chain(([origin, i]) => (mutations[i] as Mutation)(origin));
  const twiceMutated = fc
    .tuple(mutated, fc.integer({ min: 0, max: mutations.length - 1 }))
    .chain(([origin, i]) => (mutations[i] as Mutation)(origin));
  const random = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.webUrl().map((u) => (u.length % 2 === 0 ? new URL(u).origin : u)),
    fc.tuple(schemeArb, hostArb, portArb, labelArb).map(([s, h, p, l]) => serialize(s, `${l}.${h}`, p, 8443)),
    fc.constantFrom('null', '', 'https://com', 'http://localhost', 'http://127.0.0.1:1', 'http://[::1]'),
  );
  const nearMisses: fc.Arbitrary<string>[] = [fc.constant('https://evil.example.net')];
  if (config.patterns.length > 0) {
    // A pattern never covers its own apex.
    nearMisses.push(
      fc
        .tuple(fc.constantFrom(...config.patterns), fc.constantFrom(1, 443, 80))
        .map(([r, p]) => serialize(r.scheme, r.suffix, r.port, p)),
    );
  }
  return fc.oneof(
    { weight: 3, arbitrary: allowed },
    { weight: 6, arbitrary: mutated },
    { weight: 3, arbitrary: twiceMutated },
    { weight: 2, arbitrary: random },
    { weight: 1, arbitrary: fc.oneof(...nearMisses) },
  );
}

const casesArb = configArb.chain((config) =>
  fc.tuple(fc.constant(config), fc.array(requestOriginArb(config), { minLength: 1, maxLength: 12 })),
);

// ---------------------------------------------------------------------------------------------

describe('properties of the origin decision', () => {
  test('never throws, grants only what the oracle allows, and answers the same every time', () => {
    let allowedSeen = 0;
    let deniedSeen = 0;
    fc.assert(
      fc.property(casesArb, ([config, origins]) => {
        const options = toOptions(config);
        const validator = createOriginValidator(options);
        const twin = createOriginValidator(createCorsPolicy(options));
        for (const origin of origins) {
          let first: OriginVerdict | Promise<OriginVerdict>;
          try {
            first = validator.check(origin);
          } catch (err) {
            assert.fail(`check(${JSON.stringify(origin)}) threw ${String(err)}`);
          }
          assert.ok(!(first instanceof Promise));
          const expected = oracleAllows(config, origin);
          if (first.allowed) {
            allowedSeen++;
            assert.ok(
              expected,
              `${JSON.stringify(origin)} was allowed by ${first.rule} but is outside the allow-list ${JSON.stringify(options)}`,
            );
            assert.equal(first.origin, origin);
          } else {
            deniedSeen++;
            // Completeness for browser-shaped origins (the URL parser also accepts hosts such as
            // ",evil.example.com" and port 0, which the library refuses on purpose).
            if (isBrowserShaped(origin))
              assert.ok(
                !expected,
                `${JSON.stringify(origin)} was denied (${first.reason}) but the allow-list ${JSON.stringify(options)} covers it`,
              );
          }
          assert.deepEqual(validator.check(origin), first);
          assert.deepEqual(twin.check(origin), first);
        }
      }),
      { numRuns: 400 },
    );
    assert.ok(
      allowedSeen > 100 && deniedSeen > 100,
      `allowed ${allowedSeen}, denied ${deniedSeen}: the generators must exercise both`,
    );
  });

  test('every configured exact origin and pattern is live', () => {
    fc.assert(
      fc.property(configArb, fc.constantFrom(1, 5173, 65535), labelArb, (config, anyPort, label) => {
        const validator = createOriginValidator(toOptions(config));
        for (const r of config.exact) {
          const origin = serialize(r.scheme, r.host, r.port, anyPort);
          assert.equal((validator.check(origin) as OriginVerdict).allowed, true, origin);
        }
        for (const r of config.patterns) {
          const origin = serialize(r.scheme, `${label}.${r.suffix}`, r.port, anyPort);
          assert.equal((validator.check(origin) as OriginVerdict).allowed, true, origin);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('properties of the request-time parser', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.webUrl(),
    fc.webUrl().map((u) => new URL(u).origin),
    configArb.chain((config) => requestOriginArb(config)),
  );

  test('whatever it accepts is already the serialization of its own origin', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseSerializedOrigin(text);
        if (parsed === undefined) return;
        const url = new URL(text);
        assert.equal(url.origin, text);
        assert.equal(`${parsed.scheme}:`, url.protocol);
        assert.equal(parsed.host, url.hostname);
        assert.equal(parsed.port, url.port === '' ? DEFAULT_PORT[parsed.scheme] : Number(url.port));
      }),
      { numRuns: 1000 },
    );
  });

  test('it accepts the origin of any ordinary ASCII domain', () => {
    fc.assert(
      fc.property(fc.domain(), schemeArb, fc.integer({ min: 1, max: 65535 }), (domain, scheme, port) => {
        const origin = new URL(`${scheme}://${domain}:${port}/`).origin;
        assert.notEqual(parseSerializedOrigin(origin), undefined, origin);
      }),
      { numRuns: 500 },
    );
  });
});
