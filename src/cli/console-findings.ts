/**
 * What a console message means, in the live probe's vocabulary: each fact is replayed through the
 * same checks (`corsCheck`, `preflightCheck`, `handshakeCheck`) on the response the message
 * describes, so the codes and fixes are the doctor's own. What a message cannot tell is said.
 */
import { localNetworkAccess } from './address-space.js';
import type { ConsoleFact, ConsoleMessage } from './console-input.js';
import { corsCheck, preflightCheck, type CorsRequestContext, type ResponseSnapshot } from './cors-check.js';
import type { Finding, StepName } from './findings.js';
import type { RawHeaders } from './headers.js';
import { handshakeCheck } from './ws-probe.js';

/** Stands in for the page origin when a message does not name it (Firefox's, WebKit's). */
const SOME_ORIGIN = 'https://page.invalid';

function response(status: number, headers: RawHeaders): ResponseSnapshot {
  return { status, statusText: '', headers };
}

function statusUnknown(step: StepName, origin: string): Finding {
  return {
    code: 'no-allow-origin',
    severity: 'error',
    step,
    detail: 'status-unknown',
    cause:
      `The response has no Access-Control-Allow-Origin for ${origin}. The console does not give its status: look at ` +
      'the Network panel. On a 4xx or 5xx, the error path lacks CORS headers (or a proxy made the error: its Server ' +
      'header says who); on a 2xx, the server does not grant this origin.',
    fix:
      'Run `cors-safety doctor <url> --origin <page origin>` (it reads the status and who answered), or ' +
      '`--har` on a HAR export of the failing page. With cors-safety: mount corsSafety() first and corsErrorHandler() ' +
      'last, and check the policy with `cors-safety explain --origin <page origin>`.',
  };
}

function cannotTell(reason: string, step: StepName, code: Finding['code'] = 'no-allow-origin'): Finding {
  return {
    code,
    severity: 'error',
    step,
    detail: 'cannot-tell',
    cause: `The message says only that the request failed ("${reason}"); it does not say which check failed, or why.`,
    fix:
      'Copy the full console text (WebKit prints the reason on the line before), or run `cors-safety doctor <url> ' +
      '--origin <page origin>`, or `--har` on a HAR export.',
  };
}

/**
 * WebKit's "Origin X is not allowed by Access-Control-Allow-Origin" is printed both when the header
 * is missing and when it names another origin (CrossOriginAccessControl.cpp has one message for
 * both): the second possible cause, with the way to tell them apart.
 */
function sameMessageMismatch(message: ConsoleMessage, step: StepName): Finding {
  const probe =
    message.url !== undefined && message.origin !== undefined
      ? `\`cors-safety doctor ${message.url} --origin ${message.origin}\``
      : '`cors-safety doctor <url> --origin <page origin>`';
  return {
    code: 'allow-origin-mismatch',
    severity: 'error',
    step,
    detail: 'same-message',
    cause:
      'Or the response does carry Access-Control-Allow-Origin, but for another origin (another port or scheme, ' +
      'localhost for 127.0.0.1, a fixed or cached value): WebKit prints this same message for a missing and for a ' +
      'mismatched header, so the console cannot tell which.',
    fix:
      `Run ${probe} (with a URL and an origin in the text, --console runs it for you), or read the response's ` +
      "Access-Control-Allow-Origin in Web Inspector's Network tab. If it names another origin, have the server answer " +
      "with the request's own Origin when it is allowed (with cors-safety: add the page origin to the allow-list; " +
      '`cors-safety explain --origin <page origin>` shows the decision) and send `Vary: Origin`.',
  };
}

/** Firefox and WebKit name neither the status nor the reason of a failed WebSocket handshake. */
function handshakeStatusUnknown(message: ConsoleMessage): Finding {
  const url = message.url ?? '<ws url>';
  return {
    code: 'ws-refused',
    severity: 'error',
    step: 'websocket',
    detail: 'cannot-tell',
    cause:
      'The WebSocket connection failed, and this browser prints neither the handshake status nor why: the server ' +
      'refused the handshake (an origin or authentication check, or a route without WebSocket support), or nothing ' +
      'answered at all.',
    fix:
      `Run \`cors-safety doctor ${url} --origin <page origin>\` (the WebSocket probe reads the handshake's status and ` +
      "Cors-Safety-Reason), or read the handshake's response in the Network panel. With cors-safety: " +
      '`cors-safety explain --origin <page origin>` says whether upgradeGuard() admits the origin.',
  };
}

