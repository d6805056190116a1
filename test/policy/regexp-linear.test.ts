// Origin RegExps run on a linear-time automaton: no RegExp the policy accepts (in configuration or
// answered by an origin callback) can stall the event loop on any Origin up to the length limit,
// and the automaton answers what V8's test() answers. The any-site and plain-http checks are
// decided on what the compiled RegExp matches, not on how it is spelled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createCorsPolicy, createOriginValidator, CorsConfigError } from '../../src/index.js';
import { linearMatcher, type LinearMatcher } from '../../src/policy/regexp-engine.js';
import { checkOriginRegExp } from '../../src/policy/regexp-rules.js';
import { MAX_ORIGIN_LENGTH } from '../../src/policy/origin-syntax.js';
import { insecureLines } from '../helpers/insecure-lines.js';
import { scaled } from '../helpers/time.js';

/** The issue's input: overlapping repeated parts inside a group repeated with a separator. */
const STALL = /^https:\/\/(?:[a-z]+[a-z0-9]*\.)+example\.com$/;

/** The median time of five runs of `fn`, in ms: one slow run on a loaded machine is not a stall. */
function medianMs(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[2] ?? 0;
}

/** Hostile origins for a RegExp: pumped label shapes that almost match, up to the length limit. */
function adversarialOrigins(): string[] {
  const out: string[] = [];
  for (const unit of ['a.', 'a', 'a-', 'a1', 'aa.', '0.', 'a-a.', 'a.a-', 'a:']) {
    for (const length of [86, 500, MAX_ORIGIN_LENGTH]) {
      const body = unit.repeat(Math.ceil(length / unit.length));
      for (const tail of ['example.co', '!', '', '.', '-']) {
        out.push(`https://${body}`.slice(0, length - tail.length) + tail);
      }
    }
  }
  return out;
}

const ADVERSARIAL = adversarialOrigins();

function assertFast(matcher: LinearMatcher, label: string): void {
  for (const origin of ADVERSARIAL) {
    const ms = medianMs(() => matcher.test(origin));
    assert.ok(ms < scaled(10), `${label} took ${ms.toFixed(1)} ms on an origin of ${origin.length} characters`);
  }
}

describe('no event-loop stall from an accepted RegExp', () => {
  test('the issue input compiles and decides 17, 20 and 1000 labels quickly, the same as V8 on short ones', async () => {
    const validator = createOriginValidator({ origin: [STALL], credentials: true, env: {} });
    for (const labels of [17, 20, 1000]) {
      const origin = `https://${'a.'.repeat(labels)}example.co`.slice(0, MAX_ORIGIN_LENGTH);
      const start = performance.now();
      const verdict = await validator.check(origin);
      const ms = performance.now() - start;
      assert.equal(verdict.allowed, false);
      assert.ok(ms < scaled(10) + 5, `${labels} labels took ${ms.toFixed(1)} ms`);
    }
    assert.equal((await validator.check('https://a1.b.example.com')).allowed, true);
    assert.equal((await validator.check('https://1a.example.com')).allowed, false);
    const matcher = checkOriginRegExp(STALL);
    assert.ok(matcher.ok);
    assertFast(matcher.matcher, String(STALL));
  });

  test('the same RegExp answered by an origin callback goes through the same matcher', async () => {
    const validator = createOriginValidator({ origin: (_origin, cb) => cb(null, STALL), env: {} });
    const origin = `https://${'a.'.repeat(20)}example.co`;
    const start = performance.now();
    assert.equal((await validator.check(origin)).allowed, false);
    assert.ok(performance.now() - start < scaled(50), 'no backtracking on a callback answer');
    assert.equal((await validator.check('https://ab.example.com')).allowed, true);
  });

  test('too many automaton states or syntax it cannot run is refused at construction (regexp-unsupported)', () => {
    for (const re of [/^https:\/\/[a-z]{1,2000}\.x\.com$/, /^https:\/\/(a)\1\.x\.com$/, /^https:\/\/(?=a)a\.x\.com$/]) {
      assert.throws(
        () => createCorsPolicy({ origin: [re], env: {} }),
        (err: unknown) => err instanceof CorsConfigError && err.issues.some((i) => i.code === 'regexp-unsupported'),
        String(re),
      );
    }
  });
});

// Accepted shapes: a scheme part, label groups built of classes with quantifiers (overlapping
// on purpose), repeated with or without separators, alternatives, then a fixed domain.
const classArb = fc.constantFrom('[a-z]', '[a-z0-9]', '[a-z0-9-]', '\\w', '\\d', '[^.]', 'a', '-', '[a-z0-9.-]');
const quantArb = fc.constantFrom('', '+', '*', '?', '{1,3}', '{0,2}', '{2,}');
const atomArb = fc.tuple(classArb, quantArb).map(([c, q]) => c + q);
const bodyArb = fc.array(atomArb, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join(''));
const groupArb = fc
  .tuple(
    fc.oneof(
      bodyArb,
      fc.tuple(bodyArb, bodyArb).map(([a, b]) => `${a}|${b}`),
    ),
    fc.constantFrom('\\.', '-', ''),
    fc.constantFrom('+', '*', '?', '{1,4}', ''),
  )
  .map(([body, sep, q]) => `(?:${body}${sep})${q}`);
const regexpArb = fc
  .tuple(
    fc.constantFrom('https', 'https?', 'http[s]?', '(?:http|https)'),
    fc.array(fc.oneof(groupArb, atomArb), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('\\.example\\.com', 'example\\.com', '', '(?::\\d+)?'),
    fc.constantFrom('', 'i'),
  )
  .map(([scheme, parts, domain, flags]) => new RegExp(`^${scheme}:\\/\\/${parts.join('')}${domain}$`, flags));
const shortOriginArb = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTPS://', ''),
    fc.stringMatching(/^[a-zA-Z0-9.:-]{0,16}$/),
    fc.constantFrom('', 'example.com', '.example.com', ':8080'),
  )
  .map(([a, b, c]) => a + b + c);

