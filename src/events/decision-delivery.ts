/**
 * Delivery of decision events without any Node module, so the fetch entry can use it: the
 * policy's `onDecision` listener always, and a publisher (the `cors-safety:decision`
 * diagnostics channel) only once a platform installed one. The Node entry installs the channel
 * (src/node/platform.ts); on Workers or Deno without it, `onDecision` is the way to listen.
 */
import type { CorsDecisionEvent } from '../policy/decision-types.js';
import { describeError, logMiddleware, warnOnce } from '../shared/log.js';
import { NO_OBSERVATION } from '../policy/observation-options.js';
import type { CompiledPolicy } from '../policy/policy.js';

/** What a platform gives for publishing: a `node:diagnostics_channel` `Channel` has this shape. */
export interface DecisionPublisher {
  /** Read once per decision: false means no event is built for the publisher. */
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

let publisher: DecisionPublisher | undefined;

/**
 * Installs where events are published besides `onDecision`; the last one installed wins. The
 * Node platform installs the `cors-safety:decision` channel.
 *
 * @example
 * ```ts
 * installDecisionPublisher(diagnosticsChannel.channel('cors-safety:decision'));
 * ```
 */
export function installDecisionPublisher(installed: DecisionPublisher): void {
  publisher = installed;
}

/**
 * True when a decision under `policy` has anyone to tell: a subscriber of the installed
 * publisher, `onDecision`, or a `reportOnly` candidate (which logs what it would change). The
 * only cost without them.
 *
 * @example
 * ```ts
 * if (isObserved(compiled)) deliver(compiled, buildEvent());
 * ```
 */
export function isObserved(policy: CompiledPolicy): boolean {
  return policy.observation !== NO_OBSERVATION || (publisher !== undefined && publisher.hasSubscribers);
}

/**
 * Publishes `event` and calls `onDecision`; never throws.
 *
 * @example
 * ```ts
 * deliver(compiled, event);
 * ```
 */
export function deliver(policy: CompiledPolicy, event: CorsDecisionEvent): void {
  if (publisher?.hasSubscribers === true) {
    try {
      publisher.publish(event);
    } catch (err) {
      logMiddleware('decision event not published: %s', describeError(err));
    }
  }
  const listener = policy.observation.onDecision;
  if (listener === undefined) return;
  try {
    // Its return value is ignored, but an async listener returns a promise whose rejection is caught here.
    const result = listener(event);
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function')
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) => {
        listenerFailed(err);
      });
  } catch (err) {
    listenerFailed(err);
  }
}

function listenerFailed(err: unknown): void {
  const text = describeError(err);
  logMiddleware('onDecision threw (ignored): %s', text);
  warnOnce(
    'CORS_SAFETY_ON_DECISION_THREW',
    `cors-safety: onDecision threw (${text}); the error was caught so requests go on. Catch errors in onDecision.`,
  );
}
