/**
 * Real-browser proof (issues #6, #24), in Chromium, Firefox and WebKit: a page on one origin
 * calls an API on another, and the tests assert what the page's own JavaScript sees. Origins:
 * - allowed page: `http://localhost:<pagePort>` (the only origin in the policy);
 * - API: `http://127.0.0.1:<apiPort>` (a different host name and port: cross-origin);
 * - denied pages: `http://127.0.0.1:<foreignPort>` and `http://127.0.0.1:<pagePort>` (same port
 *   as the allowed page, but `localhost` and `127.0.0.1` are distinct origins to a browser).
 *
 * Cases are one table (STATUS_CASES, REFUSED_PREFLIGHTS, DENIED_PAGES) run in every engine; what
 * an engine prints is in CONSOLE. A missing engine is skipped with a loud warning; with
 * `CORS_SAFETY_REQUIRE_BROWSER=1` (CI) it fails instead.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { format } from 'node:util';
import { after, before } from 'node:test';
import createDebug from 'debug';
import { consoleLine } from '../helpers/browsers.js';
import { describeEngines, type BrowserTab, type EngineName } from '../helpers/engines.js';
import { scaled } from '../helpers/time.js';
import { assertNetworkError, assertResponse, CONSOLE, pageFetch, trySocket, type FetchCall } from './page-calls.js';
import { BODY_LIMIT, SECRET, startApis, startPageServers, type Apis, type Running } from './servers.js';

const SUITE = 'test/browser/browser.test.ts';

/** One request the API server received, and how it answered. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: string | undefined;
  status?: number;
  allowOrigin?: string | number | string[] | undefined;
}

/** A request from the allowed page whose status and body the page must read. */
interface StatusCase {
  readonly name: string;
  readonly api: 'api' | 'early';
  readonly path: string;
  readonly body: string;
  readonly status: number;
  readonly expected?: unknown;
  readonly retryAfter?: string;
}

const LARGE = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) });

/** Every status an allowed page must be able to read, with credentials and Authorization. */
const STATUS_CASES: readonly StatusCase[] = [
  {
    name: '200: the JSON body, after a real preflight for Authorization',
    api: 'api',
    path: '/echo',
    body: '{"hello":"world"}',
    status: 200,
    expected: { ok: true, authorization: 'Bearer t', received: { hello: 'world' } },
  },
  // The parser's message quotes the body: the standard message is sent instead.
  {
    name: '400 from express.json() on a malformed body',
    api: 'api',
    path: '/echo',
    body: '{"hello":',
    status: 400,
    expected: { error: { status: 400, message: 'Bad Request' } },
  },
  {
    name: '401 written by an auth check that ends the response itself',
    api: 'api',
    path: '/private',
    body: '{}',
    status: 401,
    expected: { error: { status: 401, message: 'invalid token' } },
  },
  {
    name: '403 passed to next(err) and rendered by corsErrorHandler()',
    api: 'api',
    path: '/admin',
    body: '{}',
    status: 403,
    expected: { error: { status: 403, message: 'admins only' } },
  },
  {
    name: '404 from notFound()',
    api: 'api',
    path: '/nowhere',
    body: '{}',
    status: 404,
    expected: { error: { status: 404, message: 'Not Found' } },
  },
  {
    name: '413 from express.json() over its limit',
    api: 'api',
    path: '/echo',
    body: LARGE,
    status: 413,
    expected: { error: { status: 413, message: 'request entity too large' } },
  },
  {
    name: '429 with an exposed Retry-After the page can read',
    api: 'api',
    path: '/limited',
    body: '{}',
    status: 429,
    expected: { error: { status: 429, message: 'slow down' } },
    retryAfter: '30',
  },
  {
    name: '500 from a thrown error: readable status, generic message, the secret never reaches the page',
    api: 'api',
    path: '/crash',
    body: '{}',
    status: 500,
    expected: { error: { status: 500, message: 'Internal Server Error' } },
  },
  {
    name: '400 from a body parser mounted BEFORE corsSafety(), made readable by corsErrorHandler()',
    api: 'early',
    path: '/echo',
    body: '{"hello":',
    status: 400,
  },
  {
    name: '413 from a body parser mounted BEFORE corsSafety(), made readable by corsErrorHandler()',
    api: 'early',
    path: '/echo',
    body: LARGE,
    status: 413,
  },
  {
    name: '200 through the early API',
    api: 'early',
    path: '/echo',
    body: '{"a":1}',
    status: 200,
    expected: { ok: true, received: { a: 1 } },
  },
];

