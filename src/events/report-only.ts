/**
 * The `reportOnly` log: one warning the first time the candidate policy would decide an
 * (origin, reason) differently from the enforced one. Bounded: after {@link MAX_REPORTED_DIFFERENCES}
 * distinct pairs per policy, one last line says so and nothing more is kept or logged, so a flood
 * of distinct origins (a scan) cannot grow memory or the log.
 */
import type { CandidateDecision, DecisionTransport } from '../policy/decision-types.js';
import { escapeControlCharacters } from '../shared/escape.js';
import type { CompiledPolicy } from '../policy/policy.js';

/** Distinct (origin, candidate reason) pairs logged per policy. */
export const MAX_REPORTED_DIFFERENCES = 1000;

const WARNING_TYPE = 'CorsSafetyReportOnly';
const WARNING_CODE = 'CORS_SAFETY_REPORT_ONLY';

interface Seen {
  readonly keys: Set<string>;
  full: boolean;
}

/**
 * A process warning where the runtime has Node's `process` (Node, Bun, Deno); on Workers without
 * it, the console (`cors-safety/fetch` runs there too).
 */
function emitReportOnlyWarning(message: string): void {
  const host = (globalThis as { process?: { emitWarning?: unknown } }).process;
  if (typeof host?.emitWarning === 'function') process.emitWarning(message, { type: WARNING_TYPE, code: WARNING_CODE });
  else console.warn(`${WARNING_TYPE} [${WARNING_CODE}]: ${message}`);
}

/** Per enforced policy; goes away with it. */
const seenByPolicy = new WeakMap<CompiledPolicy, Seen>();

/**
 * Logs (a process warning of type `CorsSafetyReportOnly`) the first time the candidate's outcome
 * differs from the enforced one for this origin and candidate reason. The origin is a validated
 * serialized origin or null; it is escaped all the same.
 *
 * @example
 * ```ts
 * noteCandidateDifference(compiled, 'http', enforced, candidate);
 * ```
 */
export function noteCandidateDifference(
  policy: CompiledPolicy,
  transport: DecisionTransport,
  enforced: CandidateDecision & { readonly origin: string | null },
  candidate: CandidateDecision,
): void {
  if (candidate.outcome === enforced.outcome) return;
  let seen = seenByPolicy.get(policy);
  if (seen === undefined) {
    seen = { keys: new Set(), full: false };
    seenByPolicy.set(policy, seen);
  }
  const origin = enforced.origin === null ? '(no valid origin)' : escapeControlCharacters(enforced.origin);
  const key = `${origin} ${candidate.reason}`;
  if (seen.keys.has(key) || seen.full) return;
  if (seen.keys.size >= MAX_REPORTED_DIFFERENCES) {
    seen.full = true;
    emitReportOnlyWarning(
      `cors-safety report-only: ${MAX_REPORTED_DIFFERENCES} distinct origins would be decided differently by the candidate policy; ` +
        'further ones are not logged. Count them from decision events (onDecision or the cors-safety:decision channel).',
    );
    return;
  }
  seen.keys.add(key);
  emitReportOnlyWarning(
    `cors-safety report-only: ${transport} from ${origin} is ${enforced.outcome} (${enforced.reason}) ` +
      `and would be ${candidate.outcome} (${candidate.reason}) under the candidate policy`,
  );
}
