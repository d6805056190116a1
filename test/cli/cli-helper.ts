/** Spawns the real CLI (`node --import tsx src/cli/main.ts`) with a hard timeout. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scaled } from '../helpers/time.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = scaled(20_000),
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `cors-safety ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The parsed `--json` output of the doctor. */
export interface DoctorJson {
  verdict: 'allowed' | 'blocked' | 'probe-failed';
  steps: {
    name: string;
    request: { method: string };
    response?: { status: number };
    skipped?: string;
    error?: string;
  }[];
  findings: { code: string; severity: string; step: string; detail?: string; cause: string; fix: string }[];
  error?: { code: string; message: string };
}

export function parseDoctorJson(stdout: string): DoctorJson {
  return JSON.parse(stdout) as DoctorJson;
}

/** The findings' codes in order, each followed by `:detail` when it has one. */
export function findingCodes(json: DoctorJson): string[] {
  return json.findings.map((f) => `${f.code}${f.detail === undefined ? '' : `:${f.detail}`}`);
}

/** The first finding with `code`; fails the test, listing the codes found, when there is none. */
export function findingOf(json: DoctorJson, code: string): DoctorJson['findings'][number] {
  const found = json.findings.find((f) => f.code === code);
  assert.ok(found, `expected ${code}, got ${JSON.stringify(findingCodes(json))}`);
  return found;
}

/** True if the text looks like a stack trace (`    at fn (file:1:2)`). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text);
}

/** An environment without any CORS_* variable or NODE_ENV from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['CORS_ALLOWED_ORIGINS', 'CORS_ALLOWED_HOSTS', 'CORS_CREDENTIALS', 'NODE_ENV', 'DEBUG'])
    delete env[name];
  return { ...env, ...extra };
}
