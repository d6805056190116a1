/**
 * The shape of a decision event: what `onDecision` receives and what the `cors-safety:decision`
 * diagnostics channel publishes. Types only; the events are built in src/events/.
 */
import type { OriginLookupResult } from './origin-lookup.js';
import type { ReasonCode } from './reasons.js';

/**
 * What was decided: an actual HTTP request, a CORS preflight (Fetch §3.2.2), both also from
 * `withCorsSafety()`, a WebSocket handshake (RFC 6455 §4.2.1, `upgradeGuard()` or
 * `createVerifyClient()`) or a socket.io / engine.io session handshake (`createAllowRequest()`,
 * either transport).
 *
 * @example
 * ```ts
 * const transport: DecisionTransport = 'preflight';
 * ```
 */
export type DecisionTransport = 'http' | 'preflight' | 'websocket' | 'socketio';

/**
 * The outcome of a decision:
 * - `allowed`: a rule of the policy granted the origin (CORS headers sent, or handshake accepted);
 * - `denied`: no grant (HTTP: no `Access-Control-Allow-Origin`; preflight: refused; handshake: refused);
 * - `same-origin`: the `Origin` is the request's own origin (RFC 6454 §5): nothing to grant, nothing refused;
 * - `no-origin`: no `Origin` header (not a cross-origin browser request): nothing to grant, nothing refused.
 *   A handshake refused for a missing `Origin` (`requireOrigin: true`) is `denied` with reason `origin-missing`.
 *
 * @example
 * ```ts
 * const refused = (outcome: DecisionOutcome) => outcome === 'denied';
 * ```
 */
export type DecisionOutcome = 'allowed' | 'denied' | 'same-origin' | 'no-origin';

/**
 * What the `reportOnly` candidate policy would have decided for the same request. It is only
 * reported: the enforced policy alone writes headers and refuses.
 *
 * @example
 * ```ts
 * if (event.candidate?.outcome === 'denied' && event.outcome === 'allowed') console.log('would break', event.origin);
 * ```
 */
export interface CandidateDecision {
  readonly outcome: DecisionOutcome;
  readonly reason: ReasonCode;
  /** The candidate's rule that granted the origin, `null` when it granted nothing. */
  readonly rule: string | null;
}

/**
 * One decision, as published on the `cors-safety:decision` diagnostics channel and passed to the
 * `onDecision` option. Frozen. Every text field is either a reason code, text from the
 * configuration, or request text that was validated (a serialized origin, a method token) or
 * escaped and cut (the path): never raw header text, never a cookie, `Authorization` or any other
 * header value.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('cors-safety:decision', (message) => {
 *   const event = message as CorsDecisionEvent;
 *   if (event.outcome === 'denied') console.log(event.transport, event.reason, event.origin ?? '-', event.path);
 * });
 * ```
 */
export interface CorsDecisionEvent {
  readonly transport: DecisionTransport;
  readonly outcome: DecisionOutcome;
  /** The reason code of the enforced decision (docs/reasons.md). */
  readonly reason: ReasonCode;
  /** The serialized origin (RFC 6454 §6.2) when the `Origin` was well formed, else `null`. */
  readonly origin: string | null;
  /**
   * The configured entry that granted the origin, as `policy.rules` names it (`https://app.example.com`,
   * `https://*.example.com`, a RegExp's source, `allowedHosts: .example.com`, `function name`, `*`), or
   * the option that let it through (`requireOrigin: false`); `null` when nothing was granted. Its values
   * come from the configuration only, so it is a bounded metric label.
   */
  readonly rule: string | null;
  /** The version of the policy that decided; 0 for a policy that has no version. */
  readonly policyVersion: number;
  /** The request method when it is an HTTP token (RFC 9110 §9.1) of at most 32 characters, else `null`. */
  readonly method: string | null;
  /** The request path without query or fragment, cut to 256 characters, control characters escaped. */
  readonly path: string | null;
  /** What the `reportOnly` candidate would have decided; `null` without a candidate. */
  readonly candidate: CandidateDecision | null;
  /**
   * How the `originLookup` option was used (`{ cache, durationMs }`, see {@link OriginLookupResult});
   * present only when the enforced decision consulted it: absent for origins a configured rule decided.
   */
  readonly lookup?: OriginLookupResult | undefined;
}

/**
 * The `onDecision` option: called once per decision, after it was applied. Its return value is
 * ignored; a throw or a rejected promise is logged and never reaches the request.
 *
 * @example
 * ```ts
 * const onDecision: DecisionListener = (event) => refusals.inc({ reason: event.reason });
 * ```
 */
export type DecisionListener = (event: CorsDecisionEvent) => unknown;
