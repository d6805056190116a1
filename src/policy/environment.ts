/**
 * The environment as a policy source: one `CORS_*` variable for every option that is data
 * (`CORS_ALLOWED_ORIGINS` for `origin`, `CORS_MAX_AGE` for `maxAge`, ...). RegExps and origin
 * functions are code; an entry that looks like a RegExp is refused with the pattern to write.
 */
import type { IssueCollector } from './errors.js';
import { quoteForLog, warnOnce } from '../shared/log.js';
import { ownEnvValue } from './option-values.js';
import { closestName } from '../shared/did-you-mean.js';
import { OPTION_DECLARATIONS, type OptionDeclaration } from './option-declarations.js';

/** How a variable's text is read. */
type VariableKind = 'list' | 'boolean' | 'integer';

/**
 * Every variable the policy reads, with the option it sets and how its text is read, from the
 * options' declarations (option-declarations.ts). Lists are comma-separated; `*` alone is the
 * option's `'*'`.
 */
export const ENV_VARIABLES: Readonly<Record<string, { readonly option: string; readonly kind: VariableKind }>> =
  Object.freeze(
    Object.fromEntries(
      Object.entries(OPTION_DECLARATIONS).flatMap(([option, declaration]: [string, OptionDeclaration<unknown>]) =>
        declaration.env === undefined
          ? []
          : [[declaration.env, Object.freeze({ option, kind: variableKind(declaration) })]],
      ),
    ),
  );

function variableKind(declaration: OptionDeclaration<unknown>): VariableKind {
  return declaration.type === 'boolean' || declaration.type === 'integer' ? declaration.type : 'list';
}

const VARIABLE_NAMES = Object.keys(ENV_VARIABLES);

/** Other libraries' names (django-cors-headers, fastify/cors, ...) mapped to ours. */
const VARIABLE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  CORS_ORIGIN: 'CORS_ALLOWED_ORIGINS',
  CORS_ORIGINS: 'CORS_ALLOWED_ORIGINS',
  CORS_ALLOW_ORIGIN: 'CORS_ALLOWED_ORIGINS',
  CORS_ALLOWED_ORIGIN: 'CORS_ALLOWED_ORIGINS',
  CORS_ORIGIN_WHITELIST: 'CORS_ALLOWED_ORIGINS',
  CORS_ALLOWED_ORIGIN_REGEXES: 'CORS_ALLOWED_ORIGINS',
  CORS_ALLOW_ALL_ORIGINS: 'CORS_ALLOWED_ORIGINS',
  CORS_ALLOW_CREDENTIALS: 'CORS_CREDENTIALS',
  CORS_METHODS: 'CORS_ALLOWED_METHODS',
  CORS_ALLOW_METHODS: 'CORS_ALLOWED_METHODS',
  CORS_HEADERS: 'CORS_ALLOWED_HEADERS',
  CORS_ALLOW_HEADERS: 'CORS_ALLOWED_HEADERS',
  CORS_EXPOSE_HEADERS: 'CORS_EXPOSED_HEADERS',
  CORS_PREFLIGHT_MAX_AGE: 'CORS_MAX_AGE',
});

/** The variable an unknown `CORS_*` name most likely meant, if any. */
export function suggestVariableName(name: string): string | undefined {
  if (Object.hasOwn(VARIABLE_ALIASES, name)) return VARIABLE_ALIASES[name];
  return closestName(name, VARIABLE_NAMES);
}

export function parseEnvBoolean(name: string, value: string, issues: IssueCollector): boolean | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes') return true;
  if (lower === 'false' || lower === '0' || lower === 'no' || lower === '') return false;
  issues.add(name, 'env-not-boolean', `is ${JSON.stringify(value)}; set the environment variable to "true" or "false"`);
  return undefined;
}

function parseEnvInteger(name: string, value: string, issues: IssueCollector): number | undefined {
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  issues.add(name, 'env-not-integer', `is ${quoteForLog(value, 40)}; set the environment variable to a whole number`);
  return undefined;
}

function parseEnvList(value: string): string[] | '*' {
  const list = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return list.length === 1 && list[0] === '*' ? '*' : list;
}

/** What the environment says: the options it sets, and whether it names the allowed origins. */
export interface EnvironmentOptions {
  /** True when `CORS_ALLOWED_ORIGINS` or `CORS_ALLOWED_HOSTS` is set (not blank). */
  readonly namesOrigins: boolean;
  /** Options read from the variables, keyed by option name. */
  readonly options: Record<string, unknown>;
  /** Option name -> the variable it came from, for issue paths. */
  readonly paths: Readonly<Record<string, string>>;
}

