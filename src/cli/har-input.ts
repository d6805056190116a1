/**
 * `cors-safety doctor --har`: reads a HAR 1.2 log (Chrome DevTools' "Export HAR", sanitized or
 * not, Firefox's export) and finds each request that failed for CORS and each refused WebSocket.
 * Each response is put through the live probe's own checks (`corsCheck`, `preflightCheck`,
 * `handshakeCheck`). Values of cookies, `Authorization` and bodies are never read into the report.
 */
import { localNetworkAccess } from './address-space.js';
import { corsCheck, preflightCheck, type CorsRequestContext, type ResponseSnapshot } from './cors-check.js';
import type { CredentialsMode } from './fetch-rules.js';
import type { Finding } from './findings.js';
import { hasError } from './findings.js';
import { getCombined, type RawHeaders } from './headers.js';
import { explainBlind } from './har-blind.js';
import { handshakeCheck } from './ws-probe.js';

export { HarFormatError, type HarDiagnosis, type HarResult } from './har-types.js';
import { HarFormatError, type HarDiagnosis, type HarEntry, type HarResult } from './har-types.js';

function headersOf(value: unknown): RawHeaders {
  if (!Array.isArray(value)) return [];
  return value.flatMap((header: unknown): [string, string][] => {
    if (typeof header !== 'object' || header === null) return [];
    const { name, value: text } = header as { name?: unknown; value?: unknown };
    return typeof name === 'string' && typeof text === 'string' ? [[name, text]] : [];
  });
}

const SECRET_HEADERS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);

