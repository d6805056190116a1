/**
 * The exact origins of a policy: one `Set` of canonical origin strings and nothing per entry.
 * An exact entry is its own rule text, so the verdict it grants (`allowed-exact`, that origin,
 * that rule) is made from the string when a request first comes from it, and kept for the next
 * one, so an allowed request allocates nothing once its origin has been seen.
 */
import type { OriginVerdict } from './reasons.js';

/**
 * How many verdicts are kept. They are made only for origins in the set (a flood of other origins
 * adds nothing), so this bounds the memory of a policy whose many origins all send requests;
 * when it is full the kept verdicts are dropped and made again as requests come.
 */
const KEPT_VERDICTS = 4096;

/**
 * Canonical exact origins (web and app origins), read like a `ReadonlyMap` from origin to its
 * frozen verdict. Changed only while a policy is compiled, or by a live policy's `update()`.
 */
export class ExactOrigins implements ReadonlyMap<string, OriginVerdict> {
  readonly #origins = new Set<string>();
  #verdicts = new Map<string, OriginVerdict>();

  get size(): number {
    return this.#origins.size;
  }

  /** Adds a canonical origin (its own rule text). */
  add(origin: string): void {
    this.#origins.add(origin);
  }

  /** Removes an origin; true when it was there. */
  delete(origin: string): boolean {
    this.#verdicts.delete(origin);
    return this.#origins.delete(origin);
  }

  has(origin: string): boolean {
    return this.#origins.has(origin);
  }

  /** The verdict granted to `origin`, or `undefined` when it is not in the set: one probe once seen. */
  get(origin: string): OriginVerdict | undefined {
    const kept = this.#verdicts.get(origin);
    if (kept !== undefined) return kept;
    if (!this.#origins.has(origin)) return undefined;
    if (this.#verdicts.size >= KEPT_VERDICTS) this.#verdicts = new Map();
    const verdict: OriginVerdict = Object.freeze({ allowed: true, reason: 'allowed-exact', origin, rule: origin });
    this.#verdicts.set(origin, verdict);
    return verdict;
  }

  keys(): MapIterator<string> {
    return this.#origins.values();
  }

  *values(): MapIterator<OriginVerdict> {
    for (const origin of this.#origins) yield this.get(origin) as OriginVerdict;
  }

  *entries(): MapIterator<[string, OriginVerdict]> {
    for (const origin of this.#origins) yield [origin, this.get(origin) as OriginVerdict];
  }

  [Symbol.iterator](): MapIterator<[string, OriginVerdict]> {
    return this.entries();
  }

  forEach(callback: (value: OriginVerdict, key: string, map: ReadonlyMap<string, OriginVerdict>) => void): void {
    for (const [origin, verdict] of this.entries()) callback(verdict, origin, this);
  }
}
