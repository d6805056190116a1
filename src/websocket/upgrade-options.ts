/** Validation of the upgrade adapters' options and of their policy argument, at construction. */
import { IssueCollector } from '../policy/errors.js';
import { warnOnce } from '../shared/log.js';
import { describeValue, isPlainObject, ownOptions } from '../policy/option-values.js';
import { closestName } from '../shared/did-you-mean.js';
import { OPTION_NAMES, unknownOptionMessage } from '../policy/options.js';
import { collectPolicy, policyCell, type CorsPolicy, type PolicyCell } from '../policy/policy.js';
import { compileTrustProxy, TRUST_NO_PROXY } from './proxy-trust.js';
import type { GuardConfig, UpgradeGuardOptions } from './upgrade-types.js';

export const GUARD_OPTION_NAMES: readonly (keyof UpgradeGuardOptions)[] = [
  'requireOrigin',
  'trustProxy',
  'dangerouslyAllowNullOrigin',
  'paths',
  'unmatchedPath',
  'onReject',
  'writeTimeout',
];
export const VERIFY_CLIENT_OPTION_NAMES: readonly (keyof UpgradeGuardOptions)[] = [
  'requireOrigin',
  'trustProxy',
  'dangerouslyAllowNullOrigin',
  'onReject',
];
export const DEFAULT_WRITE_TIMEOUT_MS = 5000;
export const MAX_PATH_LENGTH = 2048;
export const HANDLE_UPGRADE_EXAMPLE =
  '(req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req))';

/** The upgrade adapters: the guard, ws's `verifyClient` and engine.io's `allowRequest`. */
export type Factory = 'upgradeGuard' | 'createVerifyClient' | 'createAllowRequest';

export function optionsExample(factory: Factory, key: string): string {
  return factory === 'upgradeGuard'
    ? `upgradeGuard(policy, onAllowed, { ${key}: ... })`
    : `${factory}(policy, { ${key}: ... })`;
}

/** What the library under a hook adapter offers instead of a guard-only option. */
function guardOnlyFix(factory: Factory, key: string): string {
  if (factory === 'createAllowRequest')
    return key === 'paths' ? "use socket.io's own path option" : 'engine.io writes the refusal itself';
  return key === 'paths' ? "use WebSocketServer's own path option" : 'ws writes the refusal itself';
}

/** Builds the policy, reporting guard options written into the policy options where they belong. */
export function resolvePolicy(
  policyOrOptions: unknown,
  factory: Factory,
  issues: IssueCollector,
): CorsPolicy | undefined {
  return collectPolicy(policyOrOptions, issues, {
    names: factory === 'upgradeGuard' ? GUARD_OPTION_NAMES : VERIFY_CLIENT_OPTION_NAMES,
    code: 'guard-option-in-policy',
    message: (key) => `belongs to ${factory}(), not to the policy; pass it separately: ${optionsExample(factory, key)}`,
  });
}

export function readPaths(value: unknown, issues: IssueCollector): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    issues.add('paths', 'paths-type', `must be an array of paths such as ["/ws"], got ${describeValue(value)}`);
    return undefined;
  }
  if (value.length === 0)
    issues.add(
      'paths',
      'paths-empty',
      'is an empty list, which accepts no upgrade; list paths such as ["/ws"], or leave the option out to accept every path',
    );
  const paths = new Set<string>();
  (value as unknown[]).forEach((entry, i) => {
    const path = `paths[${i}]`;
    if (typeof entry !== 'string')
      return issues.add(path, 'path-type', `must be a string such as "/ws", got ${describeValue(entry)}`);
    const shown = JSON.stringify(entry);
    if (!entry.startsWith('/'))
      return issues.add(path, 'path-not-absolute', `${shown} must start with "/"; write "/${entry}"`);
    if (entry.length > MAX_PATH_LENGTH)
      return issues.add(
        path,
        'path-too-long',
        `is longer than ${MAX_PATH_LENGTH} characters; list the paths clients request`,
      );
    for (let c = 0; c < entry.length; c++) {
      const code = entry.charCodeAt(c);
      if (code <= 32 || code === 127)
        return issues.add(
          path,
          'path-whitespace',
          `${shown} contains spaces or control characters; percent-encode them as the client sends them`,
        );
    }
    const cut = Math.min(...['?', '#'].map((mark) => entry.indexOf(mark)).filter((at) => at >= 0));
    if (Number.isFinite(cut))
      return issues.add(
        path,
        'path-has-query',
        `${shown} has a query or fragment, which is ignored when matching; write "${entry.slice(0, cut)}"`,
      );
    paths.add(entry);
  });
  return paths;
}

