/**
 * The fast path of configuration parsing: entries already in the canonical form nearly every entry
 * of a long list has (`https://host[:port]`, `https://*.host[:port]`) are recognised in one pass
 * and kept as written; every other entry goes through parseConfigOrigin() (origin-entry.ts),
 * which explains every refusal. Pure functions, no I/O.
 */

/** {@link quickOriginForm}: not a common canonical form; parse it with `parseConfigOrigin()` (origin-entry.ts). */
export const QUICK_NONE = 0;
/** {@link quickOriginForm}: an exact origin, already canonical (its own rule text). */
export const QUICK_EXACT = 1;
/** {@link quickOriginForm}: a `*.` pattern, already canonical (its own rule text). */
export const QUICK_SUBDOMAINS = 2;

/** Where the host of an entry {@link quickOriginForm} took starts: after the scheme and any `*.`. */
export function quickHostStart(entry: string): number {
  const start = entry.charCodeAt(4) === 115 /* https */ ? 8 : 7;
  return entry.charCodeAt(start) === 42 /* * */ ? start + 2 : start;
}

/**
 * The fast path of configuration parsing, for the form nearly every entry of a long list has:
 * `https://host`, `https://host:port`, `https://*.host[:port]` (or http), written exactly as
 * `parseConfigOrigin()` (origin-entry.ts) would write it back. One linear pass of the RegExp engine and a
 * few character reads, no allocation.
 *
 * Returns {@link QUICK_EXACT} or {@link QUICK_SUBDOMAINS} only when `parseConfigOrigin(entry)`
 * accepts the entry as that kind with `entry` itself as its canonical rule text (the caller still
 * applies the Public Suffix List checks to a pattern); {@link QUICK_NONE} for anything else (a
 * refused entry, one that needs canonicalising, IP addresses, punycode, trailing dots, `:*`,
 * app origins), which then takes the full parser. test/policy/origin-quick.test.ts holds the two
 * parsers to that.
 */
export function quickOriginForm(entry: string): number {
  // 272 = "https://*." + a 253-octet host + ":65535": anything longer is not this form.
  // Punycode ("xn--") needs the URL parser's UTS #46 check.
  if (entry.length > 272 || entry.includes('xn--')) return QUICK_NONE;
  let hostEnd = entry.length;
  if (!CANONICAL_ENTRY.test(entry)) {
    if (!CANONICAL_ENTRY_WITH_PORT.test(entry)) return QUICK_NONE;
    hostEnd = entry.lastIndexOf(':');
    if (!isCanonicalPortText(entry, hostEnd + 1)) return QUICK_NONE;
  }
  const hostStart = quickHostStart(entry);
  if (hostEnd - hostStart > 253) return QUICK_NONE;
  return entry.charCodeAt(hostStart - 1) === 46 /* . */ ? QUICK_SUBDOMAINS : QUICK_EXACT;
}

/**
 * The shape of {@link quickOriginForm}'s entries, checked by the RegExp engine in one linear pass
 * (configuration text only, never request input): scheme, an optional `*.`, labels of 1-63
 * lowercase letters, digits, "-" or "_" with single dots between them, a last label that does not
 * start with a digit (it could be an IPv4 address, "ends in a number" in WHATWG URL) and no
 * trailing dot (its own origin: the full parser decides it); then, in the second form, a port of
 * 1-5 digits without a leading zero. Each label ends at a mandatory dot, so nothing backtracks.
 */
const CANONICAL_HOST = String.raw`^https?://(?:\*\.)?(?:[a-z0-9_-]{1,63}\.)*[a-z_-][a-z0-9_-]{0,62}`;
const CANONICAL_ENTRY = new RegExp(`${CANONICAL_HOST}$`);
const CANONICAL_ENTRY_WITH_PORT = new RegExp(`${CANONICAL_HOST}:[1-9][0-9]{0,4}$`);

/** True when the text from `start` to the end is a port as the canonical form writes it: 1-65535, no leading zero, not the scheme's default. */
function isCanonicalPortText(entry: string, start: number): boolean {
  const digits = entry.length - start;
  if (digits < 1 || digits > 5 || entry.charCodeAt(start) === 48 /* 0 */) return false;
  let port = 0;
  for (let j = start; j < entry.length; j++) {
    const code = entry.charCodeAt(j);
    if (code < 48 || code > 57) return false;
    port = port * 10 + (code - 48);
  }
  return port <= 65535 && port !== (entry.charCodeAt(4) === 115 /* https */ ? 443 : 80);
}
