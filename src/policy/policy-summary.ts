/**
 * The last phase of createCorsPolicy(): the public, frozen `CorsPolicy` summary, derived from the
 * compiled policy alone, so what it shows is what the compiled policy sends.
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { CorsPolicy } from './cors-policy.js';

/** The items of a precomputed list header (`GET, POST`); tokens hold neither commas nor spaces. */
function headerItems(value: string): string[] {
  return value === '' ? [] : value.split(', ');
}

/**
 * The public summary of a compiled policy: its lists as the headers send them, in the order given.
 *
 * @example
 * ```ts
 * const policy = summarizePolicy(compilePolicy(fields, inputs));
 * ```
 */
export function summarizePolicy(compiled: CompiledPolicy): CorsPolicy {
  const exposed = compiled.exposedHeadersHeader;
  return Object.freeze({
    mode: compiled.mode,
    source: compiled.source,
    rules: compiled.rules,
    credentials: compiled.credentials,
    methods: Object.freeze(headerItems(compiled.methodsHeader)),
    allowedHeaders:
      compiled.allowedHeaders === undefined ? '*' : Object.freeze(headerItems(compiled.allowedHeadersHeader)),
    exposedHeaders: Object.freeze(exposed === undefined ? [] : headerItems(exposed)),
    maxAge: Number(compiled.maxAgeHeader),
    preflightContinue: compiled.preflightContinue,
    optionsSuccessStatus: compiled.optionsSuccessStatus,
    allowNullOrigin: compiled.allowNullOrigin,
    allowPrivateNetwork: compiled.allowPrivateNetwork,
    originCheckTimeout: compiled.originCheckTimeout,
    exposeReason: compiled.exposeReason,
    hasOriginFunction: compiled.originFunction !== undefined,
    reportOnly: compiled.observation.reportOnly,
  });
}
