/**
 * The plain-http-with-credentials warning (`CORS_SAFETY_INSECURE_ORIGIN`) as the debug lines it
 * writes while a policy is compiled, for the tests that check when it fires.
 */
import { format } from 'node:util';
import { createCorsPolicy, type CorsSafetyOptions } from '../../src/index.js';
import { logMiddleware } from '../../src/shared/log.js';

/** The code the warning's lines carry. */
export const INSECURE_ORIGIN_CODE = 'CORS_SAFETY_INSECURE_ORIGIN';

/** The debug lines about insecure origins written while `options` are compiled (with an empty environment). */
export function insecureLines(options: CorsSafetyOptions): string[] {
  const lines: string[] = [];
  const saved = { enabled: logMiddleware.enabled, log: logMiddleware.log };
  logMiddleware.enabled = true;
  logMiddleware.log = (...args: unknown[]) => lines.push(format(...args));
  try {
    createCorsPolicy({ env: {}, ...options });
  } finally {
    logMiddleware.enabled = saved.enabled;
    logMiddleware.log = saved.log;
  }
  return lines.filter((line) => line.includes(INSECURE_ORIGIN_CODE));
}
