/**
 * What the upgrade adapters do around a decision: report a refusal to `onReject`, abandon a
 * handshake whose client left while its origin was checked, surface an application's error after
 * an asynchronous decision, and log each outcome.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApplicationError } from '../policy/application-error.js';
import { describeError, logUpgrade, quoteForLog } from '../shared/log.js';
import { escapeControlCharacters } from '../shared/escape.js';
import { socketGone, type UpgradeRefusalStatus } from './upgrade-refusal.js';
import type { GuardConfig, UpgradeDecision, UpgradeDenyReason } from './upgrade-types.js';

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
export function abandonIfGone(
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
export function rethrowLater(err: unknown): void {
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
 * socket is freed at once; `apply` then finds it gone.
 */
export function whenDecided(
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

/** The origin a log line names: the validated one, else what the client sent, quoted. */
export function shownOrigin(decision: UpgradeDecision): string {
  if (decision.origin !== undefined) return decision.origin;
  const claimed = decision.claimed;
  return claimed.kind === 'one'
    ? quoteForLog(claimed.value)
    : claimed.kind === 'none'
      ? '(no Origin)'
      : '(several origins)';
}

export function logAllowed(where: string, path: string, decision: Extract<UpgradeDecision, { allowed: true }>): void {
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

export function logRefused(where: string, path: string, decision: Extract<UpgradeDecision, { allowed: false }>): void {
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
