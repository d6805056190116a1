/**
 * The decision written on a Web-standard `Response`: the preflight answer, and the headers of an
 * actual response (the pure plans of src/headers/, as the Node middleware writes them). Per
 * request, only what the answer needs: one pass over the handler's header names, a `Vary` merge
 * only when the handler set its own `Vary`, and a copy of the response only when its headers are
 * immutable. No Node imports.
 */
import { describeError, logError } from '../shared/log.js';
import type { CompiledPolicy } from '../policy/policy.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { planActualHeaders } from '../headers/actual-headers.js';
import { preflightVary, type HeaderPairs, type PreflightAnswer } from '../headers/preflight.js';
import { preflightHeaders } from './preflight-headers.js';
import { REASON_HEADER, warnDuplicateCors } from '../headers/actual-headers.js';
import { mergeVary } from '../headers/vary.js';

const ORIGIN_FIELD: readonly string[] = Object.freeze(['Origin']);
const ACCESS_CONTROL_PREFIX = 'access-control-';
const ALLOW_ORIGIN = 'access-control-allow-origin';
/** Headers iterate with lower-case names (Fetch §5.2, "sort and combine"). */
const REASON_NAME = REASON_HEADER.toLowerCase();

/**
 * The answer to a refused or (without `preflightContinue`) granted preflight: the plan's status and
 * headers, `Vary` on the preflight's request headers, the reason when the policy exposes it.
 */
export function preflightResponse(policy: CompiledPolicy, answer: PreflightAnswer): Response {
  return new Response(null, { status: answer.status, headers: preflightHeaders(policy, answer) });
}

/** Appends `Origin` to `Vary` (RFC 9110 §12.5.5); the merge runs only when the handler set a `Vary` of its own. */
function appendVaryOrigin(headers: Headers): void {
  const current = headers.get('vary');
  if (current === null) headers.set('Vary', 'Origin');
  else if (current !== 'Origin') {
    const merged = mergeVary(current, ORIGIN_FIELD);
    if (merged !== current) headers.set('Vary', merged);
  }
}

/**
 * Writes the decision on `headers`: every `Access-Control-*` header the handler set is removed
 * first (one pass over the names), then the policy's. Throws a TypeError when the headers are
 * immutable (Fetch §5.2: `delete` and `set` validate the guard before anything changes).
 */
export function writeDecision(
  headers: Headers,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  preflight: HeaderPairs | undefined,
): void {
  let found: string[] | undefined;
  let reasonSet = false;
  for (const name of headers.keys()) {
    if (name.startsWith(ACCESS_CONTROL_PREFIX)) (found ??= []).push(name);
    else if (name === REASON_NAME) reasonSet = true;
  }
  let handlerGranted = false;
  if (found !== undefined)
    for (const name of found) {
      if (name === ALLOW_ORIGIN) handlerGranted = true;
      headers.delete(name);
    }
  if (preflight !== undefined) {
    // preflightContinue: the handler answered a successful preflight; the grant is the policy's.
    for (const [name, value] of preflight) headers.set(name, value);
    headers.set('Vary', mergeVary(headers.get('vary') ?? undefined, preflightVary(policy)));
  } else {
    const plan = planActualHeaders(policy, verdict);
    // No Access-Control-* header is left (removed above): append() is set() without the search.
    if (plan.allowOrigin !== undefined) headers.append('Access-Control-Allow-Origin', plan.allowOrigin);
    if (plan.credentials) headers.append('Access-Control-Allow-Credentials', 'true');
    if (plan.exposeHeaders !== undefined) headers.append('Access-Control-Expose-Headers', plan.exposeHeaders);
    if (plan.reason !== undefined) headers.set(REASON_HEADER, plan.reason);
    else if (reasonSet) headers.delete(REASON_HEADER);
    if (plan.varyOrigin) appendVaryOrigin(headers);
  }
  if (handlerGranted) warnDuplicateCors();
}

/** Status codes `new Response()` accepts (Fetch §6.4 "Response class": 200-599). */
function constructible(status: number): boolean {
  return status >= 200 && status <= 599;
}

const ERROR_BODY = JSON.stringify({ error: { status: 500, message: 'Internal Server Error' } });

/**
 * The safe answer to a thrown error: 500 with a generic body (no message, no stack), no body for HEAD.
 *
 * @example
 * ```ts
 * errorResponse(request).status; // 500
 * ```
 */
export function errorResponse(request: Request): Response {
  return new Response(request.method === 'HEAD' ? null : ERROR_BODY, {
    status: 500,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/** The safe 500 (see errorResponse()) with the request's decision written on it. */
function safeErrorWithDecision(request: Request, policy: CompiledPolicy, verdict: RequestVerdict): Response {
  const safe = errorResponse(request);
  writeDecision(safe.headers, policy, verdict, undefined);
  return safe;
}

/**
 * A response whose headers could not be written (immutable): a copy with the decision (same body
 * stream, status and headers), or, when it has no copy (status 0 of `Response.error()`, 101) and
 * carries no `Access-Control-*` header, the response as it is. Anything else fails closed: the safe 500.
 */
function copiedWithDecision(
  response: Response,
  request: Request,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  preflight: HeaderPairs | undefined,
): Response {
  try {
    if (constructible(response.status)) {
      const copy = new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      writeDecision(copy.headers, policy, verdict, preflight);
      return copy;
    }
    let accessControl = false;
    for (const name of response.headers.keys()) if (name.startsWith(ACCESS_CONTROL_PREFIX)) accessControl = true;
    if (!accessControl) return response;
  } catch (err) {
    logError('withCorsSafety(): could not write the CORS headers on the response: %s', describeError(err));
  }
  return safeErrorWithDecision(request, policy, verdict);
}

/**
 * The handler's response with the decision written on it. A response the handler built has
 * mutable headers: they are written in place, nothing copied. Headers of `Response.redirect()`,
 * `Response.error()` and `fetch()` results are immutable: the write throws before changing
 * anything, and the response is copied first (see copiedWithDecision). A response whose body was
 * already read cannot be sent: the safe 500 instead.
 *
 * @example
 * ```ts
 * return withDecision(await handler(request), request, compiled, verdict, undefined);
 * ```
 */
export function withDecision(
  response: Response,
  request: Request,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  preflight: HeaderPairs | undefined,
): Response {
  if (response.bodyUsed) {
    logError('withCorsSafety(): the handler returned a Response whose body was already read; answered 500');
    return safeErrorWithDecision(request, policy, verdict);
  }
  try {
    writeDecision(response.headers, policy, verdict, preflight);
    return response;
  } catch {
    // Immutable headers (TypeError from the first delete or set): go on with a copy.
  }
  return copiedWithDecision(response, request, policy, verdict, preflight);
}
