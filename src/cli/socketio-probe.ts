/**
 * `cors-safety doctor --socketio`: what socket.io-client does in a browser, step by step. Its
 * default transports start with HTTP long-polling, a cross-origin XHR that needs CORS like any
 * `fetch()`; then it upgrades the session to a WebSocket, which browsers open without CORS (the
 * server alone checks `Origin`, RFC 6455 §10.2). socket.io's engine answers its path before any
 * Express middleware runs, so the fixes name socket.io's hooks.
 */
import { actualCheck, type CorsRequestContext, type ResponseSnapshot } from './cors-check.js';
import {
  handshakeBase,
  sendPreflight,
  probeFailed,
  recordFailure,
  requestFindings,
  sendHandshake,
  stepOf,
  verdictOf,
  type DoctorOptions,
  type DoctorResult,
  type Step,
} from './doctor.js';
import type { Finding, StepName } from './findings.js';
import { hasError } from './findings.js';
import type { RawHeaders } from './headers.js';
import { preflightDecision } from './fetch-rules.js';
import type { Transport } from './probe.js';
import { FOREIGN_ORIGIN, foreignOriginCheck, handshakeCheck, NGINX_UPGRADE_LINES } from './ws-probe.js';

/** socket.io's default engine.io path (the server's and the client's `path` option). */
export const SOCKETIO_DEFAULT_PATH = '/socket.io/';

const SERVER_WIRING =
  'new Server(httpServer, { allowRequest: createAllowRequest(policy) }) and io.engine.use(corsSafety(policy))';

const CORS_FIX =
  "socket.io's engine answers its path before Express, so app.use(corsSafety()) never sees these requests: " +
  `mount the policy on the engine, ${SERVER_WIRING}, with this origin in the policy ` +
  "(without cors-safety: socket.io's cors option).";

/**
 * The engine.io URL socket.io-client requests: the path, protocol revision 4 (socket.io 3 and
 * 4), the transport and, once a session is open, its id.
 *
 * @example
 * ```ts
 * engineUrl(new URL('http://localhost:3000/socket.io/'), 'polling').href;
 * // 'http://localhost:3000/socket.io/?EIO=4&transport=polling'
 * ```
 */
export function engineUrl(base: URL, transport: 'polling' | 'websocket', sid?: string): URL {
  const url = new URL(base.href);
  if (transport === 'websocket') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  url.searchParams.set('EIO', '4');
  url.searchParams.set('transport', transport);
  if (sid !== undefined) url.searchParams.set('sid', sid);
  return url;
}

/** engine.io's open packet (`0{"sid":...,"upgrades":[...]}`), or `undefined` when the body is not one. */
export function parseOpenPacket(body: string | undefined): { sid: string; upgrades: string[] } | undefined {
  if (body === undefined || !body.startsWith('0{')) return undefined;
  try {
    const packet = JSON.parse(body.slice(1)) as { sid?: unknown; upgrades?: unknown };
    if (typeof packet.sid !== 'string' || !Array.isArray(packet.upgrades)) return undefined;
    return { sid: packet.sid, upgrades: packet.upgrades.filter((u): u is string => typeof u === 'string') };
  } catch {
    return undefined;
  }
}

/** engine.io's error body (`{"code":4,"message":"Forbidden"}`), or `undefined`. */
function parseEngineError(body: string | undefined): { code: number; message: string } | undefined {
  if (body === undefined || !body.startsWith('{')) return undefined;
  try {
    const error = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (typeof error.code !== 'number' || typeof error.message !== 'string') return undefined;
    return { code: error.code, message: error.message };
  } catch {
    return undefined;
  }
}

function refused(detail: string, cause: string, fix: string): Finding {
  return { code: 'socketio-refused', severity: 'error', step: 'socketio-polling', detail, cause, fix };
}

/** Why the polling handshake did not open a session, and what to change. */
function handshakeRefusal(res: ResponseSnapshot, origin: string): Finding {
  const engineError = parseEngineError(res.body);
  // The server's text reaches the terminal quoted, so it cannot carry control characters.
  const said = engineError === undefined ? '' : ` (engine.io: ${JSON.stringify(engineError.message)})`;
  const head = `The long-polling handshake got ${res.status} ${res.statusText}${said}`;
  if (res.status === 403) {
    return refused(
      'forbidden',
      `${head}: the server's allowRequest refused Origin ${origin}, and socket.io-client reports connect_error "xhr poll error".`,
      `Add ${origin} to the policy of createAllowRequest(policy) (a page served by this server: list its host in allowedHosts); ` +
        'with DEBUG=cors-safety:upgrade the server logs the reason.',
    );
  }
  if (res.status === 400 && engineError?.code === 0) {
    return refused(
      'polling-disabled',
      `${head}: the server does not accept long-polling (its transports option leaves "polling" out), but the default client starts with it.`,
      "Set transports: ['websocket'] in the client as well, or allow polling on the server.",
    );
  }
  if (res.status === 404 || (res.status === 200 && engineError === undefined)) {
    return refused(
      'not-socketio',
      `${head}, not an engine.io handshake: socket.io does not serve this path.`,
      `Pass the URL of the socket.io path (default ${SOCKETIO_DEFAULT_PATH}, or the server's path option) and check that the server is attached to this HTTP server.`,
    );
  }
  return refused(
    'status',
    `${head} instead of an engine.io handshake, so socket.io-client reports connect_error.`,
    'Check the server (and any proxy) logs for this request; engine.io answers 400 for a bad handshake.',
  );
}

