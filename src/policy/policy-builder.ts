/** PolicyBuilder: compiles the `origin` and `allowedHosts` options into the lookup structures of a policy. */
import type { IssueCollector } from './errors.js';
import { HostRules } from './host-rules.js';
import { type OriginFunction, type OriginOption } from './origin-option.js';
import {
  DEFAULT_PORTS,
  canonicalHost,
  isIpAddress,
  parseConfigPort,
  problem,
  splitHostPort,
  type ConfigOrigin,
  type OriginScheme,
  type PortChoice,
} from './origin-syntax.js';
import type { ConfigParse } from './origin-types.js';
import { describeValue } from './option-values.js';
import { parseConfigOrigin } from './origin-entry.js';
import { QUICK_EXACT, QUICK_SUBDOMAINS, quickHostStart, quickOriginForm } from './origin-quick.js';
import { isBelowEveryRule, isPublicSuffix, publicSuffixBelow } from './public-suffix.js';
import { checkOriginRegExp, regexpAllowsPlainHttp, regexpTextProblem } from './regexp-rules.js';
import type { LinearMatcher } from './regexp-engine.js';
import type { PolicyMode } from './cors-policy.js';
import { isLoopbackHost, reachesOnlyThisMachine } from '../shared/loopback.js';
import { ExactOrigins } from './exact-origins.js';

/**
 * The canonical rule text of a parsed origin entry, as `policy.rules` lists it:
 * `https://app.example.com`, `http://localhost:*`, `https://*.example.com:8443`.
 */
export function originRuleText(value: ConfigOrigin): string {
  if (value.kind === 'exact' || value.kind === 'app') return value.origin;
  if (value.kind === 'host') return `${value.scheme}://${value.host}:*`;
  const portText = value.port === DEFAULT_PORTS[value.scheme] ? '' : `:${value.port}`;
  return `${value.scheme}://*.${value.suffix}${portText}`;
}

/**
 * The problem with allowing every subdomain of `domain` when the Public Suffix List has a
 * suffix below it (`*.amazonaws.com` covers `s3.amazonaws.com`, where anyone registers a
 * bucket), or `undefined`. `optionFix` names `dangerouslyAllowPublicSuffixesUnderWildcards` as
 * the other way out (options only: run-time entries of a live policy have no such option).
 */
export function publicSuffixBelowProblem(
  shown: string,
  domain: string,
  example: (host: string) => string,
  optionFix: boolean,
): string | undefined {
  const below = publicSuffixBelow(domain);
  if (below === undefined) return undefined;
  const sample = below.replace(/^\*\./, 'x.');
  return (
    `${shown} also allows every site under "${below}", a public suffix where anyone can register a name ` +
    `(e.g. ${example(`attacker.${sample}`)}); list your own names under it, e.g. ${example(`*.mine.${sample}`)}` +
    (optionFix ? ', or set dangerouslyAllowPublicSuffixesUnderWildcards: true if every name under it is yours' : '')
  );
}

/** Mutable state while one options object is compiled. */
export class PolicyBuilder {
  mode: PolicyMode = 'allow-list';
  readonly rules: string[] = [];
  /** Exact and app origins, each its own rule text: appended to `rules` by the table itself. */
  readonly exact = new ExactOrigins(this.rules);
  readonly originRules = new HostRules();
  readonly regexps: { re: RegExp; rule: string; matcher: LinearMatcher }[] = [];
  readonly hostRules = new HostRules();
  /** Rules that allow plain-http origins on other machines (warned about when credentials are on). */
  readonly plainHttpRules: string[] = [];
  originFunction: OriginFunction | undefined;

  /**
   * @param allowSuffixesBelow `dangerouslyAllowPublicSuffixesUnderWildcards`: accept `*.` bases and
   *   `.host` entries that have a public suffix below them.
   */
  constructor(
    readonly issues: IssueCollector,
    readonly allowSuffixesBelow = false,
  ) {}

  /** {@link publicSuffixBelowProblem}, unless `dangerouslyAllowPublicSuffixesUnderWildcards` is set. */
  private suffixBelowProblem(shown: string, domain: string, example: (host: string) => string): string | undefined {
    return this.allowSuffixesBelow ? undefined : publicSuffixBelowProblem(shown, domain, example, true);
  }

