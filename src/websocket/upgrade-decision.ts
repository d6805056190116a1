/**
 * The one decision both upgrade adapters share: `decideUpgrade()` turns a handshake's facts into
 * an allowed/refused outcome (what is done around it, reports and logs, is in upgrade-runner.ts).
 */
import type { IncomingMessage } from 'node:http';
import { decideOrigin } from '../policy/origin-check.js';
import { IssueCollector } from '../policy/errors.js';
import { DEFAULT_PORTS, parseSerializedOrigin, type ParsedOrigin } from '../policy/origin-syntax.js';
import { isLoopbackHost } from '../shared/loopback.js';
import { compiledPolicy, createCorsPolicy, type CompiledPolicy } from '../policy/policy.js';
import { compileTrustProxy, type ProxyTrust } from './proxy-trust.js';
import type { OriginVerdict } from '../policy/reasons.js';
import { readUpgradeRequest, type UpgradeRequestFacts } from './upgrade-request.js';
import type { GuardConfig, UpgradeDecision } from './upgrade-types.js';

/** What a refusal hint is checked against: the request replayed under a changed configuration. */
interface HintContext {
  readonly compiled: CompiledPolicy;
  readonly config: GuardConfig;
  readonly req: IncomingMessage;
  readonly facts: UpgradeRequestFacts;
  /** The origin decision already made for this request: replays reuse it, never calling user code again. */
  readonly settled: SettledOrigin | undefined;
}

/** An `Origin` value and the policy's verdict on it, made once per request. */
interface SettledOrigin {
  readonly value: string;
  readonly verdict: OriginVerdict;
}

const FORWARDED_NAMES = new Set(['x-forwarded-host', 'x-forwarded-proto']);

/**
 * True when the request, with `forwarded` headers in place of its own `X-Forwarded-*` ones,
 * passes under `config`. Only synchronous outcomes count (an origin function that answers later
 * makes no hint).
 */
function replayPasses(context: HintContext, config: GuardConfig, forwarded?: readonly string[]): boolean {
  let req = context.req;
  if (forwarded !== undefined) {
    const raw: string[] = [];
    const own = req.rawHeaders;
    for (let i = 0; i + 1 < own.length; i += 2)
      if (!FORWARDED_NAMES.has((own[i] as string).toLowerCase())) raw.push(own[i] as string, own[i + 1] as string);
    req = Object.assign(Object.create(req) as IncomingMessage, { rawHeaders: [...raw, ...forwarded] });
  }
  const replayed = decideUpgrade(context.compiled, config, req, context.settled);
  return !(replayed instanceof Promise) && replayed.allowed;
}

/** The `trustProxy` value naming this request's peer, as a hint prints it and a replay applies it. */
function peerTrust(req: IncomingMessage): { shown: string; trust: ProxyTrust } | undefined {
  const peer = (req.socket as { remoteAddress?: unknown } | null | undefined)?.remoteAddress;
  if (typeof peer !== 'string') return undefined;
  const issues = new IssueCollector();
  const trust = compileTrustProxy([peer], issues, 'trustProxy');
  return issues.count === 0 ? { shown: `trustProxy: ${JSON.stringify([peer])}`, trust } : undefined;
}

/** True when an `allowedHosts` entry would admit `origin` (http counts for loopback hosts only). */
function allowedHostsAdmits(entry: string, origin: ParsedOrigin): boolean {
  try {
    const single = compiledPolicy(createCorsPolicy({ allowedHosts: [entry], env: {} }));
    return single.hostRules.match(origin) !== undefined;
  } catch {
    return false;
  }
}

/**
 * A hint for a refused handshake that works when followed: each suggestion is checked by
 * replaying the request under the changed configuration, and where nothing can allow the
 * request, the hint says so and why.
 */
