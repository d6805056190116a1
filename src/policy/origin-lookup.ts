/**
 * The `originLookup` option: an application's own source of allowed origins (a database of
 * customer domains), consulted only for well-formed origins no rule matched, with its answers
 * cached. Allowed and denied answers live in separate bounded caches, so a flood of
 * attacker-chosen origins (each denied) can only ever evict other denied ones.
 */
import type { IncomingMessage } from 'node:http';
import type { IssueCollector } from './errors.js';
import { describeError, logOrigin } from '../shared/log.js';
import { describeValue, isPlainObject } from './option-values.js';

/**
 * The `originLookup` option. Durations are in milliseconds, like `originCheckTimeout`.
 *
 * @example
 * ```ts
 * const policy = createCorsPolicy({
 *   origin: ['https://app.example.com'],
 *   originLookup: { lookup: (origin) => tenants.hasDomain(origin), ttl: 60_000, negativeTtl: 10_000 },
 * });
 * ```
 */
export interface OriginLookupOptions {
  /**
   * Answers whether a serialized origin (`https://shop.customer.com`) is allowed: `true` allows,
   * anything else denies. May return a Promise. A throw, a rejection or no answer within
   * `timeout` denies, unless a cached answer is still within `staleIfError`.
   */
  lookup: (origin: string, req: IncomingMessage | undefined) => boolean | Promise<boolean>;
  /** How long an allowed answer is reused, in ms. Default 60000. */
  ttl?: number | undefined;
  /** How long a denied answer is reused, in ms. Default 10000. */
  negativeTtl?: number | undefined;
  /** Most answers kept in each of the two caches (allowed, denied); the oldest go first. Default 10000. */
  maxEntries?: number | undefined;
  /** How long one call may take, in ms. Default 2000. */
  timeout?: number | undefined;
  /** How long past its expiry an answer may stand in when a call fails or times out, in ms. Default 0. */
  staleIfError?: number | undefined;
}

/**
 * Where a decision's `originLookup` answer came from (the `lookup.cache` field of a decision event):
 * - `hit`: a cached answer still within its `ttl` (or `negativeTtl`); no call;
 * - `miss`: no fresh answer, so this request called `lookup`, which answered;
 * - `shared`: a call for the same origin was already running (started by another request) and this
 *   request waited for its outcome instead of calling again;
 * - `stale`: this request's call failed or timed out and an expired answer within `staleIfError` stood in;
 * - `failed`: this request's call threw or rejected, with no stale answer (the origin is denied);
 * - `timeout`: this request's call gave no answer within `timeout`, with no stale answer (denied).
 *
 * @example
 * ```ts
 * const called = (cache: OriginLookupCacheResult) => cache !== 'hit' && cache !== 'shared';
 * ```
 */
export type OriginLookupCacheResult = 'hit' | 'miss' | 'shared' | 'stale' | 'failed' | 'timeout';

/**
 * How a decision used the `originLookup` option; present on a verdict and a decision event only
 * when the decision consulted the lookup (an origin no configured rule matched, or a cached grant).
 *
 * @example
 * ```ts
 * // { cache: 'miss', durationMs: 12.4 }: this request called lookup(), which answered in 12.4 ms
 * if (event.lookup?.durationMs != null) lookupSeconds.observe(event.lookup.durationMs / 1000);
 * ```
 */
export interface OriginLookupResult {
  readonly cache: OriginLookupCacheResult;
  /**
   * Milliseconds (fractional, from `performance.now()`) the user's `lookup` call took, until its answer,
   * failure or timeout, on the request that made the call (`miss`, `stale`, `failed`, `timeout`);
   * `null` for `hit` and `shared`, which made no call (each call is measured once).
   */
  readonly durationMs: number | null;
}

/** What a lookup settled to: an answer, or why there is none; with how the cache was used. */
export type LookupOutcome =
  | {
      readonly kind: 'answer';
      readonly allowed: boolean;
      readonly stale: boolean;
      readonly observed: OriginLookupResult;
    }
  | { readonly kind: 'failed' | 'timeout'; readonly detail: string; readonly observed: OriginLookupResult };

