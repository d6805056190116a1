/**
 * The browser's checks on responses, applied to raw header lists so duplicates stay visible:
 * Fetch §4.9 "CORS check", §4.8 "CORS-preflight fetch" (status, methods, headers) and the
 * cache-safety warning for a missing `Vary: Origin`. Pure functions, no I/O.
 */
import { corsUnsafeRequestHeaderNames } from './fetch-rules.js';
import { isCorsNonWildcardRequestHeaderName } from '../shared/header-names.js';
import { isCorsSafelistedMethod } from '../shared/methods.js';
import type { Finding, StepName } from './findings.js';
import { hasError } from './findings.js';
import { extractTokenList, getAll, getCombined, listElementsLower } from './headers.js';
import { noAllowOrigin } from './no-allow-origin.js';
import { diagnoseOriginMismatch } from './origin-mismatch.js';

export type { CorsRequestContext, ResponseSnapshot } from './exchange.js';
import type { CorsRequestContext, ResponseSnapshot } from './exchange.js';

/**
 * Fetch §4.9 "CORS check": exactly one `Access-Control-Allow-Origin` that is `*` (without
 * credentials) or the request's origin byte for byte, and with credentials
 * `Access-Control-Allow-Credentials: true` exactly.
 *
 * @example
 * ```ts
 * corsCheck({ status: 200, statusText: 'OK', headers: [['Access-Control-Allow-Origin', '*']] },
 *   { origin: 'https://app.example.com', credentials: 'include', method: 'GET', headers: [] }, 'actual');
 * // [{ code: 'wildcard-with-credentials', severity: 'error', ... }]
 * ```
 */
export function corsCheck(response: ResponseSnapshot, ctx: CorsRequestContext, step: StepName): Finding[] {
  const lines = getAll(response.headers, 'access-control-allow-origin');
  if (lines.length === 0) return [noAllowOrigin(response, ctx, step)];
  if (lines.length > 1) return [duplicatedAllowOrigin(lines, step)];
  return allowOriginValueFindings(lines[0] ?? '', ctx, step) ?? credentialsFindings(response, ctx, step);
}

/** More than one `Access-Control-Allow-Origin` line: the browser joins them into one value that never matches. */
function duplicatedAllowOrigin(lines: readonly string[], step: StepName): Finding {
  const identical = lines.every((line) => line === lines[0]);
  return {
    code: 'allow-origin-duplicated',
    severity: 'error',
    step,
    detail: identical ? 'identical' : 'different',
    cause:
      `The response carries ${lines.length} Access-Control-Allow-Origin headers (${lines.map((l) => JSON.stringify(l)).join(', ')}). ` +
      `The browser reads them as one value, "${lines.join(', ')}", which never matches an origin. ` +
      'Two layers add the header, typically a reverse proxy or gateway (nginx add_header, a CDN rule) and the application.',
    fix: "Let exactly one layer handle CORS: remove the proxy's CORS headers, or the application's CORS middleware.",
  };
}

/**
 * The one `Access-Control-Allow-Origin` value against the request: the findings when it is a list,
 * `*` (none without credentials) or another origin; `undefined` when it is the request's origin.
 */
function allowOriginValueFindings(value: string, ctx: CorsRequestContext, step: StepName): Finding[] | undefined {
  if (value.includes(',')) {
    return [
      {
        code: 'allow-origin-list',
        severity: 'error',
        step,
        cause: `Access-Control-Allow-Origin holds a list ("${value}"); the header allows exactly one origin.`,
        fix: "Keep the list on the server: compare the request's Origin with it and echo only that origin, with Vary: Origin.",
      },
    ];
  }
  if (value === '*') {
    if (ctx.credentials !== 'include') return [];
    return [
      {
        code: 'wildcard-with-credentials',
        severity: 'error',
        step,
        cause:
          'Access-Control-Allow-Origin is `*`, but the request includes credentials; browsers never accept `*` for credentialed requests (Fetch §4.9).',
        fix:
          `Echo the request's origin (${ctx.origin}) instead of \`*\`, with Vary: Origin and Access-Control-Allow-Credentials: true; ` +
          'with cors-safety list the allowed origins and set credentials: true.',
      },
    ];
  }
  if (value !== ctx.origin) {
    const diagnosis = diagnoseOriginMismatch(ctx.origin, value);
    return [
      {
        code: 'allow-origin-mismatch',
        severity: 'error',
        step,
        detail: diagnosis.detail,
        cause: `Access-Control-Allow-Origin is "${value}" but the page's origin is "${ctx.origin}": ${diagnosis.explanation}`,
        fix:
          diagnosis.detail === 'host'
            ? `Allow ${ctx.origin} on the server and echo the request's Origin rather than a fixed value; send Vary: Origin so caches keep one response per origin.`
            : `Allow exactly "${ctx.origin}" on the server (the origin the page is opened from) and echo it unchanged.`,
      },
    ];
  }
  return undefined;
}