  /**
   * Validates and adds one string entry of the `origin` option. The canonical forms nearly every
   * entry of a long list has take the fast path (no parsing beyond one pass over the text, the
   * entry itself kept as its rule); anything else, and every refused entry, the full parser.
   */
  addOriginEntry(entry: string, path: string): void {
    if (!this.addCanonicalEntry(entry)) this.addParsedEntry(entry, path);
  }

  /**
   * One item of an `origin` array (`path` `origin`, `index` 3 for `origin[3]`): the path text is
   * written only for an issue, so an accepted entry of a long list allocates nothing for it.
   * Returns true when the entry took the fast path (a few hundred nanoseconds at most).
   */
  addOriginItem(entry: unknown, path: string, index: number): boolean {
    if (typeof entry === 'string') {
      if (this.addCanonicalEntry(entry)) return true;
      this.addParsedEntry(entry, `${path}[${index}]`);
    } else if (entry instanceof RegExp) this.addRegExp(entry, `${path}[${index}]`);
    else
      this.issues.add(`${path}[${index}]`, 'origin-type', `must be a string or a RegExp, got ${describeValue(entry)}`);
    return false;
  }

  /** The fast path: true when `entry` was in a canonical form and is added; false for the full parser. */
  private addCanonicalEntry(entry: string): boolean {
    const quick = quickOriginForm(entry);
    if (quick === QUICK_EXACT) {
      this.addCanonicalExact(entry);
      return true;
    }
    return quick === QUICK_SUBDOMAINS && this.addCanonicalSubdomains(entry);
  }

  /** An exact origin already in canonical form (see quickOriginForm()). */
  private addCanonicalExact(origin: string): void {
    // A repeated entry is listed once.
    if (!this.exact.add(origin)) return;
    if (origin.charCodeAt(4) !== 58 /* not "http:" */) return;
    const colon = origin.indexOf(':', 7);
    if (!reachesOnlyThisMachine(origin.slice(7, colon < 0 ? origin.length : colon))) this.plainHttpRules.push(origin);
  }

  /**
   * A `*.` pattern already in canonical form (see quickOriginForm()). False, with nothing added,
   * when the Public Suffix List refuses its base: the full parser then says why.
   */
  private addCanonicalSubdomains(entry: string): boolean {
    const start = quickHostStart(entry);
    const colon = entry.indexOf(':', start);
    const suffix = entry.slice(start, colon < 0 ? entry.length : colon);
    // Nearly every base is deeper than any rule of the list: one walk answers both checks.
    const listed =
      !isBelowEveryRule(suffix) &&
      (isPublicSuffix(suffix) || (!this.allowSuffixesBelow && publicSuffixBelow(suffix) !== undefined));
    if (listed) return false;
    const scheme: OriginScheme = entry.charCodeAt(4) === 115 /* s */ ? 'https' : 'http';
    this.originRules.addSubdomains(
      scheme,
      suffix,
      colon < 0 ? DEFAULT_PORTS[scheme] : Number(entry.slice(colon + 1)),
      entry,
    );
    this.rules.push(entry);
    if (scheme === 'http' && !reachesOnlyThisMachine(suffix)) this.plainHttpRules.push(entry);
    return true;
  }

  /** {@link PolicyBuilder.addOriginEntry} through the full parser, which explains every refusal. */
  private addParsedEntry(entry: string, path: string): void {
    if (entry.includes(',')) {
      this.issues.add(
        path,
        'origin-comma-list',
        `${JSON.stringify(entry)} holds a comma; write each origin as its own array item`,
      );
      return;
    }
    const regexpText = regexpTextProblem(entry);
    if (regexpText !== undefined) {
      this.issues.add(path, regexpText.code, regexpText.message);
      return;
    }
    const parsed = parseConfigOrigin(entry, isPublicSuffix);
    if (!parsed.ok) {
      this.issues.add(path, parsed.problem.code, parsed.problem.message);
      return;
    }
    const value = parsed.value;
    // App origins (capacitor://, chrome-extension://) have no host on a network path.
    const host = value.kind === 'subdomains' ? value.suffix : value.kind === 'app' ? undefined : value.host;
    const plainHttp = value.scheme === 'http' && host !== undefined && !reachesOnlyThisMachine(host);
    const rule = originRuleText(value);
    if (value.kind === 'subdomains') {
      const below = this.suffixBelowProblem(
        JSON.stringify(entry),
        value.suffix,
        (host) => `"${value.scheme}://${host}"`,
      );
      if (below !== undefined) return this.issues.add(path, 'origin-public-suffix-below', below);
    }
    if (value.kind === 'exact' || value.kind === 'app') {
      // The table appends the origin (its own rule text) to the rules; a repeated entry is listed once.
      if (!this.exact.add(value.origin)) return;
    } else {
      if (value.kind === 'host') this.originRules.addHost(value.scheme, value.host, value.port, rule);
      else this.originRules.addSubdomains(value.scheme, value.suffix, value.port, rule);
      this.rules.push(rule);
    }
    if (plainHttp) this.plainHttpRules.push(rule);
  }

