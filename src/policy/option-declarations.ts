/**
 * Every option of the policy, declared once: the type of value it takes, its default, the
 * environment variable that sets it, how it is read and validated, and one line of doc.
 * `OPTION_NAMES` (options.ts), the `CORS_*` variables (environment.ts) and the validation of each
 * field (policy-fields.ts) are derived from this table; options.ts holds the public
 * `CorsSafetyOptions` type, and does not compile unless both name the same options.
 */
import type { CorsPolicy } from './cors-policy.js';
import type { IssueCollector } from './errors.js';
import { readCandidate, readListener } from './observation-options.js';
import { readBoolean, readInteger, readTokenList } from './option-readers.js';
import { readOriginLookup } from './origin-lookup.js';
import { normalizeMethod } from '../shared/methods.js';
import {
  allowedHeaderProblem,
  exposedHeaderProblem,
  methodProblem,
  type EntryProblem,
} from '../shared/forbidden-names.js';

/** Options as read: a null-prototype record of own properties (see `ownOptions`). */
export type OptionRecord = Readonly<Record<string, unknown>>;

/** The environment a policy reads its defaults from: `process.env`, or the `env` option. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** What some readers need beyond the options themselves. */
export interface ReadContext {
  /** `NODE_ENV` is `production` (in the environment read). */
  readonly production: boolean;
  /** Builds a policy from options: `createCorsPolicy()`, for the `reportOnly` candidate. */
  readonly build: (options: OptionRecord) => CorsPolicy;
}

/**
 * The type of value an option takes. For an option with an environment variable it also says how
 * the variable's text is read: `boolean`, `integer`, or a comma-separated `list`.
 */
export type OptionType = 'boolean' | 'integer' | 'list' | 'origin' | 'object' | 'function' | 'policy' | 'environment';

/** One option: everything the code knows about it, in one place. */
export interface OptionDeclaration<T> {
  readonly type: OptionType;
  /** The `CORS_*` variable that sets it when the policy is read from the environment. */
  readonly env: string | undefined;
  /** Its value when not given; `undefined` when the option has no value of its own then. */
  readonly fallback: T | ((context: ReadContext) => T);
  /** One line for readers of the code and of the docs. */
  readonly doc: string;
  /**
   * Reads `options[name]` (the effective options), reporting each problem to `issues`; a value
   * with problems reads as the fallback, so every other option is still checked.
   */
  readonly read: (options: OptionRecord, name: string, issues: IssueCollector, context: ReadContext) => T;
}

/** The fallback of a declaration in a context. */
function resolve<T>(fallback: T | ((context: ReadContext) => T), context: ReadContext): T {
  return typeof fallback === 'function' ? (fallback as (context: ReadContext) => T)(context) : fallback;
}

function booleanOption(
  env: string | undefined,
  fallback: boolean | ((context: ReadContext) => boolean),
  doc: string,
): OptionDeclaration<boolean> {
  return {
    type: 'boolean',
    env,
    fallback,
    doc,
    read: (options, name, issues, context) => readBoolean(options, name, resolve(fallback, context), issues),
  };
}

/** An integer from `min` to `max`; `hint` names its unit or the rule behind the range. */
function integerOption(
  env: string,
  fallback: number,
  range: { readonly min: number; readonly max: number; readonly hint: string },
  doc: string,
): OptionDeclaration<number> {
  return {
    type: 'integer',
    env,
    fallback,
    doc,
    read: (options, name, issues) => readInteger(options, name, fallback, range.min, range.max, range.hint, issues),
  };
}

/** How the items of a token list are checked. */
interface TokenListRules {
  /** `'*'` alone is accepted (any name). */
  readonly star: boolean;
  /** Checks each well-formed item (after `normalize`); a problem refuses the item. */
  readonly itemProblem: (item: string) => EntryProblem | undefined;
  readonly normalize?: ((item: string) => string) | undefined;
}

