/**
 * Why a response has no `Access-Control-Allow-Origin`, and who made it: the server's own
 * `Cors-Safety-Reason`, an error that nginx made (one the generated files cover, or one they do
 * not), an error path without CORS headers, a redirect, a framework's OPTIONS answer, or no grant.
 */
import type { CorsRequestContext, ResponseSnapshot } from './exchange.js';
import type { Finding, StepName } from './findings.js';
import { getAll, getCombined } from './headers.js';

const ERROR_PATH_FIX =
  'Send CORS headers on every response, errors included: with cors-safety mount corsSafety() first and corsErrorHandler() last; ' +
  'with the cors package mount cors() before authentication and any other middleware that can answer early.';

function label(step: StepName): string {
  return step === 'preflight' ? 'preflight (OPTIONS)' : step;
}

const PROXY_ERROR_FIX =
  'The error came from nginx, in front of the app, so the app never answered. Let nginx answer its own errors with ' +
  'the same policy: run `cors-safety nginx --config <your config> --out /etc/nginx/cors-safety` and include the two ' +
  'generated files (docs/nginx.md). ' +
  'Do not add `add_header Access-Control-Allow-Origin $http_origin`: it grants every website.';

/**
 * True when an error response was made by nginx itself rather than by the app: nginx names
 * itself in `Server` (`nginx`, `nginx/1.22.1`) and signs its default error page.
 */
export function looksLikeNginxError(response: ResponseSnapshot): boolean {
  const server = getCombined(response.headers, 'server');
  if (server !== null && /^nginx(\/[\d.]+)?(\s|$)/i.test(server.trim())) return true;
  return response.body !== undefined && /<hr><center>nginx(\/[\d.]+)?<\/center>/i.test(response.body);
}

/** The statuses `cors-safety nginx` writes error pages for (src/proxy). */
export const NGINX_COVERED_STATUSES: ReadonlySet<number> = new Set([413, 429, 500, 502, 503, 504]);

/** Why nginx itself answers a status the generated files do not cover, and what to change. */
function nginxUncovered(status: number): { why: string; fix: string } {
  if (status === 400 || status === 414 || status === 494) {
    return {
      why:
        status === 414
          ? 'the request line (URL) is longer than large_client_header_buffers allows'
          : 'a request header or the Cookie header is larger than large_client_header_buffers allows ("Request Header Or Cookie Too Large"), or the request is malformed',
      fix:
        'Send smaller requests (fewer or smaller cookies, a shorter URL), or raise large_client_header_buffers in nginx ' +
        '(e.g. large_client_header_buffers 4 32k;).',
    };
  }
  if (status === 404 || status === 403 || status === 405) {
    return {
      why: 'no location of this server proxies this path to the app, so nginx answered from its own document root',
      fix: 'Proxy this path to the app (a location with proxy_pass), or call the URL the app serves.',
    };
  }
  return {
    why: 'nginx refused the request before proxying it',
    fix: "Check nginx's error.log for this request and change the limit or rule that refused it.",
  };
}

/** A reason code from the response's own `Cors-Safety-Reason` header, when it is one. */
export function corsSafetyReason(response: ResponseSnapshot): string | undefined {
  const value = getCombined(response.headers, 'cors-safety-reason');
  // Only a well-formed code is repeated: the header is the server's text.
  return value !== null && /^[a-z]+(-[a-z]+)*$/.test(value) && value.length <= 40 ? value : undefined;
}

function policyDenied(reason: string, status: number, ctx: CorsRequestContext, step: StepName): Finding {
  const originReason = reason.startsWith('origin-') || reason === 'cors-disabled';
  return {
    code: 'no-allow-origin',
    severity: 'error',
    step,
    detail: 'policy-denied',
    cause:
      `The ${label(step)} response (${status}) says Cors-Safety-Reason: ${reason}: the server's cors-safety policy ` +
      `refused this request, so it sent no Access-Control-Allow-Origin` +
      (status >= 400 ? `; the ${status} itself is not the cause.` : '.'),
    fix: originReason
      ? `Allow ${ctx.origin} in the server's policy; \`cors-safety explain --origin ${ctx.origin}\` on the server says ` +
        'which option or variable to change.'
      : `See the reason ${reason} in docs/reasons.md; \`cors-safety explain --origin ${ctx.origin}\` shows the policy.`,
  };
}

/** The finding for a response without Access-Control-Allow-Origin (Fetch §4.9, first check). */
export function noAllowOrigin(response: ResponseSnapshot, ctx: CorsRequestContext, step: StepName): Finding {
  const { status } = response;
  const reason = corsSafetyReason(response);
  if (reason !== undefined) return policyDenied(reason, status, ctx, step);
  if (status >= 400 && looksLikeNginxError(response) && !NGINX_COVERED_STATUSES.has(status)) {
    const { why, fix } = nginxUncovered(status);
    return {
      code: 'no-allow-origin',
      severity: 'error',
      step,
      detail: 'proxy-own-error',
      cause:
        `The ${label(step)} response is a ${status} made by nginx itself: ${why}. It has no Access-Control-Allow-Origin, ` +
        `so the page sees a network error. The files \`cors-safety nginx\` generates cover only 413, 429, 500, 502, 503 and 504.`,
      fix: `${fix} Do not add \`add_header Access-Control-Allow-Origin $http_origin\`: it grants every website.`,
    };
  }
  if (status >= 400 && looksLikeNginxError(response)) {
    return {
      code: 'no-allow-origin',
      severity: 'error',
      step,
      detail: 'proxy-error',
      cause:
        `The ${label(step)} response is a ${status} made by the nginx proxy in front of the app ` +
        '(app down or restarting, body over client_max_body_size, upstream timeout), without ' +
        `Access-Control-Allow-Origin, so the page sees a network error instead of the ${status}.`,
      fix: PROXY_ERROR_FIX,
    };
  }
  if (status >= 400) {
    return {
      code: 'no-allow-origin',
      severity: 'error',
      step,
      detail: 'error-status',
      cause:
        `The ${label(step)} response is a ${status} without Access-Control-Allow-Origin, so the page sees a network error instead of the ${status}. ` +
        'The server sends CORS headers only on success; error responses must carry them too.',
      fix: ERROR_PATH_FIX,
    };
  }
  if (status >= 300 && status < 400) {
    return {
      code: 'no-allow-origin',
      severity: 'error',
      step,
      detail: 'redirect',
      cause: `The ${status} redirect has no Access-Control-Allow-Origin; in CORS mode the browser checks every redirect response too (Fetch §4.3).`,
      fix: 'Add CORS headers to the redirect response, or call the final URL from the page directly.',
    };
  }
  if (step === 'preflight' && getAll(response.headers, 'allow').length > 0) {
    return {
      code: 'no-allow-origin',
      severity: 'error',
      step,
      detail: 'framework-options',
      cause:
        `The preflight got ${status} with an Allow header but no CORS headers: the framework answered OPTIONS itself, ` +
        'so no CORS middleware handles this path.',
      fix: 'Mount the CORS middleware before the routers (app.use(corsSafety(...)) first) so it answers OPTIONS.',
    };
  }
  return {
    code: 'no-allow-origin',
    severity: 'error',
    step,
    detail: 'not-granted',
    cause:
      `The ${label(step)} response (${status}) has no Access-Control-Allow-Origin: the server did not grant ${ctx.origin} ` +
      '(it is not on the allow-list, or CORS is not enabled for this path).',
    fix: `Add ${ctx.origin} to the server's allowed origins; check the policy with \`cors-safety explain --origin ${ctx.origin}\`.`,
  };
}
