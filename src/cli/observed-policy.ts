/**
 * `cors-safety explain --observed FILE`: reads decision events (one JSON object per line, as
 * `onDecision` or a `cors-safety:decision` subscriber writes them) and proposes a policy that allows
 * the origins that were seen and allowed: grouped by registrable domain (Public Suffix List),
 * `https://*.` patterns only where the policy's own checks accept them and no refused origin falls
 * under them, development (loopback) origins apart, with the number of requests behind each entry.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { getDomain } from 'tldts';
import { createCorsPolicy, createOriginValidator } from '../index.js';
import { isLoopbackHost } from '../shared/loopback.js';

/** Distinct origins kept; past this, further new origins are counted, not kept (the file is untrusted input). */
export const MAX_OBSERVED_ORIGINS = 50_000;
/** Longest line read as an event; longer ones are skipped. */
const MAX_LINE_LENGTH = 65_536;
/** Distinct hosts under one parent domain before a `*.` pattern is proposed for them. */
export const MIN_HOSTS_FOR_PATTERN = 3;

/** How often one origin was allowed and refused. */
export interface OriginCounts {
  allowed: number;
  denied: number;
}

/** What the file held. */
export interface Observations {
  readonly lines: number;
  /** Lines that were not a decision event (not JSON, no outcome). */
  readonly invalid: number;
  /** Events without a usable origin (no Origin, malformed, same-origin). */
  readonly withoutOrigin: number;
  /** Events of origins past {@link MAX_OBSERVED_ORIGINS}. */
  readonly overflow: number;
  readonly origins: ReadonlyMap<string, OriginCounts>;
}

/** One entry of the proposed `origin` list. */
export interface ProposedEntry {
  readonly entry: string;
  readonly kind: 'exact' | 'pattern' | 'development';
  /** The registrable domain (or the host, for addresses and app origins). */
  readonly site: string;
  /** The allowed origins seen that this entry covers. */
  readonly origins: readonly string[];
  /** Allowed requests behind them. */
  readonly requests: number;
}

/** The proposal. `config` is what `createCorsPolicy()` accepts outside production. */
export interface ObservedProposal {
  readonly observations: Omit<Observations, 'origins'> & { readonly distinctOrigins: number };
  readonly production: readonly ProposedEntry[];
  readonly development: readonly ProposedEntry[];
  /** Origins seen only refused, with their request counts (not in the proposal). */
  readonly refused: readonly { readonly origin: string; readonly requests: number }[];
  readonly config: { readonly origin: readonly string[] };
}

