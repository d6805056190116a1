/**
 * Decision events: each adapter calls one function here where it has applied a decision. The
 * event is built only when someone listens (see isObserved()); the `reportOnly` candidate is
 * evaluated here, after the enforced decision was applied, so it can never change the response.
 */
import type { IncomingMessage } from 'node:http';
import type {
  CandidateDecision,
  CorsDecisionEvent,
  DecisionOutcome,
  DecisionTransport,
} from '../policy/decision-types.js';
import { escapeControlCharacters } from '../shared/escape.js';
import type { OriginLookupResult } from '../policy/origin-lookup.js';
import { isToken } from '../shared/http-tokens.js';
import { describeError, logMiddleware } from '../shared/log.js';
import type { CompiledPolicy } from '../policy/policy.js';
import type { ReasonCode, RequestVerdict } from '../policy/reasons.js';
import { answerPreflight, type PreflightAnswer } from '../headers/preflight.js';
import { decideRequest } from '../headers/request-verdict.js';
import { deliver, isObserved } from './decision-delivery.js';
import { noteCandidateDifference } from './report-only.js';

/** Longest path an event carries (characters, before escaping). */
export const MAX_EVENT_PATH = 256;
const MAX_EVENT_METHOD = 32;

/** A decision reduced to what an event reports. */
interface Decided extends CandidateDecision {
  readonly origin: string | null;
  readonly lookup?: OriginLookupResult | undefined;
}

/** The parts of an upgrade adapter's decision an event reads (UpgradeDecision in src/websocket/). */
export interface UpgradeOutcome {
  readonly allowed: boolean;
  readonly reason: ReasonCode;
  readonly origin: string | undefined;
  readonly rule?: string | undefined;
  readonly lookup?: OriginLookupResult | undefined;
}

/**
 * The version of a policy, for `policyVersion`: a live policy's compiled snapshot carries a
 * `version` number; a policy without one is version 0.
 *
 * @example
 * ```ts
 * policyVersion(compiledPolicy(createCorsPolicy({ origin: 'https://app.example.com' }))); // 0
 * ```
 */
export function policyVersion(policy: CompiledPolicy): number {
  const version = (policy as { readonly version?: unknown }).version;
  return typeof version === 'number' && Number.isFinite(version) ? version : 0;
}

/** Reads a property that may be someone else's getter; a throw counts as absent. */
function readSafely(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** The method when it is a token (RFC 9110 §9.1), else null: never raw text. */
function eventMethod(req: IncomingMessage): string | null {
  const method = readSafely(req, 'method');
  return typeof method === 'string' && method.length <= MAX_EVENT_METHOD && isToken(method) ? method : null;
}

/**
 * The path without query or fragment (the query can carry tokens), cut, control characters
 * escaped. Express's `originalUrl` first: inside a mounted router `url` has lost its prefix.
 */
function eventPath(req: IncomingMessage): string | null {
  const original = readSafely(req, 'originalUrl');
  const url = typeof original === 'string' ? original : readSafely(req, 'url');
  if (typeof url !== 'string') return null;
  let end = Math.min(url.length, MAX_EVENT_PATH);
  for (let i = 0; i < end; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3f || code === 0x23) end = i;
  }
  return escapeControlCharacters(url.slice(0, end));
}

/** The outcome of an HTTP verdict (an actual request, or a preflight whose origin was refused). */
function fromVerdict(verdict: RequestVerdict): Decided {
  const lookup = verdict.lookup;
  if (verdict.allowed)
    return { outcome: 'allowed', reason: verdict.reason, rule: verdict.rule, origin: verdict.origin, lookup };
  const outcome: DecisionOutcome =
    verdict.reason === 'same-origin' ? 'same-origin' : verdict.reason === 'origin-missing' ? 'no-origin' : 'denied';
  const origin = verdict.origin ?? (verdict.reason === 'origin-null' ? 'null' : null);
  return { outcome, reason: verdict.reason, rule: null, origin, lookup };
}

