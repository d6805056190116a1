/**
 * Public suffixes, from the Public Suffix List (https://publicsuffix.org/list/), ICANN and private
 * sections, through `tldts`. A wildcard over a public suffix (`https://*.com`, `https://*.r2.dev`,
 * `.github.io` in allowedHosts) would allow sites registered by anyone, so such entries are
 * refused. Called at construction only: request-time code never consults the list.
 */
import type * as Tldts from 'tldts';

/** What loads `tldts` when first needed. */
export type PublicSuffixLoader = () => Pick<typeof Tldts, 'getPublicSuffix'>;

/**
 * tldts holds the whole list (about 1 MB of code, tens of milliseconds to load): the Node entry
 * installs a loader that requires it the first time a wildcard entry is compiled, not when
 * cors-safety is imported, so a policy without wildcards never pays for it and request-time code
 * never touches it. The policy core itself imports no Node module (`cors-safety/fetch` runs on
 * Workers and Deno): that entry installs a loader over its own static import.
 */
let load: PublicSuffixLoader | undefined;
let tldts: Pick<typeof Tldts, 'getPublicSuffix'> | undefined;

/** Installs how `tldts` is loaded; the first installed loader is kept. */
export function installPublicSuffixLoader(loader: PublicSuffixLoader): void {
  load ??= loader;
}

function publicSuffixOf(host: string): string | null {
  if (tldts === undefined) {
    if (load === undefined) throw new Error('cors-safety: no Public Suffix List loader installed');
    tldts = load();
  }
  return tldts.getPublicSuffix(host, LOOKUP_OPTIONS);
}

/** Names that only ever resolve to this machine (RFC 6761 §6.3): `*.localhost` is a safe development pattern. */
const LOCAL_ONLY_SUFFIXES = new Set(['localhost']);

/** The input is already a canonical host (lowercase, punycode): no URL parsing, no IP detection. */
const LOOKUP_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  detectIp: false,
  validateHostname: false,
} as const;

/**
 * True when `host` (a canonical, lowercase host) is exactly a public suffix, so that `*.<host>`
 * would allow sites run by strangers. A single label is always one (the list's implicit `*`
 * rule); wildcard rules (`*.ck`) and exceptions (`!www.ck`) follow the list. `localhost` is not.
 *
 * @example
 * ```ts
 * isPublicSuffix('r2.dev'); // true (private section)
 * isPublicSuffix('co.uk'); // true (ICANN section)
 * isPublicSuffix('example.co.uk'); // false
 * ```
 */
export function isPublicSuffix(host: string): boolean {
  if (LOCAL_ONLY_SUFFIXES.has(host)) return false;
  return publicSuffixOf(host) === host;
}
