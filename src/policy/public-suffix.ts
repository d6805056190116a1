/**
 * Public suffixes, from the Public Suffix List (https://publicsuffix.org/list/), ICANN and private
 * sections, through `tldts`. A wildcard over a public suffix (`https://*.com`, `https://*.r2.dev`,
 * `.github.io` in allowedHosts) would allow sites registered by anyone, so such entries are
 * refused. Called at construction only: request-time code never consults the list.
 */
import type * as Tldts from 'tldts';

/** What loads `tldts` when first needed. */
export type PublicSuffixLoader = () => Pick<typeof Tldts, 'getPublicSuffix'>;

/**
 * tldts holds the whole list (about 1 MB of code, tens of milliseconds to load): the Node entry
 * installs a loader that requires it the first time a wildcard entry is compiled, not when
 * cors-safety is imported, so a policy without wildcards never pays for it and request-time code
 * never touches it. The policy core itself imports no Node module (`cors-safety/fetch` runs on
 * Workers and Deno): that entry installs a loader over its own static import.
 */
let load: PublicSuffixLoader | undefined;
let tldts: Pick<typeof Tldts, 'getPublicSuffix'> | undefined;

let loadTrie: (() => unknown) | undefined;

/**
 * Installs how tldts's rule trie (`tldts/dist/cjs/src/data/trie.js`) is loaded for
 * {@link publicSuffixBelow}; the first installed loader is kept. The Node entry requires it
 * lazily, `cors-safety/fetch` imports it with the entry.
 */
export function installRuleTrieLoader(loader: () => unknown): void {
  loadTrie ??= loader;
}

/** Installs how `tldts` is loaded; the first installed loader is kept. */
export function installPublicSuffixLoader(loader: PublicSuffixLoader): void {
  load ??= loader;
}

function publicSuffixOf(host: string): string | null {
  if (tldts === undefined) {
    if (load === undefined) throw new Error('cors-safety: no Public Suffix List loader installed');
    tldts = load();
  }
  return tldts.getPublicSuffix(host, LOOKUP_OPTIONS);
}

/** Names that only ever resolve to this machine (RFC 6761 §6.3): `*.localhost` is a safe development pattern. */
const LOCAL_ONLY_SUFFIXES = new Set(['localhost']);

/** The input is already a canonical host (lowercase, punycode): no URL parsing, no IP detection. */
const LOOKUP_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  detectIp: false,
  validateHostname: false,
} as const;

/**
 * True when `host` (a canonical, lowercase host) is exactly a public suffix, so that `*.<host>`
 * would allow sites run by strangers. A single label is always one (the list's implicit `*`
 * rule); wildcard rules (`*.ck`) and exceptions (`!www.ck`) follow the list. `localhost` is not.
 *
 * @example
 * ```ts
 * isPublicSuffix('r2.dev'); // true (private section)
 * isPublicSuffix('co.uk'); // true (ICANN section)
 * isPublicSuffix('example.co.uk'); // false
 * ```
 */
export function isPublicSuffix(host: string): boolean {
  if (LOCAL_ONLY_SUFFIXES.has(host)) return false;
  return publicSuffixOf(host) === host;
}

/** The flat rule trie tldts builds its lookups from (labels right to left, a DAG of nodes). */
interface RuleTrie {
  readonly nodeFlags: ArrayLike<number>;
  readonly edgeStart: ArrayLike<number>;
  readonly edgeLength: ArrayLike<number>;
  readonly edgeChild: ArrayLike<number>;
  readonly labelText: string;
  readonly rulesRoot: number;
  /** Where each edge's label starts in `labelText` (the running sum of `edgeLength`). */
  readonly edgeOffset: Uint32Array;
}

let ruleTrie: RuleTrie | null | undefined;

/**
 * tldts's rule data, read once. tldts has no public "rules below this domain" query, so the
 * trie its own lookup walks is read directly; its shape is checked, and test/policy/
 * public-suffix-parents.test.ts fails if a tldts update changes it (then nothing is refused).
 */
function loadRuleTrie(): RuleTrie | null {
  try {
    if (loadTrie === undefined) return null;
    const data = loadTrie() as Record<string, unknown>;
    const { nodeFlags, edgeStart, edgeLength, edgeChild, labelText, rulesRoot } = data;
    const arrays = [nodeFlags, edgeStart, edgeLength, edgeChild];
    if (!arrays.every((a) => ArrayBuffer.isView(a)) || typeof labelText !== 'string' || typeof rulesRoot !== 'number')
      return null;
    const lengths = edgeLength as Uint32Array;
    const edgeOffset = new Uint32Array(lengths.length);
    for (let edge = 0, offset = 0; edge < lengths.length; edge++) {
      edgeOffset[edge] = offset;
      offset += lengths[edge] ?? 0;
    }
    return {
      nodeFlags: nodeFlags as Uint8Array,
      edgeStart: edgeStart as Uint32Array,
      edgeLength: lengths,
      edgeChild: edgeChild as Uint32Array,
      labelText,
      rulesRoot,
      edgeOffset,
    };
  } catch {
    return null;
  }
}

