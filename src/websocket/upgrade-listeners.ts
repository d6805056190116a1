/**
 * The server's other `upgrade` listeners: each sees every handshake the guard sees and can
 * complete one it refuses, so the guard warns once per server when there are any.
 */
import type { IncomingMessage } from 'node:http';
import { logUpgrade, warnOnce } from '../shared/log.js';
import { escapeControlCharacters } from '../shared/escape.js';
import type { UpgradeListener } from './upgrade-types.js';

/** The server's other `upgrade` listeners; a guard wrapped in another function counts the wrapper as itself. */
export function otherUpgradeListeners(req: IncomingMessage, guard: UpgradeListener): unknown[] {
  const server = (req.socket as { server?: unknown } | null | undefined)?.server;
  if (typeof server !== 'object' || server === null) return [];
  const listeners = (server as { listeners?: unknown }).listeners;
  if (typeof listeners !== 'function') return [];
  const list = (listeners as (event: string) => unknown).call(server, 'upgrade');
  if (!Array.isArray(list)) return [];
  const others = (list as unknown[]).filter((listener) => listener !== guard);
  if (others.length < list.length) return others;
  // A guard wrapped in another function is not in the list: one other listener is then the
  // wrapper (never ws's own, named `upgrade`), which must not count as another listener.
  const wrapper = others.findIndex((listener) => !isWsServerListener(listener));
  return others.filter((_listener, i) => i !== (wrapper < 0 ? 0 : wrapper));
}

/** ws's `{ server }` mode adds a listener named `upgrade` that completes every handshake it gets. */
function isWsServerListener(listener: unknown): boolean {
  return typeof listener === 'function' && listener.name === 'upgrade';
}

/**
 * Any other `upgrade` listener on the server also sees every handshake, and can complete one the
 * guard refuses (or is still checking). Checked on the first request per server. With `paths`,
 * a listener that serves other paths (socket.io's, for `/socket.io/`) is expected: only ws's
 * `{ server }` listener, which takes every path, is reported then.
 */
export function warnIfBypassed(
  req: IncomingMessage,
  guard: UpgradeListener,
  checked: WeakSet<object>,
  hasPaths: boolean,
): void {
  const server = (req.socket as { server?: unknown } | null | undefined)?.server;
  if (typeof server !== 'object' || server === null || checked.has(server)) return;
  checked.add(server);
  const others = otherUpgradeListeners(req, guard);
  const reported = hasPaths ? others.filter(isWsServerListener) : others;
  if (reported.length === 0) return;
  const names = reported.map((fn) => (typeof fn === 'function' && fn.name !== '' ? fn.name : '(anonymous)')).join(', ');
  const fromWs = reported.some(isWsServerListener);
  const fix = fromWs
    ? "new WebSocketServer({ server }) adds one named 'upgrade': create it with { noServer: true } and call " +
      'wss.handleUpgrade() from onAllowed, or use { server, verifyClient: createVerifyClient(policy) } without the guard.'
    : "socket.io adds one for its own path: give the guard paths (upgradeGuard(policy, onAllowed, { paths: ['/ws'] })) " +
      'so it checks only those and leaves the others to that listener.';
  const message =
    `cors-safety: the server has ${reported.length} other 'upgrade' listener${reported.length === 1 ? '' : 's'} (${names}) besides upgradeGuard(); ` +
    `each receives every handshake and can complete one the guard refuses. ${fix}`;
  logUpgrade('%s', escapeControlCharacters(message));
  warnOnce('CORS_SAFETY_UPGRADE_BYPASS', message);
}
