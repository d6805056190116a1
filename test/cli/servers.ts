/**
 * Real loopback servers for the CLI tests, one per failure the doctor must explain. Each
 * listens on 127.0.0.1:0 and is closed by the test that started it.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import cors from 'cors';
import express from 'express';
import { WebSocketServer } from 'ws';

/** The page origin the scenarios are written for. */
export const PAGE_ORIGIN = 'http://127.0.0.1:5173';

import { listen, type Running } from '../helpers/listen.js';

export { listen, type Running };

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function plain(handler: Handler): Promise<Running> {
  return listen(http.createServer(handler));
}

/**
 * A correctly configured server written by hand: exact origin, Vary: Origin, credentials, and
 * a preflight that allows PUT and Authorization. Independent of the library, so the doctor's
 * "allowed" path is tested even if the middleware regresses.
 */
export function correctServer(allowed = PAGE_ORIGIN): Promise<Running> {
  return plain((req, res) => {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === allowed) {
      res.setHeader('Access-Control-Allow-Origin', allowed);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.statusCode = 204;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  });
}

/** Express 5 with an auth middleware mounted before `cors()`: the 401 carries no CORS headers. */
export function authBeforeCorsServer(): Promise<Running> {
  const app = express();
  app.use((req, res, next) => {
    if (req.headers.authorization === 'Bearer good') next();
    else res.status(401).json({ error: 'unauthorized' });
  });
  app.use(cors({ origin: PAGE_ORIGIN, credentials: true }));
  app.get('/api/me', (_req, res) => {
    res.json({ user: 'ada' });
  });
  return listen(http.createServer(app));
}

/** A proxy and an application both add Access-Control-Allow-Origin. */
export function duplicateHeaderServer(): Promise<Running> {
  return plain((req, res) => {
    const origin = req.headers.origin ?? '';
    res.setHeader('Access-Control-Allow-Origin', [origin, origin]);
    res.setHeader('Vary', 'Origin');
    res.end('ok');
  });
}

/** Echoes a fixed origin that is not the page's: localhost instead of 127.0.0.1. */
export function otherOriginServer(echoed = 'http://localhost:5173'): Promise<Running> {
  return plain((_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', echoed);
    res.setHeader('Vary', 'Origin');
    res.end('ok');
  });
}

/** `*` together with Access-Control-Allow-Credentials: true. */
export function wildcardServer(): Promise<Running> {
  return plain((_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.end('ok');
  });
}

/** Redirects every request with 301 to the same path plus a trailing slash. */
export function redirectingServer(): Promise<Running> {
  return plain((req, res) => {
    res.statusCode = 301;
    res.setHeader('Location', `${req.url ?? '/'}/`);
    res.end();
  });
}

/** Accepts connections and never answers. */
export function silentServer(): Promise<Running> {
  return plain(() => undefined);
}

/** A ws WebSocketServer whose verifyClient accepts only `allowed` origins and refuses others with 403. */
export async function wsServer(allowed: readonly string[] | 'any'): Promise<Running> {
  const server = http.createServer((_req, res) => {
    res.statusCode = 426;
    res.end();
  });
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { origin: string }, done: (ok: boolean, code?: number, message?: string) => void) => {
      if (allowed === 'any' || allowed.includes(info.origin)) done(true);
      else done(false, 403, 'Forbidden');
    },
  });
  const running = await listen(server);
  return {
    ...running,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await running.close();
    },
  };
}

/** A port that was bound and closed again: connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const running = await plain(() => undefined);
  await running.close();
  return running.port;
}

/** Test-only self-signed certificate for 127.0.0.1 (test/fixtures/cli-tls-*.pem; not a secret). */
export const TLS_CERT_FILE = new URL('../fixtures/cli-tls-cert.pem', import.meta.url);

/** An https server with that certificate, granting PAGE_ORIGIN correctly. */
export function tlsServer(): Promise<Running> {
  const server = https.createServer(
    { cert: readFileSync(TLS_CERT_FILE), key: readFileSync(new URL('../fixtures/cli-tls-key.pem', import.meta.url)) },
    (req, res) => {
      if (req.headers.origin === PAGE_ORIGIN) res.setHeader('Access-Control-Allow-Origin', PAGE_ORIGIN);
      res.setHeader('Vary', 'Origin');
      res.end('ok');
    },
  );
  return listen(server);
}
