/**
 * Anchored regular expressions (the common subset of PCRE and JavaScript) that match exactly the
 * serialized origins a host rule allows, or fewer, never more. The request-time check only
 * matches origins in the strict form a browser sends (lowercase, no default port, no leading
 * zero in the port, labels of 1-63 characters, a host of at most 254), so every pattern spells
 * that form out instead of relying on nginx to normalise anything: nginx's `map` compares plain
 * strings case-insensitively, so only case-sensitive regex entries are used.
 */
import type { HostRuleEntry } from '../policy/host-rules.js';
import { DEFAULT_PORTS, type OriginScheme, type PortChoice } from '../policy/origin-syntax.js';
import { regexLiteral } from './nginx-syntax.js';

/** A port 1-65535 written without a leading zero (the form `parsePortDigits` accepts). */
const PORT = '(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/**
 * One DNS label a wildcard may stand for. Labels starting with `xn--` are left out: the policy
 * only accepts those after the URL parser has validated the punycode, which no regex can do.
 */
const LABEL = '(?:(?!xn--)[a-z0-9_-]){1,63}';

/**
 * A label below an internationalised suffix. The URL parser applies the Bidi rule (RFC 5893) to
 * the whole host when one label is right-to-left, which refuses ASCII labels that start with a
 * digit, `-` or `_` or end with `-` or `_`; this narrower form is accepted either way.
 */
const STRICT_LABEL = '(?!xn--)[a-z](?:(?:(?!xn--)[a-z0-9-]){0,61}[a-z0-9])?';

/** A canonical dotted-quad IPv4 address: four parts 0-255 without leading zeros. */
const IPV4_PART = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `(?:${IPV4_PART}\\.){3}${IPV4_PART}`;

/**
 * A domain as a browser serializes it: labels of 1-63 characters, an optional trailing dot, and
 * a last label that does not "end in a number" (WHATWG URL §3.5), which would make it an IPv4
 * address. The whole host is bounded to 254 characters by the caller's lookahead.
 */
const DOMAIN = `(?:${LABEL}\\.)*(?!0x)(?![0-9]+\\.?(?::|$))${LABEL}\\.?`;

/**
 * Any serialized http or https origin a browser sends, except IPv6 hosts (whose canonical
 * RFC 5952 text no regex here checks): nginx then leaves them out, which only ever denies.
 */
export const SERIALIZED_ORIGIN = (['http', 'https'] as const)
  .map(
    (scheme) =>
      `${scheme}://(?=[a-z0-9_.-]{1,254}(?::|$))(?:${IPV4}|${DOMAIN})(?::(?!${DEFAULT_PORTS[scheme]}$)${PORT})?`,
  )
  .join('|');

/**
 * The pattern for origins the policy reflects whatever they are (`origin: true`): any origin in
 * the strict serialized form.
 */
export const ANY_ORIGIN_PATTERN = `^(?:${SERIALIZED_ORIGIN})$`;

/** The optional `:port` part for a port choice under `scheme`. */
function portPattern(scheme: OriginScheme, port: PortChoice): string {
  const standard = DEFAULT_PORTS[scheme];
  if (port === '*') return `(?::(?!${standard}$)${PORT})?`;
  return port === standard ? '' : `:${port}`;
}

/**
 * The pattern for one host rule: the host itself on the rule's port(s), or every host one or
 * more labels below it.
 *
 * @example
 * ```ts
 * hostRulePattern({ kind: 'subdomains', scheme: 'https', host: 'example.com', port: 443, rule: '' });
 * // '^https://(?=[a-z0-9_.-]{1,254}(?::|$))(?:(?!xn--)[a-z0-9_-]{1,63}\\.)+example\\.com$'
 * ```
 */
export function hostRulePattern(entry: Pick<HostRuleEntry, 'kind' | 'scheme' | 'host' | 'port'>): string {
  const port = portPattern(entry.scheme, entry.port);
  const host = regexLiteral(entry.host);
  if (entry.kind === 'host') return `^${entry.scheme}://${host}${port}$`;
  const label = entry.host.includes('xn--') ? STRICT_LABEL : LABEL;
  // A host is at most 254 characters (isCanonicalDomain); the lookahead bounds the whole host.
  return `^${entry.scheme}://(?=[a-z0-9_.-]{1,254}(?::|$))(?:${label}\\.)+${host}${port}$`;
}

/**
 * The pattern for one exact origin.
 *
 * @example
 * ```ts
 * exactOriginPattern('https://app.example.com'); // '^https://app\\.example\\.com$'
 * ```
 */
export function exactOriginPattern(origin: string): string {
  const sep = origin.indexOf('://');
  // "null" (allowNullOrigin) has no scheme.
  if (sep < 0) return `^${regexLiteral(origin)}$`;
  // App schemes may hold "+" and "." (RFC 3986 §3.1): escaped like the rest.
  return `^${regexLiteral(origin.slice(0, sep))}://${regexLiteral(origin.slice(sep + 3))}$`;
}
