/**
 * corsSafety(): CORS middleware for Express 4, Express 5, Connect and node:http. Answers
 * preflights itself and keeps the CORS grant on every response to an allowed origin, error
 * responses included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorsConfigError } from './errors.js';
import type { Middleware, NextFunction } from './http-types.js';
import { logMiddleware, logPreflight, warnOnce } from './log.js';
import { findMiddlewareMountedBefore } from './mount-order.js';
import type { CorsSafetyOptions } from './options.js';
import { decideOrigin, logVerdict } from './origin-check.js';
import { compiledPolicy, createCorsPolicy, type CompiledPolicy, type CorsPolicy } from './policy.js';
import { answerPreflight, preflightVary } from './preflight.js';
import type { OriginVerdict } from './reasons.js';
import { REASON_HEADER, protectCorsHeaders } from './response-headers.js';
import { appendVary } from './vary.js';

/** The middleware returned by {@link corsSafety}, with the policy it enforces. */
export interface CorsSafetyMiddleware extends Middleware {
  /** The compiled policy, to share with `corsErrorHandler()` and `upgradeGuard()`. */
  readonly policy: CorsPolicy;
}

/** Fetch §3.2.2: a CORS-preflight request is an OPTIONS request with `Origin` and `Access-Control-Request-Method`. */
function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Answers a preflight; returns true when `preflightContinue` hands it on to the application. */
function respondToPreflight(req: IncomingMessage, res: ServerResponse, policy: CompiledPolicy, verdict: OriginVerdict): boolean {
  const method = headerText(req.headers['access-control-request-method']) ?? '';
  const answer = answerPreflight(policy, verdict, method, headerText(req.headers['access-control-request-headers']));
  logPreflight('%s %s: %s', req.method, answer.ok ? 'granted' : 'refused', answer.reason ?? 'ok');
  for (const [name, value] of answer.headers) res.setHeader(name, value);
  appendVary(res, preflightVary(policy));
  if (answer.reason !== undefined && policy.exposeReason) res.setHeader(REASON_HEADER, answer.reason);
  // preflightContinue: the application answers; only the headers of the outcome are set.
  if (policy.preflightContinue) return true;
  res.statusCode = answer.status;
  res.setHeader('Content-Length', '0');
  res.end();
  return false;
}

function misuseError(): CorsConfigError {
  return new CorsConfigError([
    {
      path: '(usage)',
      code: 'factory-not-called',
      message: 'corsSafety was passed to app.use() without being called; write app.use(corsSafety()) or app.use(corsSafety(options))',
    },
  ]);
}

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
    const err = misuseError();
    warnOnce('CORS_SAFETY_FACTORY_NOT_CALLED', err.issues[0]?.message ?? err.message);
    (maybeNext as NextFunction)(err);
    return undefined;
  }
  const policy = createCorsPolicy(options as CorsSafetyOptions | CorsPolicy | undefined);
  const compiled = compiledPolicy(policy);
  let mountChecked = false;

  /** Applies a settled verdict; returns true when the request goes on to the next handler. */
  const applyVerdict = (req: IncomingMessage, res: ServerResponse, verdict: OriginVerdict): boolean => {
    logVerdict(verdict, req.headers.origin, `${req.method ?? '?'} request`);
    if (isPreflight(req)) return respondToPreflight(req, res, compiled, verdict);
    protectCorsHeaders(res, compiled, verdict);
    return true;
  };

  const finish = (req: IncomingMessage, res: ServerResponse, next: NextFunction, verdict: OriginVerdict): void => {
    let forward: boolean;
    try {
      forward = applyVerdict(req, res, verdict);
    } catch (err) {
      // Not expected; if it happens the request still gets an answer, without a CORS grant.
      logMiddleware('unexpected error while applying CORS headers: %s', err instanceof Error ? err.message : String(err));
      next(err);
      return;
    }
    if (forward) next();
  };

  const middleware = function corsSafetyMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    if (!mountChecked) {
      mountChecked = true;
      const before = findMiddlewareMountedBefore(req, middleware);
      if (before.length > 0) {
        warnOnce(
          'CORS_SAFETY_MOUNT_ORDER',
          `cors-safety: corsSafety() is mounted after ${before.join(', ')}; responses they end (401, 400, 413, 429...) carry no CORS headers and the browser hides them. Mount corsSafety() first.`,
        );
      }
    }
    const verdict = decideOrigin(compiled, req.headers.origin, req);
    if (!(verdict instanceof Promise)) {
      finish(req, res, next, verdict);
      return;
    }
    // decideOrigin never rejects; the catch only keeps a throwing `next` from becoming an
    // unhandled rejection.
    verdict
      .then((settled) => finish(req, res, next, settled))
      .catch((err: unknown) => logMiddleware('error thrown by next() after an async origin check: %s', err instanceof Error ? err.message : String(err)));
  } as CorsSafetyMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });
  return middleware;
}
