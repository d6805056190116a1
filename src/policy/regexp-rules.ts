/**
 * Construction-time checks for RegExp allow-list entries. A RegExp is only safe as an origin
 * rule when it must match the whole origin, gives the same answer every time, means a literal
 * dot where it writes one, and cannot backtrack catastrophically.
 */
import { backtrackingRisk, type BacktrackingRisk } from './regexp-backtracking.js';
import { linearMatcher, MAX_MATCHER_STATES, type LinearMatcher } from './regexp-engine.js';
import { acceptsSomeSuffix } from './regexp-witness.js';
import { isPublicSuffix, publicSuffixBelow } from './public-suffix.js';
import { LOOPBACK_HOSTS } from '../shared/loopback.js';

interface RegExpShape {
  /** `|` outside any group or class: `^a|b$` anchors only half of each alternative. */
  readonly topLevelAlternation: boolean;
  /** Source ends with an unescaped `$` outside a class. */
  readonly endsAnchored: boolean;
  /** Indexes of unescaped `.` outside classes that no quantifier follows: a literal dot was meant. */
  readonly bareDots: readonly number[];
}

const QUANTIFIER_START = new Set(['*', '+', '?', '{']);

function scan(source: string): RegExpShape {
  let depth = 0;
  let inClass = false;
  let topLevelAlternation = false;
  let endsAnchored = false;
  const bareDots: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    endsAnchored = false;
    if (ch === '\\') {
      i++; // the escaped character is literal
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === '|' && depth === 0) topLevelAlternation = true;
    else if (ch === '$' && i === source.length - 1) endsAnchored = true;
    else if (ch === '.' && !QUANTIFIER_START.has(source[i + 1] ?? '')) bareDots.push(i);
  }
  return { topLevelAlternation, endsAnchored, bareDots };
}

/** Origins of no real site (the reserved .invalid TLD, RFC 6761 §6.4): a RegExp that matches one matches any. */
const NO_SITE_PROBES: readonly string[] = [
  'https://cors-safety-probe.invalid',
  'http://cors-safety-probe.invalid',
  'https://cors-safety-probe.invalid:8443',
  'https://a.b.cors-safety-probe.invalid',
];

/**
 * Origins of unrelated sites in the shapes attackers register (short, hyphenated, digits, other
 * TLDs): a RegExp that matches two of them is not about one site. Decided by what the compiled
 * RegExp matches, whatever its spelling (`[\w.]+`, `[a-z]+\.[a-z]+`, `.*\.com`).
 */
const OTHER_SITE_PROBES: readonly string[] = [
  'https://attacker.com',
  'https://attacker-1.com',
  'https://a.com',
  'https://x.y',
  'http://x.y',
  'https://evil.net',
  'https://qzj7.org',
  'https://sub.attacker.co.uk',
  'https://attacker.com:8443',
];
/** A configuration problem with a RegExp entry. */
export interface RegExpProblem {
  readonly code: string;
  readonly message: string;
}

/**
 * A RegExp source that is plain text (`\/`, `\.` and `\-` escapes only, no other syntax), written as
 * that text; `undefined` otherwise.
 */
function unescapeLiteral(text: string): string | undefined {
  if (/\\[^./-]|(?:^|[^\\])[()[\]{}*+?|^$.]/.test(text)) return undefined;
  return text.replace(/\\(.)/g, '$1');
}

/**
 * The pattern strings equivalent to a "some subdomain of a domain" RegExp, such as
 * `/^https:\/\/([a-z0-9]+-?)+\.example\.com$/` -> `https://*.example.com`, or `undefined` when
 * the RegExp has another shape. `https?` gives both schemes; an optional subdomain part
 * (`(?:...\.)*`, `(...\.)?`) adds the domain itself.
 */