const HIT: OriginLookupResult = Object.freeze({ cache: 'hit', durationMs: null });
const SHARED: OriginLookupResult = Object.freeze({ cache: 'shared', durationMs: null });
const HIT_ALLOWED: LookupOutcome = Object.freeze({ kind: 'answer', allowed: true, stale: false, observed: HIT });
const HIT_DENIED: LookupOutcome = Object.freeze({ kind: 'answer', allowed: false, stale: false, observed: HIT });

/**
 * The lookup result of a verdict served from a fresh cached grant without calling `resolve()`.
 *
 * @example
 * ```ts
 * allow('allowed-lookup', origin, 'originLookup', LOOKUP_HIT);
 * ```
 */
export const LOOKUP_HIT = HIT;

interface CacheEntry {
  readonly allowed: boolean;
  /** `Date.now()` after which the answer is asked again. */
  readonly expires: number;
  /** `Date.now()` after which the answer may no longer stand in for a failed call. */
  readonly staleUntil: number;
}

const LOOKUP_KEYS = ['lookup', 'ttl', 'negativeTtl', 'maxEntries', 'timeout', 'staleIfError'];

/** Reads one non-negative integer field of the option, or adds an issue. */
function readField(
  given: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  issues: IssueCollector,
): number {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  issues.add(
    `originLookup.${key}`,
    'origin-lookup-value',
    `must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
  );
  return fallback;
}

/**
 * Validates the `originLookup` option and makes its cache; `undefined` when the option is absent.
 * Problems are added to `issues`.
 */
export function readOriginLookup(option: unknown, issues: IssueCollector): OriginLookupCache | undefined {
  if (option === undefined) return undefined;
  if (!isPlainObject(option)) {
    issues.add(
      'originLookup',
      'origin-lookup-type',
      `must be an object such as { lookup: (origin) => db.has(origin) }, got ${describeValue(option)}`,
    );
    return undefined;
  }
  const given = option;
  for (const key of Object.keys(given))
    if (!LOOKUP_KEYS.includes(key))
      issues.add(
        `originLookup.${key}`,
        'unknown-option',
        `is not an originLookup option; use ${LOOKUP_KEYS.join(', ')}`,
      );
  if (typeof given.lookup !== 'function')
    issues.add(
      'originLookup.lookup',
      'origin-lookup-type',
      `must be a function (origin, req) => boolean | Promise<boolean>, got ${describeValue(given.lookup)}`,
    );
  const day = 86_400_000;
  const settings: LookupSettings = {
    lookup: given.lookup as OriginLookupOptions['lookup'],
    ttl: readField(given, 'ttl', 60_000, 0, day, issues),
    negativeTtl: readField(given, 'negativeTtl', 10_000, 0, day, issues),
    maxEntries: readField(given, 'maxEntries', 10_000, 1, 10_000_000, issues),
    timeout: readField(given, 'timeout', 2000, 1, 60_000, issues),
    staleIfError: readField(given, 'staleIfError', 0, 0, day, issues),
  };
  return typeof given.lookup === 'function' ? new OriginLookupCache(settings) : undefined;
}

interface LookupSettings {
  readonly lookup: OriginLookupOptions['lookup'];
  readonly ttl: number;
  readonly negativeTtl: number;
  readonly maxEntries: number;
  readonly timeout: number;
  readonly staleIfError: number;
}

/** Two bounded caches and the calls in flight, keyed only by validated serialized origins. */
export class OriginLookupCache {
  readonly #settings: LookupSettings;
  readonly #allowed = new Map<string, CacheEntry>();
  readonly #denied = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<LookupOutcome>>();

  constructor(settings: LookupSettings) {
    this.#settings = settings;
  }

  /** Answers kept now in the allowed and the denied cache. */
  get sizes(): { readonly allowed: number; readonly denied: number } {
    return { allowed: this.#allowed.size, denied: this.#denied.size };
  }

  /**
   * True when `value` has a fresh allowed answer. Safe before any parsing: only validated
   * serialized origins are ever stored, so any other text misses.
   */
  allowsFresh(value: string): boolean {
    const cached = this.#allowed.get(value);
    return cached !== undefined && cached.expires > Date.now();
  }

  /** Drops the cached answers for `origin`, or every cached answer. */
  invalidate(origin?: string): void {
    if (origin === undefined) {
      this.#allowed.clear();
      this.#denied.clear();
      return;
    }
    this.#allowed.delete(origin);
    this.#denied.delete(origin);
  }

  /**
   * The answer for `origin` (already validated as a serialized origin by the caller): from the
   * cache when fresh, else from one call shared by every request asking meanwhile.
   */
  resolve(origin: string, req: IncomingMessage | undefined): LookupOutcome | Promise<LookupOutcome> {
    const now = Date.now();
    const cached = this.#allowed.get(origin) ?? this.#denied.get(origin);
    if (cached !== undefined && cached.expires > now) return cached.allowed ? HIT_ALLOWED : HIT_DENIED;
    const running = this.#inFlight.get(origin);
    if (running !== undefined) return running.then((outcome) => ({ ...outcome, observed: SHARED }));
    const call = this.#call(origin, req).then((outcome) => this.#settle(origin, outcome));
    this.#inFlight.set(origin, call);
    return call;
  }

  /** Stores an answer, or falls back to a stale one for a failure; ends the flight. */
  #settle(origin: string, outcome: LookupOutcome): LookupOutcome {
    this.#inFlight.delete(origin);
    const now = Date.now();
    if (outcome.kind === 'answer') {
      this.#store(origin, outcome.allowed, now);
      return outcome;
    }
    const cached = this.#allowed.get(origin) ?? this.#denied.get(origin);
    if (cached !== undefined && cached.staleUntil > now) {
      logOrigin('originLookup %s for %s: using the stale answer (%s)', outcome.kind, origin, outcome.detail);
      return {
        kind: 'answer',
        allowed: cached.allowed,
        stale: true,
        observed: { ...outcome.observed, cache: 'stale' },
      };
    }
    return outcome;
  }

  #store(origin: string, allowed: boolean, now: number): void {
    const { ttl, negativeTtl, staleIfError, maxEntries } = this.#settings;
    const table = allowed ? this.#allowed : this.#denied;
    // An origin moves between the caches when its answer changes.
    (allowed ? this.#denied : this.#allowed).delete(origin);
    table.delete(origin);
    const expires = now + (allowed ? ttl : negativeTtl);
    table.set(origin, { allowed, expires, staleUntil: expires + staleIfError });
    // Map order is insertion order: the first key is the oldest answer.
    while (table.size > maxEntries) table.delete(table.keys().next().value as string);
  }

  /** One call of the user's function under the timeout; never rejects. */
  #call(origin: string, req: IncomingMessage | undefined): Promise<LookupOutcome> {
    const { lookup, timeout } = this.#settings;
    // One clock read at each end of a call that is already I/O: cheap enough to measure every call.
    const start = performance.now();
    const observed = (cache: OriginLookupCacheResult): OriginLookupResult => ({
      cache,
      durationMs: performance.now() - start,
    });
    return new Promise<LookupOutcome>((resolve) => {
      const timer = setTimeout(() => {
        resolve({
          kind: 'timeout',
          detail: `originLookup gave no answer within ${timeout} ms`,
          observed: observed('timeout'),
        });
      }, timeout);
      const done = (outcome: LookupOutcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const failed = (detail: string): void => {
        done({ kind: 'failed', detail, observed: observed('failed') });
      };
      try {
        Promise.resolve(lookup(origin, req)).then(
          (value) => done({ kind: 'answer', allowed: value === true, stale: false, observed: observed('miss') }),
          (err: unknown) => failed(`originLookup rejected: ${describeError(err)}`),
        );
      } catch (err) {
        failed(`originLookup threw: ${describeError(err)}`);
      }
    });
  }
}
