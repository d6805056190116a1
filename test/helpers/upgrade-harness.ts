/**
 * Test harness for the upgrade guard: real node:http / node:https servers with a real ws
 * WebSocketServer on 127.0.0.1 port 0, the real ws client, raw net sockets for handshakes no
 * well-behaved client sends, and a capture of the `cors-safety:upgrade` debug log. Every server is
 * closed, and every server-side socket destroyed, when the test ends; every wait has a timeout.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { format } from 'node:util';
import createDebug from 'debug';
import { WebSocket, WebSocketServer, type ClientOptions, type ServerOptions } from 'ws';
import { logUpgrade } from '../../src/shared/log.js';
import type { CorsSafetyOptions } from '../../src/policy/options.js';
import type { CorsPolicy } from '../../src/policy/policy.js';
import { upgradeGuard, type UpgradeGuardOptions, type UpgradeRejectInfo } from '../../src/websocket/upgrade-guard.js';
import { TLS_CERT, TLS_KEY } from './upgrade-tls.js';
import { scaled } from './time.js';

/** A valid Sec-WebSocket-Key (RFC 6455 §1.3 example). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A server under test and what reached it. */
export interface Harness {
  readonly server: Server;
  readonly port: number;
  /** `ws://127.0.0.1:port` (or `wss://`). */
  readonly url: string;
  /** The request of every `connection` event the WebSocketServer emitted. */
  readonly connections: IncomingMessage[];
  /** Everything `onReject` received (guard harnesses only). */
  readonly rejects: UpgradeRejectInfo[];
  /** Server-side TCP sockets not yet closed. */
  openSockets(): number;
  /** Resolves once no server-side TCP socket is open, or rejects after `timeoutMs`. */
  waitForNoOpenSockets(timeoutMs?: number): Promise<void>;
}

/** Tracks server-side sockets and closes everything when the test ends. */
function manage(t: TestContext, server: Server, wss: WebSocketServer | undefined): { open: Set<Socket> } {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  t.after(async () => {
    for (const socket of open) socket.destroy();
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { open };
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function harness(
  server: Server,
  port: number,
  tls: boolean,
  open: Set<Socket>,
  connections: IncomingMessage[],
  rejects: UpgradeRejectInfo[],
): Harness {
  return {
    server,
    port,
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    connections,
    rejects,
    openSockets: () => open.size,
    waitForNoOpenSockets: (timeoutMs = scaled(3000)) =>
      waitFor(
        () => open.size === 0,
        timeoutMs,
        () => `${open.size} server sockets still open`,
      ),
  };
}

/** Polls `check` every 10 ms; rejects with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface GuardHarnessOptions {
  /** Serve over TLS with the test certificate. */
  readonly tls?: boolean | undefined;
  /** Called with the request each time the guard calls its onAllowed. */
  readonly onAllowed?: ((req: IncomingMessage) => void) | undefined;
}

/**
 * The recommended wiring: `new WebSocketServer({ noServer: true })` and the guard as the server's
 * only `upgrade` listener, with `onAllowed` calling `wss.handleUpgrade()`.
 */
export async function startGuard(
  t: TestContext,
  policy: CorsPolicy | CorsSafetyOptions,
  options: UpgradeGuardOptions = {},
  harnessOptions: GuardHarnessOptions = {},
): Promise<Harness> {
  const tls = harnessOptions.tls === true;
  const server: Server = tls ? createTlsServer({ key: TLS_KEY, cert: TLS_CERT }) : createServer();
  const wss = new WebSocketServer({ noServer: true });
  const connections: IncomingMessage[] = [];
  const rejects: UpgradeRejectInfo[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    connections.push(req);
  });
  const { open } = manage(t, server, wss);
  const onReject = options.onReject;
  server.on(
    'upgrade',
    upgradeGuard(
      policy,
      (req, socket, head) => {
        harnessOptions.onAllowed?.(req);
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      },
      {
        ...options,
        onReject: (info) => {
          rejects.push(info);
          // Returned, so that a hook's rejected promise reaches the guard as it would in an app.
          return onReject?.(info);
        },
      },
    ),
  );
  const port = await listen(server);
  return harness(server, port, tls, open, connections, rejects);
}

/**
 * A ws server wired without the guard: `{ server, verifyClient }` on a node:http server, or ws's
 * own server with `{ port: 0, verifyClient }`.
 */
export async function startWs(t: TestContext, wiring: 'server' | 'port', wsOptions: ServerOptions): Promise<Harness> {
  const connections: IncomingMessage[] = [];
  let server: Server;
  let wss: WebSocketServer;
  if (wiring === 'server') {
    server = createServer();
    wss = new WebSocketServer({ ...wsOptions, server });
  } else {
    wss = new WebSocketServer({ ...wsOptions, port: 0, host: '127.0.0.1' });
    server = (wss as unknown as { _server: Server })._server;
  }
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    connections.push(req);
  });
  const { open } = manage(t, server, wss);
  let port: number;
  if (wiring === 'server') port = await listen(server);
  else {
    if (!server.listening) await once(wss, 'listening');
    port = (wss.address() as { port: number }).port;
  }
  return harness(server, port, false, open, connections, []);
}

