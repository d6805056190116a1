/**
 * Appending to `Vary` (RFC 9110 §12.5.5) without losing what the application set: fields are
 * added once, compared case-insensitively, and `*` (varies on everything) is kept as it is.
 */
import type { ServerResponse } from 'node:http';

function splitFields(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return text
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
}

/** Returns the `Vary` value after appending `fields` to `current` (a header value or list). */
export function mergeVary(current: unknown, fields: readonly string[]): string {
  const existing = splitFields(current);
  if (existing.includes('*')) return '*';
  const seen = new Set(existing.map((field) => field.toLowerCase()));
  for (const field of fields) {
    const lower = field.toLowerCase();
    if (!seen.has(lower)) {
      seen.add(lower);
      existing.push(field);
    }
  }
  return existing.join(', ');
}

/** Appends `fields` to the response's `Vary` header. */
export function appendVary(res: ServerResponse, fields: readonly string[]): void {
  const merged = mergeVary(res.getHeader('vary'), fields);
  if (merged !== '') res.setHeader('Vary', merged);
}
