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
  'nested-quantifier' | 'alternation-in-repetition' | 'too-many-quantifiers' | 'unparsable';

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
}

function walk(tokens: readonly Token[], inRepetition: boolean, state: WalkState): void {
  for (const token of tokens) {
    if (state.risk !== undefined) return;
    if (token.type === types.REPETITION) {
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
      const nested = repeats && !isSeparated(token.value);
      walk([token.value], nested, state);
    } else if (token.type === types.GROUP) {
      if (inRepetition && token.options !== undefined && token.options.length > 1) {
        state.risk = 'alternation-in-repetition';
        return;
      }
      for (const branch of token.options ?? [token.stack ?? []]) walk(branch, inRepetition, state);
    }
  }
}

/**
 * Why `re` may backtrack catastrophically, or `undefined` when the check finds it linear.
 * Conservative: a RegExp it cannot tokenise (lookbehind, for one) is reported as `unparsable`.
 *
 * @example
 * ```ts
 * backtrackingRisk(/^https:\/\/([a-z0-9]+-?)+\.example\.com$/); // 'nested-quantifier'
 * backtrackingRisk(/^https:\/\/[a-z0-9]+(?:-[a-z0-9]+)*\.example\.com$/); // undefined
 * ```
 */
export function backtrackingRisk(re: RegExp): BacktrackingRisk | undefined {
  let root: Root;
  try {
    root = tokenize(re.source);
  } catch {
    return 'unparsable';
  }
  const state: WalkState = { repetitions: 0, risk: undefined };
  for (const branch of root.options ?? [root.stack ?? []]) walk(branch, false, state);
  return state.risk;
}