  addRegExp(re: RegExp, path: string): void {
    // A private copy: the caller cannot change lastIndex or flags of the compiled rule later.
    const copy = new RegExp(re.source, re.flags);
    const check = checkOriginRegExp(copy);
    if (!check.ok) {
      this.issues.add(path, check.problem.code, check.problem.message);
      return;
    }
    this.regexps.push({ re: copy, rule: String(copy), matcher: check.matcher });
    this.rules.push(String(copy));
    if (regexpAllowsPlainHttp(copy)) this.plainHttpRules.push(String(copy));
  }

  addAllowedHost(entry: unknown, path: string): void {
    if (typeof entry !== 'string') {
      this.issues.add(path, 'allowed-host-type', `must be a string such as "example.com", got ${describeValue(entry)}`);
      return;
    }
    const shown = JSON.stringify(entry);
    const parsed = parseAllowedHost(entry, shown);
    if (!parsed.ok) return this.issues.add(path, parsed.problem.code, parsed.problem.message);
    const { host, portText, subdomains, apex } = parsed.value;
    if (subdomains) {
      const below = this.suffixBelowProblem(shown, host, (name) => `"${name.replace(/^\*\./, '.')}"`);
      if (below !== undefined) return this.issues.add(path, 'allowed-host-public-suffix-below', below);
    }
    const ports = allowedHostPorts(host, portText);
    if (ports === undefined) {
      return this.issues.add(
        path,
        'allowed-host-invalid-port',
        `${shown} has an invalid port "${String(portText)}"; use 1-65535, or "*" for any port`,
      );
    }
    const rule = `allowedHosts: ${entry}`;
    for (const [scheme, port] of ports) {
      if (apex) this.hostRules.addHost(scheme, host, port, rule);
      // Only the loopback names themselves may be http: "app.localhost" is not in that list.
      if (subdomains && scheme === 'https') this.hostRules.addSubdomains(scheme, host, port, rule);
    }
    this.rules.push(rule);
  }

  addOrigin(origin: OriginOption, path: string): void {
    if (origin === false) {
      this.mode = 'disabled';
    } else if (origin === true) {
      this.mode = 'reflect-any';
      this.rules.push('any origin (reflected)');
    } else if (origin === '*') {
      this.mode = 'public';
      this.rules.push('*');
    } else if (typeof origin === 'string') {
      this.addOriginEntry(origin, path);
    } else if (origin instanceof RegExp) {
      this.addRegExp(origin, path);
    } else if (typeof origin === 'function') {
      this.originFunction = origin as OriginFunction;
      this.rules.push(`function ${origin.name || '(anonymous)'}`);
    } else if (Array.isArray(origin)) {
      const list = origin as readonly unknown[];
      if (list.length === 0) {
        this.issues.add(
          path,
          'origin-empty-list',
          'is an empty list, which allows nothing; list origins, or write origin: false to turn cross-origin access off',
        );
      }
      this.exact.reserve(list.length);
      for (let i = 0; i < list.length; i++) this.addOriginItem(list[i], path, i);
    } else {
      this.issues.add(
        path,
        'origin-type',
        `must be a string, RegExp, array, function, true, "*" or false, got ${describeValue(origin)}`,
      );
    }
  }
}

/** An `allowedHosts` entry split into its parts (see {@link parseAllowedHost}). */
interface AllowedHost {
  /** Canonical host, without the leading `.` or `*.`. */
  readonly host: string;
  /** The port text as written, `undefined` when there is none. */
  readonly portText: string | undefined;
  /** `.host` or `*.host`: the entry covers the subdomains. */
  readonly subdomains: boolean;
  /** The host itself is covered (every form but `*.host`). */
  readonly apex: boolean;
}

