/**
 * createLivePolicy(): a policy that changes while serving. Each change builds a new immutable
 * snapshot and swaps it in at once (an atomic reference, as jub0bs/cors `Reconfigure` does);
 * every request and handshake reads the snapshot once, when it starts, and is decided by it.
 */
import { DynamicOrigins, readDynamicEntries, type DynamicEntry } from './dynamic-origins.js';
import { IssueCollector } from './errors.js';
import { logPolicy } from '../shared/log.js';
import { describeValue, isPlainObject } from './option-values.js';
import type { CorsSafetyOptions } from './options.js';
import { PolicyBuilder } from './policy-builder.js';
import { Slices, yieldToEventLoop } from './slices.js';
import {
  buildCorsPolicy,
  compiledPolicy,
  createCorsPolicy,
  isCorsPolicy,
  registerPolicy,
  type CompiledPolicy,
  type CorsPolicy,
} from './policy.js';

/**
 * Origins to add to or remove from a live policy: exact origins (`https://shop.example.net`),
 * app origins and patterns (`https://*.preview.example.com`, `http://localhost:*`), written as
 * in the `origin` option.
 *
 * @example
 * ```ts
 * const changes: OriginChanges = { add: ['https://shop.example.net'], remove: ['https://old.example.org'] };
 * ```
 */
export interface OriginChanges {
  add?: readonly string[] | undefined;
  remove?: readonly string[] | undefined;
}

/**
 * A {@link CorsPolicy} that can change while serving, accepted everywhere a policy is
 * (`corsSafety`, `corsErrorHandler`, `upgradeGuard`, `createVerifyClient`, `createAllowRequest`,
 * `createOriginValidator`). Its summary fields describe the version in force now.
 *
 * @example
 * ```ts
 * const policy: LivePolicy = createLivePolicy({ origin: ['https://app.example.com'] });
 * policy.update({ add: ['https://shop.customer.net'] });
 * console.log(policy.version); // 2
 * ```
 */
export interface LivePolicy extends CorsPolicy {
  /** 1 when created, one more with every `reconfigure()` and every `update()` that changed something. */
  readonly version: number;
  /** The origins added by `update()`, in canonical form, in the order they were added. */
  readonly dynamicOrigins: readonly string[];
  /**
   * Validates `options` completely, then replaces the whole configured policy at once; origins
   * added by `update()` stay. Rejects with `CorsConfigError` listing every problem, and then the
   * policy in force is untouched. Requests already started finish under the version they began with.
   */
  reconfigure(options: CorsSafetyOptions): Promise<void>;
  /**
   * Adds and removes run-time origins without rebuilding anything else. Every entry is validated
   * like the `origin` option first; one bad entry throws `CorsConfigError` and nothing is applied.
   * Removing an origin that the options configure throws too (it would stay allowed): use
   * `reconfigure()` for those. Removing an origin that is not there does nothing.
   */
  update(changes: OriginChanges): void;
  /** Drops the `originLookup` cache's answers for `origin`, or all of them. */
  invalidate(origin?: string): void;
}

/**
 * Compiles the `origin` array of options in time-budgeted slices, yielding to the event loop
 * between them; `undefined` when the options hold no array (built in one go, as small). The
 * builder's issues are reported with the rest of the options by buildCorsPolicy().
 */
async function compileOriginsInSlices(options: unknown): Promise<PolicyBuilder | undefined> {
  const slices = new Slices();
  await yieldToEventLoop();
  if (!isPlainObject(options) || !Object.hasOwn(options, 'origin')) return undefined;
  const list = (options as { origin?: unknown }).origin;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const allowSuffixesBelow =
    Object.hasOwn(options, 'dangerouslyAllowPublicSuffixesUnderWildcards') &&
    (options as { dangerouslyAllowPublicSuffixesUnderWildcards?: unknown })
      .dangerouslyAllowPublicSuffixesUnderWildcards === true;
  const builder = new PolicyBuilder(new IssueCollector(), allowSuffixesBelow);
  // Sized once for the whole list: no table grows (and rehashes in one step) between slices.
  builder.exact.reserve(list.length);
  for (let i = 0; i < list.length; i++) {
    // The clock is read every 16 fast-path entries (a few nanoseconds per entry) and after each
    // other one (a RegExp or an entry that needs the full parser can cost as much as thousands).
    if (!builder.addOriginItem(list[i], 'origin', i) || (i & 15) === 15) await slices.next();
  }
  return builder;
}

