/**
 * What a browser decides before it sends anything: method normalisation, CORS-safelisted
 * request headers and whether a CORS preflight is needed. Pure functions, no I/O.
 *
 * Every rule here is from the Fetch standard (https://fetch.spec.whatwg.org/), cited by section.
 */
import type { RawHeaders } from './headers.js';
import { isToken } from './headers.js';

/** Request credentials mode. `--credentials` means `include` (`fetch(url, { credentials: 'include' })`). */
export type CredentialsMode = 'include' | 'same-origin';

/** Fetch §2.2.1: methods that `fetch()` upper-cases; any other method is sent as written. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/**
 * Fetch §2.2.1 "normalize a method": `put` becomes `PUT`, but `patch` stays `patch`, which is
 * why `fetch(url, { method: 'patch' })` fails a preflight that allows `PATCH`.
 */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** Fetch §2.2.1 "forbidden method": a page cannot send these at all. */
export function isForbiddenMethod(method: string): boolean {
  const upper = method.toUpperCase();
  return upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK';
}

/** Fetch §2.2.1 "CORS-safelisted method" (case-sensitive, after normalisation). */
export function isCorsSafelistedMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'POST';
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

/** MIME Sniffing §4.4 "parse a MIME type", reduced to the essence (`type/subtype`, lower-cased). */
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
const SAFELISTED_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

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
 * each with a value of at most 128 bytes and no CORS-unsafe bytes.
 */
export function isCorsSafelistedRequestHeader(name: string, value: string): boolean {
  if (Buffer.byteLength(value, 'latin1') > 128) return false;
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

/**
 * Fetch §2.2.2 "CORS-unsafe request-header names": the names a preflight must list in
 * `Access-Control-Request-Headers`, lower-cased, sorted, without duplicates. Safelisted headers
 * become unsafe too when their values total more than 1024 bytes.
 */
export function corsUnsafeRequestHeaderNames(headers: RawHeaders): string[] {
  const unsafe = new Set<string>();
  const safelisted: string[] = [];
  let safelistedSize = 0;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (isCorsSafelistedRequestHeader(name, value)) {
      safelisted.push(lower);
      safelistedSize += Buffer.byteLength(value, 'latin1');
    } else {
      unsafe.add(lower);
    }
  }
  if (safelistedSize > 1024) for (const name of safelisted) unsafe.add(name);
  return [...unsafe].sort();
}

/** Fetch §2.2.2 "forbidden request-header" names: the browser sets these, page script cannot. */
const FORBIDDEN_REQUEST_HEADERS = new Set([
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

/** Fetch §2.2.2 "forbidden request-header" (name part: fixed names, `proxy-*`, `sec-*`). */
export function isForbiddenRequestHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_REQUEST_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-');
}

/** Fetch §2.2.2 "CORS non-wildcard request-header name": `*` never covers it. */
export function isCorsNonWildcardRequestHeaderName(name: string): boolean {
  return name.toLowerCase() === 'authorization';
}

/** Whether a cross-origin request needs a preflight, and why, in words a user can act on. */
export interface PreflightDecision {
  readonly needed: boolean;
  /** Human-readable reasons, empty when no preflight is needed. */
  readonly reasons: readonly string[];
  /** The value of `Access-Control-Request-Headers` (lower-cased names), possibly empty. */
  readonly unsafeHeaderNames: readonly string[];
}

/**
 * Fetch §4.1 "main fetch": a CORS request needs a preflight when its method is not
 * CORS-safelisted or it has CORS-unsafe request-header names.
 *
 * @example
 * ```ts
 * preflightDecision('GET', [['Authorization', 'Bearer x']]).needed; // true
 * preflightDecision('POST', [['Content-Type', 'text/plain']]).needed; // false
 * ```
 */
export function preflightDecision(method: string, headers: RawHeaders): PreflightDecision {
  const reasons: string[] = [];
  if (!isCorsSafelistedMethod(method)) {
    reasons.push(`method ${method} is not CORS-safelisted (only GET, HEAD, POST are)`);
  }
  const unsafeHeaderNames = corsUnsafeRequestHeaderNames(headers);
  for (const name of unsafeHeaderNames) {
    reasons.push(
      name === 'content-type'
        ? 'Content-Type is not application/x-www-form-urlencoded, multipart/form-data or text/plain'
        : `header ${name} is not CORS-safelisted`,
    );
  }
  return { needed: reasons.length > 0, reasons, unsafeHeaderNames };
}

/** True for the loopback names `localhost`, `*.localhost`, `127.x.x.x` and `[::1]`. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** Secure Contexts, "is origin potentially trustworthy?", for the schemes a page can fetch or open. */
export function isPotentiallyTrustworthy(url: URL): boolean {
  if (url.protocol === 'https:' || url.protocol === 'wss:') return true;
  return isLoopback(url.hostname);
}

/**
 * Mixed Content ("should fetching request be blocked as mixed content?"): an `https:` page cannot
 * fetch or open a WebSocket to a URL that is not potentially trustworthy; the browser blocks it
 * before CORS is consulted.
 */
export function isMixedContent(pageOrigin: string, target: URL): boolean {
  return pageOrigin.startsWith('https:') && !isPotentiallyTrustworthy(target);
}
