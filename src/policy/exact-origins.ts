/**
 * The exact origins of a policy: one hash table of canonical origin strings and nothing per
 * entry. An exact entry is its own rule text, so the verdict it grants (`allowed-exact`, that
 * origin, that rule) is made from the string when a request first comes from it, and kept for the
 * next one, so an allowed request allocates nothing once its origin has been seen.
 *
 * Why not a `Set`: a `Set` cannot be sized in advance, so a long list is inserted into tables that
 * double and rehash on the way (the last doubling of a 100,000-origin list is one step of tens of
 * milliseconds that no slicing can split), and each insertion costs about as much as parsing the
 * origin. Here the table is sized once from the list's length ({@link ExactOrigins.reserve}):
 * origins are kept in insertion order in one array, and an open-addressing index of 32-bit slots
 * (load at most one half, linear probing) points into it. A compiled policy's array is its rule
 * list itself (an exact entry is its own rule text), so a long list is held once, not twice.
 */
import type { OriginVerdict } from './reasons.js';

/**
 * How many verdicts are kept. They are made only for origins in the set (a flood of other origins
 * adds nothing), so this bounds the memory of a policy whose many origins all send requests;
 * when it is full the kept verdicts are dropped and made again as requests come.
 */
const KEPT_VERDICTS = 4096;

/** Slot values of the index: empty, removed (probing goes on past it), else list position + 1. */
const EMPTY = 0;
const REMOVED = -1;
const MIN_SLOTS = 16;
/**
 * reserve() sizes for at most this many origins at once (8,388,608 slots, 32 MiB): a longer list,
 * or a sparse array with a huge length, grows the table as entries come instead.
 */
const MAX_RESERVED = 1 << 22;

/**
 * 32-bit FNV-1a over the UTF-16 code units, then MurmurHash3's final mix so that origins that
 * differ in one digit spread over the whole table. Origins are chosen by whoever configures the
 * policy, not by requesters: a requester's origin is only looked up, and probing stops at the
 * first empty slot of a table at most half full.
 */
