/**
 * What a browser decides before it sends anything: which request headers make a CORS preflight
 * needed, and whether mixed content blocks the request. Pure functions, no I/O. The facts they
 * rest on (methods, header names, loopback hosts) are in src/shared/, shared with the policy core.
 *
 * Every rule here is from the Fetch standard (https://fetch.spec.whatwg.org/), cited by section.
 */
import type { RawHeaders } from './headers.js';
import { isCorsSafelistedRequestHeader } from '../shared/header-names.js';
import { reachesOnlyThisMachine } from '../shared/loopback.js';
import { isCorsSafelistedMethod } from '../shared/methods.js';

// diagnose.ts reads these two through this module; they are the shared ones.
export { isForbiddenRequestHeaderName } from '../shared/header-names.js';
export { normalizeMethod } from '../shared/methods.js';

/** Request credentials mode. `--credentials` means `include` (`fetch(url, { credentials: 'include' })`). */
export type CredentialsMode = 'include' | 'same-origin';

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

/** Secure Contexts, "is origin potentially trustworthy?", for the schemes a page can fetch or open. */
export function isPotentiallyTrustworthy(url: URL): boolean {
  if (url.protocol === 'https:' || url.protocol === 'wss:') return true;
  return reachesOnlyThisMachine(url.hostname);
}

/**
 * Mixed Content ("should fetching request be blocked as mixed content?"): an `https:` page cannot
 * fetch or open a WebSocket to a URL that is not potentially trustworthy; the browser blocks it
 * before CORS is consulted.
 */
export function isMixedContent(pageOrigin: string, target: URL): boolean {
  return pageOrigin.startsWith('https:') && !isPotentiallyTrustworthy(target);
}