/** Validates the options object of either factory; every problem goes to `issues`. */
export function readGuardOptions(given: unknown, factory: Factory, issues: IssueCollector): GuardConfig {
  const defaults: GuardConfig = {
    requireOrigin: false,
    trustProxy: TRUST_NO_PROXY,
    allowNullOrigin: false,
    paths: undefined,
    unmatchedPath: 'not-found',
    onReject: undefined,
    writeTimeout: DEFAULT_WRITE_TIMEOUT_MS,
  };
  if (given === undefined) return defaults;
  if (!isPlainObject(given)) {
    issues.add(
      '(options)',
      'options-type',
      `must be a plain object such as { requireOrigin: true }, got ${describeValue(given)}; pass it last: ${optionsExample(factory, 'requireOrigin')}`,
    );
    return defaults;
  }
  // Own properties only: a polluted Object.prototype cannot turn an option on.
  const options = ownOptions(given);
  reportUnknownKeys(options, factory, issues);
  const readBoolean = (key: 'requireOrigin' | 'dangerouslyAllowNullOrigin'): boolean => {
    const value = options[key];
    if (value === undefined || typeof value === 'boolean') return value === true;
    issues.add(key, 'not-boolean', `must be true or false, got ${describeValue(value)}`);
    return false;
  };
  const requireOrigin = readBoolean('requireOrigin');
  const trustProxy = compileTrustProxy(options.trustProxy, issues, 'trustProxy');
  const allowNullOrigin = readBoolean('dangerouslyAllowNullOrigin');
  if (allowNullOrigin) {
    warnOnce(
      'CORS_SAFETY_UPGRADE_NULL_ORIGIN',
      `cors-safety: ${factory}() has dangerouslyAllowNullOrigin: true. Every sandboxed iframe of any site and every file: page sends Origin: null, so any of them can open a socket with the user's cookies.`,
    );
  }
  let onReject: GuardConfig['onReject'];
  if (options.onReject !== undefined) {
    if (typeof options.onReject === 'function') onReject = options.onReject as GuardConfig['onReject'];
    else
      issues.add(
        'onReject',
        'not-function',
        `must be a function ({ reason, origin, req }) => void, got ${describeValue(options.onReject)}`,
      );
  }
  if (factory !== 'upgradeGuard') return { ...defaults, requireOrigin, trustProxy, allowNullOrigin, onReject };
  return { requireOrigin, trustProxy, allowNullOrigin, onReject, ...readGuardOnlyOptions(options, issues) };
}

/** Reports every key that is not an option of `factory`, naming where it belongs or the close spelling. */
function reportUnknownKeys(options: Record<string, unknown>, factory: Factory, issues: IssueCollector): void {
  const known = factory === 'upgradeGuard' ? GUARD_OPTION_NAMES : VERIFY_CLIENT_OPTION_NAMES;
  for (const key of Object.keys(options)) {
    if ((known as readonly string[]).includes(key)) continue;
    if ((GUARD_OPTION_NAMES as readonly string[]).includes(key)) {
      const fix = guardOnlyFix(factory, key);
      issues.add(key, 'unknown-option', `is an upgradeGuard() option only; with ${factory}() ${fix}`);
    } else if ((OPTION_NAMES as readonly string[]).includes(key)) {
      issues.add(
        key,
        'policy-option-in-guard-options',
        `is a policy option; pass it in the first argument, e.g. ${factory}({ ${key}: ... }), or to createCorsPolicy()`,
      );
    } else {
      issues.add(key, 'unknown-option', unknownOptionMessage(`${factory}()`, closestName(key, known), known));
    }
  }
}

