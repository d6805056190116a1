/**
 * Where decision events go: the `cors-safety:decision` diagnostics channel and the policy's
 * `onDecision` listener. Nothing a subscriber or listener does can reach the request.
 */
import diagnosticsChannel, { type Channel } from 'node:diagnostics_channel';
import type { CorsDecisionEvent } from '../policy/decision-types.js';
import { describeError, logMiddleware, warnOnce } from '../policy/log.js';
import { NO_OBSERVATION } from '../policy/observation-options.js';
import type { CompiledPolicy } from '../policy/policy.js';

/**
 * The `node:diagnostics_channel` channel every decision is published on, with a
 * {@link CorsDecisionEvent} as the message. Events are built only when the channel has subscribers
 * (or the policy has `onDecision` or `reportOnly`), so an application that does not listen pays
 * nothing. A subscriber that throws is caught and logged (it would otherwise be rethrown by Node as
 * an uncaught exception): subscribe after importing cors-safety.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { DECISION_CHANNEL, type CorsDecisionEvent } from 'cors-safety';
 * subscribe(DECISION_CHANNEL, (message) => console.log((message as CorsDecisionEvent).reason));
 * ```
 */
export const DECISION_CHANNEL = 'cors-safety:decision';

type Subscriber = (message: unknown, name: string | symbol) => void;

/** Marks a channel whose subscribers are already contained (a second copy of this package, CJS beside ESM). */
const kContained = Symbol.for('cors-safety.contained-subscribers');
/** The wrapper made for each subscriber, shared by every copy of this package. */
const kWrappers = Symbol.for('cors-safety.subscriber-wrappers');

type ContainedChannel = Channel & { [kContained]?: true; [kWrappers]?: WeakMap<Subscriber, Subscriber> };

const wrapperSet = new WeakSet<Subscriber>();

function subscriberFailed(err: unknown): void {
  const text = describeError(err);
  logMiddleware('a %s subscriber threw (ignored): %s', DECISION_CHANNEL, text);
  warnOnce(
    'CORS_SAFETY_DECISION_SUBSCRIBER_THREW',
    `cors-safety: a ${DECISION_CHANNEL} subscriber threw (${text}); the error was caught so requests go on. Catch errors in the subscriber.`,
  );
}

/**
 * Node's `publish()` rethrows a subscriber's exception on the next tick as an uncaught
 * exception, which would stop the server over a metrics bug. This channel's own `subscribe`
 * wraps each subscriber in a try/catch (and `unsubscribe` finds the wrapper again); it defers to
 * the channel's prototype, so Node's own bookkeeping (`hasSubscribers`, activation) is unchanged.
 */
function containSubscribers(channel: ContainedChannel): void {
  if (channel[kContained] === true) return;
  const wrappers = new WeakMap<Subscriber, Subscriber>();
  const wrap = (fn: Subscriber): Subscriber => {
    if (typeof fn !== 'function' || wrapperSet.has(fn)) return fn;
    let wrapper = wrappers.get(fn);
    if (wrapper === undefined) {
      wrapper = function containedDecisionSubscriber(message: unknown, name: string | symbol): void {
        try {
          fn(message, name);
        } catch (err) {
          subscriberFailed(err);
        }
      };
      wrapperSet.add(wrapper);
      wrappers.set(fn, wrapper);
    }
    return wrapper;
  };
  const proto = (): Channel => Object.getPrototypeOf(channel) as Channel;
  Object.defineProperties(channel, {
    subscribe: {
      configurable: true,
      value: function subscribe(fn: Subscriber): void {
        proto().subscribe.call(channel, wrap(fn));
      },
    },
    unsubscribe: {
      configurable: true,
      value: function unsubscribe(fn: Subscriber): boolean {
        // Node returns whether it was subscribed; @types/node says void.
        return proto().unsubscribe.call(channel, wrappers.get(fn) ?? fn) as unknown as boolean;
      },
    },
    [kContained]: { value: true },
    [kWrappers]: { value: wrappers },
  });
}

const channel = diagnosticsChannel.channel(DECISION_CHANNEL) as ContainedChannel;
containSubscribers(channel);

/**
 * True when a decision under `policy` has anyone to tell: a subscriber, `onDecision`, or a
 * `reportOnly` candidate (which logs what it would change). The only cost without them.
 */
export function isObserved(policy: CompiledPolicy): boolean {
  return policy.observation !== NO_OBSERVATION || channel.hasSubscribers;
}

/** Publishes `event` and calls `onDecision`; never throws. */
export function deliver(policy: CompiledPolicy, event: CorsDecisionEvent): void {
  if (channel.hasSubscribers) channel.publish(event);
  const listener = policy.observation.onDecision;
  if (listener === undefined) return;
  try {
    const result = listener(event) as unknown;
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function')
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) => listenerFailed(err));
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
