/**
 * corsErrorHandler(): the last Express error handler. It decides CORS from the request itself,
 * so errors raised before corsSafety() ran still reach an allowed origin readable, and renders
 * errors as JSON that never leaks internals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IssueCollector } from '../policy/errors.js';
import type { ErrorMiddleware, Middleware, NextFunction } from '../http/http-types.js';
import { logError } from '../shared/log.js';
import { callApplication, rethrowApplicationError, unwrapApplicationError } from '../policy/application-error.js';
import { describeForLog, errorLogWriter, type ErrorLogEntry } from './error-log.js';
import { isPlainObject, ownOptions } from '../policy/option-values.js';
import { closestName } from '../shared/did-you-mean.js';
import { unknownOptionMessage, type CorsSafetyOptions } from '../policy/options.js';
import { logVerdict } from '../policy/origin-check.js';
import { collectPolicy, policyCell, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import type { RequestVerdict } from '../policy/reasons.js';
import {
  errorStatus,
  publicMessage,
  readProperty,
  renderBody,
  REPLACED_HEADERS,
  setErrorHeaders,
  statusText,
} from './error-response.js';
import { decideRequest, requestDecision } from '../headers/request-verdict.js';
import { observeRequest } from '../events/decision-event.js';
import { protectCorsHeaders } from '../http/response-guard.js';
import { installNodePlatform } from '../node/platform.js';

installNodePlatform();

export type { ErrorLogEntry } from './error-log.js';

/**
 * Options of {@link corsErrorHandler}, its second argument. Unknown keys and invalid values
 * throw `CorsConfigError` at construction.
 *
 * @example
 * ```ts
 * app.use(corsErrorHandler(policy, { format: 'problem+json', log: (entry) => logger.error(entry) }));
 * ```
 */
export interface CorsErrorHandlerOptions {
  /** Body format: `'json'` (default) or `'problem+json'` (RFC 9457). */
  format?: 'json' | 'problem+json' | undefined;
  /**
   * Receives every rendered error instead of the default, or `false` to log nothing. Default:
   * every 5xx goes to stderr (status, method, path without the query, stack; control characters
   * escaped) and 4xx to the `cors-safety:error` debug namespace only. A throw or a rejected
   * promise from a `log` function is caught and ignored.
   */
  log?: ((entry: ErrorLogEntry) => unknown) | false | undefined;
}

const ERROR_HANDLER_OPTIONS = ['format', 'log'];

