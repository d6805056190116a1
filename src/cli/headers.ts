/**
 * Helpers over a raw header list: `[name, value]` pairs in wire order, duplicates kept.
 *
 * `fetch()` and `IncomingMessage.headers` merge duplicate lines, which hides the most common
 * proxy mistake (two `Access-Control-Allow-Origin` lines). The doctor works on the raw list.
 */
import { isToken } from '../shared/http-tokens.js';

/** Header lines in wire order, duplicates kept, names as the server spelled them. */
export type RawHeaders = readonly (readonly [name: string, value: string])[];

/** Turns node's flat `rawHeaders` (`[name, value, name, value, ...]`) into pairs. */
export function pairsFromRawHeaders(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return pairs;
}

/** Every value of the lines named `name` (case-insensitive), in wire order. */
export function getAll(headers: RawHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === lower) values.push(v);
  return values;
}

/**
 * Fetch §2.2.2 "get": the values of all lines named `name` joined with `, `, or `null` when
 * there is none. This is what a browser compares, so two lines become one invalid value.
 */
export function getCombined(headers: RawHeaders, name: string): string | null {
  const values = getAll(headers, name);
  return values.length === 0 ? null : values.join(', ');
}

/**
 * Fetch §2.2.2 "extract header list values" for a `#token` list (`Access-Control-Allow-Methods`,
 * `Access-Control-Allow-Headers`): `null` when absent, `'failure'` when an element is not a
 * token, otherwise the elements. Empty list elements are allowed (RFC 9110 §5.6.1).
 */
export function extractTokenList(headers: RawHeaders, name: string): string[] | null | 'failure' {
  const values = getAll(headers, name);
  if (values.length === 0) return null;
  const items: string[] = [];
  for (const value of values) {
    for (const element of value.split(',')) {
      const item = element.trim();
      if (item === '') continue;
      if (!isToken(item)) return 'failure';
      items.push(item);
    }
  }
  return items;
}

/** Lower-cased, trimmed elements of a comma-separated header (e.g. `Vary`), all lines together. */
export function listElementsLower(headers: RawHeaders, name: string): string[] {
  const out: string[] = [];
  for (const value of getAll(headers, name)) {
    for (const element of value.split(',')) {
      const item = element.trim().toLowerCase();
      if (item !== '') out.push(item);
    }
  }
  return out;
}
