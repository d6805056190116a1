/** Readers for scalar and list options (booleans, integers, token lists), reporting problems to an IssueCollector. */
import type { IssueCollector } from './errors.js';
import { isToken, splitConfigList } from '../shared/http-tokens.js';
import type { EntryProblem } from '../shared/forbidden-names.js';
import { describeValue } from './option-values.js';

export function readBoolean(
  options: Record<string, unknown>,
  key: string,
  fallback: boolean,
  issues: IssueCollector,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  issues.add(key, 'not-boolean', `must be true or false, got ${describeValue(value)}`);
  return fallback;
}

export function readInteger(
  options: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  hint: string,
  issues: IssueCollector,
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  issues.add(key, 'out-of-range', `must be an integer from ${min} to ${max} (${hint}), got ${describeValue(value)}`);
  return fallback;
}

/** Validates a list of tokens (methods or header names). */
export function readTokenList(
  options: Record<string, unknown>,
  key: string,
  fallback: readonly string[],
  issues: IssueCollector,
  allowStar: boolean,
  /** Checks each well-formed item (after `normalize`); a problem refuses the item. */
  itemProblem?: (item: string) => EntryProblem | undefined,
  normalize: (item: string) => string = (item) => item,
): string[] | '*' {
  const value = options[key];
  if (value === undefined) return fallback.slice();
  if (typeof value !== 'string' && !Array.isArray(value)) {
    issues.add(
      key,
      'list-type',
      `must be a comma-separated string or an array of strings, got ${describeValue(value)}`,
    );
    return fallback.slice();
  }
  const items: unknown[] = typeof value === 'string' ? splitConfigList(value) : (value as unknown[]);
  const out: string[] = [];
  items.forEach((item, i) => {
    const path = typeof value === 'string' ? key : `${key}[${i}]`;
    if (typeof item !== 'string') {
      issues.add(path, 'list-item-type', `must be a string, got ${describeValue(item)}`);
      return;
    }
    const trimmed = item.trim();
    if (trimmed === '*') {
      if (allowStar && items.length === 1) {
        out.push('*');
        return;
      }
      issues.add(
        path,
        'star-not-supported',
        allowStar ? '"*" must be the only item' : `"*" is not supported here; list the ${key} you use`,
      );
      return;
    }
    if (!isToken(trimmed)) {
      issues.add(
        path,
        'not-a-token',
        `${JSON.stringify(trimmed)} is not a valid HTTP token (RFC 9110 §5.6.2); remove spaces and separators`,
      );
      return;
    }
    const normalized = normalize(trimmed);
    const problem = itemProblem?.(normalized);
    if (problem !== undefined) {
      issues.add(path, problem.code, problem.message);
      return;
    }
    out.push(normalized);
  });
  return out.length === 1 && out[0] === '*' ? '*' : out;
}