function requestPath(req: IncomingMessage): string {
  // Express keeps the full URL in originalUrl (req.url loses the mount path inside routers);
  // a server request always has req.url.
  const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
  const url = typeof original === 'string' ? original : (req.url as string);
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Headers the error response cannot do without; everything else goes if writing the head fails. */
const ESSENTIAL_HEADERS = new Set([
  'content-type',
  'content-length',
  'x-content-type-options',
  'cache-control',
  'vary',
]);

/**
 * Ends the response without letting a throw escape: a header the protocol refuses (a
 * connection-specific field on HTTP/2, RFC 9113 §8.2.2, set by the failed handler) fails the
 * head, so it is sent again with only the essential and CORS headers, and if that fails too the
 * response is destroyed.
 */
function endSafely(res: ServerResponse, body: string | undefined): void {
  try {
    res.end(body);
    return;
  } catch (thrown) {
    logError('writing the error response failed: %s', describeForLog(thrown));
  }
  try {
    if (res.headersSent) throw new Error('head already sent');
    for (const name of res.getHeaderNames())
      if (!ESSENTIAL_HEADERS.has(name) && !name.startsWith('access-control-')) res.removeHeader(name);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** Runs `done` once the request body is fully read or the request is gone (finalhandler does the same). */
function afterRequestBody(req: IncomingMessage, done: () => void): void {
  if (req.complete || req.readableEnded || req.destroyed) {
    done();
    return;
  }
  // The first of end, close or error runs `done`; the listeners go with it.
  const once = (): void => {
    req.off('end', once);
    req.off('close', once);
    req.off('error', once);
    done();
  };
  req.on('end', once);
  req.on('close', once);
  req.on('error', once);
  // Drain what the client is still sending, so it reads our answer instead of a reset.
  req.unpipe();
  req.resume();
}

/**
 * Creates the CORS-aware Express error handler. Mount it last. It:
 * - applies the CORS decision of the `corsSafety()` that handled the request (one policy per
 *   request), or, for errors from middleware mounted before any `corsSafety()`, decides from the
 *   request with its own policy (allowed origins only, `Vary: Origin`); `Access-Control-*` from
 *   `err.headers` is ignored;
 * - answers with `err.status`/`err.statusCode` when it is an integer 400-599, else 500; never
 *   copies representation, framing or connection-specific headers (RFC 9110 §7.6.1, §8) from
 *   `err.headers`, so it works on `node:http2`'s compatibility API too, and never throws;
 * - renders `{"error":{"status":404,"message":"Not Found"}}` (or RFC 9457 problem+json); 4xx
 *   messages only with `expose: true` and when they cannot quote the request (body-parser's
 *   `entity.parse.failed` and the like), 5xx always the generic status text; HEAD gets no body;
 * - logs every 5xx to stderr (status, method, path without the query, stack; control characters
 *   escaped), 4xx to the `cors-safety:error` debug namespace, or hands each to `log`; `log: false`
 *   logs nothing; delegates to `next(err)` if headers were already sent;
 * - answers only once the request body is drained, so a client still uploading reads the
 *   answer (a 413 from a body parser) instead of a reset.
 *
 * Express 4 does not route a rejected promise from an async handler to error handlers: wrap
 * async handlers there (`.catch(next)`); Express 5 routes them.
 *
 * @example
 * ```ts
 * const policy = createCorsPolicy({ origin: 'https://app.example.com' });
 * app.use(express.json());        // even mounted before corsSafety(), its 400/413 stay readable
 * app.use(corsSafety(policy));
 * app.get('/api/me', handler);
 * app.use(notFound());
 * app.use(corsErrorHandler(policy));
 * ```
 */
export function corsErrorHandler(
  policyOrOptions?: CorsSafetyOptions | CorsPolicy,
  handlerOptions?: CorsErrorHandlerOptions,
): ErrorMiddleware {
  const { policy, format, log } = readOptions(policyOrOptions, handlerOptions);
  const cell = policyCell(policy);

  const writeLog = errorLogWriter(log);

  const render = (
    err: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
    policy: CompiledPolicy,
    verdict: RequestVerdict,
  ): void => {
    if (res.headersSent) {
      callApplication(next, err);
      return;
    }
    const validStatus = errorStatus(err);
    const status = validStatus ?? 500;
    writeLog({ error: err, status, method: req.method as string, path: requestPath(req) });
    const { type, body } = renderBody(format, status, publicMessage(err, status));
    const answer: ErrorAnswer = { err, status, validStatus, type, body };
    afterRequestBody(req, () => {
      writeErrorResponse(answer, req, res, next, policy, verdict);
    });
  };

  const renderLater = (
    err: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
    policy: CompiledPolicy,
    decided: Promise<RequestVerdict>,
  ): void => {
    // decideRequest() never rejects; the catch keeps a throwing `next` from becoming an
    // unhandled rejection.
    decided
      .then((verdict) => {
        logVerdict(verdict, req.headers.origin, 'error handler');
        observeRequest(policy, req, verdict);
        render(err, req, res, next, policy, verdict);
      })
      .catch((thrown: unknown) =>
        logError('error thrown after an async origin check: %s', describeForLog(unwrapApplicationError(thrown))),
      );
  };

  return function corsErrorHandlerMiddleware(
    err: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    try {
      if (res.headersSent) {
        callApplication(next, err);
        return;
      }
      // The first corsSafety() that handled the request decided it: its policy answers the error
      // too. Without one (an error raised before any corsSafety() ran), this handler's policy
      // decides, as it is now (a live policy's current version).
      const decision = requestDecision(req);
      const policy = decision?.policy ?? cell.current;
      if (decision?.verdict !== undefined) {
        render(err, req, res, next, policy, decision.verdict);
        return;
      }
      const decided = decideRequest(policy, req);
      if (!(decided instanceof Promise)) {
        logVerdict(decided, req.headers.origin, 'error handler');
        observeRequest(policy, req, decided);
        render(err, req, res, next, policy, decided);
        return;
      }
      renderLater(err, req, res, next, policy, decided);
    } catch (thrown) {
      rethrowApplicationError(thrown);
      // The request or response threw when read: they are not real ones. Hand the error on.
      logError('request or response unusable, error passed on: %s', describeForLog(thrown));
      if (typeof next === 'function') next(err);
    }
  };
}

/** The answer to one error, rendered before the request body is drained. */
interface ErrorAnswer {
  readonly err: unknown;
  readonly status: number;
  /** The error's own status when it is a valid one (400-599): only then do `err.headers` apply. */
  readonly validStatus: number | undefined;
  readonly type: string;
  readonly body: string;
}

/** Writes the rendered error once the request body is drained (from an event, so it never throws). */
function writeErrorResponse(
  answer: ErrorAnswer,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
): void {
  try {
    writeRenderedError(answer, req, res, next, policy, verdict);
  } catch (thrown) {
    // Later, from an event: a throw here would be an uncaught exception. Only a response
    // that is not a real one gets here.
    logError('could not write the error response: %s', describeForLog(thrown));
  }
}

/**
 * Writes the rendered error, unless the response was destroyed or started meanwhile (then only
 * the next handler can end it). The CORS headers are re-applied at `writeHead` under the
 * request's one decision.
 */
function writeRenderedError(
  answer: ErrorAnswer,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
  policy: CompiledPolicy,
  verdict: RequestVerdict,
): void {
  const { err, status, type, body } = answer;
  if (res.destroyed) return;
  // Someone else started the response meanwhile: only the next handler can end it now.
  if (res.headersSent) {
    next(err);
    return;
  }
  // Headers the failed response had started to set no longer describe this body or connection.
  for (const name of res.getHeaderNames()) if (REPLACED_HEADERS.has(name)) res.removeHeader(name);
  res.statusCode = status;
  // A status text set for the failed response would contradict the new status (HTTP/2 has none).
  if (req.httpVersionMajor < 2) res.statusMessage = statusText(status);
  if (answer.validStatus !== undefined) setErrorHeaders(res, readProperty(err, 'headers'));
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  protectCorsHeaders(res, policy, verdict);
  endSafely(res, req.method === 'HEAD' ? undefined : body);
}

/**
 * Builds the policy and validates the handler's own options; throws one CorsConfigError that
 * lists the problems of both.
 */
function readOptions(
  policyOrOptions: CorsSafetyOptions | CorsPolicy | undefined,
  options: CorsErrorHandlerOptions | undefined,
): { policy: CorsPolicy; format: 'json' | 'problem+json'; log: CorsErrorHandlerOptions['log'] } {
  const issues = new IssueCollector();
  // corsErrorHandler({ format }) instead of corsErrorHandler(policy, { format }).
  const policy = collectPolicy(policyOrOptions, issues, {
    names: ERROR_HANDLER_OPTIONS,
    code: 'unknown-option',
    message: (key) =>
      `is an option of corsErrorHandler() itself; pass it as the second argument: corsErrorHandler(policy, { ${key} })`,
  });
  let given = ownOptions(undefined);
  if (isPlainObject(options)) given = ownOptions(options);
  else if (options !== undefined)
    issues.add(
      'errorHandler',
      'options-type',
      'the second argument must be a plain object such as { format: "problem+json" }',
    );
  for (const key of Object.keys(given)) {
    if (ERROR_HANDLER_OPTIONS.includes(key)) continue;
    const close = closestName(key, ERROR_HANDLER_OPTIONS);
    issues.add(
      `errorHandler.${key}`,
      'unknown-option',
      unknownOptionMessage('corsErrorHandler()', close, ERROR_HANDLER_OPTIONS),
    );
  }
  const format = given.format ?? 'json';
  if (format !== 'json' && format !== 'problem+json')
    issues.add('errorHandler.format', 'format-invalid', 'must be "json" or "problem+json"');
  const log = given.log;
  if (log !== undefined && log !== false && typeof log !== 'function')
    issues.add(
      'errorHandler.log',
      'log-not-function',
      'must be a function (entry) => void, e.g. (e) => logger.error(e), or false to log nothing',
    );
  issues.throwIfAny();
  return {
    policy: policy as CorsPolicy,
    format: format as 'json' | 'problem+json',
    log: log as CorsErrorHandlerOptions['log'],
  };
}

/**
 * A catch-all that turns unmatched routes into the error handler's JSON 404. Mount it after
 * your routes and before {@link corsErrorHandler}.
 *
 * @example
 * ```ts
 * app.use(notFound());
 * app.use(corsErrorHandler(policy));
 * ```
 */
export function notFound(): Middleware {
  return function notFoundMiddleware(_req: IncomingMessage, _res: ServerResponse, next: NextFunction): void {
    if (typeof next !== 'function') {
      logError('notFound() was called without a next function; nothing to pass the 404 to');
      return;
    }
    next(Object.assign(new Error('Not Found'), { status: 404, expose: true }));
  };
}
