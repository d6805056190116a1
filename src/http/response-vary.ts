/**
 * Appending to a node:http response's `Vary` header (RFC 9110 §12.5.5); the merging itself is
 * the pure `mergeVary()` of headers/vary.ts.
 */
import type { ServerResponse } from 'node:http';
import { headerOf, setHeaderOn } from './response-access.js';
import { mergeVary } from '../headers/vary.js';

/** What each list of fields merges to on a response without `Vary`, keyed by the list itself. */
const mergedAlone = new WeakMap<readonly string[], string>();

/**
 * Appends `fields` to the response's `Vary` header.
 *
 * @example
 * ```ts
 * appendVary(res, ['Origin']);
 * ```
 */
export function appendVary(res: ServerResponse, fields: readonly string[]): void {
  const current = headerOf(res, 'vary');
  // Callers pass constant lists, and every response gets Origin appended twice (when the
  // decision is made and when the head is written): remember what each list alone merges to, so
  // the common cases (no Vary yet, or exactly ours already) cost one lookup.
  let alone = mergedAlone.get(fields);
  if (alone === undefined) {
    alone = mergeVary(undefined, fields);
    mergedAlone.set(fields, alone);
  }
  const merged = current === undefined || current === alone ? alone : mergeVary(current, fields);
  if (merged !== '' && merged !== current) setHeaderOn(res, 'Vary', merged);
}