/** Preflights the policy refuses although the origin is allowed. */
const REFUSED_PREFLIGHTS: readonly {
  readonly name: string;
  readonly call: Omit<FetchCall, 'url'>;
  readonly console: 'method' | 'header';
  readonly method?: string;
}[] = [
  { name: 'PUT (not in methods)', call: { method: 'PUT', body: '{}' }, console: 'method', method: 'PUT' },
  {
    name: 'PROPFIND (not in methods)',
    call: { method: 'PROPFIND', body: '{}' },
    console: 'method',
    method: 'PROPFIND',
  },
  {
    name: 'X-Not-Allowed (not in allowedHeaders)',
    call: {
      body: '{}',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json', 'X-Not-Allowed': '1' },
    },
    console: 'header',
  },
];

async function assertConsole(
  engine: EngineName,
  tab: BrowserTab,
  kind: keyof typeof CONSOLE,
  detail = '',
): Promise<string | undefined> {
  const pattern = CONSOLE[kind][engine];
  if (pattern === undefined) return undefined;
  const line = await consoleLine(tab, pattern(detail), scaled(3000));
  if (typeof line !== 'string') assert.fail(line.missing);
  return line;
}

let pages: { allowed: Running; foreign: Running; close(): Promise<void> };
let apis: Apis;
let allowedUrl: string;
const seen: Seen[] = [];
const debugLines: string[] = [];
const originalDebugLog = createDebug.log;
let previousDebug = '';

const recordRequests = (req: IncomingMessage, res: ServerResponse): void => {
  const entry: Seen = {
    method: req.method ?? '',
    url: req.url ?? '',
    requestHeaders: req.headers['access-control-request-headers'],
  };
  seen.push(entry);
  res.on('finish', () => {
    entry.status = res.statusCode;
    entry.allowOrigin = res.getHeader('access-control-allow-origin');
  });
};

before(async () => {
  // Capture the guard's debug log: "the server logs the reason" is part of the contract.
  previousDebug = createDebug.disable();
  createDebug.enable('cors-safety:upgrade');
  createDebug.log = (...args: unknown[]) => {
    debugLines.push(format(...args));
  };
  pages = await startPageServers();
  allowedUrl = `http://localhost:${pages.allowed.port}/`;
  apis = await startApis(`http://localhost:${pages.allowed.port}`, recordRequests);
});

after(async () => {
  createDebug.log = originalDebugLog;
  createDebug.enable(previousDebug);
  await apis?.close();
  await pages?.close();
});

