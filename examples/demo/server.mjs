// @ts-check
/**
 * The cors-safety demo (`npm start`): an API with a WebSocket endpoint on one origin, a page on a
 * second origin that calls it and shows, live, what the browser's JavaScript sees, and a third,
 * "foreign" origin the policy does not allow (loaded in an iframe of the page).
 *
 *   API           http://127.0.0.1:4000   (PORT)          corsSafety() + corsErrorHandler() + upgradeGuard()
 *   page          http://localhost:4001   (PAGE_PORT)     the only origin the policy allows
 *   foreign page  http://127.0.0.1:4002   (FOREIGN_PORT)  a denied origin
 *
 * A busy port falls back to a free one; 0 picks a free one. No other configuration.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import express from 'express';
import { WebSocketServer } from 'ws';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound, upgradeGuard } from 'cors-safety';

const PAGE_HTML = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
const FRAME_HTML = readFileSync(new URL('./frame.html', import.meta.url), 'utf8');

/** A secret that a crashing handler puts in its error message: the page must never see it. */
const SECRET = 'postgres://admin:hunter2@db.internal:5432';

/** @param {string} name @param {number} fallback */
function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: ${name}=${JSON.stringify(raw)} is not a port number (0-65535)`);
    process.exit(2);
  }
  return port;
}

/**
 * Listens on `port` (a busy port falls back to a free one) and returns the port in use.
 * @param {http.Server} server @param {number} port @param {string} host @param {string} label
 * @returns {Promise<number>}
 */
function listen(server, port, host, label) {
  return new Promise((resolve, reject) => {
    /** @param {NodeJS.ErrnoException} err */
    const onError = (err) => {
      if (err.code === 'EADDRINUSE' && port !== 0) {
        console.log(`demo: port ${port} (${label}) is busy; using a free port instead`);
        server.listen(0, host);
        return;
      }
      reject(err);
    };
    server.on('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
    });
    server.listen(port, host);
  });
}

/**
 * Also listens on [::1] with the same port, so `localhost` works wherever it resolves to IPv6
 * first. Best effort: machines without IPv6 use 127.0.0.1 only.
 * @param {http.Server} server @param {number} port
 * @returns {Promise<http.Server | undefined>}
 */
function listenIPv6(server, port) {
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '::1', () => resolve(server));
  });
}

// --- Static pages: the allowed page and the foreign iframe ------------------------------------

/** @type {Record<string, string>} */
const config = {};

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function servePages(req, res) {
  const path = (req.url ?? '/').split('?')[0];
  /** @type {[string, string] | undefined} */
  let answer;
  if (path === '/' || path === '/index.html') answer = ['text/html; charset=utf-8', PAGE_HTML];
  else if (path === '/frame.html') answer = ['text/html; charset=utf-8', FRAME_HTML];
  else if (path === '/config.json') answer = ['application/json', JSON.stringify(config)];
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (answer === undefined) {
    res.statusCode = 404;
    res.end('Not Found');
    return;
  }
  res.setHeader('Content-Type', answer[0]);
  res.end(answer[1]);
}

const pageServer = http.createServer(servePages);
const pageServer6 = http.createServer(servePages);
const foreignServer = http.createServer(servePages);
const apiServer = http.createServer();

const pagePort = await listen(pageServer, portFromEnv('PAGE_PORT', 4001), '127.0.0.1', 'page');
const ipv6 = await listenIPv6(pageServer6, pagePort);
const foreignPort = await listen(foreignServer, portFromEnv('FOREIGN_PORT', 4002), '127.0.0.1', 'foreign page');
const pageOrigin = `http://localhost:${pagePort}`;
const foreignOrigin = `http://127.0.0.1:${foreignPort}`;

// --- The API -------------------------------------------------------------------------------------

// The policy names the page origin explicitly. (With no options, the development default would
// allow every loopback origin, the foreign one included.)
const policy = createCorsPolicy({
  origin: [pageOrigin],
  credentials: true,
  methods: ['GET', 'HEAD', 'POST', 'DELETE'], // no PUT: the demo shows a refused preflight
  exposedHeaders: ['Retry-After'],
});

/** @param {number} status @param {string} message */
function httpError(status, message) {
  return Object.assign(new Error(message), { status, expose: true });
}

/**
 * The error handler's log: the full error stays on the server (the 500's secret included).
 * @param {import('cors-safety').ErrorLogEntry} entry
 */
