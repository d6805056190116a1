/**
 * The failures the `doctor --console` and `--har` fixtures are made of: one API route per failure
 * and the call a page makes to it. Shared by scripts/capture-diagnostics.ts (Chromium console),
 * scripts/capture-consoles.ts (Firefox and WebKit console text) and scripts/har-rig.ts (the HARs
 * exported by Chromium's DevTools and by Firefox).
 */
import http from 'node:http';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => void;

const nginxBody = (status: number, text: string): string =>
  `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n`;

/** One route per failure; `call` is what the page runs (its fetch or WebSocket). */
export const SCENARIOS: { path: string; call: string; handler: Handler }[] = [
  {
    path: '/error-401',
    call: "fetch(API + '/error-401', { credentials: 'include' })",
    handler: (_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}');
    },
  },
  {
    path: '/nginx-502',
    call: "fetch(API + '/nginx-502')",
    handler: (_req, res) => {
      res.writeHead(502, 'Bad Gateway', { Server: 'nginx/1.22.1', 'Content-Type': 'text/html' });
      res.end(nginxBody(502, 'Bad Gateway'));
    },
  },
  {
    path: '/duplicate',
    call: "fetch(API + '/duplicate')",
    handler: (_req, res, origin) => {
      res.setHeader('Access-Control-Allow-Origin', [origin, origin]);
      res.end('ok');
    },
  },
  {
    path: '/mismatch',
    call: "fetch(API + '/mismatch')",
    handler: (_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', 'http://localhost:5173');
      res.end('ok');
    },
  },
  {
    path: '/wildcard-credentials',
    call: "fetch(API + '/wildcard-credentials', { credentials: 'include' })",
    handler: (_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('ok');
    },
  },
  {
    path: '/no-credentials',
    call: "fetch(API + '/no-credentials', { credentials: 'include' })",
    handler: (_req, res, origin) => {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.end('ok');
    },
  },
  {
    path: '/preflight-401',
    call: "fetch(API + '/preflight-401', { method: 'PUT', headers: { 'Content-Type': 'application/json' } })",
    handler: (_req, res) => {
      res.writeHead(401).end();
    },
  },
  {
    path: '/preflight-redirect',
    call: "fetch(API + '/preflight-redirect', { method: 'DELETE' })",
    handler: (req, res) => {
      res.writeHead(301, { Location: `${req.url ?? '/'}/` }).end();
    },
  },
  {
    path: '/method',
    call: "fetch(API + '/method', { method: 'PATCH' })",
    handler: (req, res, origin) => {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS') res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.writeHead(req.method === 'OPTIONS' ? 204 : 200).end();
    },
  },
  {
    path: '/header',
    call: "fetch(API + '/header', { headers: { 'X-Tenant': 'acme' } })",
    handler: (req, res, origin) => {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS') res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
      res.writeHead(req.method === 'OPTIONS' ? 204 : 200).end();
    },
  },
  {
    path: '/list',
    call: "fetch(API + '/list')",
    handler: (_req, res, origin) => {
      res.setHeader('Access-Control-Allow-Origin', `${origin}, https://admin.example.com`);
      res.end('ok');
    },
  },
  {
    path: '/ws',
    call: "new Promise((resolve) => { const ws = new WebSocket(API.replace('http', 'ws') + '/ws'); ws.onerror = ws.onclose = resolve; })",
    handler: (_req, res) => {
      res.writeHead(426).end();
    },
  },
];

/**
 * The API server of the scenarios: each path answers as its scenario does, anything else 404, and
 * every WebSocket handshake is refused with a 403. Not listening yet.
 */
export function scenarioApi(): http.Server {
  const api = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const scenario = SCENARIOS.find((s) => s.path === path || `${s.path}/` === path);
    if (scenario === undefined) res.writeHead(404).end();
    else scenario.handler(req, res, req.headers.origin ?? '');
  });
  api.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return api;
}
