/**
 * The one upgrade runner the three adapters share (`upgradeGuard()`, ws's `verifyClient`,
 * engine.io's `allowRequest`): decide the handshake, publish the decision event, abandon a
 * handshake whose client left while its origin was checked, log the outcome, let the hook complete
 * or refuse it, report a refusal to `onReject`, and catch what is not a handshake. Each adapter
 * only translates its hook's shapes into an {@link UpgradeHook}.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { observeUpgrade } from '../events/decision-event.js';
import { ApplicationError, rethrowApplicationError } from '../policy/application-error.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { describeError, logUpgrade, quoteForLog } from '../shared/log.js';
import { escapeControlCharacters } from '../shared/escape.js';
import { socketGone, type UpgradeRefusalStatus } from './upgrade-refusal.js';
import { decideUpgrade } from './upgrade-decision.js';
import type { GuardConfig, UpgradeDecision, UpgradeDenyReason } from './upgrade-types.js';

/** A refused handshake decision. */
type RefusedUpgrade = Extract<UpgradeDecision, { allowed: false }>;

/**
 * How one hook completes or refuses a handshake: all an adapter supplies to {@link runUpgrade}.
 *
 * @example
 * ```ts
 * const hook: UpgradeHook = {
 *   where: 'verifyClient',
 *   transport: 'websocket',
 *   socket: req.socket,
 *   allow: () => callback(true),
 *   refuse: (decision) => (callback(false, decision.status), decision.status),
 * };
 * ```
 */
export interface UpgradeHook {
  /** Names the hook in log lines: `guard`, `verifyClient`, `allowRequest (polling)`. */
  readonly where: string;
  /** The transport the decision event names. */
  readonly transport: 'websocket' | 'socketio';
  /**
   * The handshake's socket, watched while an origin function answers (a client that leaves
   * meanwhile is abandoned); `undefined` where the hook's library keeps the socket (engine.io).
   */
  readonly socket: Duplex | undefined;
  /** Completes the handshake. An exception of the application's code passes as an `ApplicationError`. */
  readonly allow: () => void;
  /** Refuses the handshake; returns the status the client was answered with, `undefined` when none could be written. */
  readonly refuse: (decision: RefusedUpgrade) => UpgradeRefusalStatus | undefined;
}

/**
 * Decides one handshake under `compiled` (the policy read once when the handshake started) and
 * carries the decision out through `hook`: the decision event, the log line, the hook's answer,
 * then `onReject` for a refusal. Synchronous unless the policy's origin function answers later.
 *
 * @example
 * ```ts
 * runUpgrade(cell.current, config, req, pathOf(req), hook);
 * ```
 */
export function runUpgrade(
  compiled: CompiledPolicy,
  config: GuardConfig,
  req: IncomingMessage,
  path: string,
  hook: UpgradeHook,
): void {
  const settle = (decision: UpgradeDecision): void => {
    observeUpgrade(compiled, hook.transport, req, decision, (candidate) => decideUpgrade(candidate, config, req));
    const socket = hook.socket;
    if (socket !== undefined && abandonIfGone(hook.where, socket, path, decision, config.onReject, req)) return;
    if (decision.allowed) {
      logAllowed(hook.where, path, decision);
      hook.allow();
      return;
    }
    logRefused(hook.where, path, decision);
    const status = hook.refuse(decision);
    report(config.onReject, decision.reason, decision.origin, req, status);
  };
  whenDecided(decideUpgrade(compiled, config, req), hook.socket, settle);
}

/**
 * The catch around every adapter: an exception of the application's own code passes through
 * unchanged; anything else means the hook was handed something that is no handshake, which is
 * logged (`message` has one `%s` for the error) and refused the hook's way. Never throws otherwise.
 *
 * @example
 * ```ts
 * refuseUnusable(err, 'verifyClient: handshake unusable, refused with 400: %s', () => callback(false, 400));
 * ```
 */
export function refuseUnusable(err: unknown, message: string, refuse: () => void): void {
  rethrowApplicationError(err);
  logUpgrade(message, describeError(err));
  refuse();
}

/** Calls the metrics hook; nothing it does can reach the request. */
export function report(
  hook: GuardConfig['onReject'],
  reason: UpgradeDenyReason,
  origin: string | undefined,
  req: IncomingMessage,
  status: UpgradeRefusalStatus | undefined,
): void {
  if (hook === undefined) return;
  try {
    // The hook is typed `void`, but a JavaScript hook may still return a promise: its rejection is caught.
    // eslint-disable-next-line @typescript-eslint/no-confusing-void-expression
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

/**
 * When the client left while its origin was checked: logs it, destroys the socket, reports a
 * refusal to `onReject` (with no status: nothing was answered) and returns true; false otherwise.
 *
 * @example
 * ```ts
 * if (abandonIfGone('guard', socket, path, decision, onReject, req)) return;
 * ```
 */
function abandonIfGone(
  where: string,
  socket: Duplex,
  path: string,
  decision: UpgradeDecision,
  onReject: GuardConfig['onReject'],
  req: IncomingMessage,
): boolean {
  if (!socketGone(socket)) return false;
  // Nothing may be written and nothing upgraded.
  logUpgrade(
    '%s: client closed %s %s before the decision (%s): socket destroyed',
    where,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
  );
  socket.destroy();
  if (!decision.allowed) report(onReject, decision.reason, decision.origin, req, undefined);
  return true;
}

/**
 * After an asynchronous decision: a bug in the application's handler surfaces as it would from
 * any listener, after cleanup; anything else (a socket that is not one) is only logged.
 */
function rethrowLater(err: unknown): void {
  if (!(err instanceof ApplicationError)) {
    logUpgrade('request or socket unusable after the origin check: %s', describeError(err));
    return;
  }
  process.nextTick(() => {
    throw err.error;
  });
}

/** Destroys `socket` if it is one; never throws. */
export function destroyQuietly(socket: unknown): void {
  try {
    if (typeof (socket as { destroy?: unknown } | null)?.destroy === 'function') (socket as Duplex).destroy();
  } catch {
    // Not a socket.
  }
}

/**
 * Runs `apply` with the decision: at once when it is synchronous, else when the origin check
 * settles. A client that sends FIN while its origin is being checked has given up, so its
 * socket is freed at once; `apply` then finds it gone. Without a socket, only the decision is awaited.
 */
function whenDecided(
  decision: UpgradeDecision | Promise<UpgradeDecision>,
  socket: Duplex | undefined,
  apply: (decision: UpgradeDecision) => void,
): void {
  if (!(decision instanceof Promise)) {
    apply(decision);
    return;
  }
  if (socket === undefined) {
    decision.then(apply).catch(rethrowLater);
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
    escapeControlCharacters(decision.rule),
  );
}

function logRefused(where: string, path: string, decision: Extract<UpgradeDecision, { allowed: false }>): void {
  if (!logUpgrade.enabled) return;
  const hint = decision.hint?.();
  logUpgrade(
    '%s: refused %d %s %s (%s)%s%s',
    where,
    decision.status,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
    decision.detail === undefined ? '' : `: ${escapeControlCharacters(decision.detail)}`,
    hint === undefined ? '' : `; hint: ${escapeControlCharacters(hint)}`,
  );
}
