/**
 * What corsErrorHandler() tells the server's operator about an error it rendered. By default a
 * 5xx goes to stderr (method, path, status, stack), as Express's own final handler would print
 * it, so a crashed route never goes unseen; 4xx answers are the client's mistake and go to the
 * `cors-safety:error` debug namespace only.
 */
import { escapeControlCharacters } from '../shared/escape.js';
import { logError, quoteForLog } from '../shared/log.js';
import { readProperty } from './error-response.js';

/**
 * What the `log` option receives for every error the handler renders.
 *
 * @example
 * ```ts
 * corsErrorHandler(policy, { log: ({ error, status, method, path }) => logger.error({ err: error, status, method, path }) });
 * ```
 */
export interface ErrorLogEntry {
  /**
   * The error as thrown or passed to `next(err)`: message, stack and all. Server side only.
   * It may carry request data: body-parser attaches the raw body to parse errors as `body`.
   */
  readonly error: unknown;
  /** The status answered, 400-599. */
  readonly status: number;
  readonly method: string;
  /** Request path without the query string (queries often carry tokens). */
  readonly path: string;
}

/** The `log` option: a function that replaces the default, or `false` for no logging at all. */
export type ErrorLogOption = ((entry: ErrorLogEntry) => unknown) | false | undefined;

/** The server-side description of an error: its stack (which starts with the message), else its message. */
export function describeForLog(err: unknown): string {
  const stack = readProperty(err, 'stack');
  if (typeof stack === 'string' && stack !== '') return stack;
  const message = readProperty(err, 'message');
  if (typeof message === 'string' && message !== '') return message;
  // Not an error: a string, a number, a plain object... quoted, so it cannot forge log lines.
  return quoteForLog(err, 200);
}

/** The default: 5xx to stderr, everything to the debug namespace when it is enabled. */
function defaultLog(entry: ErrorLogEntry): void {
  // Request values get no line break; a stack keeps its lines. Everything else a terminal would act
  // on (ESC, CR, C1 controls, bidi overrides) becomes a \uXXXX escape.
  const method = escapeControlCharacters(entry.method);
  const path = escapeControlCharacters(entry.path);
  if (entry.status >= 500) {
    const description = escapeControlCharacters(describeForLog(entry.error), true);
    process.stderr.write(`cors-safety: ${entry.status} ${method} ${path}: ${description}\n`);
  } else if (logError.enabled) {
    logError('%d %s %s: %s', entry.status, method, path, escapeControlCharacters(describeForLog(entry.error), true));
  }
}

/**
 * The function that logs one rendered error for the `log` option given: the default above,
 * nothing for `false`, or the user's function, whose throw or rejection is caught and noted.
 */
export function errorLogWriter(log: ErrorLogOption): (entry: ErrorLogEntry) => void {
  if (log === false) return () => undefined;
  return (entry) => {
    try {
      if (log === undefined) {
        defaultLog(entry);
        return;
      }
      const result: unknown = log(entry);
      // An async logger's rejection must not become an unhandled rejection (it ends the process).
      if (
        typeof result === 'object' &&
        result !== null &&
        typeof (result as PromiseLike<unknown>).then === 'function'
      ) {
        Promise.resolve(result).catch(() => logError('the log option threw while logging a %d', entry.status));
      }
    } catch {
      logError('the log option threw while logging a %d', entry.status);
    }
  };
}
