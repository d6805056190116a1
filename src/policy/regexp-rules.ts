/**
 * Construction-time checks for RegExp allow-list entries. A RegExp is only safe as an origin
 * rule when it must match the whole origin, gives the same answer every time, means a literal
 * dot where it writes one, and cannot backtrack catastrophically.
 */
import { backtrackingRisk, type BacktrackingRisk } from './regexp-backtracking.js';
import { isPublicSuffix } from './public-suffix.js';

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

/** Origins of no real site, in the shapes of all sites: a RegExp that matches one matches any. */
const ANY_SITE_PROBES: readonly string[] = [
  'https://cors-safety-probe.invalid',
  'http://cors-safety-probe.invalid',
  'https://cors-safety-probe.invalid:8443',
  'https://a.b.cors-safety-probe.invalid',
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

const RISK_TEXT: Readonly<Record<BacktrackingRisk, string>> = {
  'nested-quantifier': 'repeats a part that is itself repeated',
  'alternation-in-repetition': 'repeats a group of alternatives',
  'too-many-quantifiers': 'has too many quantifiers',
  unparsable: 'uses syntax the backtracking check cannot read (such as lookbehind)',
};

/** Why `re` cannot be an origin rule, with the fix, or `undefined` when it can. */
export function regexpProblem(re: RegExp): RegExpProblem | undefined {
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
  const risk = backtrackingRisk(re);
  if (risk === undefined) {
    // A RegExp that matches an origin no policy names (the reserved .invalid TLD, RFC 6761 §6.4)
    // matches every site: the same as origin: true, without its credentials check.
    const probe = new RegExp(re.source, re.flags);
    const matched = ANY_SITE_PROBES.find((origin) => probe.test(origin));
    if (matched !== undefined) {
      return {
        code: 'regexp-any-origin',
        message:
          `${shown} matches the origin of any site (it allows "${matched}"), so with credentials every ` +
          'website could act as your users; list the origins you trust or write https://*.example.com ' +
          'patterns (origin: "*" without credentials for a public API)',
      };
    }
  }
  if (risk !== undefined) {
    const consequence =
      risk === 'unparsable'
        ? 'so it cannot be shown to be safe from catastrophic backtracking (ReDoS)'
        : 'so a crafted origin can make it backtrack for seconds and block the event loop (ReDoS)';
    return {
      code: 'regexp-backtracking',
      message: `${shown} ${RISK_TEXT[risk]}, ${consequence}; ${patternHint(re, 'repeat one character class instead, e.g. [a-z0-9-]+, or list the origins')}`,
    };
  }
  return undefined;
}

/** Verdicts for RegExps an origin callback answered with, by object; the source guards against `compile()`. */
const verdictsByObject = new WeakMap<RegExp, { source: string; flags: string; problem: RegExpProblem | undefined }>();
/** The same, by text, for callbacks that build a new RegExp per request; bounded. */
const verdictsByText = new Map<string, RegExpProblem | undefined>();
const MAX_CACHED_TEXTS = 256;

/**
 * {@link regexpProblem} for a RegExp an origin callback answered with at request time: analysed
 * once per RegExp (object or text), then answered from a cache.
 */
export function cachedRegexpProblem(re: RegExp): RegExpProblem | undefined {
  const source = re.source;
  const flags = re.flags;
  const cached = verdictsByObject.get(re);
  if (cached !== undefined && cached.source === source && cached.flags === flags) return cached.problem;
  const text = `${flags}/${source}`;
  let problem: RegExpProblem | undefined;
  if (verdictsByText.has(text)) problem = verdictsByText.get(text);
  else {
    problem = regexpProblem(re);
    if (verdictsByText.size >= MAX_CACHED_TEXTS) verdictsByText.clear();
    verdictsByText.set(text, problem);
  }
  verdictsByObject.set(re, { source, flags, problem });
  return problem;
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
