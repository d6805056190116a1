/**
 * Helpers for validating option values at construction: recognising plain objects and
 * requests, describing a wrong value in a message. (The option a typo meant: shared/did-you-mean.ts.)
 */

/** True for `{...}` literals and `Object.create(null)`; false for arrays, class instances, null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A null-prototype copy of an options object's own enumerable properties. Reading an option
 * from the copy never reaches `Object.prototype`, so a polluted prototype (`Object.prototype.origin
 * = true` set by a vulnerable dependency) cannot add options the caller never wrote.
 */
export function ownOptions(value: unknown): Record<string, unknown> {
  const copy = Object.create(null) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) return copy;
  for (const key of Object.keys(value)) copy[key] = (value as Record<string, unknown>)[key];
  return copy;
}

/** One environment variable, read as an own property only (see {@link ownOptions}). */
export function ownEnvValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  return typeof value === 'string' ? value : undefined;
}

/** True for something shaped like an `IncomingMessage`: a factory called as if it were middleware. */
export function looksLikeRequest(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // A plain object (a test double) must hold them itself: a polluted Object.prototype.headers
  // must not make every options object look like a request. An IncomingMessage inherits some.
  const has = isPlainObject(value) ? (key: string) => Object.hasOwn(value, key) : (key: string) => key in value;
  return has('headers') && has('method') && has('socket');
}

/** A short, safe description of a wrong option value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  return `${typeof value} ${(value as number | boolean | bigint | symbol).toString()}`;
}
