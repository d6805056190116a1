/**
 * Configuration entries of `origin`: the lenient, canonicalising parser of one allow-list entry
 * (`https://app.example.com`, `https://*.example.com`, `http://localhost:*`), step by step, over
 * the origin syntax of origin-syntax.ts. Pure functions, no I/O.
 */
import { isNeverSentScheme, parseConfigAppOrigin } from './app-origin.js';
import type { ConfigOrigin, ConfigParse, OriginScheme, PortChoice } from './origin-types.js';
import {
  canonicalHost,
  HOST_FIX,
  isIpAddress,
  MAX_ORIGIN_LENGTH,
  parseConfigPort,
  problem,
  serializeOrigin,
  splitHostPort,
  hasControlOrSpace,
} from './origin-syntax.js';

/**
 * Parses one allow-list entry (`https://app.example.com`, `https://*.example.com`,
 * `http://localhost:*`) into its canonical form, or explains why it is refused.
 */
export function parseConfigOrigin(
  entry: string,
  isPublicSuffix: (suffix: string) => boolean,
): ConfigParse<ConfigOrigin> {
  const shown = JSON.stringify(entry);
  const textRefusal = entryTextProblem(entry, shown);
  if (textRefusal !== undefined) return textRefusal;
  const sep = entry.indexOf('://');
  if (sep < 0) {
    return problem('origin-no-scheme', `${shown} has no scheme; write "https://${entry.replace(/\/+$/, '')}"`);
  }
  const schemeText = entry.slice(0, sep).toLowerCase();
  const schemeRefusal = schemeProblem(entry, shown, schemeText);
  if (schemeRefusal !== undefined) return schemeRefusal;
  const authority = authorityOf(shown, schemeText, entry.slice(sep + 3));
  if (!authority.ok) return authority;
  // capacitor://localhost, chrome-extension://<id>...: exact app origins (see app-origin.ts).
  if (schemeText !== 'http' && schemeText !== 'https') return parseConfigAppOrigin(shown, schemeText, authority.value);
  return parseWebAuthority(shown, schemeText, authority.value, isPublicSuffix);
}

/** {@link parseConfigOrigin}, first step: entries refused whatever their scheme (empty, too long, spaces, `null`, `*`). */
function entryTextProblem(entry: string, shown: string): ConfigParse<ConfigOrigin> | undefined {
  if (entry.length === 0)
    return problem('origin-empty', 'is an empty string; write an origin such as "https://app.example.com"');
  if (entry.length > MAX_ORIGIN_LENGTH)
    return problem(
      'origin-too-long',
      `is longer than ${MAX_ORIGIN_LENGTH} characters, which no real origin is; write the page's origin, e.g. "https://app.example.com"`,
    );
  if (hasControlOrSpace(entry)) {
    return problem(
      'origin-whitespace',
      `${shown} contains spaces or control characters; write the origin alone, e.g. "${entry.trim()}"`,
    );
  }
  if (entry.toLowerCase() === 'null') {
    return problem(
      'origin-null-entry',
      '"null" is not an origin rule; set allowNullOrigin: true to allow the opaque "null" origin',
    );
  }
  if (entry === '*') {
    return problem(
      'origin-star-in-list',
      '"*" inside a list matches nothing; write origin: "*" on its own for a public API',
    );
  }
  return undefined;
}

/** {@link parseConfigOrigin}: schemes no browser sends as an Origin (`ws:`, `wss:`, `file:`, `data:`...). */
function schemeProblem(entry: string, shown: string, schemeText: string): ConfigParse<ConfigOrigin> | undefined {
  if (schemeText === 'ws' || schemeText === 'wss') {
    const page = schemeText === 'wss' ? 'https' : 'http';
    return problem(
      'origin-websocket-scheme',
      `${shown} is a WebSocket URL; list the origin of the page that opens the socket, e.g. "${page}${entry.slice(schemeText.length)}"`,
    );
  }
  // "blob:https://a.com": the scheme is what comes before the first ":".
  const firstScheme = schemeText.split(':', 1)[0] ?? schemeText;
  if (isNeverSentScheme(firstScheme)) {
    return problem(
      'origin-unsupported-scheme',
      `${shown} uses scheme "${firstScheme}", which no browser sends as an Origin ` +
        '(file: and data: pages send "null"); list the origin of the page that makes the request',
    );
  }
  return undefined;
}

/**
 * {@link parseConfigOrigin}: the authority of the text after `scheme://`, refusing user information,
 * a fragment, a query or a path (a lone trailing "/" is dropped).
 */
