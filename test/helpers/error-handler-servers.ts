/**
 * Shared fixtures for the corsErrorHandler() tests: Express 4 and 5 apps on 127.0.0.1:0, a
 * fetch with a timeout, a raw node:http client for what fetch cannot do (chunked uploads,
 * aborts, reading a reset), and a capture of the `cors-safety:error` debug namespace.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import createDebug from 'debug';
import express, { type Express } from 'express';

const require = createRequire(import.meta.url);
// `express4` is the npm alias of Express 4 and ships no types; the API used here is shared with 5.
const express4 = require('express4') as typeof express;

/** The page origin every test policy allows. */
export const ALLOWED = 'http://app.test:5173';
/** A well-formed origin no test policy allows. */
export const DENIED = 'https://evil.test';

/** Per-request limit: every fetch and raw request is aborted after this long. */
export const REQUEST_TIMEOUT_MS = 5000;
/** Per-test limit, passed as `{ timeout }` to every test. */
export const TEST_TIMEOUT_MS = 15_000;

export interface Flavor {
  readonly name: 'Express 4' | 'Express 5';
  readonly major: 4 | 5;
  create(): Express;
  json(options?: { limit?: string | number }): express.RequestHandler;
}

export const FLAVORS: readonly Flavor[] = [
  { name: 'Express 4', major: 4, create: () => express4(), json: (options) => express4.json(options) },
  { name: 'Express 5', major: 5, create: () => express(), json: (options) => express.json(options) },
];

import { listen as listenOnLoopback, type Running } from './listen.js';

export type { Running };

/** Serves `handler` on 127.0.0.1:0; `close()` also drops keep-alive connections. */
export function listen(handler: http.RequestListener): Promise<Running> {
  return listenOnLoopback(http.createServer(handler));
}

/** Starts `app`, runs `body` against its URL and always closes the server. */
export async function withServer(app: http.RequestListener, body: (url: string) => Promise<void>): Promise<void> {
  const running = await listen(app);
  try {
    await body(running.url);
  } finally {
    await running.close();
  }
}

/** fetch() with a timeout and, by default, no connection reuse between tests. */
export function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
}

/** Names of every `Access-Control-*` header in a fetch or node:http response. */
export function accessControlNames(headers: Headers | IncomingHttpHeaders): string[] {
  const names = headers instanceof Headers ? [...headers.keys()] : Object.keys(headers);
  return names.filter((name) => name.toLowerCase().startsWith('access-control-')).sort();
}

export interface RawResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Written one after the other; `chunkDelayMs` apart when given. */
  chunks?: readonly (string | Buffer)[];
  chunkDelayMs?: number;
  /** Leave the request body unfinished (no `end()`), e.g. to abort it later. */
  keepOpen?: boolean;
}

/**
 * A node:http request that resolves with the complete response, or rejects with the socket
 * error (e.g. ECONNRESET) if the server drops the connection. Always times out.
 */
export function rawRequest(
  url: string,
  options: RawRequest = {},
): { response: Promise<RawResponse>; request: http.ClientRequest } {
  const target = new URL(options.path ?? '/', url);
  const request = http.request(target, {
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    agent: false,
    timeout: REQUEST_TIMEOUT_MS,
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    request.on('timeout', () => request.destroy(new Error('raw request timed out')));
    request.on('error', reject);
    request.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(parts).toString('utf8'),
        }),
      );
    });
  });
  void (async () => {
    for (const [i, chunk] of (options.chunks ?? []).entries()) {
      if (i > 0 && options.chunkDelayMs !== undefined) await delay(options.chunkDelayMs);
      if (request.destroyed) return;
      request.write(chunk);
    }
    if (options.keepOpen !== true && !request.destroyed) request.end();
  })();
  return { response, request };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `predicate()` is true, polling every 5 ms; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await delay(5);
  }
}

/**
 * Enables the `cors-safety:error` debug namespace and collects its formatted lines until
 * `stop()` restores the previous state.
 */
export function captureDebug(namespaces = 'cors-safety:error'): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const previousLog = createDebug.log;
  const previous = createDebug.disable();
  createDebug.enable(namespaces);
  createDebug.log = (...args: unknown[]) => {
    lines.push(format(...args));
  };
  return {
    lines,
    stop() {
      createDebug.log = previousLog;
      createDebug.enable(previous);
    },
  };
}

/** Collects what is written to process.stderr while `body` runs (corsErrorHandler()'s 5xx lines). */
export async function captureStderr(body: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  try {
    await body();
  } finally {
    process.stderr.write = original;
  }
  return chunks.join('');
}
