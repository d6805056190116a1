/**
 * The app behind nginx in the proxy tests: Express 5 with `corsSafety()`, `corsErrorHandler()` and
 * a `ws` server behind `upgradeGuard({ trustProxy: true })`, all from one policy, on loopback.
 */
import { once } from 'node:events';
import http from 'node:http';
import express from 'express';
import { WebSocketServer } from 'ws';
import { corsErrorHandler, corsSafety, createCorsPolicy, upgradeGuard, type CorsPolicy } from '../../src/index.js';
import { listen, type Running } from '../helpers/listen.js';

/** The policy every proxy test shares: exact, wildcard, credentials and an exposed header. */
export const POLICY: CorsPolicy = createCorsPolicy({
  origin: ['https://app.example.com', 'https://*.preview.example.com'],
  credentials: true,
  exposedHeaders: ['X-Request-Id'],
  env: { NODE_ENV: 'production' },
});

export const ALLOWED = 'https://app.example.com';
export const DENIED = 'https://evil.example.net';

/** A running app; `pending` holds requests to /slow, which never get an answer. */
export interface App extends Running {
  readonly pending: Set<http.ServerResponse>;
}

/** Starts the app on 127.0.0.1:0. */
export async function startApp(policy: CorsPolicy = POLICY): Promise<App> {
  const app = express();
  const pending = new Set<http.ServerResponse>();
  app.use(corsSafety(policy));
  app.get('/ok', (_req, res) => {
    res.setHeader('X-Request-Id', 'r-1');
    res.json({ ok: true });
  });
  app.get('/unauthorized', (_req, res) => {
    res.status(401).json({ error: 'log in' });
  });
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.post('/upload', express.raw({ type: '*/*', limit: '10mb' }), (req, res) => {
    res.json({ received: (req.body as Buffer).length });
  });
  // Never answers: nginx's proxy_read_timeout turns it into a 504.
  app.get('/slow', (_req, res) => {
    pending.add(res);
    res.once('close', () => pending.delete(res));
  });
  app.use(corsErrorHandler(policy, { log: () => undefined }));

  const server = http.createServer(app);
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => socket.send(`echo:${data.toString('utf8')}`));
  });
  server.on(
    'upgrade',
    upgradeGuard(
      policy,
      (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
      { trustProxy: true },
    ),
  );
  const running = await listen(server);
  return {
    ...running,
    pending,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const res of pending) res.destroy();
      await running.close();
    },
  };
}

/** One response as seen on the wire: status, raw header lines (duplicates kept) and body. */
export interface Exchange {
  readonly status: number;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** Sends one request with node:http (no connection reuse) and reads the whole answer. */
export async function send(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer } = {},
): Promise<Exchange> {
  const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
}

/** Every value of header `name` (any case), in wire order. */
export function headerValues(exchange: Exchange, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < exchange.rawHeaders.length; i += 2) {
    if ((exchange.rawHeaders[i] as string).toLowerCase() === name) values.push(exchange.rawHeaders[i + 1] as string);
  }
  return values;
}

/** The CORS-relevant header lines (`Access-Control-*`, `Vary`), as `name: value` in wire order. */
export function corsLines(exchange: Exchange): string[] {
  const lines: string[] = [];
  for (let i = 0; i < exchange.rawHeaders.length; i += 2) {
    const name = (exchange.rawHeaders[i] as string).toLowerCase();
    if (name.startsWith('access-control-') || name === 'vary')
      lines.push(`${name}: ${exchange.rawHeaders[i + 1] as string}`);
  }
  return lines;
}