export function equivalentPatterns(re: RegExp): string[] | undefined {
  // Construction time, on configuration text of bounded length; this RegExp has no nested quantifier.
  if (re.source.length > 300) return undefined;
  const shape = /^\^(https?)(\?)?:\\\/\\\/(.+?)((?:[a-z0-9-]+\\\.)*[a-z0-9-]+)\$$/.exec(re.source);
  if (shape === null) return undefined;
  const [, scheme = '', both, prefix = '', domainText = ''] = shape;
  const domain = unescapeLiteral(domainText);
  if (domain === undefined || !domain.includes('.') || isPublicSuffix(domain)) return undefined;
  let withApex: boolean;
  if (prefix.endsWith('\\.')) withApex = false;
  else if (/\\\.\)[*?]$/.test(prefix)) withApex = true;
  else return undefined;
  // The prefix must only stand for labels: no "/", ":", "@" or "." that could leave the host.
  if (/[/:@]|\\[^.]/.test(prefix.replace(/\\\.\)[*?]?$|\\\.$/, '').replace(/\\[dw-]/g, ''))) return undefined;
  const schemes = both === '?' ? ['https', 'http'] : [scheme];
  const out: string[] = [];
  for (const s of schemes) {
    if (withApex) out.push(`${s}://${domain}`);
    out.push(`${s}://*.${domain}`);
  }
  return out;
}

function patternHint(re: RegExp, otherwise: string): string {
  const patterns = equivalentPatterns(re);
  if (patterns === undefined) return otherwise;
  const list = patterns.map((p) => JSON.stringify(p)).join(', ');
  const domain = patterns[patterns.length - 1]?.replace(/^[a-z]+:\/\/\*\./, '') ?? '';
  return `to allow the subdomains of ${domain}, use the pattern${patterns.length > 1 ? 's' : ''} ${list} (matched without any RegExp)`;
}

/** The first origin of the probes that shows `matcher` allows any site, or `undefined`. */
function anySiteWitness(matcher: LinearMatcher): string | undefined {
  const unnamed = NO_SITE_PROBES.find((origin) => matcher.test(origin));
  if (unnamed !== undefined) return unnamed;
  const others = OTHER_SITE_PROBES.filter((origin) => matcher.test(origin));
  return others.length >= 2 ? others.join('", "') : undefined;
}

const LOOPBACK_NAMES = [...LOOPBACK_HOSTS];

/** Classes a suffix after `http://` for {@link acceptsSomeSuffix}: `yes...` once its host is not a loopback name. */
function plainHttpClass(suffix: string): string {
  // An IPv6 host holds colons: the port colon comes after its "]".
  const close = suffix.startsWith('[') ? suffix.indexOf(']') : 0;
  const colon = close < 0 ? -1 : suffix.indexOf(':', close);
  const host = colon < 0 ? suffix : suffix.slice(0, colon);
  if (LOOPBACK_NAMES.includes(host)) return colon < 0 ? 'maybe-loopback' : 'no';
  if (colon < 0 && LOOPBACK_NAMES.some((name) => name.startsWith(host))) return `yes-prefix:${host}`;
  return 'yes';
}

/**
 * True when the RegExp matches a plain-http origin on another machine (`http://` and a host
 * other than localhost, 127.0.0.1 or [::1]), decided on the compiled automaton whatever the
 * spelling (`https?`, `http[s]?`, `(?:http|https)`, `https{0,1}`).
 */
export function regexpAllowsPlainHttp(re: RegExp): boolean {
  const matcher = linearMatcher(re);
  if (typeof matcher === 'string') return false;
  return acceptsSomeSuffix(matcher, 'http://', 'abcdefghijklmnopqrstuvwxyz0123456789.-:[]', plainHttpClass);
}

/** What each backtracking risk means, for messages. */
export const RISK_TEXT: Readonly<Record<BacktrackingRisk, string>> = {
  'nested-quantifier': 'repeats a part that is itself repeated',
  'alternation-in-repetition': 'repeats a group of alternatives',
  'overlapping-quantifiers': 'repeats a group whose repeated parts can match the same characters',
  'too-many-quantifiers': 'has too many quantifiers',
  unparsable: 'uses syntax the backtracking check cannot read (such as lookbehind)',
};