/** Validates every entry of both lists; throws one CorsConfigError listing all problems. */
function readChanges(changes: unknown): { add: DynamicEntry[]; remove: DynamicEntry[] } {
  const issues = new IssueCollector();
  const result = { add: [] as DynamicEntry[], remove: [] as DynamicEntry[] };
  if (!isPlainObject(changes)) {
    issues.add(
      '(changes)',
      'update-type',
      `must be an object { add: [...], remove: [...] }, got ${describeValue(changes)}`,
    );
    issues.throwIfAny();
  }
  const given = changes as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (key !== 'add' && key !== 'remove')
      issues.add(key, 'unknown-option', 'is not a key of update(); use add and remove');
  for (const key of ['add', 'remove'] as const)
    if (given[key] !== undefined) result[key] = readDynamicEntries(given[key], key, issues);
  issues.throwIfAny();
  return result;
}

/** What a live policy holds: the configured policy, the run-time origins, the version, the cell requests read. */
interface LiveState {
  base: CorsPolicy;
  version: number;
  readonly dynamic: DynamicOrigins;
  readonly cell: { current: CompiledPolicy };
}

/** The compiled policy in force: the configured one with the run-time origins and the version. */
function snapshot(state: LiveState): CompiledPolicy {
  const compiled = compiledPolicy(state.base);
  // A disabled policy that was given origins at run time answers them like an allow-list
  // (Vary: Origin included); with none it stays disabled.
  const mode = compiled.mode === 'disabled' && state.dynamic.size > 0 ? 'allow-list' : compiled.mode;
  return Object.freeze({ ...compiled, mode, version: state.version, dynamic: state.dynamic });
}

/** Puts the next version in force, whole: one assignment that requests read once when they start. */
function swap(state: LiveState, what: string): void {
  state.version += 1;
  state.cell.current = snapshot(state);
  logPolicy('live policy version %d in force: %s', state.version, what);
}

/** Whether the options configure this entry: one probe in the configured tables. */
function isConfigured(state: LiveState, entry: DynamicEntry): boolean {
  const { value } = entry;
  const compiled = compiledPolicy(state.base);
  if (value.kind === 'exact' || value.kind === 'app') return compiled.exact.has(value.origin);
  if (value.kind === 'host') return compiled.originRules.has('host', value.scheme, value.host, value.port);
  return compiled.originRules.has('subdomains', value.scheme, value.suffix, value.port);
}

/** Validates and compiles `next` in slices, then swaps it in; throws CorsConfigError and changes nothing when invalid. */
async function rebuild(state: LiveState, live: LivePolicy, next: CorsSafetyOptions): Promise<void> {
  if (isCorsPolicy(next)) {
    if (next === (live as CorsPolicy))
      throw new TypeError('cors-safety: a live policy cannot be reconfigured with itself');
    await yieldToEventLoop();
    state.base = next;
  } else {
    // A long origin list is compiled in slices, so requests keep being answered meanwhile; the
    // rest of the options is small and validated in one step, which throws before anything changes.
    const prebuilt = await compileOriginsInSlices(next);
    state.base = buildCorsPolicy(next, prebuilt);
  }
  swap(state, `reconfigured, ${state.base.rules.length} configured rules`);
}

/** Validates an update (all of it first), then applies it as one new version. */
function applyUpdate(state: LiveState, changes: OriginChanges): void {
  const { add, remove } = readChanges(changes);
  const issues = new IssueCollector();
  remove.forEach((entry) => {
    if (isConfigured(state, entry))
      issues.add(
        'remove',
        'origin-configured',
        `${JSON.stringify(entry.rule)} is in the policy's options, so it would stay allowed; remove it with reconfigure()`,
      );
  });
  issues.throwIfAny();
  applyChanges(state, add, remove);
}

/** Applies validated changes as one new version; a change that changes nothing is no version. */
function applyChanges(state: LiveState, add: readonly DynamicEntry[], remove: readonly DynamicEntry[]): void {
  const { dynamic } = state;
  const before = dynamic.size;
  const changed = remove.some((entry) => dynamic.has(entry.rule)) || add.some((entry) => !dynamic.has(entry.rule));
  if (!changed) return;
  for (const entry of remove) dynamic.remove(entry);
  for (const entry of add) dynamic.add(entry);
  swap(state, `update: ${dynamic.size} run-time origins (was ${before})`);
}

