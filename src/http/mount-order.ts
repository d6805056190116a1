/**
 * Detects middleware mounted before corsSafety() in an Express app. Whatever ends a response
 * before corsSafety() runs (an auth check's 401, a body parser's 400/413, a rate limiter's
 * 429) goes out without CORS headers, and the browser hides it as a "CORS error".
 */
import type { IncomingMessage } from 'node:http';

interface Layer {
  readonly name: string;
  readonly handle: unknown;
  readonly route?: { readonly path?: unknown } | undefined;
}

/** The handlers cors-safety itself creates: another corsSafety() mounted earlier is never to blame. */
const corsSafetyHandlers = new WeakSet<object>();

/** Marks a handler made by cors-safety, so mount-order warnings never name it. */
export function markCorsSafetyHandler(handler: object): void {
  corsSafetyHandlers.add(handler);
}

/** Layers Express 4 mounts by itself (`query`, `expressInit`): harmless, never reported. */
const EXPRESS_BUILTINS = new Set(['query', 'expressInit']);

function isCorsSafetyHandler(handle: unknown): boolean {
  return typeof handle === 'function' && corsSafetyHandlers.has(handle);
}

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
    if (EXPRESS_BUILTINS.has(layer.name) || isCorsSafetyHandler(layer.handle)) continue;
    // Express names layers after their function, "<anonymous>" for anonymous ones.
    names.push(layer.route === undefined ? layer.name : `the route ${String(layer.route.path)}`);
  }
  return names;
}
