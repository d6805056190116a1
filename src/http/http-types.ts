/**
 * Handler types written against node:http only, so Express 4, Express 5, Connect and plain
 * node:http servers all fit without depending on any framework's types.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The `next` callback of Express and Connect.
 *
 * @example
 * ```ts
 * const middleware: Middleware = (req, res, next: NextFunction) => next();
 * ```
 */
export type NextFunction = (err?: unknown) => void;

/**
 * A request handler: `(req, res, next) => void`.
 *
 * @example
 * ```ts
 * const mw: Middleware = corsSafety();
 * http.createServer((req, res) => mw(req, res, (err) => { res.statusCode = err ? 500 : 404; res.end(); }));
 * ```
 */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/**
 * An error handler: `(err, req, res, next) => void` (four parameters, as Express requires).
 *
 * @example
 * ```ts
 * const onError: ErrorMiddleware = corsErrorHandler(policy);
 * app.use(onError);
 * ```
 */
export type ErrorMiddleware = (err: unknown, req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;