function logError({ error, status }) {
  if (status >= 500)
    console.log(
      `api: the ${status}'s real error, server side only: ${error instanceof Error ? error.message : String(error)}`,
    );
}

/** @type {{ reason: string, origin: string | null, at: string }[]} */
const wsRefusals = [];

const app = express();
app.use(corsSafety(policy)); // first
app.use(express.json({ limit: '100kb' }));
app.post('/api/echo', (req, res) => {
  res.json({ ok: true, received: req.body });
});
app.post('/api/private', (_req, res) => {
  // An auth check that answers by itself, as most do.
  res
    .status(401)
    .set('WWW-Authenticate', 'Bearer')
    .json({ error: { status: 401, message: 'token expired' } });
});
app.post('/api/admin', (_req, _res, next) => {
  next(httpError(403, 'admins only'));
});
app.post('/api/limited', (_req, res) => {
  res
    .status(429)
    .set('Retry-After', '30')
    .json({ error: { status: 429, message: 'too many requests' } });
});
app.post('/api/crash', () => {
  throw new Error(`could not connect to ${SECRET}`);
});
app.get('/api/ws-refusals', (_req, res) => {
  res.json({ refusals: wsRefusals.slice(-5) });
});
app.use(notFound());
app.use(corsErrorHandler(policy, { log: logError }));

// The mistake corsErrorHandler() forgives: a body parser mounted BEFORE corsSafety(). Its 400
// skips corsSafety(), and the error handler adds the CORS headers from the request itself.
const earlyApp = express();
earlyApp.use(express.json({ limit: '100kb' }));
earlyApp.use(corsSafety(policy));
earlyApp.post('/early/echo', (req, res) => {
  res.json({ ok: true, received: req.body });
});
earlyApp.use(notFound());
earlyApp.use(corsErrorHandler(policy, { log: logError }));

apiServer.on('request', (req, res) => {
  // One line per request: who asked, what they got, and whether the CORS grant was on it.
  res.on('finish', () => {
    const granted = res.hasHeader('access-control-allow-origin') ? 'granted' : 'no CORS grant';
    console.log(
      `api: ${req.method} ${req.url} from ${req.headers.origin ?? '(no Origin)'} -> ${res.statusCode}, ${granted}`,
    );
  });
  (req.url?.startsWith('/early/') ? earlyApp : app)(req, res);
});

// WebSocket echo behind the guard, with the same policy.
const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (!isBinary) socket.send(`echo: ${String(data)}`);
  });
});
apiServer.on(
  'upgrade',
  upgradeGuard(
    policy,
    (req, socket, head) => {
      console.log(`ws: handshake from ${req.headers.origin ?? '(no Origin)'} allowed`);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    {
      paths: ['/ws'],
      onReject: ({ reason, origin }) => {
        wsRefusals.push({ reason, origin: origin ?? null, at: new Date().toISOString() });
        if (wsRefusals.length > 20) wsRefusals.shift();
        console.log(`ws: handshake from ${origin ?? '(no valid origin)'} refused: ${reason}`);
      },
    },
  ),
);

const apiPort = await listen(apiServer, portFromEnv('PORT', 4000), '127.0.0.1', 'API');
const apiUrl = `http://127.0.0.1:${apiPort}`;
Object.assign(config, { api: apiUrl, ws: `ws://127.0.0.1:${apiPort}/ws`, pageOrigin, foreignOrigin });

console.log(`cors-safety demo
  API, with WebSocket at /ws   ${apiUrl}   (allows only ${pageOrigin})
  page (allowed origin)        ${pageOrigin}
  foreign page (denied)        ${foreignOrigin}

Open ${pageOrigin}
(The CorsSafetyWarning about mount order is expected: the /early/ API mounts express.json()
before corsSafety() on purpose, to show that corsErrorHandler() still makes its 400 readable.)
Ctrl-C to stop.`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const client of wss.clients) client.terminate();
  wss.close();
  const servers = [apiServer, pageServer, foreignServer, ...(ipv6 === undefined ? [] : [ipv6])];
  let open = servers.length;
  for (const server of servers) {
    server.closeAllConnections();
    server.close(() => {
      open -= 1;
      if (open === 0) {
        console.log('demo stopped');
        process.exit(0);
      }
    });
  }
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
