/**
 * The test pages of the socket.io browser tests: a page on its own loopback server that loads the
 * real socket.io-client bundle and a helper script, and `trySocketIo()` to run the helper in it.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { CollectingPage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';

/** socket.io-client's browser bundle, served to the test pages. */
const CLIENT_BUNDLE = readFileSync(
  new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url),
);

/**
 * The page's helper: connects with `options`, sends one `echo` with an ack and, on the default
 * transports, waits for the upgrade first. Resolves with what the page's script saw.
 */
export const PAGE_SCRIPT = `
window.trySocketIo = (url, options) => new Promise((resolve) => {
  const socket = io(url, Object.assign({ reconnection: false, forceNew: true, timeout: ${scaled(10_000)} }, options));
  const timer = setTimeout(() => { socket.close(); resolve({ kind: 'timeout' }); }, ${scaled(20_000)});
  let first = '';
  socket.io.on('open', () => { first = socket.io.engine.transport.name; });
  socket.on('connect', () => {
    const engine = socket.io.engine;
    const echo = () => socket.emit('echo', 'hello', (reply) => {
      clearTimeout(timer);
      const last = engine.transport.name;
      socket.close();
      resolve({ kind: 'connected', first, last, reply });
    });
    if (options.transports === undefined && engine.transport.name === 'polling') engine.once('upgrade', echo);
    else echo();
  });
  socket.on('connect_error', (err) => { clearTimeout(timer); socket.close(); resolve({ kind: 'error', message: err.message }); });
});
`;

export type PageOutcome =
  | { kind: 'connected'; first: string; last: string; reply: unknown }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' };

/** A page server for the socket.io tests; `extraScript` adds helpers of the calling test to the page. */
export function startPage(extraScript = ''): Promise<Running> {
  return listen(
    http.createServer((req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      if (req.url === '/socket.io.min.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(CLIENT_BUNDLE);
        return;
      }
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        '<!doctype html><html><head><meta charset="utf-8"><title>socket.io test</title>' +
          `<script src="/socket.io.min.js"></script></head><body><script>${PAGE_SCRIPT}${extraScript}</script></body></html>`,
      );
    }),
  );
}

export function trySocketIo(tab: CollectingPage, url: string, options: Record<string, unknown>): Promise<PageOutcome> {
  return tab.page.evaluate(
    ({ url, options }) =>
      (
        globalThis as unknown as { trySocketIo: (u: string, o: Record<string, unknown>) => Promise<PageOutcome> }
      ).trySocketIo(url, options),
    { url, options },
  );
}
