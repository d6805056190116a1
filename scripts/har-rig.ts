/**
 * The page and API servers the HAR fixtures are recorded against (scripts/capture-devtools-har.ts
 * for Chromium, scripts/capture-firefox-har.ts for Firefox): a page on one origin that sets a
 * cookie, makes a same-origin call with `Authorization` (fake values, so an unsanitized export has
 * both), then calls an API on another origin once per failure of scripts/diagnose-scenarios.ts, one
 * call every 150 ms, then one to a port nothing listens on (a failure that is not CORS), and finally
 * sets its title to `ALLDONE`. `/start?wait=MS` opens the page after
 * MS milliseconds, `/ready` is an empty answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SCENARIOS, scenarioApi } from './diagnose-scenarios.js';

/** The fixed ports written into the fixtures instead of the random ones. */
const PAGE_PORT = 5173;
const API_PORT = 3000;
const DOWN_PORT = 3001;
const PUBLIC_PAGE_PORT = 5174;
/** Fake secrets: an unsanitized export holds them, the doctor must never print them. */
export const FIXTURE_COOKIE = 'session=FIXTURE-COOKIE-VALUE';
export const FIXTURE_TOKEN = 'Bearer FIXTURE-TOKEN-VALUE';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function pageScript(apiBase: string, downBase: string): string {
  const calls = SCENARIOS.map((scenario) => `async () => ${scenario.call}`).join(',\n');
  return `const API = ${JSON.stringify(apiBase)};
  (async () => {
    // The body is read: DevTools exports only finished requests, and an unread body never finishes.
    await fetch('/me', { headers: { Authorization: ${JSON.stringify(FIXTURE_TOKEN)} } }).then((r) => r.text(), () => {});
    for (const call of [${calls}]) {
      try { await call(); } catch (e) {}
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    // Not CORS: nothing listens there (the console still prints a CORS-looking error in some engines).
    await fetch(${JSON.stringify(downBase)} + '/down').catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    document.title = 'ALLDONE';
  })();`;
}

/** The running rig. */
export interface HarRig {
  /** The page with every scenario, `http://127.0.0.1:PORT/`. */
  readonly pageUrl: string;
  /**
   * A page named `app.example.test` (map it to 127.0.0.1 in the browser) that makes one call to the
   * API on `localhost`: with its address space overridden to public, Chrome's Local Network Access
   * blocks the call before it is sent.
   */
  readonly publicPageUrl: string;
  readonly publicPagePort: number;
  /** Puts the fixed ports into a recorded text. */
  readonly fix: (text: string) => string;
  readonly close: () => void;
}

/** Starts the servers on loopback ports. */
export async function harRig(): Promise<HarRig> {
  const api = scenarioApi();
  const apiPort = await listen(api);
  const apiBase = `http://localhost:${apiPort}`;
  // A port nothing listens on: taken, then closed.
  const down = http.createServer();
  const downPort = await listen(down);
  await new Promise((resolve) => down.close(resolve));
  const page = http.createServer((req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.url?.startsWith('/start') === true) {
      // A first page that opens the real one after `?wait=` ms: a navigation the tools see begin.
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      const wait = "Number(new URLSearchParams(location.search).get('wait'))";
      res.end(
        `<!doctype html><title>start</title><script>setTimeout(() => { location.href = '/'; }, ${wait});</script>`,
      );
      return;
    }
    if (req.url === '/me' || req.url === '/ready') {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"user":"fixture"}');
      return;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Set-Cookie', `${FIXTURE_COOKIE}; Path=/; HttpOnly; SameSite=Lax`);
    res.end(
      `<!doctype html><title>page</title><script>${pageScript(apiBase, `http://localhost:${downPort}`)}</script>`,
    );
  });
  const pagePort = await listen(page);
  const publicPage = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    const call = `fetch(${JSON.stringify(`${apiBase}/lna`)}).catch(() => {}).then(() => { document.title = 'ALLDONE'; })`;
    res.end(`<!doctype html><title>public page</title><script>${call}</script>`);
  });
  const publicPagePort = await listen(publicPage);
  return {
    pageUrl: `http://127.0.0.1:${pagePort}/`,
    publicPageUrl: `http://app.example.test:${publicPagePort}/`,
    publicPagePort,
    fix: (text) =>
      text
        .replaceAll(`:${pagePort}`, `:${PAGE_PORT}`)
        .replaceAll(`:${apiPort}`, `:${API_PORT}`)
        .replaceAll(`:${downPort}`, `:${DOWN_PORT}`)
        .replaceAll(`:${publicPagePort}`, `:${PUBLIC_PAGE_PORT}`),
    close: () => {
      api.close();
      page.close();
      publicPage.close();
    },
  };
}
