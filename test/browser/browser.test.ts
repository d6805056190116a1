/**
 * Real-browser proof (issue #6): headless Chromium loads a page from one origin and calls an API
 * on another, and the tests assert what the page's own JavaScript sees. Origins:
 * - allowed page: `http://localhost:<pagePort>` (the only origin in the policy);
 * - API: `http://127.0.0.1:<apiPort>` (a different host name and port: cross-origin);
 * - denied pages: `http://127.0.0.1:<foreignPort>` and `http://127.0.0.1:<pagePort>` (same port
 *   as the allowed page, but `localhost` and `127.0.0.1` are distinct origins to a browser).
 *
 * Without Chromium these tests are skipped with a loud warning; with
 * `CORS_SAFETY_REQUIRE_BROWSER=1` (CI) they fail instead.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { format } from 'node:util';
import { after, before, describe, it } from 'node:test';
import createDebug from 'debug';
import type { Browser, Page } from 'playwright-core';
import {
  chromiumSupport,
  launchChromium,
  openPage,
  requiredBrowserMessage,
  type CollectingPage,
  type ConsoleLine,
} from '../helpers/browser-chromium.js';
import {
  BODY_LIMIT,
  SECRET,
  startApis,
  startPageServers,
  type Apis,
  type PageApi,
  type Running,
  type SocketOutcome,
} from './servers.js';
import { scaled } from '../helpers/time.js';

const support = chromiumSupport('test/browser/browser.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

/** `it`, skipped (and counted as skipped by the runner) when Chromium is missing and not required. */
function browserIt(name: string, fn: () => Promise<void> | void): void {
  it(name, { skip }, fn);
}

/** `before` for a group that needs the browser: not run when the tests are skipped. */
function browserBefore(fn: () => Promise<void>): void {
  before(async () => {
    if (skip === false) await fn();
  });
}

/** One request the API server received, and how it answered. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: string | undefined;
  status?: number;
  allowOrigin?: string | number | string[] | undefined;
}

/** What the page's `fetch` ended in. */
type FetchOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly text: string;
      readonly body: unknown;
      readonly retryAfter: string | null;
    }
  | { readonly kind: 'error'; readonly error: string };

interface FetchCall {
  readonly url: string;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/**
 * Runs `fetch` inside the page, with `credentials: 'include'`. Only what the page's script can
 * observe comes back: status, body text and exposed headers, or the error it was rejected with.
 */
function pageFetch(page: Page, call: FetchCall): Promise<FetchOutcome> {
  return page.evaluate(async ({ url, method, body, headers }: FetchCall): Promise<FetchOutcome> => {
    try {
      const init: RequestInit = {
        method: method ?? 'POST',
        credentials: 'include',
        headers: headers ?? { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      };
      if (body !== undefined) init.body = body;
      const response = await fetch(url, init);
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      return {
        kind: 'response',
        status: response.status,
        text,
        body: parsed,
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (err) {
      return { kind: 'error', error: String(err) };
    }
  }, call);
}

function trySocket(page: Page, url: string, text: string): Promise<SocketOutcome> {
  return page.evaluate(({ url, text }) => (globalThis as unknown as PageApi).trySocket(url, text), { url, text });
}

/** Waits for a console line matching `pattern` (the browser prints CORS errors a moment after the rejection). */
async function consoleLine(lines: readonly ConsoleLine[], pattern: RegExp, timeoutMs = scaled(3000)): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.find((line) => pattern.test(line.text));
    if (found !== undefined) return found.text;
    if (Date.now() > deadline)
      assert.fail(
        `no console line matching ${String(pattern)}; got:\n${lines.map((line) => `  ${line.type}: ${line.text}`).join('\n')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function assertResponse(outcome: FetchOutcome): asserts outcome is Extract<FetchOutcome, { kind: 'response' }> {
  assert.equal(outcome.kind, 'response', `expected the page to read a response, got ${JSON.stringify(outcome)}`);
}

function assertNetworkError(outcome: FetchOutcome): void {
  // Chromium's wording of the rejection: the page learns nothing else, by design of the Fetch standard.
  assert.deepEqual(outcome, { kind: 'error', error: 'TypeError: Failed to fetch' });
}

if (support.required) {
  it('Chromium is available (CORS_SAFETY_REQUIRE_BROWSER=1)', () => {
    if (support.missing !== undefined) assert.fail(requiredBrowserMessage(support));
  });
}

describe('in headless Chromium', { timeout: scaled(60_000) }, () => {
  let browser: Browser;
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
    if (skip !== false) return;
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    // Capture the guard's debug log: "the server logs the reason" is part of the contract.
    previousDebug = createDebug.disable();
    createDebug.enable('cors-safety:upgrade');
    createDebug.log = (...args: unknown[]) => {
      debugLines.push(format(...args));
    };
    pages = await startPageServers();
    allowedUrl = `http://localhost:${pages.allowed.port}/`;
    apis = await startApis(`http://localhost:${pages.allowed.port}`, recordRequests);
    browser = await launchChromium(support.executablePath);
  });

  after(async () => {
    if (skip !== false) return;
    createDebug.log = originalDebugLog;
    createDebug.enable(previousDebug);
    await browser?.close();
    await apis?.close();
    await pages?.close();
  });

  describe('an allowed page reads every status with credentials and Authorization', () => {
    let tab: CollectingPage;
    browserBefore(async () => {
      tab = await openPage(browser, allowedUrl);
    });
    after(() => tab?.context.close());

    browserIt('200: the JSON body, after a real preflight for Authorization', async () => {
      const outcome = await pageFetch(tab.page, {
        url: `${apis.api.url}/echo`,
        body: JSON.stringify({ hello: 'world' }),
      });
      assertResponse(outcome);
      assert.equal(outcome.status, 200);
      assert.deepEqual(outcome.body, { ok: true, authorization: 'Bearer t', received: { hello: 'world' } });
    });

    browserIt('400 from express.json() on a malformed body', async () => {
      const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/echo`, body: '{"hello":' });
      assertResponse(outcome);
      assert.equal(outcome.status, 400);
      const body = outcome.body as { error: { status: number; message: string } };
      assert.equal(body.error.status, 400);
      // The parser's message quotes the body: the standard message is sent instead.
      assert.equal(body.error.message, 'Bad Request');
    });

    browserIt('401 written by an auth check that ends the response itself', async () => {
      const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/private`, body: '{}' });
      assertResponse(outcome);
      assert.equal(outcome.status, 401);
      assert.deepEqual(outcome.body, { error: { status: 401, message: 'invalid token' } });
    });

    browserIt('403 passed to next(err) and rendered by corsErrorHandler()', async () => {
      const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/admin`, body: '{}' });
      assertResponse(outcome);
      assert.equal(outcome.status, 403);
      assert.deepEqual(outcome.body, { error: { status: 403, message: 'admins only' } });
    });

    browserIt('404 from notFound()', async () => {
      const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/nowhere`, body: '{}' });
      assertResponse(outcome);
      assert.equal(outcome.status, 404);
      assert.deepEqual(outcome.body, { error: { status: 404, message: 'Not Found' } });
    });

