/**
 * Escaping for terminals and log lines: one function, used for every value from configuration
 * or the network before it is printed or logged.
 */

/** True for characters a terminal may act on instead of showing. */
function isUnsafe(code: number): boolean {
  return (
    code <= 0x1f || // C0 controls: ESC starts terminal sequences, CR/LF forge lines
    (code >= 0x7f && code <= 0x9f) || // DEL and C1 controls (0x9b is a one-byte CSI)
    code === 0x061c || // Arabic letter mark
    code === 0x200e ||
    code === 0x200f || // left-to-right and right-to-left marks
    (code >= 0x202a && code <= 0x202e) || // bidi embeddings and overrides ("Trojan Source")
    (code >= 0x2066 && code <= 0x2069) || // bidi isolates
    code === 0x2028 ||
    code === 0x2029 || // line and paragraph separators
    code === 0xfeff // zero-width no-break space (BOM)
  );
}

/**
 * Replaces control characters, bidirectional-text controls and Unicode line separators with
 * `\uXXXX` escapes, so that text from configuration or the network cannot move the cursor,
 * rewrite the terminal title, clear the screen, forge a log line or reorder what is shown.
 * Everything else is kept as is. The escapes are JSON's, so escaped text inside a JSON string
 * stays valid JSON. With `keepLineBreaks`, `\n` is kept (for multi-line output built by the
 * caller); a `\r` is always escaped.
 *
 * @param text - any string; other values are converted with `String()` (never throws).
 * @returns the text with every unsafe character as `\uXXXX`.
 *
 * @example
 * ```ts
 * escapeControlCharacters('403 Forbidden\u001b]0;pwned\u0007'); // '403 Forbidden\\u001b]0;pwned\\u0007'
 * console.log(`origin: ${escapeControlCharacters(String(req.headers.origin))}`);
 * ```
 */
export function escapeControlCharacters(text: string, keepLineBreaks = false): string {
  let value: string;
  try {
    value = typeof text === 'string' ? text : String(text);
  } catch {
    value = `[${typeof text}]`;
  }
  // Fast path: most text has nothing to escape.
  let i = 0;
  for (; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (isUnsafe(code) && !(keepLineBreaks && code === 0x0a)) break;
  }
  if (i === value.length) return value;
  let out = value.slice(0, i);
  for (; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (isUnsafe(code) && !(keepLineBreaks && code === 0x0a)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += value.charAt(i);
  }
  return out;
}
