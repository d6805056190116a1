/**
 * createLivePolicy(): a policy that changes while serving. Each change builds a new immutable
 * snapshot and swaps it in at once (an atomic reference, as jub0bs/cors `Reconfigure` does);
 * every request and handshake reads the snapshot once, when it starts, and is decided by it.
 */
import { DynamicOrigins, readDynamicEntry, type DynamicEntry } from './dynamic-origins.js';
import { IssueCollector } from './errors.js';
import { logPolicy } from '../shared/log.js';
import { describeValue, isPlainObject } from './option-values.js';
import type { CorsSafetyOptions } from './options.js';
import { PolicyBuilder } from './policy-builder.js';
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

/** Milliseconds of compiling between two turns of the event loop. */
const SLICE_MS = 8;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Compiles an `origin` array of options in slices of about {@link SLICE_MS} ms, yielding to the
 * event loop between them; `undefined` when the options hold no array (built in one go, as small).
 * The builder's issues are reported with the rest of the options by buildCorsPolicy().
 */
async function compileOriginsInSlices(options: unknown): Promise<PolicyBuilder | undefined> {
  await yieldToEventLoop();
  if (!isPlainObject(options) || !Object.hasOwn(options, 'origin')) return undefined;
  const list = (options as { origin?: unknown }).origin;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const allowSuffixesBelow =
    Object.hasOwn(options, 'dangerouslyAllowPublicSuffixesUnderWildcards') &&
    (options as { dangerouslyAllowPublicSuffixesUnderWildcards?: unknown })
      .dangerouslyAllowPublicSuffixesUnderWildcards === true;
  const builder = new PolicyBuilder(new IssueCollector(), allowSuffixesBelow);
  let sliceStart = performance.now();
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (typeof entry === 'string') builder.addOriginEntry(entry, `origin[${i}]`);
    else if (entry instanceof RegExp) builder.addRegExp(entry, `origin[${i}]`);
    else builder.issues.add(`origin[${i}]`, 'origin-type', `must be a string or a RegExp, got ${describeValue(entry)}`);
    if ((i & 255) === 255 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
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
  for (const key of ['add', 'remove'] as const) {
    const list = given[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      issues.add(key, 'update-type', `must be an array of origins, got ${describeValue(list)}`);
      continue;
    }
    (list as unknown[]).forEach((entry, i) => {
      const read = readDynamicEntry(entry, `${key}[${i}]`, issues);
      if (read !== undefined) result[key].push(read);
    });
  }
  issues.throwIfAny();
  return result;
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
  let base = createCorsPolicy(options);
  let configuredRules: ReadonlySet<string> | undefined;
  const dynamic = new DynamicOrigins();
  let version = 1;
  const snapshot = (): CompiledPolicy => {
    const compiled = compiledPolicy(base);
    // A disabled policy that was given origins at run time answers them like an allow-list
    // (Vary: Origin included); with none it stays disabled.
    const mode = compiled.mode === 'disabled' && dynamic.size > 0 ? 'allow-list' : compiled.mode;
    return Object.freeze({ ...compiled, mode, version, dynamic });
  };
  const cell: { current: CompiledPolicy } = { current: snapshot() };
  /** Whether the options configure this entry: exact origins by one probe, patterns by a set built once. */
  const isConfigured = (entry: DynamicEntry): boolean => {
    const { value } = entry;
    if (value.kind === 'exact' || value.kind === 'app') return compiledPolicy(base).exact.has(value.origin);
    configuredRules ??= new Set(base.rules);
    return configuredRules.has(entry.rule);
  };
  const swap = (what: string): void => {
    version += 1;
    cell.current = snapshot();
    logPolicy('live policy version %d in force: %s', version, what);
  };

  let queue: Promise<unknown> = Promise.resolve();
  /** Validates and compiles `next`, then swaps it in; throws CorsConfigError and changes nothing when invalid. */
  const rebuild = async (next: CorsSafetyOptions): Promise<void> => {
    if (isCorsPolicy(next)) {
      if (next === (live as CorsPolicy))
        throw new TypeError('cors-safety: a live policy cannot be reconfigured with itself');
      await yieldToEventLoop();
      base = next;
    } else {
      // A long origin list is compiled in slices, so requests keep being answered meanwhile.
      const prebuilt = await compileOriginsInSlices(next);
      base = buildCorsPolicy(next, prebuilt);
    }
    configuredRules = undefined;
    swap(`reconfigured, ${base.rules.length} configured rules`);
  };

  const live: LivePolicy = {
    get mode() {
      return cell.current.mode;
    },
    get source() {
      return base.source;
    },
    get rules() {
      return Object.freeze([...base.rules, ...dynamic.rules()]);
    },
    get credentials() {
      return base.credentials;
    },
    get methods() {
      return base.methods;
    },
    get allowedHeaders() {
      return base.allowedHeaders;
    },
    get exposedHeaders() {
      return base.exposedHeaders;
    },
    get maxAge() {
      return base.maxAge;
    },
    get preflightContinue() {
      return base.preflightContinue;
    },
    get optionsSuccessStatus() {
      return base.optionsSuccessStatus;
    },
    get allowNullOrigin() {
      return base.allowNullOrigin;
    },
    get allowPrivateNetwork() {
      return base.allowPrivateNetwork;
    },
    get originCheckTimeout() {
      return base.originCheckTimeout;
    },
    get exposeReason() {
      return base.exposeReason;
    },
    get hasOriginFunction() {
      return base.hasOriginFunction;
    },
    get reportOnly() {
      return base.reportOnly;
    },
    get version() {
      return version;
    },
    get dynamicOrigins() {
      return Object.freeze(dynamic.rules());
    },
    reconfigure: function reconfigure(next: CorsSafetyOptions): Promise<void> {
      // Applied in call order: a later call never loses to an earlier one that took longer.
      const run = queue.then(() => rebuild(next));
      queue = run.catch(() => undefined);
      return run;
    },
    update: function update(changes: OriginChanges): void {
      const { add, remove } = readChanges(changes);
      const issues = new IssueCollector();
      remove.forEach((entry) => {
        if (isConfigured(entry))
          issues.add(
            'remove',
            'origin-configured',
            `${JSON.stringify(entry.rule)} is in the policy's options, so it would stay allowed; remove it with reconfigure()`,
          );
      });
      issues.throwIfAny();
      applyChanges(add, remove);
    },
    invalidate: function invalidate(origin?: string): void {
      cell.current.lookup?.invalidate(origin);
    },
  };
  const applyChanges = (add: readonly DynamicEntry[], remove: readonly DynamicEntry[]): void => {
    const before = dynamic.size;
    const changed = remove.some((entry) => dynamic.has(entry.rule)) || add.some((entry) => !dynamic.has(entry.rule));
    if (!changed) return;
    for (const entry of remove) dynamic.remove(entry.rule);
    for (const entry of add) dynamic.add(entry);
    swap(`update: ${dynamic.size} run-time origins (was ${before})`);
  };
  Object.freeze(live);
  liveChanges.set(live, applyChanges);
  registerPolicy(live, cell);
  logPolicy('live policy version 1 in force: %d configured rules', base.rules.length);
  return live;
}

/** How the Redis mirror applies a whole set: no configured-origin check (that is per instance). */
const liveChanges = new WeakMap<LivePolicy, (add: readonly DynamicEntry[], remove: readonly DynamicEntry[]) => void>();

/**
 * Makes the run-time origins of `policy` exactly `origins` (already validated). Internal: the
 * Redis mirror calls it with the whole set it loaded. Throws a TypeError for other policies.
 */
export function replaceDynamicOrigins(policy: LivePolicy, origins: readonly DynamicEntry[]): void {
  const apply = liveChanges.get(policy);
  if (apply === undefined) throw new TypeError('cors-safety: not a policy made by createLivePolicy()');
  const wanted = new Set(origins.map((entry) => entry.rule));
  const remove = policy.dynamicOrigins
    .filter((rule) => !wanted.has(rule))
    .map((rule) => readChanges({ remove: [rule] }).remove[0] as DynamicEntry);
  apply(origins, remove);
}

/** True for a policy made by {@link createLivePolicy}. */
export function isLivePolicy(value: unknown): value is LivePolicy {
  return typeof value === 'object' && value !== null && liveChanges.has(value as LivePolicy);
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
