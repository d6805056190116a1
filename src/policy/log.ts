/**
 * Debug namespaces, all under `cors-safety:`. Enable with `DEBUG=cors-safety:*`.
 * Lines name reason codes and well-formed origins only; raw header text is never logged
 * unquoted, and no cookie, authorization or body content is ever logged. Any other text from
 * configuration or the network goes through escapeControlCharacters() (directly, or through
 * quoteForLog() and describeError()) before it is logged.
 */
import createDebug from 'debug';
import { escapeControlCharacters } from './escape.js';

/** Policy construction: where the configuration came from, development defaults. */
export const logPolicy = createDebug('cors-safety:policy');
/** One line per origin decision with its reason code. */
export const logOrigin = createDebug('cors-safety:origin');
/** Preflight answers. */
export const logPreflight = createDebug('cors-safety:preflight');
/** Middleware wiring and misuse warnings. */
export const logMiddleware = createDebug('cors-safety:middleware');
/** Errors rendered by corsErrorHandler(). */
export const logError = createDebug('cors-safety:error');
/** WebSocket upgrade decisions. */
export const logUpgrade = createDebug('cors-safety:upgrade');

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
  process.emitWarning(message, { type: 'CorsSafetyWarning', code });
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