/** The problems found by reading the RegExp's text, before it is compiled. */
function shapeProblem(re: RegExp): RegExpProblem | undefined {
  const shown = String(re);
  if (re.global || re.sticky) {
    return {
      code: 'regexp-stateful-flag',
      message: `${shown} has the "${re.global ? 'g' : 'y'}" flag, so test() remembers lastIndex and identical requests get different answers; remove the flag`,
    };
  }
  const shape = scan(re.source);
  if (!re.source.startsWith('^') || !shape.endsAnchored) {
    return {
      code: 'regexp-unanchored',
      message: `${shown} is not anchored, so "https://app.example.com.evil.net" could match; write it as /^...$/`,
    };
  }
  if (shape.topLevelAlternation) {
    return {
      code: 'regexp-unanchored-alternation',
      message: `${shown} anchors only the outer alternatives; wrap them in a group: /^(?:a|b)$/`,
    };
  }
  if (shape.bareDots.length > 0) {
    let escaped = re.source;
    for (const i of [...shape.bareDots].reverse()) escaped = `${escaped.slice(0, i)}\\${escaped.slice(i)}`;
    // A concrete origin the RegExp allows by mistake, when the rest of it is plain text.
    const first = shape.bareDots[0] ?? 0;
    const sample = unescapeLiteral(`${escaped.slice(1, first)}x${escaped.slice(first + 2, -1)}`);
    return {
      code: 'regexp-unescaped-dot',
      message:
        `${shown}: an unescaped "." matches any character${sample === undefined ? '' : `, so it also allows "${sample}"`}; ` +
        `write /${escaped}/${re.flags} for a literal dot`,
    };
  }
  return undefined;
}

/**
 * An origin under a public suffix that `matcher` allows, with the suffix, when the RegExp has the
 * "subdomains of a domain" shape: `/^https:\/\/[a-z0-9-]+\.s3\.amazonaws\.com$/` or
 * `/^https:\/\/(?:[a-z0-9-]+\.)+amazonaws\.com$/` allow buckets anyone can create.
 */
function publicSuffixWitness(re: RegExp, matcher: LinearMatcher): { origin: string; suffix: string } | undefined {
  if (re.source.length > 300) return undefined;
  const shape = /^\^https\??:\\\/\\\/.+?((?:[a-z0-9-]+\\\.)+[a-z0-9-]+)\$$/.exec(re.source);
  const domain = unescapeLiteral(shape?.[1] ?? '');
  if (domain === undefined || !domain.includes('.')) return undefined;
  const suffixes = [isPublicSuffix(domain) ? domain : undefined, publicSuffixBelow(domain)];
  for (const suffix of suffixes) {
    if (suffix === undefined) continue;
    const host = `cors-safety-probe.${suffix.replace(/^\*\./, 'x.')}`;
    for (const origin of [`https://${host}`, `http://${host}`]) if (matcher.test(origin)) return { origin, suffix };
  }
  return undefined;
}

/** An origin RegExp that passed every check, with its linear-time matcher, or why it cannot be used. */
export type OriginRegExpCheck =
  { readonly ok: true; readonly matcher: LinearMatcher } | { readonly ok: false; readonly problem: RegExpProblem };

/**
 * Checks `re` as an origin rule and compiles it into the linear-time matcher that decides
 * requests with it (never V8's backtracking matcher).
 */
export function checkOriginRegExp(re: RegExp): OriginRegExpCheck {
  const shown = String(re);
  const early = shapeProblem(re);
  if (early !== undefined) return { ok: false, problem: early };
  const risk = backtrackingRisk(re);
  if (risk !== undefined) {
    const consequence =
      risk === 'unparsable'
        ? 'so it cannot be shown to be safe from catastrophic backtracking (ReDoS)'
        : 'so a crafted origin can make it backtrack for seconds and block the event loop (ReDoS)';
    const message = `${shown} ${RISK_TEXT[risk]}, ${consequence}; ${patternHint(re, 'repeat one character class instead, e.g. [a-z0-9-]+, or list the origins')}`;
    return { ok: false, problem: { code: 'regexp-backtracking', message } };
  }
  const matcher = linearMatcher(re);
  if (typeof matcher === 'string') {
    const message =
      matcher === 'too-many-states'
        ? `${shown} is too large to match in linear time (over ${MAX_MATCHER_STATES} automaton states, e.g. a ` +
          `long {n,m} repetition); ${patternHint(re, 'write a shorter RegExp or list the origins')}`
        : `${shown} uses syntax the linear-time origin matcher cannot run (back-references, lookaround, ` +
          `\\p{...} or \\u{...} escapes, the v flag); ${patternHint(re, 'rewrite it without them or list the origins')}`;
    return { ok: false, problem: { code: 'regexp-unsupported', message } };
  }
  const matched = anySiteWitness(matcher);
  if (matched !== undefined) {
    const message =
      `${shown} matches the origin of any site (it allows "${matched}"), so with credentials every ` +
      'website could act as your users; list the origins you trust or write https://*.example.com ' +
      'patterns (origin: "*" without credentials for a public API)';
    return { ok: false, problem: { code: 'regexp-any-origin', message } };
  }
  const underSuffix = publicSuffixWitness(re, matcher);
  if (underSuffix !== undefined) {
    const message =
      `${shown} allows "${underSuffix.origin}", a site under the public suffix "${underSuffix.suffix}" where anyone ` +
      'can register a name; list the origins of your own sites under it instead';
    return { ok: false, problem: { code: 'regexp-public-suffix', message } };
  }
  return { ok: true, matcher };
}