function tokenListOption(
  env: string | undefined,
  fallback: readonly string[],
  rules: TokenListRules,
  doc: string,
): OptionDeclaration<string[] | '*'> {
  return {
    type: 'list',
    env,
    fallback: fallback.slice(),
    doc,
    read: (options, name, issues) =>
      readTokenList(options, name, fallback, issues, rules.star, rules.itemProblem, rules.normalize),
  };
}

/** An option whose value another phase reads: returned as given. */
function givenValue(options: OptionRecord, name: string): unknown {
  return options[name];
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];
const DEFAULT_ALLOWED_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'content-language',
  'content-type',
  'x-requested-with',
];

const METHODS = tokenListOption(
  'CORS_ALLOWED_METHODS',
  DEFAULT_METHODS,
  {
    star: false,
    itemProblem: methodProblem,
    // Browsers upper-case these six before sending (Fetch §2.2.1), so "put" in the config can only
    // mean PUT. Any other method, PATCH included, is compared exactly as written.
    normalize: normalizeMethod,
  },
  'Methods allowed by preflight (Access-Control-Allow-Methods).',
);

const ALLOWED_HEADERS = tokenListOption(
  'CORS_ALLOWED_HEADERS',
  DEFAULT_ALLOWED_HEADERS,
  { star: true, itemProblem: allowedHeaderProblem },
  "Request headers allowed by preflight, or '*' for any well-formed name (Access-Control-Allow-Headers).",
);

/**
 * Which key holds the allowed request headers: `allowedHeaders`, or `headers` (the `cors`
 * package's alias) when only that one is given. Both, with different lists, is an error.
 */
