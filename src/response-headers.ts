/**
 * CORS headers on actual (non-preflight) responses, and their protection: the decision is
 * re-applied at the moment the response head is written, so a handler, an error handler or
 * `writeHead(status, headers)` downstream can neither drop the grant for an allowed origin nor
 * add one for a denied origin.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CompiledPolicy } from './policy.js';
import type { OriginVerdict } from './reasons.js';
import { appendVary } from './vary.js';

/** Response header naming the reason code of a denial (outside production by default). */
export const REASON_HEADER = 'Cors-Safety-Reason';

const ACCESS_CONTROL_PREFIX = 'access-control-';
const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
const ALLOW_CREDENTIALS = 'Access-Control-Allow-Credentials';
const EXPOSE_HEADERS = 'Access-Control-Expose-Headers';

/** The CORS decision attached to one response. */
export interface ResponseCorsState {
  policy: CompiledPolicy;
  verdict: OriginVerdict;
}

const kState = Symbol('cors-safety.response-state');

type GuardedResponse = ServerResponse & { [kState]?: ResponseCorsState };

/** The decision already attached to this response by corsSafety(), if any. */
export function responseCorsState(res: ServerResponse): ResponseCorsState | undefined {
  return (res as GuardedResponse)[kState];
}

function isAccessControl(name: string): boolean {
  return name.length > ACCESS_CONTROL_PREFIX.length && name.slice(0, ACCESS_CONTROL_PREFIX.length).toLowerCase() === ACCESS_CONTROL_PREFIX;
}

/** Removes every `Access-Control-*` header set so far. */
export function removeAccessControlHeaders(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) if (isAccessControl(name)) res.removeHeader(name);
}

/**
 * Sets the headers of a decision on an actual response. cors-safety owns every
 * `Access-Control-*` header of the responses it guards: whatever a handler, an error's
 * `headers` or a framework set is removed, then the grant of an allowed origin is set (exactly
 * one `Access-Control-Allow-Origin` value, Fetch §3.2.3), and nothing for any other origin.
 * `Vary: Origin` is appended whenever the answer depends on the origin (Fetch §3.2.4 "CORS
 * protocol and HTTP caches"). Does nothing once the head is sent.
 *
 * @example
 * ```ts
 * applyCorsHeaders(res, compiled, verdict); // then res.end()
 * ```
 */
export function applyCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: OriginVerdict): void {
  if (res.headersSent) return;
  removeAccessControlHeaders(res);
  res.removeHeader(REASON_HEADER);
  if (policy.mode === 'public') {
    // A public resource: the same answer for everyone, so no Vary: Origin.
    res.setHeader(ALLOW_ORIGIN, '*');
    if (policy.exposedHeadersHeader !== undefined) res.setHeader(EXPOSE_HEADERS, policy.exposedHeadersHeader);
    return;
  }
  if (verdict.allowed) {
    res.setHeader(ALLOW_ORIGIN, verdict.origin);
    if (policy.credentials) res.setHeader(ALLOW_CREDENTIALS, 'true');
    if (policy.exposedHeadersHeader !== undefined) res.setHeader(EXPOSE_HEADERS, policy.exposedHeadersHeader);
  } else if (policy.exposeReason && verdict.reason !== 'origin-missing') {
    res.setHeader(REASON_HEADER, verdict.reason);
  }
  if (policy.mode !== 'disabled') appendVary(res, ['Origin']);
}

/**
 * Copies a writeHead() header argument without `Access-Control-*` entries; `Vary` is merged
 * into the response instead of replacing it. An odd-length flat array keeps its last item so
 * Node refuses it exactly as it would without cors-safety.
 */
function sanitizeHeadArgument(res: ServerResponse, headers: OutgoingHttpHeaders | readonly unknown[]): OutgoingHttpHeaders | unknown[] {
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
    if (name.toLowerCase() === 'vary' && value !== undefined) appendVary(res, Array.isArray(value) ? value : [String(value)]);
    else kept[name] = value;
  }
  return kept;
}

/**
 * Attaches a decision to the response, applies it now, and wraps `res.writeHead` (once per
 * response) so the latest decision is applied again when the head goes out. Node's implicit
 * header writing (`res.end()` without `writeHead`) also calls `writeHead`, so every path is
 * covered.
 */
export function protectCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: OriginVerdict): void {
  const guarded = res as GuardedResponse;
  const alreadyWrapped = guarded[kState] !== undefined;
  guarded[kState] = { policy, verdict };
  applyCorsHeaders(res, policy, verdict);
  if (alreadyWrapped) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the response as `this`
  const originalWriteHead = res.writeHead;
  const corsSafetyWriteHead = function corsSafetyWriteHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    // After the head is out Node throws ERR_HTTP_HEADERS_SENT below, exactly as without us.
    if (!this.headersSent) {
      // writeHead(status, headers) or writeHead(status, statusMessage, headers).
      const at = typeof args[1] === 'string' ? 2 : 1;
      const headers = args[at];
      if (headers !== null && typeof headers === 'object') args[at] = sanitizeHeadArgument(this, headers as OutgoingHttpHeaders);
      // Read at call time: corsErrorHandler() may have attached a newer decision since.
      const state = (this as GuardedResponse)[kState] as ResponseCorsState;
      applyCorsHeaders(this, state.policy, state.verdict);
    }
    return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  };
  res.writeHead = corsSafetyWriteHead;
}