function context(message: ConsoleMessage, over: Partial<CorsRequestContext> = {}): CorsRequestContext {
  return { origin: message.origin ?? SOME_ORIGIN, credentials: 'same-origin', method: 'GET', headers: [], ...over };
}

type Check = (res: ResponseSnapshot, ctx: CorsRequestContext) => Finding[];

/** Several Access-Control-Allow-Origin values: two header lines, or a list in one. */
function multipleFindings(
  message: ConsoleMessage,
  fact: Extract<ConsoleFact, { kind: 'allow-origin-multiple' }>,
  check: Check,
): Finding[] {
  const origin = message.origin ?? SOME_ORIGIN;
  if (fact.orList === true) {
    // WebKit prints one message for both: two header lines are joined into one list before the check.
    const grant: RawHeaders = [['Access-Control-Allow-Origin', origin]];
    const duplicated = check(response(200, grant.concat(grant)), context(message));
    const list = check(
      response(200, [['Access-Control-Allow-Origin', `${origin}, <another origin>`]]),
      context(message),
    );
    return [...duplicated, ...list];
  }
  const values = fact.values.length > 0 ? fact.values : [origin, origin];
  const identical = values.every((value) => value === values[0]) || fact.lines === 2;
  const headers: RawHeaders = identical
    ? values.map((value) => ['Access-Control-Allow-Origin', value] as const)
    : [['Access-Control-Allow-Origin', values.join(', ')]];
  return check(response(200, headers), context(message));
}

type AllowOriginFact = Extract<
  ConsoleFact,
  {
    kind:
      | 'no-allow-origin'
      | 'allow-origin-multiple'
      | 'allow-origin-mismatch'
      | 'wildcard-with-credentials'
      | 'credentials-not-allowed';
  }
>;

const ALLOW_ORIGIN_KINDS: ReadonlySet<ConsoleFact['kind']> = new Set<AllowOriginFact['kind']>([
  'no-allow-origin',
  'allow-origin-multiple',
  'allow-origin-mismatch',
  'wildcard-with-credentials',
  'credentials-not-allowed',
]);

function isAllowOriginFact(fact: ConsoleFact): fact is AllowOriginFact {
  return ALLOW_ORIGIN_KINDS.has(fact.kind);
}

/** A fact about the CORS check itself (Fetch §4.9), replayed on the preflight or the actual response. */
function allowOriginFindings(message: ConsoleMessage, fact: AllowOriginFact): Finding[] {
  const origin = message.origin ?? SOME_ORIGIN;
  const step: StepName = message.preflight ? 'preflight' : 'actual';
  const check: Check = (res, ctx) => (message.preflight ? preflightCheck(res, ctx) : corsCheck(res, ctx, 'actual'));
  switch (fact.kind) {
    case 'no-allow-origin': {
      const missing =
        fact.status === undefined ? [statusUnknown(step, origin)] : check(response(fact.status, []), context(message));
      return fact.orMismatch === true ? [...missing, sameMessageMismatch(message, step)] : missing;
    }
    case 'allow-origin-multiple':
      return multipleFindings(message, fact, check);
    case 'allow-origin-mismatch':
      return check(response(200, [['Access-Control-Allow-Origin', fact.value]]), context(message));
    case 'wildcard-with-credentials':
      return check(response(200, [['Access-Control-Allow-Origin', '*']]), context(message, { credentials: 'include' }));
    case 'credentials-not-allowed': {
      const grant: RawHeaders = [['Access-Control-Allow-Origin', origin]];
      const headers: RawHeaders =
        fact.value === undefined || fact.value === ''
          ? grant
          : [...grant, ['Access-Control-Allow-Credentials', fact.value]];
      return check(response(200, headers), context(message, { credentials: 'include' }));
    }
  }
}

