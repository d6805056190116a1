/**
 * Origins of apps that are not served over http(s): hybrid apps (`capacitor://localhost`,
 * `ionic://localhost`, `tauri://localhost`), Electron's privileged schemes (`app://host`) and
 * browser extensions (`chrome-extension://<id>`, `moz-extension://<uuid>`,
 * `safari-web-extension://<uuid>`).
 *
 * The URL standard gives URLs of schemes it does not know an opaque origin, serialized `null`
 * (URL §4.4 "origin"). Browsers and webviews that register such a scheme as a standard one send
 * `scheme://host` instead, and that is what real apps send: Chromium and Edge for extensions,
 * Firefox for `moz-extension:`, WKWebView for Capacitor and Ionic on iOS, Tauri on macOS and
 * Linux, Electron for schemes registered with `standard: true`. Such an origin is allowed only
 * by an exact entry or an origin function: host patterns, `allowedHosts` and RegExps describe web
 * origins and never match it. Pure functions, no I/O.
 */
import type { ConfigOrigin, ConfigParse } from './origin-types.js';

/**
 * Schemes that never appear in an `Origin` header: `file:`, `data:` and `about:` pages send
 * `null`, a `blob:` URL carries its creator's origin, and `ftp:` pages no browser loads now.
 */
const NEVER_SENT_SCHEMES: ReadonlySet<string> = new Set([
  'about',
  'blob',
  'data',
  'file',
  'filesystem',
  'ftp',
  'javascript',
  'mailto',
  'view-source',
]);

/** Schemes the http(s) parser owns, or that name a socket rather than a page. */
const WEB_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss']);

/**
 * Extension schemes: their host is an ID the browser assigns, and they have no port. A Map, as
 * it is keyed by request text: `constructor://x` must not find `Object.prototype.constructor`.
 */
const EXTENSION_HOSTS: ReadonlyMap<string, { test: (host: string) => boolean; fix: string }> = new Map(
  Object.entries({
    // Chromium: the ID is 32 letters a-p (a SHA-256 prefix in base 16 written with a-p).
    'chrome-extension': {
      test: isChromiumExtensionId,
      fix: 'write the extension ID that chrome://extensions shows (32 letters a-p)',
    },
    // Firefox: a per-install UUID, shown in about:debugging as "Internal UUID".
    'moz-extension': { test: isUuid, fix: 'write the extension\'s "Internal UUID" that about:debugging shows' },
    'safari-web-extension': { test: isUuid, fix: "write the extension's UUID (8-4-4-4-12 hexadecimal digits)" },
  }),
);

/** The fix for an app origin whose host cannot be read. */
const APP_HOST_FIX = 'write the host the app uses, e.g. "capacitor://localhost"';

/** Longest host accepted in an app origin (a DNS name is at most 253 octets, RFC 1035 §2.3.4). */
const MAX_HOST_LENGTH = 253;

function isChromiumExtensionId(host: string): boolean {
  if (host.length !== 32) return false;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code < 97 /* a */ || code > 112 /* p */) return false;
  }
  return true;
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102);
}

/** RFC 9562 text form: 8-4-4-4-12 hexadecimal digits (already lowercased by the caller). */
function isUuid(host: string): boolean {
  if (host.length !== 36) return false;
  for (let i = 0; i < host.length; i++) {
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    if (dash ? host.charCodeAt(i) !== 45 : !isHexDigit(host.charCodeAt(i))) return false;
  }
  return true;
}

/** RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, lowercase (the URL parser lowercases it). */
function isSchemeSyntax(scheme: string): boolean {
  if (scheme.length === 0 || scheme.length > 64) return false;
  for (let i = 0; i < scheme.length; i++) {
    const code = scheme.charCodeAt(i);
    const letter = code >= 97 && code <= 122;
    if (i === 0 ? !letter : !(letter || (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46))
      return false;
  }
  return true;
}

/** Dot-separated labels of lowercase letters, digits, `-` and `_`; no empty label. */
function isAppHost(host: string): boolean {
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return false;
  let label = 0;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code === 46 /* . */) {
      if (label === 0) return false;
      label = 0;
    } else if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 45 || code === 95) {
      label++;
    } else {
      return false;
    }
  }
  return label > 0;
}