/** The child edges of `node` as `[label, child]`. */
function childEdges(trie: RuleTrie, node: number): [string, number][] {
  const out: [string, number][] = [];
  for (let edge = trie.edgeStart[node] ?? 0; edge < (trie.edgeStart[node + 1] ?? 0); edge++) {
    const offset = trie.edgeOffset[edge] ?? 0;
    out.push([trie.labelText.slice(offset, offset + (trie.edgeLength[edge] ?? 0)), trie.edgeChild[edge] ?? 0]);
  }
  return out;
}

/** The edges of each node a lookup went through, by label: built on first use (the root has about 1,500). */
const edgeIndex = new Map<number, Map<string, number>>();

/**
 * The child of `node` along the edge labelled `label`, or `undefined`. Called once per label of
 * every `*.` entry of a list, so each node's edges are indexed the first time it is visited
 * (bounded by the size of the list's trie, a few thousand edges).
 */
function childNode(trie: RuleTrie, node: number, label: string): number | undefined {
  let index = edgeIndex.get(node);
  if (index === undefined) {
    index = new Map(childEdges(trie, node));
    edgeIndex.set(node, index);
  }
  return index.get(label);
}

/**
 * True when no rule of the Public Suffix List reaches as deep as `domain` (a canonical host of
 * two labels or more): then `domain` is no public suffix and none lies below it, so both checks
 * of a `*.` entry pass after one short walk (`tenant7.example.net` stops at `example`). False when
 * unsure: a rule reaches that deep, a single label (the list's implicit `*` rule), or no list;
 * then {@link isPublicSuffix} and {@link publicSuffixBelow} decide. Exception rules (`!www.ck`)
 * only ever shorten a suffix, so they cannot change a true answer. Construction time only.
 *
 * @example
 * ```ts
 * isBelowEveryRule('tenant7.example.net'); // true
 * isBelowEveryRule('amazonaws.com'); // false: rules go deeper (s3.amazonaws.com, ...)
 * ```
 */
export function isBelowEveryRule(domain: string): boolean {
  ruleTrie ??= loadRuleTrie();
  const trie = ruleTrie;
  if (trie === null || !domain.includes('.')) return false;
  let node = trie.rulesRoot;
  // Labels right to left, as the rules are stored; wildcards (`*.ck`) match any one label.
  for (let end = domain.length; end > 0;) {
    const dot = domain.lastIndexOf('.', end - 1);
    const next = childNode(trie, node, domain.slice(dot + 1, end)) ?? childNode(trie, node, '*');
    if (next === undefined) return true;
    node = next;
    end = dot;
  }
  return false;
}

/**
 * A public suffix strictly below `domain` (a canonical host), or `undefined`: for
 * `amazonaws.com` one of its suffixes such as `"s3.amazonaws.com"` (or `"*.compute.amazonaws.com"`
 * for a wildcard rule). `https://*.amazonaws.com` would then allow sites anyone can register
 * under that suffix. Construction time only.
 *
 * @example
 * ```ts
 * publicSuffixBelow('amazonaws.com'); // e.g. 'us-east-1.amazonaws.com'
 * publicSuffixBelow('example.com'); // undefined
 * ```
 */
export function publicSuffixBelow(domain: string): string | undefined {
  if (LOCAL_ONLY_SUFFIXES.has(domain)) return undefined;
  ruleTrie ??= loadRuleTrie();
  const trie = ruleTrie;
  if (trie === null) return undefined;
  let node = trie.rulesRoot;
  for (const label of domain.split('.').reverse()) {
    const next = childNode(trie, node, label) ?? childNode(trie, node, '*');
    if (next === undefined) return undefined;
    node = next;
  }
  // Breadth first, so the suffix named is the shortest one.
  let level: [string, number][] = childEdges(trie, node).map(([label, child]) => [`${label}.${domain}`, child]);
  for (let depth = 0; depth < 8 && level.length > 0; depth++) {
    const found = level.find(([, child]) => (trie.nodeFlags[child] ?? 0) !== 0);
    if (found !== undefined) return found[0];
    level = level.flatMap(([name, child]) =>
      childEdges(trie, child).map(([label, grandchild]): [string, number] => [`${label}.${name}`, grandchild]),
    );
  }
  return undefined;
}