function authorityOf(shown: string, schemeText: string, rest: string): ConfigParse<string> {
  if (rest.includes('@'))
    return problem(
      'origin-userinfo',
      `${shown} contains user information ("user@"); an origin has none, write "${schemeText}://${rest.slice(rest.lastIndexOf('@') + 1)}"`,
    );
  // What the fix keeps: scheme and authority, up to the first "/", "?" or "#".
  const bare = `${schemeText}://${rest.split(/[/?#]/, 1)[0] ?? ''}`;
  if (rest.includes('#'))
    return problem('origin-fragment', `${shown} has a fragment ("#..."), which an origin never has; write "${bare}"`);
  if (rest.includes('?'))
    return problem('origin-query', `${shown} has a query ("?..."), which an origin never has; write "${bare}"`);
  const slash = rest.indexOf('/');
  if (slash < 0) return { ok: true, value: rest };
  const authority = rest.slice(0, slash);
  if (rest.slice(slash) !== '/')
    return problem('origin-path', `${shown} has a path; write "${schemeText}://${authority}"`);
  return { ok: true, value: authority };
}

/** The host and port of an http(s) entry, before the wildcard checks. */
interface WebAuthority {
  /** Canonical host, without the leading `*.` of a pattern. */
  readonly host: string;
  readonly port: PortChoice;
  /** The port text as written, `undefined` when there is none. */
  readonly portText: string | undefined;
  /** True for a `*.` pattern. */
  readonly wildcard: boolean;
}

/** {@link parseConfigOrigin}, last step for http and https: host and port, then the pattern checks. */
function parseWebAuthority(
  shown: string,
  scheme: OriginScheme,
  authority: string,
  isPublicSuffix: (suffix: string) => boolean,
): ConfigParse<ConfigOrigin> {
  const parsed = parseWebHostPort(shown, scheme, authority);
  if (!parsed.ok) return parsed;
  const { host, port, wildcard } = parsed.value;
  const patternRefusal = patternProblem(shown, scheme, parsed.value, isPublicSuffix);
  if (patternRefusal !== undefined) return patternRefusal;
  if (wildcard) return { ok: true, value: { kind: 'subdomains', scheme, suffix: host, port } };
  if (port === '*') return { ok: true, value: { kind: 'host', scheme, host, port } };
  return { ok: true, value: { kind: 'exact', origin: serializeOrigin(scheme, host, port), scheme, host, port } };
}

/** {@link parseWebAuthority}: splits `[*.]host[:port]`, checks the port and canonicalises the host. */
function parseWebHostPort(shown: string, scheme: OriginScheme, authority: string): ConfigParse<WebAuthority> {
  if (authority.includes('\\') || authority.includes('%')) {
    return problem('origin-invalid-host', `${shown} has "\\" or "%" in its host; write the host as plain text`);
  }
  const parts = splitHostPort(authority);
  if (parts === undefined || parts.host.length === 0)
    return problem('origin-invalid-host', `${shown} has no valid host; ${HOST_FIX}`);
  const port = parseConfigPort(parts.port, scheme, true);
  if (port === undefined) {
    return problem(
      'origin-invalid-port',
      `${shown} has an invalid port "${String(parts.port)}"; use 1-65535, or "*" for any port`,
    );
  }
  const wildcard = parts.host.startsWith('*.');
  const hostText = wildcard ? parts.host.slice(2) : parts.host;
  if (hostText.includes('*')) {
    return problem(
      'origin-wildcard-position',
      `${shown}: "*" stands only for whole leading labels or the port; write "${scheme}://*.example.com" or "${scheme}://localhost:*"`,
    );
  }
  const host = canonicalHost(scheme, hostText);
  if (host === undefined)
    return problem('origin-invalid-host', `${shown} has an invalid host "${hostText}"; ${HOST_FIX}`);
  return { ok: true, value: { host, port, portText: parts.port, wildcard } };
}

/**
 * {@link parseWebAuthority}: patterns (`*.` or `:*`) refused for their host: a trailing dot, and
 * for `*.` an IP address or a public suffix.
 */
function patternProblem(
  shown: string,
  scheme: OriginScheme,
  { host, port, portText, wildcard }: WebAuthority,
  isPublicSuffix: (suffix: string) => boolean,
): ConfigParse<ConfigOrigin> | undefined {
  // A trailing-dot host (`https://www.example.com.`) is its own origin, which Chromium sends as
  // written: allowed as an exact entry; patterns match the usual names only.
  if (host.endsWith('.') && (wildcard || port === '*')) {
    const usual = `${scheme}://${wildcard ? '*.' : ''}${host.slice(0, -1)}${portText === undefined ? '' : `:${portText}`}`;
    return problem(
      'origin-trailing-dot',
      `${shown} ends its host with a dot; write "${usual}" for the usual names, and list each trailing-dot ` +
        'origin (a distinct origin) exactly, e.g. "https://www.example.com."',
    );
  }
  if (!wildcard) return undefined;
  if (isIpAddress(host))
    return problem('origin-wildcard-ip', `${shown} puts a wildcard in front of an IP address; list the address itself`);
  if (isPublicSuffix(host)) {
    // Under a wildcard rule (`*.kawasaki.jp`) "example.<host>" is itself a suffix: go one deeper.
    const own = isPublicSuffix(`example.${host}`) ? `mine.example.${host}` : `example.${host}`;
    return problem(
      'origin-wildcard-public-suffix',
      `${shown} would allow every site under the public suffix "${host}"; use your own domain, e.g. "${scheme}://*.${own}"`,
    );
  }
  return undefined;
}
