/**
 * createCorsPolicy(): validates options once, compiles them into lookup structures and returns
 * an immutable policy shared by the middleware, the error handler, the upgrade guard and the
 * origin validator.
 */
import { CorsConfigError, IssueCollector } from './errors.js';
import { logPolicy, quoteForLog, warnOnce } from '../shared/log.js';
import type { CorsSafetyOptions } from './options.js';
import { isPlainObject } from './option-values.js';
import type { ReadContext } from './option-declarations.js';
import { LOOPBACK_ORIGINS, readOptionSources } from './option-sources.js';
import { readObservers, readPolicyFields, type PolicyFields } from './policy-fields.js';
import { checkCombinations } from './option-combinations.js';
import { compilePolicy } from './compile-policy.js';
import { summarizePolicy } from './policy-summary.js';
import type { PolicyBuilder } from './policy-builder.js';
import { isCorsPolicy, registerPolicy } from './compiled-policy.js';
import type { CorsPolicy, PolicySource } from './cors-policy.js';

export {
  compiledPolicy,
  isCorsPolicy,
  policyCell,
  registerPolicy,
  type CompiledPolicy,
  type PolicyCell,
} from './compiled-policy.js';
export type { CorsPolicy, PolicyMode, PolicySource } from './cors-policy.js';
export { LOOPBACK_ORIGINS } from './option-sources.js';

/**
 * Validates and compiles options into an immutable {@link CorsPolicy}. All problems are reported
 * at once in one {@link CorsConfigError}. Passing a policy returns it unchanged.
 *
 * With neither `origin` nor `allowedHosts`, the rules come from `CORS_ALLOWED_ORIGINS`,
 * `CORS_ALLOWED_HOSTS` and `CORS_CREDENTIALS`; with none of those set, loopback origins on any
 * port are allowed outside `NODE_ENV=production`, and nothing cross-origin in production.
 *
 * @example
 * ```ts
 * const policy = createCorsPolicy({
 *   origin: ['https://app.example.com', 'https://*.preview.example.com'],
 *   credentials: true,
 * });
 * app.use(corsSafety(policy));
 * server.on('upgrade', upgradeGuard(policy, (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))));
 * ```
 */
export function createCorsPolicy(options?: CorsSafetyOptions | CorsPolicy): CorsPolicy {
  return buildCorsPolicy(options, undefined);
}

/**
 * {@link createCorsPolicy}, optionally with the `origin` array already compiled into `prebuilt`
 * (a live policy's reconfigure() compiles a long list in slices); its issues are reported with
 * the rest. Internal.
 *
 * The phases, each in its own module: where the options come from (option-sources.ts), every
 * field read and validated by its declaration (policy-fields.ts), the combinations
 * (option-combinations.ts), then, with no issue left, the compiled policy (compile-policy.ts)
 * and the public summary derived from it (policy-summary.ts).
 */
export function buildCorsPolicy(
  options: CorsSafetyOptions | CorsPolicy | undefined,
  prebuilt: PolicyBuilder | undefined,
): CorsPolicy {
  if (isCorsPolicy(options)) return options;
  const issues = prebuilt?.issues ?? new IssueCollector();
  const { effective, source, production } = readOptionSources(options, issues);
  const context: ReadContext = { production, build: buildCandidate };
  const fields = readPolicyFields(effective, issues, context, prebuilt);
  const mode = checkCombinations(fields, issues);
  const observation = readObservers(effective, issues, context);
  issues.throwIfAny();

  warnAboutPolicy(source, fields);
  const compiled = compilePolicy(fields, { mode, source, observation });
  const policy = summarizePolicy(compiled);
  registerPolicy(policy, Object.freeze({ current: compiled }));
  logPolicy(
    'policy compiled from %s: mode=%s, %d rules, credentials=%s',
    source,
    mode,
    compiled.rules.length,
    compiled.credentials,
  );
  return policy;
}

/** Builds a `reportOnly` candidate from its options (they are checked to be a plain object first). */
function buildCandidate(options: Readonly<Record<string, unknown>>): CorsPolicy {
  return createCorsPolicy(options);
}

/** The log line of a default policy, and the process warnings a valid policy can still deserve. */
function warnAboutPolicy(source: PolicySource, fields: PolicyFields): void {
  const { credentials } = fields.values;
  if (source === 'development-default') {
    logPolicy(
      'no CORS configuration: development default allows %s, credentials %s (set CORS_ALLOWED_ORIGINS to change)',
      LOOPBACK_ORIGINS.join(', '),
      credentials ? 'on' : 'off',
    );
  } else if (source === 'production-default') {
    warnOnce(
      'CORS_SAFETY_NOT_CONFIGURED',
      'cors-safety: no CORS configuration and NODE_ENV=production, so cross-origin access is off. Set CORS_ALLOWED_ORIGINS (comma-separated) or pass { origin: [...] }.',
    );
  }
  const plainHttpRules = fields.builder.plainHttpRules;
  // Plain http off this machine: anyone on the network path can run script in that origin and
  // then use the user's credentials (Fetch §3.2, "secure context" in the HTML standard).
  if (credentials && plainHttpRules.length > 0) {
    warnOnce(
      'CORS_SAFETY_INSECURE_ORIGIN',
      `cors-safety: credentials are on and these origins use plain http on another machine: ${plainHttpRules
        .map((rule) => quoteForLog(rule, 120))
        .join(', ')}. Anyone on the network path can inject script into those pages and act as your users; ` +
        'serve them over https (http is quiet only for loopback hosts).',
    );
  }
}

/** Keys that belong to another factory's own options, and how to say so. */
export interface MisplacedOptions {
  readonly names: readonly string[];
  readonly code: string;
  readonly message: (key: string) => string;
}

/**
 * Builds a policy like {@link createCorsPolicy}, but adds its configuration issues to `issues`
 * instead of throwing, so a factory with options of its own (the error handler, the upgrade
 * guard) can report every problem in one `CorsConfigError`. Keys listed in `misplaced` are taken
 * out of the policy options and reported as belonging to that factory.
 */
export function collectPolicy(
  policyOrOptions: unknown,
  issues: IssueCollector,
  misplaced?: MisplacedOptions,
): CorsPolicy | undefined {
  if (isCorsPolicy(policyOrOptions)) return policyOrOptions;
  let given = policyOrOptions;
  if (misplaced !== undefined && isPlainObject(given)) {
    const wrong = Object.keys(given).filter((key) => misplaced.names.includes(key));
    for (const key of wrong) issues.add(key, misplaced.code, misplaced.message(key));
    if (wrong.length > 0) given = Object.fromEntries(Object.entries(given).filter(([key]) => !wrong.includes(key)));
  }
  try {
    return createCorsPolicy(given as CorsSafetyOptions | undefined);
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    for (const issue of err.issues) issues.add(issue.path, issue.code, issue.message);
    return undefined;
  }
}
