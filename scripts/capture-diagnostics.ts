/**
 * Makes the fixtures of `cors-safety doctor --console` and `--har` with a real browser: Debian's
 * Chromium (driven by playwright-core) opens a page on one origin that calls an API on another,
 * once per failure the doctor must name, and this records
 *
 *   test/fixtures/diagnose/chromium-console.txt  the console lines, as a user would copy them;
 *   test/fixtures/diagnose/chromium.har          a HAR 1.2 log built from the DevTools protocol's
 *                                                Network events the way DevTools' HAR exporter
 *                                                builds one (sanitized: no cookies, no Authorization).
 *
 * Ports and times are replaced by fixed values so the files do not change from run to run.
 * Run: node --import tsx scripts/capture-diagnostics.ts
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';

const OUT = new URL('../test/fixtures/diagnose/', import.meta.url);
/** The fixed ports written into the fixtures. */
const PAGE_PORT = 5173;
const API_PORT = 3000;

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => void;

const nginxBody = (status: number, text: string): string =>
  `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n`;

/** One route per failure; `call` is what the page runs (its fetch or WebSocket). */
const SCENARIOS: { path: string; call: string; handler: Handler }[] = [
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

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

interface CdpEvent {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

async function main(): Promise<void> {
  const api = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const scenario = SCENARIOS.find((s) => s.path === path);
    if (scenario === undefined) res.writeHead(404).end();
    else scenario.handler(req, res, req.headers.origin ?? '');
  });
  const wss = new WebSocketServer({
    noServer: true,
  });
  api.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const apiPort = await listen(api);
  const page = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>page</title>');
  });
  const pagePort = await listen(page);
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const apiBase = `http://localhost:${apiPort}`;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const context = await browser.newContext();
  const tab = await context.newPage();
  const consoleLines: string[] = [];
  tab.on('console', (message) => {
    if (message.type() === 'error') consoleLines.push(message.text());
  });
  const cdp = await context.newCDPSession(tab);
  const events: CdpEvent[] = [];
  for (const name of [
    'Network.requestWillBeSent',
    'Network.requestWillBeSentExtraInfo',
    'Network.responseReceived',
    'Network.responseReceivedExtraInfo',
    'Network.loadingFailed',
    'Network.loadingFinished',
    'Network.webSocketCreated',
    'Network.webSocketWillSendHandshakeRequest',
    'Network.webSocketHandshakeResponseReceived',
    'Network.webSocketFrameError',
  ] as const) {
    cdp.on(name, (params: unknown) => events.push({ method: name, params: params as Record<string, unknown> }));
  }
  await cdp.send('Network.enable');
  await tab.goto(`${pageOrigin}/`);
  for (const scenario of SCENARIOS) {
    await tab.evaluate(
      `(async () => { const API = ${JSON.stringify(apiBase)}; try { await ${scenario.call}; } catch {} })()`,
    );
  }
  // Let the last events arrive.
  await tab.waitForTimeout(500);
  await browser.close();
  api.close();
  wss.close();
  page.close();

  const fix = (text: string): string =>
    text.replaceAll(`:${pagePort}`, `:${PAGE_PORT}`).replaceAll(`:${apiPort}`, `:${API_PORT}`);
  writeFileSync(new URL('chromium-console.txt', OUT), `${consoleLines.map(fix).join('\n')}\n`);
  const { buildHar } = await import('./har-from-cdp.js');
  const har = buildHar(events, browser.version());
  writeFileSync(new URL('chromium.har', OUT), `${fix(JSON.stringify(har, null, 2))}\n`);
  process.stdout.write(`wrote ${consoleLines.length} console lines and ${har.log.entries.length} HAR entries\n`);
}

await main();
