/**
 * Catastrophic-backtracking (ReDoS) check for RegExp allow-list entries, run once per RegExp at
 * construction. The RegExp is tokenised by `ret` (the tokenizer behind safe-regex2) and judged by
 * a star-height rule: a repeated part inside another repeated part can make V8's backtracking
 * matcher take exponential time (`/^https:\/\/([a-z0-9]+-?)+\.example\.com$/` blocks for seconds
 * on one 30-character label). Unlike safe-regex2, an optional part (`https?`, `(:\d+)?`) on its
 * own is not a repetition, an alternation inside a repetition is suspect (`(a|a)*`), and a group
 * whose iterations are told apart by a separator no other part can match (`(?:-[a-z0-9]+)*`,
 * `(?:[a-z0-9-]+\.)*`) is linear and accepted.
 */
import retModule, { types, type Root, type Token } from 'ret';

// ret is CommonJS with `module.exports = tokenizer`: at run time the default import is the function.
const tokenize: (source: string) => Root = typeof retModule === 'function' ? retModule : retModule.default;

/** More quantifiers than this in one RegExp is refused outright (safe-regex2's default limit). */
const MAX_REPETITIONS = 25;

/** The outcome of the analysis: safe, or why not. */
export type BacktrackingRisk =
  'nested-quantifier' | 'alternation-in-repetition' | 'overlapping-quantifiers' | 'too-many-quantifiers' | 'unparsable';

/** True when the SET/CHAR token can match the character `code`. */
function tokenMatches(token: Token, code: number): boolean {
  if (token.type === types.CHAR) return token.value === code;
  if (token.type === types.SET) {
    const found = token.set.some((item) =>
      item.type === types.RANGE ? code >= item.from && code <= item.to : tokenMatches(item, code),
    );
    return found !== token.not;
  }
  return false;
}

/** Every CHAR and SET token under `tokens`, except `skip`. */
function leaves(tokens: readonly Token[], skip: Token | undefined, out: Token[] = []): Token[] {
  for (const token of tokens) {
    if (token === skip) continue;
    if (token.type === types.CHAR || token.type === types.SET) out.push(token);
    else if (token.type === types.REPETITION) leaves([token.value], skip, out);
    else if (token.type === types.GROUP) {
      for (const branch of token.options ?? [token.stack ?? []]) leaves(branch, skip, out);
    }
  }
  return out;
}

/**
 * A repeated group whose body starts or ends with one literal character that nothing else in
 * the body can match: each iteration then consumes exactly one separator, so there is only one
 * way to split the input and backtracking stays linear. Letters are not trusted (the `i` flag).
 */
function isSeparated(body: Token): boolean {
  if (body.type !== types.GROUP || body.options !== undefined || body.stack === undefined) return false;
  const stack = body.stack;
  for (const separator of [stack[0], stack[stack.length - 1]]) {
    if (separator?.type !== types.CHAR) continue;
    const code = separator.value;
    const letter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (letter) continue;
    if (!leaves(stack, separator).some((token) => tokenMatches(token, code))) return true;
  }
  return false;
}

interface WalkState {
  repetitions: number;
  risk: BacktrackingRisk | undefined;
  /** Also look inside separated repeated groups for neighbouring repeated parts that overlap. */
  readonly strict: boolean;
}

/** True when two SET/CHAR leaf lists share an ASCII character (letters in either case: the `i` flag). */
function overlaps(a: readonly Token[], b: readonly Token[]): boolean {
  for (let code = 0; code < 128; code++) {
    const lower = code >= 65 && code <= 90 ? code + 32 : code;
    const upper = code >= 97 && code <= 122 ? code - 32 : code;
    const inA = a.some((t) => tokenMatches(t, code) || tokenMatches(t, lower) || tokenMatches(t, upper));
    if (inA && b.some((t) => tokenMatches(t, code))) return true;
  }
  return false;
}

