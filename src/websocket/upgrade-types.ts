/** Public and internal types of the WebSocket upgrade adapters (upgradeGuard(), createVerifyClient()). */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OriginLookupResult } from '../policy/origin-lookup.js';
import type { ProxyTrust, TrustProxyOption } from './proxy-trust.js';
import type { OriginAllowReason, OriginDenyReason } from '../policy/reasons.js';
import { type UpgradeRefusalStatus } from './upgrade-refusal.js';
import { type ClaimedOrigin, type RequestOriginProblem, type UpgradeRequestFacts } from './upgrade-request.js';

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
   * Which peers are reverse proxies whose `X-Forwarded-Proto` and `X-Forwarded-Host` (first
   * value) count as the request's scheme and host for the same-origin check. Accepts what
   * Express's `trust proxy` accepts: `true` (any peer: only when nothing but your proxy can
   * reach the server), a hop count, addresses and subnets (`'loopback'`, `['10.0.0.0/8']`), or
   * a function `(address, hop) => boolean`. Headers from any other peer are ignored, since a
   * client can send anything. Default `false`.
   */
  trustProxy?: TrustProxyOption | undefined;
  /**
   * Open handshakes whose `Origin` is `null`. Every sandboxed iframe of any site and every
   * `file:` page sends `null`, so this lets any of them open a socket (with the user's cookies);
   * the guard refuses `null` without it, whatever the policy's `allowNullOrigin` says, and warns
   * once when it is set. Default `false`.
   */
  dangerouslyAllowNullOrigin?: boolean | undefined;
  /**
   * Upgrade paths this guard accepts, matched exactly against the path of `req.url` (the query is
   * ignored), e.g. `['/ws', '/live']`. Default: every path.
   */
  paths?: readonly string[] | undefined;
  /**
   * What happens to an upgrade whose path is not in `paths`: `'not-found'` answers 404 and closes,
   * `'destroy'` closes without an answer, and a function receives the upgrade instead (for example
   * another guard for another path). Requires `paths`. Default: the upgrade is left to the server's
   * other `upgrade` listeners when it has any (socket.io's, for `/socket.io/`), else `'not-found'`.
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
export type VerifyClientOptions = Pick<
  UpgradeGuardOptions,
  'requireOrigin' | 'trustProxy' | 'dangerouslyAllowNullOrigin' | 'onReject'
>;

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
export interface GuardConfig {
  readonly requireOrigin: boolean;
  /** Compiled `trustProxy` (a boolean is accepted too, for callers building a config by hand). */
  readonly trustProxy: ProxyTrust | boolean;
  readonly allowNullOrigin: boolean;
  readonly paths: ReadonlySet<string> | undefined;
  readonly unmatchedPath: 'not-found' | 'destroy' | UpgradeListener;
  readonly onReject: ((info: UpgradeRejectInfo) => void) | undefined;
  readonly writeTimeout: number;
}

/** One handshake's outcome. `claimed` is what the client sent, for log lines only. */
export type UpgradeDecision =
  | {
      readonly allowed: true;
      readonly reason: UpgradeAllowReason;
      readonly origin: string | undefined;
      readonly rule: string;
      readonly claimed: ClaimedOrigin;
      /** How the `originLookup` option was used, present only when this decision consulted it. */
      readonly lookup?: OriginLookupResult | undefined;
    }
  | {
      readonly allowed: false;
      readonly status: 400 | 403;
      readonly reason: UpgradeDenyReason;
      readonly origin: string | undefined;
      readonly claimed: ClaimedOrigin;
      readonly detail?: string | undefined;
      /** How the `originLookup` option was used, present only when this decision consulted it. */
      readonly lookup?: OriginLookupResult | undefined;
      /** The request's facts, for a proxy hint worked out only when the refusal is logged. */
      readonly facts?: UpgradeRequestFacts | undefined;
      /** Works out a hint that fixes this refusal (checked by replaying the request), only when it is logged. */
      readonly hint?: (() => string | undefined) | undefined;
    };
