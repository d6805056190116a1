/**
 * The stable codes of the policy core as data, each with its one-line documentation: the
 * `CorsConfigError` issue codes (`docs/config-errors.md`) and the codes of the process warnings
 * it emits once (`docs/config-errors.md`, "Process warnings"). test/docs/codes-documented.test.ts
 * checks both ways: every code raised in src/ is listed here, every listed code is raised and
 * documented. A new code goes here, in its doc, and where it is raised.
 */

/** Every `CorsConfigError` issue code, with the condition it reports (Fetch §3.2.5 for origin syntax). */
export const CONFIG_ISSUE_CODES = {
  'origin-type': "`origin` (or an item of it) is not a string, RegExp, array, function, `true`, `'*'` or `false`",
  'origin-empty-list': 'an empty array, which allows nothing; list origins or write `origin: false`',
  'origin-empty': 'an empty string',
  'origin-too-long': 'longer than 2048 characters',
  'origin-whitespace': 'spaces or control characters in the entry',
  'origin-comma-list': "`'https://a.com,https://b.com'` in one string; write an array",
  'origin-null-entry': "`'null'` as an entry; use `allowNullOrigin: true`",
  'origin-star-in-list': "`'*'` inside a list; write `origin: '*'` alone",
  'origin-no-scheme': '`app.example.com`; write `https://app.example.com`',
  'origin-websocket-scheme': '`wss://...`; list the origin of the page that opens the socket',
  'origin-unsupported-scheme':
    'a scheme no `Origin` header carries (`file`, `data`, `blob`, `ftp`, `about`...): such pages send `null`',
  'origin-invalid-scheme': 'a scheme that is not letters, digits, `+`, `-` and `.` (`my_app://x`)',
  'origin-app-pattern':
    '`*` in an app origin (`capacitor://*`, `chrome-extension://*`): app origins are [exact ' +
    'entries](origin-rules.md#apps-and-extensions)',
  'origin-extension-id':
    'an extension origin whose host is not an extension ID (`chrome-extension://`: 32 letters a-p) or' +
    ' a UUID (`moz-extension://`, `safari-web-extension://`)',
  'origin-userinfo': '`user@` in the entry',
  'origin-fragment': 'a `#...`, `?...` or path after the host',
  'origin-query': 'a `#...`, `?...` or path after the host',
  'origin-path': 'a `#...`, `?...` or path after the host',
  'origin-invalid-host': 'no host, or a host that is not a valid name or address',
  'origin-invalid-port': 'a port outside 1-65535 (or not `*`)',
  'origin-wildcard-position': '`*` anywhere but a whole leading label (`https://*.example.com`) or the port (`:*`)',
  'origin-trailing-dot': 'a host ending in `.`',
  'origin-wildcard-ip': '`*.` in front of an IP address',
  'origin-wildcard-public-suffix': 'a pattern over a public suffix (`https://*.com`, `*.github.io`)',
  'origin-public-suffix-below':
    'a pattern over a domain with a public suffix below it (`https://*.amazonaws.com` covers ' +
    '`s3.amazonaws.com`); the message names the suffix',
  'regexp-unanchored': 'not written `/^...$/`: `/example\\.com/` also matches `example.com.evil.net`',
  'regexp-unanchored-alternation': 'top-level `\\|` (`/^a\\|b$/` anchors only one side of each branch)',
  'regexp-stateful-flag': 'the `g` or `y` flag, which makes `test()` answer differently on each call',
  'regexp-unescaped-dot':
    'an unescaped `.` where a literal dot was meant: `/^https:\\/\\/app.example.com$/` also matches ' +
    '`https://appxexample.com`; the message names the escaped RegExp',
  'regexp-any-origin':
    'the RegExp matches the origin of any site (it allows `https://cors-safety-probe.invalid`, a name' +
    ' no site can have, e.g. `/^.*$/` or `/^https?:\\/\\/.+$/`): with credentials every website could ' +
    "act as your users; list the origins or `https://*.x` patterns you trust, or use `origin: '*'` " +
    "without credentials for a public API. An origin function's RegExp answer of this kind is denied",
  'regexp-unsupported':
    'the RegExp cannot run on the linear-time origin matcher (back-references, lookaround, `\\p{...}` or ' +
    '`\\u{...}` escapes, the `v` flag, or more than 1000 automaton states)',
  'regexp-public-suffix':
    'a subdomain-shaped RegExp that allows a site under a public suffix, where anyone can register a ' +
    'name (`/^https:\\/\\/[a-z0-9-]+\\.github\\.io$/`)',
  'regexp-backtracking':
    'the RegExp can backtrack catastrophically (a repeated part inside another repeated part, a ' +
    'repeated group of alternatives, more than 25 quantifiers, or syntax the check cannot read such ' +
    'as lookbehind), so one crafted origin can block the event loop; the message offers the pattern ' +
    'to use instead (`https://*.example.com`) when there is one',
  'allowed-hosts-type': '`allowedHosts` is not a string or an array of strings',
  'allowed-hosts-empty': 'an empty list',
  'allowed-host-type': 'an item is not a string',
  'allowed-host-invalid': 'not a host name (`example.com`, `.example.com`, `host:8443`, `host:*`)',
  'allowed-host-whitespace': 'spaces or control characters',
  'allowed-host-any': '`*` or `.`, which would allow every site',
  'allowed-host-has-scheme': 'a URL instead of a host name',
  'allowed-host-trailing-dot': 'a host ending in `.`',
  'allowed-host-wildcard-ip': 'a subdomain wildcard on an IP address',
  'allowed-host-public-suffix': 'a public suffix (`.com`, `.github.io`)',
  'allowed-host-public-suffix-below':
    'a `.host` or `*.host` entry with a public suffix below it (`.amazonaws.com`); the message names the suffix',
  'allowed-host-invalid-port': 'a port outside 1-65535 (or not `*`)',
  'allowed-hosts-with-any-origin': "`allowedHosts` with `origin: '*'` or `true`, where it has no effect",
  'credentials-with-any-origin':
    "`credentials: true` with `origin: '*'` or `true`: every website could act as your logged-in " + 'users',
  'dangerous-option-unused':
    "`dangerouslyAllowAnyOriginWithCredentials` without both `origin: '*'`/`true` and `credentials: " + 'true`',
  'null-origin-with-credentials': '`allowNullOrigin` with `credentials`',
  'expose-star-with-credentials': "`exposedHeaders: '*'` with credentials, where `*` is not a wildcard (Fetch §3.2.3)",
  'not-boolean': 'a boolean option (`credentials`, `preflightContinue`, `requireOrigin`, ...) is not `true`/`false`',
  'out-of-range':
    '`maxAge`, `optionsSuccessStatus`, `originCheckTimeout` or `writeTimeout` is not an integer in its range',
  'list-type': '`methods`, `allowedHeaders` or `exposedHeaders` is not a comma-separated string or an array',
  'list-item-type': 'an item of such a list is not a string',
  'not-a-token': 'a method or header name is not an HTTP token (RFC 9110 §5.6.2)',
  'star-not-supported': "`'*'` in `methods`, or `'*'` mixed with names in a header list",
  'methods-empty': '`methods` is empty',
  'method-not-accepted-by-node':
    "a method outside `http.METHODS` as written (`patch`, `Purge`, `BREW`): Node's HTTP parser " +
    'answers it with 400 before any middleware runs, so it can never be granted; the message names ' +
    'the upper-case method to write here and send from the page',
  'method-forbidden': '`CONNECT`, `TRACE` or `TRACK`: a forbidden method (Fetch §2.2.1) that browsers never send',
  'header-forbidden':
    'a forbidden request-header name in `allowedHeaders` (`Cookie`, `Host`, `Connection`, ' +
    '`Content-Length`, `Origin`, `Sec-*`, `Proxy-*`, ... Fetch §2.2.2): scripts cannot set it, so a ' +
    'preflight never asks for it',
  'expose-forbidden':
    '`Set-Cookie` or `Set-Cookie2` in `exposedHeaders`: browsers never let a script read them (Fetch §2.2.6)',
  'headers-alias-conflict': 'both `headers` (the `cors` name) and `allowedHeaders`, with different lists',
  'env-type': 'the `env` option is not an object',
  'env-not-boolean': '`CORS_CREDENTIALS` is not `true` or `false`',
  'env-credentials-without-origins': '`CORS_CREDENTIALS` without `CORS_ALLOWED_ORIGINS` or `CORS_ALLOWED_HOSTS`',
  'unknown-option':
    'an option no factory knows, with the closest real name, or the list of options when none is ' +
    "close; also a policy option in the wrong factory's options",
  'options-type': 'the options argument is not a plain object',
  'factory-not-called':
    '`app.use(corsSafety)` without calling it: detected on the first request, which fails with this error',
  'handler-not-function':
    '`withCorsSafety(policy, handler)` ([cors-safety/fetch](fetch.md)) given a handler that is not a function',
  'guard-not-called': "`server.on('upgrade', upgradeGuard)` without calling it",
  'on-allowed-type': "`upgradeGuard()`'s second argument is not a function `(req, socket, head) => void`",
  'guard-option-in-policy':
    'a guard option (`paths`, `trustProxy`, ...) in the first argument of `upgradeGuard()` / ' +
    '`createVerifyClient()` / `createAllowRequest()`; pass it in the options argument',
  'policy-option-in-guard-options':
    "a policy option (`origin`, ...) given in the guard's options; pass it in the first argument",
  'paths-type': '`paths` is not an array',
  'paths-empty': '`paths` is empty, which accepts no upgrade',
  'path-type': 'an item of `paths` is not a string',
  'path-not-absolute': 'a path does not start with `/`',
  'path-too-long': 'a path is too long',
  'path-whitespace': 'spaces or control characters in a path (percent-encode them)',
  'path-has-query': 'a path with `?` or `#`, which matching ignores',
  'unmatched-path-type': "`unmatchedPath` is not `'not-found'`, `'destroy'` or a listener",
  'unmatched-path-without-paths': '`unmatchedPath` without `paths`',
  'not-function': '`onReject` is not a function',
  'trust-proxy-invalid':
    '`trustProxy` is not `true`, `false`, a hop count, addresses or subnets (or `loopback`, ' +
    '`linklocal`, `uniquelocal`), or a function',
  'format-invalid': "`format` is not `'json'` or `'problem+json'`",
  'log-not-function': '`log` is not a function or `false`',
  'nginx-origin-function': 'an origin function: only the app can run it; list the origins and patterns instead',
  'nginx-regexp':
    'a RegExp that PCRE would read differently from JavaScript (flags `u`, `v`, `m`; `\\s`; ' +
    'back-references; lookbehinds; empty classes; non-ASCII)',
  'nginx-dollar-value':
    'a header name, method or origin holding `$`, which nginx reads as a variable in any value it writes',
  'nginx-any-origin-with-credentials':
    '`dangerouslyAllowAnyOriginWithCredentials`: not written into nginx; list the origins you trust',
  'on-decision-type': '`onDecision` is not a function `(event) => void`',
  'report-only-type': '`reportOnly` is not policy options or a policy from `createCorsPolicy()`',
  'report-only-no-rules':
    'the `reportOnly` candidate has neither `origin` nor `allowedHosts` (a candidate never reads its rules ' +
    'from the environment)',
  'report-only-nested':
    '`reportOnly` or `onDecision` inside the candidate, or a candidate policy that has a candidate of its own',
  'env-not-integer':
    'a number variable (`CORS_MAX_AGE`, `CORS_OPTIONS_SUCCESS_STATUS`, `CORS_ORIGIN_CHECK_TIMEOUT`) is not a whole number',
  'origin-regexp-text':
    'a RegExp written as a string (often pasted into `CORS_ALLOWED_ORIGINS`): the message names the `*.` pattern ' +
    'that says the same when there is one',
  'nginx-origin-lookup': '`originLookup`: only the app can ask it; list the origins and patterns instead',
  'origin-lookup-type': '`originLookup` is not an object, or its `lookup` is not a function',
  'origin-lookup-value':
    '`ttl`, `negativeTtl`, `maxEntries`, `timeout` or `staleIfError` is not an integer in its range',
  'update-type': '`update()` was not given `{ add: [...], remove: [...] }` with arrays of origins',
  'origin-configured':
    '`update({ remove })` names an origin the options configure, which would stay allowed; use `reconfigure()`',
  'redis-policy-type': '`syncWithRedis()` was given a policy not made by `createLivePolicy()`',
  'redis-connection': '`syncWithRedis()` needs exactly one of `url` and `client`',
  'redis-url-type': '`url` is not a string',
  'redis-key-type': '`key` is not the non-empty name of a Redis set',
  'redis-reload-interval': '`reloadInterval` is not an integer from 100 to 3600000 ms',
} as const;