/** The CHAR/SET tokens that can match the first character of `tokens` (optional parts looked through). */
function firstLeaves(tokens: readonly Token[], out: Token[] = []): Token[] {
  for (const token of tokens) {
    if (token.type === types.CHAR || token.type === types.SET) out.push(token);
    else if (token.type === types.REPETITION) firstLeaves([token.value], out);
    else if (token.type === types.GROUP)
      for (const branch of token.options ?? [token.stack ?? []]) firstLeaves(branch, out);
    const optional = token.type === types.REPETITION && token.min === 0;
    if (!optional && token.type !== types.POSITION) break;
  }
  return out;
}

/**
 * True when `stack` (the body of a repeated group) holds two repeated parts, adjacent or with
 * only optional parts between, whose characters overlap (`[a-z]+[a-z0-9]*`): each iteration can
 * then split its text between them in many ways, and the repetition multiplies those ways.
 */
function hasOverlappingNeighbours(stack: readonly Token[]): boolean {
  for (let i = 0; i < stack.length; i++) {
    const first = stack[i] as Token;
    if (first.type !== types.REPETITION || first.max <= 1) continue;
    for (let j = i + 1; j < stack.length; j++) {
      const next = stack[j] as Token;
      // What the first part repeats against what the next can start with: `[a-z]+(?:-[a-z]+)*` is fine.
      if (next.type === types.REPETITION && next.max > 1 && overlaps(leaves([first], undefined), firstLeaves([next])))
        return true;
      if (next.type !== types.REPETITION || next.min > 0) break;
    }
  }
  return false;
}

function walk(tokens: readonly Token[], inRepetition: boolean, state: WalkState): void {
  for (const token of tokens) {
    if (state.risk !== undefined) return;
    if (token.type === types.REPETITION) {
      walkRepetition(token, inRepetition, state);
    } else if (token.type === types.GROUP) {
      if (inRepetition && token.options !== undefined && token.options.length > 1) {
        state.risk = 'alternation-in-repetition';
        return;
      }
      for (const branch of token.options ?? [token.stack ?? []]) walk(branch, inRepetition, state);
    }
  }
}

/** One repeated part: counted, refused when nested in another, then its body walked. */
function walkRepetition(
  token: Extract<Token, { type: types.REPETITION }>,
  inRepetition: boolean,
  state: WalkState,
): void {
  if (++state.repetitions > MAX_REPETITIONS) {
    state.risk = 'too-many-quantifiers';
    return;
  }
  const repeats = token.max === null || token.max > 1;
  if (inRepetition) {
    state.risk = 'nested-quantifier';
    return;
  }
  // An optional part (max 1) outside any repetition adds no ambiguity of its own.
  const separated = repeats && isSeparated(token.value);
  const body = token.value;
  if (state.strict && separated && body.type === types.GROUP && hasOverlappingNeighbours(body.stack ?? [])) {
    state.risk = 'overlapping-quantifiers';
    return;
  }
  walk([body], repeats && !separated, state);
}

/**
 * Why `re` may backtrack catastrophically, or `undefined` when the check finds it linear.
 * Conservative: a RegExp it cannot tokenise (lookbehind, for one) is reported as `unparsable`.
 * With `strict`, a separated repeated group is also refused when neighbouring repeated parts in
 * its body overlap (`(?:[a-z]+[a-z0-9]*\.)+`): exponential in a backtracking engine such as
 * PCRE in nginx. Origin checks in Node run on the linear-time automaton, where it is harmless.
 *
 * @example
 * ```ts
 * backtrackingRisk(/^https:\/\/([a-z0-9]+-?)+\.example\.com$/); // 'nested-quantifier'
 * backtrackingRisk(/^https:\/\/[a-z0-9]+(?:-[a-z0-9]+)*\.example\.com$/); // undefined
 * ```
 */
export function backtrackingRisk(re: RegExp, strict = false): BacktrackingRisk | undefined {
  let root: Root;
  try {
    root = tokenize(re.source);
  } catch {
    return 'unparsable';
  }
  const state: WalkState = { repetitions: 0, risk: undefined, strict };
  for (const branch of root.options ?? [root.stack ?? []]) walk(branch, false, state);
  return state.risk;
}
