/**
 * The headers of an actual (non-preflight) response as a pure function: `(policy, verdict) ->
 * the Access-Control-* headers to set, whether Vary: Origin is appended, the reason header`.
 * The Node guard (response-headers.ts) and the Web-standard adapter (src/fetch/) both write
 * exactly this plan, and every other `Access-Control-*` header is removed. No Node imports.
 */
import type { CompiledPolicy } from '../policy/policy.js';
import type { RequestVerdict } from '../policy/reasons.js';
import { warnOnce } from '../shared/log.js';

/**
 * Response header naming the reason code of a denial (outside production by default).
 *
 * @example
 * ```ts
 * const res = await fetch(url, { headers: { Origin: 'https://evil.example' } });
 * res.headers.get(REASON_HEADER); // 'origin-not-allowed' (outside production)
 * ```
 */
export const REASON_HEADER = 'Cors-Safety-Reason';

/** What an actual response carries under one decision. */
export interface ActualHeaderPlan {
  /** `Access-Control-Allow-Origin`: the origin, `*` for a public policy, `undefined` for no grant. */
  readonly allowOrigin: string | undefined;
  /** `Access-Control-Allow-Credentials: true` goes with the grant. */
  readonly credentials: boolean;
  /** `Access-Control-Expose-Headers` of a granted response. */
  readonly exposeHeaders: string | undefined;
  /** Value of the reason header (`Cors-Safety-Reason`) of a refusal, when the policy exposes reasons. */
  readonly reason: string | undefined;
  /** True when `Origin` is appended to `Vary` (Fetch §3.2.4 "CORS protocol and HTTP caches"). */
  readonly varyOrigin: boolean;
}

/**
 * The value of the reason header (`Cors-Safety-Reason`): the reason code, followed for a live policy by the version
 * that decided the request (`origin-not-allowed; policy-version=3`).
 *
 * @example
 * ```ts
 * reasonHeaderValue(compiled, 'origin-not-allowed'); // 'origin-not-allowed' for createCorsPolicy()
 * ```
 */
export function reasonHeaderValue(policy: CompiledPolicy, reason: string): string {
  return policy.version === 0 ? reason : `${reason}; policy-version=${policy.version}`;
}

/**
 * Plans the CORS headers of an actual response (Fetch §3.2.3): exactly one
 * `Access-Control-Allow-Origin` for an allowed origin and nothing for any other, credentials and
 * exposed headers only with a grant, the reason of a refusal when `exposeReason` is on (never for
 * a request without `Origin` or from the server's own origin: nothing was refused), and
 * `Vary: Origin` whenever the answer depends on the origin (not for a public or disabled policy).
 *
 * @example
 * ```ts
 * const plan = planActualHeaders(compiled, { allowed: false, reason: 'origin-not-allowed', origin: 'https://evil.example' });
 * // { allowOrigin: undefined, credentials: false, exposeHeaders: undefined, reason: 'origin-not-allowed', varyOrigin: true }
 * ```
 */
export function planActualHeaders(policy: CompiledPolicy, verdict: RequestVerdict): ActualHeaderPlan {
  const publicMode = policy.mode === 'public';
  const granted = publicMode || verdict.allowed;
  const refused =
    !granted && policy.exposeReason && verdict.reason !== 'origin-missing' && verdict.reason !== 'same-origin';
  return {
    allowOrigin: publicMode ? '*' : verdict.allowed ? verdict.origin : undefined,
    credentials: granted && !publicMode && policy.credentials,
    exposeHeaders: granted ? policy.exposedHeadersHeader : undefined,
    reason: refused ? reasonHeaderValue(policy, verdict.reason) : undefined,
    varyOrigin: !publicMode && policy.mode !== 'disabled',
  };
}

/**
 * The warning when something other than cors-safety writes `Access-Control-Allow-Origin` on a
 * guarded response: the framework's own CORS plugin is active too. cors-safety removes that header
 * (its own grant goes out alone), but two CORS layers disagree about preflights and cost time.
 */
export const DUPLICATE_CORS_WARNING =
  'cors-safety: Access-Control-Allow-Origin was set by something else on a response corsSafety() guards; ' +
  "it was removed. Another CORS layer is active: remove it (@fastify/cors, @koa/cors, hono/cors, NestJS's " +
  'app.enableCors() or enableCors: true, the cors package, next.config headers()). Two CORS answers are what ' +
  'cors-safety doctor reports as allow-origin-duplicated.';

/** Warns once per process that another CORS layer set `Access-Control-Allow-Origin`. */
export function warnDuplicateCors(): void {
  warnOnce('CORS_SAFETY_DUPLICATE_CORS', DUPLICATE_CORS_WARNING);
}