/** The summary fields of a live policy: those of the configured policy in force. */
function summary(state: LiveState): Omit<LivePolicy, 'reconfigure' | 'update' | 'invalidate'> {
  return {
    get mode() {
      return state.cell.current.mode;
    },
    get source() {
      return state.base.source;
    },
    get rules() {
      return Object.freeze([...state.base.rules, ...state.dynamic.rules()]);
    },
    get credentials() {
      return state.base.credentials;
    },
    get methods() {
      return state.base.methods;
    },
    get allowedHeaders() {
      return state.base.allowedHeaders;
    },
    get exposedHeaders() {
      return state.base.exposedHeaders;
    },
    get maxAge() {
      return state.base.maxAge;
    },
    get preflightContinue() {
      return state.base.preflightContinue;
    },
    get optionsSuccessStatus() {
      return state.base.optionsSuccessStatus;
    },
    get allowNullOrigin() {
      return state.base.allowNullOrigin;
    },
    get allowPrivateNetwork() {
      return state.base.allowPrivateNetwork;
    },
    get originCheckTimeout() {
      return state.base.originCheckTimeout;
    },
    get exposeReason() {
      return state.base.exposeReason;
    },
    get hasOriginFunction() {
      return state.base.hasOriginFunction;
    },
    get reportOnly() {
      return state.base.reportOnly;
    },
    get version() {
      return state.version;
    },
    get dynamicOrigins() {
      return Object.freeze(state.dynamic.rules());
    },
  };
}

/**
 * Creates a {@link LivePolicy} from options, validated like `createCorsPolicy()` (throws
 * `CorsConfigError` listing every problem). To start with no configured origins and add them
 * at run time, pass `origin: false`: the policy allows what `update()` adds.
 *
 * @example
 * ```ts
 * import { createLivePolicy, corsSafety, corsErrorHandler } from 'cors-safety';
 *
 * const policy = createLivePolicy({ origin: ['https://app.example.com'], credentials: true });
 * app.use(corsSafety(policy));
 * app.use(corsErrorHandler(policy));
 * policy.update({ add: ['https://shop.customer.net'] });         // this request on
 * await policy.reconfigure({ origin: ['https://app.example.com', 'https://admin.example.com'] });
 * ```
 */
export function createLivePolicy(options?: CorsSafetyOptions): LivePolicy {
  const base = createCorsPolicy(options);
  const state: LiveState = { base, version: 1, dynamic: new DynamicOrigins(), cell: { current: compiledPolicy(base) } };
  state.cell.current = snapshot(state);
  let queue: Promise<unknown> = Promise.resolve();
  // The summary's getters, and the three methods, on one object (Object.assign keeps the getters).
  const live: LivePolicy = Object.assign(summary(state), {
    reconfigure: function reconfigure(next: CorsSafetyOptions): Promise<void> {
      // Applied in call order: a later call never loses to an earlier one that took longer.
      const run = queue.then(() => rebuild(state, live, next));
      queue = run.catch(() => undefined);
      return run;
    },
    update: function update(changes: OriginChanges): void {
      applyUpdate(state, changes);
    },
    invalidate: function invalidate(origin?: string): void {
      state.cell.current.lookup?.invalidate(origin);
    },
  });
  Object.freeze(live);
  liveLayers.set(live, {
    has: (rule) => state.dynamic.has(rule),
    rules: () => state.dynamic.rules(),
    reserve: (count) => {
      state.dynamic.reserve(count);
    },
    apply: (add, remove) => {
      applyChanges(state, add, remove);
    },
  });
  registerPolicy(live, state.cell);
  logPolicy('live policy version 1 in force: %d configured rules', base.rules.length);
  return live;
}

/**
 * The run-time layer of a live policy, as the Redis mirror (src/policy/live-reload.ts) reads and
 * changes it: membership by rule text, the rules in force, and changes applied as one version
 * without the configured-origin check (that check is per instance, in `update()`).
 */
export interface LiveLayer {
  has(rule: string): boolean;
  rules(): readonly string[];
  /** Sizes the tables for `count` more rules (see DynamicOrigins.reserve()). */
  reserve(count: number): void;
  apply(add: readonly DynamicEntry[], remove: readonly DynamicEntry[]): void;
}

const liveLayers = new WeakMap<LivePolicy, LiveLayer>();

/** The run-time layer of `policy`, or `undefined` when it was not made by {@link createLivePolicy}. Internal. */
export function liveLayer(policy: LivePolicy): LiveLayer | undefined {
  return liveLayers.get(policy);
}

/** True for a policy made by {@link createLivePolicy}. */
export function isLivePolicy(value: unknown): value is LivePolicy {
  return typeof value === 'object' && value !== null && liveLayers.has(value as LivePolicy);
}

/**
 * Drops the cached `originLookup` answers of any policy (live or not) for `origin`, or all of
 * them: call it when a tenant's domain is removed from your database. Does nothing for a policy
 * without `originLookup`.
 *
 * @example
 * ```ts
 * await db.removeDomain('https://shop.customer.net');
 * invalidateOriginLookup(policy, 'https://shop.customer.net');
 * ```
 */
export function invalidateOriginLookup(policy: CorsPolicy, origin?: string): void {
  compiledPolicy(policy).lookup?.invalidate(origin);
}
