/**
 * `cors-safety doctor --har`: reads a HAR 1.2 log (Chrome DevTools' "Export HAR", sanitized or
 * not, Firefox's export) and finds each request that failed for CORS and each refused WebSocket.
 * Each response is put through the live probe's own checks (`corsCheck`, `preflightCheck`,
 * `handshakeCheck`). Values of cookies, `Authorization` and bodies are never read into the report.
 */
import { corsCheck, preflightCheck, type CorsRequestContext, type ResponseSnapshot } from './cors-check.js';
import type { CredentialsMode } from './fetch-rules.js';
import type { Finding } from './findings.js';
import { hasError } from './findings.js';
import { getCombined, type RawHeaders } from './headers.js';
import { handshakeCheck } from './ws-probe.js';

/** One failed request of the HAR, with what the doctor makes of it. */
export interface HarDiagnosis {
  /** 1-based position in `log.entries`. */
  readonly entry: number;
  readonly method: string;
  readonly url: string;
  readonly origin: string | undefined;
  readonly status: number;
  /** Who made the response, from `Server`/`Via` (`nginx`, `cloudflare`...), when it says. */
  readonly answeredBy?: string | undefined;
  readonly findings: readonly Finding[];
  /** Why the HAR cannot say more, when it cannot. */
  readonly cannotTell?: string | undefined;
  /** The request headers the page set (names only), for --replay. */
  readonly requestHeaderNames: readonly string[];
  readonly credentials: CredentialsMode;
  readonly websocket: boolean;
}

/** The whole answer for a HAR file. */
export interface HarResult {
  readonly creator: string;
  readonly entries: number;
  readonly diagnoses: readonly HarDiagnosis[];
  /** Names of secret-bearing fields the file still holds (a HAR that was not sanitized). */
  readonly unsanitized: readonly string[];
}

/** The file is not a HAR log. */
export class HarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarFormatError';
  }
}

interface HarEntry {
  readonly _resourceType?: unknown;
  readonly request?: { method?: unknown; url?: unknown; headers?: unknown; cookies?: unknown; postData?: unknown };
  readonly response?: {
    status?: unknown;
    statusText?: unknown;
    headers?: unknown;
    cookies?: unknown;
    _error?: unknown;
    _failureText?: unknown;
  };
}

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
 * Applies the checks to one entry. The HAR does not record the credentials mode: a failure that
 * only a credentialed request has (`*`, a missing Access-Control-Allow-Credentials) is told by
 * checking again with credentials when the entry failed and the first check found nothing.
 */
function checkEntry(entry: HarEntry, index: number, origin: string): HarDiagnosis | undefined {
  const requestHeaders = headersOf(entry.request?.headers);
  const responseHeaders = headersOf(entry.response?.headers);
  const method = str(entry.request?.method) || 'GET';
  const url = str(entry.request?.url);
  // Automation exporters (Playwright's recordHar) write -1 and `_failureText` for a failed request.
  const rawStatus = typeof entry.response?.status === 'number' ? entry.response.status : 0;
  const status = rawStatus > 0 ? rawStatus : 0;
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
  if (websocket) {
    const code = /response code: (\d{3})/i.exec(error)?.[1];
    const seen = status !== 0 ? status : code === undefined ? 0 : Number(code);
    if (seen === 101) return undefined;
    if (seen === 0) {
      if (error === '') return undefined;
      return {
        ...base,
        credentials: 'include',
        findings: [],
        cannotTell: `the WebSocket failed ("${error}") with no response recorded`,
      };
    }
    const findings = handshakeCheck({ ...res, status: seen, upgraded: false, key: '' }, origin);
    return { ...base, status: seen, credentials: 'include', findings };
  }
  if (status === 0 || responseHeaders.length === 0) {
    if (error === '' && status !== 0) return undefined;
    if (error === '' && responseHeaders.length === 0 && status === 0) {
      return {
        ...base,
        credentials: 'same-origin',
        findings: [],
        cannotTell: 'the HAR has no status or headers for it (an automation-made HAR?)',
      };
    }
    return { ...base, credentials: 'same-origin', findings: [], cannotTell: '' };
  }
  const ctx = (credentials: CredentialsMode): CorsRequestContext => ({
    origin,
    credentials,
    method: preflight ? (getCombined(requestHeaders, 'access-control-request-method') ?? 'GET') : method,
    headers: requestedHeaders(requestHeaders, preflight),
  });
  const check = (credentials: CredentialsMode): Finding[] =>
    preflight ? preflightCheck(res, ctx(credentials)) : corsCheck(res, ctx(credentials), 'actual');
  let credentials: CredentialsMode = getCombined(requestHeaders, 'cookie') !== null ? 'include' : 'same-origin';
  let findings = check(credentials);
  if (!hasError(findings) && error !== '' && credentials === 'same-origin') {
    const withCredentials = check('include');
    if (hasError(withCredentials)) {
      credentials = 'include';
      findings = withCredentials;
    }
  }
  if (!hasError(findings)) return undefined;
  return { ...base, credentials, findings: findings.filter((f) => f.severity === 'error') };
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

/** Says why a failed request left nothing to check, and links it to its preflight when there is one. */
function explainBlind(
  diagnosis: HarDiagnosis,
  all: readonly HarDiagnosis[],
  entries: readonly HarEntry[],
): HarDiagnosis {
  if (diagnosis.cannotTell !== '') return diagnosis;
  const preflight = entries.findIndex(
    (entry, i) =>
      i !== diagnosis.entry - 1 &&
      str(entry.request?.url) === diagnosis.url &&
      (str(entry._resourceType) === 'preflight' || str(entry.request?.method) === 'OPTIONS'),
  );
  if (preflight !== -1) {
    const failed = all.some((d) => d.entry === preflight + 1);
    return {
      ...diagnosis,
      cannotTell: failed
        ? `not sent: its preflight (entry ${preflight + 1}) failed, see there`
        : `not sent, and its preflight (entry ${preflight + 1}) looks right: compare the method and headers it allowed`,
    };
  }
  return {
    ...diagnosis,
    cannotTell:
      "no response and no preflight in the HAR: the preflight may have come from the browser's preflight cache, or the " +
      'request was blocked before it was sent (mixed content, Local Network Access, CSP, an extension); run ' +
      '`cors-safety doctor` on the URL, or --replay',
  };
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