type PreflightFact = Extract<
  ConsoleFact,
  {
    kind:
      | 'preflight-status'
      | 'preflight-redirect'
      | 'method-not-allowed'
      | 'header-not-allowed'
      | 'preflight-header-invalid';
  }
>;

const PREFLIGHT_KINDS: ReadonlySet<ConsoleFact['kind']> = new Set<PreflightFact['kind']>([
  'preflight-status',
  'preflight-redirect',
  'method-not-allowed',
  'header-not-allowed',
  'preflight-header-invalid',
]);

function isPreflightFact(fact: ConsoleFact): fact is PreflightFact {
  return PREFLIGHT_KINDS.has(fact.kind);
}

/** A fact only a preflight answer can have (Fetch §4.8), replayed on a stand-in preflight response. */
function preflightFactFindings(message: ConsoleMessage, fact: PreflightFact): Finding[] {
  const grant: RawHeaders = [['Access-Control-Allow-Origin', message.origin ?? SOME_ORIGIN]];
  switch (fact.kind) {
    case 'preflight-status':
      return preflightCheck(response(fact.status ?? 400, []), context(message));
    case 'preflight-redirect':
      return preflightCheck(response(301, [['Location', '(not in the message)']]), context(message));
    case 'method-not-allowed': {
      const method = fact.method === '' ? 'PUT' : fact.method;
      return preflightCheck(response(204, grant), context(message, { method }));
    }
    case 'header-not-allowed':
      return preflightCheck(response(204, grant), context(message, { headers: [[fact.header, 'x']] }));
    case 'preflight-header-invalid':
      return preflightCheck(response(204, [...grant, [fact.header, 'GET;']]), context(message, { method: 'PUT' }));
  }
}

/** The findings a fact stands for, from the checks the live probe uses. */
function factFindings(message: ConsoleMessage, fact: ConsoleFact): Finding[] {
  if (isAllowOriginFact(fact)) return allowOriginFindings(message, fact);
  if (isPreflightFact(fact)) return preflightFactFindings(message, fact);
  switch (fact.kind) {
    case 'ws-refused': {
      if (fact.status === undefined) return [handshakeStatusUnknown(message)];
      const res = { ...response(fact.status, []), upgraded: false, key: '' };
      return handshakeCheck(res, message.origin ?? SOME_ORIGIN);
    }
    case 'mixed-content':
      return [
        {
          code: 'mixed-content',
          severity: 'error',
          step: 'request',
          cause: 'An https page requested an http URL; the browser blocked it before CORS was consulted.',
          fix: 'Serve the API over https (wss for WebSockets); only localhost and 127.0.0.1 are exempt.',
        },
      ];
    case 'local-network-access': {
      const host = message.url === undefined ? '127.0.0.1' : safeHost(message.url);
      const found = localNetworkAccess(message.origin ?? 'https://public.example', host);
      return found.length > 0
        ? found.map((f) => ({ ...f, severity: 'error' as const }))
        : [cannotTell(fact.space, 'request')];
    }
    case 'unknown':
      return [cannotTell(fact.reason, message.preflight ? 'preflight' : 'actual')];
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * The findings for one console message, with the first one's cause prefixed by what it quotes.
 *
 * @example
 * ```ts
 * consoleFindings(parseConsole(text)[0]); // [{ code: 'allow-origin-duplicated', ... }]
 * ```
 */
export function consoleFindings(message: ConsoleMessage): Finding[] {
  const { fact } = message;
  return factFindings(message, fact).map((finding): Finding => {
    // The checks ran on a stand-in preflight: say only what the message says.
    if (finding.code === 'method-not-allowed' && fact.kind === 'method-not-allowed') {
      const method = fact.method === '' ? 'the method' : fact.method;
      return {
        ...finding,
        detail: undefined,
        cause: `The preflight's Access-Control-Allow-Methods does not list ${method}.`,
      };
    }
    if (finding.code === 'header-not-allowed' && fact.kind === 'header-not-allowed') {
      return {
        ...finding,
        detail: undefined,
        cause: `The preflight's Access-Control-Allow-Headers does not list ${fact.header}.`,
      };
    }
    return finding;
  });
}
