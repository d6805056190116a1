/** The environment as a policy source: `CORS_ALLOWED_ORIGINS`, `CORS_ALLOWED_HOSTS`, `CORS_CREDENTIALS`. */
import type { IssueCollector } from './errors.js';
import { ownEnvValue } from './option-values.js';

export function parseEnvBoolean(name: string, value: string, issues: IssueCollector): boolean | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes') return true;
  if (lower === 'false' || lower === '0' || lower === 'no' || lower === '') return false;
  issues.add(name, 'env-not-boolean', `is ${JSON.stringify(value)}; set the environment variable to "true" or "false"`);
  return undefined;
}

/** Reads `CORS_ALLOWED_ORIGINS`, `CORS_ALLOWED_HOSTS`, `CORS_CREDENTIALS` into options. */
export function optionsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  issues: IssueCollector,
): Record<string, unknown> | undefined {
  // Own properties only: a polluted Object.prototype.CORS_ALLOWED_ORIGINS must not open the policy.
  const origins = ownEnvValue(env, 'CORS_ALLOWED_ORIGINS');
  const hosts = ownEnvValue(env, 'CORS_ALLOWED_HOSTS');
  const credentials = ownEnvValue(env, 'CORS_CREDENTIALS');
  if ((origins ?? '').trim() === '' && (hosts ?? '').trim() === '') {
    if (credentials !== undefined && credentials.trim() !== '') {
      issues.add(
        'CORS_CREDENTIALS',
        'env-credentials-without-origins',
        'is set but CORS_ALLOWED_ORIGINS and CORS_ALLOWED_HOSTS are not; set the origins to allow',
      );
    }
    return undefined;
  }
  const options = Object.create(null) as Record<string, unknown>;
  if (origins !== undefined && origins.trim() !== '') {
    const list = origins
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    options.origin = list.length === 1 && list[0] === '*' ? '*' : list;
  }
  if (hosts !== undefined && hosts.trim() !== '') {
    options.allowedHosts = hosts
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  if (credentials !== undefined) {
    const parsed = parseEnvBoolean('CORS_CREDENTIALS', credentials, issues);
    if (parsed !== undefined) options.credentials = parsed;
  }
  return options;
}
