/**
 * CORS headers on actual (non-preflight) responses: the grant of an allowed origin, and the
 * removal of every other `Access-Control-*` header. `response-guard.ts` re-applies them at the
 * moment the head is written.
 */
import type { ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/policy.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { planActualHeaders, REASON_HEADER, warnDuplicateCors } from '../headers/actual-headers.js';
import { headerNamesOf, headerOf, removeHeaderFrom, setHeaderOn } from './response-access.js';
import { appendVary } from './response-vary.js';

export { reasonHeaderValue } from '../headers/actual-headers.js';

const ACCESS_CONTROL_PREFIX = 'access-control-';
const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
const ALLOW_CREDENTIALS = 'Access-Control-Allow-Credentials';
const EXPOSE_HEADERS = 'Access-Control-Expose-Headers';
const ORIGIN_FIELD: readonly string[] = Object.freeze(['Origin']);

/** True for an `Access-Control-*` field name in any case (field names are case-insensitive, RFC 9110 §5.1). */
export function isAccessControl(name: unknown): boolean {
  return (
    typeof name === 'string' &&
    name.length > ACCESS_CONTROL_PREFIX.length &&
    name.slice(0, ACCESS_CONTROL_PREFIX.length).toLowerCase() === ACCESS_CONTROL_PREFIX
  );
}

/** Removes every `Access-Control-*` header set so far. */
export function removeAccessControlHeaders(res: ServerResponse): void {
  // getHeaderNames() returns lower-case names.
  for (const name of headerNamesOf(res)) if (name.startsWith(ACCESS_CONTROL_PREFIX)) removeHeaderFrom(res, name);
}

/** Sets a header only when it does not already hold exactly this value (setHeader validates every time). */
function ensureHeader(res: ServerResponse, name: string, value: string): void {
  if (headerOf(res, name) !== value) setHeaderOn(res, name, value);
}

/**
 * Sets the headers of a decision on an actual response. cors-safety owns every
 * `Access-Control-*` header of the responses it guards: whatever a handler, an error's
 * `headers` or a framework set is removed, then the grant of an allowed origin is set (exactly
 * one `Access-Control-Allow-Origin` value, Fetch §3.2.3), and nothing for any other origin.
 * `Vary: Origin` is appended whenever the answer depends on the origin (Fetch §3.2.4 "CORS
 * protocol and HTTP caches"). Does nothing once the head is sent. Runs twice per response (when
 * the decision is made and when the head is written), so headers already right are left alone.
 *
 * @example
 * ```ts
 * applyCorsHeaders(res, compiled, verdict); // then res.end()
 * ```
 */
export function applyCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: RequestVerdict): void {
  if (res.headersSent) return;
  const { allowOrigin, credentials, exposeHeaders: expose, reason, varyOrigin } = planActualHeaders(policy, verdict);
  // One pass over the names: drop every Access-Control-* header that is not part of the grant.
  for (const name of headerNamesOf(res)) {
    if (!name.startsWith(ACCESS_CONTROL_PREFIX)) continue;
    // A value the decision did not set: another CORS layer wrote it.
    if (name === 'access-control-allow-origin' && headerOf(res, name) !== allowOrigin) warnDuplicateCors();
    const kept =
      (name === 'access-control-allow-origin' && allowOrigin !== undefined) ||
      (name === 'access-control-allow-credentials' && credentials) ||
      (name === 'access-control-expose-headers' && expose !== undefined);
    if (!kept) removeHeaderFrom(res, name);
  }
  if (allowOrigin !== undefined) ensureHeader(res, ALLOW_ORIGIN, allowOrigin);
  if (credentials) ensureHeader(res, ALLOW_CREDENTIALS, 'true');
  if (expose !== undefined) ensureHeader(res, EXPOSE_HEADERS, expose);
  if (reason !== undefined) ensureHeader(res, REASON_HEADER, reason);
  else if (headerOf(res, REASON_HEADER) !== undefined) removeHeaderFrom(res, REASON_HEADER);
  if (varyOrigin) appendVary(res, ORIGIN_FIELD);
}
