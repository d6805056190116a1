/**
 * Entries of `methods`, `allowedHeaders` and `exposedHeaders` that can never have an effect:
 * methods Node's HTTP parser refuses or browsers never send, request headers scripts may not
 * set, response headers scripts may never read. Construction-time checks only.
 */

/** A refused list entry: a stable code and a message naming why and the fix. */
export interface EntryProblem {
  readonly code: string;
  readonly message: string;
}

/**
 * Methods Node's HTTP/1.1 parser (llhttp) accepts, exactly as written (they are upper-case):
 * `http.METHODS` of Node 20, written out because the policy core imports no Node module
 * (`cors-safety/fetch` runs on Workers and Deno). test/policy/forbidden-names.test.ts holds it
 * equal to the running Node's list.
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

/** Fetch §2.2.1 "forbidden method": `fetch()` and XMLHttpRequest throw before sending one. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Fetch §2.2.2 "forbidden request-header" names, lower-case. */
const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
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

/** Fetch §2.2.2: every name starting with these is forbidden too. */
const FORBIDDEN_REQUEST_HEADER_PREFIXES = ['proxy-', 'sec-'];

/** Fetch §2.2.6 "forbidden response-header name": never exposed to scripts, whatever the server says. */
const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/**
 * Why a `methods` entry can never be granted, or `undefined` when it can. `method` is as the
 * configuration wrote it, after the six methods Fetch normalises were upper-cased.
 *
 * @example
 * ```ts
 * methodProblem('patch')?.code; // 'method-not-accepted-by-node'
 * methodProblem('PATCH'); // undefined
 * ```
 */
export function methodProblem(method: string): EntryProblem | undefined {
  const shown = JSON.stringify(method);
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) {
    return {
      code: 'method-forbidden',
      message:
        `${shown} is a forbidden method (Fetch §2.2.1): browsers refuse to send it, so a preflight never asks ` +
        'for it; remove it',
    };
  }
  if (NODE_METHODS.has(method)) return undefined;
  if (NODE_METHODS.has(upper)) {
    return {
      code: 'method-not-accepted-by-node',
      message:
        `${shown}: Node's HTTP parser accepts methods only as listed in http.METHODS and answers any other ` +
        `with 400 before any middleware runs, so a request sent as ${shown} never reaches this policy ` +
        `(browsers send it exactly as the page wrote it; Fetch upper-cases only DELETE, GET, HEAD, ` +
        `OPTIONS, POST and PUT). Write "${upper}" here and send "${upper}" from the client`,
    };
  }
  return {
    code: 'method-not-accepted-by-node',
    message:
      `${shown} is not in http.METHODS: Node's HTTP parser answers it with 400 before any middleware ` +
      'runs, so this server can never receive it; remove it, or use a method Node accepts',
  };
}

/**
 * Why an `allowedHeaders` entry can never be requested, or `undefined`. `name` is lower-case.
 *
 * @example
 * ```ts
 * allowedHeaderProblem('cookie')?.code; // 'header-forbidden'
 * ```
 */
export function allowedHeaderProblem(name: string): EntryProblem | undefined {
  const lower = name.toLowerCase();
  const prefixed = FORBIDDEN_REQUEST_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
  if (!prefixed && !FORBIDDEN_REQUEST_HEADERS.has(lower)) return undefined;
  const cookie =
    lower === 'cookie' || lower === 'cookie2'
      ? '; to send cookies, set credentials: true and call fetch(url, { credentials: "include" })'
      : '; remove it';
  return {
    code: 'header-forbidden',
    message:
      `${JSON.stringify(name)} is a forbidden request-header name (Fetch §2.2.2): scripts cannot set it, ` +
      `the browser does, so a preflight never asks for it${cookie}`,
  };
}

/**
 * Why an `exposedHeaders` entry can never be read by a script, or `undefined`.
 *
 * @example
 * ```ts
 * exposedHeaderProblem('Set-Cookie')?.code; // 'expose-forbidden'
 * ```
 */
export function exposedHeaderProblem(name: string): EntryProblem | undefined {
  if (!FORBIDDEN_RESPONSE_HEADERS.has(name.toLowerCase())) return undefined;
  return {
    code: 'expose-forbidden',
    message:
      `${JSON.stringify(name)} is a forbidden response-header name (Fetch §2.2.6): browsers never let a script ` +
      'read it, whatever Access-Control-Expose-Headers says; the browser stores the cookie itself ' +
      '(with credentials: true); remove it',
  };
}
