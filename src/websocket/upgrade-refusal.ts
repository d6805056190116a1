/**
 * Answers a refused upgrade on the raw socket, modelled on websockets/ws `abortHandshake()`: a
 * complete HTTP/1.1 response with `Connection: close` and `Content-Length`, written with `end()`,
 * the socket destroyed once the write has finished, or after a timeout if it never does.
 */
import type { Duplex } from 'node:stream';
import { logUpgrade } from '../shared/log.js';

/**
 * Statuses the upgrade guard answers with.
 *
 * @example
 * ```ts
 * upgradeGuard(policy, onAllowed, { onReject: ({ status }) => refusals.inc({ status: String(status ?? 'closed') }) });
 * ```
 */
export type UpgradeRefusalStatus = 400 | 403 | 404;

const REASON_PHRASES: Readonly<Record<UpgradeRefusalStatus, string>> = Object.freeze({
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
});

/**
 * Precomputed responses. The body is the reason phrase only: nothing from the request is echoed,
 * so a refusal can neither reflect markup nor tell a probing site which rule matched.
 */
const RESPONSES: Readonly<Record<UpgradeRefusalStatus, string>> = Object.freeze(
  Object.fromEntries(
    ([400, 403, 404] as const).map((status) => {
      const body = REASON_PHRASES[status];
      return [
        status,
        `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ];
    }),
  ) as Record<UpgradeRefusalStatus, string>,
);

/**
 * The reason phrase of a refusal status (RFC 9110 §15), also used as the response body.
 *
 * @example
 * ```ts
 * reasonPhrase(403); // 'Forbidden'
 * ```
 */
export function reasonPhrase(status: UpgradeRefusalStatus): string {
  return REASON_PHRASES[status];
}

/**
 * `error` listener for an upgrade socket: an unhandled `error` event would crash the process,
 * and a socket that errored is of no further use. Shared, so attaching it allocates nothing.
 *
 * @example
 * ```ts
 * socket.on('error', destroyOnError); // first thing in an upgrade listener
 * ```
 */
export function destroyOnError(this: Duplex, err: Error): void {
  logUpgrade('socket error: %s', (err as NodeJS.ErrnoException).code ?? err.name);
  this.destroy();
}

/**
 * Attaches {@link destroyOnError} once per socket (a socket handed from one guard to another
 * through `unmatchedPath` keeps a single listener). Call it before any async work: an `error`
 * with no listener would crash the process. Counting this one listener copies nothing and adds
 * no property to the socket.
 */
export function attachErrorListener(socket: Duplex): void {
  if (socket.listenerCount('error', destroyOnError) === 0) socket.on('error', destroyOnError);
}

/**
 * Removes {@link destroyOnError} once something else listens for `error` (ws does as soon as
 * it takes the socket over), so the socket's owner handles its errors alone.
 */
export function releaseErrorListener(socket: Duplex): void {
  if (socket.listenerCount('error') > socket.listenerCount('error', destroyOnError))
    socket.removeListener('error', destroyOnError);
}

/**
 * True when the client can no longer receive an answer or complete a handshake: the socket was
 * destroyed, or either direction is closed (a client that sent FIN has given up on the request).
 *
 * @example
 * ```ts
 * if (socketGone(socket)) return socket.destroy();
 * ```
 */
export function socketGone(socket: Duplex): boolean {
  return socket.destroyed || !socket.readable || !socket.writable;
}

/**
 * Writes the refusal and closes the socket. If the client is already gone nothing is written and
 * the socket is destroyed; otherwise the socket is destroyed after `finish`, or after `timeoutMs`
 * if the client does not read the response. Returns whether a response was written.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket) => {
 *   socket.on('error', destroyOnError);
 *   refuseUpgrade(socket, 403, 5000);
 * });
 * ```
 */
export function refuseUpgrade(socket: Duplex, status: UpgradeRefusalStatus, timeoutMs: number): boolean {
  if (socketGone(socket)) {
    socket.destroy();
    return false;
  }
  const timer = setTimeout(() => {
    logUpgrade('refusal %d not written within %d ms: socket destroyed', status, timeoutMs);
    socket.destroy();
  }, timeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.end(RESPONSES[status]);
  return true;
}
