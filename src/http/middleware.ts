/**
 * corsSafety(): CORS middleware for Express 4, Express 5, Connect and node:http. Answers
 * preflights itself and keeps the CORS grant on every response to an allowed origin, error
 * responses included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorsConfigError } from '../policy/errors.js';
import { observeRequest } from '../events/decision-event.js';
import type { Middleware, NextFunction } from './http-types.js';
import { escapeControlCharacters } from '../shared/escape.js';
import { describeError, logMiddleware, logOrigin, logPreflight, quoteForLog, warnOnce } from '../shared/log.js';
import { watchMountOrder } from '../express/mount-order.js';
import type { CorsSafetyOptions } from '../policy/options.js';
import { logVerdict } from '../policy/origin-check.js';
import { createCorsPolicy, policyCell, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import { canWriteHead, headerNamesOf, headerOf, setHeaderOn } from './response-access.js';
import {
  ALLOW_PRIVATE_NETWORK,
  DENIED_PREFLIGHT_STATUS,
  answerPreflight,
  preflightVary,
  preflightVaryText,
} from '../headers/preflight.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { claimRequest, decideRequest, type RequestDecision } from '../headers/request-verdict.js';
import { protectCorsHeaders } from './response-guard.js';
import { reasonHeaderValue, removeAccessControlHeaders } from './response-headers.js';
import { REASON_HEADER } from '../headers/actual-headers.js';
import { registerInstancePolicy, warnIfShadowed } from './shadowed-policy.js';
import { appendVary } from './response-vary.js';
import { installNodePlatform } from '../node/platform.js';

installNodePlatform();

/**
 * The middleware returned by {@link corsSafety}, with the policy it enforces.
 *
 * @example
 * ```ts
 * const cors: CorsSafetyMiddleware = corsSafety({ origin: 'https://app.example.com' });
 * app.use(cors);
 * app.use(corsErrorHandler(cors.policy));
 * ```
 */
export interface CorsSafetyMiddleware extends Middleware {
  /** The compiled policy, to share with `corsErrorHandler()` and `upgradeGuard()`. */
  readonly policy: CorsPolicy;
}

/** Fetch §3.2.2: a CORS-preflight request is an OPTIONS request with `Origin` and `Access-Control-Request-Method`. */
function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}

/**
 * Answers a preflight, or with `preflightContinue` hands a successful one on to the
 * application (returns true). A failed preflight is always answered here: it never reaches
 * authentication, rate limiting or the application's own OPTIONS routes.
 */
function respondToPreflight(
  req: IncomingMessage,
  res: ServerResponse,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
): boolean {
  // Node joins repeated request headers with ", ", so these are single strings; a repeated
  // Access-Control-Request-Method is then not a token and fails as method-malformed.
  const method = String(req.headers['access-control-request-method']);
  const requested = req.headers['access-control-request-headers'];
  // WICG Private Network Access §3.1: the request header's only meaningful value is "true".
  const privateNetwork = req.headers['access-control-request-private-network'] === 'true';
  const answer = answerPreflight(
    policy,
    verdict,
    method,
    requested === undefined ? undefined : String(requested),
    privateNetwork,
  );
  observeRequest(policy, req, verdict, answer);
  if (logPreflight.enabled)
    logPreflight(
      '%s %s: %s',
      escapeControlCharacters(String(req.method)),
      answer.ok ? 'granted' : 'refused',
      answer.reason ?? 'ok',
    );
  const reason = answer.reason !== undefined && policy.exposeReason ? answer.reason : undefined;
  // A response object that cannot end itself (a partial one from a framework) is left to the
  // application, with the headers set: the request goes on rather than hang or throw.
  const answeredHere = !(answer.ok && policy.preflightContinue) && canWriteHead(res);
  if (answeredHere && headerNamesOf(res).length === 0) {
    // Nothing set before us (plain node:http): the whole head in one writeHead() call, which
    // spares Node a setHeader() round per header.
    const head: string[] = [];
    for (const [name, value] of answer.headers) head.push(name, value);
    head.push('Vary', preflightVaryText(policy), 'Content-Length', '0');
    if (reason !== undefined) head.push(REASON_HEADER, reasonHeaderValue(policy, reason));
    res.writeHead(answer.status, head);
    res.end();
    return false;
  }
  // The answer is ours alone: nothing an earlier middleware set is reflected or granted. A
  // Private Network grant set earlier survives only when the policy allows it for this origin.
  const earlierPrivateNetwork = headerOf(res, ALLOW_PRIVATE_NETWORK);
  removeAccessControlHeaders(res);
  if (earlierPrivateNetwork !== undefined) {
    if (policy.allowPrivateNetwork && answer.status !== DENIED_PREFLIGHT_STATUS)
      setHeaderOn(res, ALLOW_PRIVATE_NETWORK, headerText(earlierPrivateNetwork));
    else
      logPreflight(
        'removed %s set before corsSafety(): %s',
        ALLOW_PRIVATE_NETWORK,
        policy.allowPrivateNetwork ? 'the origin is denied' : 'set allowPrivateNetwork: true to grant it',
      );
  }
  for (const [name, value] of answer.headers) setHeaderOn(res, name, value);
  appendVary(res, preflightVary(policy));
  if (reason !== undefined) setHeaderOn(res, REASON_HEADER, reasonHeaderValue(policy, reason));
  if (!answeredHere) return true;
  res.statusCode = answer.status;
  setHeaderOn(res, 'Content-Length', '0');
  res.end();
  return false;
}

