/**
 * createAllowRequest(): the policy as engine.io's `allowRequest` hook, so a socket.io server
 * applies the upgrade guard's decision to every new session, whether the client opens it with an
 * HTTP long-polling handshake or a WebSocket upgrade.
 *
 * engine.io calls `allowRequest(req, callback)` only for a handshake (a request without `sid`),
 * after its own checks of transport, method and `Origin` syntax, with its options object as
 * `this`. `callback(message, false)` refuses: engine.io then answers a polling handshake with
 * `403 {"code":4,"message":"Forbidden"}` and a WebSocket upgrade with `400 Bad Request`, and the
 * socket.io client reports a `connect_error`. The CORS headers of the polling responses are
 * `corsSafety()`'s job, mounted with `io.engine.use()`.
 */
import type { IncomingMessage } from 'node:http';
import { callApplication } from '../policy/application-error.js';
import { warnOnce } from '../shared/log.js';
import { type CorsSafetyOptions } from '../policy/options.js';
import { type CorsPolicy } from '../policy/policy.js';
import { pathOf } from './upgrade-decision.js';
import { refuseUnusable, runUpgrade } from './upgrade-runner.js';
import { compileHookAdapter } from './upgrade-options.js';
import type { UpgradeGuardOptions } from './upgrade-types.js';
import { installNodePlatform } from '../node/platform.js';

installNodePlatform();

/**
 * engine.io's `allowRequest` callback: `message` is sent to the client when `success` is false
 * (engine.io's default is `"Forbidden"`).
 *
 * @example
 * ```ts
 * const done: AllowRequestCallback = (message, success) => console.log(success ? 'allowed' : message);
 * ```
 */
export type AllowRequestCallback = (message: string | null | undefined, success: boolean) => void;

/**
 * engine.io's (and socket.io's) `allowRequest` server option.
 *
 * @example
 * ```ts
 * const allowRequest: AllowRequest = createAllowRequest(policy);
 * const io = new Server(httpServer, { allowRequest });
 * ```
 */
export type AllowRequest = (req: IncomingMessage, callback: AllowRequestCallback) => void;

/**
 * Options of {@link createAllowRequest}: the decision options of `upgradeGuard()`. Paths are
 * socket.io's own `path` option, and engine.io writes the refusal itself.
 *
 * @example
 * ```ts
 * createAllowRequest(policy, { requireOrigin: true, onReject: ({ reason }) => metrics.increment(reason) });
 * ```
 */
export type AllowRequestOptions = Pick<
  UpgradeGuardOptions,
  'requireOrigin' | 'trustProxy' | 'dangerouslyAllowNullOrigin' | 'onReject'
>;

/** The message engine.io sends with a refusal; its own default, so clients see nothing new. */
const REFUSAL_MESSAGE = 'Forbidden';

const SOCKETIO_CORS_MESSAGE =
  "cors-safety: socket.io's own cors option is set as well as createAllowRequest(); two layers then answer CORS for " +
  "socket.io's requests (engine.io's cors middleware answers preflights before corsSafety() sees them) and the two " +
  'policies drift apart. Remove the cors option and mount io.engine.use(corsSafety(policy)) instead.';

const WEBTRANSPORT_MESSAGE =
  'cors-safety: engine.io\'s transports include "webtransport", and engine.io never calls allowRequest for a ' +
  'WebTransport session (onWebTransportSession() has no HTTP request to pass), so createAllowRequest() cannot check ' +
  "its Origin: any site could open one with the user's credentials. Such sessions are refused only while a " +
  'middleware is mounted with io.engine.use(), as corsSafety(policy) is in the documented setup (engine.io then ' +
  'closes every WebTransport session). Remove "webtransport" from transports, or keep io.engine.use(corsSafety(policy)).';

/**
 * engine.io calls `allowRequest` with its options as `this`; socket.io copies its `cors` option
 * there. Both layers answering CORS is a configuration mistake worth one warning, and so is a
 * WebTransport transport, whose sessions never reach `allowRequest`.
 */
