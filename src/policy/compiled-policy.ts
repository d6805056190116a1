/**
 * The compiled form behind a `CorsPolicy` (`CompiledPolicy`: lookup structures and precomputed
 * header values), and the registry that maps each public policy to the cell its compiled form is
 * read from, once per request.
 */
import type { CorsPolicy, PolicyMode, PolicySource } from './cors-policy.js';
import type { DecisionListener } from './decision-types.js';
import type { DynamicOrigins } from './dynamic-origins.js';
import type { HostRules } from './host-rules.js';
import type { OriginFunction } from './origin-option.js';
import type { OriginLookupCache } from './origin-lookup.js';
import type { OriginVerdict } from './reasons.js';
import type { LinearMatcher } from './regexp-engine.js';

/** The compiled form behind a {@link CorsPolicy}; internal to this package. */
export interface CompiledPolicy {
  readonly mode: PolicyMode;
  /** Where its origin rules came from (for the public summary). */
  readonly source: PolicySource;
  /** Every origin rule in canonical form, as `CorsPolicy.rules` shows them. */
  readonly rules: readonly string[];
  /** Exact origins, each with its (frozen, shared) verdict: an allowed request allocates nothing. */
  readonly exact: ReadonlyMap<string, OriginVerdict>;
  readonly originRules: HostRules;
  readonly regexps: readonly { readonly re: RegExp; readonly rule: string; readonly matcher: LinearMatcher }[];
  readonly hostRules: HostRules;
  readonly originFunction: OriginFunction | undefined;
  readonly allowNullOrigin: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly credentials: boolean;
  readonly methods: ReadonlySet<string>;
  /** Precomputed `Access-Control-Allow-Methods` value. */
  readonly methodsHeader: string;
  /** Lowercase allowed request header names, or `undefined` for any well-formed name. */
  readonly allowedHeaders: ReadonlySet<string> | undefined;
  /** Precomputed `Access-Control-Allow-Headers` value sent when a requested header is refused. */
  readonly allowedHeadersHeader: string;
  readonly exposedHeadersHeader: string | undefined;
  readonly maxAgeHeader: string;
  readonly preflightContinue: boolean;
  readonly optionsSuccessStatus: number;
  readonly originCheckTimeout: number;
  readonly exposeReason: boolean;
  /**
   * Which version of its policy this snapshot is: 0 for a policy from `createCorsPolicy()`
   * (it never changes), 1 and up for a live policy, one more with every change.
   */
  readonly version: number;
  /** Origins added at run time by a live policy's `update()`; `undefined` for an immutable policy. */
  readonly dynamic: DynamicOrigins | undefined;
  /** Cached answers for origins no rule matched; `undefined` without the `originLookup` option. */
  readonly lookup: OriginLookupCache | undefined;
  /** `onDecision` and the `reportOnly` candidate (src/events/ reads them). */
  readonly observation: Observation;
}

/**
 * Where the entry points read a policy's compiled form: once per request or handshake, when it
 * starts (one policy per request). An immutable policy's cell never changes; a live policy
 * replaces `current` as a whole with every change (an atomic reference, as jub0bs/cors does).
 */
export interface PolicyCell {
  readonly current: CompiledPolicy;
}

const compiledPolicies = new WeakMap<CorsPolicy, PolicyCell>();

/** Registers a policy object made elsewhere in this package (the live policy). Internal. */
export function registerPolicy(policy: CorsPolicy, cell: PolicyCell): void {
  compiledPolicies.set(policy, cell);
}

/**
 * True when `value` is a policy made by {@link createCorsPolicy}.
 *
 * @example
 * ```ts
 * const policy = isCorsPolicy(input) ? input : createCorsPolicy(input);
 * ```
 */
export function isCorsPolicy(value: unknown): value is CorsPolicy {
  return typeof value === 'object' && value !== null && compiledPolicies.has(value as CorsPolicy);
}

/** The cell the entry points read a policy's compiled form from, per request. Internal. */
export function policyCell(policy: CorsPolicy): PolicyCell {
  const cell = compiledPolicies.get(policy);
  if (cell === undefined) throw new TypeError('cors-safety: not a policy made by createCorsPolicy()');
  return cell;
}

/** The compiled structures behind a policy, as they are now (a snapshot for a live policy). Internal. */
export function compiledPolicy(policy: CorsPolicy): CompiledPolicy {
  return policyCell(policy).current;
}

/** What the compiled policy keeps of the observation options. */
export interface Observation {
  readonly onDecision: DecisionListener | undefined;
  /** The candidate policy as given or built, for the public summary. */
  readonly reportOnly: CorsPolicy | undefined;
  /** Its compiled form, evaluated for every decision. */
  readonly candidate: CompiledPolicy | undefined;
}
