/**
 * One policy per request: the first corsSafety() a request meets decides its preflight, its
 * response and its error answer, and later instances pass it on. A later instance with another
 * policy (a route's own `corsSafety(publicPolicy)` behind an app-wide `corsSafety(privatePolicy)`)
 * then never applies; one process warning names it and the fix.
 */
import type { IncomingMessage } from 'node:http';
import { quoteForLog, warnOnce } from '../shared/log.js';
import type { CompiledPolicy, CorsPolicy } from '../policy/policy.js';
import { isMountedAtRoot, routerStack } from '../express/mount-order.js';
import { requestDecision } from '../headers/request-verdict.js';

/** A corsSafety() instance: the policy it enforces (to name it) and its middleware (to find its layer). */
interface Instance {
  readonly policy: CorsPolicy;
  readonly middleware: object;
}

const instances = new WeakMap<CompiledPolicy, Instance>();

/**
 * Records the policy a corsSafety() instance enforces and its middleware, so a warning can name it.
 *
 * @example
 * ```ts
 * registerInstancePolicy(compiledPolicy(policy), policy, middleware);
 * ```
 */
export function registerInstancePolicy(compiled: CompiledPolicy, policy: CorsPolicy, middleware: object): void {
  instances.set(compiled, { policy, middleware });
}

/** Whether `instance` is mounted on the Express app itself with `app.use(fn)`, for every path. */
function isAppWide(req: IncomingMessage, instance: Instance | undefined): boolean {
  if (instance === undefined) return false;
  return routerStack(req)?.some((layer) => layer.handle === instance.middleware && isMountedAtRoot(layer)) === true;
}

/** `{ origin: ["https://a.com"], credentials: true }` for a policy, short and quoted for a log line. */
function describePolicy(policy: CorsPolicy | undefined): string {
  if (policy === undefined) return 'another policy';
  const origin =
    policy.mode === 'public'
      ? '"*"'
      : policy.mode === 'reflect-any'
        ? 'true'
        : policy.mode === 'disabled'
          ? 'false'
          : `[${policy.rules
              .slice(0, 3)
              .map((rule) => quoteForLog(rule, 80))
              .join(', ')}${policy.rules.length > 3 ? ', ...' : ''}]`;
  const functionNote = policy.hasOriginFunction ? ' with an origin function' : '';
  return `{ origin: ${origin}${functionNote}${policy.credentials ? ', credentials: true' : ''} }`;
}

/** Everything that changes an answer, so two instances built from the same options count as one. */
function sameAnswers(a: CorsPolicy | undefined, b: CorsPolicy | undefined): boolean {
  if (a === undefined || b === undefined || a.hasOriginFunction || b.hasOriginFunction) return false;
  // Where the rules came from (options or the environment) changes no answer.
  return JSON.stringify({ ...a, source: '' }) === JSON.stringify({ ...b, source: '' });
}

/**
 * Called by a corsSafety() instance for a request another instance already decided: warns once
 * when that instance is mounted app-wide in Express and its policy differs from this one's,
 * naming both and the fix.
 *
 * @example
 * ```ts
 * if (claimRequest(req, compiled) === undefined) warnIfShadowed(req, compiled);
 * ```
 */
export function warnIfShadowed(req: IncomingMessage, compiled: CompiledPolicy): void {
  // Request-time code: a request object that throws when read is simply not reported.
  try {
    checkShadowed(req, compiled);
  } catch {
    // Nothing to warn about that can be read.
  }
}

function checkShadowed(req: IncomingMessage, compiled: CompiledPolicy): void {
  const decider = requestDecision(req)?.policy;
  if (decider === undefined || decider === compiled) return;
  const shadowed = instances.get(compiled)?.policy;
  const decidingInstance = instances.get(decider);
  const deciding = decidingInstance?.policy;
  // Specific instances first (app.use('/public', ...), then the app-wide one) is the documented
  // setup: the app-wide one passing their requests on is intended. An app-wide decider is not.
  if (sameAnswers(shadowed, deciding) || !isAppWide(req, decidingInstance)) return;
  const route = (req as IncomingMessage & { route?: { path?: unknown } }).route?.path;
  const where = typeof route === 'string' ? ` on the route ${quoteForLog(route, 80)}` : '';
  warnOnce(
    'CORS_SAFETY_SHADOWED_POLICY',
    `cors-safety: corsSafety(${describePolicy(shadowed)})${where} never applies: corsSafety(${describePolicy(deciding)}), ` +
      'mounted before it, already decided the request, and the first corsSafety() a request meets decides its ' +
      'preflight, response and error answer. Mount the specific one first, with app.use(path, corsSafety(...)) ' +
      'before the app-wide one (app.use also receives the OPTIONS preflight, which app.get never sees).',
  );
}
