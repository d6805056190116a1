/**
 * upgradeGuard() and createVerifyClient(): the policy applied to WebSocket handshakes.
 *
 * Browsers apply no CORS to WebSocket handshakes: they send `Origin` (RFC 6455 §4.1, item 8)
 * and leave it to the server to refuse origins it does not trust with a 403 (RFC 6455 §4.2.2
 * item 4, /origin/, and §10.2). Without a check, any website can open a socket carrying the
 * user's cookies ("cross-site WebSocket hijacking"). Both adapters share one decision,
 * `decideUpgrade()`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { IssueCollector } from '../policy/errors.js';
import { describeError, logUpgrade, quoteForLog, warnOnce } from '../policy/log.js';
import { closestName, describeValue, isPlainObject, looksLikeRequest } from '../policy/option-values.js';
import { OPTION_NAMES, type CorsSafetyOptions } from '../policy/options.js';
import { decideOrigin } from '../policy/origin-check.js';
import { isLoopbackHost, parseSerializedOrigin } from '../policy/origin-syntax.js';
import { collectPolicy, compiledPolicy, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import type { OriginAllowReason, OriginDenyReason, OriginVerdict } from '../policy/reasons.js';
import {
  attachErrorListener,
  reasonPhrase,
  refuseUpgrade,
  releaseErrorListener,
  socketGone,
  type UpgradeRefusalStatus,
} from './upgrade-refusal.js';
import {
  readUpgradeRequest,
  type ClaimedOrigin,
  type RequestOriginProblem,
  type UpgradeRequestFacts,
} from './upgrade-request.js';

/**
 * A `node:http` / `node:https` server `upgrade` listener.
 *
 * @example
 * ```ts
 * const listener: UpgradeListener = upgradeGuard(policy, onAllowed);
 * server.on('upgrade', listener);
 * ```
 */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Why a handshake was let through: the origin reasons of the core, plus `allowed-no-origin` for
 * a request without any `Origin` (a non-browser client) while `requireOrigin` is off.
 *
 * @example
 * ```ts
 * const reason: UpgradeAllowReason = 'allowed-same-origin';
 * ```
 */
export type UpgradeAllowReason = OriginAllowReason | 'allowed-no-origin';

/**
 * Why a handshake was refused: the origin reasons of the core (answered 403), a missing,
 * repeated or malformed `Host` / trusted `X-Forwarded-*` header (400), or `path-not-matched`
 * for a path outside `paths` (404, or destroyed).
 *
 * @example
 * ```ts
 * upgradeGuard(policy, onAllowed, { onReject: ({ reason }) => metrics.increment(`ws.refused.${reason}`) });
 * ```
 */
export type UpgradeDenyReason = OriginDenyReason | RequestOriginProblem | 'path-not-matched';

/**
 * What `onReject` receives for every refused handshake.
 *
 * @example
 * ```ts
 * const onReject = (info: UpgradeRejectInfo) => console.warn('ws refused', info.reason, info.origin ?? '-', info.req.url);
 * ```
 */
export interface UpgradeRejectInfo {
  readonly reason: UpgradeDenyReason;
  /** The claimed origin when it was well-formed; `undefined` otherwise. Never raw header text. */
  readonly origin: string | undefined;
  readonly req: IncomingMessage;
  /** Status of the answer, or `undefined` when the socket was closed without one. */
  readonly status: UpgradeRefusalStatus | undefined;
}

/**
 * Options of {@link upgradeGuard}. The origin rules themselves come from the policy.
 *
 * @example
 * ```ts
 * upgradeGuard(policy, onAllowed, { requireOrigin: true, paths: ['/live'], onReject: countRefusal });
 * ```
 */
