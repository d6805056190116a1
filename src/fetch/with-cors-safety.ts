/**
 * withCorsSafety(): the policy around a Web-standard handler, `(request: Request, ...rest) =>
 * Response | Promise<Response>` (Next.js route handlers and middleware, Hono's `fetch`, Bun,
 * Deno, Workers). It answers preflights itself, and every response the handler returns or throws
 * its way to carries exactly the headers the Node adapter writes. No Node imports.
 */
import { observeFetchRequest } from '../events/decision-event.js';
import { CorsConfigError } from '../policy/errors.js';
import { describeError, logError, logOrigin, logPreflight } from '../shared/log.js';
import { decideOrigin, logVerdict } from '../policy/origin-check.js';
import { createCorsPolicy, policyCell, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import type { CorsSafetyOptions } from '../policy/options.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { planActualHeaders, REASON_HEADER, warnDuplicateCors } from '../headers/actual-headers.js';
import { answerPreflight, preflightVary, preflightVaryText, type HeaderPairs } from '../headers/preflight.js';
import { mergeVary } from '../headers/vary.js';

/** A Web-standard request handler; `rest` is whatever the runtime passes after the request (context, env). */
export type FetchHandler<Rest extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: Rest
) => Response | Promise<Response>;

/** The handler returned by {@link withCorsSafety}, with the policy it enforces. */
export interface CorsSafetyFetchHandler<Rest extends unknown[] = unknown[]> {
  (request: Request, ...rest: Rest): Promise<Response>;
  /** The compiled policy, to share with other handlers and the Node adapters. */
  readonly policy: CorsPolicy;
}

const HANDLER_NOT_FUNCTION =
  'withCorsSafety(policy, handler) needs the handler as a function; write ' +
  'withCorsSafety(policy, (request) => new Response(...))';
const ORIGIN_FIELD: readonly string[] = Object.freeze(['Origin']);
const ACCESS_CONTROL_PREFIX = 'access-control-';

/** Fetch §3.2.2: a CORS-preflight request is an OPTIONS request with `Origin` and `Access-Control-Request-Method`. */
function isPreflight(request: Request): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.has('origin') &&
    request.headers.has('access-control-request-method')
  );
}

/**
 * The verdict on the request's `Origin`; a denied `Origin` equal to the request URL's own origin
 * becomes `same-origin` (a browser sends `Origin` on its own site's POST, Fetch §3.1). Never rejects.
 */
async function decideFetchRequest(policy: CompiledPolicy, request: Request): Promise<RequestVerdict> {
  const value = request.headers.get('origin') ?? undefined;
  let verdict: RequestVerdict = await decideOrigin(policy, value, request as never);
  if (!verdict.allowed && value !== undefined && verdict.reason !== 'origin-missing') {
    let own: string | undefined;
    try {
      own = new URL(request.url).origin;
    } catch {
      own = undefined;
    }
    if (value === own)
      verdict =
        verdict.lookup === undefined
          ? { allowed: false, reason: 'same-origin', origin: value }
          : { allowed: false, reason: 'same-origin', origin: value, lookup: verdict.lookup };
  }
  if (logOrigin.enabled) logVerdict(verdict, value, `${request.method} request`);
  return verdict;
}

/**
 * The answer to a preflight, built from the same pure plan as the Node middleware's; with
 * `preflightContinue`, a successful one's headers instead, for the handler's own answer.
 */
function preflightResponse(policy: CompiledPolicy, verdict: RequestVerdict, request: Request): Response | HeaderPairs {
  const requested = request.headers.get('access-control-request-headers');
  const answer = answerPreflight(
    policy,
    verdict,
    request.headers.get('access-control-request-method') ?? '',
    requested ?? undefined,
    // WICG Private Network Access §3.1: the request header's only meaningful value is "true".
    request.headers.get('access-control-request-private-network') === 'true',
  );
  if (logPreflight.enabled) logPreflight('%s: %s', answer.ok ? 'granted' : 'refused', answer.reason ?? 'ok');
  observeFetchRequest(policy, request, verdict, answer);
  // preflightContinue: a successful preflight goes on to the handler (its answer gets these headers).
  if (answer.ok && policy.preflightContinue) return answer.headers;
  const headers = new Headers(answer.headers as [string, string][]);
  headers.set('Vary', preflightVaryText(policy));
  if (answer.reason !== undefined && policy.exposeReason) headers.set(REASON_HEADER, answer.reason);
  return new Response(null, { status: answer.status, headers });
}

/** Removes every `Access-Control-*` header; true when the handler had set `Access-Control-Allow-Origin`. */
function removeAccessControl(headers: Headers): boolean {
  const names: string[] = [];
  // Headers iterate with lower-case names.
  for (const name of headers.keys()) if (name.startsWith(ACCESS_CONTROL_PREFIX)) names.push(name);
  for (const name of names) headers.delete(name);
  return names.includes('access-control-allow-origin');
}

/** Writes the decision on `headers` (throws a TypeError when they are immutable). */
function writeDecision(
  headers: Headers,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  preflight: HeaderPairs | undefined,
): void {
  const handlerGranted = removeAccessControl(headers);
  if (preflight !== undefined) {
    // preflightContinue: the handler answered a successful preflight; the grant is the policy's.
    for (const [name, value] of preflight) headers.set(name, value);
    headers.set('Vary', mergeVary(headers.get('vary') ?? undefined, preflightVary(policy)));
  } else {
    const plan = planActualHeaders(policy, verdict);
    if (plan.allowOrigin !== undefined) headers.set('Access-Control-Allow-Origin', plan.allowOrigin);
    if (plan.credentials) headers.set('Access-Control-Allow-Credentials', 'true');
    if (plan.exposeHeaders !== undefined) headers.set('Access-Control-Expose-Headers', plan.exposeHeaders);
    if (plan.reason !== undefined) headers.set(REASON_HEADER, plan.reason);
    else headers.delete(REASON_HEADER);
    if (plan.varyOrigin) headers.set('Vary', mergeVary(headers.get('vary') ?? undefined, ORIGIN_FIELD));
  }
  if (handlerGranted) warnDuplicateCors();
}

