/**
 * Origin syntax: the strict request-time check of a serialized origin, and the host and port
 * primitives the parser of configuration entries (origin-entry.ts) builds on. Pure functions, no I/O.
 *
 * A serialized origin is `scheme "://" host [ ":" port ]` (Fetch standard §3.2.5 "`Origin` header",
 * HTML "serialization of an origin"): lowercase ASCII, no default port, no path. Origins of other
 * schemes (hybrid apps, extensions) are handled by app-origin.ts.
 */
import type { ConfigParse, OriginScheme, PortChoice } from './origin-types.js';

export type { ConfigOrigin, OriginScheme, PortChoice } from './origin-types.js';

/** Default port per scheme (RFC 9110 §4.2.1, §4.2.2). */
export const DEFAULT_PORTS: Readonly<Record<OriginScheme, number>> = Object.freeze({ http: 80, https: 443 });

/**
 * Longest Origin header value that is parsed at all. A DNS name is at most 253 octets
 * (RFC 1035 §2.3.4); with scheme and port a real origin stays far below this cap.
 */
export const MAX_ORIGIN_LENGTH = 2048;

/** A well-formed serialized origin, split into its parts. */
export interface ParsedOrigin {
  readonly scheme: OriginScheme;
  /** Lowercase host; IPv6 addresses keep their brackets (`[::1]`). */
  readonly host: string;
  /** Effective port: the scheme's default when the origin has none. */
  readonly port: number;
}

const CODE_0 = 48;
const CODE_9 = 57;
const CODE_A_LOWER = 97;
const CODE_F_LOWER = 102;
const CODE_Z_LOWER = 122;
const CODE_DOT = 46;
const CODE_HYPHEN = 45;
const CODE_UNDERSCORE = 95;
const CODE_COLON = 58;

function isDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

function isDomainChar(code: number): boolean {
  return (
    (code >= CODE_A_LOWER && code <= CODE_Z_LOWER) ||
    isDigit(code) ||
    code === CODE_HYPHEN ||
    code === CODE_DOT ||
    code === CODE_UNDERSCORE
  );
}

/**
 * Parses 1-5 decimal digits as a port up to 65535, with no sign. A leading zero is refused unless
 * `leadingZero` allows it (configuration is lenient: "08080" is port 8080; a serialized origin
 * or a Host header never has one).
 */
export function parsePortDigits(text: string, leadingZero = false): number | undefined {
  if (text.length === 0 || text.length > 5 || (!leadingZero && text.charCodeAt(0) === CODE_0)) return undefined;
  let port = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return undefined;
    port = port * 10 + (code - CODE_0);
  }
  return port <= 65535 ? port : undefined;
}

/**
 * True when the last label "ends in a number" (WHATWG URL §3.5, IPv4 parser): the URL parser
 * would read such a host as an IPv4 address, so it must already be in dotted-quad form.
 */
function endsInNumber(host: string): boolean {
  // The last label, ignoring one trailing dot as the URL parser does.
  const end = host.endsWith('.') ? host.length - 1 : host.length;
  const last = host.slice(host.lastIndexOf('.', end - 1) + 1, end);
  if (last.length === 0) return false;
  if (last.startsWith('0x')) return true;
  for (let i = 0; i < last.length; i++) if (!isDigit(last.charCodeAt(i))) return false;
  return true;
}

/** Canonical dotted-quad: four decimal parts 0-255 without leading zeros. */
function isCanonicalIpv4(labels: readonly string[]): boolean {
  if (labels.length !== 4) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 3) return false;
    if (label.length > 1 && label.charCodeAt(0) === CODE_0) return false;
    let value = 0;
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      if (!isDigit(code)) return false;
      value = value * 10 + (code - CODE_0);
    }
    if (value > 255) return false;
  }
  return true;
}

function isCanonicalDomain(host: string): boolean {
  if (host.length === 0 || host.length > 254) return false;
  // One pass: allowed characters, labels of 1-63 characters. Only the last label may be empty:
  // that is a trailing dot, which browsers keep.
  let labelLength = 0;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code === CODE_DOT) {
      if (labelLength === 0) return false;
      labelLength = 0;
    } else if (!isDomainChar(code) || ++labelLength > 63) {
      return false;
    }
  }
  if (endsInNumber(host)) return isCanonicalIpv4(host.split('.'));
  // An "xn--" label is punycode: only the URL parser (UTS #46) can tell whether it is valid, so
  // ask it, but only for these rare hosts. A browser never sends an invalid one.
  if (host.includes('xn--')) return urlKeepsHost(host);
  return true;
}

/** True when the WHATWG URL parser reads `host` as exactly this host text. */
function urlKeepsHost(host: string): boolean {
  try {
    return new URL(`http://${host}/`).hostname === host;
  } catch {
    return false;
  }
}

