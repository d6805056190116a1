/**
 * The one decision both upgrade adapters share: `decideUpgrade()` turns a handshake's facts into
 * an allowed/refused outcome; `report()` and the log helpers tell the user about it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApplicationError } from '../policy/application-error.js';
import { describeError, logUpgrade, quoteForLog } from '../policy/log.js';
import { escapeControlCharacters } from '../policy/escape.js';
import { decideOrigin } from '../policy/origin-check.js';
import { isLoopbackHost, parseSerializedOrigin } from '../policy/origin-syntax.js';
import { type CompiledPolicy } from '../policy/policy.js';
import type { OriginVerdict } from '../policy/reasons.js';
import { type UpgradeRefusalStatus } from './upgrade-refusal.js';
import { readUpgradeRequest, type UpgradeRequestFacts } from './upgrade-request.js';
import type { GuardConfig, UpgradeDecision, UpgradeDenyReason } from './upgrade-types.js';

/** Only proxy-shaped refusals get a hint: the reasons below cannot be fixed by proxy settings. */
export function refusalHint(
  origin: string | undefined,
  facts: UpgradeRequestFacts,
  trustProxy: boolean,
): string | undefined {
  if (origin === undefined || !facts.target.ok) return undefined;
  const claimed = parseSerializedOrigin(origin);
  if (claimed === undefined) return undefined;
  const own = facts.target.parsed;
  if (facts.forwarded && !trustProxy) {
    return 'the request has X-Forwarded-Host/X-Forwarded-Proto headers, which are ignored without trustProxy: true; set it only if a reverse proxy you control sets them';
  }
  if (claimed.host === own.host && origin !== facts.target.origin) {
    return `the Origin has this server's host but the request arrived as ${facts.target.origin}; behind a TLS-terminating proxy, ${trustProxy ? 'make it send X-Forwarded-Proto and X-Forwarded-Host' : 'set trustProxy: true and make it send X-Forwarded-Proto'}`;
  }
  if (origin === facts.target.origin) {
    return `the Origin is this server's own origin, but ${own.host}:${own.port} is not in allowedHosts (which admits https, and http for loopback hosts only); add it to allow same-origin pages`;
  }
  if (isLoopbackHost(own.host) && !isLoopbackHost(claimed.host)) {
    return `the request's Host is ${own.host}: a proxy may be rewriting Host; make it pass Host through, or send X-Forwarded-Host and set trustProxy: true`;
  }
  return undefined;
}

export function fromVerdict(verdict: OriginVerdict, value: string, facts: UpgradeRequestFacts): UpgradeDecision {
  const claimed = facts.claimed;
  if (verdict.allowed)
    return { allowed: true, reason: verdict.reason, origin: verdict.origin, rule: verdict.rule, claimed };
  // Shared denials (cors-disabled) carry no origin; report the value only once it parses strictly.
  const origin = verdict.origin ?? (parseSerializedOrigin(value) === undefined ? undefined : value);
  return {
    allowed: false,
    status: 403,
    reason: verdict.reason,
    origin,
    claimed,
    detail: verdict.detail,
    facts,
  };
}

/**
 * The handshake decision shared by both adapters. Order: `Host` (400), one claimed origin
 * (403 `origin-multiple`), no origin (`requireOrigin`), same-origin, then the policy's origin
 * rules. Synchronous unless the policy's origin function answers asynchronously; never throws.
 */
export function decideUpgrade(
  compiled: CompiledPolicy,
  config: GuardConfig,
  req: IncomingMessage,
): UpgradeDecision | Promise<UpgradeDecision> {
  const facts = readUpgradeRequest(req, config.trustProxy);
  const { claimed, target } = facts;
  // RFC 9112 §3.2 (and RFC 6455 §4.2.1 item 2): no Host, several Host lines or an invalid one: 400.
  if (!target.ok) return { allowed: false, status: 400, reason: target.reason, origin: undefined, claimed };
  if (claimed.kind === 'multiple')
    return { allowed: false, status: 403, reason: 'origin-multiple', origin: undefined, claimed };
  if (claimed.kind === 'none') {
    return config.requireOrigin
      ? { allowed: false, status: 403, reason: 'origin-missing', origin: undefined, claimed }
      : { allowed: true, reason: 'allowed-no-origin', origin: undefined, rule: 'requireOrigin: false', claimed };
  }
  const value = claimed.value;
  // RFC 6454 §5: same scheme, host and port. The request's own host must also be one this server
  // answers to (allowedHosts), or a rebound DNS name would make any page "same-origin".
  if (value === target.origin) {
    const rule = compiled.hostRules.match(target.parsed);
    if (rule !== undefined) return { allowed: true, reason: 'allowed-same-origin', origin: value, rule, claimed };
  }
  const verdict = decideOrigin(compiled, value, req);
  if (verdict instanceof Promise) return verdict.then((settled) => fromVerdict(settled, value, facts));
  return fromVerdict(verdict, value, facts);
}

