/**
 * A linear-time matcher for origin RegExps. V8's matcher backtracks, so a RegExp with
 * overlapping repeated parts (`/^https:\/\/(?:[a-z]+[a-z0-9]*\.)+example\.com$/`) can take
 * seconds or minutes on one crafted `Origin`, and no syntactic check catches every such shape.
 * Here the RegExp is compiled once (through the `ret` tokenizer) into a Thompson automaton
 * that is run over the input keeping every live state at once: the work per character is
 * bounded by the number of states, whatever the input. `RegExp.prototype.test` semantics are
 * kept (a match anywhere; `^`, `$`, `\b`, `\B`; the `i` flag); syntax it cannot run in linear
 * time (back-references, lookaround) or cannot read faithfully is refused at construction.
 */
import retModule, { types, type Root, type Token, type SetTokens } from 'ret';

const tokenize: (source: string) => Root = typeof retModule === 'function' ? retModule : retModule.default;

/** More automaton states than this is refused: the bound on the work per input character. */
export const MAX_MATCHER_STATES = 1000;

/** The kinds of automaton state: consume one character, branch, check a position, accept. */
export const Kind = { Char: 0, Split: 1, Assert: 2, Match: 3 } as const;
type KindValue = (typeof Kind)[keyof typeof Kind];

/** @internal One automaton state as built. */
export interface State {
  kind: KindValue;
  /** Char: ASCII table (1 = matches), Assert: which assertion. */
  table?: Uint8Array;
  token?: Token;
  assert?: '^' | '$' | 'b' | 'B';
  out: number;
  out2: number;
}

/** Why a RegExp cannot be compiled to a linear-time matcher. */
export type MatcherRefusal = 'unsupported-syntax' | 'too-many-states';

/** A compiled matcher: `test(input)` answers what `re.test(input)` answers, in linear time. */
export interface LinearMatcher {
  readonly test: (input: string) => boolean;
  readonly states: number;
  /** @internal The automaton, for `acceptsSomeSuffix()` in regexp-witness.ts. */
  readonly program: Program;
}

class TooLarge extends Error {}
class Unsupported extends Error {}

function setHas(set: SetTokens, code: number): boolean {
  return set.some((item) =>
    item.type === types.RANGE
      ? code >= item.from && code <= item.to
      : item.type === types.CHAR
        ? item.value === code
        : setHas(item.set, code) !== item.not,
  );
}

/**
 * True when a CHAR or SET token matches a character whose case variants are `variants` (just the
 * character without the `i` flag). A negated class is negated after case folding, as ES2024
 * §22.2.2.9 CharacterSetMatcher does: `/[^a]/i` does not match "A".
 */
function tokenAccepts(token: Token, variants: readonly number[]): boolean {
  if (token.type === types.CHAR) return variants.includes(token.value);
  if (token.type === types.SET) return variants.some((v) => setHas(token.set, v)) !== token.not;
  return false;
}

/** ECMAScript Canonicalize (ES2024 §22.2.2.7.3) for the `i` flag: without `u`, upper case, never into ASCII. */
function caseVariants(code: number, unicode: boolean): number[] {
  const ch = String.fromCharCode(code);
  const out = [code];
  for (const variant of [ch.toUpperCase(), ch.toLowerCase()]) {
    if (variant.length !== 1) continue;
    const v = variant.charCodeAt(0);
    if (!unicode && code >= 128 !== v >= 128) continue;
    if (!out.includes(v)) out.push(v);
  }
  // Unicode simple case folding maps these two onto ASCII letters (K KELVIN SIGN, LONG S).
  if (unicode) {
    const lower = code | 0x20;
    if (lower === 0x6b) out.push(0x212a);
    if (lower === 0x73) out.push(0x17f);
    if (code === 0x212a) out.push(0x6b, 0x4b);
    if (code === 0x17f) out.push(0x73, 0x53);
  }
  return out;
}

interface Fragment {
  start: number;
  /** States whose `out` (or `out2` for a split's second branch) must be patched. */
  holes: { state: number; second: boolean }[];
}

