/**
 * The origins a live policy adds at run time (`update({ add, remove })`): exact origins and
 * `*.` patterns on top of the configured ones, changed one entry at a time without rebuilding
 * anything else.
 */
import type { IssueCollector } from './errors.js';
import { ExactOrigins } from './exact-origins.js';
import { HostRules } from './host-rules.js';
import { describeValue } from './option-values.js';
import { originRuleText, publicSuffixBelowProblem } from './policy-builder.js';
import { parseConfigOrigin } from './origin-entry.js';
import type { ConfigOrigin } from './origin-syntax.js';
import { isPublicSuffix } from './public-suffix.js';

/** One validated entry of an update, with its canonical rule text. */
export interface DynamicEntry {
  readonly rule: string;
  readonly value: ConfigOrigin;
}

/**
 * Validates one `update()` entry with the same rules as the `origin` option; adds an issue and
 * returns `undefined` when it is refused. RegExps and functions are options, not entries.
 */
export function readDynamicEntry(entry: unknown, path: string, issues: IssueCollector): DynamicEntry | undefined {
  if (typeof entry !== 'string') {
    issues.add(path, 'origin-type', `must be a string such as "https://app.example.com", got ${describeValue(entry)}`);
    return undefined;
  }
  if (entry.includes(',')) {
    issues.add(path, 'origin-comma-list', `${JSON.stringify(entry)} holds a comma; write each origin as its own item`);
    return undefined;
  }
  const parsed = parseConfigOrigin(entry, isPublicSuffix);
  if (!parsed.ok) {
    issues.add(path, parsed.problem.code, parsed.problem.message);
    return undefined;
  }
  const value = parsed.value;
  // Like the `origin` option (a run-time entry has no dangerouslyAllowPublicSuffixesUnderWildcards).
  if (value.kind === 'subdomains') {
    const example = (host: string): string => `"${value.scheme}://${host}"`;
    const below = publicSuffixBelowProblem(JSON.stringify(entry), value.suffix, example, false);
    if (below !== undefined) {
      issues.add(path, 'origin-public-suffix-below', below);
      return undefined;
    }
  }
  return { rule: originRuleText(value), value };
}

/**
 * Validates a list of run-time entries (`update()`'s `add` or `remove`, the Redis mirror's
 * `add()`/`remove()`): the valid ones, in order; an issue at `path[i]` for each refused one, and
 * `update-type` at `path` when `list` is not an array.
 */
export function readDynamicEntries(list: unknown, path: string, issues: IssueCollector): DynamicEntry[] {
  const entries: DynamicEntry[] = [];
  if (!Array.isArray(list)) {
    issues.add(path, 'update-type', `must be an array of origins, got ${describeValue(list)}`);
    return entries;
  }
  (list as unknown[]).forEach((entry, i) => {
    const read = readDynamicEntry(entry, `${path}[${i}]`, issues);
    if (read !== undefined) entries.push(read);
  });
  return entries;
}

/**
 * The run-time layer of a live policy. Lookups cost what the configured tables cost (one map
 * probe per exact origin, one per DNS label for patterns). It changes only synchronously, inside
 * `update()`, and a request consults it once, synchronously, when its decision starts, so every
 * request sees the entries of exactly one version. Nothing is kept per entry beyond its rule
 * text and its place in the tables.
 */
export class DynamicOrigins {
  /** Exact and app origins (each its own rule text). */
  readonly exact = new ExactOrigins();
  readonly patterns = new HostRules();
  /**
   * Every rule text in force, in the order added, for `rules`, removal and the Redis mirror (a
   * table rather than a `Set`, which rehashes in one step of many milliseconds as it grows).
   */
  readonly #rules = new ExactOrigins();

  get size(): number {
    return this.#rules.size;
  }

  has(rule: string): boolean {
    return this.#rules.has(rule);
  }

  /**
   * Makes room for `count` more rules at once (the Redis mirror's first load): adding them then
   * never grows a table, which rehashes everything in it in one step.
   */
  reserve(count: number): void {
    this.#rules.reserve(count);
    this.exact.reserve(count);
  }

  /** Every rule in the order it was added. */
  rules(): string[] {
    return this.#rules.toArray();
  }

  add(entry: DynamicEntry): void {
    const { value, rule } = entry;
    if (!this.#rules.add(rule)) return;
    if (value.kind === 'exact' || value.kind === 'app') this.exact.add(value.origin);
    else if (value.kind === 'host') this.patterns.addHost(value.scheme, value.host, value.port, rule);
    else this.patterns.addSubdomains(value.scheme, value.suffix, value.port, rule);
  }

  remove(entry: DynamicEntry): void {
    const { value, rule } = entry;
    if (!this.#rules.delete(rule)) return;
    if (value.kind === 'exact' || value.kind === 'app') this.exact.delete(value.origin);
    else if (value.kind === 'host') this.patterns.removeHost(value.scheme, value.host, value.port);
    else this.patterns.removeSubdomains(value.scheme, value.suffix, value.port);
  }
}
