/**
 * HTTP clients for the middleware suites: `fetch` for ordinary requests, `node:http` when a
 * test needs the raw header lines or duplicate request headers, and a raw socket for bytes
 * no client library will send (CR, LF, NUL in a header value).
 */
import http from 'node:http';
import net from 'node:net';
import { scaled } from './time.js';

/** Every request gives up after this long, so a hanging response fails the test instead of the run. */
export const REQUEST_TIMEOUT_MS = scaled(5000);

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export interface CallOptions {
  readonly method?: string;
  readonly origin?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A request with `fetch`; `origin` is sent as the `Origin` header. */
export async function call(url: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin !== undefined) headers.Origin = options.origin;
  const init: RequestInit = {
    method: options.method ?? 'GET',
    headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (options.body !== undefined) init.body = options.body;
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** A CORS preflight with `fetch`. */
export function preflight(url: string, origin: string, method: string, requestHeaders?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'Access-Control-Request-Method': method };
  if (requestHeaders !== undefined) headers['Access-Control-Request-Headers'] = requestHeaders;
  return call(url, { method: 'OPTIONS', origin, headers });
}

/** Names of the `Access-Control-*` response headers, lowercase and sorted. */
export function accessControlNames(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => name.startsWith('access-control-')).sort();
}

/** Comma-separated header value as a list of trimmed items (`null` for an absent header). */
export function list(value: string | null): string[] | null {
  return value === null
    ? null
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

export interface RawReply {
  readonly status: number;
  /** Name/value pairs exactly as they came over the wire. */
  readonly rawHeaders: readonly string[];
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A request with `node:http`: a header whose value is an array is sent as that many header
 * lines (fetch would join them). No connection reuse.
 */
export function rawCall(
  url: string,
  method: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.on('timeout', () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** How many header lines named `name` (any case) a raw reply carries. */
export function headerLineCount(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === name.toLowerCase()) count++;
  return count;
}

/**
 * Writes `request` (complete HTTP/1.1 bytes) to a fresh socket and returns everything the
 * server sends until it closes the connection.
 */
export function rawSocket(url: string, request: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

/** The header block of a raw response, lowercase names mapped to every value they had. */
export function parseRawHead(response: string): { status: number; headers: Map<string, string[]> } {
  const end = response.indexOf('\r\n\r\n');
  const lines = (end < 0 ? response : response.slice(0, end)).split('\r\n');
  const status = Number((lines[0] ?? '').split(' ')[1]);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status, headers };
}
