/**
 * withCorsSafety() from the built `cors-safety/fetch` (dist/fetch.mjs), served by real runtimes
 * other than Node on a loopback port they choose (port 0), and the allowed / denied / preflight /
 * thrown-error table asked over real sockets. Each runtime's binary comes from its npm package
 * (devDependencies): Bun and Deno serve it with their own `serve()`, workerd (the Workers runtime) as
 * a bundled module worker. A missing binary is skipped loudly here and fails under CI
 * (`CORS_SAFETY_REQUIRE_RUNTIMES=1`, set by .ci/run, or `CI=true`). Run after `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scaled } from '../helpers/time.js';
import { warnSkipped } from '../helpers/skip-warning.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('./runtimes/', import.meta.url));
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const required = process.env.CORS_SAFETY_REQUIRE_RUNTIMES === '1' || process.env.CI === 'true';

interface Server {
  readonly url: string;
  readonly version: string;
  readonly child: ChildProcess;
}

interface Runtime {
  readonly name: string;
  /** Where the npm package puts the binary, relative to the repository. */
  readonly binary: string;
  readonly start: (binary: string) => Promise<Server>;
}

const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-runtimes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const RUNTIMES: readonly Runtime[] = [
  {
    name: 'Bun',
    binary: 'node_modules/@oven/bun-linux-x64/bin/bun',
    start: (binary) => startPrintingPort('Bun', binary, ['run', join(here, 'bun-server.mjs')]),
  },
  {
    name: 'Deno',
    binary: 'node_modules/@deno/linux-x64-glibc/deno',
    start: (binary) =>
      startPrintingPort('Deno', binary, [
        'run',
        '--quiet',
        '--no-prompt',
        '--allow-net=127.0.0.1',
        '--allow-env',
        '--allow-read',
        join(here, 'deno-server.mjs'),
      ]),
  },
  {
    name: 'workerd (Cloudflare Workers)',
    binary: 'node_modules/@cloudflare/workerd-linux-64/bin/workerd',
    start: startWorkerd,
  },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Starts a server that prints `{"runtime", "port"}` once it listens on its loopback port 0. */
async function startPrintingPort(name: string, binary: string, args: readonly string[]): Promise<Server> {
  const child = spawn(binary, args, {
    cwd: root,
    env: {
      ...process.env,
      CORS_SAFETY_FETCH_ENTRY: pathToFileURL(join(root, 'dist', 'fetch.mjs')).href,
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no port: ${stderr}`)), scaled(30_000));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${String(code)}: ${stderr}`));
    });
  });
  const { port, runtime: version } = JSON.parse(first) as { port: number; runtime: string };
  return { url: `http://127.0.0.1:${port}`, version, child };
}

/**
 * workerd loads one bundled module (as Wrangler deploys it): the worker and dist/fetch.mjs with
 * its CommonJS chunks and tldts, bundled by esbuild for no particular platform. workerd cannot
 * report a port it chose, so the test binds a loopback socket on port 0 and hands it over as file
 * descriptor 3 (`--socket-fd http=3`); connections queue on it until workerd accepts them.
 */
async function startWorkerd(binary: string): Promise<Server> {
  const dir = mkdtempSync(join(scratch, 'workerd-'));
  await build({
    entryPoints: [join(here, 'workerd-worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['main'],
    alias: { 'cors-safety/fetch': join(root, 'dist', 'fetch.mjs') },
    outfile: join(dir, 'worker.js'),
    logLevel: 'error',
  });
  copyFileSync(join(here, 'workerd.capnp'), join(dir, 'workerd.capnp'));
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(binary, ['serve', join(dir, 'workerd.capnp'), '--socket-fd', 'http=3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
  });
  // The child holds its own copy of the socket; this process stops listening (and never accepts).
  listener.close();
  return { url: `http://127.0.0.1:${port}`, version: `workerd (compatibility date 2025-01-01)`, child };
}

const preflight = (origin: string): RequestInit => ({
  method: 'OPTIONS',
  headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
});

for (const runtime of RUNTIMES) {
  const present = executable(join(root, runtime.binary));
  if (!present) {
    if (!required)
      warnSkipped(`TESTS SKIPPED: withCorsSafety() on ${runtime.name}`, [
        `${runtime.binary} is missing (npm ci installs it).`,
        'CI (CORS_SAFETY_REQUIRE_RUNTIMES=1 or CI=true) fails instead.',
      ]);
  }
  describe(`withCorsSafety() served by ${runtime.name}`, { skip: !present && !required }, () => {
    test(
      'allowed, denied, preflight and thrown-error answers over a real socket',
      { timeout: scaled(60_000) },
      async () => {
        assert.ok(present, `${runtime.binary} is missing but the runtime tests are required`);
        const server = await runtime.start(join(root, runtime.binary));
        try {
          const ask = (path: string, init: RequestInit) => fetch(`${server.url}${path}`, init);
          const allowed = await ask('/ok', { headers: { Origin: APP } });
          assert.equal(allowed.status, 200, server.version);
          assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
          assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
          assert.equal(allowed.headers.get('access-control-expose-headers'), 'X-Request-Id');
          assert.match(allowed.headers.get('vary') ?? '', /Origin/);
          assert.equal(await allowed.text(), 'ok');

          const denied = await ask('/ok', { headers: { Origin: EVIL } });
          assert.equal(denied.status, 200);
          assert.equal(denied.headers.get('access-control-allow-origin'), null);
          assert.equal(denied.headers.get('access-control-allow-credentials'), null);
          assert.equal(denied.headers.get('cors-safety-reason'), 'origin-not-allowed');
          await denied.arrayBuffer();

          const unauthorized = await ask('/unauthorized', { headers: { Origin: APP } });
          assert.equal(unauthorized.status, 401);
          assert.equal(unauthorized.headers.get('access-control-allow-origin'), APP);
          await unauthorized.arrayBuffer();

          const redirect = await ask('/redirect', { headers: { Origin: APP }, redirect: 'manual' });
          assert.equal(redirect.status, 302);
          assert.equal(redirect.headers.get('access-control-allow-origin'), APP);
          await redirect.arrayBuffer();

          const granted = await ask('/ok', preflight(APP));
          assert.equal(granted.status, 204);
          assert.equal(granted.headers.get('access-control-allow-origin'), APP);
          assert.equal(granted.headers.get('access-control-allow-methods'), 'GET, POST, PUT');
          assert.equal(granted.headers.get('access-control-allow-headers'), 'content-type');
          assert.equal(await granted.text(), '');

          const refused = await ask('/ok', preflight(EVIL));
          assert.equal(refused.status, 403);
          assert.equal(refused.headers.get('access-control-allow-origin'), null);
          await refused.arrayBuffer();

          for (const origin of [APP, EVIL]) {
            const thrown = await ask('/throw', { headers: { Origin: origin } });
            assert.equal(thrown.status, 500);
            const body = await thrown.text();
            assert.deepEqual(JSON.parse(body), { error: { status: 500, message: 'Internal Server Error' } });
            assert.doesNotMatch(body, /hunter2/);
            assert.equal(thrown.headers.get('access-control-allow-origin'), origin === APP ? APP : null);
          }
        } finally {
          server.child.kill('SIGTERM');
        }
      },
    );
  });
}
