/**
 * The options accepted by every cors-safety factory, and their validation. Option names follow
 * the `cors` package where one exists, so migrating is a one-line change.
 */
import type { DecisionListener } from './decision-types.js';
import { closestName } from '../shared/did-you-mean.js';
import { OPTION_DECLARATIONS, type OptionName } from './option-declarations.js';
import type { OriginLookupOptions } from './origin-lookup.js';
import type { CorsPolicy } from './cors-policy.js';
import type { OriginOption } from './origin-option.js';

export type {
  CorsCallbackOriginFunction,
  OriginCallbackValue,
  OriginFunction,
  OriginOption,
  OriginRequest,
  TypedRequestOriginFunction,
} from './origin-option.js';

/**
 * Options for {@link createCorsPolicy}, {@link corsSafety}, {@link corsErrorHandler} and
 * {@link upgradeGuard}. All are optional; with no `origin` and no `allowedHosts` the policy is
 * read from the environment (see docs/options.md, "Configuration from the environment").
 *
 * @example
 * ```ts
 * const options: CorsSafetyOptions = {
 *   origin: ['https://app.example.com'],
 *   allowedHosts: ['.example.com'],
 *   credentials: true,
 *   exposedHeaders: ['X-Request-Id'],
 * };
 * app.use(corsSafety(options));
 * ```
 */
export interface CorsSafetyOptions {
  /**
   * Allowed origins: an exact origin (`https://app.example.com`), a pattern
   * (`https://*.example.com`, `http://localhost:*`), an anchored RegExp, a function, an array of
   * strings and RegExps, `'*'` (public, no credentials) or `false` (no cross-origin access).
   * `true` allows any origin by reflecting it, without credentials. Origins of hybrid apps and
   * extensions (`capacitor://localhost`, `chrome-extension://<id>`) are allowed by exact entries
   * or a function only; patterns, RegExps and `allowedHosts` never match them.
   */
  origin?: OriginOption | undefined;
  /**
   * Hosts this server answers to, as in Django's ALLOWED_HOSTS: `example.com`, `.example.com`
   * (domain and subdomains), `host:8443`, `localhost:*`. An origin that matches no origin rule is
   * allowed when its host is listed here (https only, except loopback hosts).
   */
  allowedHosts?: string | readonly string[] | undefined;
  /** Send `Access-Control-Allow-Credentials: true` to allowed origins. Default `false`. */
  credentials?: boolean | undefined;
  /** Methods allowed by preflight. Default `GET,HEAD,PUT,PATCH,POST,DELETE`. */
  methods?: string | readonly string[] | undefined;
  /**
   * Request headers allowed by preflight, or `'*'` for any well-formed header name.
   * Default: `Accept, Accept-Language, Authorization, Content-Language, Content-Type, X-Requested-With`.
   */
  allowedHeaders?: string | readonly string[] | undefined;
  /**
   * The `cors` package's name for {@link CorsSafetyOptions.allowedHeaders}, accepted so options
   * carried over from `cors` keep their header list. Give one of the two, not both.
   */
  headers?: string | readonly string[] | undefined;
  /** Response headers the page's script may read (`Access-Control-Expose-Headers`). */
  exposedHeaders?: string | readonly string[] | undefined;
  /** Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`). Default 600. */
  maxAge?: number | undefined;
  /** Pass successful preflights on to the next handler instead of answering them. Default `false`. */
  preflightContinue?: boolean | undefined;
  /** Status of a successful preflight answer, 200-299. Default 204. */
  optionsSuccessStatus?: number | undefined;
  /** Allow the opaque origin `null` (sandboxed iframes, `file:`). Refused with credentials. */
  allowNullOrigin?: boolean | undefined;
  /**
   * Legacy: Chrome replaced Private Network Access preflights with its Local Network Access
   * permission prompt, decided in the browser before any request is sent; this option changes
   * nothing there. Kept for browsers that still send the preflights.
   * Answer Chrome's Private Network Access preflights: a preflight from an allowed origin that
   * carries `Access-Control-Request-Private-Network: true` gets
   * `Access-Control-Allow-Private-Network: true`, so a public page may call this server on a
   * private address or on loopback. Never sent to a denied origin. Default `false`.
   */
  allowPrivateNetwork?: boolean | undefined;
  /** Milliseconds an origin function may take before the origin is denied. Default 2000. */
  originCheckTimeout?: number | undefined;
  /**
   * The application's own source of allowed origins, for what lists cannot hold (customers'
   * domains in a database): consulted only for a well-formed origin no rule matched, answers
   * cached (allowed and denied apart, both bounded), one call per origin at a time, a failure or
   * timeout denies unless a cached answer is within `staleIfError`. See docs/live-policy.md.
   */
  originLookup?: OriginLookupOptions | undefined;
  /**
   * Add a `Cors-Safety-Reason` response header naming the reason code of every denial.
   * Default: on unless `NODE_ENV` is `production`.
   */
  exposeReason?: boolean | undefined;
  /**
   * Allow `origin: true` or `'*'` together with `credentials: true` by reflecting any origin.
   * Any website can then make credentialed requests as your users: only for closed networks.
   */
  dangerouslyAllowAnyOriginWithCredentials?: boolean | undefined;
  /**
   * Accept `https://*.<domain>` patterns and `.<domain>` allowedHosts entries when the Public
   * Suffix List has a suffix below `<domain>` (`*.amazonaws.com` covers `s3.amazonaws.com`, where
   * anyone can create a bucket). Only when every name under the domain is yours. Default `false`.
   */
  dangerouslyAllowPublicSuffixesUnderWildcards?: boolean | undefined;
  /** Environment to read defaults from instead of `process.env` (useful in tests and tools). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Called with a {@link CorsDecisionEvent} for every decision of every adapter using this policy
   * (requests, preflights, WebSocket and socket.io handshakes). A throw or rejection is logged and
   * never reaches the request. See docs/production.md.
   */
  onDecision?: DecisionListener | undefined;
  /**
   * A stricter candidate policy (options or a policy) evaluated beside this one for every request,
   * preflight and handshake, like `Content-Security-Policy-Report-Only`: only this policy writes
   * headers and refuses; each decision event carries the candidate's outcome in `candidate`, and the
   * first time the candidate would decide an (origin, reason) differently a warning is logged.
   */
  reportOnly?: CorsSafetyOptions | CorsPolicy | undefined;
}

