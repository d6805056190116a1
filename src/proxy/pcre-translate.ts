/**
 * Translation of a RegExp origin rule into PCRE for nginx's `map`, or the reason it cannot be
 * translated safely. Only a subset of the syntax is accepted: the constructs that JavaScript
 * (ECMAScript 2024 §22.2, without the `u`/`v` flags) and PCRE (as nginx compiles it: no UTF, no
 * UCP, default character tables) read the same way, on the bytes an `Origin` header can carry.
 * Everything else is refused rather than guessed: a rule that PCRE reads more widely would let
 * nginx grant an origin the policy denies.
 */

/** A translated rule: the PCRE source and whether it matches case-insensitively. */
export interface PcreRule {
  readonly source: string;
  readonly caseless: boolean;
}

/** Why a RegExp cannot be translated, phrased to follow "RegExp /.../ ". */
export type PcreProblem = string;

/** Escapes that mean the same in both: ASCII classes (no UCP) and a word boundary. */
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 'b', 'B']);
/** Punctuation that may be escaped to stand for itself, in both dialects. */
const LITERAL_ESCAPES = new Set(Array.from('./-\\^$*+?()[]{}|:,=!<>#&~%@\'"`;_ '));

function isAsciiPrintable(code: number): boolean {
  return code >= 0x20 && code < 0x7f;
}

/** Reads `{n}`, `{n,}` or `{n,m}` at `i`; returns its length, or 0 when it is not a quantifier. */
function quantifierLength(source: string, i: number): number {
  const match = /^\{(\d{1,4})(,(\d{1,4})?)?\}/.exec(source.slice(i, i + 12));
  if (match === null) return 0;
  if (match[3] !== undefined && Number(match[3]) < Number(match[1])) return 0;
  return match[0].length;
}

/** Checks one character class starting at `[` (index `i`); returns the index after `]`, or a problem. */
function scanClass(source: string, i: number): number | PcreProblem {
  let j = i + 1;
  if (source[j] === '^') j++;
  // PCRE reads "[]" and "[^]" as starting a class that contains "]"; JavaScript as empty / any.
  if (source[j] === ']') return 'has an empty class "[]" or "[^]", which PCRE reads differently';
  for (; j < source.length; j++) {
    const ch = source[j] as string;
    if (ch === ']') return j + 1;
    if (ch === '[') return 'has "[" inside a class (PCRE reads "[:name:]" as a POSIX class); escape it as "\\["';
    if (ch === '\\') {
      const next = source[j + 1] ?? '';
      if (!CLASS_ESCAPES.has(next) && !LITERAL_ESCAPES.has(next)) return `has the escape "\\${next}" in a class`;
      if (next === 'b' || next === 'B') return 'has "\\b" inside a class (a backspace in JavaScript)';
      j++;
      continue;
    }
    if (!isAsciiPrintable(ch.charCodeAt(0))) return 'has a non-ASCII or control character; use only ASCII';
  }
  return 'has an unterminated class';
}

/** One translated piece of the source: its PCRE text and the index after it. */
interface Token {
  readonly text: string;
  readonly end: number;
}

/** A flag PCRE would read differently, as a problem; `undefined` when every flag is safe. */
function flagProblem(re: RegExp): PcreProblem | undefined {
  for (const flag of re.flags) {
    if (flag === 'i' || flag === 's' || flag === 'd') continue;
    if (flag === 'm') return 'has the "m" flag, so "^" and "$" match at line breaks; remove the flag';
    return `has the "${flag}" flag, whose escapes and classes PCRE reads differently; remove the flag`;
  }
  return undefined;
}

/** An escape outside a class, starting at `\\` (index `i`). */
function translateEscape(source: string, i: number): Token | PcreProblem {
  const next = source[i + 1] ?? '';
  if (next === 's' || next === 'S') {
    return (
      'uses "\\s" or "\\S" (JavaScript counts U+00A0 as a space, PCRE does not); ' +
      'write "[ \\t]" or list the characters'
    );
  }
  if (!CLASS_ESCAPES.has(next) && !LITERAL_ESCAPES.has(next)) {
    return (
      `has the escape "\\${next}", which JavaScript and PCRE read differently (or not at all); ` +
      'write the character itself or a class'
    );
  }
  return { text: `\\${next}`, end: i + 2 };
}

/** A group opening at `(` (index `i`): plain, non-capturing, lookahead, or named (the name dropped). */
function translateGroup(source: string, i: number): Token | PcreProblem {
  if (source[i + 1] !== '?') return { text: '(', end: i + 1 };
  const kind = source.slice(i + 2, i + 3);
  if (kind === ':' || kind === '=' || kind === '!') return { text: source.slice(i, i + 3), end: i + 3 };
  if (kind === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
    // A named group only names a capture: matching is the same without the name.
    const close = source.indexOf('>', i);
    if (close < 0) return 'has an unterminated group name';
    return { text: '(', end: close + 1 };
  }
  return 'has a lookbehind or group syntax that PCRE reads differently; use (?:...), (?=...) or (?!...)';
}

/** The construct starting at index `i`, translated, or why it cannot be. */
function translateToken(source: string, i: number): Token | PcreProblem {
  const ch = source[i] as string;
  if (ch === '\\') return translateEscape(source, i);
  if (ch === '[') {
    const end = scanClass(source, i);
    return typeof end === 'string' ? end : { text: source.slice(i, end), end };
  }
  if (ch === '(') return translateGroup(source, i);
  if (ch === '{') {
    const length = quantifierLength(source, i);
    if (length === 0) return 'has a "{" that is not a {n}, {n,} or {n,m} quantifier; escape it as "\\{"';
    return { text: source.slice(i, i + length), end: i + length };
  }
  if (!isAsciiPrintable(ch.charCodeAt(0))) return 'has a non-ASCII or control character; use only ASCII';
  // "#" and space matter only in PCRE's extended mode, which nginx does not turn on.
  return { text: ch, end: i + 1 };
}

/**
 * Translates `re` to PCRE, or returns why it cannot be. The RegExp has already passed the
 * policy's own checks (anchored, no `g`/`y`).
 *
 * @example
 * ```ts
 * translateRegExp(/^https:\/\/pr-\d+\.example\.dev$/);
 * // { source: '^https:\\/\\/pr-\\d+\\.example\\.dev$', caseless: false }
 * ```
 */
export function translateRegExp(re: RegExp): PcreRule | PcreProblem {
  const flags = flagProblem(re);
  if (flags !== undefined) return flags;
  const source = re.source;
  let out = '';
  for (let i = 0; i < source.length;) {
    const token = translateToken(source, i);
    if (typeof token === 'string') return token;
    out += token.text;
    i = token.end;
  }
  const prefix = re.dotAll ? '(?s)' : '';
  return { source: prefix + out, caseless: re.ignoreCase };
}
