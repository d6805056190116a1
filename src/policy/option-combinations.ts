/**
 * The third phase of createCorsPolicy(): options that are each valid but wrong together
 * (credentials with any origin, `null` or `exposedHeaders: '*'`; options that change nothing).
 */
import type { PolicyMode } from './cors-policy.js';
import type { IssueCollector } from './errors.js';
import type { PolicyFields } from './policy-fields.js';

/**
 * Checks the combinations of the fields read; problems go to `issues`. Returns the policy's mode:
 * the origin rules' own, except `reflect-any` when any origin is allowed with credentials on
 * purpose (`dangerouslyAllowAnyOriginWithCredentials`).
 */
export function checkCombinations(fields: PolicyFields, issues: IssueCollector): PolicyMode {
  const { builder, values } = fields;
  const { credentials } = values;
  const mode = anyOriginWithCredentials(fields, issues);
  const anyOrigin = builder.mode === 'public' || builder.mode === 'reflect-any';
  if (anyOrigin && fields.hasAllowedHosts) {
    issues.add(
      'allowedHosts',
      'allowed-hosts-with-any-origin',
      'has no effect when origin is "*" or true, which already allow every origin; remove one of them',
    );
  }
  if (values.allowNullOrigin && credentials) {
    issues.add(
      'allowNullOrigin',
      'null-origin-with-credentials',
      'cannot be true with credentials: the "null" origin is shared by every sandboxed iframe and file: page; remove allowNullOrigin or set credentials: false',
    );
  }
  if (values.exposedHeaders === '*' && credentials) {
    issues.add(
      'exposedHeaders',
      'expose-star-with-credentials',
      '"*" is not a wildcard when credentials are on (Fetch §3.2.3); list the headers to expose',
    );
  }
  return mode;
}

/** Fetch §3.2.3 / §4.9: "*" never works with credentials; refuse rather than reflect silently. */
function anyOriginWithCredentials(fields: PolicyFields, issues: IssueCollector): PolicyMode {
  const { builder, values } = fields;
  const dangerous = values.dangerouslyAllowAnyOriginWithCredentials;
  const anyOrigin = builder.mode === 'public' || builder.mode === 'reflect-any';
  if (values.credentials && anyOrigin) {
    if (dangerous) return 'reflect-any';
    issues.add(
      'credentials',
      'credentials-with-any-origin',
      'is true while origin is "*" or true, which would let every website act as your logged-in users; list the origins you trust (or, only for a closed network, set dangerouslyAllowAnyOriginWithCredentials: true)',
    );
  } else if (dangerous) {
    issues.add(
      'dangerouslyAllowAnyOriginWithCredentials',
      'dangerous-option-unused',
      'has no effect unless origin is "*" or true and credentials is true; remove it',
    );
  }
  return builder.mode;
}
