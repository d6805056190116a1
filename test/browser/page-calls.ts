/**
 * What the browser tests run inside a page, and the per-engine facts they compare it with. The
 * functions passed to `tab.evaluate` are sent as source text: they use nothing from this module.
 */
import assert from 'node:assert/strict';
import type { BrowserTab, EngineName } from '../helpers/engines.js';
import type { PageApi, SocketOutcome } from './servers.js';

/** What the page's `fetch` ended in. */
export type FetchOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly text: string;
      readonly body: unknown;
      readonly retryAfter: string | null;
    }
  | { readonly kind: 'error'; readonly error: string };

/** One `fetch` the page makes, with `credentials: 'include'`. */
export interface FetchCall {
  readonly url: string;
  readonly method?: string;
  readonly body?: string;
  /** Default: `Authorization: Bearer t` and `Content-Type: application/json` (a preflight goes first). */
  readonly headers?: Record<string, string>;
  /** Default `include`. */
  readonly credentials?: 'include' | 'omit' | 'same-origin';
}

/**
 * The TypeError a rejected `fetch` carries in each engine: the page learns nothing else, by
 * design of the Fetch standard.
 */
export const NETWORK_ERROR: Readonly<Record<EngineName, string>> = Object.freeze({
  Chromium: 'TypeError: Failed to fetch',
  Firefox: 'TypeError: NetworkError when attempting to fetch resource.',
  WebKit: 'TypeError: Load failed',
});

/**
 * What each engine prints for each failure (measured here; quoted in docs/troubleshooting.md).
 * WebKit's console cannot be read over WebKitWebDriver (see helpers/browser-webkit.ts).
 */
export const CONSOLE: Readonly<
  Record<'method' | 'header' | 'denied' | 'ws-denied', Partial<Record<EngineName, (detail: string) => RegExp>>>
> = {
  // Chromium: "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."
  method: {
    Chromium: (method) => new RegExp(`Method ${method} is not allowed by Access-Control-Allow-Methods`),
    Firefox: () =>
      /Cross-Origin Request Blocked: .*\(Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’\)/,
  },
  header: {
    Chromium: () => /Request header field x-not-allowed is not allowed by Access-Control-Allow-Headers/i,
    Firefox: () =>
      /Cross-Origin Request Blocked: .*\(Reason: header ‘x-not-allowed’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response\)/,
  },
  denied: {
    Chromium: () => /has been blocked by CORS policy/,
    Firefox: () =>
      /Cross-Origin Request Blocked: .*\(Reason: CORS (header ‘Access-Control-Allow-Origin’ missing|preflight response did not succeed)\)\. Status code: 403\./,
  },
  'ws-denied': {
    // Chromium: "WebSocket connection to '...' failed: Error during WebSocket handshake: Unexpected response code: 403"
    Chromium: () => /WebSocket connection to .* failed.*403/,
    Firefox: () => /Firefox can’t establish a connection to the server at ws:\/\//,
  },
};

/**
 * Runs `fetch` inside the page. Only what the page's script can observe comes back: status, body
 * text and exposed headers, or the error it was rejected with.
 */
export function pageFetch(tab: BrowserTab, call: FetchCall): Promise<FetchOutcome> {
  return tab.evaluate(async ({ url, method, body, headers, credentials }: FetchCall): Promise<FetchOutcome> => {
    try {
      const init: RequestInit = {
        method: method ?? 'POST',
        credentials: credentials ?? 'include',
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

/** Opens a WebSocket from the page (servers.ts's `trySocket`) and reports its events. */
export function trySocket(tab: BrowserTab, url: string, text: string): Promise<SocketOutcome> {
  return tab.evaluate(
    ({ url, text }: { url: string; text: string }) => (globalThis as unknown as PageApi).trySocket(url, text),
    { url, text },
  );
}

export function assertResponse(outcome: FetchOutcome): asserts outcome is Extract<FetchOutcome, { kind: 'response' }> {
  assert.equal(outcome.kind, 'response', `expected the page to read a response, got ${JSON.stringify(outcome)}`);
}

export function assertNetworkError(engine: EngineName, outcome: FetchOutcome): void {
  assert.deepEqual(outcome, { kind: 'error', error: NETWORK_ERROR[engine] });
}
