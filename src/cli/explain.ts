/**
 * `cors-safety explain`: builds the local policy (from a config file or the environment) with
 * the library's own validator, then shows what it decides for one origin and why.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CorsConfigIssue, CorsPolicy, CorsSafetyOptions, OriginValidator } from '../index.js';
import { CorsConfigError, createOriginValidator } from '../index.js';
import { fixFor, type ExplainFix } from './explain-fix.js';

/** The config file could not be read or loaded (not a validation problem). */
export class ConfigLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigLoadError';
  }
}

/** A read-only summary of the policy that made the decision. */
export interface PolicySummary {
  readonly source: CorsPolicy['source'];
  readonly mode: CorsPolicy['mode'];
  readonly rules: readonly string[];
  readonly credentials: boolean;
}

/** What `explain` found. */
export type ExplainResult =
  | {
      readonly kind: 'decision';
      readonly origin: string;
      /** Where the options came from, in words. */
      readonly source: string;
      readonly policy: PolicySummary;
      readonly allowed: boolean;
      readonly reason: string;
      readonly rule?: string | undefined;
      readonly matchedOrigin?: string | undefined;
      readonly detail?: string | undefined;
      /** For a denied origin: the change that would allow it, or why none can. */
      readonly fix?: ExplainFix | undefined;
    }
  | {
      readonly kind: 'config-error';
      readonly origin: string;
      readonly source: string;
      readonly issues: readonly CorsConfigIssue[];
    };

const ENV_NAMES = ['CORS_ALLOWED_ORIGINS', 'CORS_ALLOWED_HOSTS', 'CORS_CREDENTIALS'] as const;

/** The environment variables the policy reads, described for a report. */
export function describeEnvironment(env: Readonly<Record<string, string | undefined>>): string {
  const parts = ENV_NAMES.map((name) =>
    Object.hasOwn(env, name) && env[name] !== undefined ? `${name}=${JSON.stringify(env[name])}` : `${name} unset`,
  );
  // The other CORS_* variables (CORS_MAX_AGE, CORS_ALLOWED_HEADERS, ...) only when set.
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (/^CORS_[A-Z_]+$/.test(name) && !name.startsWith('CORS_SAFETY_') && value !== undefined)
      if (!(ENV_NAMES as readonly string[]).includes(name)) parts.push(`${name}=${JSON.stringify(value)}`);
  }
  return `environment (${parts.join(', ')})`;
}

function describeSource(policy: CorsPolicy, fallback: string): string {
  if (policy.source === 'development-default') {
    const withCredentials = policy.credentials ? ', with credentials' : '';
    return `development default: no origin configured, so loopback origins on any port are allowed${withCredentials} (set CORS_ALLOWED_ORIGINS or pass --config)`;
  }
  if (policy.source === 'production-default') {
    return 'production default: NODE_ENV=production and no origin configured, so cross-origin access is off';
  }
  return fallback;
}

/**
 * Loads a config file: `.json` holds the options object; `.js`, `.mjs` or `.cjs` default-exports it.
 *
 * @example
 * ```ts
 * const options = await loadConfigFile('cors.config.mjs');
 * ```
 */
export async function loadConfigFile(file: string, cwd: string = process.cwd()): Promise<unknown> {
  const path = resolve(cwd, file);
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.js' && ext !== '.mjs' && ext !== '.cjs') {
    throw new ConfigLoadError(`config file ${file}: use a .json, .js, .mjs or .cjs file`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigLoadError(
      `cannot read config file ${file}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}`,
    );
  }
  if (ext === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigLoadError(
        `config file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new ConfigLoadError(`cannot load config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (mod.default === undefined) {
    throw new ConfigLoadError(
      `config file ${file} has no default export; write: export default { origin: ['https://app.example.com'] }`,
    );
  }
  return mod.default;
}

/** The environment the policy read: the options' own `env` when they carry one. */
function policyEnvironment(
  options: unknown,
  environment: Readonly<Record<string, string | undefined>>,
): Readonly<Record<string, string | undefined>> {
  const env = typeof options === 'object' && options !== null ? (options as { env?: unknown }).env : undefined;
  return typeof env === 'object' && env !== null ? (env as Record<string, string | undefined>) : environment;
}

/**
 * Builds the policy and decides `origin` with it. Configuration problems come back as a
 * `config-error` result listing every issue; a file that cannot be loaded throws `ConfigLoadError`.
 *
 * @param env - only for tests: the environment to read instead of `process.env`.
 */
export async function runExplain(
  origin: string,
  configFile: string | undefined,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<ExplainResult> {
  const environment = env ?? process.env;
  let source: string;
  let options: unknown;
  if (configFile === undefined) {
    source = describeEnvironment(environment);
    options = env === undefined ? undefined : { env };
  } else {
    source = `config file ${configFile}`;
    options = await loadConfigFile(configFile);
  }
  let validator: OriginValidator;
  try {
    // The options come from the user's file: the library validates them (and reports non-objects).
    validator = options === undefined ? createOriginValidator() : createOriginValidator(options as CorsSafetyOptions);
  } catch (err) {
    if (err instanceof CorsConfigError) return { kind: 'config-error', origin, source, issues: err.issues };
    throw err;
  }
  const { policy } = validator;
  const verdict = await validator.check(origin);
  return {
    kind: 'decision',
    origin,
    source: describeSource(policy, source),
    policy: { source: policy.source, mode: policy.mode, rules: policy.rules, credentials: policy.credentials },
    allowed: verdict.allowed,
    reason: verdict.reason,
    rule: verdict.allowed ? verdict.rule : undefined,
    matchedOrigin: verdict.allowed ? verdict.origin : undefined,
    detail: verdict.allowed ? undefined : verdict.detail,
    fix: fixFor(origin, verdict, { policy, configFile, env: policyEnvironment(options, environment) }),
  };
}
