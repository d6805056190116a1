/**
 * Stable reason codes. Every decision carries one; logs, tests, response diagnostics and the CLI
 * all use the same strings, so they can be searched for and documented.
 */
import type { OriginLookupResult } from './origin-lookup.js';

/**
 * Why an origin was allowed.
 *
 * @example
 * ```ts
 * if (verdict.allowed && verdict.reason === 'allowed-host') console.log('allowed by', verdict.rule);
 * ```
 */
export type OriginAllowReason =
  | 'allowed-exact'
  | 'allowed-pattern'
  | 'allowed-regexp'
  | 'allowed-host'
  | 'allowed-same-origin'
  | 'allowed-function'
  | 'allowed-lookup'
  | 'allowed-any'
  | 'allowed-null';

/**
 * Why an origin was denied.
 *
 * @example
 * ```ts
 * if (!verdict.allowed && verdict.reason === 'origin-check-timeout') metrics.increment('cors.origin_lookup_timeout');
 * ```
 */
export type OriginDenyReason =
  | 'origin-missing'
  | 'origin-multiple'
  | 'origin-too-long'
  | 'origin-malformed'
  | 'origin-null'
  | 'origin-not-allowed'
  | 'origin-check-failed'
  | 'origin-check-timeout'
  | 'cors-disabled';

/**
 * Why a preflight failed although its origin may be allowed.
 *
 * @example
 * ```ts
 * // Cors-Safety-Reason: method-not-allowed on a refused preflight (outside production)
 * ```
 */
export type PreflightDenyReason =
  'method-not-allowed' | 'method-malformed' | 'header-not-allowed' | 'headers-malformed';

/**
 * Reasons only the WebSocket upgrade guard gives (about the handshake rather than the origin).
 *
 * @example
 * ```ts
 * upgradeGuard(policy, onAllowed, { onReject: ({ reason }) => { if (reason === 'host-missing') console.warn('handshake without Host'); } });
 * ```
 */
export type UpgradeOnlyReason =
  | 'allowed-no-origin'
  | 'host-missing'
  | 'host-multiple'
  | 'host-malformed'
  | 'forwarded-malformed'
  | 'path-not-matched';

/**
 * Why a request with an `Origin` needs no CORS grant: it comes from the server's own origin
 * (RFC 6454 §5: same scheme, host and port as the request's scheme and `Host`). Browsers send
 * `Origin` on their own site's POST, PUT and DELETE requests (Fetch §3.1); these are not
 * refusals, so no `Cors-Safety-Reason` header is sent, and nothing is granted on the strength
 * of the `Host` header alone.
 *
 * @example
 * ```ts
 * // DEBUG=cors-safety:origin → "POST request: not cross-origin https://app.example.com (same-origin)"
 * const reason: SameOriginReason = 'same-origin';
 * ```
 */
export type SameOriginReason = 'same-origin';

/**
 * Every reason code this library emits.
 *
 * @example
 * ```ts
 * const counts = new Map<ReasonCode, number>();
 * ```
 */
export type ReasonCode =
  OriginAllowReason | OriginDenyReason | SameOriginReason | PreflightDenyReason | UpgradeOnlyReason;

/**
 * The outcome of checking one `Origin` header value against a policy.
 *
 * @example
 * ```ts
 * const verdict: OriginVerdict = await createOriginValidator(policy).check('https://app.example.com');
 * if (verdict.allowed) console.log(verdict.reason, verdict.rule);
 * ```
 */
export type OriginVerdict =
  | {
      readonly allowed: true;
      readonly reason: OriginAllowReason;
      /** The serialized origin that was allowed: exactly the request's `Origin` value. */
      readonly origin: string;
      /** The configuration rule that matched, as written after canonicalisation. */
      readonly rule: string;
      /** How the `originLookup` option was used, present only when this decision consulted it. */
      readonly lookup?: OriginLookupResult | undefined;
    }
  | {
      readonly allowed: false;
      readonly reason: OriginDenyReason;
      /** The request's origin, present only when it was well-formed (never raw input). */
      readonly origin?: string | undefined;
      /** Extra detail for logs (never request input), e.g. what a failing origin function threw. */
      readonly detail?: string | undefined;
      /** How the `originLookup` option was used, present only when this decision consulted it. */
      readonly lookup?: OriginLookupResult | undefined;
    };

/**
 * The verdict the HTTP adapters act on: an {@link OriginVerdict}, or `same-origin` for a request
 * whose `Origin` is the request's own origin and which the rules do not grant (nothing is
 * granted then, and nothing is labelled a refusal).
 *
 * @example
 * ```ts
 * const verdict: RequestVerdict = { allowed: false, reason: 'same-origin', origin: 'https://app.example.com' };
 * ```
 */
export type RequestVerdict =
  | OriginVerdict
  | {
      readonly allowed: false;
      readonly reason: SameOriginReason;
      readonly origin: string;
      readonly detail?: undefined;
      /** How the `originLookup` option was used, present only when this decision consulted it. */
      readonly lookup?: OriginLookupResult | undefined;
    };

const deny = (reason: OriginDenyReason): OriginVerdict => Object.freeze({ allowed: false, reason });

/** Shared, frozen verdicts for denials that carry no origin: no allocation per request. */
export const DENIED: Readonly<
  Record<'missing' | 'multiple' | 'tooLong' | 'malformed' | 'null' | 'disabled', OriginVerdict>
> = Object.freeze({
  missing: deny('origin-missing'),
  multiple: deny('origin-multiple'),
  tooLong: deny('origin-too-long'),
  malformed: deny('origin-malformed'),
  null: deny('origin-null'),
  disabled: deny('cors-disabled'),
});
