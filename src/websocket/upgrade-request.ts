/**
 * Reads what the upgrade guard needs from an upgrade request, in one pass over `rawHeaders`:
 * the one origin the client claims (`Origin`, or `Sec-WebSocket-Origin` from protocol-8 clients)
 * and the request's own origin (scheme + `Host`, or the first trusted `X-Forwarded-Proto` /
 * `X-Forwarded-Host` value). Pure: no I/O, no regex over header text, lengths capped first.
 */
import type { IncomingMessage } from 'node:http';
import { authorityTarget, parseAuthority } from '../policy/authority.js';
import type { OriginScheme, ParsedOrigin } from '../policy/origin-syntax.js';
import { peerIsTrustedProxy, type ProxyTrust } from './proxy-trust.js';

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

/** The header lines an upgrade decision reads, counted where a repeat matters (first value kept). */
interface HeaderScan {
  hostCount: number;
  host: string | undefined;
  originCount: number;
  origin: string | undefined;
  legacyCount: number;
  legacy: string | undefined;
  forwardedHost: string | undefined;
  forwardedProto: string | undefined;
}

/**
 * One pass over `rawHeaders`. Node keeps only the first Host and joins repeated Origin lines with
 * ", ": the raw lines are the only place where duplicates can be counted.
 */
function scanHeaders(raw: readonly string[]): HeaderScan {
  const scan: HeaderScan = {
    hostCount: 0,
    host: undefined,
    originCount: 0,
    origin: undefined,
    legacyCount: 0,
    legacy: undefined,
    forwardedHost: undefined,
    forwardedProto: undefined,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          scan.hostCount++;
          scan.host ??= value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'origin') {
          scan.originCount++;
          scan.origin ??= value;
        }
        break;
      case 16:
        if (name.toLowerCase() === 'x-forwarded-host') scan.forwardedHost ??= value;
        break;
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') scan.forwardedProto ??= value;
        break;
      case 20:
        if (name.toLowerCase() === 'sec-websocket-origin') {
          scan.legacyCount++;
          scan.legacy ??= value;
        }
        break;
    }
  }
  return scan;
}

/**
 * RFC 6454 §7.3: a user agent never sends more than one Origin. Protocol-version-8 clients
 * (draft-ietf-hybi-thewebsocketprotocol-10) send Sec-WebSocket-Origin instead; it counts only
 * when Origin is absent, and two different values are refused rather than one being picked.
 */
function claimedOrigin(scan: HeaderScan): ClaimedOrigin {
  const { origin, legacy } = scan;
  if (scan.originCount > 1 || scan.legacyCount > 1) return MULTIPLE;
  if (origin !== undefined)
    return legacy !== undefined && legacy !== origin ? MULTIPLE : { kind: 'one', value: origin, header: 'origin' };
  if (legacy !== undefined) return { kind: 'one', value: legacy, header: 'sec-websocket-origin' };
  return NONE;
}

/**
 * The request's own origin: the socket's scheme and `Host`, or, when `trusted`, the first value
 * of `X-Forwarded-Proto` and `X-Forwarded-Host` in their place. `Host` must be there exactly once.
 */
function requestTarget(req: IncomingMessage, scan: HeaderScan, trusted: boolean): RequestTarget {
  const { host, forwardedHost, forwardedProto } = scan;
  if (host === undefined) return problem('host-missing');
  if (scan.hostCount > 1) return problem('host-multiple');
  let scheme: OriginScheme | undefined = isEncrypted(req) ? 'https' : 'http';
  if (trusted && forwardedProto !== undefined) scheme = forwardedScheme(forwardedProto);
  const own = scheme === undefined ? undefined : authorityTarget(host, scheme);
  if (scheme === undefined) return problem('forwarded-malformed');
  if (own === undefined) return problem('host-malformed');
  if (trusted && forwardedHost !== undefined)
    return authorityTarget(firstValue(forwardedHost), scheme) ?? problem('forwarded-malformed');
  return own;
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
  const scan = scanHeaders(req.rawHeaders);
  const claimed = claimedOrigin(scan);
  const forwarded = scan.forwardedHost !== undefined || scan.forwardedProto !== undefined;
  // Express's rule: the forwarded headers count only when the socket's peer is a trusted proxy.
  const trusted = forwarded && peerIsTrustedProxy(req, trustProxy);
  return { claimed, target: requestTarget(req, scan, trusted), forwarded, proxyTrusted: trusted };
}
