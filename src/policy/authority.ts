/**
 * `Host` (RFC 9110 §7.2) and HTTP/2 `:authority` values read as the origin they name: the
 * request's own origin, shared by the upgrade guard and the HTTP adapters' same-origin check.
 */
import {
  DEFAULT_PORTS,
  parsePortDigits,
  parseSerializedOrigin,
  serializeOrigin,
  splitHostPort,
  type OriginScheme,
  type ParsedOrigin,
} from './origin-syntax.js';

/** A `Host` value is at most a 253-octet DNS name plus `:65535` (RFC 1035 §2.3.4); cap well above. */
const MAX_HOST_LENGTH = 300;
/**
 * Parses `host[:port]` (RFC 9110 §7.2 `Host = uri-host [ ":" port ]`) into the origin it names
 * under `scheme`. Case-insensitive (RFC 3986 §3.2.2) but otherwise as strict as an `Origin`
 * value: ASCII only, a canonical host, no userinfo, no empty port. The scheme's default port is
 * dropped, so `Host: x.com:443` over https is the origin `https://x.com`.
 *
 * @example
 * ```ts
 * parseAuthority('App.Example.com:443', 'https'); // { scheme: 'https', host: 'app.example.com', port: 443 }
 * parseAuthority('user@evil.com', 'https');       // undefined
 * ```
 */
export function parseAuthority(text: string, scheme: OriginScheme): ParsedOrigin | undefined {
  if (text.length === 0 || text.length > MAX_HOST_LENGTH) return undefined;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return undefined;
  const parts = splitHostPort(text.toLowerCase());
  if (parts === undefined || parts.host.length === 0) return undefined;
  let port = DEFAULT_PORTS[scheme];
  if (parts.port !== undefined) {
    const parsed = parsePortDigits(parts.port);
    if (parsed === undefined) return undefined;
    port = parsed;
  }
  // The strict Origin parser decides what a canonical host is; both sides then compare as text.
  return parseSerializedOrigin(serializeOrigin(scheme, parts.host, port));
}

/** An origin named by a `Host` (or `X-Forwarded-Host`) value, serialized and parsed. */
export interface AuthorityTarget {
  readonly ok: true;
  readonly origin: string;
  readonly parsed: ParsedOrigin;
}

/**
 * Recent `Host` values and what they name. A server answers to few hosts, so nearly every
 * handshake is a hit; the bound keeps a client sending random hosts from growing it.
 */
const authorityCache: Readonly<Record<OriginScheme, Map<string, AuthorityTarget | null>>> = {
  http: new Map(),
  https: new Map(),
};
const AUTHORITY_CACHE_SIZE = 256;

/** {@link parseAuthority} with its serialized origin, remembered for recent values. */
export function authorityTarget(text: string, scheme: OriginScheme): AuthorityTarget | undefined {
  // One map per scheme, keyed by the header text itself: no key string is built per request.
  const cache = authorityCache[scheme];
  const cached = cache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parseAuthority(text, scheme);
  const target =
    parsed === undefined
      ? null
      : Object.freeze({ ok: true as const, origin: serializeOrigin(parsed.scheme, parsed.host, parsed.port), parsed });
  if (cache.size >= AUTHORITY_CACHE_SIZE) cache.clear();
  cache.set(text, target);
  return target ?? undefined;
}