/** Every process warning code (`process.emitWarning`, each emitted once per process), with what it means. */
export const WARNING_CODES = {
  CORS_SAFETY_DUPLICATE_CORS:
    'something else (another CORS layer: `@fastify/cors`, `@koa/cors`, `hono/cors`, `app.enableCors()`) set ' +
    '`Access-Control-Allow-Origin` on a response cors-safety guards; it was removed: remove the other layer',
  CORS_SAFETY_FACTORY_NOT_CALLED:
    '`app.use(corsSafety)` without calling it: the request fails with a `factory-not-called` ' +
    '`CorsConfigError`; write `app.use(corsSafety())`',
  CORS_SAFETY_INSECURE_ORIGIN:
    'credentials are on and an entry allows plain http on another machine; serve it over https ' +
    '(loopback stays quiet)',
  CORS_SAFETY_MOUNT_ORDER:
    'middleware is mounted before `corsSafety()`, so the responses it ends carry no CORS headers; ' +
    'mount `corsSafety()` first',
  CORS_SAFETY_NOT_CONFIGURED:
    'no CORS configuration with `NODE_ENV=production`, so cross-origin access is off; set ' +
    '`CORS_ALLOWED_ORIGINS` or pass `origin`',
  CORS_SAFETY_SOCKETIO_CORS:
    "socket.io's own `cors` option is set beside `createAllowRequest()`; let one layer answer CORS",
  CORS_SAFETY_SOCKETIO_WEBTRANSPORT:
    "engine.io's transports include `webtransport`, whose sessions never reach `allowRequest`; they are " +
    'refused only while `io.engine.use()` has a middleware mounted',
  CORS_SAFETY_UNSAFE_CALLBACK_REGEXP: 'an origin callback answered with an unsafe RegExp, so its origins are denied',
  CORS_SAFETY_UPGRADE_ANY_ORIGIN:
    'an upgrade adapter uses a policy that allows any origin, so any website can open a socket with ' +
    "the user's cookies",
  CORS_SAFETY_UPGRADE_BYPASS:
    'a WebSocket server handles upgrades the guard never saw (another `upgrade` listener or `server` option)',
  CORS_SAFETY_UPGRADE_NULL_ORIGIN:
    'an upgrade adapter has `dangerouslyAllowNullOrigin: true`: every sandboxed iframe and `file:` ' +
    'page sends `Origin: null`',
  CORS_SAFETY_DECISION_SUBSCRIBER_THREW:
    'a subscriber of the `cors-safety:decision` channel threw; the request went on ([production](production.md))',
  CORS_SAFETY_ON_DECISION_THREW: 'the `onDecision` listener threw or its promise rejected; the request went on',
  CORS_SAFETY_SHADOWED_POLICY:
    'a route-level `corsSafety()` never applies because an app-wide one mounted before it decides the request; ' +
    'mount the specific one first ([one policy per request](http.md))',
  CORS_SAFETY_UNKNOWN_ENV:
    'a `CORS_*` variable that cors-safety does not read, with the likely one ([options](options.md))',
  CORS_SAFETY_ENV_IGNORED:
    '`origin` or `allowedHosts` is given in code, so `CORS_*` variables that are set are not read',
} as const;