function allowedHeadersKey(options: OptionRecord, issues: IssueCollector): 'allowedHeaders' | 'headers' {
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

/** Reads `env`: an object of variables; anything else is an issue and the host's environment is read. */
function readEnvironment(options: OptionRecord, name: string, issues: IssueCollector): Environment {
  const value = options[name];
  // process.env itself is not a plain object (its prototype is not Object.prototype).
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (value !== undefined && !isObject) {
    issues.add(name, 'env-type', 'must be an object of environment variables, like process.env');
  }
  return isObject ? (value as Environment) : hostEnvironment();
}

/** `process.env`; Workers have no `process`: their defaults come from `env` or the options alone. */
function hostEnvironment(): Environment {
  return ((globalThis as { process?: { env?: unknown } }).process?.env ?? {}) as Environment;
}

/**
 * The options, in the order of `CorsSafetyOptions` (the order `OPTION_NAMES`, the unknown-option
 * message and the `CORS_*` variables list them).
 */
export const OPTION_DECLARATIONS = Object.freeze({
  origin: {
    type: 'origin',
    env: 'CORS_ALLOWED_ORIGINS',
    fallback: undefined,
    doc: 'Allowed origins: exact, patterns, RegExps, a function, "*" or false (compiled by PolicyBuilder).',
    read: givenValue,
  },
  allowedHosts: {
    type: 'list',
    env: 'CORS_ALLOWED_HOSTS',
    fallback: undefined,
    doc: 'Hosts this server answers to, as in Django ALLOWED_HOSTS (compiled by PolicyBuilder).',
    read: givenValue,
  },
  credentials: booleanOption(
    'CORS_CREDENTIALS',
    false,
    'Send Access-Control-Allow-Credentials: true to allowed origins.',
  ),
  methods: {
    ...METHODS,
    read: (options, name, issues, context) => {
      const before = issues.count;
      const methods = METHODS.read(options, name, issues, context) as string[];
      // Only when nothing else was said about methods: `methods: "*"` needs one message, not two.
      if (methods.length === 0 && issues.count === before && options[name] !== undefined)
        issues.add(name, 'methods-empty', 'is empty; list at least one method, e.g. "GET"');
      return methods;
    },
  },
  allowedHeaders: {
    ...ALLOWED_HEADERS,
    read: (options, _name, issues, context) => {
      const headers = ALLOWED_HEADERS.read(options, allowedHeadersKey(options, issues), issues, context);
      return headers === '*' ? '*' : headers.map((h) => h.toLowerCase());
    },
  },
  headers: {
    type: 'list',
    env: undefined,
    fallback: undefined,
    doc: "The cors package's name for allowedHeaders (read with it).",
    read: givenValue,
  },
  exposedHeaders: tokenListOption(
    'CORS_EXPOSED_HEADERS',
    [],
    { star: true, itemProblem: exposedHeaderProblem },
    'Response headers the page may read (Access-Control-Expose-Headers).',
  ),
  maxAge: integerOption(
    'CORS_MAX_AGE',
    600,
    { min: 0, max: 86400, hint: 'seconds; Chromium caps at 7200' },
    'Seconds a browser may cache a preflight answer (Access-Control-Max-Age).',
  ),
  preflightContinue: booleanOption(
    'CORS_PREFLIGHT_CONTINUE',
    false,
    'Pass successful preflights on to the next handler instead of answering them.',
  ),
  optionsSuccessStatus: integerOption(
    'CORS_OPTIONS_SUCCESS_STATUS',
    204,
    { min: 200, max: 299, hint: 'a preflight must get an ok status, Fetch §4.8' },
    'Status of a successful preflight answer.',
  ),
  allowNullOrigin: booleanOption(
    'CORS_ALLOW_NULL_ORIGIN',
    false,
    'Allow the opaque origin "null" (sandboxed iframes, file:); refused with credentials.',
  ),
  allowPrivateNetwork: booleanOption(
    'CORS_ALLOW_PRIVATE_NETWORK',
    false,
    'Answer Private Network Access preflights of allowed origins.',
  ),
  originCheckTimeout: integerOption(
    'CORS_ORIGIN_CHECK_TIMEOUT',
    2000,
    { min: 1, max: 60000, hint: 'milliseconds' },
    'Milliseconds an origin function may take before the origin is denied.',
  ),
  originLookup: {
    type: 'object',
    env: undefined,
    fallback: undefined,
    doc: "The application's own source of allowed origins, with its answers cached.",
    read: (options: OptionRecord, name: string, issues: IssueCollector) => readOriginLookup(options[name], issues),
  },
  exposeReason: booleanOption(
    'CORS_EXPOSE_REASON',
    (context) => !context.production,
    'Add a Cors-Safety-Reason header naming each denial; default on unless NODE_ENV is production.',
  ),
  dangerouslyAllowAnyOriginWithCredentials: booleanOption(
    'CORS_DANGEROUSLY_ALLOW_ANY_ORIGIN_WITH_CREDENTIALS',
    false,
    'Allow origin "*" or true with credentials by reflecting any origin: closed networks only.',
  ),
  dangerouslyAllowPublicSuffixesUnderWildcards: booleanOption(
    'CORS_DANGEROUSLY_ALLOW_PUBLIC_SUFFIXES_UNDER_WILDCARDS',
    false,
    'Accept wildcards over a domain that has a public suffix below it.',
  ),
  env: {
    type: 'environment',
    env: undefined,
    fallback: hostEnvironment,
    doc: 'Environment to read defaults from instead of process.env.',
    read: readEnvironment,
  },
  onDecision: {
    type: 'function',
    env: undefined,
    fallback: undefined,
    doc: 'Called with a decision event for every decision of every adapter.',
    read: (options: OptionRecord, name: string, issues: IssueCollector) => readListener(options[name], issues),
  },
  reportOnly: {
    type: 'policy',
    env: undefined,
    fallback: undefined,
    doc: 'A candidate policy evaluated beside this one and never enforced.',
    read: (options: OptionRecord, name: string, issues: IssueCollector, context: ReadContext) =>
      options[name] === undefined ? undefined : readCandidate(options[name], issues, context.build),
  },
} satisfies Record<string, OptionDeclaration<unknown>>);

/** An option's name. */
export type OptionName = keyof typeof OPTION_DECLARATIONS;

/** The value each option reads as. */
export type OptionValues = {
  readonly [K in OptionName]: ReturnType<(typeof OPTION_DECLARATIONS)[K]['read']>;
};
