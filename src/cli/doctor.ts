/**
 * `cors-safety doctor`: does what a browser would (decide on a preflight, send it, check it,
 * send the actual request, check it) and collects findings. The network is behind a
 * `Transport`, so this module is tested with a fake as well as over real sockets.
 */
import { localNetworkAccess } from './address-space.js';
import type { CorsRequestContext, ResponseSnapshot } from './cors-check.js';
import { actualCheck, preflightCheck } from './cors-check.js';
import type { CredentialsMode, PreflightDecision } from './fetch-rules.js';
import { isMixedContent, preflightDecision } from './fetch-rules.js';
import { isCorsSafelistedRequestHeader } from '../shared/header-names.js';
import { NODE_METHODS } from '../shared/methods.js';
import { crossSiteCookieFinding } from './cookie-site.js';
import type { Finding, StepName } from './findings.js';
import { hasError } from './findings.js';
import type { RawHeaders } from './headers.js';
import type { Transport, UpgradeSnapshot } from './probe.js';
import { connectingTo, ProbeError, websocketKey } from './probe.js';
import { foreignHttpOrigin, foreignRequest, reflectionCheck } from './foreign-origin.js';
import { FOREIGN_ORIGIN, foreignOriginCheck, handshakeCheck, handshakeHeaders } from './ws-probe.js';

/** What to probe, already validated by the argument parser. */
export interface DoctorOptions {
  readonly url: URL;
  /** The page's serialised origin, or `null`. */
  readonly origin: string;
  /** Normalised method (Fetch §2.2.1). */
  readonly method: string;
  /** Headers the page script sets. */
  readonly headers: RawHeaders;
  readonly credentials: CredentialsMode;
  readonly ws: boolean;
  /** Probe what socket.io-client does (polling handshake, then the upgrade); `url` is the engine.io path. */
  readonly socketio?: boolean | undefined;
  readonly timeoutMs: number;
  /** Connect to this address instead of resolving the URL's host (`--resolve`). */
  readonly connectAddress?: string | undefined;
  /** The actual request's body (`--data`, `--data-file`). */
  readonly body?: Uint8Array | undefined;
  /** The `Cookie` header the browser would send (`--cookie`); never printed. */
  readonly cookie?: string | undefined;
}

/** The doctor's overall answer. */
export type Verdict = 'allowed' | 'blocked' | 'probe-failed';

/** One exchange, as sent and received. Header values the user may consider secret are not kept. */
export interface Step {
  readonly name: StepName;
  readonly request: { readonly method: string; readonly url: string; readonly headers: RawHeaders };
  readonly response?:
    | {
        readonly status: number;
        readonly statusText: string;
        /** The CORS-relevant response headers, duplicates kept. */
        readonly headers: RawHeaders;
      }
    | undefined;
  /** Why the step was not sent (e.g. the preflight failed, so a browser stops). */
  readonly skipped?: string | undefined;
  /** The probe error, when the step could not be completed. */
  readonly error?: string | undefined;
}

