/**
 * Request methods as the Fetch standard and Node's HTTP parser see them: the methods Node
 * accepts, the forbidden methods, the CORS-safelisted methods and method normalisation.
 * Shared by the policy core (configuration checks, the preflight answer) and the CLI (what a
 * browser would send). Pure data and functions, no Node module.
 */

/**
 * Methods Node's HTTP/1.1 parser (llhttp) accepts, exactly as written (they are upper-case):
 * `http.METHODS` of Node 20, written out because the policy core imports no Node module
 * (`cors-safety/fetch` runs on Workers and Deno). test/policy/forbidden-names.test.ts holds it
 * equal to the running Node's list.
 *
 * @example
 * ```ts
 * NODE_METHODS.has('PATCH'); // true
 * NODE_METHODS.has('patch'); // false: Node answers 400 before any middleware runs
 * ```
 */
export const NODE_METHODS: ReadonlySet<string> = new Set([
  'ACL',
  'BIND',
  'CHECKOUT',
  'CONNECT',
  'COPY',
  'DELETE',
  'GET',
  'HEAD',
  'LINK',
  'LOCK',
  'M-SEARCH',
  'MERGE',
  'MKACTIVITY',
  'MKCALENDAR',
  'MKCOL',
  'MOVE',
  'NOTIFY',
  'OPTIONS',
  'PATCH',
  'POST',
  'PROPFIND',
  'PROPPATCH',
  'PURGE',
  'PUT',
  'QUERY',
  'REBIND',
  'REPORT',
  'SEARCH',
  'SOURCE',
  'SUBSCRIBE',
  'TRACE',
  'UNBIND',
  'UNLINK',
  'UNLOCK',
  'UNSUBSCRIBE',
]);

/** Fetch §2.2.1 "forbidden method", upper-case (the comparison is case-insensitive). */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Fetch §2.2.1 "forbidden method": `CONNECT`, `TRACE` and `TRACK` in any case. `fetch()` and
 * XMLHttpRequest throw before sending one, so no preflight ever asks for it.
 *
 * @example
 * ```ts
 * isForbiddenMethod('trace'); // true
 * isForbiddenMethod('PATCH'); // false
 * ```
 */
export function isForbiddenMethod(method: string): boolean {
  return FORBIDDEN_METHODS.has(method.toUpperCase());
}

/**
 * Fetch §2.2.1 "CORS-safelisted method": `GET`, `HEAD` and `POST`, compared case-sensitively
 * (after normalisation). A preflight never needs to grant them.
 */
export const CORS_SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/**
 * Fetch §2.2.1 "CORS-safelisted method", case-sensitive: `method` as sent, after
 * {@link normalizeMethod}.
 *
 * @example
 * ```ts
 * isCorsSafelistedMethod('POST'); // true
 * isCorsSafelistedMethod('post'); // false (fetch() would have sent it as POST)
 * ```
 */
export function isCorsSafelistedMethod(method: string): boolean {
  return CORS_SAFELISTED_METHODS.has(method);
}

/** Fetch §2.2.1: the methods "normalize a method" upper-cases; any other is sent as written. */
const NORMALIZED_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/**
 * Fetch §2.2.1 "normalize a method": a case-insensitive match of `DELETE`, `GET`, `HEAD`,
 * `OPTIONS`, `POST` or `PUT` is upper-cased; any other method is returned as written. This is
 * why `fetch(url, { method: 'patch' })` fails a preflight that allows `PATCH`.
 *
 * @example
 * ```ts
 * normalizeMethod('put'); // 'PUT'
 * normalizeMethod('patch'); // 'patch'
 * ```
 */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}
