/**
 * A live policy's run-time origins replaced by a whole set (the Redis mirror's reload, at start,
 * after an outage and every `reloadInterval`), without a long stall: the members are validated,
 * and compared with the origins in force, in slices of a few milliseconds; the differences are
 * then applied in chunks, each one version, so a first load of 100,000 origins never holds the
 * event loop for more than a slice. Nothing changes when the set is the one in force.
 */
import { readDynamicEntry, type DynamicEntry } from './dynamic-origins.js';
import { ExactOrigins } from './exact-origins.js';
import type { IssueCollector } from './errors.js';
import { liveLayer, type LiveLayer, type LivePolicy } from './live-policy.js';
import { Slices } from './slices.js';

/** Changes applied as one version: about a millisecond of table work on a quiet machine. */
const CHUNK = 1024;

/**
 * Makes the run-time origins of `policy` exactly the valid entries of `members`. Invalid members
 * are skipped and added to `issues`. `stopped()` is asked between slices: when it says true (the
 * mirror was closed) nothing more is applied. Resolves when every change is in force; never
 * rejects for bad members. Throws a TypeError for a policy not made by createLivePolicy().
 *
 * @example
 * ```ts
 * await reloadDynamicOrigins(policy, await client.sMembers(key), key, issues, () => closed);
 * ```
 */
export async function reloadDynamicOrigins(
  policy: LivePolicy,
  members: readonly unknown[],
  key: string,
  issues: IssueCollector,
  stopped: () => boolean,
): Promise<void> {
  const layer = liveLayer(policy);
  if (layer === undefined) throw new TypeError('cors-safety: not a policy made by createLivePolicy()');
  const slices = new Slices();
  // A table sized once (a Set of 100,000 rules would rehash in one step of many milliseconds as it
  // grows); ExactOrigins holds any strings, here rule texts.
  const wanted = new ExactOrigins();
  wanted.reserve(members.length);
  const add: DynamicEntry[] = [];
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    // A rule in force is its own canonical text: no parsing (and no garbage) for an unchanged set.
    if (typeof member === 'string' && layer.has(member)) wanted.add(member);
    else {
      const entry = readDynamicEntry(member, `${key}[${i}]`, issues);
      if (entry !== undefined) {
        wanted.add(entry.rule);
        if (!layer.has(entry.rule)) add.push(entry);
      }
    }
    if ((i & 63) === 63) await slices.next();
  }
  const remove: DynamicEntry[] = [];
  const current = layer.rules();
  for (let i = 0; i < current.length; i++) {
    const rule = current[i] as string;
    // A rule in force was valid when it was added: read again, it is its own entry.
    if (!wanted.has(rule)) {
      const entry = readDynamicEntry(rule, `${key}[${i}]`, issues);
      if (entry !== undefined) remove.push(entry);
    }
    if ((i & 255) === 255) await slices.next();
  }
  await applyInChunks(layer, add, remove, slices, stopped);
}

/** Removals first (a revoked origin loses access before anything else changes), then additions. */
async function applyInChunks(
  layer: LiveLayer,
  add: readonly DynamicEntry[],
  remove: readonly DynamicEntry[],
  slices: Slices,
  stopped: () => boolean,
): Promise<void> {
  // Sized once: on a first load (empty tables) that costs an allocation, not a rehash.
  if (add.length > CHUNK) layer.reserve(add.length);
  for (let start = 0; start < remove.length + add.length; start += CHUNK) {
    if (stopped()) return;
    const end = start + CHUNK;
    const removing = remove.slice(start, end);
    const adding = add.slice(Math.max(0, start - remove.length), Math.max(0, end - remove.length));
    layer.apply(adding, removing);
    await slices.next();
  }
}
