/**
 * The first phase of createCorsPolicy(): where the options come from. The options object itself
 * (own properties only, unknown keys reported with the closest name), the environment when the
 * code names no origins, and the development or production default when neither does.
 */
import type { PolicySource } from './cors-policy.js';
import { definedOptions, developmentCredentials, optionsFromEnvironment, warnIgnoredVariables } from './environment.js';
import type { IssueCollector } from './errors.js';
import { OPTION_DECLARATIONS, type Environment } from './option-declarations.js';
import { describeValue, isPlainObject, looksLikeRequest, ownEnvValue, ownOptions } from './option-values.js';
import { OPTION_NAMES, suggestOptionName, unknownOptionMessage } from './options.js';

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

/** The options to read, and where their origin rules came from. */
export interface OptionSources {
  /** Own options given in code, over those of the environment or a default (null prototype). */
  readonly effective: Record<string, unknown>;
  readonly source: PolicySource;
  /** `NODE_ENV=production` in the environment read. */
  readonly production: boolean;
}

/**
 * Reads where the options come from; problems go to `issues`. A value that is not an options
 * object at all is thrown at once (nothing else can be read from it).
 */
export function readOptionSources(options: unknown, issues: IssueCollector): OptionSources {
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
  const env = OPTION_DECLARATIONS.env.read(given, 'env', issues);
  const production = ownEnvValue(env, 'NODE_ENV') === 'production';
  if (given.origin !== undefined || given.allowedHosts !== undefined) {
    warnIgnoredVariables(env, given);
    return { effective: given, source: 'options', production };
  }
  return defaultSources(given, env, issues, production);
}

/** With neither `origin` nor `allowedHosts` in code: the environment, else a default by `NODE_ENV`. */
function defaultSources(
  given: Record<string, unknown>,
  env: Environment,
  issues: IssueCollector,
  production: boolean,
): OptionSources {
  const fromEnv = optionsFromEnvironment(env, issues, production);
  // Options given in code win over the environment, key by key; issues name the variable.
  const effective = Object.assign(fromEnv.options, definedOptions(given));
  issues.renamePaths(fromEnv.paths);
  if (fromEnv.namesOrigins) return { effective, source: 'environment', production };
  effective.origin = production ? false : LOOPBACK_ORIGINS.slice();
  if (!production) effective.credentials ??= developmentCredentials(effective);
  return { effective, source: production ? 'production-default' : 'development-default', production };
}
