/**
 * `cors-safety doctor --console`: reads the error text a user pastes from a browser console and
 * turns each CORS or WebSocket message into what the browser saw (a "fact"). Chromium's wording is
 * captured from the real browser (test/fixtures/diagnose/chromium-console.txt, made by
 * scripts/capture-diagnostics.ts), Firefox's and WebKit's from Debian's firefox-esr and WebKitGTK
 * (firefox-console.txt, webkit-console.txt, made by scripts/capture-consoles.ts). WebKit prints one
 * message, "Origin X is not allowed by Access-Control-Allow-Origin. Status code: N", for a missing
 * and for a mismatched grant: that fact carries `orMismatch`.
 */

/** Which browser wrote a message. */
export type Engine = 'chromium' | 'firefox' | 'webkit';

/** What a console message says the browser saw. */
export type ConsoleFact =
  | {
      readonly kind: 'no-allow-origin';
      readonly status?: number | undefined;
      /** WebKit: the same message stands for a mismatched Access-Control-Allow-Origin too. */
      readonly orMismatch?: boolean | undefined;
    }
  | {
      readonly kind: 'allow-origin-multiple';
      readonly values: readonly string[];
      readonly lines?: number | undefined;
      /** WebKit: one message for two header lines and for a comma-separated list in one. */
      readonly orList?: boolean | undefined;
    }
  | { readonly kind: 'allow-origin-mismatch'; readonly value: string }
  | { readonly kind: 'wildcard-with-credentials' }
  | { readonly kind: 'credentials-not-allowed'; readonly value?: string | undefined }
  | { readonly kind: 'preflight-status'; readonly status?: number | undefined }
  | { readonly kind: 'preflight-redirect' }
  | { readonly kind: 'method-not-allowed'; readonly method: string }
  | { readonly kind: 'header-not-allowed'; readonly header: string }
  | { readonly kind: 'preflight-header-invalid'; readonly header: string }
  | { readonly kind: 'ws-refused'; readonly status?: number | undefined }
  | { readonly kind: 'mixed-content' }
  | { readonly kind: 'local-network-access'; readonly space: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** One message understood: where it was, what it says, and the URL and origin when it names them. */
export interface ConsoleMessage {
  readonly line: number;
  readonly engine: Engine;
  readonly fact: ConsoleFact;
  readonly preflight: boolean;
  readonly url?: string | undefined;
  readonly origin?: string | undefined;
  /** The message as pasted, cut to {@link QUOTE_MAX} characters. */
  readonly quote: string;
}

/** Longest part of a pasted message repeated in the report. */
export const QUOTE_MAX = 300;

/** Longest pasted text read: a console dump is small; anything larger is cut. */
export const CONSOLE_MAX_CHARS = 1_000_000;

const CHROMIUM =
  /Access to (?:fetch|XMLHttpRequest|script|font|image|resource) at '([^']+)'(?: \(redirected from '[^']+'\))? from origin '([^']+)' has been blocked by CORS policy: (.*)$/;

/** Firefox quotes some URLs (‘…’) and not others; the status is "(null)" when there was no response. */
const FIREFOX =
  /^Cross-Origin Request Blocked: .* at (?:‘([^’]+)’|(\S+))\. \(Reason: (.*?)\)\.?(?: Status code: (?:(\d{3})|\(null\))\.?)?$/;

/**
 * Firefox's "CORS request did not succeed" with no status: alone, the request got no response (the
 * server is down or unreachable); after another message about the same URL, it is the request the
 * failed preflight stopped, and marks that message as the preflight's.
 */
function firefoxFollowUp(message: ConsoleMessage, previous: ConsoleMessage | undefined): boolean {
  return (
    message.engine === 'firefox' &&
    message.fact.kind === 'unknown' &&
    /^CORS request did not succeed/.test(message.fact.reason) &&
    previous?.engine === 'firefox' &&
    previous.url === message.url
  );
}

