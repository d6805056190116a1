/**
 * `cors-safety/fetch`: the policy for Web-standard `Request`/`Response` handlers (Next.js App
 * Router, Hono's `fetch`, Bun, Deno, Cloudflare Workers). Nothing here or in the policy core it
 * uses imports a Node module (test/package/fetch-entry.test.ts checks the built files).
 * @packageDocumentation
 */
import { getPublicSuffix } from 'tldts';
import * as tldtsRuleTrie from 'tldts/dist/cjs/src/data/trie.js';
import { installPublicSuffixLoader, installRuleTrieLoader } from '../policy/public-suffix.js';

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
export { REASON_HEADER } from '../headers/actual-headers.js';
