/**
 * The public summary of a policy, `CorsPolicy`, and the words it is described with (`PolicyMode`,
 * `PolicySource`). Types only: every module may import them without importing the policy's code.
 */

/**
 * How the policy answers origins, decided at construction.
 *
 * @example
 * ```ts
 * if (policy.mode === 'public') console.log('Access-Control-Allow-Origin: * for everyone');
 * ```
 */
export type PolicyMode =
  /** Only origins matching the rules are allowed. */
  | 'allow-list'
  /** `Access-Control-Allow-Origin: *`, no credentials. */
  | 'public'
  /** Any well-formed origin is reflected (`origin: true`, or the dangerous credentials option). */
  | 'reflect-any'
  /** No cross-origin access (`origin: false`, or production with no configuration). */
  | 'disabled';

/**
 * Where the policy's origin rules came from.
 *
 * @example
 * ```ts
 * if (policy.source === 'development-default') console.warn('CORS: loopback origins only; set CORS_ALLOWED_ORIGINS');
 * ```
 */
export type PolicySource = 'options' | 'environment' | 'development-default' | 'production-default';

/**
 * An immutable, compiled CORS policy. Create it once with {@link createCorsPolicy} and pass it to
 * `corsSafety()`, `corsErrorHandler()`, `upgradeGuard()` and `createOriginValidator()` so all of
 * them enforce the same rules. The fields are a read-only summary for diagnostics.
 *
 * @example
 * ```ts
 * const policy: CorsPolicy = createCorsPolicy({ origin: 'https://app.example.com' });
 * console.log(policy.rules); // ['https://app.example.com']
 * ```
 */
export interface CorsPolicy {
  readonly mode: PolicyMode;
  readonly source: PolicySource;
  /**
   * Every origin rule in canonical form, in the order configured, e.g. `https://*.example.com`,
   * `allowedHosts: .example.com`; an exact origin given twice is listed once.
   */
  readonly rules: readonly string[];
  readonly credentials: boolean;
  readonly methods: readonly string[];
  /** Lowercase header names, or `'*'` for any well-formed name. */
  readonly allowedHeaders: readonly string[] | '*';
  readonly exposedHeaders: readonly string[];
  readonly maxAge: number;
  readonly preflightContinue: boolean;
  readonly optionsSuccessStatus: number;
  readonly allowNullOrigin: boolean;
  /** Answer Private Network Access preflights of allowed origins. */
  readonly allowPrivateNetwork: boolean;
  readonly originCheckTimeout: number;
  readonly exposeReason: boolean;
  /** True when an origin function is configured: checks may then return a Promise. */
  readonly hasOriginFunction: boolean;
  /** The candidate evaluated beside this policy but never enforced (the `reportOnly` option). */
  readonly reportOnly: CorsPolicy | undefined;
}
