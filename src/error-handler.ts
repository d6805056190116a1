/**
 * corsErrorHandler(): the last Express error handler. It decides CORS from the request itself,
 * so errors raised before corsSafety() ran still reach an allowed origin readable, and renders
 * errors as JSON that never leaks internals.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { IssueCollector } from './errors.js';
import type { ErrorMiddleware, Middleware, NextFunction } from './http-types.js';
import { logError, quoteForLog } from './log.js';
import type { CorsSafetyOptions } from './options.js';
import { decideOrigin, logVerdict } from './origin-check.js';
import { compiledPolicy, createCorsPolicy, type CorsPolicy } from './policy.js';
import type { OriginVerdict } from './reasons.js';
import { protectCorsHeaders, responseCorsState } from './response-headers.js';

/** What the `log` option receives for every error the handler renders. */
export interface ErrorLogEntry {
  /** The error as thrown or passed to `next(err)`: message, stack and all. Server side only. */
  readonly error: unknown;
  readonly status: number;
  readonly method: string;
  /** Request path without the query string (queries often carry tokens). */
  readonly path: string;
}

/** Options of {@link corsErrorHandler}. */
export interface CorsErrorHandlerOptions {
  /** Body format: `'json'` (default) or `'problem+json'` (RFC 9457). */
  format?: 'json' | 'problem+json' | undefined;
  /** Receives every rendered error; default: the `cors-safety:error` debug namespace. */
  log?: ((entry: ErrorLogEntry) => void) | undefined;
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

function asErrorLike(err: unknown): HttpErrorLike {
  return typeof err === 'object' && err !== null ? (err) : {};
}

/** finalhandler's rule: `err.status`, then `err.statusCode`, only as an integer 400-599. */
export function errorStatus(err: unknown): number | undefined {
  const e = asErrorLike(err);
  for (const candidate of [e.status, e.statusCode]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599) return candidate;
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
  const e = asErrorLike(err);
  if (status < 500 && e.expose === true && typeof e.message === 'string' && e.message !== '') {
    return e.message.length > 300 ? `${e.message.slice(0, 300)}...` : e.message;
  }
  return statusText(status);
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
  const url = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl ?? req.url ?? '';
  const text = typeof url === 'string' ? url : '';
  const query = text.indexOf('?');
  return query < 0 ? text : text.slice(0, query);
}

/** Copies `err.headers` except any `Access-Control-*` (CORS is ours) or framing header. */
function setErrorHeaders(res: ServerResponse, headers: unknown): void {
  if (typeof headers !== 'object' || headers === null) return;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('access-control-') || lower === 'content-length' || lower === 'content-type' || lower === 'transfer-encoding') continue;
    try {
      res.setHeader(name, value as string | number | readonly string[]);
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
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
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
 * - logs the full error server-side; delegates to `next(err)` if headers were already sent.
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
export function corsErrorHandler(policyOrOptions?: CorsSafetyOptions | CorsPolicy, handlerOptions?: CorsErrorHandlerOptions): ErrorMiddleware {
  const policy = createCorsPolicy(policyOrOptions);
  const compiled = compiledPolicy(policy);
  const { format, log } = validateHandlerOptions(handlerOptions);

  const render = (err: unknown, req: IncomingMessage, res: ServerResponse, next: NextFunction, verdict: OriginVerdict): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const validStatus = errorStatus(err);
    const status = validStatus ?? 500;
    const entry: ErrorLogEntry = { error: err, status, method: req.method ?? '', path: requestPath(req) };
    try {
      if (log !== undefined) log(entry);
      else logError('%d %s %s: %O', status, entry.method, entry.path, err);
    } catch {
      logError('the log option threw while logging a %d', status);
    }
    const { type, body } = renderBody(format, status, publicMessage(err, status));
    afterRequestBody(req, () => {
      if (res.headersSent || res.destroyed) return;
      // Headers the failed response had started to set no longer describe this body.
      for (const name of ['content-encoding', 'content-language', 'content-range', 'content-disposition', 'etag', 'last-modified']) res.removeHeader(name);
      res.statusCode = status;
      if (validStatus !== undefined) setErrorHeaders(res, asErrorLike(err).headers);
      res.setHeader('Content-Type', type);
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'no-store');
      protectCorsHeaders(res, compiled, verdict);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };

  return function corsErrorHandlerMiddleware(err: unknown, req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    if (res.headersSent) {
      next(err);
      return;
    }
    // Reuse corsSafety()'s decision for this request when it used the same policy.
    const state = responseCorsState(res);
    const decided = state !== undefined && state.policy === compiled ? state.verdict : decideOrigin(compiled, req.headers.origin, req);
    if (!(decided instanceof Promise)) {
      if (state === undefined) logVerdict(decided, req.headers.origin, 'error handler');
      render(err, req, res, next, decided);
      return;
    }
    decided
      .then((verdict) => {
        logVerdict(verdict, req.headers.origin, 'error handler');
        render(err, req, res, next, verdict);
      })
      .catch((renderErr: unknown) => next(renderErr));
  };
}

function validateHandlerOptions(options: CorsErrorHandlerOptions | undefined): { format: 'json' | 'problem+json'; log: CorsErrorHandlerOptions['log'] } {
  const issues = new IssueCollector();
  const given = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!ERROR_HANDLER_OPTIONS.includes(key)) issues.add(`errorHandler.${key}`, 'unknown-option', `is not an option of corsErrorHandler(); use ${ERROR_HANDLER_OPTIONS.join(' or ')}`);
  }
  const format = given.format ?? 'json';
  if (format !== 'json' && format !== 'problem+json') issues.add('errorHandler.format', 'format-invalid', 'must be "json" or "problem+json"');
  const log = given.log;
  if (log !== undefined && typeof log !== 'function') issues.add('errorHandler.log', 'log-not-function', 'must be a function (entry) => void, e.g. (e) => logger.error(e)');
  issues.throwIfAny();
  return { format: format as 'json' | 'problem+json', log: log as CorsErrorHandlerOptions['log'] };
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
    next(Object.assign(new Error('Not Found'), { status: 404, expose: true }));
  };
}
