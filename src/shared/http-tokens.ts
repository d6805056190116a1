/**
 * HTTP token helpers (RFC 9110 §5.6.2 `token`, §5.6.1 lists), written as linear loops over
 * char codes: no regular expressions over untrusted header text.
 */

/** tchar lookup table (RFC 9110 §5.6.2): ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``. */
const TCHAR = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

/** True when `text` is a non-empty HTTP token. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || TCHAR[code] !== 1) return false;
  }
  return true;
}

/** Longest `Access-Control-Request-Headers` value that is parsed at all. */
export const MAX_HEADER_LIST_LENGTH = 4096;
/** Most header names one preflight may ask for. */
export const MAX_HEADER_LIST_ITEMS = 64;

/**
 * Parses a comma-separated list of header names (an `Access-Control-Request-Headers` value)
 * into lowercase tokens, in one pass. Empty elements and optional whitespace are skipped as
 * RFC 9110 §5.6.1 allows. Returns `undefined` when the value is too long, has too many items,
 * or an element is not a token; the caller then fails the preflight.
 */
export function parseHeaderNameList(value: string): string[] | undefined {
  if (value.length > MAX_HEADER_LIST_LENGTH) return undefined;
  const names: string[] = [];
  let start = -1;
  let end = -1;
  for (let i = 0; i <= value.length; i++) {
    const code = i < value.length ? value.charCodeAt(i) : 44; /* a final virtual comma */
    if (code === 44 /* , */) {
      if (start >= 0) {
        if (names.length === MAX_HEADER_LIST_ITEMS) return undefined;
        names.push(value.slice(start, end + 1).toLowerCase());
      }
      start = -1;
      end = -1;
    } else if (code !== 32 && code !== 9) {
      // Whitespace (OWS) may surround an element; a second run of tchars after it may not.
      if (code >= 128 || TCHAR[code] !== 1) return undefined;
      if (start < 0) start = i;
      else if (end !== i - 1) return undefined; // "x-a x-b": whitespace inside an element
      end = i;
    }
  }
  return names;
}

/**
 * Splits a configuration list (`'GET, POST'` or `['GET', 'POST']`) into trimmed items.
 * Construction-time only.
 */
export function splitConfigList(value: string | readonly string[]): string[] {
  const items = typeof value === 'string' ? value.split(',') : Array.from(value);
  return items.map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
}
