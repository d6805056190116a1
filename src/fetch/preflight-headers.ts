/**
 * The headers of a preflight answer as a Web `Headers` object, built once per distinct granted
 * answer and reused as the init of each new `Response`. Every `Headers.set()` or `append()`
 * converts and validates its name and value (Fetch §5.2; about 0.3 µs each in Node 20's undici),
 * which made a six-header preflight cost twice what the Node adapter pays; a `Headers` init is
 * copied without going through the public methods. No Node imports.
 */
import type { CompiledPolicy } from '../policy/policy.js';
import { REASON_HEADER, reasonHeaderValue } from '../headers/actual-headers.js';
import { ALLOW_PRIVATE_NETWORK, preflightVaryText, type PreflightAnswer } from '../headers/preflight.js';

const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
const ALLOW_HEADERS = 'Access-Control-Allow-Headers';
/** Granted origins kept per policy; when full, the kept answers are dropped and built again as requests come. */
const KEPT_ORIGINS = 512;
/** Answers kept per origin (one per distinct `Access-Control-Request-Headers` list and Private Network Access). */
const KEPT_PER_ORIGIN = 4;

/** A granted answer's headers, with what it varies by besides its origin. */
interface KeptAnswer {
  readonly allowHeaders: string | undefined;
  readonly privateNetwork: boolean;
  readonly headers: Headers;
}

/**
 * Per compiled policy (a live policy's next version starts empty), by the granted origin. Bounded:
 * `reflect-any` grants origins the requester chooses.
 */
const keptAnswers = new WeakMap<CompiledPolicy, Map<string, KeptAnswer[]>>();

/** Every header of `answer`, `Vary` on the preflight's request headers, the reason when the policy exposes it. */
function buildHeaders(policy: CompiledPolicy, answer: PreflightAnswer): Headers {
  // A new Headers holds nothing yet: append() is set() without the search (and measured cheaper).
  const headers = new Headers();
  for (const [name, value] of answer.headers) headers.append(name, value);
  headers.append('Vary', preflightVaryText(policy));
  if (answer.reason !== undefined && policy.exposeReason)
    headers.append(REASON_HEADER, reasonHeaderValue(policy, answer.reason));
  return headers;
}

/**
 * The headers of the answer to a preflight: new for a refusal, kept for a grant. A granted
 * answer (see answerPreflight()) differs between requests under one compiled policy only in
 * `Access-Control-Allow-Origin`, `Access-Control-Allow-Headers` (the validated request list) and
 * `Access-Control-Allow-Private-Network`; the rest comes from the policy. The result is only ever
 * given to `new Response()` as its init, which copies it: it is never handed out.
 *
 * @example
 * ```ts
 * new Response(null, { status: answer.status, headers: preflightHeaders(policy, answer) });
 * ```
 */
export function preflightHeaders(policy: CompiledPolicy, answer: PreflightAnswer): Headers {
  if (!answer.ok) return buildHeaders(policy, answer);
  let allowOrigin: string | undefined;
  let allowHeaders: string | undefined;
  let privateNetwork = false;
  for (const [name, value] of answer.headers) {
    if (name === ALLOW_ORIGIN) allowOrigin = value;
    else if (name === ALLOW_HEADERS) allowHeaders = value;
    else if (name === ALLOW_PRIVATE_NETWORK) privateNetwork = true;
  }
  if (allowOrigin === undefined) return buildHeaders(policy, answer);
  let byOrigin = keptAnswers.get(policy);
  if (byOrigin === undefined) keptAnswers.set(policy, (byOrigin = new Map<string, KeptAnswer[]>()));
  let kept = byOrigin.get(allowOrigin);
  if (kept !== undefined) {
    for (const entry of kept)
      if (entry.allowHeaders === allowHeaders && entry.privateNetwork === privateNetwork) return entry.headers;
  } else {
    if (byOrigin.size >= KEPT_ORIGINS) byOrigin.clear();
    byOrigin.set(allowOrigin, (kept = []));
  }
  const headers = buildHeaders(policy, answer);
  if (kept.length >= KEPT_PER_ORIGIN) kept.length = 0;
  kept.push({ allowHeaders, privateNetwork, headers });
  return headers;
}