    browserIt('413 from express.json() over its limit', async () => {
      const outcome = await pageFetch(tab.page, {
        url: `${apis.api.url}/echo`,
        body: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) }),
      });
      assertResponse(outcome);
      assert.equal(outcome.status, 413);
      assert.deepEqual(outcome.body, { error: { status: 413, message: 'request entity too large' } });
    });

    browserIt('429 with an exposed Retry-After the page can read', async () => {
      const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/limited`, body: '{}' });
      assertResponse(outcome);
      assert.equal(outcome.status, 429);
      assert.deepEqual(outcome.body, { error: { status: 429, message: 'slow down' } });
      assert.equal(outcome.retryAfter, '30');
    });

    browserIt(
      '500 from a thrown error: readable status, generic message, the secret never reaches the page',
      async () => {
        const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/crash`, body: '{}' });
        assertResponse(outcome);
        assert.equal(outcome.status, 500);
        assert.deepEqual(outcome.body, { error: { status: 500, message: 'Internal Server Error' } });
        assert.ok(!outcome.text.includes('hunter2') && !outcome.text.includes(SECRET), outcome.text);
      },
    );

    browserIt(
      '400 and 413 from a body parser mounted BEFORE corsSafety(), made readable by corsErrorHandler()',
      async () => {
        const malformed = await pageFetch(tab.page, { url: `${apis.early.url}/echo`, body: '{"hello":' });
        assertResponse(malformed);
        assert.equal(malformed.status, 400);
        assert.equal((malformed.body as { error: { status: number } }).error.status, 400);
        const large = await pageFetch(tab.page, {
          url: `${apis.early.url}/echo`,
          body: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) }),
        });
        assertResponse(large);
        assert.equal(large.status, 413);
        const ok = await pageFetch(tab.page, { url: `${apis.early.url}/echo`, body: '{"a":1}' });
        assertResponse(ok);
        assert.deepEqual(ok.body, { ok: true, received: { a: 1 } });
      },
    );

    browserIt(
      'the browser really sent preflights asking for Authorization, and every actual response granted the page origin',
      () => {
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
      },
    );
  });

  describe('a preflight for a method or header the policy does not allow fails, and Chromium names the cause', () => {
    let tab: CollectingPage;
    browserBefore(async () => {
      tab = await openPage(browser, allowedUrl);
    });
    after(() => tab?.context.close());

    // corsSafety() answers such a preflight with the origin granted and the configured lists, so
    // Chromium reports the real cause. Chromium's wording since ~2019: "Method PUT is not allowed
    // by Access-Control-Allow-Methods in preflight response." / "Request header field x-not-allowed
    // is not allowed by Access-Control-Allow-Headers in preflight response." The assertions keep
    // to the stable part: the name and "is not allowed by Access-Control-Allow-...".
    for (const method of ['PUT', 'PROPFIND']) {
      browserIt(
        `${method} (not in methods): fetch rejects, the console names the method, the request is never sent`,
        async () => {
          const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/echo`, method, body: '{}' });
          assertNetworkError(outcome);
          const line = await consoleLine(
            tab.console,
            new RegExp(`Method ${method} is not allowed by Access-Control-Allow-Methods`),
          );
          assert.doesNotMatch(line, /No 'Access-Control-Allow-Origin' header/);
          assert.ok(
            seen.some((entry) => entry.method === 'OPTIONS' && entry.url === '/echo'),
            'the preflight did not reach the API',
          );
          assert.ok(!seen.some((entry) => entry.method === method), `the ${method} itself must not be sent`);
        },
      );
    }

    browserIt('X-Not-Allowed (not in allowedHeaders): fetch rejects, the console names the header', async () => {
      const outcome = await pageFetch(tab.page, {
        url: `${apis.api.url}/echo`,
        body: '{}',
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json', 'X-Not-Allowed': '1' },
      });
      assertNetworkError(outcome);
      const line = await consoleLine(
        tab.console,
        /Request header field x-not-allowed is not allowed by Access-Control-Allow-Headers/i,
      );
      assert.doesNotMatch(line, /No 'Access-Control-Allow-Origin' header/);
    });
  });

  describe('a denied origin gets only the network error', () => {
    for (const which of [
      'another port (127.0.0.1:<foreignPort>)',
      'the same port by IP (127.0.0.1:<pagePort>), since localhost and 127.0.0.1 are distinct origins',
    ]) {
      browserIt(`credentialed POST from ${which}: fetch rejects, preflight refused with 403 and no grant`, async () => {
        const port = which.startsWith('another') ? pages.foreign.port : pages.allowed.port;
        const origin = `http://127.0.0.1:${port}`;
        const tab = await openPage(browser, `${origin}/`);
        try {
          const before = seen.length;
          const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/echo`, body: '{"hello":"world"}' });
          assertNetworkError(outcome);
          await consoleLine(tab.console, /has been blocked by CORS policy/);
          const mine = seen.slice(before);
          const preflight = mine.find((entry) => entry.method === 'OPTIONS');
          assert.ok(preflight !== undefined, 'the preflight did not reach the API');
          assert.equal(preflight.status, 403);
          assert.equal(preflight.allowOrigin, undefined);
          assert.ok(!mine.some((entry) => entry.method === 'POST'), 'the POST itself must not be sent');
        } finally {
          await tab.context.close();
        }
      });
    }

    browserIt('a simple GET (no preflight) reaches the server, but the page cannot read the answer', async () => {
      const tab = await openPage(browser, `http://127.0.0.1:${pages.foreign.port}/`);
      try {
        const before = seen.length;
        const outcome = await pageFetch(tab.page, { url: `${apis.api.url}/nowhere`, method: 'GET', headers: {} });
        assertNetworkError(outcome);
        const get = seen.slice(before).find((entry) => entry.method === 'GET');
        assert.ok(get !== undefined, 'the GET did not reach the API');
        assert.equal(get.status, 404);
        assert.equal(get.allowOrigin, undefined, 'a denied origin must get no Access-Control-Allow-Origin');
      } finally {
        await tab.context.close();
      }
    });
  });

  describe('WebSocket through upgradeGuard()', () => {
    browserIt('from the allowed page: opens and exchanges a message', async () => {
      const tab = await openPage(browser, allowedUrl);
      try {
        const outcome = await trySocket(tab.page, `ws://127.0.0.1:${apis.api.port}/ws`, 'hello');
        assert.deepEqual(outcome, { events: ['open', 'message:echo:hello', 'close'], closeCode: 1000 });
      } finally {
        await tab.context.close();
      }
    });

    browserIt('from a denied page: fails without opening; the guard reports and logs origin-not-allowed', async () => {
      const origin = `http://127.0.0.1:${pages.foreign.port}`;
      const tab = await openPage(browser, `${origin}/`);
      try {
        const outcome = await trySocket(tab.page, `ws://127.0.0.1:${apis.api.port}/ws`, 'hello');
        assert.ok(!outcome.events.includes('open'), JSON.stringify(outcome));
        assert.deepEqual(outcome.events, ['error', 'close']);
        assert.equal(outcome.closeCode, 1006);
        // Chromium: "WebSocket connection to '...' failed: Error during WebSocket handshake:
        // Unexpected response code: 403". The status is the stable part.
        await consoleLine(tab.console, /WebSocket connection to .* failed.*403/);
        assert.deepEqual(apis.rejections.at(-1), { reason: 'origin-not-allowed', origin });
        assert.ok(
          debugLines.some(
            (line) =>
              line.includes('cors-safety:upgrade') && line.includes('origin-not-allowed') && line.includes(origin),
          ),
          `no cors-safety:upgrade log line names the reason:\n${debugLines.join('\n')}`,
        );
      } finally {
        await tab.context.close();
      }
    });
  });
});
