/**
 * WebSocket handshakes. Browsers do not apply CORS to WebSockets: they send `Origin` and the
 * server alone decides (RFC 6455 §4.2.2, §10.2). The doctor sends the handshake a browser would
 * send from the page, then once more from an unrelated origin to see whether `Origin` is checked.
 */
import type { Finding, StepName } from './findings.js';
import type { RawHeaders } from './headers.js';
import { getCombined } from './headers.js';
import type { UpgradeSnapshot } from './probe.js';
import { websocketAccept } from './probe.js';

/** An origin no real page has (RFC 2606 `.invalid`), used to test whether the server checks `Origin`. */
export const FOREIGN_ORIGIN = 'https://cors-safety-doctor.invalid';

/**
 * The request headers of a browser's opening handshake (RFC 6455 §4.1).
 *
 * @example
 * ```ts
 * handshakeHeaders('https://app.example.com', websocketKey());
 * ```
 */
export function handshakeHeaders(origin: string, key: string): RawHeaders {
  return [
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', key],
    ['Origin', origin],
  ];
}

/** The nginx directives that pass a WebSocket upgrade through, as written in a `location` block. */
export const NGINX_UPGRADE_LINES =
  'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";';

function refusedCause(status: number): { detail: string; why: string; fix: string } {
  if (status === 401 || status === 403) {
    return {
      detail: 'origin-or-auth',
      why:
        `The server refused the handshake with ${status}: its origin check rejected this Origin (ws verifyClient answers 401 by default, ` +
        'the cors-safety upgrade guard 403), or it wants authentication, which a browser WebSocket can only provide as a cookie or in the URL.',
      fix:
        "Add the page origin to the WebSocket server's allowed origins (with cors-safety the upgrade guard shares the HTTP policy); " +
        'if it is authentication, use a cookie or a short-lived token in the URL, not an Authorization header.',
    };
  }
  if (status === 400 || status === 426) {
    return {
      detail: 'bad-handshake',
      why: `The server rejected the handshake itself (${status}): a wrong Sec-WebSocket-Version, or a proxy that drops the Upgrade and Connection headers.`,
      fix: `Make the proxy forward Upgrade and Connection (nginx: ${NGINX_UPGRADE_LINES}).`,
    };
  }
  if (status === 404) {
    return {
      detail: 'not-found',
      why: 'Nothing accepts WebSocket connections at this path.',
      fix: 'Check the path the WebSocket server is mounted on (ws: the `path` option or the upgrade handler).',
    };
  }
  if (status >= 200 && status < 300) {
    return {
      detail: 'not-websocket',
      why: `The server answered ${status} as for a plain HTTP request: no WebSocket server handles upgrades here.`,
      fix: 'Attach the WebSocket server to this HTTP server and path, and make any proxy forward Upgrade and Connection.',
    };
  }
  return {
    detail: 'other',
    why: `The server answered ${status} instead of 101 Switching Protocols.`,
    fix: 'Check the server and proxy logs for this handshake.',
  };
}

/**
 * Checks the handshake a browser would make: `101` with the right `Sec-WebSocket-Accept`
 * (RFC 6455 §4.1 client requirements) opens the connection; anything else fails it.
 */
export function handshakeCheck(res: UpgradeSnapshot, origin: string, step: StepName = 'websocket'): Finding[] {
  if (!res.upgraded || res.status !== 101) {
    const { detail, why, fix } = refusedCause(res.status);
    return [
      {
        code: 'ws-refused',
        severity: 'error',
        step,
        detail,
        cause: `The WebSocket handshake from ${origin} was refused: ${res.status} ${res.statusText}. ${why}`,
        fix,
      },
    ];
  }
  const accept = getCombined(res.headers, 'sec-websocket-accept');
  if (accept !== websocketAccept(res.key)) {
    return [
      {
        code: 'ws-accept-invalid',
        severity: 'error',
        step,
        cause: `The server answered 101 but Sec-WebSocket-Accept is ${accept === null ? 'missing' : `"${accept}"`}, not the value derived from the key, so the browser fails the connection (RFC 6455 §4.1).`,
        fix: 'Let a WebSocket library answer the handshake; a proxy must pass the 101 response through unchanged.',
      },
    ];
  }
  return [];
}

/** A warning when the handshake from an unrelated origin also succeeded. */
export function foreignOriginCheck(res: UpgradeSnapshot): Finding[] {
  if (!res.upgraded || res.status !== 101) return [];
  return [
    {
      code: 'ws-origin-not-checked',
      severity: 'warning',
      step: 'websocket-foreign-origin',
      cause:
        `The server also accepted a handshake from ${FOREIGN_ORIGIN}: it does not check Origin, so any site can open this WebSocket ` +
        "with the user's cookies (cross-site WebSocket hijacking).",
      fix: 'Check Origin during the upgrade against an allow-list (ws verifyClient, or the cors-safety upgrade guard).',
    },
  ];
}