/** Calls the metrics hook; nothing it does can reach the request. */
export function report(
  hook: GuardConfig['onReject'],
  reason: UpgradeDenyReason,
  origin: string | undefined,
  req: IncomingMessage,
  status: UpgradeRefusalStatus | undefined,
): void {
  if (hook === undefined) return;
  try {
    const result = hook(Object.freeze({ reason, origin, req, status })) as unknown;
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) =>
        logUpgrade('onReject rejected: %s', describeError(err)),
      );
    }
  } catch (err) {
    logUpgrade('onReject threw: %s', describeError(err));
  }
}

/**
 * After an asynchronous decision: a bug in the application's handler surfaces as it would from
 * any listener, after cleanup; anything else (a socket that is not one) is only logged.
 */
export function rethrowLater(err: unknown): void {
  if (!(err instanceof ApplicationError)) {
    logUpgrade('request or socket unusable after the origin check: %s', describeError(err));
    return;
  }
  process.nextTick(() => {
    throw err.error;
  });
}

/** Destroys `socket` if it is one; never throws. */
export function destroyQuietly(socket: unknown): void {
  try {
    if (typeof (socket as { destroy?: unknown } | null)?.destroy === 'function') (socket as Duplex).destroy();
  } catch {
    // Not a socket.
  }
}

/**
 * Runs `apply` with the decision: at once when it is synchronous, else when the origin check
 * settles. A client that sends FIN while its origin is being checked has given up, so its
 * socket is freed at once; `apply` then finds it gone.
 */
export function whenDecided(
  decision: UpgradeDecision | Promise<UpgradeDecision>,
  socket: Duplex,
  apply: (decision: UpgradeDecision) => void,
): void {
  if (!(decision instanceof Promise)) {
    apply(decision);
    return;
  }
  const onEnd = (): void => {
    socket.destroy();
  };
  socket.once('end', onEnd);
  decision
    .then((settled) => {
      socket.removeListener('end', onEnd);
      apply(settled);
    })
    .catch(rethrowLater);
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The origin a log line names: the validated one, else what the client sent, quoted. */
export function shownOrigin(decision: UpgradeDecision): string {
  if (decision.origin !== undefined) return decision.origin;
  const claimed = decision.claimed;
  return claimed.kind === 'one'
    ? quoteForLog(claimed.value)
    : claimed.kind === 'none'
      ? '(no Origin)'
      : '(several origins)';
}

export function logAllowed(where: string, path: string, decision: Extract<UpgradeDecision, { allowed: true }>): void {
  if (!logUpgrade.enabled) return;
  logUpgrade(
    '%s: allowed %s %s (%s, rule %s)',
    where,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
    escapeControlCharacters(decision.rule),
  );
}

export function logRefused(
  where: string,
  path: string,
  decision: Extract<UpgradeDecision, { allowed: false }>,
  trustProxy: boolean,
): void {
  if (!logUpgrade.enabled) return;
  const hint = decision.facts === undefined ? undefined : refusalHint(decision.origin, decision.facts, trustProxy);
  logUpgrade(
    '%s: refused %d %s %s (%s)%s%s',
    where,
    decision.status,
    quoteForLog(path),
    shownOrigin(decision),
    decision.reason,
    decision.detail === undefined ? '' : `: ${escapeControlCharacters(decision.detail)}`,
    hint === undefined ? '' : `; hint: ${escapeControlCharacters(hint)}`,
  );
}
