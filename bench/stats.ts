/**
 * Small statistics for repeated runs: median and spread, and ratios paired by round (each
 * variant against the baseline measured in the same round, so slow drift cancels out).
 */

/** Median, minimum and maximum of a non-empty list. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/**
 * `numerator[round] / denominator[round]` for every round present in both, summarized.
 * Both maps are keyed by round number.
 */
export function pairedRatio(numerator: ReadonlyMap<number, number>, denominator: ReadonlyMap<number, number>): Summary {
  const ratios: number[] = [];
  for (const [round, value] of numerator) {
    const base = denominator.get(round);
    if (base !== undefined && base > 0) ratios.push(value / base);
  }
  return summarize(ratios);
}

/** `12,345` */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** `12,345 [12,001–12,700]`, or just the median for a single run. */
export function formatCountSpread(s: Summary): string {
  if (s.n <= 1) return formatCount(s.median);
  return `${formatCount(s.median)} [${formatCount(s.min)}–${formatCount(s.max)}]`;
}

/** `97.3%` */
export function formatPercent(ratio: number, digits = 1): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)}%` : 'n/a';
}

/** `97.3% [95.1–98.0]` */
export function formatPercentSpread(s: Summary): string {
  if (s.n <= 1) return formatPercent(s.median);
  return `${formatPercent(s.median)} [${(s.min * 100).toFixed(1)}–${(s.max * 100).toFixed(1)}]`;
}

/** `12.3` */
export function formatMicros(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : 'n/a';
}

/** `4.2×` */
export function formatTimes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10 ? `${Math.round(value)}×` : `${value.toFixed(2)}×`;
}