/** Why `re` cannot be an origin rule, with the fix, or `undefined` when it can. */
export function regexpProblem(re: RegExp): RegExpProblem | undefined {
  const check = checkOriginRegExp(re);
  return check.ok ? undefined : check.problem;
}

/** Verdicts for RegExps an origin callback answered with, by object; the source guards against `compile()`. */
const verdictsByObject = new WeakMap<RegExp, { source: string; flags: string; check: OriginRegExpCheck }>();
/** The same, by text, for callbacks that build a new RegExp per request; bounded. */
const verdictsByText = new Map<string, OriginRegExpCheck>();
const MAX_CACHED_TEXTS = 256;

/**
 * {@link checkOriginRegExp} for a RegExp an origin callback answered with at request time:
 * analysed and compiled once per RegExp (object or text), then answered from a cache.
 */
export function cachedOriginRegExp(re: RegExp): OriginRegExpCheck {
  const source = re.source;
  const flags = re.flags;
  const cached = verdictsByObject.get(re);
  if (cached !== undefined && cached.source === source && cached.flags === flags) return cached.check;
  const text = `${flags}/${source}`;
  let check = verdictsByText.get(text);
  if (check === undefined) {
    // Compiled from the text read once, so a RegExp whose getters change answers cannot differ.
    check = checkOriginRegExp(new RegExp(source, flags));
    if (verdictsByText.size >= MAX_CACHED_TEXTS) verdictsByText.clear();
    verdictsByText.set(text, check);
  }
  verdictsByObject.set(re, { source, flags, check });
  return check;
}

/**
 * An origin entry written as RegExp text (`^https://.*\.example\.com$`, `/^https:\/\/a\.com$/`):
 * the problem, with the pattern that says the same when there is one; `undefined` for any other
 * text. A string is an origin or a pattern, never a RegExp, and the environment carries strings.
 *
 * @example
 * ```ts
 * regexpTextProblem('^https://.*\\.moviesnow\\.com$')?.message; // '... write "https://*.moviesnow.com"'
 * ```
 */
export function regexpTextProblem(entry: string): RegExpProblem | undefined {
  if (entry.length > 2048) return undefined;
  const literal = /^\/(.+)\/[a-z]*$/.exec(entry);
  const source = literal?.[1] ?? entry;
  // An origin never starts with "^" or "/", never ends with "$", and never holds "\.", "\/" or ".+"
  // (".*" alone may be a misplaced wildcard, `https://a.*.com`, which has its own message).
  if (literal === null && !/^\^|\$$|\\[./]|\.\+/.test(entry)) return undefined;
  // Unanchored text (`https://.*\.a\.com`) was meant as the whole origin: read it anchored.
  const anchored = `${source.startsWith('^') ? '' : '^'}${source}${source.endsWith('$') ? '' : '$'}`;
  let patterns: string[] | undefined;
  try {
    // Alternatives (`(app|admin)\.`) name some subdomains, not all: no pattern says the same.
    patterns = anchored.includes('|') ? undefined : equivalentPatterns(new RegExp(anchored));
  } catch {
    patterns = undefined;
  }
  const shown = JSON.stringify(entry);
  const fix =
    patterns === undefined
      ? 'write the origins ("https://app.example.com") or patterns ("https://*.example.com") it stands for, ' +
        'or pass a RegExp object in code (origin: [/^https:\\/\\/app\\.example\\.com$/])'
      : `write ${patterns.map((p) => JSON.stringify(p)).join(', ')}`;
  return {
    code: 'origin-regexp-text',
    message: `${shown} is a regular expression written as text, which an origin entry never is; ${fix}`,
  };
}
