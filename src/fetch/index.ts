/**
 * `cors-safety/fetch`: the policy for Web-standard `Request`/`Response` handlers (Next.js App
 * Router, Hono's `fetch`, Bun, Deno, Cloudflare Workers). Nothing here or in the policy core it
 * uses imports a Node module (test/package/consumer.test.ts checks the built files), and its
 * declarations need no `@types/node` (test/package/fetch-types.test.ts).
 * @packageDocumentation
 */
import { getPublicSuffix } from 'tldts';
import * as tldtsRuleTrie from 'tldts/dist/cjs/src/data/trie.js';
import { installPublicSuffixLoader, installRuleTrieLoader } from '../policy/public-suffix.js';
import { REASON_HEADER as REASON_HEADER_NAME } from '../headers/actual-headers.js';

// Bundled runtimes (Workers, edge) have no lazy require: the Public Suffix List comes in with this entry.
installPublicSuffixLoader(() => ({ getPublicSuffix }));
installRuleTrieLoader(() => tldtsRuleTrie);

export { withCorsSafety, type FetchHandler, type CorsSafetyFetchHandler } from './with-cors-safety.js';
export { CorsConfigError, type CorsConfigIssue } from '../policy/errors.js';
export type { CorsSafetyOptions, OriginOption, OriginFunction } from '../policy/options.js';
export { createCorsPolicy, isCorsPolicy, LOOPBACK_ORIGINS, type CorsPolicy } from '../policy/policy.js';
export type { ReasonCode, RequestVerdict, OriginVerdict } from '../policy/reasons.js';
export type {
  CandidateDecision,
  CorsDecisionEvent,
  DecisionListener,
  DecisionOutcome,
  DecisionTransport,
} from '../policy/decision-types.js';
export type { OriginLookupOptions, OriginLookupResult, OriginLookupCacheResult } from '../policy/origin-lookup.js';

/**
 * Response header naming the reason code of a denial, when the policy has `exposeReason` (outside
 * production by default). The same constant as `cors-safety`'s, declared with its literal type so
 * this entry's declarations need nothing from the Node adapters (no `@types/node`).
 *
 * @example
 * ```ts
 * const response = await handler(new Request(url, { headers: { Origin: 'https://evil.example' } }));
 * response.headers.get(REASON_HEADER); // 'origin-not-allowed' (outside production)
 * ```
 */
export const REASON_HEADER: 'Cors-Safety-Reason' = REASON_HEADER_NAME;
