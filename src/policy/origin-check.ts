/**
 * The origin decision: `(Origin header value, request) -> verdict`. Synchronous unless the
 * policy has an origin function that answers asynchronously. Never throws, never hangs.
 */
import type { IncomingMessage } from 'node:http';
import { describeError, logOrigin, quoteForLog, warnOnce } from '../shared/log.js';
import { escapeControlCharacters } from '../shared/escape.js';
import { parseAppOrigin } from './app-origin.js';
import type { OriginCallbackValue } from './options.js';
import { MAX_ORIGIN_LENGTH, parseSerializedOrigin, type ParsedOrigin } from './origin-syntax.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { DENIED, type OriginDenyReason, type OriginVerdict, type RequestVerdict } from './reasons.js';
import { cachedOriginRegExp } from './regexp-rules.js';
import { LOOKUP_HIT, type LookupOutcome, type OriginLookupResult } from './origin-lookup.js';

type CallbackValue = OriginCallbackValue | undefined;

function allow(
  reason: Extract<OriginVerdict, { allowed: true }>['reason'],
  origin: string,
  rule: string,
): OriginVerdict {
  return { allowed: true, reason, origin, rule };
}

function deny(reason: OriginDenyReason, origin: string, detail?: string): OriginVerdict {
  return detail === undefined ? { allowed: false, reason, origin } : { allowed: false, reason, origin, detail };
}

/** The verdict with how the origin lookup was used (for decision events); a promise's once it settles. */
function withLookup(
  verdict: OriginVerdict | Promise<OriginVerdict>,
  lookup: OriginLookupResult,
): OriginVerdict | Promise<OriginVerdict> {
  if (verdict instanceof Promise) return verdict.then((settled) => ({ ...settled, lookup }));
  return { ...verdict, lookup };
}

/**
 * Interprets a `cors`-style callback value for this origin: `true`, `false`, or why the value
 * cannot be used. RegExps must pass the same checks as RegExp allow-list entries.
 */
function callbackAnswer(value: CallbackValue, origin: string): boolean | string {
  if (value === true) return true;
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (item === origin) return true;
    if (item instanceof RegExp) {
      // Analysed once per RegExp; an unsafe one denies every origin (fail closed) and says why once.
      const check = cachedOriginRegExp(item);
      if (!check.ok) {
        const problem = check.problem;
        warnOnce(
          'CORS_SAFETY_UNSAFE_CALLBACK_REGEXP',
          `cors-safety: an origin callback answered with an unsafe RegExp, so its origins are denied: ${problem.message}`,
        );
        return `origin callback answered ${problem.message} [${problem.code}]`;
      }
      // The linear-time matcher, never V8's: a callback's RegExp cannot stall the event loop either.
      if (check.matcher.test(origin)) return true;
    }
  }
  return false;
}

/**
 * The second argument for a two-parameter origin function: the request, which can also be
 * called as a `cors`-style `callback(err, allow)`. Property reads and writes go to the request.
 */
function requestAndCallback(
  req: IncomingMessage | undefined,
  callback: (err: unknown, value?: CallbackValue) => void,
): unknown {
  if (req === undefined) return callback;
  return new Proxy(callback, {
    get: (_target, key) => Reflect.get(req, key, req) as unknown,
    set: (_target, key, value) => Reflect.set(req, key, value, req),
    has: (_target, key) => Reflect.has(req, key),
    getPrototypeOf: () => Reflect.getPrototypeOf(req),
  });
}

/** The verdict of an origin function's answer: `true` or `false`; anything else fails the check. */
function booleanVerdict(value: unknown, origin: string, rule: string): OriginVerdict {
  if (value === true) return allow('allowed-function', origin, rule);
  if (value === false) return deny('origin-not-allowed', origin);
  return deny(
    'origin-check-failed',
    origin,
    `origin function returned ${quoteForLog(value, 40)}; return true or false`,
  );
}

/** The verdict of a `cors`-style `callback(err, value)`. */
function callbackVerdict(err: unknown, value: CallbackValue | undefined, origin: string, rule: string): OriginVerdict {
  let verdict: boolean | string;
  try {
    // User values: a truthy check, an array or a RegExp can all run getters or Proxy traps.
    verdict = err ? describeError(err) : callbackAnswer(value, origin);
  } catch (thrown) {
    verdict = `origin callback answered a value that threw when read: ${describeError(thrown)}`;
  }
  if (verdict === true) return allow('allowed-function', origin, rule);
  return verdict === false ? deny('origin-not-allowed', origin) : deny('origin-check-failed', origin, verdict);
}

/** The denial when an origin function gives no answer within `originCheckTimeout`. */
function timeoutVerdict(policy: CompiledPolicy, origin: string, returned: unknown): OriginVerdict {
  return deny(
    'origin-check-timeout',
    origin,
    returned === undefined
      ? `no answer within ${policy.originCheckTimeout} ms`
      : `origin function returned ${quoteForLog(returned, 40)} and did not call its callback within ` +
          `${policy.originCheckTimeout} ms; return true or false, or call callback(null, allow)`,
  );
}

