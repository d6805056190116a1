/**
 * Header access that tolerates response objects with only part of `ServerResponse`. Frameworks
 * hand middleware such objects: engine.io runs `engine.use()` middleware on the WebSocket upgrade
 * path with a response that has `setHeader`, `getHeader`, `removeHeader`, `writeHead` and `end`
 * but no `getHeaderNames`, `hasHeader` or `headersSent`. Request-time code must not throw there:
 * each helper does what the object allows and otherwise nothing.
 */
import type { ServerResponse } from 'node:http';

/** A response whose methods may be missing. */
type PartialResponse = Partial<Pick<ServerResponse, 'getHeaderNames' | 'getHeader' | 'setHeader' | 'removeHeader'>>;

/** Lower-case names of the headers set so far; none when the object cannot list them. */
export function headerNamesOf(res: ServerResponse): readonly string[] {
  const { getHeaderNames } = res as PartialResponse;
  if (typeof getHeaderNames !== 'function') return [];
  const names: unknown = getHeaderNames.call(res);
  return Array.isArray(names) ? (names as string[]) : [];
}

/** The header's current value; `undefined` when unset or when the object cannot tell. */
export function headerOf(res: ServerResponse, name: string): unknown {
  const { getHeader } = res as PartialResponse;
  return typeof getHeader === 'function' ? getHeader.call(res, name) : undefined;
}

/** Sets a header when the object can hold one. */
export function setHeaderOn(res: ServerResponse, name: string, value: string): void {
  const { setHeader } = res as PartialResponse;
  if (typeof setHeader === 'function') setHeader.call(res, name, value);
}

/** Removes a header when the object can. */
export function removeHeaderFrom(res: ServerResponse, name: string): void {
  const { removeHeader } = res as PartialResponse;
  if (typeof removeHeader === 'function') removeHeader.call(res, name);
}

/** Whether the object can write a whole response itself (`writeHead` and `end`). */
export function canWriteHead(res: ServerResponse): boolean {
  return typeof res.writeHead === 'function' && typeof res.end === 'function';
}
