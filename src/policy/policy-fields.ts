/**
 * The second phase of createCorsPolicy(): every option read and validated by its declaration
 * (option-declarations.ts), the origin rules compiled entry by entry into a PolicyBuilder. Each
 * problem goes to the IssueCollector and the option reads as its fallback, so all are reported.
 */
import type { Observation } from './compiled-policy.js';
import type { IssueCollector } from './errors.js';
import { observationOf } from './observation-options.js';
import {
  OPTION_DECLARATIONS,
  type OptionDeclaration,
  type OptionName,
  type OptionValues,
  type ReadContext,
} from './option-declarations.js';
import { describeValue } from './option-values.js';
import type { OriginOption } from './origin-option.js';
import { PolicyBuilder } from './policy-builder.js';

/**
 * The options read after the origin rules, in the order their issues are reported (a
 * `CorsConfigError` lists issues in the order they were found): the switches the combination
 * checks look at first, then the other switches, the numbers, the lookup and the lists.
 * `onDecision` and `reportOnly` are read after the combination checks ({@link readObservers}),
 * `env` with the sources (option-sources.ts), `headers` with `allowedHeaders`.
 */
export const FIELD_ORDER = [
  'credentials',
  'dangerouslyAllowAnyOriginWithCredentials',
  'allowNullOrigin',
  'allowPrivateNetwork',
  'preflightContinue',
  'exposeReason',
  'maxAge',
  'optionsSuccessStatus',
  'originCheckTimeout',
  'originLookup',
  'methods',
  'allowedHeaders',
  'exposedHeaders',
] as const satisfies readonly OptionName[];

/** The values of {@link FIELD_ORDER}, as their declarations read them. */
export type FieldValues = Pick<OptionValues, (typeof FIELD_ORDER)[number]>;

/** The options read and validated: the origin rules in a builder, every other field as a value. */
export interface PolicyFields {
  readonly builder: PolicyBuilder;
  readonly values: FieldValues;
  /** `allowedHosts` was given (a combination check needs to know). */
  readonly hasAllowedHosts: boolean;
}

/** Reads one option through its declaration. */
function readOption<K extends OptionName>(
  name: K,
  options: Record<string, unknown>,
  issues: IssueCollector,
  context: ReadContext,
): OptionValues[K] {
  const declaration = OPTION_DECLARATIONS[name] as OptionDeclaration<OptionValues[K]>;
  return declaration.read(options, name, issues, context);
}

/**
 * Reads every field of the effective options. `prebuilt` holds the `origin` array already
 * compiled (a live policy's reconfigure() compiles a long list in slices); its issues are in
 * `issues` already.
 */
export function readPolicyFields(
  options: Record<string, unknown>,
  issues: IssueCollector,
  context: ReadContext,
  prebuilt: PolicyBuilder | undefined,
): PolicyFields {
  const allowSuffixesBelow = readOption('dangerouslyAllowPublicSuffixesUnderWildcards', options, issues, context);
  const builder = prebuilt ?? new PolicyBuilder(issues, allowSuffixesBelow);
  const origin = readOption('origin', options, issues, context);
  if (origin !== undefined && prebuilt === undefined) builder.addOrigin(origin as OriginOption, 'origin');
  const hosts = readOption('allowedHosts', options, issues, context);
  if (hosts !== undefined) addAllowedHosts(builder, hosts, issues);
  const values = Object.fromEntries(
    FIELD_ORDER.map((name) => [name, readOption(name, options, issues, context)]),
  ) as unknown as FieldValues;
  return { builder, values, hasAllowedHosts: hosts !== undefined };
}

/** `allowedHosts`: one host or a non-empty list of them, each compiled by the builder. */
function addAllowedHosts(builder: PolicyBuilder, hosts: unknown, issues: IssueCollector): void {
  const path = 'allowedHosts';
  if (typeof hosts === 'string') builder.addAllowedHost(hosts, path);
  else if (Array.isArray(hosts)) {
    if (hosts.length === 0)
      issues.add(
        path,
        'allowed-hosts-empty',
        'is an empty list; list the hosts this server answers to, or leave the option out',
      );
    (hosts as unknown[]).forEach((entry, i) => builder.addAllowedHost(entry, `${path}[${i}]`));
  } else issues.add(path, 'allowed-hosts-type', `must be a string or an array of strings, got ${describeValue(hosts)}`);
}

/**
 * Reads `onDecision` and `reportOnly` (the candidate is built here, through `context.build`):
 * after the combination checks, so their issues come last, as they always have.
 */
export function readObservers(
  options: Record<string, unknown>,
  issues: IssueCollector,
  context: ReadContext,
): Observation {
  const onDecision = readOption('onDecision', options, issues, context);
  const reportOnly = readOption('reportOnly', options, issues, context);
  return observationOf(onDecision, reportOnly);
}
