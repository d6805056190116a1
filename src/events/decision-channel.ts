/**
 * Where decision events go: the `cors-safety:decision` diagnostics channel and the policy's
 * `onDecision` listener. Nothing a subscriber or listener does can reach the request.
 */
import diagnosticsChannel, { type Channel } from 'node:diagnostics_channel';
import { describeError, logMiddleware, warnOnce } from '../shared/log.js';
import { installDecisionPublisher } from './decision-delivery.js';

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
        // The method this replaces, on purpose: diagnostics_channel.subscribe(name, fn) goes through it too.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        proto().subscribe.call(channel, wrap(fn));
      },
    },
    unsubscribe: {
      configurable: true,
      value: function unsubscribe(fn: Subscriber): boolean {
        // Node returns whether it was subscribed; @types/node says void.
        // eslint-disable-next-line @typescript-eslint/no-deprecated, @typescript-eslint/no-confusing-void-expression
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
 * Makes the `cors-safety:decision` channel where decision events are published (besides
 * `onDecision`), for every adapter of this copy of the package, the fetch one included.
 * Called by the Node platform; idempotent.
 *
 * @example
 * ```ts
 * installDecisionChannel();
 * ```
 */
export function installDecisionChannel(): void {
  installDecisionPublisher(channel);
}
