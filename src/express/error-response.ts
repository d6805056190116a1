/**
 * What the error handler sends: the status and message an error may show, its body in JSON or
 * RFC 9457 problem+json, and which of `err.headers` may go with it.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { logError, quoteForLog } from '../shared/log.js';

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
  headers?: unknown;
  stack?: unknown;
  type?: unknown;
  body?: unknown;
}

/**
 * Reads one property of whatever was thrown. Anything can be thrown, including objects with
 * throwing getters or Proxies whose traps throw: such a read counts as absent, so rendering
 * the error never throws a second one.
 */
export function readProperty(err: unknown, key: keyof HttpErrorLike): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  try {
    return (err as HttpErrorLike)[key];
  } catch {
    return undefined;
  }
}

/** finalhandler's rule: `err.status`, then `err.statusCode`, only as an integer 400-599. */
export function errorStatus(err: unknown): number | undefined {
  for (const key of ['status', 'statusCode'] as const) {
    const candidate = readProperty(err, key);
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599)
      return candidate;
  }
  return undefined;
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/**
 * The client-facing message: a 4xx error's own message only when the error says it may be
 * shown (`expose: true`, as http-errors and body-parser set it) and does not quote the request;
 * otherwise, and always for 5xx, the generic status text.
 */
export function publicMessage(err: unknown, status: number): string {
  if (status >= 500 || readProperty(err, 'expose') !== true || quotesRequest(err)) return statusText(status);
  const message = readProperty(err, 'message');
  if (typeof message !== 'string' || message === '') return statusText(status);
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

export function renderBody(
  format: 'json' | 'problem+json',
  status: number,
  message: string,
): { type: string; body: string } {
  if (format === 'problem+json') {
    // RFC 9457 §3.1: "about:blank" with the status text as title; detail only when exposed.
    const problem: Record<string, unknown> = { type: 'about:blank', title: statusText(status), status };
    if (message !== statusText(status)) problem.detail = message;
    return { type: 'application/problem+json; charset=utf-8', body: JSON.stringify(problem) };
  }
  return { type: 'application/json; charset=utf-8', body: JSON.stringify({ error: { status, message } }) };
}

/** What `res.setHeader()` accepts without calling user code later (a toString() at writeHead). */
function isHeaderValue(value: unknown): value is string | number | readonly string[] {
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  );
}

/**
 * Headers that describe another body or another connection, never copied from `err.headers`
 * and removed from a response the error handler takes over:
 * - representation metadata and validators of the failed response (RFC 9110 §8.3-§8.8,
 *   `Content-Disposition` RFC 6266, digests RFC 9530): the error body is a new representation;
 * - framing (`Content-Length`, `Transfer-Encoding`, RFC 9112 §6) and connection-specific fields
 *   (RFC 9110 §7.6.1, RFC 9113 §8.2.2: illegal in HTTP/2): `Connection`, `Keep-Alive`,
 *   `Proxy-Connection`, `TE`, `Trailer`, `Upgrade`, `HTTP2-Settings`.
 */
export const REPLACED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-range',
  'content-disposition',
  'content-digest',
  'repr-digest',
  'digest',
  'etag',
  'last-modified',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
]);

/**
 * Errors whose message quotes what the client sent, by their `type` (body-parser and raw-body):
 * the JSON parser's message quotes the body, the charset and encoding messages quote request
 * headers, a verify function's message is the application's own.
 */
const REQUEST_QUOTING_TYPES: ReadonlySet<string> = new Set([
  'entity.parse.failed',
  'entity.verify.failed',
  'charset.unsupported',
  'encoding.unsupported',
]);

/** True when the error's message may carry request content: a quoting `type`, or the body attached as `body`. */
function quotesRequest(err: unknown): boolean {
  const type = readProperty(err, 'type');
  return (typeof type === 'string' && REQUEST_QUOTING_TYPES.has(type)) || readProperty(err, 'body') !== undefined;
}

/**
 * Copies `err.headers` (Retry-After, WWW-Authenticate...) except any `Access-Control-*` (CORS
 * is the policy's) and the {@link REPLACED_HEADERS}. Invalid names or values are skipped, never thrown.
 */
export function setErrorHeaders(res: ServerResponse, headers: unknown): void {
  let entries: [string, unknown][];
  try {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return;
    entries = Object.entries(headers as Record<string, unknown>);
  } catch {
    logError('ignored err.headers: its entries cannot be read');
    return;
  }
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (lower.startsWith('access-control-') || REPLACED_HEADERS.has(lower)) continue;
    try {
      if (!isHeaderValue(value)) throw new TypeError('not a string, number or list of strings');
      res.setHeader(name, value);
    } catch {
      logError('ignored invalid err.headers entry %s', quoteForLog(name, 40));
    }
  }
}