/** With credentials, `Access-Control-Allow-Credentials` must be exactly one `true` (Fetch §4.9). */
function credentialsFindings(response: ResponseSnapshot, ctx: CorsRequestContext, step: StepName): Finding[] {
  if (ctx.credentials !== 'include') return [];
  const credentials = getCombined(response.headers, 'access-control-allow-credentials');
  if (credentials === 'true') return [];
  let detail: string;
  let what: string;
  if (credentials === null) {
    detail = 'missing';
    what = 'there is no Access-Control-Allow-Credentials header';
  } else if (getAll(response.headers, 'access-control-allow-credentials').length > 1) {
    detail = 'duplicated';
    what = `Access-Control-Allow-Credentials is sent more than once ("${credentials}")`;
  } else {
    detail = 'not-true';
    what = `Access-Control-Allow-Credentials is "${credentials}", and only the exact lower-case value \`true\` counts`;
  }
  return [
    {
      code: 'credentials-not-allowed',
      severity: 'error',
      step,
      detail,
      cause: `The request includes credentials but ${what} (Fetch §4.9).`,
      fix: 'Send Access-Control-Allow-Credentials: true (once) on this response; with cors-safety set credentials: true.',
    },
  ];
}

function preflightStatus(response: ResponseSnapshot): Finding {
  const { status } = response;
  const hasCors = getAll(response.headers, 'access-control-allow-origin').length > 0;
  const base = `The preflight (OPTIONS) got ${status}${hasCors ? '' : ' without CORS headers'}; a preflight must answer with a 2xx status (Fetch §4.8), so the browser never sends the actual request.`;
  if (status === 401 || status === 403 || status === 407) {
    return {
      code: 'preflight-status',
      severity: 'error',
      step: 'preflight',
      detail: 'auth',
      cause: `${base} Preflights never carry cookies or Authorization, so authentication that runs before CORS rejects them.`,
      fix: 'Answer OPTIONS before authentication: mount the CORS middleware (corsSafety()) before auth, or let OPTIONS skip auth.',
    };
  }
  if (status === 404 || status === 405 || status === 501) {
    return {
      code: 'preflight-status',
      severity: 'error',
      step: 'preflight',
      detail: 'no-handler',
      cause: `${base} Nothing answers OPTIONS for this URL.`,
      fix: 'Mount the CORS middleware for this path, before the routers, so it answers OPTIONS with 204.',
    };
  }
  if (status >= 500) {
    return {
      code: 'preflight-status',
      severity: 'error',
      step: 'preflight',
      detail: 'server-error',
      cause: `${base} The server failed while answering the preflight.`,
      fix: 'Check the server and proxy logs for the OPTIONS request; answer OPTIONS in the CORS middleware before other work.',
    };
  }
  return {
    code: 'preflight-status',
    severity: 'error',
    step: 'preflight',
    detail: 'other',
    cause: base,
    fix: 'Answer OPTIONS with 204 and the CORS headers.',
  };
}

/** The `Location` of a redirect, as sent (or a placeholder). */
function location(response: ResponseSnapshot): string {
  return getCombined(response.headers, 'location') ?? '(no Location header)';
}

function listOrNone(items: readonly string[] | null): string {
  return items === null || items.length === 0 ? 'none' : items.join(', ');
}

/**
 * Fetch §4.8 "CORS-preflight fetch": an ok (2xx) status, the CORS check, then the
 * method and every CORS-unsafe header name must be allowed. `*` counts only without credentials,
 * and never for `Authorization`. Redirects are not followed for a preflight.
 *
 * @example
 * ```ts
 * preflightCheck({ status: 301, statusText: 'Moved', headers: [['Location', '/api/']] }, ctx);
 * // [{ code: 'preflight-redirect', ... }]
 * ```
 */