/** A preflight: its origin's verdict, or the method/header refusal of an allowed origin. */
function fromPreflight(verdict: RequestVerdict, answer: PreflightAnswer): Decided {
  const decided = fromVerdict(verdict);
  if (answer.ok || !verdict.allowed || answer.reason === undefined) return decided;
  return { outcome: 'denied', reason: answer.reason, rule: null, origin: decided.origin, lookup: decided.lookup };
}

/** What `policy` would answer to this preflight (the candidate's answer; the enforced one is passed in). */
function preflightAnswerOf(policy: CompiledPolicy, verdict: RequestVerdict, req: IncomingMessage): PreflightAnswer {
  const headers = req.headers;
  const requested = headers['access-control-request-headers'];
  return answerPreflight(
    policy,
    verdict,
    String(headers['access-control-request-method']),
    requested === undefined ? undefined : String(requested),
    headers['access-control-request-private-network'] === 'true',
  );
}

function fromUpgrade(decision: UpgradeOutcome): Decided {
  const origin = decision.origin ?? null;
  const lookup = decision.lookup;
  if (!decision.allowed) return { outcome: 'denied', reason: decision.reason, rule: null, origin, lookup };
  const outcome: DecisionOutcome =
    decision.reason === 'allowed-no-origin'
      ? 'no-origin'
      : decision.reason === 'allowed-same-origin'
        ? 'same-origin'
        : 'allowed';
  return { outcome, reason: decision.reason, rule: decision.rule ?? null, origin, lookup };
}

/** The request fields of an event, read when the decision is applied (a router rewrites `url` later). */
interface RequestFields {
  readonly transport: DecisionTransport;
  readonly method: string | null;
  readonly path: string | null;
}

function publish(policy: CompiledPolicy, fields: RequestFields, enforced: Decided, candidate: Decided | null): void {
  if (candidate !== null) noteCandidateDifference(policy, fields.transport, enforced, candidate);
  const event: CorsDecisionEvent = {
    transport: fields.transport,
    outcome: enforced.outcome,
    reason: enforced.reason,
    origin: enforced.origin,
    rule: enforced.rule,
    policyVersion: policyVersion(policy),
    method: fields.method,
    path: fields.path,
    candidate:
      candidate === null
        ? null
        : Object.freeze({ outcome: candidate.outcome, reason: candidate.reason, rule: candidate.rule }),
  };
  // Only when the lookup was consulted: other events keep their shape (and their JSON lines) as they were.
  deliver(policy, Object.freeze(enforced.lookup === undefined ? event : { ...event, lookup: enforced.lookup }));
}

/**
 * Publishes the enforced decision with the candidate's, once the candidate has decided (at once,
 * or later when the candidate has an origin function that answers asynchronously: the request
 * never waits for it). Never throws.
 */
function publishWithCandidate<T>(
  policy: CompiledPolicy,
  fields: RequestFields,
  enforced: Decided,
  decideCandidate: ((candidate: CompiledPolicy) => T | Promise<T>) | undefined,
  toDecided: (candidate: CompiledPolicy, decision: T) => Decided,
): void {
  const candidate = policy.observation.candidate;
  if (candidate === undefined || decideCandidate === undefined) {
    publish(policy, fields, enforced, null);
    return;
  }
  const decided = decideCandidate(candidate);
  if (!(decided instanceof Promise)) {
    publish(policy, fields, enforced, toDecided(candidate, decided));
    return;
  }
  decided
    .then((settled) => publish(policy, fields, enforced, toDecided(candidate, settled)))
    .catch((err: unknown) => logMiddleware('decision event not published: %s', describeError(err)));
}

/**
 * Reports an HTTP decision: an actual request, or a preflight when its `answer` is given. Call it
 * once the verdict has been applied. Never throws.
 *
 * @example
 * ```ts
 * observeRequest(compiled, req, verdict); // actual request
 * observeRequest(compiled, req, verdict, answer); // preflight
 * ```
 */
