/**
 * upgradeGuard() and createVerifyClient(): the policy applied to WebSocket handshakes.
 *
 * Browsers apply no CORS to WebSocket handshakes: they send `Origin` (RFC 6455 §4.1, item 8)
 * and leave it to the server to refuse origins it does not trust with a 403 (RFC 6455 §4.2.2
 * item 4, /origin/, and §10.2). Without a check, any website can open a socket carrying the
 * user's cookies ("cross-site WebSocket hijacking"). Both adapters, and engine.io's
 * `allowRequest` (socketio.ts), only translate their hook's shapes for the shared runner,
 * `runUpgrade()` (upgrade-runner.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { IssueCollector } from '../policy/errors.js';
import { observeUpgrade } from '../events/decision-event.js';
import { ApplicationError, callApplication } from '../policy/application-error.js';
import { logUpgrade, quoteForLog } from '../shared/log.js';
import { looksLikeRequest } from '../policy/option-values.js';
import { type CorsSafetyOptions } from '../policy/options.js';
import { policyCell, type CompiledPolicy, type CorsPolicy } from '../policy/policy.js';
import { attachErrorListener, reasonPhrase, refuseUpgrade, releaseErrorListener } from './upgrade-refusal.js';
import { pathOf } from './upgrade-decision.js';
import { destroyQuietly, refuseUnusable, report, runUpgrade } from './upgrade-runner.js';
import { otherUpgradeListeners, warnIfBypassed } from './upgrade-listeners.js';
import {
  compileHookAdapter,
  onAllowedProblem,
  readGuardOptions,
  resolvePolicy,
  warnIfAnyOrigin,
} from './upgrade-options.js';
import type {
  GuardConfig,
  UpgradeGuardOptions,
  UpgradeListener,
  VerifyClient,
  VerifyClientCallback,
  VerifyClientInfo,
  VerifyClientOptions,
} from './upgrade-types.js';
import { installNodePlatform } from '../node/platform.js';

installNodePlatform();

export type {
  UpgradeAllowReason,
  UpgradeDenyReason,
  UpgradeGuardOptions,
  UpgradeListener,
  UpgradeRejectInfo,
  VerifyClient,
  VerifyClientCallback,
  VerifyClientInfo,
  VerifyClientOptions,
} from './upgrade-types.js';

/**
 * `server.on('upgrade', upgradeGuard)`, the factory registered without being called: the socket
 * it was handed must not be left open by the configuration error thrown next.
 */
function refuseUncalledGuard(onAllowed: unknown, issues: IssueCollector): void {
  const socket = onAllowed as { destroy?: unknown } | null;
  if (typeof socket === 'object' && socket !== null && typeof socket.destroy === 'function')
    (socket as Duplex).destroy();
  issues.add(
    '(arguments)',
    'guard-not-called',
    "upgradeGuard was registered without being called; write server.on('upgrade', upgradeGuard(policy, onAllowed))",
  );
}

/** What the guard needs to send a path outside its `paths` on. */
interface UnmatchedPathScope {
  readonly config: GuardConfig;
  /** `unmatchedPath` left out: another `upgrade` listener of the server (socket.io's) may own the path. */
  readonly unmatchedDefault: boolean;
  readonly guard: UpgradeListener;
}

/**
 * A handshake to a path outside `paths`: left to the server's other `upgrade` listeners when
 * there are any and `unmatchedPath` was left out, else given to the `unmatchedPath` listener, or
 * answered 404 (`'not-found'`) or destroyed (`'destroy'`) and reported as `path-not-matched`.
 */
function sendUnmatchedPath(
  scope: UnmatchedPathScope,
  compiled: CompiledPolicy,
  path: string,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const { unmatchedPath, writeTimeout, onReject } = scope.config;
  if (scope.unmatchedDefault && otherUpgradeListeners(req, scope.guard).length > 0) {
    logUpgrade("guard: path %s is not in paths: left to the server's other 'upgrade' listeners", quoteForLog(path));
    return;
  }
  if (typeof unmatchedPath === 'function') {
    logUpgrade('guard: path %s is not in paths: passed to unmatchedPath', quoteForLog(path));
    callApplication(unmatchedPath, req, socket, head);
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
  const refused = { allowed: false, reason: 'path-not-matched', origin: undefined } as const;
  observeUpgrade(compiled, 'websocket', req, refused, () => refused);
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
    refuseUncalledGuard(onAllowed, issues);
    issues.throwIfAny();
  }
  const policy = resolvePolicy(policyOrOptions, 'upgradeGuard', issues);
  if (typeof onAllowed !== 'function') issues.add('onAllowed', 'on-allowed-type', onAllowedProblem(onAllowed));
  const config = readGuardOptions(options, 'upgradeGuard', issues);
  issues.throwIfAny();
  const cell = policyCell(policy as CorsPolicy);
  warnIfAnyOrigin(policy as CorsPolicy, 'upgradeGuard');
  const { paths, writeTimeout } = config;
  // unmatchedPath left out: a path outside `paths` belongs to the server's other upgrade listeners
  // (socket.io's), when there are any; else it gets 404.
  const unmatchedDefault = (options as { unmatchedPath?: unknown } | undefined)?.unmatchedPath === undefined;
  const checked = new WeakSet<object>();

  const guard = function corsSafetyUpgradeGuard(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      guardUpgrade(req, socket, head);
    } catch (err) {
      // Only objects that are not a real request and socket get here: close what can be closed.
      refuseUnusable(err, 'guard: request or socket unusable, socket destroyed: %s', () => {
        destroyQuietly(socket);
      });
    }
  };
  const scope: UnmatchedPathScope = { config, unmatchedDefault, guard };

  const guardUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // First, before anything that can wait: an 'error' with no listener would crash the process.
    attachErrorListener(socket);
    warnIfBypassed(req, guard, checked, paths !== undefined);
    const path = pathOf(req);
    // One policy per handshake: the version in force now decides it and is reported with it.
    const compiled = cell.current;
    if (paths !== undefined && !paths.has(path)) {
      sendUnmatchedPath(scope, compiled, path, req, socket, head);
      return;
    }
    runUpgrade(compiled, config, req, path, {
      where: 'guard',
      transport: 'websocket',
      socket,
      allow: () => {
        try {
          onAllowed(req, socket, head);
        } catch (err) {
          socket.destroy();
          throw new ApplicationError(err);
        }
        releaseErrorListener(socket);
      },
      refuse: (decision) => (refuseUpgrade(socket, decision.status, writeTimeout) ? decision.status : undefined),
    });
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
  const { cell, config } = compileHookAdapter(policyOrOptions, options, 'createVerifyClient');

  const verify = (info: VerifyClientInfo, callback: VerifyClientCallback): void => {
    const req = info.req;
    const socket = req.socket;
    const path = pathOf(req);
    // One policy per handshake: the version in force now decides it and is reported with it.
    runUpgrade(cell.current, config, req, path, {
      where: 'verifyClient',
      transport: 'websocket',
      socket,
      allow: () => {
        callApplication(callback, true);
      },
      refuse: (decision) => {
        callApplication(callback, false, decision.status, reasonPhrase(decision.status));
        return decision.status;
      },
    });
  };

  return function corsSafetyVerifyClient(info: VerifyClientInfo, callback: VerifyClientCallback): void {
    try {
      verify(info, callback);
    } catch (err) {
      // Not a ws handshake (no usable req or socket): refuse, as ws would for a bad request.
      refuseUnusable(err, 'verifyClient: handshake unusable, refused with 400: %s', () => {
        if (typeof callback === 'function') callback(false, 400, reasonPhrase(400));
      });
    }
  };
}
