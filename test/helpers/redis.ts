/**
 * Real Redis for the cors-safety/redis tests: Debian's `redis-server`, started in the foreground
 * in a temporary directory on a free loopback port, stopped (and startable again on the same
 * port, with its data) by the test. When the executable is missing the tests are skipped with a
 * loud warning, unless `CORS_SAFETY_REQUIRE_REDIS=1` (set by `.ci/run`) turns that into a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nginx.js';
import { warnSkipped } from './skip-warning.js';
import { scaled } from './time.js';

const executablePath = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
const required = process.env.CORS_SAFETY_REQUIRE_REDIS === '1';

function findMissing(): string | undefined {
  try {
    accessSync(executablePath, constants.X_OK);
    return undefined;
  } catch {
    return `redis-server not found at ${executablePath}: install it (apt-get install -y redis-server) or set REDIS_SERVER_PATH`;
  }
}

const missing = findMissing();

/**
 * The `skip` option for a suite that needs Redis: a reason when it is missing and not required
 * (after a loud banner), `false` otherwise; a required but missing one fails in {@link startRedis}.
 */
export function redisSkip(): string | false {
  if (missing === undefined || required) return false;
  warnSkipped('REDIS TESTS SKIPPED', [
    `${missing}.`,
    'The fleet tests of cors-safety/redis did NOT run on this machine.',
    'CI runs .ci/run, which installs redis-server and sets CORS_SAFETY_REQUIRE_REDIS=1.',
  ]);
  return `skipped: ${missing}`;
}

/** A redis-server started by {@link startRedis}. */
export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM saves the data) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + scaled(10_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts redis-server on a free loopback port in a fresh temporary directory. */
export async function startRedis(): Promise<RunningRedis> {
  if (missing !== undefined) throw new Error(`CORS_SAFETY_REQUIRE_REDIS=1 but the Redis tests cannot run: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'cors-safety-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    let output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'];
    const started = spawn(executablePath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = started;
    await waitForPort(port, started, () => output.slice(-2000));
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
