/**
 * Construction-time checks for RegExp allow-list entries. A RegExp is only safe as an origin
 * rule when it must match the whole origin, and gives the same answer every time.
 */

interface RegExpShape {
  /** `|` outside any group or class: `^a|b$` anchors only half of each alternative. */
  readonly topLevelAlternation: boolean;
  /** Source ends with an unescaped `$` outside a class. */
  readonly endsAnchored: boolean;
}

function scan(source: string): RegExpShape {
  let depth = 0;
  let inClass = false;
  let topLevelAlternation = false;
  let endsAnchored = false;
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
  }
  return { topLevelAlternation, endsAnchored };
}

/**
 * Returns why `re` cannot be an origin rule, with the fix, or `undefined` when it can.
 */
export function regexpProblem(re: RegExp): { code: string; message: string } | undefined {
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
  return undefined;
}
