/**
 * socket.io test harness: a real socket.io 4 server on plain node:http or Express 5 (port 0 on
 * loopback) wired as the README says, `createAllowRequest(policy)` plus
 * `io.engine.use(corsSafety(policy))`, and the real `socket.io-client` in Node. Every server and
 * client is closed when the test ends; every wait has a generous timeout.
 */
import http, { type IncomingMessage } from 'node:http';
import type { TestContext } from 'node:test';
import express from 'express';
import { Server, type ServerOptions } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import {
  corsSafety,
  createAllowRequest,
  type AllowRequestOptions,
  type CorsPolicy,
  type UpgradeRejectInfo,
} from '../../src/index.js';
import { listen } from './listen.js';

/** How long a client may take to connect or fail; generous for a loaded 2-core machine. */
export const CLIENT_TIMEOUT_MS = 10_000;

export type Framework = 'node:http' | 'express 5';

/** A running socket.io server and what reached it. */
export interface SocketIoHarness {
  readonly url: string;
  readonly port: number;
  readonly io: Server;
  /** The handshake request of every `connection` event. */
  readonly connections: IncomingMessage[];
  /** Everything `onReject` received. */
  readonly rejects: UpgradeRejectInfo[];
}

export interface SocketIoHarnessOptions {
  readonly framework?: Framework | undefined;
  readonly allowRequest?: Omit<AllowRequestOptions, 'onReject'> | undefined;
  /** Extra socket.io server options (e.g. `cors`, to test the warning). */
  readonly server?: Partial<ServerOptions> | undefined;
  /** Leave out `io.engine.use(corsSafety(policy))`. */
  readonly withoutMiddleware?: boolean | undefined;
}

/** Starts socket.io with the two documented lines; each socket echoes `echo` events through an ack. */
export async function startSocketIo(
  t: TestContext,
  policy: CorsPolicy,
  options: SocketIoHarnessOptions = {},
): Promise<SocketIoHarness> {
  const rejects: UpgradeRejectInfo[] = [];
  const connections: IncomingMessage[] = [];
  let server: http.Server;
  if (options.framework === 'express 5') {
    const app = express();
    app.get('/api', (_req, res) => {
      res.json({ ok: true });
    });
    server = http.createServer(app);
  } else {
    server = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
  }
  const allowRequest = createAllowRequest(policy, {
    ...options.allowRequest,
    onReject: (info) => rejects.push(info),
  });
  const io = new Server(server, { ...options.server, allowRequest });
  if (options.withoutMiddleware !== true) io.engine.use(corsSafety(policy));
  io.on('connection', (socket) => {
    connections.push(socket.request);
    socket.on('echo', (message: unknown, ack: (reply: unknown) => void) => ack(message));
  });
  const running = await listen(server);
  t.after(async () => {
    await io.close();
    await running.close();
  });
  return { url: running.url, port: running.port, io, connections, rejects };
}

export type Transports = readonly ['polling'] | readonly ['websocket'] | undefined;

/** What a socket.io client ended in. */
export type ClientOutcome =
  | {
      readonly kind: 'connected';
      /** The transport at the `connect` event. */
      readonly first: string;
      /** The transport the echo came back on (after the upgrade, with the default transports). */
      readonly last: string;
      readonly echo: unknown;
    }
  | { readonly kind: 'error'; readonly message: string; readonly status: number | undefined };

/**
 * Connects the real socket.io client (`origin` sent as the `Origin` header on both transports),
 * emits one `echo`, and with the default transports waits for the upgrade to WebSocket.
 */
export function clientOutcome(url: string, transports: Transports, origin: string | undefined): Promise<ClientOutcome> {
  return new Promise((resolve, reject) => {
    const socket: ClientSocket = connectClient(url, {
      ...(transports === undefined ? {} : { transports: [...transports] }),
      extraHeaders: origin === undefined ? {} : { origin },
      reconnection: false,
      forceNew: true,
      timeout: CLIENT_TIMEOUT_MS,
    });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`socket.io client gave no outcome within ${CLIENT_TIMEOUT_MS} ms`));
    }, CLIENT_TIMEOUT_MS + 2000);
    const finish = (outcome: ClientOutcome): void => {
      clearTimeout(timer);
      socket.close();
      resolve(outcome);
    };
    // The transport of the engine.io handshake, before any upgrade (which may finish before `connect`).
    let first = '';
    socket.io.once('open', () => {
      first = socket.io.engine.transport.name;
    });
    socket.once('connect', () => {
      const engine = socket.io.engine;
      const echo = (): void => {
        socket.emit('echo', 'ping', (reply: unknown) =>
          finish({ kind: 'connected', first, last: engine.transport.name, echo: reply }),
        );
      };
      // The default client starts on polling and upgrades when the server offers websocket.
      if (transports === undefined && engine.transport.name === 'polling') engine.once('upgrade', echo);
      else echo();
    });
    socket.once('connect_error', (err: Error & { description?: unknown; context?: unknown }) => {
      const context = err.context as { status?: unknown } | undefined;
      const description = err.description as { message?: unknown } | undefined;
      let status = typeof context?.status === 'number' ? context.status : undefined;
      const match = typeof description?.message === 'string' ? /response: (\d{3})/.exec(description.message) : null;
      if (status === undefined && match !== null) status = Number(match[1]);
      finish({ kind: 'error', message: err.message, status });
    });
  });
}
