/**
 * The decision the HTTP adapters act on for one request: the policy's origin verdict, with a
 * request from the server's own origin reported as `same-origin` instead of a refusal, and the
 * record of which policy decided the request (one policy per request).
 */
import type { IncomingMessage } from 'node:http';
import { authorityTarget } from '../policy/authority.js';
import { decideOrigin } from '../policy/origin-check.js';
import type { OriginScheme } from '../policy/origin-syntax.js';
import type { CompiledPolicy } from '../policy/policy.js';
import type { OriginVerdict, RequestVerdict } from '../policy/reasons.js';

/** Reads a property that may be a getter of someone else's (Express's `req.protocol`): a throw counts as absent. */
function readSafely(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * The scheme the client used: Express's `req.protocol` (which believes `X-Forwarded-Proto` only
 * from the peers its `trust proxy` setting names), else HTTP/2's `:scheme`, else the socket.
 */
function requestScheme(req: IncomingMessage, headers: IncomingMessage['headers']): OriginScheme {
  const protocol = readSafely(req, 'protocol');
  if (protocol === 'https' || protocol === 'http') return protocol;
  const pseudo = headers[':scheme'];
  if (pseudo === 'https' || pseudo === 'http') return pseudo;
  const socket = readSafely(req, 'socket') as { encrypted?: unknown } | null | undefined;
  return socket?.encrypted === true ? 'https' : 'http';
}

/**
 * The request's own origin (RFC 6454 §4): its scheme with `Host` (HTTP/1.1) or `:authority`
 * (HTTP/2, RFC 9113 §8.3.1), serialized; `undefined` when there is no valid one.
 *
 * @example
 * ```ts
 * // GET / over TLS with Host: App.Example.com:443
 * ownOrigin(req); // 'https://app.example.com'
 * ```
 */
export function ownOrigin(req: IncomingMessage): string | undefined {
  const headers = readSafely(req, 'headers') as IncomingMessage['headers'] | undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const authority = headers.host ?? headers[':authority'];
  if (typeof authority !== 'string') return undefined;
  return authorityTarget(authority, requestScheme(req, headers))?.origin;
}

/**
 * A denial whose `Origin` is the request's own origin becomes `same-origin`: a browser sends
 * `Origin` on its own site's POST/PUT/DELETE (Fetch §3.1), which needs no grant and is no
 * refusal. Grants are never touched: the `Host` header alone never grants anything.
 */
function relabelSameOrigin(verdict: OriginVerdict, req: IncomingMessage, value: unknown): RequestVerdict {
  if (verdict.allowed || typeof value !== 'string' || verdict.reason === 'origin-missing') return verdict;
  if (value !== ownOrigin(req)) return verdict;
  return verdict.lookup === undefined
    ? { allowed: false, reason: 'same-origin', origin: value }
    : { allowed: false, reason: 'same-origin', origin: value, lookup: verdict.lookup };
}

/**
 * Decides the request's `Origin` under `policy`. Synchronous unless the policy's origin
 * function answers asynchronously; never throws, never rejects.
 *
 * @example
 * ```ts
 * const verdict = decideRequest(compiled, req); // { allowed: false, reason: 'same-origin', ... }
 * ```
 */
export function decideRequest(policy: CompiledPolicy, req: IncomingMessage): RequestVerdict | Promise<RequestVerdict> {
  const headers = readSafely(req, 'headers') as IncomingMessage['headers'] | undefined;
  const value = typeof headers === 'object' && headers !== null ? headers.origin : undefined;
  const verdict = decideOrigin(policy, value, req);
  if (verdict instanceof Promise) return verdict.then((settled) => relabelSameOrigin(settled, req, value));
  return verdict.allowed ? verdict : relabelSameOrigin(verdict, req, value);
}

/** Which policy decided a request, and (once settled) what it decided. */
export interface RequestDecision {
  readonly policy: CompiledPolicy;
  verdict: RequestVerdict | undefined;
}

/**
 * Kept on the request under a symbol: the first corsSafety() that handles a request decides it.
 * A symbol property costs a few nanoseconds per request where a WeakMap entry cost about 0.4 µs
 * (profiled), and it goes away with the request just the same.
 */
const kDecision = Symbol('cors-safety.request-decision');

type DecidedRequest = IncomingMessage & { [kDecision]?: RequestDecision };

/**
 * The decision recorded for this request by the first corsSafety() that handled it.
 *
 * @example
 * ```ts
 * const decided = requestDecision(req); // { policy, verdict } or undefined
 * ```
 */
export function requestDecision(req: IncomingMessage): RequestDecision | undefined {
  return typeof req === 'object' && req !== null ? (req as DecidedRequest)[kDecision] : undefined;
}

/**
 * Records that `policy` decides this request; returns the record to fill in when the verdict
 * settles, or `undefined` when another policy (or this one, mounted twice) got there first.
 *
 * @example
 * ```ts
 * const claim = claimRequest(req, compiled);
 * if (claim === undefined) return next(); // decided elsewhere: pass it on untouched
 * ```
 */
export function claimRequest(req: IncomingMessage, policy: CompiledPolicy): RequestDecision | undefined {
  if (typeof req !== 'object' || req === null || (req as DecidedRequest)[kDecision] !== undefined) return undefined;
  const decision: RequestDecision = { policy, verdict: undefined };
  try {
    (req as DecidedRequest)[kDecision] = decision;
  } catch {
    // A frozen stand-in for a request: decided here, unrecorded (no later instance can see it).
  }
  return decision;
}
