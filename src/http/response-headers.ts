/**
 * CORS headers on actual (non-preflight) responses, and their protection: the decision is
 * re-applied at the moment the response head is written, so a handler, an error handler or
 * `writeHead(status, headers)` downstream can neither drop the grant for an allowed origin nor
 * add one for a denied origin.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/policy.js';
import type { OriginVerdict } from '../policy/reasons.js';
import { headerNamesOf, headerOf, removeHeaderFrom, setHeaderOn } from './response-access.js';
import { appendVary } from './vary.js';

/**
 * Response header naming the reason code of a denial (outside production by default).
 *
 * @example
 * ```ts
 * const res = await fetch(url, { headers: { Origin: 'https://evil.example' } });
 * res.headers.get(REASON_HEADER); // 'origin-not-allowed' (outside production)
 * ```
 */
export const REASON_HEADER = 'Cors-Safety-Reason';

const ACCESS_CONTROL_PREFIX = 'access-control-';
const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
const ALLOW_CREDENTIALS = 'Access-Control-Allow-Credentials';
const EXPOSE_HEADERS = 'Access-Control-Expose-Headers';
const ORIGIN_FIELD: readonly string[] = Object.freeze(['Origin']);

/** The CORS decision attached to one response, and the `writeHead` that guarding replaced. */
export interface ResponseCorsState {
  policy: CompiledPolicy;
  verdict: OriginVerdict;
  readonly writeHead: (...args: unknown[]) => ServerResponse;
}

const kState = Symbol('cors-safety.response-state');

type GuardedResponse = ServerResponse & { [kState]?: ResponseCorsState };

/** The decision already attached to this response by corsSafety(), if any. */
export function responseCorsState(res: ServerResponse): ResponseCorsState | undefined {
  return (res as GuardedResponse)[kState];
}

function isAccessControl(name: string): boolean {
  return (
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
export function applyCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: OriginVerdict): void {
  if (res.headersSent) return;
  const publicMode = policy.mode === 'public';
  const granted = publicMode || verdict.allowed;
  const allowOrigin = publicMode ? '*' : verdict.allowed ? verdict.origin : undefined;
  const credentials = granted && !publicMode && policy.credentials;
  const expose = granted ? policy.exposedHeadersHeader : undefined;
  // One pass over the names: drop every Access-Control-* header that is not part of the grant.
  for (const name of headerNamesOf(res)) {
    if (!name.startsWith(ACCESS_CONTROL_PREFIX)) continue;
    const kept =
      (name === 'access-control-allow-origin' && allowOrigin !== undefined) ||
      (name === 'access-control-allow-credentials' && credentials) ||
      (name === 'access-control-expose-headers' && expose !== undefined);
    if (!kept) removeHeaderFrom(res, name);
  }
  if (allowOrigin !== undefined) ensureHeader(res, ALLOW_ORIGIN, allowOrigin);
  if (credentials) ensureHeader(res, ALLOW_CREDENTIALS, 'true');
  if (expose !== undefined) ensureHeader(res, EXPOSE_HEADERS, expose);
  if (!granted && policy.exposeReason && verdict.reason !== 'origin-missing')
    ensureHeader(res, REASON_HEADER, verdict.reason);
  else if (headerOf(res, REASON_HEADER) !== undefined) removeHeaderFrom(res, REASON_HEADER);
  // A public resource is the same for everyone, and a disabled policy answers nobody: no Vary.
  if (!publicMode && policy.mode !== 'disabled') appendVary(res, ORIGIN_FIELD);
}

/**
 * Copies a writeHead() header argument without `Access-Control-*` entries; `Vary` is merged
 * into the response instead of replacing it. An odd-length flat array keeps its last item so
 * Node refuses it exactly as it would without cors-safety.
 */
function sanitizeHeadArgument(
  res: ServerResponse,
  headers: OutgoingHttpHeaders | readonly unknown[],
): OutgoingHttpHeaders | unknown[] {
  if (Array.isArray(headers)) {
    const kept: unknown[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name: unknown = headers[i];
      if (i + 1 === headers.length) kept.push(name);
      else if (isAccessControl(String(name))) continue;
      else if (String(name).toLowerCase() === 'vary') appendVary(res, [String(headers[i + 1])]);
      else kept.push(name, headers[i + 1]);
    }
    return kept;
  }
  const kept: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (isAccessControl(name)) continue;
    const value = (headers as OutgoingHttpHeaders)[name];
    if (name.toLowerCase() === 'vary' && value !== undefined)
      appendVary(res, Array.isArray(value) ? value : [String(value)]);
    else kept[name] = value;
  }
  return kept;
}

/**
 * The `writeHead` installed on guarded responses: re-applies the response's current decision,
 * then calls the `writeHead` it replaced. One shared function, so guarding a response allocates
 * no closure.
 */
function corsSafetyWriteHead(this: GuardedResponse, ...args: unknown[]): ServerResponse {
  // After the head is out Node throws ERR_HTTP_HEADERS_SENT below, exactly as without us.
  const state = this[kState] as ResponseCorsState;
  if (!this.headersSent) {
    // writeHead(status, headers) or writeHead(status, statusMessage, headers).
    const at = typeof args[1] === 'string' ? 2 : 1;
    const headers = args[at];
    if (headers !== null && typeof headers === 'object')
      args[at] = sanitizeHeadArgument(this, headers as OutgoingHttpHeaders);
    // Read at call time: corsErrorHandler() may have attached a newer decision since.
    applyCorsHeaders(this, state.policy, state.verdict);
  }
  return state.writeHead.apply(this, args);
}

/**
 * Attaches a decision to the response, applies it now, and replaces `res.writeHead` (once per
 * response) so the latest decision is applied again when the head goes out. Node's implicit
 * header writing (`res.end()` without `writeHead`) also calls `writeHead`, so every path is
 * covered.
 */
export function protectCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: OriginVerdict): void {
  const guarded = res as GuardedResponse;
  const state = guarded[kState];
  if (state !== undefined) {
    state.policy = policy;
    state.verdict = verdict;
  } else if (typeof res.writeHead === 'function') {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the response as `this`
    guarded[kState] = { policy, verdict, writeHead: res.writeHead as (...args: unknown[]) => ServerResponse };
    res.writeHead = corsSafetyWriteHead;
  }
  applyCorsHeaders(res, policy, verdict);
}
