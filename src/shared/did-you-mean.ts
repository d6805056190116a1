/**
 * Did-you-mean for the command line: the known word closest to a mistyped one. The CLI uses only
 * the library's public surface, so it keeps this small helper of its own.
 */

/** Levenshtein distance between two short words. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const above = rows[i - 1];
      row.push(
        above === undefined
          ? j
          : Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

/**
 * The word in `known` closest to `word`, when it is close enough to be a typo (at most a third
 * of its letters differ, and at least one edit is always tolerated).
 *
 * @example
 * ```ts
 * closestWord('orign', ['origin', 'method']); // 'origin'
 * ```
 */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}
