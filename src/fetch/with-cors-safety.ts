/**
 * withCorsSafety(): the policy around a Web-standard handler, `(request: Request, ...rest) =>
 * Response | Promise<Response>` (Next.js route handlers and middleware, Hono's `fetch`, Bun,
 * Deno, Workers). It answers preflights itself, and every response the handler returns or throws
 * its way to carries exactly the headers the Node adapter writes. No Node imports.
 *
 * Per request: the policy snapshot, one `Origin` read, the decision (synchronous unless an origin
 * function answers later), the handler, and the headers written in place on its response. Nothing
 * that is not a promise is awaited, and a response is copied only when its headers are immutable.
 */
import { observeFetchRequest } from '../events/decision-event.js';
import { CorsConfigError } from '../policy/errors.js';
import { describeError, logError, logOrigin, logPreflight } from '../shared/log.js';
import { decideOrigin, logVerdict } from '../policy/origin-check.js';
import { createCorsPolicy, policyCell, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import type { CorsSafetyOptions } from '../policy/options.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { answerPreflight, type PreflightAnswer } from '../headers/preflight.js';
import { errorResponse, preflightResponse, withDecision } from './response-decision.js';

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

/**
 * True when `value` is the origin of the request URL (Fetch §3.1). `Request.url` is a serialized
 * URL, so an http(s) URL without userinfo starts with its origin followed by `/`: only a URL that
 * passes that test, or has an `@` anywhere, is parsed.
 */
function isOwnOrigin(value: string, url: string): boolean {
  if (!(url.startsWith(value) && url.charCodeAt(value.length) === 0x2f) && !url.includes('@')) return false;
  try {
    return new URL(url).origin === value;
  } catch {
    return false;
  }
}

/** A denied `Origin` equal to the request URL's own origin is `same-origin` (a browser sends `Origin` on its own POST). */
function settleVerdict(verdict: RequestVerdict, value: string | null, request: Request, log: boolean): RequestVerdict {
  let settled = verdict;
  if (!verdict.allowed && value !== null && verdict.reason !== 'origin-missing' && isOwnOrigin(value, request.url))
    settled =
      verdict.lookup === undefined
        ? { allowed: false, reason: 'same-origin', origin: value }
        : { allowed: false, reason: 'same-origin', origin: value, lookup: verdict.lookup };
  if (log && logOrigin.enabled) logVerdict(settled, value ?? undefined, `${request.method} request`);
  return settled;
}

/**
 * The verdict on the request's `Origin` under `policy`: synchronous unless an origin function or
 * `originLookup` answers later. Never throws, never rejects. A `reportOnly` candidate decides the
 * same request through it (`log` false: the candidate writes no origin log line).
 */
function decideFetchOrigin(
  policy: CompiledPolicy,
  request: Request,
  log: boolean,
): RequestVerdict | Promise<RequestVerdict> {
  const value = request.headers.get('origin');
  // No Origin (not a CORS request): decideOrigin() answers origin-missing at once.
  const decided = decideOrigin(policy, value ?? undefined, request as never);
  if (decided instanceof Promise) return decided.then((verdict) => settleVerdict(verdict, value, request, log));
  return settleVerdict(decided, value, request, log);
}

/** How a `reportOnly` candidate decides a request (src/events/ calls it; no log line). */
function decideCandidate(candidate: CompiledPolicy, request: Request): RequestVerdict | Promise<RequestVerdict> {
  return decideFetchOrigin(candidate, request, false);
}

/**
 * The preflight answer for this request under `policy`, or undefined when it is not a preflight
 * (Fetch §3.2.2: an OPTIONS request with `Origin` and `Access-Control-Request-Method`).
 */
function fetchPreflightAnswer(
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  request: Request,
): PreflightAnswer | undefined {
  // Without Origin (origin-missing) it is not a CORS request, whatever else it carries.
  if (request.method !== 'OPTIONS' || verdict.reason === 'origin-missing') return undefined;
  const headers = request.headers;
  const method = headers.get('access-control-request-method');
  if (method === null) return undefined;
  return answerPreflight(
    policy,
    verdict,
    method,
    headers.get('access-control-request-headers') ?? undefined,
    // WICG Private Network Access §3.1: the request header's only meaningful value is "true"; read
    // only when the policy can grant it.
    policy.allowPrivateNetwork && headers.get('access-control-request-private-network') === 'true',
  );
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

/** A thrown `Response` is the answer, Next.js's signals are rethrown, anything else is the safe 500. */
function fromThrown(err: unknown, request: Request): Response {
  if (err instanceof Response) return err;
  if (isFrameworkSignal(err)) throw err;
  logError('withCorsSafety(): the handler threw; answered 500: %s', describeError(err));
  return errorResponse(request);
}

/** A handler's promise (or any other value that is not a Response), settled. */
async function settleHandler(result: unknown, request: Request): Promise<Response> {
  try {
    const response: unknown = await result;
    if (response instanceof Response) return response;
    logError('withCorsSafety(): the handler returned %s instead of a Response; answered 500', typeof response);
  } catch (err) {
    return fromThrown(err, request);
  }
  return errorResponse(request);
}

/** The handler's answer: its Response as it is (awaited only when it returned something else), or see fromThrown(). */
function runHandler<Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
  request: Request,
  rest: Rest,
): Response | Promise<Response> {
  let result: unknown;
  try {
    result = handler(request, ...rest);
  } catch (err) {
    return fromThrown(err, request);
  }
  return result instanceof Response ? result : settleHandler(result, request);
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
    const decided = decideFetchOrigin(compiled, request, true);
    const verdict = decided instanceof Promise ? await decided : decided;
    const answer = fetchPreflightAnswer(compiled, verdict, request);
    // Reported when the decision is applied: before the handler runs, as corsSafety() reports before next().
    observeFetchRequest(compiled, request, verdict, answer, decideCandidate);
    if (answer !== undefined) {
      if (logPreflight.enabled) logPreflight('%s: %s', answer.ok ? 'granted' : 'refused', answer.reason ?? 'ok');
      // preflightContinue: a successful preflight goes on to the handler (its answer gets the grant).
      if (!(answer.ok && compiled.preflightContinue)) return preflightResponse(compiled, answer);
    }
    const returned = runHandler(handler, request, rest);
    const response = returned instanceof Promise ? await returned : returned;
    return withDecision(response, request, compiled, verdict, answer?.headers);
  } as CorsSafetyFetchHandler<Rest>;
  Object.defineProperty(wrapped, 'policy', { value: corsPolicy, enumerable: true });
  return wrapped;
}
