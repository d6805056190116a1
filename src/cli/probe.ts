/**
 * The doctor's only network code: one HTTP/1.1 exchange per call over node:http / node:https.
 *
 * Not `fetch()`: it refuses to set `Origin`, follows redirects and merges duplicate header
 * lines. Here the headers are sent as given, `res.rawHeaders` keeps duplicates, redirects are
 * returned as they are, and every exchange has a deadline.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ResponseSnapshot } from './cors-check.js';
import type { RawHeaders } from './headers.js';
import { pairsFromRawHeaders } from './headers.js';

/** One request to send. */
export interface OutgoingRequest {
  readonly method: string;
  /** `http:`, `https:`, `ws:` or `wss:` (WebSocket URLs are sent over HTTP(S)). */
  readonly url: URL;
  readonly headers: RawHeaders;
  readonly timeoutMs: number;
  /** Read the start of the body (at most {@link MAX_BODY_BYTES}) into the snapshot's `body`. */
  readonly readBody?: boolean | undefined;
  /** The request body to send (with its `Content-Length`). */
  readonly body?: Uint8Array | undefined;
  /**
   * The address to connect to instead of resolving the URL's host (curl's `--resolve`); `Host`
   * and the TLS server name stay the URL's.
   */
  readonly connectAddress?: string | undefined;
}

/**
 * A transport that connects every request to `address` (curl's `--resolve host:port:address`).
 *
 * @example
 * ```ts
 * const staging = connectingTo(nodeTransport, '10.0.0.5');
 * ```
 */
export function connectingTo(transport: Transport, address: string | undefined): Transport {
  if (address === undefined) return transport;
  return {
    request: (req) => transport.request({ ...req, connectAddress: address }),
    upgrade: (req) => transport.upgrade({ ...req, connectAddress: address }),
  };
}

/** How much of a body the doctor reads when asked (an engine.io handshake is about 120 bytes). */
export const MAX_BODY_BYTES = 4096;

/** A WebSocket handshake's outcome: the response, and whether the connection was upgraded. */
export interface UpgradeSnapshot extends ResponseSnapshot {
  readonly upgraded: boolean;
  /** The `Sec-WebSocket-Key` that was sent, to verify `Sec-WebSocket-Accept`. */
  readonly key: string;
}

/** How the doctor reaches the network; tests substitute a fake. */
export interface Transport {
  request(req: OutgoingRequest): Promise<ResponseSnapshot>;
  upgrade(req: OutgoingRequest): Promise<UpgradeSnapshot>;
}

/**
 * The probe itself failed (DNS, refused connection, TLS, timeout): nothing can be said about
 * CORS. `message` is one line meant for the user; there is never a stack trace to print.
 */
