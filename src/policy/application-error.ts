/**
 * Request-time entry points catch everything so that no value they are handed can make them
 * throw. An exception thrown by the application's own callback (`next`, `onAllowed`, ws's
 * `verifyClient` callback) is not ours to swallow: it is wrapped on the way out of the
 * callback, and the entry point's catch unwraps and rethrows it.
 */

/** An exception thrown by application code that an entry point must pass on, not swallow. */
export class ApplicationError extends Error {
  constructor(readonly error: unknown) {
    super('the application callback threw');
    this.name = 'ApplicationError';
  }
}

/** Calls the application's `fn`, wrapping what it throws in an {@link ApplicationError}. */
export function callApplication<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
  try {
    fn(...args);
  } catch (err) {
    throw new ApplicationError(err);
  }
}

/** The application's own exception inside an {@link ApplicationError}, or `err` itself. */
export function unwrapApplicationError(err: unknown): unknown {
  return err instanceof ApplicationError ? err.error : err;
}

/** In an entry point's catch: rethrows the application's own exception, returns anything else. */
export function rethrowApplicationError(err: unknown): unknown {
  if (err instanceof ApplicationError) throw err.error;
  return err;
}
