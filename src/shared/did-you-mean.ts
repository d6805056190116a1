/**
 * Did-you-mean: the known name closest to a mistyped one, for unknown option keys, environment
 * variables and command-line words. One edit distance for the core and the CLI.
 */

/**
 * Levenshtein edit distance between two short strings, compared case-insensitively: the fewest
 * one-character insertions, deletions and substitutions that turn `a` into `b`. Time is
 * `a.length * b.length`; meant for names, not for untrusted text of any length.
 *
 * @example
 * ```ts
 * editDistance('kitten', 'sitting'); // 3
 * editDistance('MaxAge', 'maxage'); // 0
 * ```
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // One row of the Levenshtein table at a time; `left` ends each row as that row's distance.
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  let distance = y.length;
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    let diagonal = i - 1;
    let left = i;
    for (const [j, up] of previous.slice(1).entries()) {
      const cost = x[i - 1] === y[j] ? 0 : 1;
      left = Math.min(up + 1, left + 1, diagonal + cost);
      diagonal = up;
      current.push(left);
    }
    previous = current;
    distance = left;
  }
  return distance;
}

/**
 * The name in `names` closest to `word` (the first of equally close ones), when at most
 * `maxDistance` edits apart, else `undefined`. The default tolerance suits option and variable
 * names: a quarter of the word's letters, at least two edits.
 *
 * @param word - the unknown name as written.
 * @param names - the known names, in order of preference.
 * @param maxDistance - most edits that still look like a typo.
 *
 * @example
 * ```ts
 * closestName('exposeHeaders', ['exposedHeaders', 'maxAge']); // 'exposedHeaders'
 * closestName('zzz', ['origin']); // undefined
 * ```
 */
export function closestName(
  word: string,
  names: readonly string[],
  maxDistance: number = Math.max(2, Math.floor(word.length / 4)),
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxDistance ? best : undefined;
}
