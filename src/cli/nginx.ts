/**
 * `cors-safety nginx`: builds the local policy (from a config file or the environment) and
 * writes the two nginx include files generated from it with the library's `createNginxConfig()`.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CorsConfigIssue, CorsPolicy, CorsSafetyOptions } from '../index.js';
import { CorsConfigError, createCorsPolicy, createNginxConfig } from '../index.js';
import { describeEnvironment, loadConfigFile } from './explain.js';

/** The two files, their names, and where each is included. */
export const NGINX_FILES = Object.freeze([
  { name: 'cors-safety-http.conf', part: 'http', context: 'http { }' },
  { name: 'cors-safety-server.conf', part: 'server', context: 'the server { } that proxies to the app' },
] as const);

/** What `cors-safety nginx` did. */
export type NginxResult =
  | {
      readonly kind: 'written';
      /** Where the options came from, in words. */
      readonly source: string;
      readonly policy: Pick<CorsPolicy, 'source' | 'mode' | 'credentials' | 'rules'>;
      /** Absolute paths, in {@link NGINX_FILES} order. */
      readonly files: readonly string[];
    }
  | {
      /** `invalid`: the options are wrong; `unsupported`: valid, but nginx cannot enforce them. */
      readonly kind: 'invalid' | 'unsupported';
      readonly source: string;
      readonly issues: readonly CorsConfigIssue[];
    };

/** Terminal-safe text: control characters from a config file never reach the terminal. */
function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? '?' : ch;
  }
  return out;
}

/** Writes `text` to `path` through a temporary file, so nginx never reads half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/**
 * Builds the policy, generates the files and writes them into `outDir` (created if missing).
 * Invalid or unsupported policies come back as a result listing every issue, and nothing is
 * written; a config file that cannot be loaded throws `ConfigLoadError`.
 *
 * @param env - only for tests: the environment to read instead of `process.env`.
 */
export async function runNginx(
  configFile: string | undefined,
  outDir: string,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<NginxResult> {
  const source = configFile === undefined ? describeEnvironment(env ?? process.env) : `config file ${configFile}`;
  const options =
    configFile === undefined ? (env === undefined ? undefined : { env }) : await loadConfigFile(configFile);
  let policy: CorsPolicy;
  try {
    policy = createCorsPolicy(options as CorsSafetyOptions | undefined);
  } catch (err) {
    if (err instanceof CorsConfigError) return { kind: 'invalid', source, issues: err.issues };
    throw err;
  }
  let config: ReturnType<typeof createNginxConfig>;
  try {
    config = createNginxConfig(policy);
  } catch (err) {
    if (err instanceof CorsConfigError) return { kind: 'unsupported', source, issues: err.issues };
    throw err;
  }
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const files = NGINX_FILES.map((file) => join(dir, file.name));
  for (const [i, file] of NGINX_FILES.entries()) await writeAtomically(files[i] as string, config[file.part]);
  return {
    kind: 'written',
    source,
    policy: { source: policy.source, mode: policy.mode, credentials: policy.credentials, rules: policy.rules },
    files,
  };
}

/**
 * The result as terminal text: where each file goes, or every issue with what to do instead.
 *
 * @example
 * ```ts
 * process.stdout.write(formatNginxResult(await runNginx('cors.config.mjs', '/etc/nginx/cors-safety')));
 * ```
 */
export function formatNginxResult(result: NginxResult): string {
  if (result.kind !== 'written') {
    const count = `${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}`;
    const head =
      result.kind === 'invalid'
        ? `cors-safety: invalid configuration (${count}) in ${printable(result.source)}:`
        : `cors-safety: nginx cannot enforce this policy exactly (${count}), so no files were written:`;
    const lines = [head, ...result.issues.map((i) => `  - ${i.path}: ${printable(i.message)} [${i.code}]`)];
    return `${lines.join('\n')}\n`;
  }
  const { policy } = result;
  const lines = [
    `cors-safety nginx: generated from ${printable(result.source)}`,
    `  policy: ${policy.mode}, credentials ${policy.credentials ? 'on' : 'off'}, ` +
      `rules: ${policy.rules.length === 0 ? '(none)' : printable(policy.rules.join(', '))}`,
  ];
  if (policy.source === 'development-default')
    lines.push(
      '  note: no origin configured, so this is the development default (loopback origins);' +
        ' pass --config or set CORS_ALLOWED_ORIGINS as the app does',
    );
  if (policy.mode === 'disabled')
    lines.push('  note: this policy allows no cross-origin access, so nginx grants no origin either');
  for (const [i, file] of NGINX_FILES.entries()) {
    const path = printable(result.files[i] ?? '');
    lines.push('', `  ${path}`, `    include inside ${file.context}:`, `      include ${JSON.stringify(path)};`);
  }
  lines.push(
    '',
    'Then check and reload nginx: nginx -t && nginx -s reload',
    'Keep proxy_intercept_errors off and add no other CORS headers in nginx: the app answers everything else.',
  );
  return `${lines.join('\n')}\n`;
}