function refusalHint(context: HintContext, origin: string | undefined): string | undefined {
  const { facts, config } = context;
  if (origin === undefined || !facts.target.ok) return undefined;
  if (origin === 'null') {
    return 'the guard refuses Origin: null, which every sandboxed iframe and file: page sends, whatever the policy says; accept it only with dangerouslyAllowNullOrigin: true in the guard options';
  }
  const claimed = parseSerializedOrigin(origin);
  if (claimed === undefined) return undefined;
  const own = facts.target.parsed;
  const peer = peerTrust(context.req);
  if (facts.forwarded && !facts.proxyTrusted && peer !== undefined) {
    if (replayPasses(context, { ...config, trustProxy: peer.trust }))
      return `X-Forwarded-Host/X-Forwarded-Proto came from a peer trustProxy does not trust, so they were ignored; if that peer is your reverse proxy, set ${peer.shown}`;
  }
  if (origin === facts.target.origin) {
    const entry = own.port === DEFAULT_PORTS[own.scheme] ? own.host : `${own.host}:${own.port}`;
    if (allowedHostsAdmits(entry, own))
      return `the Origin is this server's own origin, but ${entry} is not in allowedHosts; add "${entry}" to allowedHosts to allow same-origin pages`;
    return `the Origin is this server's own origin over plain http, which allowedHosts cannot allow (it admits http only for loopback hosts: plain http can be altered on the network); serve the page over https, or list "${origin}" in origin`;
  }
  if (peer === undefined) return undefined;
  const trusted = { ...config, trustProxy: peer.trust };
  if (claimed.host === own.host) {
    const scheme = ['X-Forwarded-Proto', claimed.scheme];
    if (replayPasses(context, trusted, scheme))
      return `the Origin has this server's host but the request arrived as ${facts.target.origin}; behind a TLS-terminating proxy, make it send X-Forwarded-Proto: ${claimed.scheme} and set ${peer.shown}`;
  }
  if (isLoopbackHost(own.host) && !isLoopbackHost(claimed.host)) {
    const authority = claimed.port === DEFAULT_PORTS[claimed.scheme] ? claimed.host : `${claimed.host}:${claimed.port}`;
    const forwarded = ['X-Forwarded-Host', authority, 'X-Forwarded-Proto', claimed.scheme];
    if (replayPasses(context, trusted, forwarded))
      return `the request's Host is ${own.host}: a proxy may be rewriting Host; make it send X-Forwarded-Host: ${authority} and X-Forwarded-Proto: ${claimed.scheme}, and set ${peer.shown}`;
  }
  return undefined;
}

export function fromVerdict(
  verdict: OriginVerdict,
  value: string,
  facts: UpgradeRequestFacts,
  hint?: (origin: string | undefined, settled: SettledOrigin | undefined) => string | undefined,
): UpgradeDecision {
  const claimed = facts.claimed;
  if (verdict.allowed) {
    const allowed = {
      allowed: true,
      reason: verdict.reason,
      origin: verdict.origin,
      rule: verdict.rule,
      claimed,
    } as const;
    // Only with an origin lookup: other decisions keep their shape.
    return verdict.lookup === undefined ? allowed : { ...allowed, lookup: verdict.lookup };
  }
  // Shared denials (cors-disabled) carry no origin; report the value only once it parses strictly.
  const origin = verdict.origin ?? (parseSerializedOrigin(value) === undefined ? undefined : value);
  return {
    allowed: false,
    status: 403,
    reason: verdict.reason,
    origin,
    claimed,
    detail: verdict.detail,
    ...(verdict.lookup === undefined ? undefined : { lookup: verdict.lookup }),
    facts,
    hint: hint === undefined ? undefined : () => hint(origin, { value, verdict }),
  };
}

/**
 * The handshake decision shared by both adapters. Order: `Host` (400), one claimed origin
 * (403 `origin-multiple`), no origin (`requireOrigin`), same-origin, then the policy's origin
 * rules. Synchronous unless the policy's origin function answers asynchronously; never throws.
 * `settled` (a refusal hint's replay) is the origin verdict already made for this request, used
 * instead of deciding the same `Origin` again, so the user's origin function runs once.
 */
export function decideUpgrade(
  compiled: CompiledPolicy,
  config: GuardConfig,
  req: IncomingMessage,
  settled?: SettledOrigin,
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
  const hint = (origin: string | undefined, known?: SettledOrigin): string | undefined =>
    refusalHint({ compiled, config, req, facts, settled: known }, origin);
  // Every sandboxed iframe and file: page sends null: only the guard's own option opens to it.
  if (value === 'null') {
    return config.allowNullOrigin
      ? { allowed: true, reason: 'allowed-null', origin: value, rule: 'dangerouslyAllowNullOrigin', claimed }
      : { allowed: false, status: 403, reason: 'origin-null', origin: value, claimed, hint: () => hint(value) };
  }
  // RFC 6454 §5: same scheme, host and port. The request's own host must also be one this server
  // answers to (allowedHosts), or a rebound DNS name would make any page "same-origin".
  if (value === target.origin) {
    const rule = compiled.hostRules.match(target.parsed);
    if (rule !== undefined) return { allowed: true, reason: 'allowed-same-origin', origin: value, rule, claimed };
  }
  const verdict = settled?.value === value ? settled.verdict : decideOrigin(compiled, value, req);
  if (verdict instanceof Promise) return verdict.then((settled) => fromVerdict(settled, value, facts, hint));
  return fromVerdict(verdict, value, facts, hint);
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
