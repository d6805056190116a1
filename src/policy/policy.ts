/**
 * createCorsPolicy(): validates options once, compiles them into lookup structures and returns
 * an immutable policy shared by the middleware, the error handler, the upgrade guard and the
 * origin validator.
 */
import { CorsConfigError, IssueCollector } from './errors.js';
import { logPolicy, quoteForLog, warnOnce } from '../shared/log.js';
import {
  OPTION_NAMES,
  suggestOptionName,
  unknownOptionMessage,
  type CorsSafetyOptions,
  type OriginOption,
} from './options.js';
import { describeValue, isPlainObject, looksLikeRequest, ownEnvValue, ownOptions } from './option-values.js';
import { definedOptions, developmentCredentials, optionsFromEnvironment, warnIgnoredVariables } from './environment.js';
import { readBoolean, readInteger, readTokenList } from './option-readers.js';
import { allowedHeaderProblem, exposedHeaderProblem, methodProblem } from '../shared/forbidden-names.js';
import { PolicyBuilder } from './policy-builder.js';
import { readOriginLookup } from './origin-lookup.js';
import { readObservation } from './observation-options.js';
import { isCorsPolicy, registerPolicy, type CompiledPolicy } from './compiled-policy.js';
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

/**
 * Loopback origins on any port: `localhost`, `127.0.0.1` and `[::1]`, over http and https
 * (`vite --https` serves `https://localhost:5173`; Capacitor 6 on Android is `https://localhost`).
 * A browser sees each host and scheme as a distinct origin; list them all for local development.
 *
 * @example
 * ```ts
 * corsSafety({ origin: [...LOOPBACK_ORIGINS, 'https://app.example.com'] });
 * ```
 */
export const LOOPBACK_ORIGINS: readonly string[] = Object.freeze([
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
  'https://localhost:*',
  'https://127.0.0.1:*',
  'https://[::1]:*',
]);

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];
const DEFAULT_ALLOWED_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'content-language',
  'content-type',
  'x-requested-with',
];
/** Methods whose case the Fetch standard normalises (§2.2.1 "normalize a method"). */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const DEFAULT_MAX_AGE = 600;
const DEFAULT_TIMEOUT_MS = 2000;

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
 */
