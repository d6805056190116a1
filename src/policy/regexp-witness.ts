/**
 * Searches the automaton of an origin RegExp for a text it accepts, for construction-time checks
 * decided by what the RegExp matches rather than how it is spelled (the plain-http warning).
 */
import { charMatches, Kind, type LinearMatcher, type Program, type State } from './regexp-engine.js';

/** Char states reached from `from` at position `at` of a text not known past `at`; `$` holds only when `end`. */
function closeOpen(
  p: Program,
  from: readonly number[],
  at: number,
  end: boolean,
): { states: number[]; match: boolean } {
  const seen = new Set<number>();
  const states: number[] = [];
  let match = false;
  const stack = [...from];
  while (stack.length > 0) {
    const s = stack.pop() as number;
    if (s < 0 || seen.has(s)) continue;
    seen.add(s);
    const kind = p.kind[s];
    if (kind === Kind.Char) states.push(s);
    else if (kind === Kind.Split) stack.push(p.out2[s] as number, p.out[s] as number);
    else if (kind === Kind.Match) match = true;
    else {
      const which = (p.states[s] as State).assert;
      // Word boundaries depend on the next character: assumed to hold (this search over-approximates).
      const holds = which === '^' ? at === 0 : which === '$' ? end : true;
      if (holds) stack.push(p.out[s] as number);
    }
  }
  states.sort((a, b) => a - b);
  return { states, match };
}

/**
 * True when the anchored RegExp behind `matcher` matches some text `prefix + suffix` where the
 * suffix is made of `alphabet` and `judge(suffix)` starts with `'yes'` (`'no'` prunes it, any
 * other answer keeps extending it; equal answers must mean the suffix can be continued alike). A
 * breadth-first search over the automaton's state sets; past `budget` sets it answers `true`
 * (callers use it for warnings and refusals, where doubt means "yes").
 */
export function acceptsSomeSuffix(
  matcher: LinearMatcher,
  prefix: string,
  alphabet: string,
  judge: (suffix: string) => string,
  budget = 20_000,
): boolean {
  const p = matcher.program;
  let states = [p.start];
  for (let at = 0; at < prefix.length; at++) {
    const open = closeOpen(p, states, at, false).states;
    const code = prefix.charCodeAt(at);
    states = open.filter((s) => charMatches(p, s, code)).map((s) => p.out[s] as number);
    if (states.length === 0) return false;
  }
  const queue: { states: number[]; suffix: string }[] = [{ states, suffix: '' }];
  const visited = new Set<string>();
  for (let head = 0; head < queue.length; head++) {
    if (head > budget) return true;
    const node = queue[head] as { states: number[]; suffix: string };
    const verdict = judge(node.suffix);
    if (verdict === 'no') continue;
    const at = prefix.length + node.suffix.length;
    if (verdict.startsWith('yes') && closeOpen(p, node.states, at, true).match) return true;
    const open = closeOpen(p, node.states, at, false).states;
    for (const ch of alphabet) {
      const code = ch.charCodeAt(0);
      const next = open.filter((s) => charMatches(p, s, code)).map((s) => p.out[s] as number);
      if (next.length === 0) continue;
      const suffix = node.suffix + ch;
      // The closure depends only on these states (no `^` past position 0) and the judge's class.
      const key = `${[...new Set(next)].sort((a, b) => a - b).join(',')}|${judge(suffix)}`;
      if (visited.has(key)) continue;
      visited.add(key);
      queue.push({ states: next, suffix });
    }
  }
  return false;
}
