/**
 * The HTTP probe from an unrelated origin: a server or proxy that echoes any `Origin` (nginx's
 * `add_header Access-Control-Allow-Origin $http_origin`, `origin: true` in the cors package) lets
 * every website read its answers, and with `Access-Control-Allow-Credentials: true` act as the
 * user. A probe from the page's own origin cannot see that; one from an origin nobody allows can.
 */
import { randomBytes } from 'node:crypto';
import type { ResponseSnapshot } from './cors-check.js';
import type { PreflightDecision } from './fetch-rules.js';
import type { Finding } from './findings.js';
import { getAll, getCombined } from './headers.js';
import type { RawHeaders } from './headers.js';

/**
 * A fresh origin no real page has (RFC 2606 `.invalid`), random so that no allow-list can hold it.
 *
 * @example
 * ```ts
 * foreignHttpOrigin(); // 'https://cors-safety-probe-3f9a0c1b2d4e.invalid'
 * ```
 */
export function foreignHttpOrigin(): string {
  return `https://cors-safety-probe-${randomBytes(6).toString('hex')}.invalid`;
}

/**
 * What to send from the foreign origin: the same request when it is a GET or HEAD, otherwise a
 * preflight for it (never a second unsafe request, which could change data on the server).
 */
export function foreignRequest(
  origin: string,
  method: string,
  decision: PreflightDecision,
  headers: RawHeaders,
): { method: string; headers: RawHeaders } {
  if (!decision.needed && (method === 'GET' || method === 'HEAD')) {
    return { method, headers: [['Origin', origin], ['Accept', '*/*'], ['Sec-Fetch-Mode', 'cors'], ...headers] };
  }
  const sent: [string, string][] = [
    ['Origin', origin],
    ['Access-Control-Request-Method', method],
  ];
  if (decision.unsafeHeaderNames.length > 0)
    sent.push(['Access-Control-Request-Headers', decision.unsafeHeaderNames.join(',')]);
  sent.push(['Accept', '*/*'], ['Sec-Fetch-Mode', 'cors']);
  return { method: 'OPTIONS', headers: sent };
}

/**
 * Checks the answer to the foreign origin: `allow-origin-reflected`, `critical` when credentials
 * are allowed too (any website can act as the user and read the answer), a `warning` otherwise.
 */
export function reflectionCheck(response: ResponseSnapshot, foreign: string): Finding[] {
  const lines = getAll(response.headers, 'access-control-allow-origin');
  if (!lines.includes(foreign)) return [];
  const credentials = getCombined(response.headers, 'access-control-allow-credentials') === 'true';
  const who =
    'The server, or a proxy in front of it (nginx `add_header Access-Control-Allow-Origin $http_origin`, a CDN rule, ' +
    '`origin: true` in the cors package), echoes any Origin';
  const fix =
    'Grant only the origins you list: remove the reflection (the nginx add_header lines, the CDN rule) and let ' +
    'the application decide with an allow-list (cors-safety: origin: [...] or CORS_ALLOWED_ORIGINS); behind nginx, ' +
    '`cors-safety nginx` writes error pages from the same list.';
  if (credentials) {
    return [
      {
        code: 'allow-origin-reflected',
        severity: 'critical',
        step: 'foreign-origin',
        detail: 'credentials',
        cause:
          `${who} with Access-Control-Allow-Credentials: true: it granted ${foreign}, an origin nobody lists. Any ` +
          "website a user visits can send requests with the user's cookies and read the answers.",
        fix,
      },
    ];
  }
  return [
    {
      code: 'allow-origin-reflected',
      severity: 'warning',
      step: 'foreign-origin',
      detail: 'no-credentials',
      cause:
        `${who}: it granted ${foreign}, an origin nobody lists, so any website can read these responses (as with \`*\`). ` +
        'Harmless for a public API without cookies; not for anything behind a login or a private network.',
      fix,
    },
  ];
}
