/**
 * `trustProxy`: which peers may speak for the client through `X-Forwarded-Proto` and
 * `X-Forwarded-Host`. It accepts what Express's `trust proxy` setting accepts and compiles it
 * the same way, through jshttp's `proxy-addr`, once at construction.
 */
import proxyaddr from 'proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { IssueCollector } from '../policy/errors.js';
import { describeValue } from '../policy/option-values.js';

/**
 * What `trustProxy` accepts, as Express's `trust proxy` does: `true` (every peer), `false`
 * (none, the default), a hop count (the closest `n` hops, `X-Forwarded-For` read from the right),
 * an address, a subnet or a name (`'loopback'`, `'linklocal'`, `'uniquelocal'`), a
 * comma-separated string or an array of those, or a function `(address, hop) => boolean`.
 *
 * @example
 * ```ts
 * upgradeGuard(policy, onAllowed, { trustProxy: 'loopback' }); // nginx on the same machine
 * upgradeGuard(policy, onAllowed, { trustProxy: ['10.0.0.0/8', '192.168.1.5'] });
 * ```
 */
export type TrustProxyOption =
  boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** The compiled form: is the peer at `hop` (0 = the socket's peer) a trusted proxy? */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** No peer is trusted (the default). */
export const TRUST_NO_PROXY: ProxyTrust = () => false;
const TRUST_EVERY_PROXY: ProxyTrust = () => true;

const EXAMPLE = "e.g. trustProxy: 'loopback' (a proxy on this machine) or ['10.0.0.0/8']";

/**
 * Compiles a `trustProxy` value like Express's `compileTrust`; problems go to `issues` (and
 * nothing is trusted).
 *
 * @example
 * ```ts
 * const trust = compileTrustProxy('loopback', issues, 'trustProxy');
 * trust('127.0.0.1', 0); // true
 * ```
 */
export function compileTrustProxy(value: unknown, issues: IssueCollector, path: string): ProxyTrust {
  if (value === undefined || value === false) return TRUST_NO_PROXY;
  if (value === true) return TRUST_EVERY_PROXY;
  if (typeof value === 'function') return value as ProxyTrust;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return (_address, hop) => hop < value;
    issues.add(path, 'trust-proxy-invalid', `a hop count must be a whole number of 0 or more, got ${value}`);
    return TRUST_NO_PROXY;
  }
  const list =
    typeof value === 'string'
      ? value.split(',').map((entry) => entry.trim())
      : Array.isArray(value) && value.every((entry) => typeof entry === 'string')
        ? value
        : undefined;
  if (list === undefined) {
    issues.add(
      path,
      'trust-proxy-invalid',
      `must be true, false, a hop count, addresses or subnets, or a function (address, hop) => boolean, got ${describeValue(value)}; ${EXAMPLE}`,
    );
    return TRUST_NO_PROXY;
  }
  try {
    return proxyaddr.compile(list);
  } catch (err) {
    issues.add(
      path,
      'trust-proxy-invalid',
      `${(err as Error).message}; list IP addresses, subnets (10.0.0.0/8) or loopback, linklocal, uniquelocal, ${EXAMPLE}`,
    );
    return TRUST_NO_PROXY;
  }
}

/**
 * True when the request's peer is a trusted proxy, so its `X-Forwarded-*` headers count; this
 * is Express's rule for `req.protocol` and `req.host` (the socket's peer, hop 0). A throwing
 * user function counts as "not trusted".
 *
 * @example
 * ```ts
 * if (peerIsTrustedProxy(req, trust)) scheme = forwardedProto;
 * ```
 */
export function peerIsTrustedProxy(req: IncomingMessage, trust: ProxyTrust | boolean): boolean {
  if (typeof trust === 'boolean') return trust;
  if (trust === TRUST_NO_PROXY) return false;
  if (trust === TRUST_EVERY_PROXY) return true;
  const socket = req.socket as { remoteAddress?: unknown } | null | undefined;
  const address = socket?.remoteAddress;
  if (typeof address !== 'string') return false;
  try {
    return trust(address, 0) === true;
  } catch {
    return false;
  }
}