export function observeRequest(
  policy: CompiledPolicy,
  req: IncomingMessage,
  verdict: RequestVerdict,
  answer?: PreflightAnswer,
): void {
  if (!isObserved(policy)) return;
  try {
    const preflight = answer !== undefined;
    const fields = {
      transport: preflight ? 'preflight' : 'http',
      method: eventMethod(req),
      path: eventPath(req),
    } as const;
    const enforced = preflight ? fromPreflight(verdict, answer) : fromVerdict(verdict);
    publishWithCandidate(
      policy,
      fields,
      enforced,
      (candidate) => decideRequest(candidate, req),
      (candidate, settled: RequestVerdict) =>
        preflight ? fromPreflight(settled, preflightAnswerOf(candidate, settled, req)) : fromVerdict(settled),
    );
  } catch (err) {
    logMiddleware('decision event not published: %s', describeError(err));
  }
}

/**
 * Reports a WebSocket or socket.io handshake decision. `decideCandidate` runs the adapter's own
 * decision under the candidate policy (the same guard options). Never throws.
 *
 * @example
 * ```ts
 * observeUpgrade(compiled, 'websocket', req, decision, (candidate) => decideUpgrade(candidate, config, req));
 * ```
 */
export function observeUpgrade<T extends UpgradeOutcome>(
  policy: CompiledPolicy,
  transport: 'websocket' | 'socketio',
  req: IncomingMessage,
  decision: UpgradeOutcome,
  decideCandidate?: (candidate: CompiledPolicy) => T | Promise<T>,
): void {
  if (!isObserved(policy)) return;
  try {
    const fields = { transport, method: eventMethod(req), path: eventPath(req) };
    publishWithCandidate(policy, fields, fromUpgrade(decision), decideCandidate, (_candidate, settled: T) =>
      fromUpgrade(settled),
    );
  } catch (err) {
    logMiddleware('decision event not published: %s', describeError(err));
  }
}

/** The path of a fetch `Request`'s URL, without query or fragment, cut and escaped like a Node request's. */
function fetchPath(request: Request): string | null {
  try {
    return escapeControlCharacters(new URL(request.url).pathname.slice(0, MAX_EVENT_PATH));
  } catch {
    return null;
  }
}

/** The preflight answer `policy` would give to a fetch `Request` (the candidate's; the enforced one is passed in). */
function fetchPreflightAnswerOf(policy: CompiledPolicy, verdict: RequestVerdict, request: Request): PreflightAnswer {
  const headers = request.headers;
  return answerPreflight(
    policy,
    verdict,
    headers.get('access-control-request-method') ?? '',
    headers.get('access-control-request-headers') ?? undefined,
    headers.get('access-control-request-private-network') === 'true',
  );
}

/** How the fetch adapter decides a request under another policy (its `reportOnly` candidate). */
export type FetchCandidateDecider = (
  candidate: CompiledPolicy,
  request: Request,
) => RequestVerdict | Promise<RequestVerdict>;

/**
 * Reports a `withCorsSafety()` decision: an actual request, or a preflight when its `answer` is
 * given. With a `reportOnly` candidate, `decideCandidate` decides the same request under it (as
 * the Node adapter's observeRequest() does; the request never waits for the candidate). Never throws.
 *
 * @example
 * ```ts
 * observeFetchRequest(compiled, request, verdict, undefined, decideCandidate); // actual request
 * observeFetchRequest(compiled, request, verdict, answer, decideCandidate); // preflight
 * ```
 */
export function observeFetchRequest(
  policy: CompiledPolicy,
  request: Request,
  verdict: RequestVerdict,
  answer: PreflightAnswer | undefined,
  decideCandidate?: FetchCandidateDecider,
): void {
  if (!isObserved(policy)) return;
  try {
    const method = request.method;
    const preflight = answer !== undefined;
    const fields = {
      transport: preflight ? 'preflight' : 'http',
      method: method.length <= MAX_EVENT_METHOD && isToken(method) ? method : null,
      path: fetchPath(request),
    } as const;
    publishWithCandidate(
      policy,
      fields,
      preflight ? fromPreflight(verdict, answer) : fromVerdict(verdict),
      decideCandidate === undefined ? undefined : (candidate) => decideCandidate(candidate, request),
      (candidate, settled: RequestVerdict) =>
        preflight ? fromPreflight(settled, fetchPreflightAnswerOf(candidate, settled, request)) : fromVerdict(settled),
    );
  } catch (err) {
    logMiddleware('decision event not published: %s', describeError(err));
  }
}