/** Status codes `new Response()` accepts (Fetch §6.4 "Response class": 200-599). */
function constructible(status: number): boolean {
  return status >= 200 && status <= 599;
}

/**
 * The handler's response with the decision written on it. Headers of `Response.redirect()`,
 * `Response.error()` and `fetch()` results are immutable: such a response is copied into a new
 * one (same body stream, status and headers) first. One that cannot be copied (status 0 or 101)
 * is passed on as it is only when it carries no `Access-Control-*` header; otherwise, fail closed,
 * it is replaced by the safe 500.
 */
function withDecision(
  response: Response,
  request: Request,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  preflight: HeaderPairs | undefined,
): Response {
  try {
    writeDecision(response.headers, policy, verdict, preflight);
    return response;
  } catch {
    // Immutable headers: go on below with a copy.
  }
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
  const safe = errorResponse(request);
  writeDecision(safe.headers, policy, verdict, undefined);
  return safe;
}

const ERROR_BODY = JSON.stringify({ error: { status: 500, message: 'Internal Server Error' } });

/** The safe answer to a thrown error: 500 with a generic body (no message, no stack), no body for HEAD. */
function errorResponse(request: Request): Response {
  return new Response(request.method === 'HEAD' ? null : ERROR_BODY, {
    status: 500,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/**
 * Next.js signals `redirect()`, `notFound()` and friends by throwing errors whose `digest` starts
 * with `NEXT_`; they are Next's control flow, not failures, and go back to Next untouched.
 */
function isFrameworkSignal(err: unknown): boolean {
  try {
    const digest = (err as { digest?: unknown } | null)?.digest;
    return typeof digest === 'string' && digest.startsWith('NEXT_');
  } catch {
    return false;
  }
}

/** The handler's answer: its response, a thrown `Response` as a response, any other throw as a safe 500. */
async function runHandler<Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
  request: Request,
  rest: Rest,
): Promise<Response> {
  try {
    const response: unknown = await handler(request, ...rest);
    if (response instanceof Response) return response;
    logError('withCorsSafety(): the handler returned %s instead of a Response; answered 500', typeof response);
  } catch (err) {
    if (err instanceof Response) return err;
    if (isFrameworkSignal(err)) throw err;
    logError('withCorsSafety(): the handler threw; answered 500: %s', describeError(err));
  }
  return errorResponse(request);
}

/**
 * Wraps a Web-standard handler in the policy. Preflights (Fetch §3.2.2) are answered here, before
 * the handler: 403 for a denied origin, the grant or the refusal of the method or headers
 * otherwise (the handler runs only with `preflightContinue`). Every other request runs the handler
 * and the policy's headers are written on its response, whatever it returned: the grant of an
 * allowed origin (one `Access-Control-Allow-Origin`, credentials, exposed headers), nothing for a
 * denied one, `Origin` appended to `Vary`, and `Cors-Safety-Reason` when `exposeReason` is on.
 * `Access-Control-*` headers the handler set are removed (with a warning: two CORS layers). A
 * thrown error becomes a 500 with a generic JSON body; a thrown `Response` is used as the answer;
 * Next.js's own `redirect()`/`notFound()` signals are rethrown to Next.
 *
 * An origin function gets the fetch `Request` as its second argument. The request URL's origin is
 * the server's own origin (`same-origin`, never a refusal).
 *
 * Throws `CorsConfigError` at once for invalid options. The returned handler never throws except
 * Next.js's signals, and never rejects otherwise.
 *
 * @example
 * ```ts
 * // app/api/items/route.ts (Next.js App Router)
 * import { createCorsPolicy, withCorsSafety } from 'cors-safety/fetch';
 *
 * const policy = createCorsPolicy({ origin: 'https://app.example.com', credentials: true });
 * export const GET = withCorsSafety(policy, async () => Response.json({ items: [] }));
 * export const OPTIONS = withCorsSafety(policy, () => new Response(null, { status: 204 }));
 * ```
 */
export function withCorsSafety<Rest extends unknown[] = unknown[]>(
  policy: CorsSafetyOptions | CorsPolicy,
  handler: FetchHandler<Rest>,
): CorsSafetyFetchHandler<Rest> {
  const corsPolicy = createCorsPolicy(policy);
  const cell = policyCell(corsPolicy);
  if (typeof handler !== 'function')
    throw new CorsConfigError([{ path: 'handler', code: 'handler-not-function', message: HANDLER_NOT_FUNCTION }]);
  const wrapped = async function corsSafetyFetchHandler(request: Request, ...rest: Rest): Promise<Response> {
    // One snapshot per request: a live policy changed meanwhile does not change this answer.
    const compiled = cell.current;
    const verdict = await decideFetchRequest(compiled, request);
    let preflight: HeaderPairs | undefined;
    if (isPreflight(request)) {
      const answer = preflightResponse(compiled, verdict, request);
      if (answer instanceof Response) return answer;
      preflight = answer;
    }
    // Reported before the handler runs, as corsSafety() reports before next(); a preflight was reported with its answer.
    if (preflight === undefined) observeFetchRequest(compiled, request, verdict);
    const response = await runHandler(handler, request, rest);
    return withDecision(response, request, compiled, verdict, preflight);
  } as CorsSafetyFetchHandler<Rest>;
  Object.defineProperty(wrapped, 'policy', { value: corsPolicy, enumerable: true });
  return wrapped;
}
