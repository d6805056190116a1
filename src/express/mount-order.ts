/**
 * Detects responses an Express app sent before corsSafety() ran. Whatever ends a response
 * before corsSafety() runs (an auth check's 401, a body parser's 400/413, a rate limiter's 429)
 * goes out without CORS headers, and the browser hides it as a "CORS error".
 *
 * Only a response that really finished without reaching corsSafety() is reported: middleware
 * mounted before it that passes every request on (a logger, helmet, cookie-parser, compression,
 * express.static for a file it does not have) is never named. Node's
 * `http.server.response.finish` diagnostics channel reports each finished response; corsSafety()
 * marks the requests it sees. The channel is watched until the warning is given (or 10,000
 * responses skipped corsSafety() without one to name); a response that reached corsSafety() costs
 * one property read.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { warnOnce } from '../shared/log.js';

/** One entry of an Express router's stack, as far as this module reads it. */
export interface Layer {
  readonly name: string;
  readonly handle: unknown;
  readonly route?: { readonly path?: unknown } | undefined;
}

/** Layers Express 4 mounts by itself (`query`, `expressInit`): harmless, never reported. */
const EXPRESS_BUILTINS = new Set(['query', 'expressInit']);

/**
 * The Express application's own middleware stack for this request, or `undefined` outside Express.
 *
 * @example
 * ```ts
 * routerStack(req)?.map((layer) => layer.name); // ['query', 'expressInit', 'corsSafetyMiddleware']
 * ```
 */
