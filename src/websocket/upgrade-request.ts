/**
 * Reads what the upgrade guard needs from an upgrade request, in one pass over `rawHeaders`:
 * the one origin the client claims (`Origin`, or `Sec-WebSocket-Origin` from protocol-8 clients)
 * and the request's own origin (scheme + `Host`, or the first trusted `X-Forwarded-Proto` /
 * `X-Forwarded-Host` value). Pure: no I/O, no regex over header text, lengths capped first.
 */
import type { IncomingMessage } from 'node:http';
import { authorityTarget, parseAuthority } from '../policy/authority.js';
import type { OriginScheme, ParsedOrigin } from '../policy/origin-syntax.js';
import { peerIsTrustedProxy, type ProxyTrust } from '../policy/proxy-trust.js';

export { parseAuthority };

/** Why the request's own origin could not be established; each is answered with 400. */
export type RequestOriginProblem = 'host-missing' | 'host-multiple' | 'host-malformed' | 'forwarded-malformed';

/**
 * The origin a client claims. `multiple` covers two `Origin` lines, two `Sec-WebSocket-Origin`
 * lines, or both headers with different values.
 *
 * @example
 * ```ts
 * readUpgradeRequest(req, false).claimed; // { kind: 'one', value: 'https://app.example.com', header: 'origin' }
 * ```
 */
export type ClaimedOrigin =
  | { readonly kind: 'none' }
  | { readonly kind: 'multiple' }
  | { readonly kind: 'one'; readonly value: string; readonly header: 'origin' | 'sec-websocket-origin' };

/**
 * The request's own origin, as a browser on this server's page would serialize it.
 *
 * @example
 * ```ts
 * // Host: app.example.com:443 on a TLS socket
 * readUpgradeRequest(req, false).target; // { ok: true, origin: 'https://app.example.com', parsed: {...} }
 * ```
 */
export type RequestTarget =
  | { readonly ok: true; readonly origin: string; readonly parsed: ParsedOrigin }
  | { readonly ok: false; readonly reason: RequestOriginProblem };

/**
 * Facts about one upgrade request.
 *
 * @example
 * ```ts
 * const facts = readUpgradeRequest(req, policyTrustsProxy);
 * if (!facts.target.ok) refuse(400);
 * ```
 */
export interface UpgradeRequestFacts {
  readonly claimed: ClaimedOrigin;
  readonly target: RequestTarget;
  /** True when `X-Forwarded-Host` or `X-Forwarded-Proto` is present, trusted or not (for hints). */
  readonly forwarded: boolean;
  /** True when those headers were present and came from a trusted proxy, so they counted. */
  readonly proxyTrusted: boolean;
}

const NONE: ClaimedOrigin = Object.freeze({ kind: 'none' });
const MULTIPLE: ClaimedOrigin = Object.freeze({ kind: 'multiple' });

function problem(reason: RequestOriginProblem): RequestTarget {
  return { ok: false, reason };
}

/** First element of a comma-separated header value (`X-Forwarded-*: client, proxy1, proxy2`). */
function firstValue(text: string): string {
  const comma = text.indexOf(',');
  return (comma < 0 ? text : text.slice(0, comma)).trim();
}

function forwardedScheme(text: string): OriginScheme | undefined {
  switch (firstValue(text).toLowerCase()) {
    case 'https':
    case 'wss':
      return 'https';
    case 'http':
    case 'ws':
      return 'http';
    default:
      return undefined;
  }
}

function isEncrypted(req: IncomingMessage): boolean {
  const socket = req.socket as { encrypted?: unknown } | null | undefined;
  return socket?.encrypted === true;
}

/**
 * Reads the claimed origin and the request's own origin. When the socket's peer is a proxy
 * `trustProxy` trusts, the first value of `X-Forwarded-Proto` and `X-Forwarded-Host` replaces the
 * socket's scheme and `Host`; otherwise they are ignored (a client can send anything). `Host` itself must still be present exactly once
 * and well-formed (RFC 9112 §3.2: a request with no Host, several, or an invalid one gets 400).
 *
 * @example
 * ```ts
 * const { claimed, target } = readUpgradeRequest(req, false);
 * if (claimed.kind === 'one' && target.ok && claimed.value === target.origin) { ... } // same-origin
 * ```
 */
export function readUpgradeRequest(req: IncomingMessage, trustProxy: ProxyTrust | boolean): UpgradeRequestFacts {
  const raw = req.rawHeaders;
  let hostCount = 0;
  let host: string | undefined;
  let originCount = 0;
  let origin: string | undefined;
  let legacyCount = 0;
  let legacy: string | undefined;
  let forwardedHost: string | undefined;
  let forwardedProto: string | undefined;
  // Node keeps only the first Host and joins repeated Origin lines with ", ": the raw lines are
  // the only place where duplicates can be counted.
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          hostCount++;
          host ??= value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'origin') {
          originCount++;
          origin ??= value;
        }
        break;
      case 16:
        if (name.toLowerCase() === 'x-forwarded-host') forwardedHost ??= value;
        break;
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') forwardedProto ??= value;
        break;
      case 20:
        if (name.toLowerCase() === 'sec-websocket-origin') {
          legacyCount++;
          legacy ??= value;
        }
        break;
    }
  }

  // RFC 6454 §7.3: a user agent never sends more than one Origin. Protocol-version-8 clients
  // (draft-ietf-hybi-thewebsocketprotocol-10) send Sec-WebSocket-Origin instead; it counts only
  // when Origin is absent, and two different values are refused rather than one being picked.
  let claimed: ClaimedOrigin;
  if (originCount > 1 || legacyCount > 1) claimed = MULTIPLE;
  else if (origin !== undefined)
    claimed = legacy !== undefined && legacy !== origin ? MULTIPLE : { kind: 'one', value: origin, header: 'origin' };
  else if (legacy !== undefined) claimed = { kind: 'one', value: legacy, header: 'sec-websocket-origin' };
  else claimed = NONE;

  const forwarded = forwardedHost !== undefined || forwardedProto !== undefined;
  // Express's rule: the forwarded headers count only when the socket's peer is a trusted proxy.
  const trusted = forwarded && peerIsTrustedProxy(req, trustProxy);
  let target: RequestTarget;
  if (host === undefined) target = problem('host-missing');
  else if (hostCount > 1) target = problem('host-multiple');
  else {
    let scheme: OriginScheme | undefined = isEncrypted(req) ? 'https' : 'http';
    if (trusted && forwardedProto !== undefined) scheme = forwardedScheme(forwardedProto);
    const own = scheme === undefined ? undefined : authorityTarget(host, scheme);
    if (scheme === undefined) target = problem('forwarded-malformed');
    else if (own === undefined) target = problem('host-malformed');
    else if (trusted && forwardedHost !== undefined) {
      const via = authorityTarget(firstValue(forwardedHost), scheme);
      target = via ?? problem('forwarded-malformed');
    } else target = own;
  }
  return { claimed, target, forwarded, proxyTrusted: trusted };
}
