/**
 * What Chromium, Firefox and WebKit print to the console for each common CORS and WebSocket
 * failure (issue #24): the source of the "Browsers" table in docs/troubleshooting.md. A page runs
 * its failing requests on load and logs `ALLDONE`; every engine's lines are matched against
 * WORDING. Chromium and Firefox are read through their drivers; WebKit through MiniBrowser run by
 * itself with its console written out (WebKitWebDriver cannot read it: helpers/browser-webkit.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { EngineName } from '../helpers/engines.js';
import { describeEngines } from '../helpers/engines.js';
import { consoleFindings } from '../../src/cli/console-findings.js';
import { parseConsole } from '../../src/cli/console-input.js';
import type { FindingCode } from '../../src/cli/findings.js';
import { webkitConsole, webkitEngine, webkitInspectorLine } from '../helpers/browser-webkit.js';
import { requiredBrowserMessage } from '../helpers/browsers.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { startApis, type Apis } from './servers.js';

const SUITE = 'test/browser/console-wording.test.ts';

type Failure = 'missing-grant' | 'mismatch' | 'preflight-403' | 'method' | 'header' | 'credentials' | 'ws-403';

/** Which page (allowed or denied origin) makes each failing call. */
const PAGE_OF: Readonly<Record<Failure, 'allowed' | 'denied'>> = {
  'missing-grant': 'denied',
  mismatch: 'allowed',
  'preflight-403': 'denied',
  method: 'allowed',
  header: 'allowed',
  credentials: 'allowed',
  'ws-403': 'denied',
};

/** The line each engine prints (docs/troubleshooting.md quotes them). */
const WORDING: Readonly<Record<Failure, Readonly<Record<EngineName, RegExp>>>> = {
  'missing-grant': {
    Chromium:
      /has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource\./,
    Firefox: /\(Reason: CORS header ‘Access-Control-Allow-Origin’ missing\)\. Status code: 404\./,
    WebKit: /Origin http:\/\/127\.0\.0\.1:\d+ is not allowed by Access-Control-Allow-Origin\. Status code: 404/,
  },
  mismatch: {
    Chromium:
      /The 'Access-Control-Allow-Origin' header has a value 'http:\/\/example\.com' that is not equal to the supplied origin\./,
    Firefox: /\(Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘http:\/\/example\.com’\)\./,
    WebKit: /Origin http:\/\/localhost:\d+ is not allowed by Access-Control-Allow-Origin\. Status code: 200/,
  },
  'preflight-403': {
    Chromium:
      /Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header/,
    Firefox: /\(Reason: CORS header ‘Access-Control-Allow-Origin’ missing\)\. Status code: 403\./,
    WebKit: /Preflight response is not successful\. Status code: 403/,
  },
  method: {
    Chromium: /Method PUT is not allowed by Access-Control-Allow-Methods in preflight response\./,
    Firefox: /\(Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’\)\./,
    WebKit: /Method PUT is not allowed by Access-Control-Allow-Methods\./,
  },
  header: {
    Chromium:
      /Request header field x-not-allowed is not allowed by Access-Control-Allow-Headers in preflight response\./,
    Firefox:
      /\(Reason: header ‘x-not-allowed’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response\)\./,
    WebKit: /Request header field X-Not-Allowed is not allowed by Access-Control-Allow-Headers\./,
  },
  credentials: {
    Chromium:
      /The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'\./,
    Firefox: /\(Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’\)\./,
    WebKit: /Credentials flag is true, but Access-Control-Allow-Credentials is not "true"\./,
  },
  'ws-403': {
    Chromium:
      /WebSocket connection to 'ws:\/\/[^']+' failed: Error during WebSocket handshake: Unexpected response code: 403/,
    Firefox: /Firefox can’t establish a connection to the server at ws:\/\/\S+\./,
    WebKit: /WebSocket connection to 'ws:\/\/[^']+' failed: The server did not accept the WebSocket handshake\./,
  },
};

/**
 * The finding `cors-safety doctor --console` must name for each engine's line (among the findings
 * of the message: WebKit's one message for a missing and a mismatched grant yields both).
 */
const DOCTOR_CODE: Readonly<Record<Failure, Readonly<Record<EngineName, FindingCode>>>> = {
  'missing-grant': { Chromium: 'no-allow-origin', Firefox: 'no-allow-origin', WebKit: 'no-allow-origin' },
  mismatch: { Chromium: 'allow-origin-mismatch', Firefox: 'allow-origin-mismatch', WebKit: 'allow-origin-mismatch' },
  // Chromium names the missing header of the preflight; Firefox and WebKit its status.
  'preflight-403': { Chromium: 'no-allow-origin', Firefox: 'preflight-status', WebKit: 'preflight-status' },
  method: { Chromium: 'method-not-allowed', Firefox: 'method-not-allowed', WebKit: 'method-not-allowed' },
  header: { Chromium: 'header-not-allowed', Firefox: 'header-not-allowed', WebKit: 'header-not-allowed' },
  credentials: {
    Chromium: 'credentials-not-allowed',
    Firefox: 'credentials-not-allowed',
    WebKit: 'credentials-not-allowed',
  },
  'ws-403': { Chromium: 'ws-refused', Firefox: 'ws-refused', WebKit: 'ws-refused' },
};