/** The refusal of an `allowedHosts` entry that is not a host name at all. */
function notAHost<T>(shown: string): ConfigParse<T> {
  return problem(
    'allowed-host-invalid',
    `${shown} is not a host name; use "example.com", ".example.com", "host:8443" or "host:*"`,
  );
}

/**
 * Parses one `allowedHosts` entry (`example.com`, `.example.com`, `*.example.com`, `host:8443`,
 * `host:*`): the text checks, then the host, then the checks on the host itself. The Public Suffix
 * List check below a `.host` base and the port are left to the caller.
 */
function parseAllowedHost(entry: string, shown: string): ConfigParse<AllowedHost> {
  const textRefusal = allowedHostTextProblem(entry, shown);
  if (textRefusal !== undefined) return textRefusal;
  let text = entry;
  let subdomains = false;
  let apex = true;
  if (text.startsWith('*.')) {
    subdomains = true;
    apex = false;
    text = text.slice(2);
  } else if (text.startsWith('.')) {
    subdomains = true;
    text = text.slice(1);
  }
  const parts = splitHostPort(text);
  if (parts === undefined || parts.host.length === 0 || parts.host.includes('*')) return notAHost(shown);
  const host = canonicalHost('https', parts.host);
  if (host === undefined) return notAHost(shown);
  const hostRefusal = allowedHostNameProblem(shown, host, subdomains);
  if (hostRefusal !== undefined) return hostRefusal;
  return { ok: true, value: { host, portText: parts.port, subdomains, apex } };
}

/** {@link parseAllowedHost}, first step: the entry's text (length, spaces, `*`, a URL, URL syntax). */
function allowedHostTextProblem(entry: string, shown: string): ConfigParse<AllowedHost> | undefined {
  if (entry.length === 0 || entry.length > 300) return notAHost(shown);
  for (let i = 0; i < entry.length; i++) {
    const code = entry.charCodeAt(i);
    if (code <= 32 || code === 127)
      return problem('allowed-host-whitespace', `${shown} contains spaces or control characters; write the host alone`);
  }
  if (entry === '*' || entry === '.') {
    return problem(
      'allowed-host-any',
      `${shown} would allow every site; use origin: "*" for a public API without credentials`,
    );
  }
  if (entry.includes('://') || entry.includes('/')) {
    const bare = entry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    return problem('allowed-host-has-scheme', `${shown} is a URL; allowedHosts takes host names, write "${bare}"`);
  }
  if (
    entry.includes('@') ||
    entry.includes('?') ||
    entry.includes('#') ||
    entry.includes('%') ||
    entry.includes('\\')
  ) {
    return notAHost(shown);
  }
  return undefined;
}

/** {@link parseAllowedHost}: canonical hosts refused as an entry (trailing dot) or as a `.` base (IP address, public suffix). */
function allowedHostNameProblem(
  shown: string,
  host: string,
  subdomains: boolean,
): ConfigParse<AllowedHost> | undefined {
  if (host.endsWith('.'))
    return problem('allowed-host-trailing-dot', `${shown} ends with a dot; write "${host.slice(0, -1)}"`);
  if (subdomains && isIpAddress(host))
    return problem('allowed-host-wildcard-ip', `${shown}: an IP address has no subdomains; write "${host}"`);
  if (subdomains && isPublicSuffix(host)) {
    return problem(
      'allowed-host-public-suffix',
      `${shown} would allow every site under the public suffix "${host}"; list your own domain, e.g. ".${isPublicSuffix(`example.${host}`) ? 'mine.' : ''}example.${host}"`,
    );
  }
  return undefined;
}

/**
 * The scheme and port of each rule an `allowedHosts` entry adds, or `undefined` for an invalid
 * port. Only https origins qualify, except loopback hosts, which may also be http (RFC 6761 §6.3).
 */
function allowedHostPorts(host: string, portText: string | undefined): [OriginScheme, PortChoice][] | undefined {
  const schemes: OriginScheme[] = isLoopbackHost(host) ? ['https', 'http'] : ['https'];
  const ports: [OriginScheme, PortChoice][] = [];
  for (const scheme of schemes) {
    const port = parseConfigPort(portText, scheme, true);
    if (port === undefined) return undefined;
    ports.push([scheme, port]);
  }
  return ports;
}