/** The options only upgradeGuard() has: it writes refusals itself and can limit the paths it checks. */
function readGuardOnlyOptions(
  options: Record<string, unknown>,
  issues: IssueCollector,
): Pick<GuardConfig, 'paths' | 'unmatchedPath' | 'writeTimeout'> {
  let writeTimeout = DEFAULT_WRITE_TIMEOUT_MS;
  const timeout = options.writeTimeout;
  if (timeout !== undefined) {
    if (typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= 60000)
      writeTimeout = timeout;
    else
      issues.add(
        'writeTimeout',
        'out-of-range',
        `must be an integer from 1 to 60000 (milliseconds), got ${describeValue(timeout)}`,
      );
  }
  const paths = readPaths(options.paths, issues);
  let unmatchedPath: GuardConfig['unmatchedPath'] = 'not-found';
  const unmatched = options.unmatchedPath;
  if (unmatched !== undefined) {
    if (unmatched === 'not-found' || unmatched === 'destroy' || typeof unmatched === 'function')
      unmatchedPath = unmatched as GuardConfig['unmatchedPath'];
    else
      issues.add(
        'unmatchedPath',
        'unmatched-path-type',
        `must be "not-found", "destroy" or an upgrade listener (req, socket, head) => void, got ${describeValue(unmatched)}`,
      );
    if (options.paths === undefined)
      issues.add(
        'unmatchedPath',
        'unmatched-path-without-paths',
        'has no effect without paths; list the accepted paths in paths, or remove unmatchedPath',
      );
  }
  return { paths, unmatchedPath, writeTimeout };
}

/** Tells what was passed as `onAllowed` and how to write it. */
export function onAllowedProblem(value: unknown): string {
  const fix = `pass a function such as ${HANDLE_UPGRADE_EXAMPLE} on a new WebSocketServer({ noServer: true })`;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { handleUpgrade?: unknown }).handleUpgrade === 'function'
  ) {
    return `got a WebSocketServer; ${fix}`;
  }
  if (isPlainObject(value)) return `got an object (options go third: upgradeGuard(policy, onAllowed, options)); ${fix}`;
  return `must be a function, got ${value === undefined ? 'undefined' : describeValue(value)}; ${fix}`;
}

/** A policy that lets every origin through also lets every site open sockets with the user's cookies. */
export function warnIfAnyOrigin(policy: CorsPolicy, factory: Factory): void {
  if (policy.mode !== 'public' && policy.mode !== 'reflect-any') return;
  warnOnce(
    'CORS_SAFETY_UPGRADE_ANY_ORIGIN',
    `cors-safety: ${factory}() uses a policy that allows any origin. Browsers send cookies with WebSocket handshakes whatever the CORS policy says, so any website can open a socket as your logged-in users; list the origins you trust, or authenticate sockets with a token rather than cookies.`,
  );
}

/**
 * Validates the policy and options of a hook adapter (ws's `verifyClient`, engine.io's
 * `allowRequest`), throwing one `CorsConfigError` with every problem, and returns the cell each
 * handshake reads the compiled policy from when it starts.
 */
export function compileHookAdapter(
  policyOrOptions: unknown,
  options: unknown,
  factory: Exclude<Factory, 'upgradeGuard'>,
): { readonly cell: PolicyCell; readonly config: GuardConfig } {
  const issues = new IssueCollector();
  const policy = resolvePolicy(policyOrOptions, factory, issues);
  const config = readGuardOptions(options, factory, issues);
  issues.throwIfAny();
  warnIfAnyOrigin(policy as CorsPolicy, factory);
  return { cell: policyCell(policy as CorsPolicy), config };
}
