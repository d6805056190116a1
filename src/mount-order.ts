/**
 * Detects middleware mounted before corsSafety() in an Express app. Whatever ends a response
 * before corsSafety() runs (an auth check's 401, a body parser's 400/413, a rate limiter's
 * 429) goes out without CORS headers, and the browser hides it as a "CORS error".
 */
import type { IncomingMessage } from 'node:http';

interface Layer {
  readonly name?: unknown;
  readonly handle?: unknown;
  readonly route?: unknown;
}

/** Layers Express 4 mounts by itself (`query`, `expressInit`): harmless, never reported. */
const EXPRESS_BUILTINS = new Set(['query', 'expressInit']);

function routerStack(req: IncomingMessage): readonly Layer[] | undefined {
  const app = (req as IncomingMessage & { app?: unknown }).app;
  if (typeof app !== 'function' && (typeof app !== 'object' || app === null)) return undefined;
  const holder = app as { _router?: { stack?: unknown }; router?: { stack?: unknown } };
  // Express 4 keeps the router in app._router, Express 5 in app.router.
  let stack: unknown;
  try {
    stack = holder._router?.stack ?? holder.router?.stack;
  } catch {
    return undefined;
  }
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

/**
 * Names of the application-level middleware mounted before `middleware`, or an empty list
 * when there are none, when the app is not Express, or when `middleware` is mounted elsewhere.
 */
export function findMiddlewareMountedBefore(req: IncomingMessage, middleware: unknown): string[] {
  const stack = routerStack(req);
  if (stack === undefined) return [];
  const index = stack.findIndex((layer) => layer.handle === middleware);
  if (index <= 0) return [];
  const names: string[] = [];
  for (const layer of stack.slice(0, index)) {
    const name = typeof layer.name === 'string' && layer.name !== '' ? layer.name : '<anonymous>';
    if (EXPRESS_BUILTINS.has(name)) continue;
    names.push(layer.route !== undefined ? `a route (${name})` : name);
  }
  return names;
}
