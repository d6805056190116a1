/**
 * Entries of `methods`, `allowedHeaders` and `exposedHeaders` that can never have an effect:
 * methods Node's HTTP parser refuses or browsers never send, request headers scripts may not
 * set, response headers scripts may never read. Construction-time checks only; the facts are
 * in methods.ts and header-names.ts.
 */
import { isForbiddenRequestHeaderName, isForbiddenResponseHeaderName } from './header-names.js';
import { isForbiddenMethod, NODE_METHODS } from './methods.js';

/** A refused list entry: a stable code and a message naming why and the fix. */
export interface EntryProblem {
  readonly code: string;
  readonly message: string;
}

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
  if (isForbiddenMethod(method)) {
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
  if (!isForbiddenRequestHeaderName(name)) return undefined;
  const lower = name.toLowerCase();
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
  if (!isForbiddenResponseHeaderName(name)) return undefined;
  return {
    code: 'expose-forbidden',
    message:
      `${JSON.stringify(name)} is a forbidden response-header name (Fetch §2.2.6): browsers never let a script ` +
      'read it, whatever Access-Control-Expose-Headers says; the browser stores the cookie itself ' +
      '(with credentials: true); remove it',
  };
}
