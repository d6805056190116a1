/**
 * Appending to `Vary` (RFC 9110 §12.5.5) without losing what the application set: fields are
 * added once, compared case-insensitively, and `*` (varies on everything) is kept as it is.
 */

/** The fields of a header value (a string, or a list of them); anything else has none. */
function splitFields(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return text
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
}

/**
 * Returns the `Vary` value after appending `fields` to `current` (a header value or list).
 *
 * @example
 * ```ts
 * mergeVary('Accept-Encoding', ['Origin']); // 'Accept-Encoding, Origin'
 * mergeVary('*', ['Origin']); // '*'
 * ```
 */
export function mergeVary(current: unknown, fields: readonly string[]): string {
  const existing = splitFields(current);
  // Fields may themselves be lists ("Accept, Accept-Language" from a writeHead() header object).
  const added = splitFields(fields);
  // `*` varies on everything: it absorbs every other field, whichever side it comes from.
  if (existing.includes('*') || added.includes('*')) return '*';
  const seen = new Set(existing.map((field) => field.toLowerCase()));
  for (const field of added) {
    const lower = field.toLowerCase();
    if (!seen.has(lower)) {
      seen.add(lower);
      existing.push(field);
    }
  }
  return existing.join(', ');
}