function hashOrigin(origin: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < origin.length; i++) h = Math.imul(h ^ origin.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Puts list position `at` (1-based) for `origin` in the first empty slot of a table with no removal marks. */
function place(slots: Int32Array, origin: string, at: number): void {
  const mask = slots.length - 1;
  let slot = hashOrigin(origin) & mask;
  while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
  slots[slot] = at;
}

/** The number of slots for `count` origins: a power of two at least twice `count`. */
function slotsFor(count: number): number {
  let slots = MIN_SLOTS;
  while (slots < count * 2) slots *= 2;
  return slots;
}

/**
 * Canonical exact origins (web and app origins), read like a `ReadonlyMap` from origin to its
 * frozen verdict, iterated in the order they were added. Changed only while a policy is compiled,
 * or by a live policy's `update()`.
 */
export class ExactOrigins implements ReadonlyMap<string, OriginVerdict> {
  /**
   * The origins in insertion order. Owned: a removed one leaves `undefined` until the list is
   * compacted. Shared (a policy's rule list): other rules sit between the origins, unindexed.
   */
  #list: (string | undefined)[];
  readonly #shared: boolean;
  #slots = new Int32Array(MIN_SLOTS);
  /** Slots not EMPTY (members and REMOVED marks): the load the table is grown by. */
  #used = 0;
  #size = 0;
  /** The longest member's length: a longer origin is answered without hashing. */
  #longest = 0;
  #verdicts = new Map<string, OriginVerdict>();

  /**
   * @param list Where added origins are appended: a policy's rule list, which then holds each exact
   *   entry once (the builder appends its other rules itself). Without it, a list of its own.
   */
  constructor(list?: string[]) {
    this.#list = list ?? [];
    this.#shared = list !== undefined;
  }

  get size(): number {
    return this.#size;
  }

  /** Slots in the index (a power of two, at least twice the members): for tests and diagnostics. */
  get slotCount(): number {
    return this.#slots.length;
  }

  /** Makes room for `count` more origins at once, so that adding them never grows the table. */
  reserve(count: number): void {
    const more = Math.min(count, MAX_RESERVED);
    if ((this.#used + more) * 2 > this.#slots.length) this.#rebuild(this.#size + more);
  }

  /**
   * Adds a canonical origin (its own rule text) at the end of the list; false, with nothing
   * appended, when it is already there.
   */
  add(origin: string): boolean {
    // Grown (or cleared of removal marks) to a load of at most a quarter: at least a quarter of
    // the slots are taken again before the next rebuild, whatever mix of additions and removals.
    if ((this.#used + 1) * 2 > this.#slots.length) this.#rebuild(2 * (this.#size + 1));
    const slots = this.#slots;
    const list = this.#list;
    const mask = slots.length - 1;
    // One probe finds the origin (nothing to do) or the first free slot (an empty or removed one).
    let free = -1;
    let slot = hashOrigin(origin) & mask;
    for (let at = slots[slot] ?? EMPTY; at !== EMPTY; at = slots[slot] ?? EMPTY) {
      if (at === REMOVED) {
        if (free < 0) free = slot;
      } else if (list[at - 1] === origin) return false;
      slot = (slot + 1) & mask;
    }
    list.push(origin);
    if (free < 0) {
      free = slot;
      this.#used++;
    }
    slots[free] = list.length;
    this.#size++;
    if (origin.length > this.#longest) this.#longest = origin.length;
    return true;
  }

  /** Removes an origin; true when it was there. A shared list keeps its text (only the index forgets it). */
  delete(origin: string): boolean {
    this.#verdicts.delete(origin);
    const slot = this.#find(origin);
    if (slot < 0) return false;
    if (!this.#shared) this.#list[(this.#slots[slot] ?? EMPTY) - 1] = undefined;
    this.#slots[slot] = REMOVED;
    this.#size--;
    // Many removals leave holes in an owned list: compacted, and the marks cleared, in one pass.
    if (!this.#shared && this.#list.length > 2 * this.#size + MIN_SLOTS) this.#compact();
    return true;
  }

  has(origin: string): boolean {
    return this.#find(origin) >= 0;
  }

  /** The verdict granted to `origin`, or `undefined` when it is not in the set: one probe once seen. */
  get(origin: string): OriginVerdict | undefined {
    const kept = this.#verdicts.get(origin);
    if (kept !== undefined) return kept;
    if (this.#find(origin) < 0) return undefined;
    if (this.#verdicts.size >= KEPT_VERDICTS) this.#verdicts = new Map();
    const verdict: OriginVerdict = Object.freeze({ allowed: true, reason: 'allowed-exact', origin, rule: origin });
    this.#verdicts.set(origin, verdict);
    return verdict;
  }

  /** The slot holding `origin`, or -1. */
  #find(origin: string): number {
    if (this.#size === 0 || origin.length > this.#longest) return -1;
    const slots = this.#slots;
    const list = this.#list;
    const mask = slots.length - 1;
    let slot = hashOrigin(origin) & mask;
    for (let at = slots[slot] ?? EMPTY; at !== EMPTY; at = slots[slot] ?? EMPTY) {
      if (at > EMPTY && list[at - 1] === origin) return slot;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** A new index sized for `count` origins, over the positions the old one holds. */
  #rebuild(count: number): void {
    const old = this.#slots;
    const slots = new Int32Array(slotsFor(count));
    for (let i = 0; i < old.length; i++) {
      const at = old[i] ?? EMPTY;
      if (at > EMPTY) place(slots, this.#list[at - 1] as string, at);
    }
    this.#slots = slots;
    this.#used = this.#size;
  }

  /** An owned list without its holes, and the index over it. */
  #compact(): void {
    const list = this.#list.filter((origin) => origin !== undefined);
    const slots = new Int32Array(slotsFor(list.length));
    for (let i = 0; i < list.length; i++) place(slots, list[i] as string, i + 1);
    this.#list = list;
    this.#slots = slots;
    this.#used = list.length;
  }

  /** The members in insertion order, as a new array (a plain loop: many times faster than spreading keys()). */
  toArray(): string[] {
    if (this.#shared) return [...this.keys()];
    const list = this.#list;
    if (list.length === this.#size) return list.slice() as string[];
    const members: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const origin = list[i];
      if (origin !== undefined) members.push(origin);
    }
    return members;
  }

  /** The members in insertion order (in a shared list, the entries the index points at). */
  *keys(): MapIterator<string> {
    const list = this.#list;
    for (let i = 0; i < list.length; i++) {
      const origin = list[i];
      if (origin === undefined) continue;
      // An owned list compacted meanwhile is a new array: this one no longer shows removals.
      if (!this.#shared) {
        if (list === this.#list || this.has(origin)) yield origin;
      } else {
        const slot = this.#find(origin);
        if (slot >= 0 && this.#slots[slot] === i + 1) yield origin;
      }
    }
  }

  *values(): MapIterator<OriginVerdict> {
    for (const origin of this.keys()) yield this.get(origin) as OriginVerdict;
  }

  *entries(): MapIterator<[string, OriginVerdict]> {
    for (const origin of this.keys()) yield [origin, this.get(origin) as OriginVerdict];
  }

  [Symbol.iterator](): MapIterator<[string, OriginVerdict]> {
    return this.entries();
  }

  forEach(callback: (value: OriginVerdict, key: string, map: ReadonlyMap<string, OriginVerdict>) => void): void {
    for (const [origin, verdict] of this.entries()) callback(verdict, origin, this);
  }
}
