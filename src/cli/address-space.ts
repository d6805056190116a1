/**
 * Chrome's Local Network Access (Chrome 142 and later): a page on a public address may reach a
 * local (private) or loopback address only after the user grants a permission. The request is
 * held, or refused, before anything reaches the server, and Private Network Access preflights
 * (`Access-Control-Request-Private-Network`) are no longer sent, so nothing on the server helps.
 */
import { isIP } from 'node:net';
import type { Finding } from './findings.js';

/** The address spaces of the Local Network Access specification, most private first. */
export type AddressSpace = 'loopback' | 'local' | 'public';

function ipv4Space(address: string): AddressSpace {
  const [a = 0, b = 0] = address.split('.').map(Number);
  if (a === 127) return 'loopback';
  // RFC 1918, link-local (RFC 3927) and shared address space (RFC 6598).
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)) {
    return 'local';
  }
  if (a === 100 && b >= 64 && b <= 127) return 'local';
  return 'public';
}

function ipv6Space(address: string): AddressSpace {
  const lower = address.toLowerCase();
  if (lower === '::1') return 'loopback';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1] !== undefined) return ipv4Space(mapped[1]);
  // Unique local fc00::/7 and link-local fe80::/10.
  if (/^f[cd]/.test(lower) || /^fe[89ab]/.test(lower)) return 'local';
  return 'public';
}

/**
 * The address space of a host as written in a URL or origin, or `undefined` when a DNS name does
 * not say (only `localhost`, `*.localhost` and `*.local` do).
 *
 * @example
 * ```ts
 * addressSpaceOf('127.0.0.1'); // 'loopback'
 * addressSpaceOf('192.168.1.10'); // 'local'
 * addressSpaceOf('api.example.com'); // undefined
 * ```
 */
export function addressSpaceOf(host: string): AddressSpace | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return ipv4Space(bare);
  if (family === 6) return ipv6Space(bare);
  const name = bare.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  if (name.endsWith('.local')) return 'local';
  return undefined;
}

/**
 * The finding for a page that calls a more private address space than its own. The page's host
 * counts as public when its name does not say otherwise (a page on a domain name usually is);
 * the target's must be known (an address, `localhost`, or the address given with `--resolve`).
 */
export function localNetworkAccess(pageOrigin: string, targetHost: string, targetAddress?: string): Finding[] {
  let pageHost: string;
  try {
    pageHost = new URL(pageOrigin).hostname;
  } catch {
    return [];
  }
  if (!/^https?:/.test(pageOrigin)) return [];
  const page = addressSpaceOf(pageHost) ?? 'public';
  const target = addressSpaceOf(targetAddress ?? targetHost);
  // Chrome's first milestone covers requests from the public address space only.
  if (target === undefined || page !== 'public' || target === 'public') return [];
  const insecure = pageOrigin.startsWith('http:')
    ? ' The page is not served over https, and only a secure context may ask: this request is refused outright.'
    : '';
  return [
    {
      code: 'local-network-access',
      severity: 'warning',
      step: 'request',
      detail: `${page}-to-${target}`,
      cause:
        `A page in the ${page} address space calls a ${target} address. Chrome's Local Network Access (Chrome 142 and later) ` +
        'holds such a request behind a permission prompt before anything reaches the server; if the user denies it, ' +
        'or the prompt cannot show, the console reports a CORS or network error with no response. Chrome no longer ' +
        'sends Private Network Access preflights, so no server header (allowPrivateNetwork included) changes this. ' +
        `The doctor reached the server directly: its verdict holds once the permission is granted.${insecure}`,
      fix:
        'The fix is on the client side: allow "Local network access" for the page\'s site (the prompt, or the site ' +
        `settings; Chrome's console then says "Permission was denied for this request to access the \`${target}\` ` +
        'address space" when refused); serve the page over https so it can ask; a page inside an iframe also needs allow="local-network-access" on that iframe; managed browsers ' +
        'can allow it by policy (LocalNetworkAccessAllowedForUrls). Or serve the API on the same address space as the page.',
    },
  ];
}
