/**
 * Makes the Firefox and WebKit fixtures of `cors-safety doctor --console` with the real engines,
 * through the browser-test drivers (test/helpers): the same failures as the Chromium fixture
 * (scripts/diagnose-scenarios.ts), run by a page on one origin against an API on another.
 *
 *   test/fixtures/diagnose/firefox-console.txt  Debian's firefox-esr over WebDriver BiDi
 *                                               (puppeteer-core): the console and page-error text;
 *   test/fixtures/diagnose/webkit-console.txt   WebKitGTK's MiniBrowser with its console written to
 *                                               its output (`webkitConsole()`); MiniBrowser's
 *                                               "CONSOLE <source> <level> " prefix and the source
 *                                               location it appends are replaced by Web Inspector's
 *                                               "[Error] " prefix, as a user copies a line.
 *
 * The page runs every call on load and then logs `ALLDONE` (WebKit's console is read without an
 * automation session, so nothing can be evaluated in it). Ports are replaced by fixed values.
 * Run: node --import tsx scripts/capture-consoles.ts
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { firefoxEngine } from '../test/helpers/browser-firefox.js';
import { webkitConsole, webkitEngine, webkitInspectorLine } from '../test/helpers/browser-webkit.js';
import { SCENARIOS, scenarioApi } from './diagnose-scenarios.js';

const OUT = new URL('../test/fixtures/diagnose/', import.meta.url);
const PAGE_PORT = 5173;
const API_PORT = 3000;
const SUITE = 'scripts/capture-consoles.ts';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function pageScript(apiBase: string): string {
  const calls = SCENARIOS.map((scenario) => `async () => ${scenario.call}`).join(',\n');
  return `const API = ${JSON.stringify(apiBase)};
  (async () => {
    for (const call of [${calls}]) {
      try { await call(); } catch (e) {}
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log('ALLDONE');
  })();`;
}

async function main(): Promise<void> {
  const api = scenarioApi();
  const apiPort = await listen(api);
  const apiBase = `http://localhost:${apiPort}`;
  const page = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(`<!doctype html><title>page</title><script>${pageScript(apiBase)}</script>`);
  });
  const pagePort = await listen(page);
  const pageUrl = `http://127.0.0.1:${pagePort}/`;
  const fix = (text: string): string =>
    text.replaceAll(`:${pagePort}`, `:${PAGE_PORT}`).replaceAll(`:${apiPort}`, `:${API_PORT}`);
  const wanted = process.argv.slice(2);
  try {
    if (wanted.length === 0 || wanted.includes('firefox')) {
      const driver = await firefoxEngine(SUITE).launch();
      try {
        const tab = await driver.open(pageUrl);
        const deadline = Date.now() + 60_000;
        while (!tab.console.some((line) => line.text === 'ALLDONE') && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        const lines = tab.console.filter((line) => line.type === 'error').map((line) => fix(line.text));
        writeFileSync(new URL('firefox-console.txt', OUT), `${lines.join('\n')}\n`);
        process.stdout.write(`firefox: ${lines.length} lines\n`);
      } finally {
        await driver.close();
      }
    }
    if (wanted.length === 0 || wanted.includes('webkit')) {
      const raw = await webkitConsole(webkitEngine(SUITE), pageUrl, /CONSOLE \w+ \w+ ALLDONE/);
      const lines = raw.flatMap((line) => webkitInspectorLine(line) ?? []).map(fix);
      writeFileSync(new URL('webkit-console.txt', OUT), `${lines.join('\n')}\n`);
      process.stdout.write(`webkit: ${lines.length} lines (raw:\n${raw.map(fix).join('\n')})\n`);
    }
  } finally {
    api.close();
    page.close();
  }
}

await main();
