/**
 * Debug namespaces, all under `cors-safety:`. Enable with `DEBUG=cors-safety:*`.
 * Lines name reason codes and well-formed origins only; raw header text is never logged
 * unquoted, and no cookie, authorization or body content is ever logged. Any other text from
 * configuration or the network goes through escapeControlCharacters() (directly, or through
 * quoteForLog() and describeError()) before it is logged.
 */
import type { Debugger } from 'debug';
import { escapeControlCharacters } from './escape.js';

/**
 * The policy core runs on every runtime (`cors-safety/fetch` on Deno, Bun, Workers), so it does
 * not import `debug` (a Node module) itself: the loggers below stay silent until the Node entry
 * installs `debug` through {@link installLogBackend}. They are live bindings: every module that
 * imports them sees the `debug` instances once installed.
 */
export type Logger = Debugger;

/** A logger, shaped like a `debug` instance, that is off until someone sets `enabled` and `log` on it. */
function silentLogger(namespace: string): Logger {
  const logger = function silentLog(...args: unknown[]): void {
    if (logger.enabled) logger.log(...args);
  } as unknown as Logger;
  logger.enabled = false;
  logger.namespace = namespace;
  logger.log = () => undefined;
  return logger;
}

/** Policy construction: where the configuration came from, development defaults. */
export let logPolicy: Logger = silentLogger('cors-safety:policy');
/** One line per origin decision with its reason code. */
export let logOrigin: Logger = silentLogger('cors-safety:origin');
/** Preflight answers. */
export let logPreflight: Logger = silentLogger('cors-safety:preflight');
/** Middleware wiring and misuse warnings. */
export let logMiddleware: Logger = silentLogger('cors-safety:middleware');
/** Errors rendered by corsErrorHandler(). */
export let logError: Logger = silentLogger('cors-safety:error');
/** WebSocket upgrade decisions. */
export let logUpgrade: Logger = silentLogger('cors-safety:upgrade');

let installed = false;

/**
 * Gives the loggers their backend (the Node entry passes `debug`'s `createDebug`); only the
 * first call counts, so the `debug` instances tests and applications hold stay the ones in use.
 */
export function installLogBackend(createDebug: (namespace: string) => Logger): void {
  if (installed) return;
  installed = true;
  logPolicy = createDebug('cors-safety:policy');
  logOrigin = createDebug('cors-safety:origin');
  logPreflight = createDebug('cors-safety:preflight');
  logMiddleware = createDebug('cors-safety:middleware');
  logError = createDebug('cors-safety:error');
  logUpgrade = createDebug('cors-safety:upgrade');
}

/**
 * Quotes untrusted text for a log line: JSON escaping neutralises CR/LF and control
 * characters, and the length is capped so a huge header cannot flood the log.
 */
export function quoteForLog(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    // String() throws for objects without a usable toString (Object.create(null)); never throw here.
    text = `[${typeof value}]`;
  }
  // JSON escapes C0 controls and quotes; C1 controls, DEL and bidi controls it leaves raw.
  return escapeControlCharacters(JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text));
}

const warned = new Set<string>();

/** Emits a process warning once per process for a given code (and always to the debug log). */
export function warnOnce(code: string, text: string): void {
  const message = escapeControlCharacters(text);
  logMiddleware('%s: %s', code, message);
  if (warned.has(code)) return;
  warned.add(code);
  // Runtimes without Node's process (Workers) get the warning on the console instead.
  const host = (globalThis as { process?: { emitWarning?: unknown } }).process;
  if (typeof host?.emitWarning === 'function') process.emitWarning(message, { type: 'CorsSafetyWarning', code });
  else console.warn(`CorsSafetyWarning [${code}]: ${message}`);
}

/** One line describing a thrown value for a log, without ever throwing itself. */
export function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return escapeControlCharacters(`${err.name}: ${err.message}`.slice(0, 200));
  } catch {
    // A throwing name/message getter: fall through to the generic description.
  }
  return `non-error value ${quoteForLog(err, 60)}`;
}