describe('property: every accepted RegExp answers like V8 and in linear time', () => {
  test('same answer as RegExp.prototype.test on short inputs (where V8 is quick)', () => {
    fc.assert(
      fc.property(regexpArb, fc.array(shortOriginArb, { minLength: 1, maxLength: 8 }), (re, inputs) => {
        const matcher = linearMatcher(re);
        if (typeof matcher === 'string') return;
        for (const input of inputs) assert.equal(matcher.test(input), re.test(input), `${String(re)} on ${input}`);
      }),
      { numRuns: 400 },
    );
  });

  test('no accepted RegExp takes 10 ms on a hostile origin up to the length limit', () => {
    let accepted = 0;
    fc.assert(
      fc.property(regexpArb, (re) => {
        const check = checkOriginRegExp(re);
        if (!check.ok) return;
        accepted++;
        assertFast(check.matcher, String(re));
      }),
      { numRuns: 40 },
    );
    assert.ok(accepted > 5, `only ${accepted} generated RegExps were accepted: the generator is not testing much`);
  });
});

// Any syntax at all, any flags: whatever the automaton compiles answers exactly as V8 does (lazy
// quantifiers, the s flag, negated classes under i, \b, u-mode case folding of K and ſ included).
const syntaxArb = fc.constantFrom(
  ...['a', 'b', 'k', 's', 'K', '.', '\\.', '-', '[a-c]', '[^a]', '[^]', '[k-s]', '[^k]', '\\d', '\\w', '\\W'],
  ...['\\s', '\\S', '\\b', '\\B', '^', '$', '(?:', '(', ')', '|', '*', '+', '?', '*?', '+?', '??', '{1,2}'],
  ...['{2}', '{,2}', '{', '}', '{1,}', '{1,3}?', '\\/', '[\\b]', '\\x41', '\\u0042', '[a-]', '[\\d-z]', '\\0'],
  ...['\\cJ', '\\k', ']', '(?<n>', '(?=', '(?!', '\\1', 'é', ':'],
);

describe('property: the automaton answers like V8 for any syntax it accepts', () => {
  test('random sources, flags and inputs', () => {
    let compiled = 0;
    fc.assert(
      fc.property(
        fc.array(syntaxArb, { maxLength: 8 }),
        fc.constantFrom('', 'i', 'm', 's', 'u', 'iu', 'is'),
        fc.array(fc.stringMatching(/^[abkscAKBS.:/0-9 \n_-]{0,6}$/), { maxLength: 6 }),
        (parts, flags, inputs) => {
          let re: RegExp;
          try {
            re = new RegExp(parts.join(''), flags);
          } catch {
            return;
          }
          const matcher = linearMatcher(re);
          if (typeof matcher === 'string') return;
          compiled++;
          for (const input of inputs)
            assert.equal(matcher.test(input), re.test(input), `${String(re)} on ${JSON.stringify(input)}`);
        },
      ),
      { numRuns: 3000 },
    );
    assert.ok(compiled > 1000, `only ${compiled} sources compiled`);
  });
});

describe('any-site RegExps are refused by what they match, not by their spelling', () => {
  const anySite = [
    /^https:\/\/[a-z0-9.]+$/,
    /^https:\/\/[\w.]+$/,
    /^https:\/\/[a-z]+\.[a-z]+$/,
    /^https:\/\/.*\.com$/,
    /^https:\/\/[^/]+$/,
    /^https?:\/\/(?:[a-z0-9]+\.)+[a-z]+$/,
  ];
  for (const re of anySite) {
    test(`${String(re)} is refused with credentials (regexp-any-origin)`, () => {
      assert.throws(
        () => createCorsPolicy({ origin: [re], credentials: true, env: {} }),
        (err: unknown) => err instanceof CorsConfigError && err.issues.some((i) => i.code === 'regexp-any-origin'),
      );
    });
  }
  test('RegExps about one site stay accepted', () => {
    for (const re of [
      /^https:\/\/(?:[a-z0-9-]+\.)*example\.com$/,
      /^https:\/\/a\.com$/,
      /^https:\/\/attacker\.com$/,
      /^https:\/\/[a-z]+\.example\.co\.uk$/,
      /^https:\/\/(?:app|admin)\.example\.com(?::\d+)?$/,
    ]) {
      assert.doesNotThrow(() => createCorsPolicy({ origin: [re], credentials: true, env: {} }), String(re));
    }
  });
});

describe('the plain-http-with-credentials warning is decided by matching', () => {
  for (const re of [
    /^http[s]?:\/\/app\.example\.com$/,
    /^(?:https?):\/\/app\.example\.com$/,
    /^(?:http|https):\/\/app\.example\.com$/,
    /^https{0,1}:\/\/app\.example\.com$/,
    /^h[t]tps?:\/\/app\.example\.com$/,
    /^https?:\/\/local\.example\.com$/,
    /^https?:\/\/(?:localhost|app\.example\.com)$/,
    /^http:\/\/localhost\.evil\.com$/,
  ]) {
    test(`${String(re)} warns`, () => {
      assert.equal(insecureLines({ origin: [re], credentials: true }).length, 1);
    });
  }
  for (const re of [
    /^https:\/\/app\.example\.com$/,
    /^https?:\/\/localhost(?::\d+)?$/,
    /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/,
    /^http:\/\/\[::1\](?::\d+)?$/,
  ]) {
    test(`${String(re)} stays quiet`, () => {
      assert.deepEqual(insecureLines({ origin: [re], credentials: true }), []);
    });
  }
});
