/**
 * Detects middleware mounted before corsSafety() in an Express app. Whatever ends a response
 * before corsSafety() runs (an auth check's 401, a body parser's 400/413, a rate limiter's
 * 429) goes out without CORS headers, and the browser hides it as a "CORS error".
 *
 * The order is checked on the first request corsSafety() sees, and also on the first response
 * the app finishes without it: an auth check mounted before corsSafety() that rejects every
 * request would otherwise hide the warning too. Node's `http.server.response.finish` diagnostics
 * channel reports those responses; it is subscribed only while some corsSafety() middleware has
 * not been checked yet.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { warnOnce } from '../policy/log.js';

interface Layer {
  readonly name: string;
  readonly handle: unknown;
  readonly route?: { readonly path?: unknown } | undefined;
}

/** Layers Express 4 mounts by itself (`query`, `expressInit`): harmless, never reported. */
const EXPRESS_BUILTINS = new Set(['query', 'expressInit']);

function routerStack(req: IncomingMessage): readonly Layer[] | undefined {
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
/** corsSafety() middlewares whose mount order has not been checked yet. */
const unchecked = new Set<WeakRef<object>>();
/** Responses observed through the channel; past the cap it is left, whatever is unchecked. */
let observed = 0;
const MAX_OBSERVED = 10_000;
const RESPONSE_FINISH = 'http.server.response.finish';
let subscribed = false;

function warnIfMountedLate(req: IncomingMessage, middleware: object): void {
  const before = findMiddlewareMountedBefore(req, middleware);
  if (before.length === 0) return;
  warnOnce(
    'CORS_SAFETY_MOUNT_ORDER',
    `cors-safety: corsSafety() is mounted after ${before.join(', ')}; responses they end ` +
      '(401, 400, 413, 429...) carry no CORS headers and the browser hides them. Mount corsSafety() first.',
  );
}

function stopWatching(): void {
  if (!subscribed) return;
  subscribed = false;
  diagnosticsChannel.unsubscribe(RESPONSE_FINISH, onResponseFinish);
}

/** Any response an Express app finishes: check the corsSafety() middlewares in its stack. */
function onResponseFinish(message: unknown): void {
  // A subscriber's throw would surface as an uncaught exception: nothing here may throw.
  try {
    observed++;
    const req = (message as { request?: unknown }).request as IncomingMessage;
    const stack = routerStack(req);
    if (stack !== undefined) {
      for (const ref of unchecked) {
        const middleware = ref.deref();
        if (middleware === undefined) unchecked.delete(ref);
        else if (stack.some((layer) => layer.handle === middleware)) {
          unchecked.delete(ref);
          warnIfMountedLate(req, middleware);
        }
      }
    }
  } catch {
    // An app object shaped unlike Express: nothing to check.
  }
  if (unchecked.size === 0 || observed >= MAX_OBSERVED) stopWatching();
}

/**
 * Registers a corsSafety() middleware and returns the check to run on each request it sees
 * (only the first one does any work). Until then, finished responses of Express apps that
 * mount it are checked instead.
 *
 * @example
 * ```ts
 * const checkMountOrder = watchMountOrder(middleware);
 * // in the middleware: checkMountOrder(req);
 * ```
 */
export function watchMountOrder(middleware: object): (req: IncomingMessage) => void {
  corsMiddlewares.add(middleware);
  const ref = new WeakRef(middleware);
  unchecked.add(ref);
  if (!subscribed) {
    subscribed = true;
    observed = 0;
    diagnosticsChannel.subscribe(RESPONSE_FINISH, onResponseFinish);
  }
  let checked = false;
  return (req) => {
    if (checked) return;
    checked = true;
    const stillUnchecked = unchecked.delete(ref);
    if (unchecked.size === 0) stopWatching();
    if (stillUnchecked) warnIfMountedLate(req, middleware);
  };
}
