/**
 * The preflight answer as a pure function: `(policy, origin verdict, requested method and
 * headers) -> status + headers + reason`. The middleware only writes what this returns.
 */
import { isToken, parseHeaderNameList } from '../shared/http-tokens.js';
import { isCorsSafelistedMethod } from '../shared/methods.js';
import type { CompiledPolicy } from '../policy/policy.js';
import type { ReasonCode, RequestVerdict } from '../policy/reasons.js';

/** Header name/value pairs in the order they are set. */
export type HeaderPairs = readonly (readonly [string, string])[];

/** What to answer to one preflight request. */
export interface PreflightAnswer {
  /** True when the browser will go on to send the actual request. */
  readonly ok: boolean;
  readonly status: number;
  readonly headers: HeaderPairs;
  /** Reason code of a failure, `undefined` on success. */
  readonly reason: ReasonCode | undefined;
}

/** Status of a preflight from an origin the policy does not allow. */
export const DENIED_PREFLIGHT_STATUS = 403;

const VARY_PREFLIGHT = Object.freeze(['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers']);
const VARY_PREFLIGHT_PUBLIC = Object.freeze(['Access-Control-Request-Method', 'Access-Control-Request-Headers']);
/** With `allowPrivateNetwork`, the answer also depends on this request header. */
const REQUEST_PRIVATE_NETWORK = 'Access-Control-Request-Private-Network';
const VARY_PREFLIGHT_PNA = Object.freeze([...VARY_PREFLIGHT, REQUEST_PRIVATE_NETWORK]);
const VARY_PREFLIGHT_PUBLIC_PNA = Object.freeze([...VARY_PREFLIGHT_PUBLIC, REQUEST_PRIVATE_NETWORK]);
const VARY_PREFLIGHT_TEXT = VARY_PREFLIGHT.join(', ');
const VARY_PREFLIGHT_PUBLIC_TEXT = VARY_PREFLIGHT_PUBLIC.join(', ');
const VARY_PREFLIGHT_PNA_TEXT = VARY_PREFLIGHT_PNA.join(', ');
const VARY_PREFLIGHT_PUBLIC_PNA_TEXT = VARY_PREFLIGHT_PUBLIC_PNA.join(', ');

/** The `Vary` fields of every preflight answer under this policy. */
export function preflightVary(policy: CompiledPolicy): readonly string[] {
  if (policy.mode === 'public') return policy.allowPrivateNetwork ? VARY_PREFLIGHT_PUBLIC_PNA : VARY_PREFLIGHT_PUBLIC;
  return policy.allowPrivateNetwork ? VARY_PREFLIGHT_PNA : VARY_PREFLIGHT;
}

/** The same fields as one header value. */
export function preflightVaryText(policy: CompiledPolicy): string {
  if (policy.mode === 'public')
    return policy.allowPrivateNetwork ? VARY_PREFLIGHT_PUBLIC_PNA_TEXT : VARY_PREFLIGHT_PUBLIC_TEXT;
  return policy.allowPrivateNetwork ? VARY_PREFLIGHT_PNA_TEXT : VARY_PREFLIGHT_TEXT;
}

/** Response header of a Private Network Access grant (WICG Private Network Access, §3.2). */
export const ALLOW_PRIVATE_NETWORK = 'Access-Control-Allow-Private-Network';

/**
 * Decides a preflight (Fetch §4.8 "CORS-preflight fetch", checked from the server's side).
 *
 * - Origin denied: 403, and nothing granted or reflected.
 * - Origin allowed but method or header refused: the origin is granted and the configured
 *   lists are sent (never the requested values), with an ok status. The browser then reports
 *   the real cause ("Method PUT is not allowed by Access-Control-Allow-Methods") instead of a
 *   missing Access-Control-Allow-Origin.
 * - Success: `optionsSuccessStatus`, the origin, credentials, methods, the requested header
 *   names (each validated against the allow-list) and max-age.
 * - Private Network Access: with `allowPrivateNetwork`, a granted origin whose preflight carried
 *   `Access-Control-Request-Private-Network: true` also gets `Access-Control-Allow-Private-Network: true`.
 *
 * Under one compiled policy a granted answer varies only in `Access-Control-Allow-Origin`,
 * `Access-Control-Allow-Headers` and `Access-Control-Allow-Private-Network`; withCorsSafety()
 * keeps granted answers on that basis (src/fetch/preflight-headers.ts), so keep it so.
 */
export function answerPreflight(
  policy: CompiledPolicy,
  verdict: RequestVerdict,
  requestMethod: string,
  requestHeaders: string | undefined,
  requestPrivateNetwork = false,
): PreflightAnswer {
  let allowOrigin: string;
  if (policy.mode === 'public') allowOrigin = '*';
  else if (verdict.allowed) allowOrigin = verdict.origin;
  else return { ok: false, status: DENIED_PREFLIGHT_STATUS, headers: [], reason: verdict.reason };

  const granted: [string, string][] = [['Access-Control-Allow-Origin', allowOrigin]];
  if (policy.credentials) granted.push(['Access-Control-Allow-Credentials', 'true']);
  if (policy.allowPrivateNetwork && requestPrivateNetwork) granted.push([ALLOW_PRIVATE_NETWORK, 'true']);

  const refuse = (reason: ReasonCode): PreflightAnswer => {
    const headers = [...granted, ['Access-Control-Allow-Methods', policy.methodsHeader] as [string, string]];
    if (policy.allowedHeadersHeader !== '') headers.push(['Access-Control-Allow-Headers', policy.allowedHeadersHeader]);
    return { ok: false, status: policy.optionsSuccessStatus, headers, reason };
  };

  if (!isToken(requestMethod)) return refuse('method-malformed');
  if (!policy.methods.has(requestMethod) && !isCorsSafelistedMethod(requestMethod)) return refuse('method-not-allowed');

  let names: string[] = [];
  if (requestHeaders !== undefined) {
    const parsed = parseHeaderNameList(requestHeaders);
    if (parsed === undefined) return refuse('headers-malformed');
    names = parsed;
  }
  const allowed = policy.allowedHeaders;
  if (allowed !== undefined) {
    for (const name of names) if (!allowed.has(name)) return refuse('header-not-allowed');
  }

  const headers = [...granted, ['Access-Control-Allow-Methods', policy.methodsHeader] as [string, string]];
  // Only names that passed the token check and the allow-list are sent back.
  if (names.length > 0) headers.push(['Access-Control-Allow-Headers', names.join(', ')]);
  headers.push(['Access-Control-Max-Age', policy.maxAgeHeader]);
  return { ok: true, status: policy.optionsSuccessStatus, headers, reason: undefined };
}
