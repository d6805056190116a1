/**
 * Makes the Chromium fixture of `cors-safety doctor --console` with a real browser: Debian's
 * Chromium (driven by playwright-core) opens a page on one origin that calls an API on another,
 * once per failure the doctor must name, and this records
 *
 *   test/fixtures/diagnose/chromium-console.txt  the console lines, as a user would copy them.
 *
 * (The HAR fixtures come from the browsers' own exporters: scripts/capture-devtools-har.ts and
 * scripts/capture-firefox-har.ts.) Ports are replaced by fixed values so the file does not change
 * from run to run.
 * Run: node --import tsx scripts/capture-diagnostics.ts
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { SCENARIOS } from './diagnose-scenarios.js';

const OUT = new URL('../test/fixtures/diagnose/', import.meta.url);
/** The fixed ports written into the fixtures. */
const PAGE_PORT = 5173;
const API_PORT = 3000;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
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
  process.stdout.write(`wrote ${consoleLines.length} console lines\n`);
}

await main();