class Builder {
  readonly states: State[] = [];
  constructor(
    private readonly ignoreCase: boolean,
    private readonly unicode: boolean,
  ) {}

  private add(state: State): number {
    if (this.states.length >= MAX_MATCHER_STATES) throw new TooLarge();
    this.states.push(state);
    return this.states.length - 1;
  }

  private charState(token: Token): Fragment {
    const table = new Uint8Array(128);
    for (let code = 0; code < 128; code++) {
      const variants = this.ignoreCase ? caseVariants(code, this.unicode) : [code];
      table[code] = tokenAccepts(token, variants) ? 1 : 0;
    }
    const id = this.add({ kind: Kind.Char, table, token, out: -1, out2: -1 });
    return { start: id, holes: [{ state: id, second: false }] };
  }

  patch(fragment: Fragment, target: number): void {
    for (const hole of fragment.holes) {
      const state = this.states[hole.state] as State;
      if (hole.second) state.out2 = target;
      else state.out = target;
    }
  }

  /** An epsilon state standing for "nothing": a split whose both branches are patched together. */
  private empty(): Fragment {
    const id = this.add({ kind: Kind.Split, out: -1, out2: -1 });
    return {
      start: id,
      holes: [
        { state: id, second: false },
        { state: id, second: true },
      ],
    };
  }

  sequence(tokens: readonly Token[]): Fragment {
    let result: Fragment | undefined;
    for (const token of tokens) {
      const next = this.token(token);
      if (result === undefined) result = next;
      else {
        this.patch(result, next.start);
        result = { start: result.start, holes: next.holes };
      }
    }
    return result ?? this.empty();
  }

  alternatives(branches: readonly (readonly Token[])[]): Fragment {
    let result: Fragment | undefined;
    for (const branch of branches) {
      const next = this.sequence(branch);
      if (result === undefined) result = next;
      else {
        const split = this.add({ kind: Kind.Split, out: result.start, out2: next.start });
        result = { start: split, holes: [...result.holes, ...next.holes] };
      }
    }
    return result ?? this.empty();
  }

  private token(token: Token): Fragment {
    switch (token.type) {
      case types.CHAR:
      case types.SET:
        return this.charState(token);
      case types.POSITION: {
        const id = this.add({ kind: Kind.Assert, assert: token.value, out: -1, out2: -1 });
        return { start: id, holes: [{ state: id, second: false }] };
      }
      case types.GROUP:
        if (token.followedBy || token.notFollowedBy || token.lookBehind) throw new Unsupported();
        return this.alternatives(token.options ?? [token.stack ?? []]);
      case types.REPETITION:
        return this.repetition(token.value, token.min, token.max);
      default:
        throw new Unsupported(); // back-references
    }
  }

  private repetition(body: Token, min: number, max: number): Fragment {
    const parts: Fragment[] = [];
    for (let i = 0; i < min; i++) parts.push(this.token(body));
    if (max === Infinity || max === null) {
      const loopBody = this.token(body);
      const split = this.add({ kind: Kind.Split, out: loopBody.start, out2: -1 });
      this.patch(loopBody, split);
      parts.push({ start: split, holes: [{ state: split, second: true }] });
    } else {
      // Optional copies nested: x{0,2} = (x(x)?)?, so each copy can only be skipped after the previous.
      const optional: Fragment[] = [];
      for (let i = min; i < max; i++) {
        const copy = this.token(body);
        const split = this.add({ kind: Kind.Split, out: copy.start, out2: -1 });
        optional.push({ start: split, holes: [{ state: split, second: true }, ...copy.holes] });
      }
      for (let i = optional.length - 2; i >= 0; i--) {
        const outer = optional[i] as Fragment;
        const inner = optional[i + 1] as Fragment;
        // The copy's exits lead into the next optional copy; the skip exit stays a hole.
        const skip = outer.holes[0] as { state: number; second: boolean };
        this.patch({ start: outer.start, holes: outer.holes.slice(1) }, inner.start);
        optional[i] = { start: outer.start, holes: [skip, ...inner.holes] };
      }
      if (optional[0] !== undefined) parts.push(optional[0]);
    }
    if (parts.length === 0) return this.empty();
    let result = parts[0] as Fragment;
    for (const part of parts.slice(1)) {
      this.patch(result, part.start);
      result = { start: result.start, holes: part.holes };
    }
    return result;
  }