export interface UpgradeGuardOptions {
  /**
   * Refuse handshakes that carry no `Origin` (nor `Sec-WebSocket-Origin`). Default `false`:
   * browsers always send one, so a request without it comes from a non-browser client, which could
   * send any `Origin` it liked anyway; authenticate such clients by other means.
   */
  requireOrigin?: boolean | undefined;
  /**
   * Use the first value of `X-Forwarded-Proto` and `X-Forwarded-Host` as the request's scheme and
   * host for the same-origin check. Only when a reverse proxy you control sets both headers on
   * every request: otherwise any client can claim to be same-origin. Default `false`.
   */
  trustProxy?: boolean | undefined;
  /**
   * Upgrade paths this guard accepts, matched exactly against the path of `req.url` (the query is
   * ignored), e.g. `['/ws', '/live']`. Default: every path.
   */
  paths?: readonly string[] | undefined;
  /**
   * What happens to an upgrade whose path is not in `paths`: `'not-found'` (default) answers 404
   * and closes, `'destroy'` closes without an answer, and a function receives the upgrade instead
   * (for example another guard for another path). Requires `paths`.
   */
  unmatchedPath?: 'not-found' | 'destroy' | UpgradeListener | undefined;
  /** Called for every refused handshake, for metrics. A throw or rejection is logged and ignored. */
  onReject?: ((info: UpgradeRejectInfo) => void) | undefined;
  /** Milliseconds a refusal may take to be written before the socket is destroyed. Default 5000. */
  writeTimeout?: number | undefined;
}

/**
 * Options of {@link createVerifyClient}: the decision options of {@link upgradeGuard}. Paths are
 * ws's own `path` option, and ws writes the refusal itself.
 *
 * @example
 * ```ts
 * createVerifyClient(policy, { requireOrigin: true });
 * ```
 */
export type VerifyClientOptions = Pick<UpgradeGuardOptions, 'requireOrigin' | 'trustProxy' | 'onReject'>;

/**
 * What ws passes to `verifyClient` (ws's `VerifyClientCallbackAsync`), typed without ws.
 *
 * @example
 * ```ts
 * const info: VerifyClientInfo = { origin: 'https://app.example.com', secure: true, req };
 * ```
 */
export interface VerifyClientInfo {
  readonly origin: string | undefined;
  readonly secure: boolean;
  readonly req: IncomingMessage;
}

/**
 * ws's `verifyClient` callback: `true` accepts, `false` refuses with `code` and `message`.
 *
 * @example
 * ```ts
 * const done: VerifyClientCallback = (ok, code, message) => console.log(ok, code, message);
 * ```
 */
export type VerifyClientCallback = (result: boolean, code?: number, message?: string) => void;

/**
 * The asynchronous (two-parameter) form of ws's `verifyClient` option.
 *
 * @example
 * ```ts
 * const verifyClient: VerifyClient = createVerifyClient(policy);
 * new WebSocketServer({ server, verifyClient });
 * ```
 */
export type VerifyClient = (info: VerifyClientInfo, callback: VerifyClientCallback) => void;

/** Options after validation. */
interface GuardConfig {
  readonly requireOrigin: boolean;
  readonly trustProxy: boolean;
  readonly paths: ReadonlySet<string> | undefined;
  readonly unmatchedPath: 'not-found' | 'destroy' | UpgradeListener;
  readonly onReject: ((info: UpgradeRejectInfo) => void) | undefined;
  readonly writeTimeout: number;
}

/** One handshake's outcome. `claimed` is what the client sent, for log lines only. */
type UpgradeDecision =
  | {
      readonly allowed: true;
      readonly reason: UpgradeAllowReason;
      readonly origin: string | undefined;
      readonly rule: string;
      readonly claimed: ClaimedOrigin;
    }
  | {
      readonly allowed: false;
      readonly status: 400 | 403;
      readonly reason: UpgradeDenyReason;
      readonly origin: string | undefined;
      readonly claimed: ClaimedOrigin;
      readonly detail?: string | undefined;
      /** The request's facts, for a proxy hint worked out only when the refusal is logged. */
      readonly facts?: UpgradeRequestFacts | undefined;
    };