let page: Running;
let apis: Apis;
let mismatch: Running;
let noCredentials: Running;

/** The page's script: the failing calls of its origin, one after another, then `ALLDONE`. */
function pageScript(which: 'allowed' | 'denied'): string {
  const json = `{ Authorization: 'Bearer t', 'Content-Type': 'application/json' }`;
  const calls =
    which === 'allowed'
      ? [
          `fetch('${apis.api.url}/echo', { method: 'PUT', credentials: 'include', headers: ${json}, body: '{}' })`,
          `fetch('${apis.api.url}/echo', { method: 'POST', credentials: 'include', headers: Object.assign(${json}, { 'X-Not-Allowed': '1' }), body: '{}' })`,
          `fetch('${mismatch.url}/')`,
          `fetch('${noCredentials.url}/', { credentials: 'include' })`,
        ]
      : [
          `fetch('${apis.api.url}/echo', { method: 'POST', credentials: 'include', headers: ${json}, body: '{}' })`,
          `fetch('${apis.api.url}/nowhere')`,
          `new Promise((resolve) => { const s = new WebSocket('ws://127.0.0.1:${apis.api.port}/ws'); s.onclose = resolve; })`,
        ];
  return `(async () => {
    for (const call of [${calls.map((call) => `() => ${call}`).join(', ')}]) {
      try { await call(); } catch (e) { console.log('rejected: ' + e); }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log('ALLDONE');
  })();`;
}

before(async () => {
  page = await listen(
    http.createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      const which = req.url === '/?denied' ? 'denied' : 'allowed';
      res.end(`<!doctype html><title>console wording</title><script>${pageScript(which)}</script>`);
    }),
  );
  apis = await startApis(`http://localhost:${page.port}`);
  mismatch = await listen(
    http.createServer((_req, res) => res.setHeader('Access-Control-Allow-Origin', 'http://example.com').end('x')),
  );
  noCredentials = await listen(
    http.createServer((req, res) => res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '').end('x')),
  );
});

after(async () => {
  await Promise.all([apis?.close(), page?.close(), mismatch?.close(), noCredentials?.close()]);
});

const pageUrl = (which: 'allowed' | 'denied'): string =>
  which === 'allowed' ? `http://localhost:${page.port}/` : `http://127.0.0.1:${page.port}/?denied`;

/** Each failure's line is there, and `doctor --console` names it right from the engine's real text. */
function assertWording(engine: EngineName, which: 'allowed' | 'denied', lines: readonly string[]): void {
  const messages = parseConsole(lines.join('\n'));
  for (const [failure, pages] of Object.entries(PAGE_OF) as [Failure, 'allowed' | 'denied'][]) {
    if (pages !== which) continue;
    assert.ok(
      lines.some((line) => WORDING[failure][engine].test(line)),
      `${engine}, ${failure}: no line matching ${String(WORDING[failure][engine])}; got:\n${lines.join('\n')}`,
    );
    const message = messages.find((m) => WORDING[failure][engine].test(m.quote));
    const codes = message === undefined ? [] : consoleFindings(message).map((finding) => finding.code);
    assert.ok(
      codes.includes(DOCTOR_CODE[failure][engine]),
      `${engine}, ${failure}: doctor --console named ${codes.join(', ') || 'nothing'}, not ${DOCTOR_CODE[failure][engine]}`,
    );
  }
}

describeEngines(SUITE, 'console wording', { timeout: scaled(120_000), only: ['Chromium', 'Firefox'] }, (run) => {
  for (const which of ['allowed', 'denied'] as const)
    run.it(`what the ${which} page's failures print`, () =>
      run.withTab(pageUrl(which), async (tab) => {
        const deadline = Date.now() + scaled(30_000);
        while (!tab.console.some((line) => line.text === 'ALLDONE') && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        assertWording(
          run.engine,
          which,
          tab.console.map((line) => line.text),
        );
      }),
    );
});

describe('console wording [WebKit]', { timeout: scaled(120_000) }, () => {
  const support = webkitEngine(SUITE);
  if (support.required && support.missing !== undefined) {
    const missing = support.missing;
    it('WebKit is available (CORS_SAFETY_REQUIRE_BROWSER=1)', () =>
      assert.fail(requiredBrowserMessage('WebKit', missing)));
  }
  for (const which of ['allowed', 'denied'] as const)
    it(`what the ${which} page's failures print [WebKit]`, { skip: support.skip }, async () => {
      const lines = await webkitConsole(support, pageUrl(which), /CONSOLE LOG ALLDONE/);
      assertWording(
        'WebKit',
        which,
        lines.flatMap((line) => webkitInspectorLine(line) ?? []),
      );
    });
});