  finish(fragment: Fragment): number {
    const match = this.add({ kind: Kind.Match, out: -1, out2: -1 });
    this.patch(fragment, match);
    return fragment.start;
  }
}

/** Escapes V8 reads in a way `ret` does not, or that need backtracking: refused rather than misread. */
function hasUnsupportedEscape(source: string, unicode: boolean): boolean {
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (ch > 0x7e && unicode) return true; // astral and non-ASCII literals in u mode: read as code points
    if (source[i] !== '\\') continue;
    const next = source[i + 1] ?? '';
    if (/[1-9k]/.test(next)) return true; // back-references (and legacy octal, read differently)
    if (unicode && /[pPu]/.test(next)) return true; // \p{...}, \u{...}
    i++;
  }
  return false;
}

/**
 * The source without lazy markers (`+?`, `*?`, `??`, `{n,m}?`): `ret` reads `a+?` as `(a+)?`, and
 * laziness changes which match is found, never whether there is one, which is all `test()` asks.
 * With `dotAll` (the `s` flag), each `.` outside a class is written `[^]`.
 */
function withoutLazyMarks(source: string, dotAll: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    out += ch;
    if (ch === '\\') {
      out += source[i + 1] ?? '';
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    // The s flag: "." matches line terminators too (ret always reads it without the flag).
    if (ch === '.' && dotAll) out = `${out.slice(0, -1)}[^]`;
    const quantifier =
      ch === '*' ||
      ch === '+' ||
      (ch === '?' && source[i - 1] !== '(') ||
      (ch === '}' && /\{\d+(?:,\d*)?\}$/.test(out));
    if (quantifier && source[i + 1] === '?') i++;
  }
  return out;
}

function isWordCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function assertionHolds(which: State['assert'], input: string, at: number, multiline: boolean): boolean {
  const before = at > 0 ? input.charCodeAt(at - 1) : -1;
  const after = at < input.length ? input.charCodeAt(at) : -1;
  const lineBreak = (code: number): boolean => code === 10 || code === 13 || code === 0x2028 || code === 0x2029;
  switch (which) {
    case '^':
      return at === 0 || (multiline && lineBreak(before));
    case '$':
      return at === input.length || (multiline && lineBreak(after));
    default: {
      const boundary = isWordCode(before) !== isWordCode(after);
      return which === 'b' ? boundary : !boundary;
    }
  }
}

/** @internal The compiled automaton. */
export interface Program {
  readonly kind: Uint8Array;
  readonly out: Int32Array;
  readonly out2: Int32Array;
  /** 128 entries per state: 1 where a Char state matches that ASCII code. */
  readonly table: Uint8Array;
  readonly states: readonly State[];
  readonly start: number;
  /** The automaton starts with `^` (no `m` flag, no top-level `|`): a match can only start at 0. */
  readonly anchored: boolean;
  readonly multiline: boolean;
  readonly ignoreCase: boolean;
  readonly unicode: boolean;
}

function program(states: readonly State[], start: number, re: RegExp): Program {
  const n = states.length;
  const kind = new Uint8Array(n);
  const out = new Int32Array(n);
  const out2 = new Int32Array(n);
  const table = new Uint8Array(n * 128);
  states.forEach((state, i) => {
    kind[i] = state.kind;
    out[i] = state.out;
    out2[i] = state.out2;
    if (state.table !== undefined) table.set(state.table, i * 128);
  });
  return {
    kind,
    out,
    out2,
    table,
    states,
    start,
    anchored: !re.multiline && states[start]?.kind === Kind.Assert && states[start].assert === '^',
    multiline: re.multiline,
    ignoreCase: re.ignoreCase,
    unicode: re.unicode,
  };
}

