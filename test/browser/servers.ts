/**
 * In-process servers for the browser tests, all on 127.0.0.1 port 0:
 * - a page server: a minimal HTML page with a WebSocket helper, reachable on two ports;
 * - the API: Express 5 with corsSafety() first, one route per status, notFound() and
 *   corsErrorHandler() last, and a WebSocket echo endpoint behind upgradeGuard();
 * - the "early" API: express.json() mounted BEFORE corsSafety(), so its 400/413 are only
 *   readable because corsErrorHandler() adds the CORS headers itself.
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import {
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  notFound,
  upgradeGuard,
  type CorsPolicy,
} from '../../src/index.js';

/** A running server on 127.0.0.1. */
import { scaled } from '../helpers/time.js';
import { listen, type Running } from '../helpers/listen.js';

export { listen, type Running };

/**
 * Script of the test page. WebSocket has no Node typings at this @types/node version, so the
 * socket code lives in the page and the tests call `window.trySocket(url, text)`.
 */
const PAGE_SCRIPT = `
window.trySocket = (url, text) => new Promise((resolve) => {
  const events = [];
  let socket;
  try { socket = new WebSocket(url); } catch (e) { resolve({ events: ['throw:' + e], closeCode: null }); return; }
  const timer = setTimeout(() => { events.push('timeout'); resolve({ events, closeCode: null }); }, ${scaled(5000)});
  socket.onopen = () => { events.push('open'); socket.send(text); };
  socket.onmessage = (e) => { events.push('message:' + e.data); socket.close(1000, 'done'); };
  socket.onerror = () => { events.push('error'); };
  socket.onclose = (e) => { events.push('close'); clearTimeout(timer); resolve({ events, closeCode: e.code }); };
});
`;

/** What `window.trySocket()` resolves to. */
export interface SocketOutcome {
  readonly events: string[];
  readonly closeCode: number | null;
}

/** The page's helpers, as the tests call them inside `page.evaluate`. */
export interface PageApi {
  trySocket(url: string, text: string): Promise<SocketOutcome>;
}

/** Serves the test page at `/` on two ports: one origin the API allows, one it does not. */
export async function startPageServers(): Promise<{ allowed: Running; foreign: Running; close(): Promise<void> }> {
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(
      `<!doctype html><html><head><meta charset="utf-8"><title>cors-safety browser test</title></head><body><p>test page</p><script>${PAGE_SCRIPT}</script></body></html>`,
    );
  };
  const allowed = await listen(http.createServer(handler));
  const foreign = await listen(http.createServer(handler));
  return {
    allowed,
    foreign,
    close: async () => {
      await Promise.all([allowed.close(), foreign.close()]);
    },
  };
}

/** A refused handshake as the guard's `onReject` reported it. */
export interface RejectRecord {
  readonly reason: string;
  readonly origin: string | undefined;
}

/** Both APIs and what the WebSocket guard refused. */
export interface Apis {
  readonly policy: CorsPolicy;
  /** corsSafety() first; WebSocket echo at `/ws`. */
  readonly api: Running;
  /** express.json() before corsSafety(). */
  readonly early: Running;
  readonly rejections: RejectRecord[];
  close(): Promise<void>;
}

/** The secret a crashing handler puts in its error message; no page may ever read it. */
export const SECRET = 'postgres://admin:hunter2@db.internal';

/** The body limit of both JSON parsers: anything larger is a 413. */
export const BODY_LIMIT = 1024;

function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, expose: true });
}

/**
 * Starts both APIs with one policy: the page origin (`http://localhost:<pagePort>`) with
 * credentials, PUT left out of the methods, Retry-After exposed. `observe` sees every request
 * to the main API before Express does.
 */
export async function startApis(
  pageOrigin: string,
  observe?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Apis> {
  const policy = createCorsPolicy({
    origin: [pageOrigin],
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    exposedHeaders: ['Retry-After'],
    maxAge: 0,
  });

  const app = express();
  app.use(corsSafety(policy));
  app.use(express.json({ limit: BODY_LIMIT }));
  app.post('/echo', (req: Request, res: Response) => {
    res.json({ ok: true, authorization: req.headers.authorization ?? null, received: req.body as unknown });
  });
  // An auth check that answers by itself, as most do: corsSafety() already put the grant on res.
  app.post('/private', (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization !== 'Bearer admin') {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({ error: { status: 401, message: 'invalid token' } });
      return;
    }
    next();
  });
  app.post('/admin', (_req: Request, _res: Response, next: NextFunction) => next(httpError(403, 'admins only')));
  app.post('/limited', (_req: Request, res: Response) => {
    res
      .status(429)
      .set('Retry-After', '30')
      .json({ error: { status: 429, message: 'slow down' } });
  });
  app.post('/crash', () => {
    throw new Error(`query failed on ${SECRET}`);
  });
  app.use(notFound());
  app.use(corsErrorHandler(policy, { log: () => undefined }));

  const server = http.createServer(app);
  // Sees every request before Express does, preflights included.
  if (observe !== undefined) server.prependListener('request', observe);
  const rejections: RejectRecord[] = [];
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket) =>
    socket.on('message', (data, isBinary) =>
      socket.send(isBinary ? data : `echo:${(data as Buffer).toString('utf8')}`),
    ),
  );
  server.on(
    'upgrade',
    upgradeGuard(
      policy,
      (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
      {
        paths: ['/ws'],
        onReject: ({ reason, origin }) => rejections.push({ reason, origin }),
      },
    ),
  );
  const api = await listen(server);

  // The mistake corsErrorHandler() forgives: a body parser before corsSafety(). Its errors skip
  // corsSafety() (Express skips plain middleware once next(err) is called).
  const earlyApp = express();
  earlyApp.use(express.json({ limit: BODY_LIMIT }));
  earlyApp.use(corsSafety(policy));
  earlyApp.post('/echo', (req: Request, res: Response) => {
    res.json({ ok: true, received: req.body as unknown });
  });
  earlyApp.use(notFound());
  earlyApp.use(corsErrorHandler(policy, { log: () => undefined }));
  const early = await listen(http.createServer(earlyApp));

  return {
    policy,
    api,
    early,
    rejections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await Promise.all([api.close(), early.close()]);
    },
  };
}
