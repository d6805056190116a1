/**
 * The doctor's finding codes as data, each with its severity and one-line documentation (the
 * table in docs/troubleshooting.md). `satisfies` keeps the list and the `FindingCode` type equal:
 * a code added to one and not the other does not compile. test/docs/codes-documented.test.ts
 * checks that each is in the table.
 */
import type { FindingCode } from './findings.js';

/** Every finding code of `cors-safety doctor`, with its severity and what it reports. */
export const FINDING_CODES = {
  'no-allow-origin':
    'error: no `Access-Control-Allow-Origin`; on a 4xx/5xx the error path lacks CORS headers; ' +
    '`detail` `proxy-error` when nginx made the error (`Server: nginx` or its default error page): ' +
    'see [Behind nginx](nginx.md)',
  'allow-origin-duplicated': 'error: the header is sent twice (a proxy and the app); keep one layer',
  'allow-origin-list': 'error: several origins in one header value',
  'allow-origin-mismatch':
    'error: another origin echoed; `detail`: `port`, `scheme`, `trailing-slash`, `path`, `case`, ' +
    '`default-port`, `localhost-alias`, `null`, `host`, `malformed`',
  'wildcard-with-credentials': 'error: `*` with a credentialed request',
  'credentials-not-allowed': 'error: `Access-Control-Allow-Credentials` missing, not exactly `true`, or sent twice',
  'preflight-redirect': 'error: the preflight was redirected',
  'preflight-status': 'error: the preflight was not 2xx; `detail`: `auth`, `no-handler`, `server-error`, `other`',
  'preflight-header-invalid': 'error: `Access-Control-Allow-Methods`/`-Headers` is not a list of tokens',
  'method-not-allowed':
    'error: not listed by the preflight (`*` does not count with credentials, and never covers `Authorization`)',
  'header-not-allowed':
    'error: not listed by the preflight (`*` does not count with credentials, and never covers `Authorization`)',
  'mixed-content': 'error: an https page calling an http or ws URL (loopback exempt)',
  'method-refused-by-node':
    'warning: the method is not in `http.METHODS` as written (`patch`): a Node server answers it with' +
    ' 400 before any JavaScript runs, whatever its CORS setup; send `PATCH`',
  'ws-refused': 'error: handshake not answered with 101, or a wrong `Sec-WebSocket-Accept`',
  'ws-accept-invalid': 'error: handshake not answered with 101, or a wrong `Sec-WebSocket-Accept`',
  'socketio-refused':
    'error: `--socketio`: the polling handshake opened no session; `detail`: `forbidden`, ' +
    '`polling-disabled`, `not-socketio`, `status`',
  'vary-origin-missing': 'warning: a specific origin echoed without `Vary: Origin` (a cache risk)',
  'ws-origin-not-checked': 'warning: the WebSocket also accepted an unrelated origin',
  'socketio-upgrade-failed':
    'warning: `--socketio`: the session could not upgrade, or the server offers no upgrade; the ' +
    'client stays on polling',
  'socketio-no-upgrade':
    'warning: `--socketio`: the session could not upgrade, or the server offers no upgrade; the ' +
    'client stays on polling',
  'redirect-not-followed':
    'warning: the actual request was redirected; probe the `Location` too (with `--origin null` after a redirect to ' +
    'another origin)',
  'same-origin': 'warning: the page and the URL share an origin; CORS does not apply',
  'allow-origin-reflected':
    'critical / warning: a random origin nobody lists was granted too (something echoes any origin); ' +
    'critical with credentials',
  'error-status-readable':
    'warning: the 4xx/5xx carries a valid grant: the page can read it, so the failure is that status, not CORS',
  'authorization-wildcard':
    'warning: `Access-Control-Allow-Headers: *` answering a preflight for `Authorization` without credentials; ' +
    'list it by name',
  'local-network-access':
    "warning: a public page calls a loopback or private address: Chrome's Local Network Access asks the user; " +
    'the fix is on the client side',
  'socketio-session-unknown':
    'error: `--socketio`: engine.io answered "Session ID unknown": several processes without sticky sessions',
  'cookies-cross-site':
    'warning: `--credentials`: the page and the URL are different sites, so only `SameSite=None; Secure` cookies go; ' +
    '`detail`: `loopback-names`, `sites`',
} as const satisfies Record<FindingCode, string>;
