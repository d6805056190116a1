/**
 * Lookup tables for host-based rules: exact hosts with a port choice, and "this domain's
 * subdomains". Lookups cost one map probe per DNS label of the request's host, whatever the
 * number of rules (no scan over the allow-list).
 */
import { DEFAULT_PORTS, type OriginScheme, type ParsedOrigin, type PortChoice } from './origin-syntax.js';

/**
 * The rules of one key: a string is the rule text of the scheme's default port alone (nearly
 * every rule, no table per entry); otherwise port -> rule text, where the key `'*'` stands for
 * any port.
 */
type PortRules = string | Map<PortChoice, string>;

/** `scheme://host` -> its rules; the scheme's default port is 443 (https) or 80 (http). */
type RuleTable = Map<string, PortRules>;

function defaultPortOf(key: string): number {
  return key.charCodeAt(4) === 115 /* https */ ? DEFAULT_PORTS.https : DEFAULT_PORTS.http;
}

function addPort(table: RuleTable, key: string, port: PortChoice, rule: string): void {
  const ports = table.get(key);
  const defaultPort = defaultPortOf(key);
  if (ports === undefined) table.set(key, port === defaultPort ? rule : new Map([[port, rule]]));
  // The first rule for a port is kept (the rule text reported is the first one written).
  else if (typeof ports === 'string') {
    if (port !== defaultPort)
      table.set(
        key,
        new Map<PortChoice, string>([
          [defaultPort, ports],
          [port, rule],
        ]),
      );
  } else if (!ports.has(port)) ports.set(port, rule);
}

function removePort(table: RuleTable, key: string, port: PortChoice): void {
  const ports = table.get(key);
  if (ports === undefined) return;
  if (typeof ports === 'string') {
    if (port === defaultPortOf(key)) table.delete(key);
    return;
  }
  ports.delete(port);
  if (ports.size === 0) table.delete(key);
}

function hasPort(ports: PortRules | undefined, key: string, port: PortChoice): boolean {
  if (ports === undefined) return false;
  return typeof ports === 'string' ? port === defaultPortOf(key) : ports.has(port);
}

function lookupPort(ports: PortRules | undefined, port: number, defaultPort: number): string | undefined {
  if (ports === undefined) return undefined;
  if (typeof ports === 'string') return port === defaultPort ? ports : undefined;
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
  readonly #hosts: RuleTable = new Map();
  /** Key: `scheme://suffix`; matches hosts with at least one more label in front. */
  readonly #subdomains: RuleTable = new Map();

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

  /** True when {@link HostRules.addHost} (`kind` `host`) or {@link HostRules.addSubdomains} added this port. */
  has(kind: HostRuleEntry['kind'], scheme: OriginScheme, host: string, port: PortChoice): boolean {
    const key = `${scheme}://${host}`;
    return hasPort((kind === 'host' ? this.#hosts : this.#subdomains).get(key), key, port);
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
        if (typeof ports === 'string') yield { kind, scheme, host, port: DEFAULT_PORTS[scheme], rule: ports };
        else for (const [port, rule] of ports) yield { kind, scheme, host, port, rule };
      }
    }
  }

  /** Returns the rule that allows `origin`, or `undefined`. */
  match(origin: ParsedOrigin): string | undefined {
    const prefix = origin.scheme === 'https' ? 'https://' : 'http://';
    const defaultPort = DEFAULT_PORTS[origin.scheme];
    const { host, port } = origin;
    const exact = lookupPort(this.#hosts.get(prefix + host), port, defaultPort);
    if (exact !== undefined || this.#subdomains.size === 0 || host.startsWith('[')) return exact;
    // Walk the labels: for a.b.example.com try b.example.com, then example.com, then com.
    let dot = host.indexOf('.');
    while (dot >= 0 && dot < host.length - 1) {
      const rule = lookupPort(this.#subdomains.get(prefix + host.slice(dot + 1)), port, defaultPort);
      if (rule !== undefined) return rule;
      dot = host.indexOf('.', dot + 1);
    }
    return undefined;
  }
}
