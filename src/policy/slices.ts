/**
 * Long synchronous jobs of a live policy (compiling a long `origin` list, reloading a fleet's
 * whole set of run-time origins) split into slices by the clock, with a turn of the event loop
 * between them, so requests keep being answered meanwhile.
 */

/**
 * Milliseconds of work between two turns of the event loop: measured by the clock, not by a
 * count of entries, since one RegExp entry can cost as much as thousands of exact origins.
 */
export const SLICE_MS = 5;

/**
 * Resolves after the event loop has run what was waiting (I/O callbacks included): `setImmediate`
 * where the runtime has it (Node, Bun, Deno), a zero-delay timer elsewhere (Workers).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/** Splits a long synchronous job into slices of about {@link SLICE_MS}, by the clock. */
export class Slices {
  #start = performance.now();

  /** Gives the event loop a turn when this slice has run its time; call it between small steps. */
  async next(): Promise<void> {
    if (performance.now() - this.#start < SLICE_MS) return;
    await yieldToEventLoop();
    this.#start = performance.now();
  }
}