/** Everything the report needs. */
export interface DoctorResult {
  readonly verdict: Verdict;
  readonly url: string;
  readonly origin: string;
  readonly method: string;
  readonly credentials: CredentialsMode;
  readonly websocket: boolean;
  /** True for `--socketio`: the steps are socket.io-client's. */
  readonly socketio?: boolean | undefined;
  readonly preflight: PreflightDecision | null;
  readonly steps: readonly Step[];
  readonly findings: readonly Finding[];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** Value shown instead of a request header a page sets that could be a secret. */
export const HIDDEN = '(not shown)';

/** Request headers as shown: author headers that are not CORS-safelisted may hold secrets, so are masked. */
function shownRequestHeaders(sent: RawHeaders, author: RawHeaders): RawHeaders {
  const authorNames = new Set(author.map(([name]) => name.toLowerCase()));
  authorNames.add('cookie');
  return sent.map(([name, value]): [string, string] =>
    authorNames.has(name.toLowerCase()) && !isCorsSafelistedRequestHeader(name, value) ? [name, HIDDEN] : [name, value],
  );
}

const RELEVANT_RESPONSE_HEADER =
  /^(access-control-|vary$|location$|allow$|via$|upgrade$|sec-websocket-|cors-safety-reason$|server$)/i;

function relevantHeaders(headers: RawHeaders): RawHeaders {
  return headers.filter(([name]) => RELEVANT_RESPONSE_HEADER.test(name));
}

export function stepOf(
  name: StepName,
  method: string,
  url: URL,
  sent: RawHeaders,
  author: RawHeaders,
  response: ResponseSnapshot,
): Step {
  return {
    name,
    request: { method, url: url.href, headers: shownRequestHeaders(sent, author) },
    response: { status: response.status, statusText: response.statusText, headers: relevantHeaders(response.headers) },
  };
}

/** Runs one exchange; when the network fails, records the step with its error before rethrowing. */
export async function recordFailure<T>(
  steps: Step[],
  name: StepName,
  method: string,
  url: URL,
  sent: RawHeaders,
  author: RawHeaders,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof ProbeError) {
      steps.push({
        name,
        request: { method, url: url.href, headers: shownRequestHeaders(sent, author) },
        error: err.message,
      });
    }
    throw err;
  }
}

export function verdictOf(findings: readonly Finding[]): Verdict {
  return hasError(findings) ? 'blocked' : 'allowed';
}

export function requestFindings(opts: DoctorOptions): Finding[] {
  const findings: Finding[] = [];
  if (isMixedContent(opts.origin, opts.url)) {
    findings.push({
      code: 'mixed-content',
      severity: 'error',
      step: 'request',
      cause: `The page is served over https but the URL is ${opts.url.protocol}//; browsers block such mixed content before CORS is even consulted (Mixed Content, "should fetching request be blocked as mixed content?").`,
      fix: `Serve the API over ${opts.ws ? 'wss' : 'https'} (only localhost and 127.0.0.1 are exempt).`,
    });
  }
  const cookies = opts.credentials === 'include' ? crossSiteCookieFinding(opts.origin, opts.url) : undefined;
  if (cookies !== undefined) findings.push(cookies);
  findings.push(...localNetworkAccess(opts.origin, opts.url.hostname, opts.connectAddress));
  if (!opts.ws && !NODE_METHODS.has(opts.method)) {
    const upper = opts.method.toUpperCase();
    const fix = NODE_METHODS.has(upper)
      ? `Send "${upper}" from the page: fetch(url, { method: '${upper}' }) (browsers send the method exactly as written, and upper-case only DELETE, GET, HEAD, OPTIONS, POST and PUT).`
      : 'Use a method Node accepts (listed in http.METHODS), or a server that accepts this one.';
    findings.push({
      code: 'method-refused-by-node',
      severity: 'warning',
      step: 'request',
      cause: `The browser sends the method "${opts.method}" exactly as written. Node's HTTP parser accepts only the methods in http.METHODS, as written, and answers any other with 400 Bad Request before any JavaScript runs: a Node server answers this request with 400 and no CORS headers, whatever its CORS setup.`,
      fix,
    });
  }
  return findings;
}

/** Sends a browser's WebSocket opening handshake from `origin` and records it as a step. */
export async function sendHandshake(
  transport: Transport,
  steps: Step[],
  name: StepName,
  url: URL,
  origin: string,
  timeoutMs: number,
): Promise<UpgradeSnapshot> {
  const sent = handshakeHeaders(origin, websocketKey());
  const res = await recordFailure(steps, name, 'GET', url, sent, [], () =>
    transport.upgrade({ method: 'GET', url, headers: sent, timeoutMs }),
  );
  steps.push(stepOf(name, 'GET', url, sent, [], res));
  return res;
}

/** The request part of a result for probes that send GET handshakes only (no preflight). */
export function handshakeBase(
  opts: DoctorOptions,
  websocket: boolean,
): Omit<DoctorResult, 'verdict' | 'steps' | 'findings'> {
  return {
    url: opts.url.href,
    origin: opts.origin,
    method: 'GET',
    credentials: opts.credentials,
    websocket,
    ...(opts.socketio === true ? { socketio: true } : {}),
    preflight: null,
  };
}

