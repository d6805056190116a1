/**
 * The demo behind `npm start`: started as a child process on free ports, checked over HTTP and
 * WebSocket, then loaded in Chromium, Firefox and WebKit (each skipped loudly when missing, required
 * in CI), where every row of its table must show the expected result.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { describeEngines, type EngineName } from '../helpers/engines.js';
import { CONSOLE, NETWORK_ERROR } from '../browser/page-calls.js';
import { assertBuilt, assertGranted, assertNotGranted, killAll, request, startProgram, type Program } from './child.js';
import { scaled } from '../helpers/time.js';

const SUITE = 'test/examples/demo.test.ts';

/** Each row of the demo's table: its id, and what its "saw" cell must contain in `engine`. */
const ROWS = (engine: EngineName): readonly (readonly [string, RegExp])[] => [
  ['ok', /^200 \{"ok":true,"received":\{"hello":"world"\}\}/],
  ['malformed', /^400 \{"error":\{"status":400,/],
  ['unauthorized', /^401 \{"error":\{"status":401,"message":"token expired"\}\}/],
  ['forbidden', /^403 \{"error":\{"status":403,"message":"admins only"\}\}/],
  ['not-found', /^404 \{"error":\{"status":404,"message":"Not Found"\}\}/],
  ['too-large', /^413 \{"error":\{"status":413,"message":"request entity too large"\}\}/],
  ['rate-limited', /^429 [^\n]*\nRetry-After: 30$/],
  ['crash', /^500 \{"error":\{"status":500,"message":"Internal Server Error"\}\}$/],
  ['early-parser', /^400 \{"error":\{"status":400,/],
  ['method-refused', new RegExp(`^network error: ${escape(NETWORK_ERROR[engine])}$`)],
  ['header-refused', new RegExp(`^network error: ${escape(NETWORK_ERROR[engine])}$`)],
  ['denied-origin', new RegExp(`^network error: ${escape(NETWORK_ERROR[engine])}$`)],
  ['ws-allowed', /^open → sent "hello" → received "echo: hello" → closed 1000$/],
  ['ws-denied', /^error → closed 1006\nserver logged: origin-not-allowed$/],
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bits of the DOM the page functions use (tsconfig has no DOM library). */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
type PageGlobal = { readonly document: PageElement & { readonly body: PageElement } };

/** What a row of the demo's table shows. */
interface Row {
  readonly id: string;
  readonly state: string;
  readonly saw: string;
}

function connect(url: string, origin: string): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { origin, handshakeTimeout: scaled(5000) });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

describe('examples/demo/server.mjs (npm start)', { timeout: scaled(60_000) }, () => {
  let demo: Program;
  let pageOrigin: string;
  let api: string;
  let foreignOrigin: string;

  before(async () => {
    assertBuilt(['corsSafety', 'corsErrorHandler', 'notFound', 'createCorsPolicy', 'upgradeGuard']);
    demo = await startProgram(
      'examples/demo/server.mjs',
      { PORT: '0', PAGE_PORT: '0', FOREIGN_PORT: '0' },
      /Open (http:\/\/localhost:(\d+))/,
    );
    pageOrigin = demo.url;
    api =
      /API, with WebSocket at \/ws\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(demo.output())?.[1] ??
      assert.fail(`no API URL in:\n${demo.output()}`);
    foreignOrigin =
      /foreign page \(denied\)\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(demo.output())?.[1] ??
      assert.fail(`no foreign URL in:\n${demo.output()}`);
  });
  after(async () => {
    await demo?.stop();
    killAll();
  });

  it('prints the three URLs, with free ports when asked for port 0', () => {
    for (const url of [pageOrigin, api, foreignOrigin]) assert.doesNotMatch(url, /:(0|4000|4001|4002)$/);
    assert.match(demo.output(), new RegExp(`allows only ${pageOrigin}`));
  });

  it('serves the page and its config on the page origin', async () => {
    const page = await request(`http://127.0.0.1:${new URL(pageOrigin).port}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /cors-safety demo/);
    const config = JSON.parse((await request(`${foreignOrigin}/config.json`)).body) as Record<string, string>;
    assert.deepEqual(config, { api, ws: `${api.replace('http:', 'ws:')}/ws`, pageOrigin, foreignOrigin });
  });

  it('API: the page origin reads errors with the grant; the foreign origin gets a 403 preflight and nothing', async () => {
    const unauthorized = await request(`${api}/api/private`, {
      method: 'POST',
      headers: { Origin: pageOrigin, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(unauthorized.status, 401);
    assertGranted(unauthorized, pageOrigin, true);
    const early = await request(`${api}/early/echo`, {
      method: 'POST',
      headers: { Origin: pageOrigin, 'Content-Type': 'application/json' },
      body: '{"a":',
    });
    assert.equal(early.status, 400);
    assertGranted(early, pageOrigin, true);
    const crash = await request(`${api}/api/crash`, { method: 'POST', headers: { Origin: pageOrigin } });
    assert.equal(crash.status, 500);
    assert.ok(!crash.body.includes('hunter2'));
    const preflight = await request(`${api}/api/echo`, {
      method: 'OPTIONS',
      headers: {
        Origin: foreignOrigin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    assert.equal(preflight.status, 403);
    assertNotGranted(preflight);
  });

  it('WebSocket: open for the page origin, 403 for the foreign origin with the reason printed', async () => {
    const ws = `${api.replace('http:', 'ws:')}/ws`;
    assert.equal(await connect(ws, pageOrigin), 'open');
    assert.equal(await connect(ws, foreignOrigin), 403);
    await demo.waitForOutput(
      new RegExp(`handshake from ${foreignOrigin.replace(/\./g, '\\.')} refused: origin-not-allowed`),
      scaled(5000),
    );
  });

  describeEngines(SUITE, 'the page in a real browser', { timeout: scaled(120_000) }, (run) => {
    run.it('every row of the table shows the expected result', () =>
      run.withTab(`${pageOrigin}/`, async (tab) => {
        const deadline = Date.now() + scaled(30_000);
        while (
          (await tab.evaluate(
            () => (globalThis as unknown as PageGlobal).document.body.dataset.state ?? '',
            undefined,
          )) !== 'done'
        ) {
          if (Date.now() > deadline) assert.fail('the demo page never finished its cases');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const { rows, summary } = await tab.evaluate(() => {
          const { document } = globalThis as unknown as PageGlobal;
          return {
            rows: [...document.querySelectorAll('tr[data-case]')].map((element): Row => ({
              id: element.dataset.case ?? '',
              state: element.dataset.state ?? '',
              saw: element.querySelector('.saw .mono')?.textContent ?? '',
            })),
            summary: document.querySelector('#summary')?.textContent ?? '',
          };
        }, undefined);
        const expected = ROWS(run.engine);
        assert.deepEqual(
          rows.map((row) => row.id),
          expected.map(([id]) => id),
        );
        for (const [id, pattern] of expected) {
          const row = rows.find((candidate) => candidate.id === id);
          assert.ok(row !== undefined);
          assert.equal(row.state, 'pass', `row ${id}: ${row.saw}`);
          assert.match(row.saw, pattern, `row ${id}`);
          assert.ok(!row.saw.includes('hunter2'), `row ${id} leaks the secret`);
        }
        assert.match(summary, /14 of 14 cases behave as expected/);
        // The refused preflights: the engine names the method and the header (see test/browser).
        for (const [kind, detail] of [
          ['method', 'PUT'],
          ['header', ''],
        ] as const) {
          const pattern = CONSOLE[kind][run.engine];
          if (pattern !== undefined)
            assert.ok(
              tab.console.some((line) => pattern(detail).test(line.text)),
              tab.console.map((line) => line.text).join('\n'),
            );
        }
      }),
    );
  });

  it('stops cleanly on SIGTERM (as on Ctrl-C)', async () => {
    assert.deepEqual(await demo.stop(), { code: 0, signal: null });
    assert.match(demo.output(), /demo stopped/);
  });
});
