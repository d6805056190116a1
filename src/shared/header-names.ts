/**
 * Header names as the Fetch standard classes them: forbidden request-headers (the browser sets
 * them, a page cannot), forbidden response-header names (never readable by a page),
 * CORS-safelisted request-headers (no preflight needed) and the CORS non-wildcard
 * request-header name. Shared by the policy core (configuration checks) and the CLI (what a
 * browser would send). Pure functions, no Node module; none runs a regular expression over
 * request-time header text in the core (the value checks are for the CLI).
 */
import { isToken } from './http-tokens.js';

/** Fetch §2.2.2 "forbidden request-header" names, lower-case (besides the prefixes below). */
const FORBIDDEN_REQUEST_HEADER_NAMES: ReadonlySet<string> = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/** Fetch §2.2.2: every name starting with one of these is a forbidden request-header too. */
const FORBIDDEN_REQUEST_HEADER_PREFIXES: readonly string[] = ['proxy-', 'sec-'];

/**
 * Fetch §2.2.2 "forbidden request-header", the name part: the fixed names (`Cookie`, `Host`,
 * `Origin`, ...) and every `Proxy-*` and `Sec-*` name, in any case. A page cannot set one; the
 * browser does, so a preflight never asks for it. (The method-override headers, forbidden by
 * their value, are not covered.)
 *
 * @example
 * ```ts
 * isForbiddenRequestHeaderName('Cookie'); // true
 * isForbiddenRequestHeaderName('sec-fetch-mode'); // true
 * isForbiddenRequestHeaderName('Authorization'); // false
 * ```
 */
export function isForbiddenRequestHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    FORBIDDEN_REQUEST_HEADER_NAMES.has(lower) ||
    FORBIDDEN_REQUEST_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix))
  );
}

/** Fetch §2.2.6 "forbidden response-header name", lower-case. */
const FORBIDDEN_RESPONSE_HEADER_NAMES: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/**
 * Fetch §2.2.6 "forbidden response-header name": `Set-Cookie` and `Set-Cookie2`, in any case.
 * A page never reads one, whatever `Access-Control-Expose-Headers` says.
 *
 * @example
 * ```ts
 * isForbiddenResponseHeaderName('Set-Cookie'); // true
 * ```
 */
export function isForbiddenResponseHeaderName(name: string): boolean {
  return FORBIDDEN_RESPONSE_HEADER_NAMES.has(name.toLowerCase());
}

/**
 * Fetch §2.2.2 "CORS non-wildcard request-header name": `Authorization`, in any case. A `*` in
 * `Access-Control-Allow-Headers` never covers it; it must be listed by name.
 *
 * @example
 * ```ts
 * isCorsNonWildcardRequestHeaderName('authorization'); // true
 * ```
 */
export function isCorsNonWildcardRequestHeaderName(name: string): boolean {
  return name.toLowerCase() === 'authorization';
}

/** Fetch §2.2.2 "CORS-unsafe request-header byte". */
function isCorsUnsafeRequestHeaderByte(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09) ||
    code === 0x7f ||
    [0x22, 0x28, 0x29, 0x3a, 0x3c, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d].includes(code)
  );
}

function hasUnsafeByte(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isCorsUnsafeRequestHeaderByte(value.charCodeAt(i))) return true;
  return false;
}

/** Bytes allowed in `Accept-Language` / `Content-Language` values: 0-9 A-Z a-z space * , - . ; = */
const LANGUAGE_VALUE = /^[0-9A-Za-z *,\-.;=]*$/;

/**
 * MIME Sniffing §4.4 "parse a MIME type", reduced to the essence: `type/subtype`, lower-cased,
 * or `null` when `value` is not a MIME type.
 *
 * @example
 * ```ts
 * mimeEssence(' Text/Plain ; charset=utf-8'); // 'text/plain'
 * mimeEssence('/json'); // null
 * ```
 */
export function mimeEssence(value: string): string | null {
  const trimmed = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  const slash = trimmed.indexOf('/');
  if (slash <= 0) return null;
  const type = trimmed.slice(0, slash);
  const rest = trimmed.slice(slash + 1);
  const semicolon = rest.indexOf(';');
  const subtype = (semicolon === -1 ? rest : rest.slice(0, semicolon)).replace(/[\t\n\r ]+$/, '');
  if (!isToken(type) || !isToken(subtype)) return null;
  return `${type}/${subtype}`.toLowerCase();
}

/** Fetch §2.2.2: the `Content-Type` essences a page may send without a preflight. */
const SAFELISTED_CONTENT_TYPES: ReadonlySet<string> = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

/** Fetch §2.2.2 "parse a single range header value" (no whitespace allowed): the start, or null. */
function simpleRangeStart(value: string): { start: number | null } | null {
  const match = /^bytes=([0-9]*)-([0-9]*)$/i.exec(value);
  if (!match) return null;
  const startText = match[1] ?? '';
  const endText = match[2] ?? '';
  if (startText === '' && endText === '') return null;
  const start = startText === '' ? null : Number(startText);
  if (start !== null && endText !== '' && start > Number(endText)) return null;
  return { start };
}

/**
 * Fetch §2.2.2 "CORS-safelisted request-header": `Accept`, `Accept-Language`,
 * `Content-Language`, `Content-Type` (form, multipart or text/plain only) and a simple `Range`,
 * each with a value of at most 128 bytes (the value is a byte string: one character, one byte)
 * and no CORS-unsafe request-header byte. Such a header needs no preflight.
 *
 * @param name - the header name, any case.
 * @param value - the header value as the page set it.
 *
 * @example
 * ```ts
 * isCorsSafelistedRequestHeader('Content-Type', 'text/plain;charset=UTF-8'); // true
 * isCorsSafelistedRequestHeader('Content-Type', 'application/json'); // false
 * ```
 */
export function isCorsSafelistedRequestHeader(name: string, value: string): boolean {
  if (value.length > 128) return false;
  switch (name.toLowerCase()) {
    case 'accept':
      return !hasUnsafeByte(value);
    case 'accept-language':
    case 'content-language':
      return LANGUAGE_VALUE.test(value);
    case 'content-type': {
      if (hasUnsafeByte(value)) return false;
      const essence = mimeEssence(value);
      return essence !== null && SAFELISTED_CONTENT_TYPES.has(essence);
    }
    case 'range': {
      const range = simpleRangeStart(value);
      return range !== null && range.start !== null;
    }
    default:
      return false;
  }
}
