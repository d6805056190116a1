/**
 * Starts a benchmark server (bench/servers.ts) in a child process and talks to it: its port,
 * its CPU time and open connection count (over IPC), and a clean shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ListSpec } from './fixtures.js';

export type ServerVariant = 'bare' | 'cors-safety' | 'cors' | 'ws' | 'ws-policy' | 'ws-guard';

/** What a server child sends back for `{ type: 'stats' }`. */
export interface ServerStats {
  readonly type: 'stats';
  /** `process.cpuUsage()` user + system, microseconds. */
  readonly cpuMicros: number;
  /** `server.getConnections()`: sockets still open, upgraded ones included (-1 on error). */
  readonly connections: number;
}

/** A running server child. */
export interface ServerProcess {
  readonly variant: ServerVariant;
  readonly spec: ListSpec;
  readonly port: number;
  readonly pid: number;
  stats(): Promise<ServerStats>;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVERS = fileURLToPath(new URL('./servers.ts', import.meta.url));
// A limit for giving up, not a measurement: under the test runner it grows with the machine's load
// like every test timeout (CORS_SAFETY_TIME_SCALE, set by scripts/run-tests.mjs).
const START_TIMEOUT_MS = 30_000 * Math.max(1, Number(process.env.CORS_SAFETY_TIME_SCALE) || 1);

/** The child's environment: production mode, and nothing that would slow the server (coverage, debug logs). */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  delete env.NODE_V8_COVERAGE;
  delete env.DEBUG;
  delete env.NODE_OPTIONS;
  return env;
}

function waitForPort(child: ChildProcess, label: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`bench server ${label}: ${message}`));
    };
    const timer = setTimeout(() => fail(`printed no port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before printing its port`));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline < 0) return;
      const port = Number(output.slice(0, newline));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      if (Number.isInteger(port) && port > 0) resolve(port);
      else fail(`printed ${JSON.stringify(output.slice(0, newline))} instead of a port`);
    });
  });
}

/**
 * Spawns `node [nodeArgs] --import tsx bench/servers.ts <variant> <exact> <patterns>`.
 * `nodeArgs` is for profiling, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`.
 */
export async function startServer(
  variant: ServerVariant,
  spec: ListSpec,
  nodeArgs: readonly string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', SERVERS, variant, String(spec.exact), String(spec.patterns)],
    {
      cwd: ROOT,
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const label = `${variant} ${spec.exact}+${spec.patterns}`;
  const port = await waitForPort(child, label);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return {
    variant,
    spec,
    port,
    pid: child.pid ?? -1,
    stats: () =>
      new Promise<ServerStats>((resolve, reject) => {
        if (exited) {
          reject(new Error(`bench server ${label} has exited`));
          return;
        }
        const onMessage = (message: unknown): void => {
          if ((message as { type?: unknown } | null)?.type !== 'stats') return;
          child.off('message', onMessage);
          resolve(message as ServerStats);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    close: async () => {
      if (!exited) child.kill('SIGTERM');
      await exitedPromise;
    },
  };
}