const GUARD_OPTION_NAMES: readonly (keyof UpgradeGuardOptions)[] = [
  'requireOrigin',
  'trustProxy',
  'paths',
  'unmatchedPath',
  'onReject',
  'writeTimeout',
];
const VERIFY_CLIENT_OPTION_NAMES: readonly (keyof UpgradeGuardOptions)[] = ['requireOrigin', 'trustProxy', 'onReject'];
const DEFAULT_WRITE_TIMEOUT_MS = 5000;
const MAX_PATH_LENGTH = 2048;
const HANDLE_UPGRADE_EXAMPLE =
  '(req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req))';

type Factory = 'upgradeGuard' | 'createVerifyClient';

function optionsExample(factory: Factory, key: string): string {
  return factory === 'upgradeGuard'
    ? `upgradeGuard(policy, onAllowed, { ${key}: ... })`
    : `createVerifyClient(policy, { ${key}: ... })`;
}

/** Builds the policy, reporting guard options written into the policy options where they belong. */
function resolvePolicy(policyOrOptions: unknown, factory: Factory, issues: IssueCollector): CorsPolicy | undefined {
  return collectPolicy(policyOrOptions, issues, {
    names: factory === 'upgradeGuard' ? GUARD_OPTION_NAMES : VERIFY_CLIENT_OPTION_NAMES,
    code: 'guard-option-in-policy',
    message: (key) =>
      `is a ${factory}() option, not a policy option; pass it separately: ${optionsExample(factory, key)}`,
  });
}