/** A serialized origin the policy itself accepts as an exact entry, or undefined. File text is untrusted. */
function validOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048 || value === 'null') return undefined;
  // No pattern or list syntax: an event's origin is one serialized origin.
  if (/[*,\s]/.test(value)) return undefined;
  try {
    return createCorsPolicy({ origin: value, env: {} }).rules[0] === value ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads an NDJSON file of decision events, line by line (it may be large).
 *
 * @example
 * ```ts
 * const observations = await readObservations('decisions.ndjson');
 * ```
 */
export async function readObservations(path: string): Promise<Observations> {
  const origins = new Map<string, OriginCounts>();
  let lines = 0;
  let invalid = 0;
  let withoutOrigin = 0;
  let overflow = 0;
  const input = createReadStream(path, { encoding: 'utf8' });
  const reader = createInterface({ input, crlfDelay: Infinity });
  for await (const line of reader) {
    if (line.trim() === '') continue;
    lines++;
    let event: unknown;
    try {
      event = line.length > MAX_LINE_LENGTH ? undefined : JSON.parse(line);
    } catch {
      event = undefined;
    }
    const outcome = (event as { outcome?: unknown } | null | undefined)?.outcome;
    if (typeof event !== 'object' || event === null || typeof outcome !== 'string') {
      invalid++;
      continue;
    }
    const raw = (event as { origin?: unknown }).origin;
    if ((outcome !== 'allowed' && outcome !== 'denied') || typeof raw !== 'string') {
      withoutOrigin++;
      continue;
    }
    let counts = origins.get(raw);
    if (counts === undefined) {
      const origin = validOrigin(raw);
      if (origin === undefined) {
        withoutOrigin++;
        continue;
      }
      if (origins.size >= MAX_OBSERVED_ORIGINS) {
        overflow++;
        continue;
      }
      counts = { allowed: 0, denied: 0 };
      origins.set(origin, counts);
    }
    if (outcome === 'allowed') counts.allowed++;
    else counts.denied++;
  }
  return { lines, invalid, withoutOrigin, overflow, origins };
}

interface Parsed {
  readonly origin: string;
  readonly scheme: string;
  readonly host: string;
  /** `:port` or empty. */
  readonly port: string;
}

function parse(origin: string): Parsed {
  const url = new URL(origin);
  // An app origin (capacitor://localhost): its own site, never a pattern, never development.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { origin, scheme: url.protocol.slice(0, -1), host: origin, port: '' };
  return { origin, scheme: url.protocol.slice(0, -1), host: url.hostname, port: url.port === '' ? '' : `:${url.port}` };
}

/** The site an origin belongs to: its registrable domain, or its host for IP addresses and app origins. */
function siteOf(parsed: Parsed): string {
  if (parsed.scheme !== 'http' && parsed.scheme !== 'https') return parsed.origin;
  return getDomain(parsed.host, { allowPrivateDomains: true }) ?? parsed.host;
}

function isDevelopment(parsed: Parsed): boolean {
  const web = parsed.scheme === 'http' || parsed.scheme === 'https';
  return web && (isLoopbackHost(parsed.host) || parsed.host.endsWith('.localhost'));
}

/** True when the policy accepts `pattern` and it allows none of the refused origins. */
function safePattern(pattern: string, refused: readonly string[]): boolean {
  try {
    const validator = createOriginValidator(createCorsPolicy({ origin: pattern, env: {} }));
    return refused.every((origin) => {
      const verdict = validator.check(origin);
      return !(verdict instanceof Promise) && !verdict.allowed;
    });
  } catch {
    return false;
  }
}

/** Entries for one site's https/http origins: a `*.` pattern per parent domain with enough hosts, else exact. */
function siteEntries(
  site: string,
  allowed: readonly Parsed[],
  counts: Observations['origins'],
  refused: readonly string[],
) {
  const requests = (origins: readonly string[]): number =>
    origins.reduce((sum, origin) => sum + (counts.get(origin)?.allowed ?? 0), 0);
  const byParent = new Map<string, Parsed[]>();
  for (const parsed of allowed) {
    const dot = parsed.host.indexOf('.');
    const parent = dot < 0 ? '' : parsed.host.slice(dot + 1);
    // Only subdomains of the site (the apex itself stays exact), https only, one port per pattern.
    if (parsed.scheme !== 'https' || parent.length < site.length || !parent.endsWith(site)) continue;
    const key = `${parsed.scheme}://*.${parent}${parsed.port}`;
    byParent.set(key, [...(byParent.get(key) ?? []), parsed]);
  }
  const entries: ProposedEntry[] = [];
  const covered = new Set<string>();
  for (const [pattern, group] of byParent) {
    if (group.length < MIN_HOSTS_FOR_PATTERN || !safePattern(pattern, refused)) continue;
    const origins = group.map((p) => p.origin).sort();
    origins.forEach((origin) => covered.add(origin));
    entries.push({ entry: pattern, kind: 'pattern', site, origins, requests: requests(origins) });
  }
  for (const parsed of allowed) {
    if (covered.has(parsed.origin)) continue;
    const origins = [parsed.origin];
    entries.push({ entry: parsed.origin, kind: 'exact', site, origins, requests: requests(origins) });
  }
  return entries.sort((a, b) => a.entry.localeCompare(b.entry));
}

/**
 * Development entries: `scheme://host:*` per loopback host and scheme seen (development servers
 * change ports), or the exact origins when a refused origin would fall under that pattern.
 */
function developmentEntries(
  allowed: readonly Parsed[],
  counts: Observations['origins'],
  refused: readonly string[],
): ProposedEntry[] {
  const byEntry = new Map<string, Parsed[]>();
  for (const parsed of allowed) {
    const entry = `${parsed.scheme}://${parsed.host}:*`;
    byEntry.set(entry, [...(byEntry.get(entry) ?? []), parsed]);
  }
  const requests = (origins: readonly string[]): number =>
    origins.reduce((sum, origin) => sum + (counts.get(origin)?.allowed ?? 0), 0);
  return [...byEntry]
    .flatMap(([entry, group]) => {
      const origins = group.map((p) => p.origin).sort();
      const site = group[0]?.host ?? '';
      if (safePattern(entry, refused))
        return [{ entry, kind: 'development' as const, site, origins, requests: requests(origins) }];
      return origins.map((origin) => ({
        entry: origin,
        kind: 'development' as const,
        site,
        origins: [origin],
        requests: requests([origin]),
      }));
    })
    .sort((a, b) => a.entry.localeCompare(b.entry));
}

/**
 * Proposes a policy from observations: every origin seen allowed is covered, no origin seen only
 * refused is.
 *
 * @example
 * ```ts
 * const proposal = proposePolicy(await readObservations('decisions.ndjson'));
 * createCorsPolicy(proposal.config);
 * ```
 */
export function proposePolicy(observations: Observations): ObservedProposal {
  const { origins, ...totals } = observations;
  const refused = [...origins].filter(([, c]) => c.allowed === 0).map(([origin]) => origin);
  const allowed = [...origins].filter(([, c]) => c.allowed > 0).map(([origin]) => parse(origin));
  const development = developmentEntries(allowed.filter(isDevelopment), origins, refused);
  const bySite = new Map<string, Parsed[]>();
  for (const parsed of allowed.filter((p) => !isDevelopment(p))) {
    const site = siteOf(parsed);
    bySite.set(site, [...(bySite.get(site) ?? []), parsed]);
  }
  const production = [...bySite.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([site, members]) => siteEntries(site, members, origins, refused));
  return {
    observations: { ...totals, distinctOrigins: origins.size },
    production,
    development,
    refused: refused.sort().map((origin) => ({ origin, requests: origins.get(origin)?.denied ?? 0 })),
    config: { origin: [...production, ...development].map((e) => e.entry) },
  };
}
