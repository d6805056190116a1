/**
 * What the `origin` option accepts: origins, RegExps and origin functions in their two forms
 * (a boolean or a Promise of one, and the `cors` package's callback). Types only.
 */
import type { IncomingMessage } from 'node:http';

/**
 * What a `cors`-style origin callback may be given: `true` (allow), `false` (deny), or the
 * origins to allow as a string, an anchored RegExp, or an array of them (the request's origin is
 * allowed when it equals a string or matches a RegExp).
 *
 * @example
 * ```ts
 * const answer: OriginCallbackValue = [/^https:\/\/[a-z0-9-]+\.example\.com$/, 'https://example.com'];
 * ```
 */
export type OriginCallbackValue = boolean | string | RegExp | ReadonlyArray<string | RegExp>;

/**
 * The second argument of an origin function declared with two parameters: the request
 * (`node:http`'s `IncomingMessage`; at run time it is the framework's own request object, so
 * Express's `req.hostname` works too) which can also be called as the `cors` package's
 * `callback(err, allow)`. Property reads and writes go to the request.
 *
 * When `createOriginValidator().check(origin)` is called without a request, only the callback
 * part exists: request properties read as `undefined`.
 *
 * @example
 * ```ts
 * corsSafety({ origin: (origin, req) => req.headers.host === new URL(origin).host });
 * corsSafety({ origin: (origin, callback) => callback(null, allowList.includes(origin)) });
 * ```
 */
export interface OriginRequest extends IncomingMessage {
  /** The `cors` callback: `callback(null, true)` allows, an error or `false` denies. */
  (err: Error | null, allow?: OriginCallbackValue): void;
}

/**
 * Decides an origin dynamically. Return `true` to allow. May be async; a throw, a rejection,
 * anything but `true`, or no answer within `originCheckTimeout` denies the origin.
 *
 * Functions declared with two parameters may also use the `cors` package's callback form,
 * `(origin, callback) => callback(null, true)` (see {@link OriginRequest}). cors-safety tells the
 * forms apart by the number of declared parameters (`fn.length`).
 *
 * @example
 * ```ts
 * const fromDatabase: OriginFunction = async (origin) => tenants.has(new URL(origin).hostname);
 * corsSafety({ origin: fromDatabase, originCheckTimeout: 500 });
 * ```
 */
export type OriginFunction = (origin: string, req: OriginRequest) => boolean | Promise<boolean>;

/**
 * The `cors` package's callback form of an origin function: call `callback(null, allow)` once,
 * synchronously or later (within `originCheckTimeout`). Its second parameter is the same
 * {@link OriginRequest} an {@link OriginFunction} gets, so both forms share one parameter list and
 * TypeScript infers `origin` and `callback` inline.
 *
 * @example
 * ```ts
 * const legacy: CorsCallbackOriginFunction = (origin, callback) => callback(null, allowList.includes(origin));
 * corsSafety({ origin: legacy });
 * ```
 */
export type CorsCallbackOriginFunction = (origin: string, callback: OriginRequest) => void | undefined;

/**
 * An origin function whose request parameter is annotated with a framework's own request type,
 * such as Express 4 or 5's `Request` (`(origin, req: Request) => req.hostname === ...`). The
 * request is checked against `node:http`'s `IncomingMessage` in both directions (as TypeScript
 * checks method parameters), so any request type built on `IncomingMessage` fits and unrelated
 * types do not.
 *
 * Written as two method signatures on purpose: a type with two differing call signatures gives no
 * contextual parameter types, so unannotated functions are typed by {@link OriginFunction} and
 * {@link CorsCallbackOriginFunction} alone, and only annotated ones are checked against this one.
 *
 * @example
 * ```ts
 * import type { Request } from 'express';
 * corsSafety({ origin: (origin, req: Request) => req.hostname === new URL(origin).hostname });
 * ```
 */
export type TypedRequestOriginFunction = {
  originFunction(origin: string, req: IncomingMessage): boolean | Promise<boolean>;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the type parameter only makes the signatures differ
  originFunction<_Request extends IncomingMessage>(origin: string, req: IncomingMessage): boolean | Promise<boolean>;
}['originFunction'];

/**
 * What `origin` accepts.
 *
 * @example
 * ```ts
 * const origin: OriginOption = ['https://app.example.com', 'https://*.preview.example.com', /^https:\/\/pr-\d+\.example\.dev$/];
 * ```
 */
export type OriginOption =
  | boolean
  | string
  | RegExp
  | ReadonlyArray<string | RegExp>
  | OriginFunction
  | CorsCallbackOriginFunction
  | TypedRequestOriginFunction;