export function buildCorsPolicy(
  options: CorsSafetyOptions | CorsPolicy | undefined,
  prebuilt: PolicyBuilder | undefined,
): CorsPolicy {
  if (isCorsPolicy(options)) return options;
  const issues = prebuilt?.issues ?? new IssueCollector();
  // A request is checked first: test doubles for `req` are often plain objects.
  if (options !== undefined && (!isPlainObject(options) || looksLikeRequest(options))) {
    const hint = looksLikeRequest(options)
      ? 'it looks like a request: was a factory passed to app.use() without being called? Write app.use(corsSafety()) and app.use(corsErrorHandler(policy))'
      : `got ${describeValue(options)}`;
    issues.add('(options)', 'options-type', `must be a plain object such as { origin: [...] }; ${hint}`);
    issues.throwIfAny();
  }
  const given = ownOptions(options);
  for (const key of Object.keys(given)) {
    if ((OPTION_NAMES as readonly string[]).includes(key)) continue;
    issues.add(key, 'unknown-option', unknownOptionMessage('the policy', suggestOptionName(key), OPTION_NAMES));
  }
  const envOption = given.env;
  // process.env itself is not a plain object (its prototype is not Object.prototype).
  const envIsObject = typeof envOption === 'object' && envOption !== null && !Array.isArray(envOption);
  if (envOption !== undefined && !envIsObject) {
    issues.add('env', 'env-type', 'must be an object of environment variables, like process.env');
  }
  // Workers have no `process`: their defaults come from `env` or the options alone.
  const hostEnv = (globalThis as { process?: { env?: unknown } }).process?.env ?? {};
  const env = (envIsObject ? envOption : hostEnv) as Readonly<Record<string, string | undefined>>;
  const production = ownEnvValue(env, 'NODE_ENV') === 'production';

  let source: PolicySource = 'options';
  let effective = given;
  if (given.origin === undefined && given.allowedHosts === undefined) {
    const fromEnv = optionsFromEnvironment(env, issues, production);
    // Options given in code win over the environment, key by key; issues name the variable.
    effective = Object.assign(fromEnv.options, definedOptions(given));
    issues.renamePaths(fromEnv.paths);
    if (fromEnv.namesOrigins) source = 'environment';
    else {
      source = production ? 'production-default' : 'development-default';
      effective.origin = production ? false : LOOPBACK_ORIGINS.slice();
      if (!production) effective.credentials ??= developmentCredentials(effective);
    }
  } else warnIgnoredVariables(env, given);

  const allowSuffixesBelow = readBoolean(effective, 'dangerouslyAllowPublicSuffixesUnderWildcards', false, issues);
  const builder = prebuilt ?? new PolicyBuilder(issues, allowSuffixesBelow);
  if (effective.origin !== undefined && prebuilt === undefined)
    builder.addOrigin(effective.origin as OriginOption, 'origin');
  if (effective.allowedHosts !== undefined) {
    const hosts = effective.allowedHosts;
    const path = 'allowedHosts';
    if (typeof hosts === 'string') builder.addAllowedHost(hosts, path);
    else if (Array.isArray(hosts)) {
      if (hosts.length === 0)
        issues.add(
          path,
          'allowed-hosts-empty',
          'is an empty list; list the hosts this server answers to, or leave the option out',
        );
      (hosts as unknown[]).forEach((entry, i) => builder.addAllowedHost(entry, `${path}[${i}]`));
    } else
      issues.add(path, 'allowed-hosts-type', `must be a string or an array of strings, got ${describeValue(hosts)}`);
  }

  const credentials = readBoolean(effective, 'credentials', false, issues);
  const dangerous = readBoolean(effective, 'dangerouslyAllowAnyOriginWithCredentials', false, issues);
  const allowNullOrigin = readBoolean(effective, 'allowNullOrigin', false, issues);
  const allowPrivateNetwork = readBoolean(effective, 'allowPrivateNetwork', false, issues);
  const preflightContinue = readBoolean(effective, 'preflightContinue', false, issues);
  const exposeReason = readBoolean(effective, 'exposeReason', !production, issues);
  const maxAge = readInteger(effective, 'maxAge', DEFAULT_MAX_AGE, 0, 86400, 'seconds; Chromium caps at 7200', issues);
  const optionsSuccessStatus = readInteger(
    effective,
    'optionsSuccessStatus',
    204,
    200,
    299,
    'a preflight must get an ok status, Fetch §4.8',
    issues,
  );
  const originCheckTimeout = readInteger(
    effective,
    'originCheckTimeout',
    DEFAULT_TIMEOUT_MS,
    1,
    60000,
    'milliseconds',
    issues,
  );

  const originLookup = readOriginLookup(effective.originLookup, issues);

  const issuesBeforeMethods = issues.count;
  // Browsers upper-case these six before sending (Fetch §2.2.1), so "put" in the config can only
  // mean PUT. Any other method, PATCH included, is compared exactly as written.
  const methods = readTokenList(effective, 'methods', DEFAULT_METHODS, issues, false, methodProblem, (m) =>
    NORMALIZED_METHODS.has(m.toUpperCase()) ? m.toUpperCase() : m,
  ) as string[];
  // Only when nothing else was said about methods: `methods: "*"` needs one message, not two.
  if (methods.length === 0 && issues.count === issuesBeforeMethods && effective.methods !== undefined)
    issues.add('methods', 'methods-empty', 'is empty; list at least one method, e.g. "GET"');
  const headersRaw = readTokenList(
    effective,
    allowedHeadersKey(effective, issues),
    DEFAULT_ALLOWED_HEADERS,
    issues,
    true,
    allowedHeaderProblem,
  );
  const allowedHeaders = headersRaw === '*' ? '*' : headersRaw.map((h) => h.toLowerCase());
  const exposedRaw = readTokenList(effective, 'exposedHeaders', [], issues, true, exposedHeaderProblem);

  // Fetch §3.2.3 / §4.9: "*" never works with credentials; refuse rather than reflect silently.
  const anyOrigin = builder.mode === 'public' || builder.mode === 'reflect-any';
  if (credentials && anyOrigin) {
    if (dangerous) builder.mode = 'reflect-any';
    else {
      issues.add(
        'credentials',
        'credentials-with-any-origin',
        'is true while origin is "*" or true, which would let every website act as your logged-in users; list the origins you trust (or, only for a closed network, set dangerouslyAllowAnyOriginWithCredentials: true)',
      );
    }
  } else if (dangerous) {
    issues.add(
      'dangerouslyAllowAnyOriginWithCredentials',
      'dangerous-option-unused',
      'has no effect unless origin is "*" or true and credentials is true; remove it',
    );
  }
  if (anyOrigin && effective.allowedHosts !== undefined) {
    issues.add(
      'allowedHosts',
      'allowed-hosts-with-any-origin',
      'has no effect when origin is "*" or true, which already allow every origin; remove one of them',
    );
  }
  if (allowNullOrigin && credentials) {
    issues.add(
      'allowNullOrigin',
      'null-origin-with-credentials',
      'cannot be true with credentials: the "null" origin is shared by every sandboxed iframe and file: page; remove allowNullOrigin or set credentials: false',
    );
  }
  if (exposedRaw === '*' && credentials) {
    issues.add(
      'exposedHeaders',
      'expose-star-with-credentials',
      '"*" is not a wildcard when credentials are on (Fetch §3.2.3); list the headers to expose',
    );
  }
  const observation = readObservation(effective, issues);
  issues.throwIfAny();

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

  // Plain http off this machine: anyone on the network path can run script in that origin and
  // then use the user's credentials (Fetch §3.2, "secure context" in the HTML standard).
  if (credentials && builder.plainHttpRules.length > 0) {
    warnOnce(
      'CORS_SAFETY_INSECURE_ORIGIN',
      `cors-safety: credentials are on and these origins use plain http on another machine: ${builder.plainHttpRules
        .map((rule) => quoteForLog(rule, 120))
        .join(', ')}. Anyone on the network path can inject script into those pages and act as your users; ` +
        'serve them over https (http is quiet only for loopback hosts).',
    );
  }

  const compiled: CompiledPolicy = {
    mode: builder.mode,
    exact: builder.exact,
    originRules: builder.originRules,
    regexps: Object.freeze(builder.regexps.map((r) => Object.freeze(r))),
    hostRules: builder.hostRules,
    originFunction: builder.originFunction,
    allowNullOrigin,
    allowPrivateNetwork,
    credentials,
    methods: new Set(methods),
    methodsHeader: methods.join(', '),
    allowedHeaders: allowedHeaders === '*' ? undefined : new Set(allowedHeaders),
    allowedHeadersHeader: allowedHeaders === '*' ? '' : allowedHeaders.join(', '),
    exposedHeadersHeader: exposedRaw === '*' ? '*' : exposedRaw.length > 0 ? exposedRaw.join(', ') : undefined,
    // 0 is sent as 0: it tells the browser not to cache the answer at all.
    maxAgeHeader: String(maxAge),
    preflightContinue,
    optionsSuccessStatus,
    originCheckTimeout,
    exposeReason,
    version: 0,
    dynamic: undefined,
    lookup: originLookup,
    observation,
  };
  const policy: CorsPolicy = Object.freeze({
    mode: builder.mode,
    source,
    rules: Object.freeze(builder.rules.slice()),
    credentials,
    methods: Object.freeze(methods.slice()),
    allowedHeaders: allowedHeaders === '*' ? '*' : Object.freeze(allowedHeaders.slice()),
    exposedHeaders: Object.freeze(exposedRaw === '*' ? ['*'] : exposedRaw.slice()),
    maxAge,
    preflightContinue,
    optionsSuccessStatus,
    allowNullOrigin,
    allowPrivateNetwork,
    originCheckTimeout,
    exposeReason,
    hasOriginFunction: builder.originFunction !== undefined,
    reportOnly: observation.reportOnly,
  });
  registerPolicy(policy, Object.freeze({ current: Object.freeze(compiled) }));
  logPolicy(
    'policy compiled from %s: mode=%s, %d rules, credentials=%s',
    source,
    builder.mode,
    builder.rules.length,
    credentials,
  );
  return policy;
}

/**
 * Which key holds the allowed request headers: `allowedHeaders`, or `headers` (the `cors`
 * package's alias) when only that one is given. Both, with different lists, is an error.
 */
function allowedHeadersKey(options: Record<string, unknown>, issues: IssueCollector): 'allowedHeaders' | 'headers' {
  if (options.headers === undefined) return 'allowedHeaders';
  if (options.allowedHeaders === undefined) return 'headers';
  const same = JSON.stringify(options.headers) === JSON.stringify(options.allowedHeaders);
  if (!same)
    issues.add(
      'headers',
      'headers-alias-conflict',
      "is the cors package's name for allowedHeaders, which is also given with other headers; keep one list in allowedHeaders",
    );
  return 'allowedHeaders';
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