function readPaths(value: unknown, issues: IssueCollector): ReadonlySet<string> | undefined {
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
      return issues.add(path, 'path-too-long', `is longer than ${MAX_PATH_LENGTH} characters`);
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
function readGuardOptions(options: unknown, factory: Factory, issues: IssueCollector): GuardConfig {
  const defaults: GuardConfig = {
    requireOrigin: false,
    trustProxy: false,
    paths: undefined,
    unmatchedPath: 'not-found',
    onReject: undefined,
    writeTimeout: DEFAULT_WRITE_TIMEOUT_MS,
  };
  if (options === undefined) return defaults;
  if (!isPlainObject(options)) {
    issues.add(
      '(options)',
      'options-type',
      `${factory}() options must be a plain object, got ${describeValue(options)}`,
    );
    return defaults;
  }
  const known = factory === 'upgradeGuard' ? GUARD_OPTION_NAMES : VERIFY_CLIENT_OPTION_NAMES;
  for (const key of Object.keys(options)) {
    if ((known as readonly string[]).includes(key)) continue;
    if ((GUARD_OPTION_NAMES as readonly string[]).includes(key)) {
      const fix = key === 'paths' ? "use WebSocketServer's own path option" : 'ws writes the refusal itself';
      issues.add(key, 'unknown-option', `is an upgradeGuard() option only; with createVerifyClient() ${fix}`);
    } else if ((OPTION_NAMES as readonly string[]).includes(key)) {
      issues.add(
        key,
        'policy-option-in-guard-options',
        `is a policy option; pass it in the first argument, e.g. ${factory}({ ${key}: ... }), or to createCorsPolicy()`,
      );
    } else {
      const suggestion = closestName(key, known);
      issues.add(
        key,
        'unknown-option',
        suggestion === undefined
          ? `is not an option of ${factory}(); remove it (known: ${known.join(', ')})`
          : `is not an option; did you mean "${suggestion}"?`,
      );
    }
  }
  const readBoolean = (key: 'requireOrigin' | 'trustProxy'): boolean => {
    const value = options[key];
    if (value === undefined || typeof value === 'boolean') return value === true;
    issues.add(key, 'not-boolean', `must be true or false, got ${describeValue(value)}`);
    return false;
  };
  const requireOrigin = readBoolean('requireOrigin');
  const trustProxy = readBoolean('trustProxy');
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
  if (factory === 'createVerifyClient') return { ...defaults, requireOrigin, trustProxy, onReject };

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
  return { requireOrigin, trustProxy, paths, unmatchedPath, onReject, writeTimeout };
}

/** Tells what was passed as `onAllowed` and how to write it. */
function onAllowedProblem(value: unknown): string {
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
function warnIfAnyOrigin(policy: CorsPolicy, factory: Factory): void {
  if (policy.mode !== 'public' && policy.mode !== 'reflect-any') return;
  warnOnce(
    'CORS_SAFETY_UPGRADE_ANY_ORIGIN',
    `cors-safety: ${factory}() uses a policy that allows any origin. Browsers send cookies with WebSocket handshakes whatever the CORS policy says, so any website can open a socket as your logged-in users; list the origins you trust, or authenticate sockets with a token rather than cookies.`,
  );
}

/** Only proxy-shaped refusals get a hint: the reasons below cannot be fixed by proxy settings. */
function refusalHint(origin: string | undefined, facts: UpgradeRequestFacts, trustProxy: boolean): string | undefined {
  if (origin === undefined || !facts.target.ok) return undefined;
  const claimed = parseSerializedOrigin(origin);
  if (claimed === undefined) return undefined;
  const own = facts.target.parsed;
  if (facts.forwarded && !trustProxy) {
    return 'the request has X-Forwarded-Host/X-Forwarded-Proto headers, which are ignored without trustProxy: true; set it only if a reverse proxy you control sets them';
  }
  if (claimed.host === own.host && origin !== facts.target.origin) {
    return `the Origin has this server's host but the request arrived as ${facts.target.origin}; behind a TLS-terminating proxy, ${trustProxy ? 'make it send X-Forwarded-Proto and X-Forwarded-Host' : 'set trustProxy: true and make it send X-Forwarded-Proto'}`;
  }
  if (origin === facts.target.origin) {
    return `the Origin is this server's own origin, but ${own.host}:${own.port} is not in allowedHosts (which admits https, and http for loopback hosts only); add it to allow same-origin pages`;
  }
  if (isLoopbackHost(own.host) && !isLoopbackHost(claimed.host)) {
    return `the request's Host is ${own.host}: a proxy may be rewriting Host; make it pass Host through, or send X-Forwarded-Host and set trustProxy: true`;
  }
  return undefined;
}

function fromVerdict(verdict: OriginVerdict, value: string, facts: UpgradeRequestFacts): UpgradeDecision {
  const claimed = facts.claimed;
  if (verdict.allowed)
    return { allowed: true, reason: verdict.reason, origin: verdict.origin, rule: verdict.rule, claimed };
  // Shared denials (cors-disabled) carry no origin; report the value only once it parses strictly.
  const origin = verdict.origin ?? (parseSerializedOrigin(value) === undefined ? undefined : value);
  return {
    allowed: false,
    status: 403,
    reason: verdict.reason,
    origin,
    claimed,
    detail: verdict.detail,
    facts,
  };
}

/**
 * The handshake decision shared by both adapters. Order: `Host` (400), one claimed origin
 * (403 `origin-multiple`), no origin (`requireOrigin`), same-origin, then the policy's origin
 * rules. Synchronous unless the policy's origin function answers asynchronously; never throws.
 */
function decideUpgrade(
  compiled: CompiledPolicy,
  config: GuardConfig,
  req: IncomingMessage,
): UpgradeDecision | Promise<UpgradeDecision> {
  const facts = readUpgradeRequest(req, config.trustProxy);
  const { claimed, target } = facts;
  // RFC 9112 §3.2 (and RFC 6455 §4.2.1 item 2): no Host, several Host lines or an invalid one: 400.
  if (!target.ok) return { allowed: false, status: 400, reason: target.reason, origin: undefined, claimed };
  if (claimed.kind === 'multiple')
    return { allowed: false, status: 403, reason: 'origin-multiple', origin: undefined, claimed };
  if (claimed.kind === 'none') {
    return config.requireOrigin
      ? { allowed: false, status: 403, reason: 'origin-missing', origin: undefined, claimed }
      : { allowed: true, reason: 'allowed-no-origin', origin: undefined, rule: 'requireOrigin: false', claimed };
  }
  const value = claimed.value;
  // RFC 6454 §5: same scheme, host and port. The request's own host must also be one this server
  // answers to (allowedHosts), or a rebound DNS name would make any page "same-origin".
  if (value === target.origin) {
    const rule = compiled.hostRules.match(target.parsed);
    if (rule !== undefined) return { allowed: true, reason: 'allowed-same-origin', origin: value, rule, claimed };
  }
  const verdict = decideOrigin(compiled, value, req);
  if (verdict instanceof Promise) return verdict.then((settled) => fromVerdict(settled, value, facts));
  return fromVerdict(verdict, value, facts);
}

/** Calls the metrics hook; nothing it does can reach the request. */
function report(
  hook: GuardConfig['onReject'],
  reason: UpgradeDenyReason,
  origin: string | undefined,
  req: IncomingMessage,
  status: UpgradeRefusalStatus | undefined,
): void {
  if (hook === undefined) return;
  try {
    const result = hook(Object.freeze({ reason, origin, req, status })) as unknown;
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) =>
        logUpgrade('onReject rejected: %s', describeError(err)),
      );
    }
  } catch (err) {
    logUpgrade('onReject threw: %s', describeError(err));
  }
}

