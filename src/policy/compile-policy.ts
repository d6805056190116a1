/**
 * The fourth phase of createCorsPolicy(): the validated fields and origin rules into the
 * `CompiledPolicy` each request is decided with. Header values that do not depend on the request
 * are computed here, once.
 */
import type { CompiledPolicy, Observation } from './compiled-policy.js';
import type { PolicyMode, PolicySource } from './cors-policy.js';
import type { PolicyFields } from './policy-fields.js';

/** What the phases before compilation decided besides the fields. */
export interface CompileInputs {
  readonly mode: PolicyMode;
  readonly source: PolicySource;
  readonly observation: Observation;
}

/**
 * Compiles validated fields (no issue left) into a frozen {@link CompiledPolicy}.
 *
 * @example
 * ```ts
 * const compiled = compilePolicy(fields, { mode: 'allow-list', source: 'options', observation: NO_OBSERVATION });
 * ```
 */
export function compilePolicy(fields: PolicyFields, inputs: CompileInputs): CompiledPolicy {
  const { builder, values } = fields;
  const { methods, allowedHeaders, exposedHeaders } = values;
  return Object.freeze({
    mode: inputs.mode,
    source: inputs.source,
    rules: Object.freeze(builder.rules),
    exact: builder.exact,
    originRules: builder.originRules,
    regexps: Object.freeze(builder.regexps.map((r) => Object.freeze(r))),
    hostRules: builder.hostRules,
    originFunction: builder.originFunction,
    allowNullOrigin: values.allowNullOrigin,
    allowPrivateNetwork: values.allowPrivateNetwork,
    credentials: values.credentials,
    methods: new Set(methods),
    methodsHeader: methods.join(', '),
    allowedHeaders: allowedHeaders === '*' ? undefined : new Set(allowedHeaders),
    allowedHeadersHeader: allowedHeaders === '*' ? '' : allowedHeaders.join(', '),
    exposedHeadersHeader:
      exposedHeaders === '*' ? '*' : exposedHeaders.length > 0 ? exposedHeaders.join(', ') : undefined,
    // 0 is sent as 0: it tells the browser not to cache the answer at all.
    maxAgeHeader: String(values.maxAge),
    preflightContinue: values.preflightContinue,
    optionsSuccessStatus: values.optionsSuccessStatus,
    originCheckTimeout: values.originCheckTimeout,
    exposeReason: values.exposeReason,
    version: 0,
    dynamic: undefined,
    lookup: values.originLookup,
    observation: inputs.observation,
  });
}