/**
 * Calls the user's origin function under a timeout; every failure becomes a denial. The first
 * answer wins (return value, promise or callback); later answers are ignored.
 */
function runOriginFunction(
  policy: CompiledPolicy,
  fn: NonNullable<CompiledPolicy['originFunction']>,
  origin: string,
  req: IncomingMessage | undefined,
): OriginVerdict | Promise<OriginVerdict> {
  const rule = `function ${fn.name || '(anonymous)'}`;
  // Two declared parameters: the `cors` callback form is possible, so `undefined` means "later".
  const hybrid = fn.length >= 2;
  const fromBoolean = (value: unknown): OriginVerdict => booleanVerdict(value, origin, rule);
  let answered = false;
  /** A non-boolean, non-promise return value of a two-parameter function, named if no callback comes. */
  let returned: unknown;
  let settledSync: OriginVerdict | undefined;
  let resolveLater: ((verdict: OriginVerdict) => void) | undefined;
  const answer = (verdict: OriginVerdict): void => {
    if (answered) return;
    answered = true;
    if (resolveLater !== undefined) resolveLater(verdict);
    else settledSync = verdict;
  };
  const callback = (err: unknown, value?: CallbackValue): void => {
    if (!answered) answer(callbackVerdict(err, value, origin, rule));
  };
  try {
    const result = hybrid
      ? (fn as (origin: string, arg: unknown) => unknown)(origin, requestAndCallback(req, callback))
      : (fn as (origin: string, req: IncomingMessage | undefined) => unknown)(origin, req);
    // Reading `then` runs user code (a getter) too, so it stays inside the try.
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => {
          if (!(hybrid && value === undefined)) answer(fromBoolean(value));
        },
        (err: unknown) => answer(deny('origin-check-failed', origin, describeError(err))),
      );
    } else if (!hybrid || typeof result === 'boolean') {
      answer(fromBoolean(result));
    } else if (result !== undefined) {
      // `cors` code often returns whatever its last call returned (`setTimeout(() => cb(null, true))`
      // returns a timer): with the callback form possible, the callback answers.
      returned = result;
    }
  } catch (err) {
    // A throw denies even after a synchronous callback(null, true): fail closed.
    answered = true;
    return deny('origin-check-failed', origin, describeError(err));
  }
  if (settledSync !== undefined) return settledSync;
  return new Promise<OriginVerdict>((resolve) => {
    const timer = setTimeout(() => answer(timeoutVerdict(policy, origin, returned)), policy.originCheckTimeout);
    resolveLater = (verdict) => {
      clearTimeout(timer);
      resolve(verdict);
    };
  });
}

/** The synchronous rules, in order: exact, patterns (configured, then added at run time), RegExps, allowed hosts. */
function matchSyncRules(policy: CompiledPolicy, value: string, parsed: ParsedOrigin): OriginVerdict | undefined {
  const pattern = policy.originRules.match(parsed) ?? policy.dynamic?.patterns.match(parsed);
  if (pattern !== undefined) return allow('allowed-pattern', value, pattern);
  for (const { matcher, rule } of policy.regexps) {
    if (matcher.test(value)) return allow('allowed-regexp', value, rule);
  }
  const host = policy.hostRules.match(parsed);
  if (host !== undefined) return allow('allowed-host', value, host);
  return undefined;
}

/** The one origin a header value that is not a string holds, or the denial of none or several. */
function oneOrigin(value: readonly string[] | undefined): string | OriginVerdict {
  if (value === undefined || value === null) return DENIED.missing;
  if (!Array.isArray(value)) return DENIED.malformed;
  if (value.length === 1 && typeof value[0] === 'string') return value[0];
  return value.length === 0 ? DENIED.missing : DENIED.multiple;
}

/**
 * Decides one `Origin` header value. `value` is what Node put in `req.headers.origin`
 * (duplicate headers arrive joined with ", ") or an array of raw values.
 */