function warnIfEngineCors(engineOptions: unknown): void {
  if (typeof engineOptions !== 'object' || engineOptions === null) return;
  const { cors, transports } = engineOptions as { cors?: unknown; transports?: unknown };
  if (cors !== undefined && cors !== false && cors !== null)
    warnOnce('CORS_SAFETY_SOCKETIO_CORS', SOCKETIO_CORS_MESSAGE);
  if (Array.isArray(transports) && transports.includes('webtransport'))
    warnOnce('CORS_SAFETY_SOCKETIO_WEBTRANSPORT', WEBTRANSPORT_MESSAGE);
}

/**
 * Returns an engine.io `allowRequest` function that applies exactly the rules of `upgradeGuard()`
 * to each new socket.io / engine.io session, on both transports: the `Origin` must be allowed by
 * the policy, or be the request's own origin with its host in `allowedHosts` (RFC 6454 §5), or be
 * absent while `requireOrigin` is off (a non-browser client). A missing, repeated or malformed
 * `Host` (RFC 9112 §3.2) is refused. Browsers apply no CORS to WebSocket handshakes (RFC 6455
 * §10.2), so this check is what keeps other sites from opening sockets with the user's cookies.
 *
 * Refusals reach the client as engine.io's "Forbidden" error: a polling handshake is answered
 * `403`, a WebSocket upgrade `400` (engine.io's own statuses, also what `onReject` receives as
 * `status`). Each decision is logged under `DEBUG=cors-safety:upgrade`. Warns once (a process
 * warning) when socket.io's own `cors` option is set as well, and once when engine.io's
 * `transports` include `"webtransport"`: engine.io hands WebTransport sessions to
 * `onWebTransportSession()` without calling `allowRequest`, so their origin cannot be checked;
 * they are refused only while `io.engine.use()` has a middleware mounted (engine.io 6 then closes
 * every WebTransport session). Throws {@link CorsConfigError}
 * listing every problem in the policy and the options.
 *
 * Mount `corsSafety(policy)` with `io.engine.use()` as well: the long-polling responses need CORS
 * headers, which `allowRequest` cannot set.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { Server } from 'socket.io';
 * import { corsSafety, createAllowRequest, createCorsPolicy } from 'cors-safety';
 *
 * const policy = createCorsPolicy({ origin: 'https://app.example.com', credentials: true });
 * const httpServer = createServer(app);
 * const io = new Server(httpServer, { allowRequest: createAllowRequest(policy) });
 * io.engine.use(corsSafety(policy));
 * ```
 */
export function createAllowRequest(
  policyOrOptions: CorsPolicy | CorsSafetyOptions,
  options?: AllowRequestOptions,
): AllowRequest {
  const { cell, config } = compileHookAdapter(policyOrOptions, options, 'createAllowRequest');

  const allow = (engineOptions: unknown, req: IncomingMessage, callback: AllowRequestCallback): void => {
    warnIfEngineCors(engineOptions);
    // engine.io sends upgrades (with an Upgrade header) to handleUpgrade(), everything else to handleRequest().
    const upgrade = req.headers.upgrade !== undefined;
    const path = pathOf(req);
    // One policy per handshake: the version in force now decides it and is reported with it.
    runUpgrade(cell.current, config, req, path, {
      where: upgrade ? 'allowRequest (websocket)' : 'allowRequest (polling)',
      transport: 'socketio',
      // engine.io owns the connection and writes the refusal itself: no socket is watched or destroyed here.
      socket: undefined,
      allow: () => {
        callApplication(callback, null, true);
      },
      refuse: () => {
        callApplication(callback, REFUSAL_MESSAGE, false);
        // engine.io's own statuses: 400 for an upgrade, 403 for a polling handshake.
        return upgrade ? 400 : 403;
      },
    });
  };

  return function corsSafetyAllowRequest(this: unknown, req: IncomingMessage, callback: AllowRequestCallback): void {
    try {
      allow(this, req, callback);
    } catch (err) {
      // Not an engine.io request (no usable headers): refused, fail closed.
      refuseUnusable(err, 'allowRequest: request unusable, refused: %s', () => {
        if (typeof callback === 'function') callback(REFUSAL_MESSAGE, false);
      });
    }
  };
}