function isCanonicalIpv6(bracketed: string): boolean {
  const inner = bracketed.slice(1, -1);
  if (inner.length < 2 || inner.length > 45) return false;
  for (let i = 0; i < inner.length; i++) {
    const code = inner.charCodeAt(i);
    const ok =
      isDigit(code) || (code >= CODE_A_LOWER && code <= CODE_F_LOWER) || code === CODE_COLON || code === CODE_DOT;
    if (!ok) return false;
  }
  // The character check above bounds the input; the URL parser then tells whether this is the
  // canonical (RFC 5952) text a browser would have serialized.
  return urlKeepsHost(bracketed);
}

/**
 * Strictly parses an `Origin` header value that must already be a serialized origin.
 * Anything a browser would not send (uppercase, default port, path, spaces, IPv4 shorthand,
 * userinfo, percent-encoding) returns `undefined`: it is never canonicalised and then allowed.
 */
export function parseSerializedOrigin(value: string): ParsedOrigin | undefined {
  if (value.length > MAX_ORIGIN_LENGTH) return undefined;
  let scheme: OriginScheme;
  let rest: string;
  if (value.startsWith('https://')) {
    scheme = 'https';
    rest = value.slice(8);
  } else if (value.startsWith('http://')) {
    scheme = 'http';
    rest = value.slice(7);
  } else {
    return undefined;
  }
  let host: string;
  let portText: string | undefined;
  if (rest.charCodeAt(0) === 91 /* [ */) {
    const close = rest.indexOf(']');
    if (close < 0) return undefined;
    host = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after.length > 0) {
      if (after.charCodeAt(0) !== CODE_COLON) return undefined;
      portText = after.slice(1);
    }
    if (!isCanonicalIpv6(host)) return undefined;
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) portText = rest.slice(colon + 1);
    if (!isCanonicalDomain(host)) return undefined;
  }
  let port = DEFAULT_PORTS[scheme];
  if (portText !== undefined) {
    const parsed = parsePortDigits(portText);
    // A serialized origin omits the default port (HTML "serialization of an origin").
    if (parsed === undefined || parsed === port) return undefined;
    port = parsed;
  }
  return { scheme, host, port };
}

/** Serializes origin parts the way a browser does: the default port is left out. */
export function serializeOrigin(scheme: OriginScheme, host: string, port: number): string {
  return port === DEFAULT_PORTS[scheme] ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
}

/** The fix for an origin entry whose host cannot be read. */
export const HOST_FIX = 'write a host name or IP address, e.g. "https://app.example.com"';

export function problem<T>(code: string, message: string): ConfigParse<T> {
  return { ok: false, problem: { code, message } };
}

export function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 32 || code === 127) return true;
  }
  return false;
}

/**
 * Canonicalises a host name with the WHATWG URL parser: lowercase, Unicode to punycode (UTS #46),
 * IPv4 and IPv6 forms normalised. Returns `undefined` when the URL parser refuses it.
 */
export function canonicalHost(scheme: OriginScheme, host: string): string | undefined {
  // A ":" outside brackets would be read as a port ("a.com:8080" is host "a.com"), silently
  // dropping part of the text; the caller has already split the port off.
  if (!host.startsWith('[') && host.includes(':')) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`${scheme}://${host}/`).hostname;
  } catch {
    return undefined;
  }
  // The URL parser keeps hosts no browser would send ("a..b", ".a", "a$b"); a rule for one could
  // never match, so refuse it here rather than compile a dead rule.
  return hostname.startsWith('[') || isCanonicalDomain(hostname) ? hostname : undefined;
}

/** True when a canonical host is an IPv4 or IPv6 address. */
export function isIpAddress(host: string): boolean {
  return host.startsWith('[') || endsInNumber(host);
}

/** Splits `host[:port]` (IPv6 in brackets) into host text and port text. */
export function splitHostPort(authority: string): { host: string; port: string | undefined } | undefined {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    const after = authority.slice(close + 1);
    if (after.length === 0) return { host: authority.slice(0, close + 1), port: undefined };
    if (!after.startsWith(':')) return undefined;
    return { host: authority.slice(0, close + 1), port: after.slice(1) };
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return { host: authority, port: undefined };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/** Parses the port text of a configuration entry: digits, `*`, or nothing (default port). */
export function parseConfigPort(
  text: string | undefined,
  scheme: OriginScheme,
  allowAny: boolean,
): PortChoice | undefined {
  if (text === undefined) return DEFAULT_PORTS[scheme];
  if (text === '*') return allowAny ? '*' : undefined;
  const port = parsePortDigits(text, true);
  return port !== undefined && port >= 1 ? port : undefined;
}
