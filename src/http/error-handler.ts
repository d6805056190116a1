/**
 * corsErrorHandler(): the last Express error handler. It decides CORS from the request itself,
 * so errors raised before corsSafety() ran still reach an allowed origin readable, and renders
 * errors as JSON that never leaks internals.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { IssueCollector } from '../policy/errors.js';
import type { ErrorMiddleware, Middleware, NextFunction } from './http-types.js';
export type { ErrorLogEntry } from './error-log.js';
import { logError, quoteForLog } from '../policy/log.js';
import { callApplication, rethrowApplicationError, unwrapApplicationError } from '../policy/application-error.js';
import { describeForLog, errorLogWriter, type ErrorLogEntry } from './error-log.js';
import { closestName, isPlainObject, ownOptions } from '../policy/option-values.js';
import { unknownOptionMessage, type CorsSafetyOptions } from '../policy/options.js';
import { decideOrigin, logVerdict } from '../policy/origin-check.js';
import { collectPolicy, compiledPolicy, type CorsPolicy } from '../policy/policy.js';
import type { OriginVerdict } from '../policy/reasons.js';
import { protectCorsHeaders, responseCorsState } from './response-headers.js';

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

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
  headers?: unknown;
  stack?: unknown;
}

/**
 * Reads one property of whatever was thrown. Anything can be thrown, including objects with
 * throwing getters or Proxies whose traps throw: such a read counts as absent, so rendering
 * the error never throws a second one.
 */
function readProperty(err: unknown, key: keyof HttpErrorLike): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  try {
    return (err as HttpErrorLike)[key];
  } catch {
    return undefined;
  }
}

/** finalhandler's rule: `err.status`, then `err.statusCode`, only as an integer 400-599. */
export function errorStatus(err: unknown): number | undefined {
  for (const key of ['status', 'statusCode'] as const) {
    const candidate = readProperty(err, key);
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599)
      return candidate;
  }
  return undefined;
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/**
 * The client-facing message: a 4xx error's own message only when the error says it may be
 * shown (`expose: true`, as http-errors and body-parser set it); otherwise, and always for 5xx,
 * the generic status text.
 */
function publicMessage(err: unknown, status: number): string {
  if (status >= 500 || readProperty(err, 'expose') !== true) return statusText(status);
  const message = readProperty(err, 'message');
  if (typeof message !== 'string' || message === '') return statusText(status);
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

function renderBody(format: 'json' | 'problem+json', status: number, message: string): { type: string; body: string } {
  if (format === 'problem+json') {
    // RFC 9457 §3.1: "about:blank" with the status text as title; detail only when exposed.
    const problem: Record<string, unknown> = { type: 'about:blank', title: statusText(status), status };
    if (message !== statusText(status)) problem.detail = message;
    return { type: 'application/problem+json; charset=utf-8', body: JSON.stringify(problem) };
  }
  return { type: 'application/json; charset=utf-8', body: JSON.stringify({ error: { status, message } }) };
}

function requestPath(req: IncomingMessage): string {
  // Express keeps the full URL in originalUrl (req.url loses the mount path inside routers);
  // a server request always has req.url.
  const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
  const url = typeof original === 'string' ? original : (req.url as string);
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** What `res.setHeader()` accepts without calling user code later (a toString() at writeHead). */
function isHeaderValue(value: unknown): value is string | number | readonly string[] {
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  );
}

/**
 * Copies `err.headers` (Retry-After, WWW-Authenticate...) except any `Access-Control-*` (CORS
 * is the policy's) or framing header. Invalid names or values are skipped, never thrown.
 */
function setErrorHeaders(res: ServerResponse, headers: unknown): void {
  let entries: [string, unknown][];
  try {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return;
    entries = Object.entries(headers as Record<string, unknown>);
  } catch {
    logError('ignored err.headers: its entries cannot be read');
    return;
  }
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (
      lower.startsWith('access-control-') ||
      lower === 'content-length' ||
      lower === 'content-type' ||
      lower === 'transfer-encoding'
    )
      continue;
    try {
      if (!isHeaderValue(value)) throw new TypeError('not a string, number or list of strings');
      res.setHeader(name, value);
    } catch {
      logError('ignored invalid err.headers entry %s', quoteForLog(name, 40));
    }
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
 * - applies the policy's CORS headers for this request (allowed origins only, `Vary: Origin`),
 *   computed from the request itself, so errors from middleware mounted before `corsSafety()`
 *   are readable too; `Access-Control-*` from `err.headers` is ignored;
 * - answers with `err.status`/`err.statusCode` when it is an integer 400-599, else 500;
 * - renders `{"error":{"status":404,"message":"Not Found"}}` (or RFC 9457 problem+json); 4xx
 *   messages only with `expose: true`, 5xx always the generic status text; HEAD gets no body;
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
  const compiled = compiledPolicy(policy);

  const writeLog = errorLogWriter(log);

  const render = (
    err: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
    verdict: OriginVerdict,
  ): void => {
    if (res.headersSent) {
      callApplication(next, err);
      return;
    }
    const validStatus = errorStatus(err);
    const status = validStatus ?? 500;
    writeLog({ error: err, status, method: req.method as string, path: requestPath(req) });
    const { type, body } = renderBody(format, status, publicMessage(err, status));
    afterRequestBody(req, () => {
      try {
        writeResponse();
      } catch (thrown) {
        // Later, from an event: a throw here would be an uncaught exception. Only a response
        // that is not a real one gets here.
        logError('could not write the error response: %s', describeForLog(thrown));
      }
    });
    function writeResponse(): void {
      if (res.destroyed) return;
      // Someone else started the response meanwhile: only the next handler can end it now.
      if (res.headersSent) {
        next(err);
        return;
      }
      // Headers the failed response had started to set no longer describe this body.
      for (const name of [
        'content-encoding',
        'content-language',
        'content-range',
        'content-disposition',
        'etag',
        'last-modified',
      ])
        res.removeHeader(name);
      res.statusCode = status;
      // A status text set for the failed response would contradict the new status (HTTP/2 has none).
      if (req.httpVersionMajor < 2) res.statusMessage = statusText(status);
      if (validStatus !== undefined) setErrorHeaders(res, readProperty(err, 'headers'));
      res.setHeader('Content-Type', type);
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'no-store');
      protectCorsHeaders(res, compiled, verdict);
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  };

  const renderLater = (
    err: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
    decided: Promise<OriginVerdict>,
  ): void => {
    // decideOrigin() never rejects; the catch keeps a throwing `next` from becoming an
    // unhandled rejection.
    decided
      .then((verdict) => {
        logVerdict(verdict, req.headers.origin, 'error handler');
        render(err, req, res, next, verdict);
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
      // Reuse corsSafety()'s decision for this request when it used the same policy.
      const state = responseCorsState(res);
      const decided =
        state !== undefined && state.policy === compiled
          ? state.verdict
          : decideOrigin(compiled, req.headers.origin, req);
      if (!(decided instanceof Promise)) {
        if (state?.policy !== compiled) logVerdict(decided, req.headers.origin, 'error handler');
        render(err, req, res, next, decided);
        return;
      }
      renderLater(err, req, res, next, decided);
    } catch (thrown) {
      rethrowApplicationError(thrown);
      // The request or response threw when read: they are not real ones. Hand the error on.
      logError('request or response unusable, error passed on: %s', describeForLog(thrown));
      if (typeof next === 'function') next(err);
    }
  };
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
