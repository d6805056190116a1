/**
 * The guard on every way a handler can put a header on the wire. The decision is re-applied at
 * the moment the head is written, and the response's methods that write headers are wrapped,
 * so no `Access-Control-*` header a handler, an error handler or a framework sets reaches an
 * origin the policy did not allow, and the grant of an allowed origin cannot be dropped:
 *
 * - `writeHead(status[, statusMessage][, headers])` with an object, a flat `[name, value, ...]`
 *   array or an array of `[name, value]` pairs, in every form Node accepts, and its alias
 *   `writeHeader()` (node:http's `ServerResponse.prototype.writeHeader` is the original
 *   `writeHead`, not a call to it, so it is replaced too);
 * - `setHeader()` (arrays included), `appendHeader()`, `setHeaders()`: read back at `writeHead`;
 * - `write()`, `end()` and `flushHeaders()` without `writeHead()`: Node calls `writeHead` itself;
 * - 1xx informational heads (`writeEarlyHints()`, RFC 8297), trailers (`addTrailers()`,
 *   HTTP/2's `setTrailer()`) and HTTP/2 pushed responses (`createPushResponse()`);
 * - a `writeHead` wrapper installed on the response before us (the on-headers pattern): it runs
 *   inside our `writeHead`, after the decision is applied, and its `Access-Control-*` writes
 *   through `setHeader()`, `appendHeader()` or `setHeaders()` are ignored. Headers it passes to
 *   Node's own `writeHead` directly, `res.stream.respond()` on HTTP/2 and raw socket writes are
 *   beyond any middleware's reach.
 *
 * Works on node:http and node:http2's compatibility API. On a response object lacking some of
 * these methods (engine.io's partial stand-in) it does what the object allows and never throws.
 */