/** A header value as read back from a response (string, number or list) as one string. */
function headerText(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => String(item as string)).join(', ');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** Calls next() when it is a function; a middleware handed something else has no one to pass the request to. */
function callNext(next: unknown): void {
  if (typeof next === 'function') (next as NextFunction)();
  else logMiddleware('corsSafety() was called without a next function; nothing to pass the request to');
}

/**
 * What the middleware does when the request or response it was handed threw while read (only
 * objects that are not real requests or responses do): no CORS header is granted, the reason is
 * logged, and the request goes on.
 */
function failClosed(res: unknown, next: unknown, err: unknown): void {
  logMiddleware('request or response unusable, no CORS grant: %s', describeError(err));
  try {
    removeAccessControlHeaders(res as ServerResponse);
  } catch {
    // Not a response: there is nothing to remove from.
  }
  callNext(next);
}

/** Applies a settled verdict; true when the request goes on (the preflight was not answered here). */
function applyVerdict(
  req: IncomingMessage,
  res: ServerResponse,
  compiled: CompiledPolicy,
  verdict: RequestVerdict,
): boolean {
  if (logOrigin.enabled) logVerdict(verdict, req.headers.origin, `${String(req.method)} request`);
  // A response already sent (by middleware that answered and still called next()) has no
  // head left to set: nothing to do.
  if (res.headersSent) {
    observeRequest(compiled, req, verdict);
    return true;
  }
  if (isPreflight(req)) return respondToPreflight(req, res, compiled, verdict);
  protectCorsHeaders(res, compiled, verdict);
  observeRequest(compiled, req, verdict);
  return true;
}

const FACTORY_NOT_CALLED =
  'corsSafety was passed to app.use() without being called; write app.use(corsSafety()) or app.use(corsSafety(options))';

/**
 * Creates the CORS middleware. Mount it first, before body parsers, authentication and rate
 * limiting, so preflights are answered before they can be refused and every response to an
 * allowed origin, errors included, carries the CORS grant.
 *
 * Accepts options or a policy from `createCorsPolicy()`. Throws `CorsConfigError` at once for
 * invalid options.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { corsSafety, corsErrorHandler } from 'cors-safety';
 *
 * const app = express();
 * const cors = corsSafety({ origin: ['https://app.example.com'], credentials: true });
 * app.use(cors);
 * app.use(express.json());
 * // ... routes ...
 * app.use(corsErrorHandler(cors.policy));
 * ```
 */
export function corsSafety(options?: CorsSafetyOptions | CorsPolicy): CorsSafetyMiddleware;
export function corsSafety(...args: unknown[]): CorsSafetyMiddleware | undefined {
  const [options, maybeRes, maybeNext] = args;
  if (args.length >= 3 && typeof maybeNext === 'function' && typeof maybeRes === 'object' && maybeRes !== null) {
    // app.use(corsSafety): Express called the factory as if it were the middleware.
    warnOnce('CORS_SAFETY_FACTORY_NOT_CALLED', `cors-safety: ${FACTORY_NOT_CALLED}`);
    (maybeNext as NextFunction)(
      new CorsConfigError([{ path: '(usage)', code: 'factory-not-called', message: FACTORY_NOT_CALLED }]),
    );
    return undefined;
  }
  const policy = createCorsPolicy(options as CorsSafetyOptions | CorsPolicy | undefined);
  const cell = policyCell(policy);

  /** Applies the verdict, then calls next() outside the try: an exception of next() is the application's. */
  const finish = (
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
    decision: RequestDecision,
    verdict: RequestVerdict,
  ): void => {
    decision.verdict = verdict;
    let goOn: boolean;
    try {
      goOn = applyVerdict(req, res, decision.policy, verdict);
    } catch (err) {
      failClosed(res, next, err);
      return;
    }
    if (goOn) callNext(next);
  };

  const middleware = function corsSafetyMiddleware(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    let decision: RequestDecision | undefined;
    let verdict: RequestVerdict | Promise<RequestVerdict> | undefined;
    let compiled: CompiledPolicy | undefined;
    try {
      checkMountOrder(req);
      // One policy per request: the first corsSafety() that handles it decides; a later one (a
      // per-route policy mounted after it, or the same one mounted twice) passes it on untouched.
      // The snapshot read here (a live policy's version now) decides everything about the request.
      compiled = cell.current;
      decision = claimRequest(req, compiled);
      if (decision !== undefined) verdict = decideRequest(compiled, req);
    } catch (err) {
      failClosed(res, next, err);
      return;
    }
    if (decision === undefined || verdict === undefined) {
      if (decision === undefined && compiled !== undefined) warnIfShadowed(req, compiled);
      callNext(next);
      return;
    }
    if (!(verdict instanceof Promise)) {
      finish(req, res, next, decision, verdict);
      return;
    }
    // decideRequest never rejects; the catch only keeps a throwing `next` from becoming an
    // unhandled rejection.
    verdict
      .then((settled) => finish(req, res, next, decision, settled))
      .catch((err: unknown) =>
        logMiddleware('error thrown by next() after an async origin check: %s', quoteForLog(err, 200)),
      );
  } as CorsSafetyMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });
  const checkMountOrder = watchMountOrder(middleware);
  // A live policy's later versions are not registered: the warning then names no policy and stays quiet.
  registerInstancePolicy(cell.current, policy, middleware);
  return middleware;
}
