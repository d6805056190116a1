/**
 * Handler types written against node:http only, so Express 4, Express 5, Connect and plain
 * node:http servers all fit without depending on any framework's types.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The `next` callback of Express and Connect. */
export type NextFunction = (err?: unknown) => void;

/** A request handler: `(req, res, next) => void`. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/** An error handler: `(err, req, res, next) => void` (four parameters, as Express requires). */
export type ErrorMiddleware = (err: unknown, req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;