/** `A` when the two unions of names are equal, `never` otherwise. */
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? A : never) : never;

/**
 * Every option name, for unknown-key detection: the options declared in option-declarations.ts,
 * in their order. It does not compile unless they are exactly the properties of
 * {@link CorsSafetyOptions}, so an option cannot be typed without being declared, or the reverse.
 */
export const OPTION_NAMES: readonly SameNames<keyof CorsSafetyOptions, OptionName>[] = Object.freeze(
  Object.keys(OPTION_DECLARATIONS) as OptionName[],
);

/** Common spellings from other libraries, mapped to the option to use instead. */
export const OPTION_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  origins: 'origin',
  allowedOrigins: 'origin',
  allowOrigin: 'origin',
  allowOrigins: 'origin',
  allowedMethods: 'methods',
  allowMethods: 'methods',
  allowHeaders: 'allowedHeaders',
  exposeHeaders: 'exposedHeaders',
  allowCredentials: 'credentials',
  hosts: 'allowedHosts',
  maxAgeSeconds: 'maxAge',
});

/** The closest known option name to `key`, if any is close enough to be a likely typo. */
export function suggestOptionName(key: string): string | undefined {
  // Own keys only: "toString" or "constructor" must not find Object.prototype's members.
  if (Object.hasOwn(OPTION_ALIASES, key)) return OPTION_ALIASES[key];
  return closestName(key, OPTION_NAMES);
}

/**
 * The message for an option key that `factory` does not know: the likely option when one is
 * close (a typo, or another library's name for it), else every option it has, so following the
 * message never means silently dropping what the key held.
 */
export function unknownOptionMessage(
  factory: string,
  suggestion: string | undefined,
  known: readonly string[],
): string {
  return suggestion === undefined
    ? `is not an option of ${factory}; the options are ${known.join(', ')}`
    : `is not an option of ${factory}; did you mean "${suggestion}"?`;
}