/**
 * Reads every `CORS_*` variable of {@link ENV_VARIABLES} into options. Unknown `CORS_*` names
 * make one process warning naming the closest variable. `CORS_CREDENTIALS` without origins is
 * refused only under `NODE_ENV=production`, where there is no default origin to send them to.
 */
export function optionsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  issues: IssueCollector,
  production: boolean,
): EnvironmentOptions {
  warnUnknownVariables(env);
  const options = Object.create(null) as Record<string, unknown>;
  const paths = Object.create(null) as Record<string, string>;
  for (const name of VARIABLE_NAMES) {
    // Own properties only: a polluted Object.prototype.CORS_ALLOWED_ORIGINS must not open the policy.
    const value = ownEnvValue(env, name);
    const spec = ENV_VARIABLES[name];
    if (value === undefined || spec === undefined) continue;
    // A blank variable is unset (`CORS_MAX_AGE=` in a .env file), except a blank boolean, which is false.
    if (value.trim() === '' && spec.kind !== 'boolean') continue;
    const parsed =
      spec.kind === 'boolean'
        ? parseEnvBoolean(name, value, issues)
        : spec.kind === 'integer'
          ? parseEnvInteger(name, value, issues)
          : parseEnvList(value);
    if (parsed === undefined) continue;
    options[spec.option] = parsed;
    paths[spec.option] = name;
  }
  const namesOrigins = options.origin !== undefined || options.allowedHosts !== undefined;
  const credentials = ownEnvValue(env, 'CORS_CREDENTIALS');
  if (!namesOrigins && production && credentials !== undefined && credentials.trim() !== '') {
    issues.add(
      'CORS_CREDENTIALS',
      'env-credentials-without-origins',
      'is set but CORS_ALLOWED_ORIGINS and CORS_ALLOWED_HOSTS are not, and under NODE_ENV=production there is ' +
        'no default origin to send credentials to; set CORS_ALLOWED_ORIGINS to the origins of your pages',
    );
  }
  return { namesOrigins, options, paths };
}

/**
 * Whether the development default (loopback origins only) sends credentials when nothing says:
 * yes, so a page on `http://localhost:5173` using cookies or `Authorization` works at once, unless
 * another option rules credentials out (`allowNullOrigin`, `exposedHeaders: '*'`).
 */
export function developmentCredentials(options: Record<string, unknown>): boolean {
  const exposed = options.exposedHeaders;
  const exposeAny =
    exposed === '*' || (Array.isArray(exposed) && exposed.length === 1 && String(exposed[0]).trim() === '*');
  return options.allowNullOrigin !== true && !exposeAny;
}

/** One process warning for `CORS_*` variables the policy does not read, with the likely name. */
function warnUnknownVariables(env: Readonly<Record<string, string | undefined>>): void {
  const unknown: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('CORS_') || name.startsWith('CORS_SAFETY_') || Object.hasOwn(ENV_VARIABLES, name)) continue;
    const suggestion = suggestVariableName(name);
    const shown = quoteForLog(name, 60);
    unknown.push(suggestion === undefined ? shown : `${shown} (did you mean ${suggestion}?)`);
    if (unknown.length >= 10) break;
  }
  if (unknown.length === 0) return;
  warnOnce(
    'CORS_SAFETY_UNKNOWN_ENV',
    `cors-safety: ignoring environment variable${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; ` +
      `the variables read are ${VARIABLE_NAMES.join(', ')}.`,
  );
}

/** The options given in code that have a value: `{ maxAge: undefined }` leaves the environment's. */
export function definedOptions(given: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(given)) if (given[key] !== undefined) out[key] = given[key];
  return out;
}

/**
 * With `origin` or `allowedHosts` in code the environment is not read. One process warning names
 * the variables that are then ignored and whose option the code does not give either (code that
 * reads `CORS_ALLOWED_ORIGINS` itself and passes `origin` is not warned about that variable).
 */
export function warnIgnoredVariables(
  env: Readonly<Record<string, string | undefined>>,
  given: Record<string, unknown>,
): void {
  warnUnknownVariables(env);
  const ignored = VARIABLE_NAMES.filter((name) => {
    const value = ownEnvValue(env, name);
    const option = ENV_VARIABLES[name]?.option ?? '';
    return value !== undefined && value.trim() !== '' && given[option] === undefined;
  });
  if (ignored.length === 0) return;
  warnOnce(
    'CORS_SAFETY_ENV_IGNORED',
    `cors-safety: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} set but not read: the environment ` +
      'is read only when the code gives neither origin nor allowedHosts. Pass the option in code as well, ' +
      'or move origin to CORS_ALLOWED_ORIGINS.',
  );
}
