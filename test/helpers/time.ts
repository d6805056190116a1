/**
 * Test timeouts that scale with the machine. A timeout in a test is a limit for giving up, never
 * a measurement: on a loaded 2-core machine every limit grows by the same factor instead of
 * racing the load.
 *
 * The factor is `CORS_SAFETY_TIME_SCALE` when set (a number >= 1), else measured at start from
 * the one-minute load average per core (1 on an idle machine, 2 with every core busy, up to 4).
 */
import { availableParallelism, loadavg } from 'node:os';

function measuredScale(): number {
  const perCore = (loadavg()[0] ?? 0) / Math.max(1, availableParallelism());
  return Math.min(4, Math.max(1, Math.round((1 + perCore) * 10) / 10));
}

function configuredScale(): number | undefined {
  const text = process.env.CORS_SAFETY_TIME_SCALE;
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1)
    throw new Error(`CORS_SAFETY_TIME_SCALE must be a number of 1 or more, got ${JSON.stringify(text)}`);
  return value;
}

/** The factor every test timeout is multiplied by. */
export const TIME_SCALE: number = configuredScale() ?? measuredScale();

/** `ms` scaled by {@link TIME_SCALE}, rounded to a whole millisecond. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}