/** A bug in the application's handler surfaces as it would from any listener, after cleanup. */
function rethrowLater(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

/**
 * Runs `apply` with the decision: at once when it is synchronous, else when the origin check
 * settles. A client that sends FIN while its origin is being checked has given up, so its
 * socket is freed at once; `apply` then finds it gone.
 */
function whenDecided(
  decision: UpgradeDecision | Promise<UpgradeDecision>,
  socket: Duplex,
  apply: (decision: UpgradeDecision) => void,
): void {
  if (!(decision instanceof Promise)) {
    apply(decision);
    return;
  }
  const onEnd = (): void => {
    socket.destroy();
  };
  socket.once('end', onEnd);
  decision
    .then((settled) => {
      socket.removeListener('end', onEnd);
      apply(settled);
    })
    .catch(rethrowLater);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The origin a log line names: the validated one, else what the client sent, quoted. */
function shownOrigin(decision: UpgradeDecision): string {
  if (decision.origin !== undefined) return decision.origin;
  const claimed = decision.claimed;
  return claimed.kind === 'one'
    ? quoteForLog(claimed.value)
    : claimed.kind === 'none'
      ? '(no Origin)'
      : '(several origins)';
}

function logAllowed(where: string, path: string, decision: Extract<UpgradeDecision, { allowed: true }>): void {
  if (!logUpgrade.enabled) return;
  logUpgrade(
    '%s: allowed %s %s (%s, rule %s)',
    where,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
    decision.rule,
  );
}

function logRefused(
  where: string,
  path: string,
  decision: Extract<UpgradeDecision, { allowed: false }>,
  trustProxy: boolean,
): void {
  if (!logUpgrade.enabled) return;
  const hint = decision.facts === undefined ? undefined : refusalHint(decision.origin, decision.facts, trustProxy);
  logUpgrade(
    '%s: refused %d %s %s (%s)%s%s',
    where,
    decision.status,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
    decision.detail === undefined ? '' : `: ${decision.detail}`,
    hint === undefined ? '' : `; hint: ${hint}`,
  );
}

/**
 * Any other `upgrade` listener on the server also sees every handshake, and can complete one the
 * guard refuses (or is still checking). Checked on the first request per server.
 */
function warnIfBypassed(req: IncomingMessage, guard: UpgradeListener, checked: WeakSet<object>): void {
  const server = (req.socket as { server?: unknown } | null | undefined)?.server;
  if (typeof server !== 'object' || server === null || checked.has(server)) return;
  checked.add(server);
  const listeners = (server as { listeners?: unknown }).listeners;
  if (typeof listeners !== 'function') return;
  const list = (listeners as (event: string) => unknown).call(server, 'upgrade');
  if (!Array.isArray(list)) return;
  const others = (list as unknown[]).filter((listener) => listener !== guard);
  // A guard wrapped in another function is not in the list: one other listener is then the wrapper.
  const direct = others.length < list.length;
  if (others.length === 0 || (!direct && others.length < 2)) return;
  const names = others.map((fn) => (typeof fn === 'function' && fn.name !== '' ? fn.name : '(anonymous)')).join(', ');
  const message =
    `cors-safety: the server has ${others.length} other 'upgrade' listener${others.length === 1 ? '' : 's'} (${names}) besides upgradeGuard(); ` +
    "each receives every handshake and can complete one the guard refuses. new WebSocketServer({ server }) adds one named 'upgrade': " +
    'create it with { noServer: true } and call wss.handleUpgrade() from onAllowed, or use { server, verifyClient: createVerifyClient(policy) } without the guard.';
  logUpgrade('%s', message);
  warnOnce('CORS_SAFETY_UPGRADE_BYPASS', message);
}

/**
 * Returns a `server.on('upgrade')` listener that enforces a CORS policy on WebSocket handshakes.
 *
 * A handshake is allowed when its `Origin` is allowed by the policy, when it is same-origin (the
 * request's own scheme, `Host` and port, with that host in `allowedHosts`), or when it carries no
 * origin at all and `requireOrigin` is off. Allowed handshakes go to `onAllowed(req, socket,
 * head)`; refused ones get a complete `403 Forbidden` (`400 Bad Request` for a missing, repeated
 * or malformed `Host`) and the socket is closed. `Sec-WebSocket-Origin` (protocol version 8) is
 * read when `Origin` is absent. Each decision is logged under `DEBUG=cors-safety:upgrade`.
 *
 * Use it as the server's only `upgrade` listener: with ws, create the server with
 * `{ noServer: true }` (ws's `{ server }` mode adds a listener of its own that bypasses the guard;
 * use {@link createVerifyClient} there). Throws {@link CorsConfigError} listing every problem in
 * the policy, `onAllowed` and the options.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { WebSocketServer } from 'ws';
 * import { createCorsPolicy, upgradeGuard } from 'cors-safety';
 *
 * const policy = createCorsPolicy({ origin: 'https://app.example.com', allowedHosts: ['api.example.com'] });
 * const wss = new WebSocketServer({ noServer: true });
 * const server = createServer(app);
 * server.on('upgrade', upgradeGuard(policy, (req, socket, head) => {
 *   wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
 * }, { paths: ['/ws'] }));
 * ```
 */
export function upgradeGuard(
  policyOrOptions: CorsPolicy | CorsSafetyOptions,
  onAllowed: UpgradeListener,
  options?: UpgradeGuardOptions,
): UpgradeListener {
  const issues = new IssueCollector();
  if (looksLikeRequest(policyOrOptions)) {
    // server.on('upgrade', upgradeGuard): the socket must not be left open by the error below.
    const socket = onAllowed as unknown as { destroy?: unknown };
    if (typeof socket === 'object' && socket !== null && typeof socket.destroy === 'function')
      (socket as Duplex).destroy();
    issues.add(
      '(arguments)',
      'guard-not-called',
      "upgradeGuard was registered without being called; write server.on('upgrade', upgradeGuard(policy, onAllowed))",
    );
    issues.throwIfAny();
  }
  const policy = resolvePolicy(policyOrOptions, 'upgradeGuard', issues);
  if (typeof onAllowed !== 'function') issues.add('onAllowed', 'on-allowed-type', onAllowedProblem(onAllowed));
  const config = readGuardOptions(options, 'upgradeGuard', issues);
  issues.throwIfAny();
  const compiled = compiledPolicy(policy as CorsPolicy);
  warnIfAnyOrigin(policy as CorsPolicy, 'upgradeGuard');
  const { paths, unmatchedPath, onReject, writeTimeout } = config;
  const checked = new WeakSet<object>();

  const settle = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: string,
    decision: UpgradeDecision,
  ): void => {
    if (socketGone(socket)) {
      // The client left while the origin was checked: nothing may be written, nothing upgraded.
      logUpgrade(
        'guard: client closed %s %s before the decision (%s): socket destroyed',
        quoteForLog(path),
        shownOrigin(decision),
        decision.reason,
      );
      socket.destroy();
      if (!decision.allowed) report(onReject, decision.reason, decision.origin, req, undefined);
      return;
    }
    if (decision.allowed) {
      logAllowed('guard', path, decision);
      try {
        onAllowed(req, socket, head);
      } catch (err) {
        socket.destroy();
        throw err;
      }
      releaseErrorListener(socket);
      return;
    }
    logRefused('guard', path, decision, config.trustProxy);
    const written = refuseUpgrade(socket, decision.status, writeTimeout);
    report(onReject, decision.reason, decision.origin, req, written ? decision.status : undefined);
  };

  const guard = function corsSafetyUpgradeGuard(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First, before anything that can wait: an 'error' with no listener would crash the process.
    attachErrorListener(socket);
    warnIfBypassed(req, guard, checked);
    const path = pathOf(req);
    if (paths !== undefined && !paths.has(path)) {
      if (typeof unmatchedPath === 'function') {
        logUpgrade('guard: path %s is not in paths: passed to unmatchedPath', quoteForLog(path));
        unmatchedPath(req, socket, head);
        return;
      }
      logUpgrade(
        'guard: refused %s %s (path-not-matched)',
        unmatchedPath === 'not-found' ? '404' : '(destroyed)',
        quoteForLog(path),
      );
      const written = unmatchedPath === 'not-found' && refuseUpgrade(socket, 404, writeTimeout);
      if (!written) socket.destroy();
      report(onReject, 'path-not-matched', undefined, req, written ? 404 : undefined);
      return;
    }
    whenDecided(decideUpgrade(compiled, config, req), socket, (decision) => settle(req, socket, head, path, decision));
  };
  return guard;
}

/**
 * Returns a ws `verifyClient` function (the asynchronous, two-parameter form) that applies the
 * same rules as {@link upgradeGuard}, same-origin and `Host` checks included, for servers created
 * with `new WebSocketServer({ server })` or `{ port }`. Refusals are answered by ws with
 * `403 Forbidden` (`400 Bad Request` for a bad `Host`). Do not combine it with the guard.
 *
 * @example
 * ```ts
 * const policy = createCorsPolicy({ origin: 'https://app.example.com' });
 * const wss = new WebSocketServer({ server, verifyClient: createVerifyClient(policy) });
 * wss.on('connection', (ws) => ws.send('hello'));
 * ```
 */
export function createVerifyClient(
  policyOrOptions: CorsPolicy | CorsSafetyOptions,
  options?: VerifyClientOptions,
): VerifyClient {
  const issues = new IssueCollector();
  const policy = resolvePolicy(policyOrOptions, 'createVerifyClient', issues);
  const config = readGuardOptions(options, 'createVerifyClient', issues);
  issues.throwIfAny();
  const compiled = compiledPolicy(policy as CorsPolicy);
  warnIfAnyOrigin(policy as CorsPolicy, 'createVerifyClient');
  const { onReject } = config;

  return function corsSafetyVerifyClient(info: VerifyClientInfo, callback: VerifyClientCallback): void {
    const req = info.req;
    const socket = req.socket;
    const path = pathOf(req);
    const answer = (decision: UpgradeDecision): void => {
      if (socketGone(socket)) {
        logUpgrade(
          'verifyClient: client closed %s %s before the decision (%s): socket destroyed',
          quoteForLog(path),
          shownOrigin(decision),
          decision.reason,
        );
        socket.destroy();
        if (!decision.allowed) report(onReject, decision.reason, decision.origin, req, undefined);
        return;
      }
      if (decision.allowed) {
        logAllowed('verifyClient', path, decision);
        callback(true);
        return;
      }
      logRefused('verifyClient', path, decision, config.trustProxy);
      callback(false, decision.status, reasonPhrase(decision.status));
      report(onReject, decision.reason, decision.origin, req, decision.status);
    };
    whenDecided(decideUpgrade(compiled, config, req), socket, answer);
  };
}