export function decideOrigin(
  policy: CompiledPolicy,
  value: string | readonly string[] | undefined,
  req?: IncomingMessage,
): OriginVerdict | Promise<OriginVerdict> {
  const origin = typeof value === 'string' ? value : oneOrigin(value);
  if (typeof origin !== 'string') return origin;
  // Length first: nothing below runs on an over-long value (hashing included).
  if (origin.length > MAX_ORIGIN_LENGTH) return DENIED.tooLong;
  const exact = policy.exact.get(origin) ?? policy.dynamic?.exact.get(origin);
  if (exact !== undefined) return exact;
  // A fresh allowed lookup answer costs one map probe, like an exact entry: only validated
  // origins are ever cached, and an allow-list would allow this origin whichever rule matched.
  if (policy.lookup?.allowsFresh(origin) === true && policy.mode === 'allow-list')
    return { allowed: true, reason: 'allowed-lookup', origin, rule: 'originLookup', lookup: LOOKUP_HIT };
  if (origin === 'null')
    return policy.allowNullOrigin && policy.mode !== 'disabled'
      ? allow('allowed-null', origin, 'allowNullOrigin')
      : DENIED.null;
  // Fetch §3.2.5: a browser sends one serialized origin; a list means two Origin headers.
  if (origin.includes(',')) return DENIED.multiple;
  const parsed = parseSerializedOrigin(origin);
  if (parsed === undefined) return decideAppOrigin(policy, origin, req);
  const byMode = modeVerdict(policy, origin);
  if (byMode !== undefined) return byMode;
  const matched = matchSyncRules(policy, origin, parsed);
  if (matched !== undefined) return matched;
  return decideUnmatched(policy, origin, req);
}

/** An origin no rule matched: the origin lookup, then the origin function, decide; else it is denied. */
function decideUnmatched(
  policy: CompiledPolicy,
  origin: string,
  req: IncomingMessage | undefined,
  key: string = origin,
): OriginVerdict | Promise<OriginVerdict> {
  if (policy.lookup === undefined) {
    if (policy.originFunction !== undefined) return runOriginFunction(policy, policy.originFunction, origin, req);
    return deny('origin-not-allowed', origin);
  }
  const next = (outcome: LookupOutcome): OriginVerdict | Promise<OriginVerdict> => {
    const lookup = outcome.observed;
    if (outcome.kind === 'answer' && outcome.allowed)
      return { allowed: true, reason: 'allowed-lookup', origin, rule: 'originLookup', lookup };
    if (policy.originFunction !== undefined)
      return withLookup(runOriginFunction(policy, policy.originFunction, origin, req), lookup);
    if (outcome.kind === 'answer') return { allowed: false, reason: 'origin-not-allowed', origin, lookup };
    const reason = outcome.kind === 'timeout' ? 'origin-check-timeout' : 'origin-check-failed';
    return { allowed: false, reason, origin, detail: outcome.detail, lookup };
  };
  // Keyed by the validated, canonical origin only (an app origin's host case folded).
  const outcome = policy.lookup.resolve(key, req);
  return outcome instanceof Promise ? outcome.then(next) : next(outcome);
}

/** The verdict of a policy that is not an allow-list, for a well-formed origin; `undefined` for an allow-list. */
function modeVerdict(policy: CompiledPolicy, origin: string): OriginVerdict | undefined {
  switch (policy.mode) {
    case 'disabled':
      return DENIED.disabled;
    case 'public':
      return allow('allowed-any', origin, '*');
    case 'reflect-any':
      return allow('allowed-any', origin, 'any origin (reflected)');
    case 'allow-list':
      return undefined;
  }
}

/**
 * An origin that is not http(s): an app origin (`capacitor://localhost`, `chrome-extension://<id>`)
 * is allowed by an exact entry or the origin function only; patterns, RegExps and allowedHosts
 * describe web origins and never see it. Anything else is malformed.
 */
function decideAppOrigin(
  policy: CompiledPolicy,
  origin: string,
  req: IncomingMessage | undefined,
): OriginVerdict | Promise<OriginVerdict> {
  const canonical = parseAppOrigin(origin);
  if (canonical === undefined) return DENIED.malformed;
  const byMode = modeVerdict(policy, origin);
  if (byMode !== undefined) return byMode;
  // The host compares case-insensitively; the grant names the origin exactly as the browser sent it.
  const exact = policy.exact.get(canonical) ?? policy.dynamic?.exact.get(canonical);
  if (exact !== undefined) return allow('allowed-exact', origin, canonical);
  return decideUnmatched(policy, origin, req, canonical);
}

/** Writes one debug line for a verdict; never logs raw malformed input unquoted. */
export function logVerdict(verdict: RequestVerdict, raw: unknown, context: string): void {
  if (!logOrigin.enabled) return;
  if (verdict.reason === 'same-origin')
    logOrigin('%s: not cross-origin %s (same-origin, nothing to grant)', context, verdict.origin);
  // Rules and details name configuration (a function's name, a RegExp): escaped like any value.
  else if (verdict.allowed)
    logOrigin(
      '%s: allowed %s (%s, rule %s)',
      context,
      verdict.origin,
      verdict.reason,
      escapeControlCharacters(verdict.rule),
    );
  else if (verdict.origin !== undefined)
    logOrigin(
      '%s: denied %s (%s)%s',
      context,
      verdict.origin,
      verdict.reason,
      verdict.detail === undefined ? '' : `: ${escapeControlCharacters(verdict.detail)}`,
    );
  else logOrigin('%s: denied %s (%s)', context, raw === undefined ? '(no Origin)' : quoteForLog(raw), verdict.reason);
}
