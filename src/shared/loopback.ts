/**
 * Loopback hosts: the names that only ever reach this machine. Shared by the policy core
 * (plain http is quiet for them, the development default allows them) and the CLI (two loopback
 * names are different origins, an https page may fetch them). Pure, no Node module.
 */

/**
 * The loopback hosts as they appear in a serialized origin: `localhost`, `127.0.0.1` and `[::1]`
 * (RFC 6761 §6.3 for `localhost`; Secure Contexts §3.2 counts all three as potentially
 * trustworthy).
 *
 * @example
 * ```ts
 * LOOPBACK_HOSTS.has('[::1]'); // true
 * ```
 */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * True when `host` is exactly one of {@link LOOPBACK_HOSTS} (case-sensitive: a serialized
 * origin's host is lower-case already).
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('127.0.0.2'); // false: see reachesOnlyThisMachine()
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/**
 * True for every host name that only ever reaches this machine: `localhost` and `*.localhost`
 * (RFC 6761 §6.3), `127.0.0.0/8` and `[::1]`, in any case. These are the hosts Secure Contexts §3.2
 * ("is origin potentially trustworthy?") trusts over plain http, so plain http to them never
 * crosses a network. `host` is a URL's host name (`new URL(...).hostname`, IPv6 in brackets).
 *
 * @example
 * ```ts
 * reachesOnlyThisMachine('app.localhost'); // true
 * reachesOnlyThisMachine('127.1.2.3'); // true
 * reachesOnlyThisMachine('example.com'); // false
 * ```
 */
export function reachesOnlyThisMachine(host: string): boolean {
  const lower = host.toLowerCase();
  return isLoopbackHost(lower) || lower.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}