export function preflightCheck(response: ResponseSnapshot, ctx: CorsRequestContext): Finding[] {
  const { status } = response;
  if (status >= 300 && status < 400) return [preflightRedirect(response)];
  if (status < 200 || status > 299) return [preflightStatus(response)];

  const cors = corsCheck(response, ctx, 'preflight');
  if (hasError(cors)) return cors;

  const methods = extractTokenList(response.headers, 'access-control-allow-methods');
  const headerNames = extractTokenList(response.headers, 'access-control-allow-headers');
  if (methods === 'failure' || headerNames === 'failure') return invalidListFindings(response, methods, headerNames);
  return [...methodFindings(methods, ctx), ...headerFindings(headerNames, ctx)];
}

/** Fetch §4.8: a preflight is never redirected. */
function preflightRedirect(response: ResponseSnapshot): Finding {
  const { status } = response;
  return {
    code: 'preflight-redirect',
    severity: 'error',
    step: 'preflight',
    cause:
      `The preflight (OPTIONS) was redirected (${status} to ${location(response)}); browsers never follow a redirect for a preflight (Fetch §4.8 requires a 2xx). ` +
      'Common causes: http to https, a trailing-slash redirect, a login redirect.',
    fix: 'Call the final URL from the page, or make the server answer OPTIONS for this URL with 204 instead of redirecting.',
  };
}

type TokenList = string[] | null | 'failure';

/** Fetch §4.8 "extract header list values" failed for the methods or the headers list: the preflight fails. */
function invalidListFindings(response: ResponseSnapshot, methods: TokenList, headerNames: TokenList): Finding[] {
  const findings: Finding[] = [];
  for (const [name, list] of [
    ['Access-Control-Allow-Methods', methods],
    ['Access-Control-Allow-Headers', headerNames],
  ] as const) {
    if (list === 'failure') {
      findings.push({
        code: 'preflight-header-invalid',
        severity: 'error',
        step: 'preflight',
        cause: `${name} is not a comma-separated list of tokens ("${getCombined(response.headers, name) ?? ''}"), so the browser rejects the preflight (Fetch §4.8).`,
        fix: `Send ${name} as a plain list, e.g. "GET, POST, PUT".`,
      });
    }
  }
  return findings;
}

/** Fetch §4.8: the request's method is CORS-safelisted, listed, or covered by `*` without credentials. */
function methodFindings(methods: string[] | null, ctx: CorsRequestContext): Finding[] {
  const include = ctx.credentials === 'include';
  const methodList = methods ?? [];
  if (methodList.includes(ctx.method) || isCorsSafelistedMethod(ctx.method) || (!include && methodList.includes('*')))
    return [];
  let why = '';
  if (methodList.includes('*')) why = ' `*` counts only for requests without credentials (Fetch §4.8).';
  else if (methodList.some((m) => m.toLowerCase() === ctx.method.toLowerCase())) {
    why = ` Methods are compared case-sensitively: the page sends "${ctx.method}" (fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST, PUT).`;
  }
  return [
    {
      code: 'method-not-allowed',
      severity: 'error',
      step: 'preflight',
      detail: methods === null ? 'missing-header' : 'not-listed',
      cause: `The preflight allows methods: ${listOrNone(methods)}; the request uses ${ctx.method}.${why}`,
      fix: `Add ${ctx.method} to the server's allowed methods (Access-Control-Allow-Methods).`,
    },
  ];
}

/**
 * Fetch §4.8: every CORS-unsafe request-header name is listed, or covered by `*` without
 * credentials (`*` and Authorization: what browsers do today, with a warning).
 */
