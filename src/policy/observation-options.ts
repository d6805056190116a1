/**
 * The policy's observation options, read at construction: `onDecision` (a listener for decision
 * events) and `reportOnly` (a candidate policy evaluated beside the enforced one, never enforced).
 */
import type { DecisionListener } from './decision-types.js';
import { CorsConfigError, type IssueCollector } from './errors.js';
import { describeValue, isPlainObject } from './option-values.js';
import { compiledPolicy, isCorsPolicy, type Observation } from './compiled-policy.js';
import type { CorsPolicy } from './cors-policy.js';

/** The observation of a policy with neither option: one shared object, so checking for it is one comparison. */
export const NO_OBSERVATION: Observation = Object.freeze({
  onDecision: undefined,
  reportOnly: undefined,
  candidate: undefined,
});

/** Reads `onDecision`; a non-function is a configuration error. */
export function readListener(value: unknown, issues: IssueCollector): DecisionListener | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as DecisionListener;
  issues.add(
    'onDecision',
    'on-decision-type',
    `must be a function (event) => void, got ${describeValue(value)}; see docs/production.md`,
  );
  return undefined;
}

/**
 * Builds the candidate. Its own problems are reported under `reportOnly.`; it cannot have a
 * candidate or a listener of its own (its decisions are reported through the enforced policy), and
 * it needs rules of its own: a candidate read from the environment would silently be the enforced policy.
 * `build` is `createCorsPolicy()`, passed in so that this module does not import the policy's entry.
 */
export function readCandidate(
  value: unknown,
  issues: IssueCollector,
  build: (options: Record<string, unknown>) => CorsPolicy,
): CorsPolicy | undefined {
  if (isCorsPolicy(value)) {
    if (value.reportOnly !== undefined)
      issues.add(
        'reportOnly',
        'report-only-nested',
        'is a policy that has a reportOnly candidate of its own; pass a policy built without reportOnly',
      );
    return value;
  }
  if (!isPlainObject(value)) {
    issues.add(
      'reportOnly',
      'report-only-type',
      `must be policy options such as { origin: ['https://app.example.com'] } or a policy from createCorsPolicy(), got ${describeValue(value)}`,
    );
    return undefined;
  }
  const own = { ...value };
  let usable = true;
  for (const key of ['reportOnly', 'onDecision'] as const) {
    if (!Object.hasOwn(own, key)) continue;
    usable = false;
    issues.add(
      `reportOnly.${key}`,
      'report-only-nested',
      `is not allowed inside reportOnly: the candidate's decisions are reported through the enforced policy; move ${key} to the enforced options`,
    );
  }
  if (own.origin === undefined && own.allowedHosts === undefined) {
    usable = false;
    issues.add(
      'reportOnly',
      'report-only-no-rules',
      "has neither origin nor allowedHosts; give the candidate its own rules, e.g. { origin: ['https://app.example.com'] }",
    );
  }
  if (!usable) return undefined;
  try {
    return build({ env: {}, ...own });
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    for (const issue of err.issues) issues.add(`reportOnly.${issue.path}`, issue.code, issue.message);
    return undefined;
  }
}

/**
 * What the compiled policy keeps of `onDecision` and `reportOnly` (each read by its declaration).
 *
 * @example
 * ```ts
 * const observation = observationOf(undefined, createCorsPolicy({ origin: 'https://app.example.com' }));
 * ```
 */
export function observationOf(
  onDecision: DecisionListener | undefined,
  reportOnly: CorsPolicy | undefined,
): Observation {
  if (onDecision === undefined && reportOnly === undefined) return NO_OBSERVATION;
  return Object.freeze({
    onDecision,
    reportOnly,
    candidate: reportOnly === undefined ? undefined : compiledPolicy(reportOnly),
  });
}
