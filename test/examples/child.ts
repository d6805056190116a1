/**
 * Runs an example program as a user would (`node examples/x.mjs`, importing the built package
 * through `cors-safety`), and talks to it with raw node:http requests, which, unlike fetch, may
 * set `Origin` and `Host` freely.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { scaled } from '../helpers/time.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The examples import `cors-safety`, which resolves to `dist/`. Fails with the fix when it is
 * missing or older than the exports the examples use.
 */
export function assertBuilt(exports: readonly string[]): void {
  const index = `${ROOT}dist/index.mjs`;
  assert.ok(existsSync(index), 'dist/index.mjs is missing: run `npm run build` (npm test does) before these tests');
  const text = readFileSync(index, 'utf8');
  for (const name of exports) {
    assert.ok(new RegExp(`\\b${name}\\b`).test(text), `dist/index.mjs does not export ${name}: run \`npm run build\``);
  }
}

/** A running example program. */
export interface Program {
  readonly url: string;
  readonly port: number;
  /** Everything it printed so far. */
  output(): string;
  /** Waits until its output matches `pattern` (for lines printed after an event). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after 5 s; resolves with how it exited. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Kills whatever is still running; call from `after`. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Starts `node <file>` with `PORT=0` (and `env`), and resolves once it has printed `pattern`
 * (default: `listening on http://127.0.0.1:<port>`). Rejects after 15 s or if it exits first.
 */
export function startProgram(
  file: string,
  env: Record<string, string> = {},
  pattern = /listening on (http:\/\/127\.0\.0\.1:(\d+))/,
): Promise<Program> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', ...env };
  // The examples must not inherit CORS configuration from the developer's shell.
  for (const name of ['CORS_ALLOWED_ORIGINS', 'CORS_ALLOWED_HOSTS', 'CORS_CREDENTIALS', 'NODE_ENV', 'DEBUG']) {
    if (!(name in env)) delete childEnv[name];
  }
  const child = spawn(process.execPath, [file], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });

  const waitForOutput = (wanted: RegExp, timeoutMs = scaled(15_000)): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = wanted.exec(output);
        if (match !== null) {
          done();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(
              `${file} exited (${child.exitCode ?? child.signalCode}) before printing ${String(wanted)}:\n${output}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${file} did not print ${String(wanted)} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return waitForOutput(pattern).then(
    (match) => {
      const url = match[1] ?? '';
      return {
        url,
        port: Number(new URL(url).port),
        output: () => output,
        waitForOutput,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), scaled(5000));
            const result = await exited;
            clearTimeout(timer);
            return result;
          }
          return exited;
        },
      };
    },
    (err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
}

/** A response as the server sent it. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request with any headers (Origin and Host included); no keep-alive; 5 s timeout. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: { Connection: 'close', ...options.headers },
        agent: false,
        timeout: scaled(5000),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Asserts the response grants `origin` (exactly one ACAO value, Vary: Origin). */
export function assertGranted(res: RawResponse, origin: string, credentials: boolean): void {
  assert.equal(
    res.headers['access-control-allow-origin'],
    origin,
    `expected a grant for ${origin} on ${res.status} ${res.body}`,
  );
  assert.match(String(res.headers.vary ?? ''), /\bOrigin\b/i);
  assert.equal(res.headers['access-control-allow-credentials'], credentials ? 'true' : undefined);
}

/** Asserts the response grants nothing. */
export function assertNotGranted(res: RawResponse): void {
  assert.equal(res.headers['access-control-allow-origin'], undefined, `no grant expected on ${res.status} ${res.body}`);
  assert.equal(res.headers['access-control-allow-credentials'], undefined);
}