/** Chromium's reason text (services/network/public/cpp/cors/cors_error_status.cc wording). */
function chromiumFact(reason: string): { fact: ConsoleFact; preflight: boolean } {
  const preflightPrefix = /^Response to preflight request doesn't pass access control check: /;
  const preflight = preflightPrefix.test(reason);
  const text = reason.replace(preflightPrefix, '');
  let match: RegExpExecArray | null;
  const fact = ((): ConsoleFact => {
    if (/No 'Access-Control-Allow-Origin' header is present/.test(text)) return { kind: 'no-allow-origin' };
    if ((match = /'Access-Control-Allow-Origin' header contains multiple values '([^']*)'/.exec(text)) !== null)
      return { kind: 'allow-origin-multiple', values: (match[1] ?? '').split(/,\s*/) };
    if ((match = /'Access-Control-Allow-Origin' header has a value '([^']*)' that is not equal/.exec(text)) !== null)
      return { kind: 'allow-origin-mismatch', value: match[1] ?? '' };
    if (/must not be the wildcard '\*' when the request's credentials mode is 'include'/.test(text))
      return { kind: 'wildcard-with-credentials' };
    if ((match = /'Access-Control-Allow-Credentials' header in the response is '([^']*)'/.exec(text)) !== null)
      return { kind: 'credentials-not-allowed', value: match[1] ?? '' };
    if (/does not have HTTP ok status/.test(text)) return { kind: 'preflight-status' };
    if (/Redirect is not allowed for a preflight request/.test(text)) return { kind: 'preflight-redirect' };
    if ((match = /Method (\S+) is not allowed by Access-Control-Allow-Methods/.exec(text)) !== null)
      return { kind: 'method-not-allowed', method: match[1] ?? '' };
    if ((match = /Request header field (\S+) is not allowed by Access-Control-Allow-Headers/.exec(text)) !== null)
      return { kind: 'header-not-allowed', header: match[1] ?? '' };
    if ((match = /access the `?(loopback|local|private)`? address space/.exec(text)) !== null)
      return { kind: 'local-network-access', space: match[1] ?? 'local' };
    if ((match = /more-private address space `?(\w+)`?/.exec(text)) !== null)
      return { kind: 'local-network-access', space: match[1] ?? 'local' };
    return { kind: 'unknown', reason: text };
  })();
  return { fact, preflight };
}

/** Firefox's "(Reason: ...)" text (security.properties, CORS* keys). */
function firefoxFact(reason: string, status: number | undefined): { fact: ConsoleFact; preflight: boolean } {
  let match: RegExpExecArray | null;
  const fact = ((): ConsoleFact => {
    if (/^Multiple CORS header .Access-Control-Allow-Origin. not allowed/.test(reason))
      return { kind: 'allow-origin-multiple', values: [], lines: 2 };
    if (/^CORS header .Access-Control-Allow-Origin. missing/.test(reason)) return { kind: 'no-allow-origin', status };
    if ((match = /^CORS header .Access-Control-Allow-Origin. does not match .(.*).$/.exec(reason)) !== null)
      return { kind: 'allow-origin-mismatch', value: match[1] ?? '' };
    if (/^Credential is not supported if the CORS header .Access-Control-Allow-Origin. is .\*./.test(reason))
      return { kind: 'wildcard-with-credentials' };
    if (/^expected .true. in CORS header .Access-Control-Allow-Credentials./.test(reason))
      return { kind: 'credentials-not-allowed' };
    if (/^CORS preflight response did not succeed/.test(reason)) return { kind: 'preflight-status', status };
    if (/^CORS request external redirect not allowed/.test(reason)) return { kind: 'preflight-redirect' };
    if (/^Did not find method in CORS header .Access-Control-Allow-Methods./.test(reason))
      return { kind: 'method-not-allowed', method: '' };
    if (
      (match = /^header .([^’']+). is not allowed according to header .Access-Control-Allow-Headers./.exec(reason)) !==
      null
    )
      return { kind: 'header-not-allowed', header: match[1] ?? '' };
    if ((match = /^missing token .([^’']+). in CORS header .Access-Control-Allow-Headers./.exec(reason)) !== null)
      return { kind: 'header-not-allowed', header: match[1] ?? '' };
    if ((match = /^invalid token .[^’']*. in CORS header .(Access-Control-Allow-\w+)./.exec(reason)) !== null)
      return { kind: 'preflight-header-invalid', header: match[1] ?? '' };
    return { kind: 'unknown', reason };
  })();
  const preflight =
    /preflight/.test(reason) || fact.kind === 'method-not-allowed' || fact.kind === 'header-not-allowed';
  return { fact, preflight };
}

/** WebKit's reason lines (CrossOriginAccessControl.cpp). */
function webkitFact(line: string): { fact: ConsoleFact; preflight: boolean; origin?: string } | undefined {
  let match: RegExpExecArray | null;
  const status = (): number | undefined => {
    const code = /Status code: (\d{3})/.exec(line)?.[1];
    return code === undefined ? undefined : Number(code);
  };
  if ((match = /^Origin (\S+) is not allowed by Access-Control-Allow-Origin\./.exec(line)) !== null)
    return {
      fact: { kind: 'no-allow-origin', status: status(), orMismatch: true },
      preflight: false,
      origin: match[1] ?? '',
    };
  if (/^Preflight response is not successful\./.test(line)) {
    // A redirected preflight is reported as an unsuccessful one, with the 3xx status.
    const code = status();
    const redirect = code !== undefined && code >= 300 && code < 400;
    return {
      fact: redirect ? { kind: 'preflight-redirect' } : { kind: 'preflight-status', status: code },
      preflight: true,
    };
  }
  if (/^Access-Control-Allow-Origin cannot contain more than one origin/.test(line))
    return { fact: { kind: 'allow-origin-multiple', values: [], orList: true }, preflight: false };
  if (/^Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true/.test(line))
    return { fact: { kind: 'wildcard-with-credentials' }, preflight: false };
  if (/^Credentials flag is true, but Access-Control-Allow-Credentials is not "true"/.test(line))
    return { fact: { kind: 'credentials-not-allowed' }, preflight: false };
  if ((match = /^Method (\S+) is not allowed by Access-Control-Allow-Methods/.exec(line)) !== null)
    return { fact: { kind: 'method-not-allowed', method: match[1] ?? '' }, preflight: true };
  if ((match = /^Request header field (\S+) is not allowed by Access-Control-Allow-Headers/.exec(line)) !== null)
    return { fact: { kind: 'header-not-allowed', header: match[1] ?? '' }, preflight: true };
  return undefined;
}

function quote(line: string): string {
  return line.length > QUOTE_MAX ? `${line.slice(0, QUOTE_MAX)}...` : line;
}

/** Strips what consoles put before a message: "[Error] ", a timestamp, a source location. */
function clean(line: string): string {
  return line
    .trim()
    .replace(/^\[(?:Error|Warning|Log)\]\s*/i, '')
    .replace(/^(?:\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\s+)/, '')
    .trim();
}

/** One line, or `undefined` when it is not a message the doctor knows. */
function parseLine(raw: string, lineNo: number, pendingWebkit: ConsoleMessage | undefined) {
  const line = clean(raw);
  let match: RegExpExecArray | null;
  if ((match = CHROMIUM.exec(line)) !== null) {
    const { fact, preflight } = chromiumFact(match[3] ?? '');
    return { line: lineNo, engine: 'chromium', fact, preflight, url: match[1], origin: match[2], quote: quote(line) };
  }
  if ((match = /^WebSocket connection to '([^']+)' failed: (.*)$/.exec(line)) !== null) {
    const code = /response code: (\d{3})/i.exec(match[2] ?? '')?.[1];
    const engine: Engine = /Error during WebSocket handshake/.test(match[2] ?? '') ? 'chromium' : 'webkit';
    const fact: ConsoleFact = { kind: 'ws-refused', status: code === undefined ? undefined : Number(code) };
    return { line: lineNo, engine, fact, preflight: false, url: match[1], quote: quote(line) };
  }
  if ((match = /^Firefox can.t establish a connection to the server at (\S+?)\.?$/.exec(line)) !== null) {
    const fact: ConsoleFact = { kind: 'ws-refused' };
    return { line: lineNo, engine: 'firefox', fact, preflight: false, url: match[1], quote: quote(line) };
  }
  if ((match = FIREFOX.exec(line)) !== null) {
    const status = match[4] === undefined ? undefined : Number(match[4]);
    const { fact, preflight } = firefoxFact(match[3] ?? '', status);
    return { line: lineNo, engine: 'firefox', fact, preflight, url: match[1] ?? match[2], quote: quote(line) };
  }
  if (
    (match =
      /^Mixed Content: The page at '([^']+)' was loaded over HTTPS, but requested an insecure \S+ '([^']+)'/.exec(
        line,
      )) !== null
  ) {
    const fact: ConsoleFact = { kind: 'mixed-content' };
    const origin = safeOrigin(match[1] ?? '');
    return { line: lineNo, engine: 'chromium', fact, preflight: false, url: match[2], origin, quote: quote(line) };
  }
  // WebKit: "Fetch API cannot load URL due to access control checks." completes the reason line before it.
  if (
    (match = /^(?:Fetch API|XMLHttpRequest) cannot load (\S+?)\.? due to access control checks\.?$/.exec(line)) !== null
  ) {
    if (pendingWebkit !== undefined && pendingWebkit.url === undefined) return { ...pendingWebkit, url: match[1] };
    const fact: ConsoleFact = { kind: 'unknown', reason: 'access control checks' };
    return { line: lineNo, engine: 'webkit', fact, preflight: false, url: match[1], quote: quote(line) };
  }
  const webkit = webkitFact(line);
  if (webkit !== undefined) {
    return {
      line: lineNo,
      engine: 'webkit',
      fact: webkit.fact,
      preflight: webkit.preflight,
      origin: webkit.origin,
      quote: quote(line),
    };
  }
  return undefined;
}

function safeOrigin(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Every CORS or WebSocket message in pasted console text, in order. Lines it does not know are
 * skipped; a WebKit reason line and the "cannot load ... due to access control checks" line after
 * it become one message.
 *
 * @example
 * ```ts
 * parseConsole("Access to fetch at 'https://api.example.com/me' from origin 'https://app.example.com' has been " +
 *   "blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
 * // [{ line: 1, engine: 'chromium', fact: { kind: 'no-allow-origin' }, url: 'https://api.example.com/me', ... }]
 * ```
 */
export function parseConsole(text: string): ConsoleMessage[] {
  const messages: ConsoleMessage[] = [];
  const lines = text.slice(0, CONSOLE_MAX_CHARS).split(/\r?\n/);
  lines.forEach((raw, index) => {
    const previous = messages.at(-1);
    const pending = previous?.engine === 'webkit' && previous.url === undefined ? previous : undefined;
    const parsed = parseLine(raw, index + 1, pending) as ConsoleMessage | undefined;
    if (parsed === undefined) return;
    if (previous !== undefined && firefoxFollowUp(parsed, previous)) {
      messages[messages.length - 1] = { ...previous, preflight: true };
      return;
    }
    if (pending !== undefined && parsed.line === pending.line) messages[messages.length - 1] = parsed;
    else messages.push(parsed);
  });
  return messages;
}
