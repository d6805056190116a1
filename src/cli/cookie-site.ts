/**
 * `doctor --credentials`: CORS can allow a request whose cookies still do not travel. Cookies
 * follow sites, not origins: a request from a page on another site (scheme plus registrable
 * domain, "schemeful same-site", RFC 6265bis §5.2) carries only the target's `SameSite=None;
 * Secure` cookies. `localhost` and `127.0.0.1` are different sites even on one machine.
 */
import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';
import type { Finding } from './findings.js';
import { isLoopbackHost } from '../shared/loopback.js';

let tldts: typeof Tldts | undefined;

/** The site of a URL: its scheme and registrable domain (the host itself for IPs and `localhost`). */
function siteOf(url: URL): string {
  const host = url.hostname;
  // Loaded only for a credentialed check between two hosts; the list is about 1 MB.
  tldts ??= createRequire(import.meta.url)('tldts') as typeof Tldts;
  const domain = host.startsWith('[') ? null : tldts.getDomain(host, { allowPrivateDomains: true });
  return `${url.protocol}//${domain ?? host}`;
}

/**
 * A warning when the page and the URL are different sites, so the URL's cookies go along only if
 * they are `SameSite=None; Secure`; `undefined` when they are one site or `origin` is no URL.
 *
 * @example
 * ```ts
 * crossSiteCookieFinding('http://localhost:5173', new URL('http://127.0.0.1:8000/me'))?.detail; // 'loopback-names'
 * ```
 */
export function crossSiteCookieFinding(origin: string, url: URL): Finding | undefined {
  let page: URL;
  try {
    page = new URL(origin);
  } catch {
    return undefined;
  }
  if (page.hostname === url.hostname && page.protocol === url.protocol) return undefined;
  const pageSite = siteOf(page);
  const urlSite = siteOf(url);
  if (pageSite === urlSite) return undefined;
  const loopback = isLoopbackHost(page.hostname) && isLoopbackHost(url.hostname) && page.hostname !== url.hostname;
  const why = loopback
    ? `${page.hostname} and ${url.hostname} are different sites to a browser, even on the same machine`
    : `${pageSite} and ${urlSite} are different sites`;
  return {
    code: 'cookies-cross-site',
    severity: 'warning',
    step: 'request',
    detail: loopback ? 'loopback-names' : 'sites',
    cause:
      `The page and the URL are on different sites (${why}). CORS can allow this request, but the browser ` +
      "sends the URL's cookies with it only when they are SameSite=None; Secure: a session cookie with " +
      'SameSite=Lax (the default when none is set) or Strict does not travel, and the API sees no session.',
    fix: loopback
      ? `Use one host name for both: open the page at ${url.protocol}//${url.hostname}${portOf(page)} or call the API at ${page.protocol}//${page.hostname}${portOf(url)}.`
      : 'Serve the page and the API on one site (subdomains of one domain), or set the cookie with SameSite=None; Secure over https.',
  };
}

/** `:8000`, or nothing for a default port. */
function portOf(url: URL): string {
  return url.port === '' ? '' : `:${url.port}`;
}