function headerFindings(headerNames: string[] | null, ctx: CorsRequestContext): Finding[] {
  const findings: Finding[] = [];
  const include = ctx.credentials === 'include';
  const allowed = new Set((headerNames ?? []).map((name) => name.toLowerCase()));
  const wildcard = allowed.has('*') && !include;
  const missing: string[] = [];
  for (const name of corsUnsafeRequestHeaderNames(ctx.headers)) {
    if (allowed.has(name)) continue;
    // Fetch §4.8 says `*` never covers Authorization, but Chromium, Firefox and WebKit still let it
    // through without credentials (Chromium with a DevTools deprecation issue): predict what they do.
    if (wildcard && isCorsNonWildcardRequestHeaderName(name)) findings.push(authorizationWildcard(name));
    else if (!wildcard) missing.push(name);
  }
  if (missing.length > 0) {
    let why = '';
    if (allowed.has('*') && include) why = ' `*` counts only for requests without credentials (Fetch §4.8).';
    findings.push({
      code: 'header-not-allowed',
      severity: 'error',
      step: 'preflight',
      detail: headerNames === null ? 'missing-header' : 'not-listed',
      cause: `The preflight allows request headers: ${listOrNone(headerNames)}; the request also sends ${missing.join(', ')}.${why}`,
      fix: `Add ${missing.join(', ')} to the server's allowed request headers (Access-Control-Allow-Headers).`,
    });
  }
  return findings;
}

function authorizationWildcard(name: string): Finding {
  return {
    code: 'authorization-wildcard',
    severity: 'warning',
    step: 'preflight',
    cause:
      `The preflight answers Access-Control-Allow-Headers: * and the request sends ${name}. Chromium, Firefox and WebKit ` +
      'let it through today (without credentials), but the Fetch standard (§4.8, "CORS non-wildcard request-header ' +
      'name") says `*` does not cover Authorization, and Chromium reports it as a deprecation in DevTools\' Issues panel: ' +
      'a browser that follows the standard will block this request.',
    fix: `List ${name} by name in Access-Control-Allow-Headers (with cors-safety: allowedHeaders: ['${name}', ...]).`,
  };
}

/**
 * A response that echoes a specific origin differs per origin; without `Vary: Origin` a shared
 * cache can serve it to another origin (Fetch, "CORS protocol and HTTP caches").
 */
export function varyCheck(response: ResponseSnapshot, step: StepName): Finding[] {
  const lines = getAll(response.headers, 'access-control-allow-origin');
  if (lines.length !== 1 || lines[0] === '*') return [];
  const vary = listElementsLower(response.headers, 'vary');
  if (vary.includes('origin') || vary.includes('*')) return [];
  return [
    {
      code: 'vary-origin-missing',
      severity: 'warning',
      step,
      cause: `The response echoes the origin "${lines[0] ?? ''}" but has no Vary: Origin, so a CDN, proxy or browser cache can serve it to a page on another origin, which then fails CORS.`,
      fix: 'Append Origin to Vary on every response whose CORS headers depend on the Origin (cors-safety does this).',
    },
  ];
}

/**
 * Checks the actual request's response: the CORS check (also for redirects, Fetch §4.3) and
 * the `Vary` warning. A redirect is reported, not followed; given the request's `url`, the fix
 * names the absolute `Location` to probe next, with the `Origin` the browser would send there.
 */
export function actualCheck(response: ResponseSnapshot, ctx: CorsRequestContext, url?: URL): Finding[] {
  const findings = [...corsCheck(response, ctx, 'actual'), ...varyCheck(response, 'actual')];
  const { status } = response;
  if (status >= 300 && status < 400 && status !== 304) findings.push(redirectNotFollowed(response, url));
  return findings;
}

/**
 * Fetch §4.4 "HTTP-redirect fetch": after a redirect to another origin than the one that
 * answered, a cross-origin request's origin is tainted and the browser sends `Origin: null`.
 */
function redirectNotFollowed(response: ResponseSnapshot, url: URL | undefined): Finding {
  const written = location(response);
  let next: URL | undefined;
  try {
    next = url === undefined ? undefined : new URL(written, url);
  } catch {
    next = undefined;
  }
  const target = next === undefined ? written : JSON.stringify(next.href);
  const otherOrigin = next !== undefined && url !== undefined && next.origin !== url.origin;
  return {
    code: 'redirect-not-followed',
    severity: 'warning',
    step: 'actual',
    cause:
      `The response is a ${response.status} redirect to ${written}. The browser would follow it; the doctor does not, so this verdict covers only this hop. ` +
      'After a redirect to another origin the browser sends Origin: null.',
    fix: otherOrigin
      ? `Run the doctor again against ${target} with --origin null (the Origin the browser sends after this redirect), ` +
        'or call that URL from the page directly (then with the page origin).'
      : `Run the doctor again against ${target}, or call that URL from the page directly.`,
  };
}