import type { ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/policy.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { applyCorsHeaders, isAccessControl } from './response-headers.js';
import { warnDuplicateCors } from '../headers/actual-headers.js';
import { removeHeaderFrom } from './response-access.js';
import { appendVary } from './response-vary.js';

type Method = (...args: unknown[]) => unknown;

/** The CORS decision attached to one response, and the methods the guard replaced. */
export interface ResponseCorsState {
  policy: CompiledPolicy;
  verdict: RequestVerdict;
  readonly writeHead: Method;
  readonly writeEarlyHints: Method | undefined;
  readonly addTrailers: Method | undefined;
  readonly setTrailer: Method | undefined;
  readonly createPushResponse: Method | undefined;
  /**
   * Header setters, kept only when a `writeHead` wrapper was installed on the response before us
   * (the on-headers pattern: compression, sessions, timers). That wrapper runs after our headers
   * are applied, so while it runs its `Access-Control-*` writes are ignored.
   */
  readonly setters: { readonly [name in SetterName]?: Method } | undefined;
  /** True while the earlier wrapper runs inside our `writeHead`. */
  writing: boolean;
}

type SetterName = 'setHeader' | 'appendHeader' | 'setHeaders';
const SETTERS: readonly SetterName[] = ['setHeader', 'appendHeader', 'setHeaders'];

const kState = Symbol('cors-safety.response-state');

type GuardedResponse = ServerResponse & { [kState]?: ResponseCorsState };

/** The decision already attached to this response by corsSafety() or corsErrorHandler(), if any. */
export function responseCorsState(res: ServerResponse): ResponseCorsState | undefined {
  return typeof res === 'object' && res !== null ? (res as GuardedResponse)[kState] : undefined;
}

function stateOf(res: GuardedResponse): ResponseCorsState {
  return res[kState] as ResponseCorsState;
}

/** `[name, value]` entries of a `writeHead()` header argument, or `undefined` to leave it to Node (which refuses it). */
function headEntries(headers: object): [unknown, unknown][] | undefined {
  if (!Array.isArray(headers)) {
    const record = headers as Record<string, unknown>;
    return Object.keys(record).map((name) => [name, record[name]]);
  }
  const list = headers as unknown[];
  // Node takes a list whose first item is an array as [name, value] pairs, else as a flat list.
  if (list.length > 0 && Array.isArray(list[0]))
    return list.map((pair) => [(pair as unknown[])[0], (pair as unknown[])[1]]);
  if (list.length % 2 !== 0) return undefined;
  const entries: [unknown, unknown][] = [];
  for (let i = 0; i < list.length; i += 2) entries.push([list[i], list[i + 1]]);
  return entries;
}

/**
 * Moves a `writeHead()` header argument into the response's headers, as Node would merge it:
 * each name in it replaces what was set before, a list keeps repeated names (`Set-Cookie`).
 * `Access-Control-*` entries are dropped (the decision sets its own); `Vary` is appended to, not
 * replaced. Invalid names or values throw Node's own errors, as `writeHead()` would. Returns
 * false when the argument is left to Node (an odd-length flat list, which Node refuses).
 */
function absorbHeadArgument(res: ServerResponse, headers: object): boolean {
  const entries = headEntries(headers);
  if (entries === undefined) return false;
  const list = Array.isArray(headers);
  const replaced = new Set<string>();
  for (const [name, value] of entries) {
    // Node skips empty names the same way.
    if (name === undefined || name === null || name === '') continue;
    if (isAccessControl(name)) {
      if (typeof name === 'string' && name.toLowerCase() === 'access-control-allow-origin') warnDuplicateCors();
      continue;
    }
    const lower = typeof name === 'string' ? name.toLowerCase() : '';
    if (lower === 'vary' && (typeof value === 'string' || Array.isArray(value))) {
      appendVary(res, typeof value === 'string' ? [value] : (value as unknown[]).map((field) => String(field)));
    } else if (!list || typeof res.appendHeader !== 'function') {
      res.setHeader(name as string, value as string);
    } else {
      if (!replaced.has(lower)) {
        replaced.add(lower);
        removeHeaderFrom(res, name as string);
      }
      res.appendHeader(name as string, value as string);
    }
  }
  return true;
}

/** The `writeHead` installed on guarded responses: one shared function, so guarding allocates no closure. */
function corsSafetyWriteHead(this: GuardedResponse, ...args: unknown[]): unknown {
  const state = stateOf(this);
  // After the head is out Node throws ERR_HTTP_HEADERS_SENT below, exactly as without us.
  if (!this.headersSent) {
    const text = typeof args[1] === 'string';
    // Node: writeHead(status, statusMessage, headers); otherwise `headers ??= statusMessage`.
    const at = text || (args[2] !== undefined && args[2] !== null) ? 2 : 1;
    const headers = args[at];
    if (typeof headers === 'object' && headers !== null && absorbHeadArgument(this, headers))
      args = text ? [args[0], args[1]] : [args[0]];
    // Read at call time: corsErrorHandler() may have attached a newer decision since.
    applyCorsHeaders(this, state.policy, state.verdict);
  }
  if (state.setters === undefined) return state.writeHead.apply(this, args);
  state.writing = true;
  try {
    return state.writeHead.apply(this, args);
  } finally {
    state.writing = false;
  }
}

/** A header setter while an earlier `writeHead` wrapper runs: `Access-Control-*` is already decided. */
function guardedSetter(name: SetterName): Method {
  return function corsSafetyHeaderSetter(this: GuardedResponse, ...args: unknown[]): unknown {
    const state = stateOf(this);
    const setter = state.setters?.[name] as Method;
    if (!state.writing) return setter.apply(this, args);
    if (name === 'setHeaders') {
      const entries = args[0] instanceof Map || args[0] instanceof Headers ? [...args[0].entries()] : [];
      for (const [key, value] of entries) if (!isAccessControl(key)) state.setters?.setHeader?.call(this, key, value);
      return this;
    }
    return isAccessControl(args[0]) ? this : setter.apply(this, args);
  };
}
const GUARDED_SETTERS: Readonly<Record<SetterName, Method>> = {
  setHeader: guardedSetter('setHeader'),
  appendHeader: guardedSetter('appendHeader'),
  setHeaders: guardedSetter('setHeaders'),
};

/** A copy of a header object without its `Access-Control-*` keys (the object itself when it has none). */
function withoutAccessControl(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return headers;
  if (Array.isArray(headers))
    return (headers as unknown[]).filter((entry) => !(Array.isArray(entry) && isAccessControl(entry[0])));
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(headers)) {
    if (!isAccessControl(key)) continue;
    copy ??= { ...(headers as Record<string, unknown>) };
    delete copy[key];
  }
  return copy ?? headers;
}

/** `writeEarlyHints(hints[, callback])`: a 103 head (RFC 8297) carries no `Access-Control-*`. */
function corsSafetyWriteEarlyHints(this: GuardedResponse, hints: unknown, ...rest: unknown[]): unknown {
  return (stateOf(this).writeEarlyHints as Method).call(this, withoutAccessControl(hints), ...rest);
}