/** Adds the epsilon closure of `from` at position `at` to `list` (from `length`); -1 when it reaches the match state. */
function close(
  p: Program,
  mark: Int32Array,
  stack: Int32Array,
  from: number,
  at: number,
  input: string,
  list: Int32Array,
  length: number,
): number {
  let top = 0;
  stack[top++] = from;
  while (top > 0) {
    const s = stack[--top] as number;
    if (s < 0 || mark[s] === at) continue;
    mark[s] = at;
    const kind = p.kind[s];
    if (kind === Kind.Char) list[length++] = s;
    else if (kind === Kind.Split) {
      stack[top++] = p.out2[s] as number;
      stack[top++] = p.out[s] as number;
    } else if (kind === Kind.Match) return -1;
    else if (assertionHolds((p.states[s] as State).assert, input, at, p.multiline)) stack[top++] = p.out[s] as number;
  }
  return length;
}

/** @internal True when Char state `s` consumes the character `code`. */
export function charMatches(p: Program, s: number, code: number): boolean {
  if (code < 128) return p.table[s * 128 + code] === 1;
  const token = (p.states[s] as State).token as Token;
  return tokenAccepts(token, p.ignoreCase ? caseVariants(code, p.unicode) : [code]);
}

function simulate(p: Program, input: string): boolean {
  const n = p.kind.length;
  const mark = new Int32Array(n).fill(-1);
  // Each state enters the stack at most once per closure (it is marked), twice its count bounds it.
  const stack = new Int32Array(2 * n + 2);
  let current = new Int32Array(n);
  let next = new Int32Array(n);
  let count = 0;
  for (let at = 0; ; at++) {
    // test() searches: a match may start at every position, unless `^` allows only the first.
    if (at === 0 || !p.anchored) count = close(p, mark, stack, p.start, at, input, current, count);
    if (count < 0) return true;
    if (count === 0 && p.anchored) return false;
    if (at === input.length) return false;
    const code = input.charCodeAt(at);
    let nextCount = 0;
    for (let i = 0; i < count; i++) {
      const s = current[i] as number;
      if (!charMatches(p, s, code)) continue;
      nextCount = close(p, mark, stack, p.out[s] as number, at + 1, input, next, nextCount);
      if (nextCount < 0) return true;
    }
    [current, next] = [next, current];
    count = nextCount;
  }
}

/**
 * Compiles `re` into a linear-time matcher, or says why it cannot: `unsupported-syntax`
 * (back-references, lookaround, the `v` flag, `\p{}` and `\u{}` escapes, or a source `ret`
 * cannot read) or `too-many-states` (more than {@link MAX_MATCHER_STATES}, e.g. `[a-z]{1,2000}`).
 *
 * @example
 * ```ts
 * const m = linearMatcher(/^https:\/\/(?:[a-z]+[a-z0-9]*\.)+example\.com$/);
 * if (typeof m !== 'string') m.test('https://a.b.example.com'); // true, in time linear in the input
 * ```
 */
export function linearMatcher(re: RegExp): LinearMatcher | MatcherRefusal {
  if (re.flags.includes('v') || hasUnsupportedEscape(re.source, re.unicode)) return 'unsupported-syntax';
  let root: Root;
  try {
    root = tokenize(withoutLazyMarks(re.source, re.dotAll));
  } catch {
    return 'unsupported-syntax';
  }
  const builder = new Builder(re.ignoreCase, re.unicode);
  let start: number;
  try {
    start = builder.finish(builder.alternatives(root.options ?? [root.stack ?? []]));
  } catch (err) {
    if (err instanceof TooLarge) return 'too-many-states';
    return 'unsupported-syntax';
  }
  const compiled = program(builder.states, start, re);
  return { test: (input: string) => simulate(compiled, input), states: builder.states.length, program: compiled };
}