export function routerStack(req: IncomingMessage): readonly Layer[] | undefined {
  // Express sets req.app to the application (a function); Connect and node:http set nothing.
  const app = (req as IncomingMessage & { app?: unknown }).app;
  if (typeof app !== 'function') return undefined;
  const holder = app as { _router?: { stack?: unknown }; router?: { stack?: unknown } };
  // Express 4 keeps the router in app._router (its app.router getter throws), Express 5 in app.router.
  const stack = '_router' in holder ? holder._router?.stack : holder.router?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

/**
 * Names of the application-level middleware mounted before `middleware`, or an empty list
 * when there are none, when the app is not Express, or when `middleware` is mounted elsewhere
 * (in a Router, a sub-app or a route).
 *
 * @example
 * ```ts
 * findMiddlewareMountedBefore(req, corsMiddleware); // ['authenticate', 'jsonParser']
 * ```
 */
export function findMiddlewareMountedBefore(req: IncomingMessage, middleware: unknown): string[] {
  const stack = routerStack(req);
  if (stack === undefined) return [];
  const index = stack.findIndex((layer) => layer.handle === middleware);
  const names: string[] = [];
  // index -1 (not mounted on the app itself) leaves the list empty.
  for (const layer of stack.slice(0, Math.max(index, 0))) {
    // Another corsSafety() before this one is not a mistake this warning is about.
    if (EXPRESS_BUILTINS.has(layer.name) || corsMiddlewares.has(layer.handle as object)) continue;
    // Express names layers after their function, "<anonymous>" for anonymous ones.
    names.push(layer.route === undefined ? layer.name : `the route ${String(layer.route.path)}`);
  }
  return names;
}

/** Every corsSafety() middleware created in this process. */
const corsMiddlewares = new WeakSet<object>();
/** Set on a request when it reaches a corsSafety() middleware. */
const kReached = Symbol('cors-safety.reached');
/** Responses that skipped a corsSafety() mounted for their path; past the cap the channel is left. */
let observed = 0;
const MAX_OBSERVED = 10_000;
const RESPONSE_FINISH = 'http.server.response.finish';
let subscribed = false;

/** The path Express routes on: the pathname of `originalUrl` (Express) or `url`. */
function routedPath(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl ?? req.url;
  const text = typeof url === 'string' ? url : '/';
  const end = text.search(/[?#]/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * True for a layer of `app.use(fn)` without a path: Express 4 marks it `regexp.fast_slash`,
 * router 2 (Express 5) `slash`.
 *
 * @example
 * ```ts
 * routerStack(req)?.filter(isMountedAtRoot);
 * ```
 */
export function isMountedAtRoot(layer: Layer): boolean {
  const shaped = layer as Layer & { regexp?: { fast_slash?: unknown }; slash?: unknown };
  return layer.route === undefined && (shaped.regexp?.fast_slash === true || shaped.slash === true);
}

/**
 * Whether a layer's path matches: mounted at `/` (Express 4 `regexp.fast_slash`, router 2 `slash`)
 * or its own `match()` (Express 4 and router 2 both have one; it only sets the layer's params,
 * which Express sets again before it uses them).
 */
function layerMatches(layer: Layer, path: string): boolean {
  if (isMountedAtRoot(layer)) return true;
  const shaped = layer as Layer & { match?: unknown };
  if (typeof shaped.match !== 'function') return false;
  return (shaped.match as (path: string) => unknown).call(layer, path) === true;
}

/**
 * The middleware that may have answered a request that never reached corsSafety(): those mounted
 * before the first corsSafety() in the app's stack whose path the request matched; `undefined`
 * when the app mounts no corsSafety() there for this path (so no middleware of ours was skipped).
 */
function answeredBefore(req: IncomingMessage, stack: readonly Layer[]): string[] | undefined {
  const path = routedPath(req);
  const index = stack.findIndex((layer) => corsMiddlewares.has(layer.handle as object) && layerMatches(layer, path));
  if (index < 0) return undefined;
  const names: string[] = [];
  for (const layer of stack.slice(0, index)) {
    if (EXPRESS_BUILTINS.has(layer.name) || !layerMatches(layer, path)) continue;
    names.push(layer.route === undefined ? layer.name : `the route ${String(layer.route.path)}`);
  }
  return names;
}

function stopWatching(): void {
  if (!subscribed) return;
  subscribed = false;
  diagnosticsChannel.unsubscribe(RESPONSE_FINISH, onResponseFinish);
}

/** Any finished response: one of an Express app that skipped its corsSafety() is reported. */
function onResponseFinish(message: unknown): void {
  // A subscriber's throw would surface as an uncaught exception: nothing here may throw.
  try {
    const { request, response } = message as { request?: unknown; response?: { statusCode?: unknown } };
    const req = request as IncomingMessage & { [kReached]?: true };
    if (typeof req !== 'object' || req === null || req[kReached] === true) return;
    const stack = routerStack(req);
    if (stack === undefined) return;
    const names = answeredBefore(req, stack);
    if (names === undefined) return;
    observed++;
    if (names.length > 0) {
      const status = typeof response?.statusCode === 'number' ? response.statusCode : 'a';
      warnOnce(
        'CORS_SAFETY_MOUNT_ORDER',
        `cors-safety: a ${status} response was sent before corsSafety() ran, so it has no CORS headers and a ` +
          'browser reports it as a CORS error; one of the middleware mounted before corsSafety() ' +
          `(${names.join(', ')}) ended it, or passed an error to next(). Mount corsSafety() first.`,
      );
      stopWatching();
    }
  } catch {
    // An app object shaped unlike Express: nothing to check.
  }
  if (observed >= MAX_OBSERVED) stopWatching();
}

/**
 * Registers a corsSafety() middleware and returns what it calls on each request it sees, which
 * marks the request as having reached corsSafety(). Finished responses of Express apps that
 * mount it and that no corsSafety() saw are then reported by one process warning
 * (`CORS_SAFETY_MOUNT_ORDER`).
 *
 * @example
 * ```ts
 * const checkMountOrder = watchMountOrder(middleware);
 * // in the middleware: checkMountOrder(req);
 * ```
 */
export function watchMountOrder(middleware: object): (req: IncomingMessage) => void {
  corsMiddlewares.add(middleware);
  if (!subscribed && observed < MAX_OBSERVED) {
    subscribed = true;
    diagnosticsChannel.subscribe(RESPONSE_FINISH, onResponseFinish);
  }
  return function markReached(req) {
    try {
      (req as IncomingMessage & { [kReached]?: true })[kReached] = true;
    } catch {
      // A frozen stand-in for a request: nothing to mark, and no response of Node's to report.
    }
  };
}