/** `addTrailers(headers)`: trailer fields (RFC 9110 §6.5) carry no `Access-Control-*`. */
function corsSafetyAddTrailers(this: GuardedResponse, headers: unknown): unknown {
  return (stateOf(this).addTrailers as Method).call(this, withoutAccessControl(headers));
}

/** HTTP/2's `setTrailer(name, value)`: an `Access-Control-*` trailer is dropped. */
function corsSafetySetTrailer(this: GuardedResponse, name: unknown, value: unknown): unknown {
  if (isAccessControl(name)) return undefined;
  return (stateOf(this).setTrailer as Method).call(this, name, value);
}

/** HTTP/2's `createPushResponse(headers, callback)`: the pushed response is guarded by the same decision. */
function corsSafetyCreatePushResponse(this: GuardedResponse, headers: unknown, callback: unknown): unknown {
  const state = stateOf(this);
  if (typeof callback !== 'function') return (state.createPushResponse as Method).call(this, headers, callback);
  return (state.createPushResponse as Method).call(this, headers, (err: unknown, pushed: unknown) => {
    if (typeof pushed === 'object' && pushed !== null)
      protectCorsHeaders(pushed as ServerResponse, state.policy, state.verdict);
    return (callback as Method)(err, pushed);
  });
}

/** The response's header setters, for a response whose `writeHead` someone wrapped before us. */
function settersOf(res: GuardedResponse): ResponseCorsState['setters'] {
  const found: { [name in SetterName]?: Method } = {};
  for (const name of SETTERS) {
    const method = methodOf(res, name);
    if (method !== undefined) found[name] = method;
  }
  return found;
}

/** The response's own method `name`, if it has one. */
function methodOf(res: GuardedResponse, name: string): Method | undefined {
  const method = (res as unknown as Record<string, unknown>)[name];
  return typeof method === 'function' ? (method as Method) : undefined;
}

/**
 * Attaches a decision to the response, applies it now, and wraps (once per response) the
 * methods that write headers, so the latest decision is applied again when the head goes out.
 *
 * @example
 * ```ts
 * protectCorsHeaders(res, compiled, verdict); // then next()
 * ```
 */
export function protectCorsHeaders(res: ServerResponse, policy: CompiledPolicy, verdict: RequestVerdict): void {
  if (typeof res !== 'object' || res === null) return;
  const guarded = res as GuardedResponse;
  const state = guarded[kState];
  if (state !== undefined) {
    state.policy = policy;
    state.verdict = verdict;
  } else {
    const writeHead = methodOf(guarded, 'writeHead');
    // Without writeHead (a partial stand-in) there is no head to guard: the headers are set now.
    if (writeHead === undefined) {
      applyCorsHeaders(res, policy, verdict);
      return;
    }
    const installed: ResponseCorsState = {
      policy,
      verdict,
      writeHead,
      writeEarlyHints: methodOf(guarded, 'writeEarlyHints'),
      addTrailers: methodOf(guarded, 'addTrailers'),
      setTrailer: methodOf(guarded, 'setTrailer'),
      createPushResponse: methodOf(guarded, 'createPushResponse'),
      setters: Object.hasOwn(guarded, 'writeHead') ? settersOf(guarded) : undefined,
      writing: false,
    };
    guarded[kState] = installed;
    const methods = guarded as unknown as Record<string, Method>;
    methods.writeHead = corsSafetyWriteHead;
    // node:http: `writeHeader === writeHead` on the prototype; calling it would skip the guard.
    if (methodOf(guarded, 'writeHeader') !== undefined) methods.writeHeader = corsSafetyWriteHead;
    if (installed.writeEarlyHints !== undefined) methods.writeEarlyHints = corsSafetyWriteEarlyHints;
    if (installed.addTrailers !== undefined) methods.addTrailers = corsSafetyAddTrailers;
    if (installed.setTrailer !== undefined) methods.setTrailer = corsSafetySetTrailer;
    if (installed.createPushResponse !== undefined) methods.createPushResponse = corsSafetyCreatePushResponse;
    for (const name of SETTERS) if (installed.setters?.[name] !== undefined) methods[name] = GUARDED_SETTERS[name];
  }
  applyCorsHeaders(res, policy, verdict);
}