/** The CORS checks of an XHR, with fixes that name socket.io's hooks. */
function pollingCorsFindings(res: ResponseSnapshot, ctx: CorsRequestContext): Finding[] {
  return actualCheck(res, ctx).map((finding): Finding => {
    const step: StepName = 'socketio-polling';
    if (finding.code === 'no-allow-origin')
      return {
        ...finding,
        step,
        cause:
          `The server opened a session for ${ctx.origin} (its origin check, if any, let it in), but the polling response has no ` +
          'Access-Control-Allow-Origin, so the browser hides it and socket.io-client reports connect_error "xhr poll error".',
        fix: CORS_FIX,
      };
    if (finding.code === 'credentials-not-allowed')
      return {
        ...finding,
        step,
        cause: finding.cause.replace(/^The actual response/, 'The polling response'),
        fix: 'The page sets withCredentials: true; set credentials: true in the policy mounted with io.engine.use(corsSafety(policy)).',
      };
    return { ...finding, step, cause: finding.cause.replace(/^The actual response/, 'The polling response') };
  });
}

/** A header-not-allowed on the polling preflight comes from socket.io-client's extraHeaders. */
function extraHeadersFix(finding: Finding): Finding {
  if (finding.code !== 'header-not-allowed') return finding;
  return {
    ...finding,
    fix:
      `${finding.fix} They are socket.io-client's extraHeaders: list them in allowedHeaders of the policy mounted with ` +
      'io.engine.use(corsSafety(policy)) (or the cors.allowedHeaders option of socket.io), or send them in auth instead.',
  };
}

/** How many requests of the open session the probe sends to see whether they reach its process. */
const SESSION_REQUESTS = 3;

const STICKY_FIX =
  'Route every request of a session to the process that opened it: sticky sessions at the load balancer (nginx: ' +
  "ip_hash; or hash $remote_addr consistent; in the upstream; Node's cluster: @socket.io/sticky), or make the " +
  "client skip long-polling with transports: ['websocket'] (then no sticky sessions are needed). Use an adapter " +
  '(@socket.io/redis-adapter) so that events reach clients on every process.';

/**
 * Sends what socket.io-client sends next on the open session (a long-polling POST; here a noop
 * packet, `6`, which the server ignores) a few times. With several processes and no sticky
 * sessions, one lands on a process that never saw the session: engine.io answers 400
 * `{"code":1,"message":"Session ID unknown"}`, and the client reports "xhr post error".
 */
async function checkSession(transport: Transport, steps: Step[], opts: DoctorOptions, sid: string): Promise<Finding[]> {
  const url = engineUrl(opts.url, 'polling', sid);
  const sent: RawHeaders = [
    ['Origin', opts.origin],
    ['Accept', '*/*'],
    ['Content-Type', 'text/plain;charset=UTF-8'],
    ...opts.headers,
  ];
  for (let i = 0; i < SESSION_REQUESTS; i++) {
    const res = await recordFailure(steps, 'socketio-session', 'POST', url, sent, opts.headers, () =>
      transport.request({
        method: 'POST',
        url,
        headers: sent,
        timeoutMs: opts.timeoutMs,
        readBody: true,
        body: new TextEncoder().encode('6'),
      }),
    );
    steps.push(stepOf('socketio-session', 'POST', url, sent, opts.headers, res));
    const engineError = parseEngineError(res.body);
    if (res.status === 400 && engineError?.code === 1) {
      return [
        {
          code: 'socketio-session-unknown',
          severity: 'error',
          step: 'socketio-session',
          cause:
            `Request ${i + 2} of the session got 400 (engine.io: "Session ID unknown"): it reached a server process that ` +
            'did not open the session. Several processes answer this URL without sticky sessions, so socket.io-client ' +
            'reports "xhr post error" or "xhr poll error", and the WebSocket upgrade fails the same way.',
          fix: STICKY_FIX,
        },
      ];
    }
    if (res.status !== 200) break;
  }
  return [];
}