describeEngines(SUITE, 'in a real browser', { timeout: scaled(180_000) }, (run) => {
  const { engine } = run;

  run.before(() => {
    seen.length = 0;
  });

  for (const testCase of STATUS_CASES)
    run.it(`allowed page reads ${testCase.name}`, () =>
      run.withTab(allowedUrl, async (tab) => {
        const base = testCase.api === 'api' ? apis.api.url : apis.early.url;
        const outcome = await pageFetch(tab, { url: `${base}${testCase.path}`, body: testCase.body });
        assertResponse(outcome);
        assert.equal(outcome.status, testCase.status);
        assert.equal((outcome.body as { error?: { status: number } }).error?.status ?? 200, testCase.status);
        if (testCase.expected !== undefined) assert.deepEqual(outcome.body, testCase.expected);
        if (testCase.retryAfter !== undefined) assert.equal(outcome.retryAfter, testCase.retryAfter);
        assert.ok(!outcome.text.includes('hunter2') && !outcome.text.includes(SECRET), outcome.text);
      }),
    );

  run.it('the browser really sent preflights asking for Authorization, and every POST was granted', () => {
    const pageOrigin = `http://localhost:${pages.allowed.port}`;
    const preflights = seen.filter((entry) => entry.method === 'OPTIONS');
    assert.ok(preflights.length > 0, 'no preflight reached the API');
    for (const preflight of preflights) {
      assert.match(preflight.requestHeaders ?? '', /authorization/);
      assert.equal(preflight.status, 204);
    }
    const posts = seen.filter((entry) => entry.method === 'POST');
    assert.ok(posts.length >= 8, `expected the POSTs above, saw ${posts.length}`);
    for (const post of posts)
      assert.equal(post.allowOrigin, pageOrigin, `${post.url} answered ${post.status} without the grant`);
  });

  // corsSafety() answers such a preflight with the origin granted and the configured lists, so
  // the engine reports the real cause rather than a missing grant.
  for (const refused of REFUSED_PREFLIGHTS)
    run.it(`${refused.name}: fetch rejects, the console names the cause, the request is never sent`, () =>
      run.withTab(allowedUrl, async (tab) => {
        const before = seen.length;
        assertNetworkError(engine, await pageFetch(tab, { url: `${apis.api.url}/echo`, ...refused.call }));
        const line = await assertConsole(engine, tab, refused.console, refused.method);
        if (line !== undefined)
          assert.doesNotMatch(line, /No 'Access-Control-Allow-Origin' header|Allow-Origin’ missing/);
        const mine = seen.slice(before);
        assert.ok(
          mine.some((entry) => entry.method === 'OPTIONS' && entry.url === '/echo'),
          'no preflight reached the API',
        );
        assert.ok(!mine.some((entry) => entry.method !== 'OPTIONS'), 'the request itself must not be sent');
      }),
    );

  for (const [which, samePort] of [
    ['another port (127.0.0.1:<foreignPort>)', false],
    ['the same port by IP (127.0.0.1:<pagePort>), since localhost and 127.0.0.1 are distinct origins', true],
  ] as const)
    run.it(
      `denied origin, credentialed POST from ${which}: fetch rejects, preflight refused with 403 and no grant`,
      () =>
        run.withTab(`http://127.0.0.1:${samePort ? pages.allowed.port : pages.foreign.port}/`, async (tab) => {
          const before = seen.length;
          assertNetworkError(engine, await pageFetch(tab, { url: `${apis.api.url}/echo`, body: '{"hello":"world"}' }));
          await assertConsole(engine, tab, 'denied');
          const mine = seen.slice(before);
          const preflight = mine.find((entry) => entry.method === 'OPTIONS');
          assert.ok(preflight !== undefined, 'the preflight did not reach the API');
          assert.equal(preflight.status, 403);
          assert.equal(preflight.allowOrigin, undefined);
          assert.ok(!mine.some((entry) => entry.method === 'POST'), 'the POST itself must not be sent');
        }),
    );

  run.it('denied origin, a simple GET (no preflight) reaches the server, but the page cannot read the answer', () =>
    run.withTab(`http://127.0.0.1:${pages.foreign.port}/`, async (tab) => {
      const before = seen.length;
      assertNetworkError(engine, await pageFetch(tab, { url: `${apis.api.url}/nowhere`, method: 'GET', headers: {} }));
      const get = seen.slice(before).find((entry) => entry.method === 'GET');
      assert.ok(get !== undefined, 'the GET did not reach the API');
      assert.equal(get.status, 404);
      assert.equal(get.allowOrigin, undefined, 'a denied origin must get no Access-Control-Allow-Origin');
    }),
  );

  run.it('WebSocket through upgradeGuard() from the allowed page: opens and exchanges a message', () =>
    run.withTab(allowedUrl, async (tab) => {
      const outcome = await trySocket(tab, `ws://127.0.0.1:${apis.api.port}/ws`, 'hello');
      assert.deepEqual(outcome, { events: ['open', 'message:echo:hello', 'close'], closeCode: 1000 });
    }),
  );

  run.it('WebSocket from a denied page: fails without opening; the guard reports and logs origin-not-allowed', () => {
    const origin = `http://127.0.0.1:${pages.foreign.port}`;
    return run.withTab(`${origin}/`, async (tab) => {
      const outcome = await trySocket(tab, `ws://127.0.0.1:${apis.api.port}/ws`, 'hello');
      assert.deepEqual(outcome, { events: ['error', 'close'], closeCode: 1006 });
      await assertConsole(engine, tab, 'ws-denied');
      assert.deepEqual(apis.rejections.at(-1), { reason: 'origin-not-allowed', origin });
      assert.ok(
        debugLines.some(
          (line) =>
            line.includes('cors-safety:upgrade') && line.includes('origin-not-allowed') && line.includes(origin),
        ),
        `no cors-safety:upgrade log line names the reason:\n${debugLines.join('\n')}`,
      );
    });
  });
});