/** 1-65535 without sign or leading zero, as a serialized origin writes it. */
function isPortText(text: string): boolean {
  if (text.length === 0 || text.length > 5 || text.charCodeAt(0) === 48) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return Number(text) <= 65535;
}

/** True for a scheme no `Origin` header ever carries (`file`, `data`, `ftp`...). */
export function isNeverSentScheme(scheme: string): boolean {
  return NEVER_SENT_SCHEMES.has(scheme);
}

/**
 * The canonical form of an `Origin` header value that is an app origin (`scheme://host[:port]`
 * of a scheme other than http, https, ws and wss), or `undefined`. The scheme must already be
 * lowercase, as every browser sends it; the host is compared case-insensitively (an extension
 * UUID may arrive in either case), so the canonical form lowercases it.
 *
 * @example
 * ```ts
 * parseAppOrigin('capacitor://localhost'); // 'capacitor://localhost'
 * parseAppOrigin('chrome-extension://x');  // undefined: not an extension ID
 * ```
 */
export function parseAppOrigin(value: string): string | undefined {
  const sep = value.indexOf('://');
  if (sep <= 0) return undefined;
  const scheme = value.slice(0, sep);
  if (!isSchemeSyntax(scheme) || WEB_SCHEMES.has(scheme) || NEVER_SENT_SCHEMES.has(scheme)) return undefined;
  const authority = value.slice(sep + 3).toLowerCase();
  const colon = authority.indexOf(':');
  const host = colon < 0 ? authority : authority.slice(0, colon);
  if (!isAppHost(host)) return undefined;
  const extension = EXTENSION_HOSTS.get(scheme);
  if (extension !== undefined && (colon >= 0 || !extension.test(host))) return undefined;
  if (colon >= 0 && !isPortText(authority.slice(colon + 1))) return undefined;
  return `${scheme}://${authority}`;
}

function problem(code: string, message: string): ConfigParse<ConfigOrigin> {
  return { ok: false, problem: { code, message } };
}

/**
 * Parses the authority of an allow-list entry whose scheme is an app scheme (lowercase, neither
 * http(s), ws(s) nor a scheme that is never sent). `shown` is the entry as the user wrote it,
 * quoted; userinfo, query, fragment and path have already been refused.
 */
export function parseConfigAppOrigin(shown: string, scheme: string, authority: string): ConfigParse<ConfigOrigin> {
  if (!isSchemeSyntax(scheme)) {
    return problem(
      'origin-invalid-scheme',
      `${shown} has an invalid scheme "${scheme}" (letters, digits, "+", "-" and "." only); ` +
        'write the origin as the app sends it, e.g. "capacitor://localhost"',
    );
  }
  const lower = authority.toLowerCase();
  if (lower.includes('*')) {
    return problem(
      'origin-app-pattern',
      `${shown}: "${scheme}" origins are matched exactly, never by patterns; list each origin, ` +
        'or use an origin function to decide them',
    );
  }
  const colon = lower.indexOf(':');
  const host = colon < 0 ? lower : lower.slice(0, colon);
  const port = colon < 0 ? '' : lower.slice(colon + 1);
  if (!isAppHost(host)) return problem('origin-invalid-host', `${shown} has no valid host; ${APP_HOST_FIX}`);
  const extension = EXTENSION_HOSTS.get(scheme);
  if (extension !== undefined) {
    if (colon >= 0)
      return problem('origin-invalid-port', `${shown}: an extension origin has no port; write "${scheme}://${host}"`);
    if (!extension.test(host))
      return problem('origin-extension-id', `${shown} is not a ${scheme} origin; ${extension.fix}`);
  }
  const digits = port.replace(/^0+(?=\d)/, '');
  if (colon >= 0 && !isPortText(digits))
    return problem('origin-invalid-port', `${shown} has an invalid port "${port}"; use 1-65535`);
  const origin = `${scheme}://${host}${colon < 0 ? '' : `:${digits}`}`;
  return { ok: true, value: { kind: 'app', origin, scheme } };
}