async function doctorWebSocket(opts: DoctorOptions, transport: Transport): Promise<DoctorResult> {
  const steps: Step[] = [];
  const findings = requestFindings(opts);
  const base = handshakeBase(opts, true);
  const handshake = async (name: StepName, origin: string): Promise<void> => {
    const res = await sendHandshake(transport, steps, name, opts.url, origin, opts.timeoutMs);
    findings.push(...(name === 'websocket' ? handshakeCheck(res, origin) : foreignOriginCheck(res)));
  };
  try {
    await handshake('websocket', opts.origin);
    if (!hasError(findings) && opts.origin !== FOREIGN_ORIGIN)
      await handshake('websocket-foreign-origin', FOREIGN_ORIGIN);
  } catch (err) {
    return probeFailed(base, steps, findings, err);
  }
  return { ...base, verdict: verdictOf(findings), steps, findings };
}

/** A probe that failed after a certain blocker was found (mixed content) still ends as `blocked`. */
export function probeFailed(
  base: Omit<DoctorResult, 'verdict' | 'steps' | 'findings'>,
  steps: readonly Step[],
  findings: readonly Finding[],
  err: unknown,
): DoctorResult {
  if (!(err instanceof ProbeError)) throw err;
  const verdict = hasError(findings) ? 'blocked' : 'probe-failed';
  return { ...base, verdict, steps, findings, error: { code: err.code, message: err.message } };
}

/**
 * Runs the probe: the preflight when a browser sends one, the actual request, then the same
 * request (or its preflight) from a random unrelated origin to catch a server that echoes any
 * origin. Resolves with `probe-failed` when the network failed before anything certain was
 * found; rejects only on a bug.
 *
 * @example
 * ```ts
 * const result = await runDoctor({ url: new URL('https://api.example.com/me'), origin: 'https://app.example.com',
 *   method: 'GET', headers: [], credentials: 'include', ws: false, timeoutMs: 10_000 }, nodeTransport);
 * result.verdict; // 'allowed' | 'blocked' | 'probe-failed'
 * ```
 */
export async function runDoctor(opts: DoctorOptions, network: Transport): Promise<DoctorResult> {
  const transport = connectingTo(network, opts.connectAddress);
  if (opts.ws) return doctorWebSocket(opts, transport);

  const sameOrigin = opts.url.origin === opts.origin;
  const decision = preflightDecision(opts.method, opts.headers);
  const base = {
    url: opts.url.href,
    origin: opts.origin,
    method: opts.method,
    credentials: opts.credentials,
    websocket: false,
    preflight: sameOrigin ? null : decision,
  };
  const ctx: CorsRequestContext = {
    origin: opts.origin,
    credentials: opts.credentials,
    method: opts.method,
    headers: opts.headers,
  };
  const steps: Step[] = [];
  const findings = requestFindings(opts);
  if (sameOrigin) findings.push(sameOriginFinding(opts.origin));
  try {
    if (!sameOrigin && decision.needed) {
      const preflightFindings = await sendPreflight(transport, steps, opts.url, ctx, decision, opts.timeoutMs);
      findings.push(...preflightFindings);
      if (hasError(preflightFindings)) {
        steps.push({
          name: 'actual',
          request: { method: opts.method, url: opts.url.href, headers: [] },
          skipped: 'the preflight failed, so a browser does not send the actual request',
        });
        return { ...base, verdict: 'blocked', steps, findings };
      }
    }
    const sent: (readonly [string, string])[] = [['Origin', opts.origin]];
    if (!opts.headers.some(([name]) => name.toLowerCase() === 'accept')) sent.push(['Accept', '*/*']);
    sent.push(['Sec-Fetch-Mode', 'cors'], ...opts.headers);
    if (opts.cookie !== undefined && opts.credentials === 'include') sent.push(['Cookie', opts.cookie]);
    const res = await recordFailure(steps, 'actual', opts.method, opts.url, sent, opts.headers, () =>
      transport.request({
        method: opts.method,
        url: opts.url,
        headers: sent,
        timeoutMs: opts.timeoutMs,
        body: opts.body,
      }),
    );
    steps.push(stepOf('actual', opts.method, opts.url, sent, opts.headers, res));
    if (!sameOrigin) findings.push(...actualCheck(res, ctx, opts.url));
    if (!sameOrigin) findings.push(...readableErrorStatus(res, findings));
    if (!sameOrigin && !hasError(findings)) findings.push(...(await probeForeign(transport, steps, opts, decision)));
  } catch (err) {
    return probeFailed(base, steps, findings, err);
  }
  return { ...base, verdict: verdictOf(findings), steps, findings };
}