export class ProbeError extends Error {
  /** `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, ... or `EPROBE` when unknown. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects (autoSelectFamily) fail with an AggregateError of per-address errors.
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const innerCode = errorCode(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns a socket/DNS/TLS error into one line: `cannot reach <url>: <reason>`.
 *
 * @example
 * ```ts
 * describeNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), new URL('http://127.0.0.1:1/'));
 * // ProbeError: cannot reach http://127.0.0.1:1/: connection refused (ECONNREFUSED)
 * ```
 */
export function describeNetworkError(err: unknown, url: URL): ProbeError {
  if (err instanceof ProbeError) return err;
  const code = errorCode(err) ?? 'EPROBE';
  let reason: string;
  switch (code) {
    case 'ECONNREFUSED':
      reason = 'connection refused';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      reason = `DNS lookup failed for ${url.hostname}`;
      break;
    case 'ECONNRESET':
    case 'EPIPE':
      reason = 'the server closed the connection before answering';
      break;
    case 'ETIMEDOUT':
      reason = 'connection timed out';
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      reason = 'host unreachable';
      break;
    default:
      if (code.startsWith('HPE_')) reason = `invalid HTTP response (${errorMessage(err)})`;
      else if (/CERT|TLS|SSL|EPROTO/.test(code)) {
        reason = `TLS error: ${errorMessage(err)} (if your browser trusts this certificate through a local CA such as mkcert, set NODE_EXTRA_CA_CERTS to that CA file)`;
      } else reason = errorMessage(err);
  }
  return new ProbeError(code, `cannot reach ${url.href}: ${reason} (${code})`);
}

function transportFor(url: URL): typeof http | typeof https {
  return url.protocol === 'https:' || url.protocol === 'wss:' ? https : http;
}

/** The request headers as an object without a prototype: `-H 'constructor: x'` and `-H '__proto__: x'` are plain names. */
function headerObject(headers: RawHeaders): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of headers) {
    const existing = out[name];
    out[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  return out;
}

/**
 * Sends one request and resolves with the status and raw headers as soon as they arrive.
 * The body is drained briefly and then the connection is closed, so a streaming response
 * cannot keep the process alive. Rejects with a `ProbeError`, never anything else.
 */
function exchange<T>(
  req: OutgoingRequest,
  onUpgrade: ((res: http.IncomingMessage) => T) | null,
  onResponse: (res: http.IncomingMessage) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { url } = req;
    let settled = false;
    let outgoing: http.ClientRequest | undefined;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing?.destroy();
      reject(describeNetworkError(err, url));
    };
    const timer = setTimeout(() => {
      fail(new ProbeError('ETIMEDOUT', `cannot reach ${url.href}: no response within ${req.timeoutMs} ms (ETIMEDOUT)`));
    }, req.timeoutMs);
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const headers = headerObject(req.headers);
    if (req.connectAddress !== undefined) headers.Host = url.host;
    if (req.body !== undefined) headers['Content-Length'] = String(req.body.byteLength);
    try {
      outgoing = transportFor(url).request({
        protocol: url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol,
        hostname: req.connectAddress ?? hostname,
        ...(req.connectAddress === undefined || isIP(hostname) !== 0 ? {} : { servername: hostname }),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        agent: false,
      });
    } catch (err) {
      // Invalid header characters and the like throw synchronously.
      fail(err);
      return;
    }
    // Node's client upper-cases every method in the ClientRequest constructor, but a browser
    // sends `patch` exactly as the page wrote it (Fetch §2.2.1 upper-cases only six methods).
    // The request line is written from `method` at end(), so restore the method as given.
    if (outgoing.method !== req.method) outgoing.method = req.method;
    outgoing.on('error', fail);
    outgoing.on('response', (res) => {
      res.on('error', () => undefined);
      if (settled) {
        res.destroy();
        return;
      }
      // An error's body is read too: it tells who made the error (a proxy's default error page).
      const errorStatus = (res.statusCode ?? 0) >= 400;
      if (req.readBody === true || errorStatus) {
        // A body that does not end by itself (a stream) is cut short; what came so far is kept.
        if (req.readBody !== true) {
          const drain = setTimeout(() => res.destroy(), 200);
          res.once('close', () => clearTimeout(drain));
        }
        readBodyStart(res, (body) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ...onResponse(res), body });
        });
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(onResponse(res));
      res.resume();
      // Close the connection shortly if the body does not end by itself (e.g. a stream).
      const drain = setTimeout(() => res.destroy(), 200);
      res.once('close', () => clearTimeout(drain));
    });
    outgoing.on('upgrade', (res, socket) => {
      socket.on('error', () => undefined);
      socket.destroy();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (onUpgrade) resolve(onUpgrade(res));
      else reject(new ProbeError('EPROBE', `cannot reach ${url.href}: unexpected protocol upgrade`));
    });
    outgoing.end(req.body);
  });
}

/** Collects the body up to MAX_BODY_BYTES, then closes the response; calls `done` once. */
function readBodyStart(res: http.IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (): void => {
    done(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'));
    res.destroy();
  };
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY_BYTES) finish();
  });
  res.once('end', finish);
  res.once('close', finish);
}

function snapshot(res: http.IncomingMessage): ResponseSnapshot {
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: pairsFromRawHeaders(res.rawHeaders),
  };
}

/** RFC 6455 §4.2.2: the `Sec-WebSocket-Accept` a server must answer for `key`. */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A fresh `Sec-WebSocket-Key` (RFC 6455 §4.1: 16 random bytes, base64). */
export function websocketKey(): string {
  return randomBytes(16).toString('base64');
}

/** The real transport over node:http / node:https. */
export const nodeTransport: Transport = {
  request(req) {
    return exchange(req, null, snapshot);
  },
  upgrade(req) {
    const key = req.headers.find(([name]) => name.toLowerCase() === 'sec-websocket-key')?.[1] ?? '';
    return exchange<UpgradeSnapshot>(
      req,
      (res) => ({ ...snapshot(res), upgraded: true, key }),
      (res) => ({ ...snapshot(res), upgraded: false, key }),
    );
  },
};