function unsanitizedFields(entries: readonly HarEntry[]): string[] {
  const found = new Set<string>();
  for (const entry of entries) {
    for (const [name] of [...headersOf(entry.request?.headers), ...headersOf(entry.response?.headers)]) {
      if (SECRET_HEADERS.has(name.toLowerCase())) found.add(`${name.toLowerCase()} header`);
    }
    if (Array.isArray(entry.request?.cookies) && entry.request.cookies.length > 0) found.add('request cookies');
    if (Array.isArray(entry.response?.cookies) && entry.response.cookies.length > 0) found.add('response cookies');
    if (entry.request?.postData !== undefined) found.add('request bodies');
  }
  return [...found].sort();
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** Who made a response: a CDN or proxy that names itself in `Server` or `Via`. */
export function answeredBy(headers: RawHeaders): string | undefined {
  const server = (getCombined(headers, 'server') ?? '').toLowerCase();
  const via = (getCombined(headers, 'via') ?? '').toLowerCase();
  if (/^nginx/.test(server)) return 'nginx';
  if (server === 'cloudflare') return 'Cloudflare';
  if (/cloudfront/.test(server) || /cloudfront/.test(via)) return 'Amazon CloudFront';
  if (/^awselb|^elb/.test(server)) return 'AWS load balancer';
  if (/varnish/.test(via) || getCombined(headers, 'x-varnish') !== null) return 'Varnish';
  if (/^apache/.test(server)) return 'Apache';
  if (server !== '') return undefined;
  return undefined;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Header names a page set (for a preflight, from Access-Control-Request-Headers). */
function requestedHeaders(request: RawHeaders, preflight: boolean): RawHeaders {
  if (!preflight) return request;
  const list = getCombined(request, 'access-control-request-headers') ?? '';
  return list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => [name, 'x'] as const);
}

/**
 * The request was sent with credentials when the HAR shows a `Cookie` header (an unsanitized
 * export) or `Sec-Fetch-Storage-Access`, which Chromium and Firefox send on a cross-site request
 * whose credentials mode is "include" (Storage Access Headers), in sanitized exports too.
 */
function credentialsSent(request: RawHeaders): CredentialsMode {
  return getCombined(request, 'cookie') !== null || getCombined(request, 'sec-fetch-storage-access') !== null
    ? 'include'
    : 'same-origin';
}

function fromCacheNote(cache: string): string {
  return (
    `this answer came from the browser's ${cache} cache, not from the server at that moment: the server may answer ` +
    'otherwise now, and a cached answer naming another origin means the response lacks `Vary: Origin`; run ' +
    '`cors-safety doctor` on the URL, or --replay'
  );
}

/** The error text of a refused WebSocket: Chrome's `_webSocketMessages` error frame, else `_error`. */
function webSocketError(entry: HarEntry, error: string): string {
  if (!Array.isArray(entry._webSocketMessages)) return error;
  for (const message of entry._webSocketMessages as unknown[]) {
    if (typeof message !== 'object' || message === null) continue;
    const { type, data } = message as { type?: unknown; data?: unknown };
    if (type === 'error' && typeof data === 'string' && data !== '') return data;
  }
  return error;
}

/**
 * A WebSocket entry. Firefox records the refused handshake's status and headers; Chrome records
 * status 0 and puts "Error during WebSocket handshake: Unexpected response code: 403" in an error
 * frame of `_webSocketMessages`, so the status is read from there.
 */
function checkWebSocket(
  entry: HarEntry,
  base: HarDiagnosis,
  res: ResponseSnapshot,
  recordedError: string,
): HarDiagnosis | undefined {
  const error = webSocketError(entry, recordedError);
  const code = /response code: (\d{3})/i.exec(error)?.[1];
  const seen = res.status !== 0 ? res.status : code === undefined ? 0 : Number(code);
  if (seen === 101) return undefined;
  if (seen === 0) {
    if (error === '') return undefined;
    return { ...base, cannotTell: `the WebSocket failed ("${error}") with no response recorded` };
  }
  const findings = handshakeCheck({ ...res, status: seen, upgraded: false, key: '' }, base.origin ?? '');
  return { ...base, status: seen, findings };
}

/**
 * An entry with a response: the live probe's own checks. The HAR does not record the credentials
 * mode; see credentialsSent(). When Chrome recorded a failure (`_error`) and the first check found
 * nothing, a failure only a credentialed request has (`*`, no Access-Control-Allow-Credentials) is
 * looked for by checking again with credentials.
 */
function checkAnswered(
  entry: HarEntry,
  base: Omit<HarDiagnosis, 'credentials' | 'findings'>,
  res: ResponseSnapshot,
  preflight: boolean,
  error: string,
): HarDiagnosis | undefined {
  const requestHeaders = headersOf(entry.request?.headers);
  const { origin = '', method } = base;
  const ctx = (credentials: CredentialsMode): CorsRequestContext => ({
    origin,
    credentials,
    method: preflight ? (getCombined(requestHeaders, 'access-control-request-method') ?? 'GET') : method,
    headers: requestedHeaders(requestHeaders, preflight),
  });
  const check = (credentials: CredentialsMode): Finding[] =>
    preflight ? preflightCheck(res, ctx(credentials)) : corsCheck(res, ctx(credentials), 'actual');
  let credentials = credentialsSent(requestHeaders);
  let findings = check(credentials);
  if (!hasError(findings) && error !== '' && credentials === 'same-origin') {
    const withCredentials = check('include');
    if (hasError(withCredentials)) {
      credentials = 'include';
      findings = withCredentials;
    }
  }
  if (!hasError(findings)) return undefined;
  const cache = str(entry._fromCache);
  return {
    ...base,
    credentials,
    findings: findings.filter((f) => f.severity === 'error'),
    ...(cache === '' ? {} : { cannotTell: fromCacheNote(cache) }),
  };
}

/** The response status; 0 when there was none (automation exporters such as Playwright's write -1). */
function statusOf(entry: HarEntry): number {
  const status = entry.response?.status;
  return typeof status === 'number' && status > 0 ? status : 0;
}

/**
 * Applies the checks to one entry: a WebSocket's handshake, a request with no response (told by
 * explainBlind()), or the response's CORS headers.
 */
function checkEntry(entry: HarEntry, index: number, origin: string): HarDiagnosis | undefined {
  const requestHeaders = headersOf(entry.request?.headers);
  const responseHeaders = headersOf(entry.response?.headers);
  const method = str(entry.request?.method) || 'GET';
  const url = str(entry.request?.url);
  const status = statusOf(entry);
  const error = str(entry.response?._error) || str(entry.response?._failureText);
  const type = str(entry._resourceType).toLowerCase();
  const preflight =
    type === 'preflight' ||
    (method === 'OPTIONS' && getCombined(requestHeaders, 'access-control-request-method') !== null);
  const websocket = type === 'websocket' || /^wss?:/.test(url);
  const base = {
    entry: index + 1,
    method,
    url,
    origin,
    status,
    answeredBy: answeredBy(responseHeaders),
    requestHeaderNames: requestHeaders.map(([name]) => name),
    websocket,
  };
  const res: ResponseSnapshot = { status, statusText: str(entry.response?.statusText), headers: responseHeaders };
  if (websocket) return checkWebSocket(entry, { ...base, credentials: 'include', findings: [] }, res, error);
  if (status === 0 || responseHeaders.length === 0) {
    // Answered with a status but no headers: a HAR cut short, nothing to check.
    if (error === '' && status !== 0) return undefined;
    // Firefox writes a request that was never sent (its preflight failed) with status 0 and no
    // error; Chrome with `_error: "net::ERR_FAILED"`. explainBlind() tells what the HAR can say.
    // Local Network Access holds a public page's request to a private address before it is sent.
    const findings = localNetworkAccess(origin, hostOf(url));
    return { ...base, credentials: 'same-origin', findings, cannotTell: '', error };
  }
  return checkAnswered(entry, base, res, preflight, error);
}

/** The origin a request was sent from, when it was cross-origin. */
function crossOrigin(entry: HarEntry): string | undefined {
  // A navigation (a form posted to another site) sends Origin too, but is not CORS.
  if (/^(document|iframe)$/i.test(str(entry._resourceType))) return undefined;
  const headers = headersOf(entry.request?.headers);
  // A request blocked before it was sent has no Origin recorded; its Referer names the page. A
  // request that was answered without Origin was not a CORS request (an <img>, a plain <script>).
  const answered = typeof entry.response?.status === 'number' && entry.response.status > 0;
  const origin = getCombined(headers, 'origin') ?? (answered ? null : refererOrigin(getCombined(headers, 'referer')));
  if (origin === null) return undefined;
  try {
    const target = new URL(str(entry.request?.url));
    const own =
      target.protocol === 'ws:' || target.protocol === 'wss:'
        ? `${target.protocol === 'wss:' ? 'https' : 'http'}://${target.host}`
        : target.origin;
    return own === origin ? undefined : origin;
  } catch {
    return undefined;
  }
}

function refererOrigin(referer: string | null): string | null {
  if (referer === null) return null;
  try {
    const origin = new URL(referer).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Reads a HAR document (parsed JSON) and diagnoses every cross-origin request that failed.
 * Throws `HarFormatError` when the document is not a HAR log.
 *
 * @example
 * ```ts
 * const result = analyzeHar(JSON.parse(readFileSync('app.har', 'utf8')));
 * result.diagnoses[0]?.findings[0]?.code; // 'no-allow-origin'
 * ```
 */
export function analyzeHar(document: unknown): HarResult {
  const log = typeof document === 'object' && document !== null ? (document as { log?: unknown }).log : undefined;
  const entries = typeof log === 'object' && log !== null ? (log as { entries?: unknown }).entries : undefined;
  if (!Array.isArray(entries)) throw new HarFormatError('this is not a HAR file: it has no log.entries list');
  const creator = (log as { creator?: { name?: unknown; version?: unknown } }).creator;
  const harEntries = entries.filter((entry): entry is HarEntry => typeof entry === 'object' && entry !== null);
  const found: HarDiagnosis[] = [];
  harEntries.forEach((entry, index) => {
    const origin = crossOrigin(entry);
    if (origin === undefined) return;
    const diagnosis = checkEntry(entry, index, origin);
    if (diagnosis !== undefined) found.push(diagnosis);
  });
  return {
    creator: `${str(creator?.name)} ${str(creator?.version)}`.trim(),
    entries: harEntries.length,
    diagnoses: found.map((d) => explainBlind(d, found, harEntries)),
    unsanitized: unsanitizedFields(harEntries),
  };
}
