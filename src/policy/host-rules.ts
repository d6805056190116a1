/**
 * Lookup tables for host-based rules: exact hosts with a port choice, and "this domain's
 * subdomains". Lookups cost one map probe per DNS label of the request's host, whatever the
 * number of rules (no scan over the allow-list).
 */
import type { OriginScheme, ParsedOrigin, PortChoice } from './origin-syntax.js';

/** Port -> the rule text that allowed it; the key `'*'` stands for any port. */
type PortTable = Map<number | '*', string>;

function addPort(table: Map<string, PortTable>, key: string, port: PortChoice, rule: string): void {
  let ports = table.get(key);
  if (ports === undefined) {
    ports = new Map();
    table.set(key, ports);
  }
  if (!ports.has(port)) ports.set(port, rule);
}

function removePort(table: Map<string, PortTable>, key: string, port: PortChoice): void {
  const ports = table.get(key);
  if (ports === undefined) return;
  ports.delete(port);
  if (ports.size === 0) table.delete(key);
}

function lookupPort(ports: PortTable | undefined, port: number): string | undefined {
  if (ports === undefined) return undefined;
  return ports.get(port) ?? ports.get('*');
}

/** One rule of a {@link HostRules} table, as the proxy generator reads it. */
export interface HostRuleEntry {
  /** `host`: the host itself; `subdomains`: hosts one or more labels below `host`. */
  readonly kind: 'host' | 'subdomains';
  readonly scheme: OriginScheme;
  readonly host: string;
  readonly port: PortChoice;
  readonly rule: string;
}

/**
 * A compiled set of host rules, immutable once compilation is done (a live policy's dynamic
 * layer, the one exception, changes only through `remove*()` between two requests' decisions).
 */
export class HostRules {
  /** Key: `scheme://host`. */
  readonly #hosts = new Map<string, PortTable>();
  /** Key: `scheme://suffix`; matches hosts with at least one more label in front. */
  readonly #subdomains = new Map<string, PortTable>();

  /** Allows `host` itself on `port`; `rule` is the configuration text reported on a match. */
  addHost(scheme: OriginScheme, host: string, port: PortChoice, rule: string): void {
    addPort(this.#hosts, `${scheme}://${host}`, port, rule);
  }

  /** Allows every host one or more whole labels below `suffix` (never `suffix` itself). */
  addSubdomains(scheme: OriginScheme, suffix: string, port: PortChoice, rule: string): void {
    addPort(this.#subdomains, `${scheme}://${suffix}`, port, rule);
  }

  /** Undoes {@link HostRules.addHost}. */
  removeHost(scheme: OriginScheme, host: string, port: PortChoice): void {
    removePort(this.#hosts, `${scheme}://${host}`, port);
  }

  /** Undoes {@link HostRules.addSubdomains}. */
  removeSubdomains(scheme: OriginScheme, suffix: string, port: PortChoice): void {
    removePort(this.#subdomains, `${scheme}://${suffix}`, port);
  }

  /** Every rule in the order it was added: hosts first, then subdomain rules. */
  *entries(): IterableIterator<HostRuleEntry> {
    for (const [kind, table] of [
      ['host', this.#hosts],
      ['subdomains', this.#subdomains],
    ] as const) {
      for (const [key, ports] of table) {
        const sep = key.indexOf('://');
        const scheme = key.slice(0, sep) as OriginScheme;
        const host = key.slice(sep + 3);
        for (const [port, rule] of ports) yield { kind, scheme, host, port, rule };
      }
    }
  }

  /** Returns the rule that allows `origin`, or `undefined`. */
  match(origin: ParsedOrigin): string | undefined {
    const prefix = origin.scheme === 'https' ? 'https://' : 'http://';
    const { host, port } = origin;
    const exact = lookupPort(this.#hosts.get(prefix + host), port);
    if (exact !== undefined || this.#subdomains.size === 0 || host.startsWith('[')) return exact;
    // Walk the labels: for a.b.example.com try b.example.com, then example.com, then com.
    let dot = host.indexOf('.');
    while (dot >= 0 && dot < host.length - 1) {
      const rule = lookupPort(this.#subdomains.get(prefix + host.slice(dot + 1)), port);
      if (rule !== undefined) return rule;
      dot = host.indexOf('.', dot + 1);
    }
    return undefined;
  }
}