function sameOriginFinding(origin: string): Finding {
  return {
    code: 'same-origin',
    severity: 'warning',
    step: 'request',
    cause: `The page origin ${origin} is the URL's own origin, so CORS does not apply and the browser allows the request.`,
    fix: 'Pass the origin of the page that calls this URL with --origin (scheme, host and port as in the address bar).',
  };
}

/** Sends the preflight a browser sends for `ctx` to `url` and checks it. Fetch §4.8: the preflight
 * carries no credentials and none of the author's headers. */
export async function sendPreflight(
  transport: Transport,
  steps: Step[],
  url: URL,
  ctx: CorsRequestContext,
  decision: PreflightDecision,
  timeoutMs: number,
): Promise<Finding[]> {
  const sent: (readonly [string, string])[] = [
    ['Origin', ctx.origin],
    ['Access-Control-Request-Method', ctx.method],
    ['Accept', '*/*'],
    ['Sec-Fetch-Mode', 'cors'],
  ];
  if (decision.unsafeHeaderNames.length > 0) {
    sent.splice(2, 0, ['Access-Control-Request-Headers', decision.unsafeHeaderNames.join(',')]);
  }
  const res = await recordFailure(steps, 'preflight', 'OPTIONS', url, sent, [], () =>
    transport.request({ method: 'OPTIONS', url, headers: sent, timeoutMs }),
  );
  steps.push(stepOf('preflight', 'OPTIONS', url, sent, [], res));
  return preflightCheck(res, ctx);
}

/** A 4xx/5xx the page can read: the failure is the status itself (authentication, validation...), not CORS. */
function readableErrorStatus(res: ResponseSnapshot, findings: readonly Finding[]): Finding[] {
  if (res.status < 400 || hasError(findings)) return [];
  const auth = res.status === 401 || res.status === 403;
  return [
    {
      code: 'error-status-readable',
      severity: 'warning',
      step: 'actual',
      detail: String(res.status),
      cause:
        `The response is a ${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`} with a valid CORS grant: the page ` +
        `can read it (response.ok is false, response.status is ${res.status}). ` +
        (auth ? 'The failure is authentication, not CORS.' : 'The failure is this status, not CORS.'),
      fix: auth
        ? "Send the credentials the server expects: cookies need credentials: 'include' (--credentials, --cookie), a token " +
          'its Authorization header (-H "Authorization: Bearer ..."); check that the session or token is valid.'
        : `Handle the ${res.status} in the page, or fix what the server reports in its body.`,
    },
  ];
}

/** Sends the request (or its preflight) from an unrelated origin, to catch a server that echoes any origin. */
async function probeForeign(
  transport: Transport,
  steps: Step[],
  opts: DoctorOptions,
  decision: PreflightDecision,
): Promise<Finding[]> {
  const foreign = foreignHttpOrigin();
  const { method, headers } = foreignRequest(foreign, opts.method, decision, opts.headers);
  let res: ResponseSnapshot;
  try {
    res = await recordFailure(steps, 'foreign-origin', method, opts.url, headers, opts.headers, () =>
      transport.request({ method, url: opts.url, headers, timeoutMs: opts.timeoutMs }),
    );
  } catch (err) {
    // The page's own request was answered: an unanswered extra check (recorded as a step) does not
    // turn that verdict into a failed probe.
    if (err instanceof ProbeError) return [];
    throw err;
  }
  steps.push(stepOf('foreign-origin', method, opts.url, headers, opts.headers, res));
  return reflectionCheck(res, foreign);
}