/** The upgrade failing is not fatal: socket.io-client stays on long-polling. */
function upgradeFindings(res: Parameters<typeof handshakeCheck>[0], origin: string): Finding[] {
  return handshakeCheck(res, origin, 'socketio-upgrade').map((finding) => ({
    ...finding,
    code: finding.code === 'ws-refused' ? ('socketio-upgrade-failed' as const) : finding.code,
    severity: 'warning' as const,
    cause: `${finding.cause} socket.io-client then stays on long-polling: it works, with a request per message.`,
    fix:
      `Make any proxy forward Upgrade and Connection (nginx: ${NGINX_UPGRADE_LINES}); with several server processes, ` +
      'use sticky sessions so the session id reaches its process.',
  }));
}

/**
 * Runs the socket.io probe: the polling handshake with the page's `Origin` (and credentials when
 * asked), the WebSocket upgrade of that session, and a WebSocket handshake from an unrelated
 * origin to see whether the server checks `Origin`. Resolves with `probe-failed` on a network
 * failure; rejects only on a bug.
 *
 * @example
 * ```ts
 * const result = await runSocketIoDoctor({ url: new URL('http://localhost:3000/socket.io/'), origin: 'http://localhost:5173',
 *   method: 'GET', headers: [], credentials: 'include', ws: false, socketio: true, timeoutMs: 10_000 }, nodeTransport);
 * ```
 */
export async function runSocketIoDoctor(opts: DoctorOptions, transport: Transport): Promise<DoctorResult> {
  const steps: Step[] = [];
  const findings = requestFindings(opts);
  const base = handshakeBase({ ...opts, socketio: true }, false);
  const ctx: CorsRequestContext = {
    origin: opts.origin,
    credentials: opts.credentials,
    method: 'GET',
    headers: opts.headers,
  };
  const handshake = (name: StepName, url: URL, origin: string) =>
    sendHandshake(transport, steps, name, url, origin, opts.timeoutMs);
  try {
    const pollingUrl = engineUrl(opts.url, 'polling');
    // socket.io-client's extraHeaders go on every polling request; any that is not CORS-safelisted
    // makes the browser send a preflight first (Fetch §4.8).
    const decision = preflightDecision('GET', opts.headers);
    if (pollingUrl.origin !== opts.origin && decision.needed) {
      const preflight = await sendPreflight(transport, steps, pollingUrl, ctx, decision, opts.timeoutMs);
      findings.push(...preflight.map(extraHeadersFix));
      if (hasError(preflight)) {
        steps.push({
          name: 'socketio-polling',
          request: { method: 'GET', url: pollingUrl.href, headers: [] },
          skipped: 'the preflight failed, so the browser does not send the polling request',
        });
        return { ...base, verdict: 'blocked', steps, findings };
      }
    }
    const sent: RawHeaders = [['Origin', opts.origin], ['Accept', '*/*'], ...opts.headers];
    const res = await recordFailure(steps, 'socketio-polling', 'GET', pollingUrl, sent, opts.headers, () =>
      transport.request({ method: 'GET', url: pollingUrl, headers: sent, timeoutMs: opts.timeoutMs, readBody: true }),
    );
    steps.push(stepOf('socketio-polling', 'GET', pollingUrl, sent, opts.headers, res));
    const open = res.status === 200 ? parseOpenPacket(res.body) : undefined;
    if (open === undefined) findings.push(handshakeRefusal(res, opts.origin));
    else if (pollingUrl.origin !== opts.origin) findings.push(...pollingCorsFindings(res, ctx));
    if (open !== undefined && !hasError(findings)) {
      findings.push(...(await checkSession(transport, steps, opts, open.sid)));
    }

    if (open === undefined || hasError(findings)) {
      steps.push({
        name: 'socketio-upgrade',
        request: { method: 'GET', url: engineUrl(opts.url, 'websocket').href, headers: [] },
        skipped: 'the polling handshake failed, so socket.io-client reports connect_error and does not upgrade',
      });
    } else if (!open.upgrades.includes('websocket')) {
      findings.push({
        code: 'socketio-no-upgrade',
        severity: 'warning',
        step: 'socketio-polling',
        cause:
          'The server offers no WebSocket upgrade (its transports leave "websocket" out, or allowUpgrades is false): the client stays on long-polling.',
        fix: "Allow the websocket transport on the server unless long-polling only is intended (transports: ['polling', 'websocket']).",
      });
    } else {
      findings.push(
        ...upgradeFindings(
          await handshake('socketio-upgrade', engineUrl(opts.url, 'websocket', open.sid), opts.origin),
          opts.origin,
        ),
      );
    }
    if (!hasError(findings) && opts.origin !== FOREIGN_ORIGIN) {
      const foreign = await handshake('websocket-foreign-origin', engineUrl(opts.url, 'websocket'), FOREIGN_ORIGIN);
      findings.push(
        ...foreignOriginCheck(foreign).map((finding) => ({
          ...finding,
          fix: `Check Origin in socket.io's allowRequest hook: ${SERVER_WIRING}.`,
        })),
      );
    }
  } catch (err) {
    return probeFailed(base, steps, findings, err);
  }
  return { ...base, verdict: verdictOf(findings), steps, findings };
}