/** How a real ws client's handshake ended. */
export type ClientOutcome =
  | { readonly kind: 'open' }
  | { readonly kind: 'refused'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: string }
  | { readonly kind: 'error'; readonly message: string };

/** Opens a real ws client and reports how the handshake ended (closing the client again). */
export function wsOutcome(url: string, options: ClientOptions = {}, timeoutMs = scaled(4000)): Promise<ClientOutcome> {
  return new Promise<ClientOutcome>((resolve, reject) => {
    const ws = new WebSocket(url, { ...options, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`ws client to ${url} got no answer within ${timeoutMs} ms`));
    }, timeoutMs + 500);
    const done = (outcome: ClientOutcome): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on('open', () => {
      ws.terminate();
      done({ kind: 'open' });
    });
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => {});
      res.on('end', () => {
        req.destroy();
        done({
          kind: 'refused',
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('latin1'),
        });
      });
    });
    ws.on('error', (err) => done({ kind: 'error', message: err.message }));
  });
}

/** What a raw handshake got back. */
export interface RawOutcome {
  /** Status code of the response, `undefined` when the server closed without answering. */
  readonly status: number | undefined;
  /** The response head (status line and headers), and the body. */
  readonly head: string;
  readonly body: string;
  /** True when the server closed the connection (always false for a 101 answer: we close). */
  readonly closedByServer: boolean;
}

export interface RawOptions {
  readonly path?: string | undefined;
  /** Leave out Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version. */
  readonly bare?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * Sends an upgrade request over a raw socket with exactly the header lines given (plus the four
 * handshake headers unless `bare`), and resolves with the answer once the server has closed the
 * connection, or once a complete 101 head arrived.
 */
export function rawUpgrade(port: number, lines: readonly string[], options: RawOptions = {}): Promise<RawOutcome> {
  const standard =
    options.bare === true
      ? []
      : ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13'];
  const request = `GET ${options.path ?? '/'} HTTP/1.1\r\n${[...lines, ...standard].map((line) => `${line}\r\n`).join('')}\r\n`;
  const timeoutMs = options.timeoutMs ?? scaled(4000);
  return new Promise<RawOutcome>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const split = data.indexOf('\r\n\r\n');
      const head = split < 0 ? data : data.slice(0, split);
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      resolve({
        status: match?.[1] === undefined ? undefined : Number(match[1]),
        head,
        body: split < 0 ? '' : data.slice(split + 4),
        closedByServer,
      });
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`raw handshake got no complete answer within ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.startsWith('HTTP/1.1 101 ') && data.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** Parses `Name: value` lines of a response head into a lowercase-keyed map (last value wins). */
export function headerMap(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

/** Captures `cors-safety:upgrade` debug lines for the rest of the test. */
export function captureUpgradeLog(t: TestContext): string[] {
  const lines: string[] = [];
  const previous = createDebug.disable();
  createDebug.enable(previous === '' ? 'cors-safety:upgrade' : `${previous},cors-safety:upgrade`);
  const originalLog = logUpgrade.log;
  logUpgrade.log = (...args: unknown[]) => {
    lines.push(format(...args));
  };
  t.after(() => {
    logUpgrade.log = originalLog;
    createDebug.disable();
    if (previous !== '') createDebug.enable(previous);
  });
  return lines;
}

/** Collects the process warnings with `code` until the test ends. */
export function collectWarnings(t: TestContext, code: string): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    if ((warning as { code?: string }).code === code) warnings.push(warning);
  };
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  return warnings;
}

/** A promise that settles after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
