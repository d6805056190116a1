/**
 * withCorsSafety() from the built `cors-safety/fetch` (dist/fetch.mjs), served by real runtimes
 * other than Node on a loopback port they choose (port 0), and the allowed / denied / preflight /
 * thrown-error table asked over real sockets. Each runtime's binary comes from its npm package
 * (devDependencies). A missing binary is skipped loudly here and fails under CI
 * (`CORS_SAFETY_REQUIRE_RUNTIMES=1`, set by .ci/run, or `CI=true`). Run after `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scaled } from '../helpers/time.js';
import { warnSkipped } from '../helpers/skip-warning.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('./runtimes/', import.meta.url));
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const required = process.env.CORS_SAFETY_REQUIRE_RUNTIMES === '1' || process.env.CI === 'true';

interface Runtime {
  readonly name: string;
  /** Where the npm package puts the binary, relative to the repository. */
  readonly binary: string;
  readonly args: readonly string[];
}

const RUNTIMES: readonly Runtime[] = [
  { name: 'Bun', binary: 'node_modules/@oven/bun-linux-x64/bin/bun', args: ['run', join(here, 'bun-server.mjs')] },
  {
    name: 'Deno',
    binary: 'node_modules/@deno/linux-x64-glibc/deno',
    args: [
      'run',
      '--quiet',
      '--no-prompt',
      '--allow-net=127.0.0.1',
      '--allow-env',
      '--allow-read',
      join(here, 'deno-server.mjs'),
    ],
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

/** Starts the runtime's server; resolves with its base URL once it printed its port. */
async function start(runtime: Runtime): Promise<{ url: string; version: string; child: ChildProcess }> {
  const child = spawn(join(root, runtime.binary), runtime.args, {
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
    const timer = setTimeout(() => reject(new Error(`${runtime.name} printed no port: ${stderr}`)), scaled(30_000));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime.name} exited ${String(code)}: ${stderr}`));
    });
  });
  const { port, runtime: version } = JSON.parse(first) as { port: number; runtime: string };
  return { url: `http://127.0.0.1:${port}`, version, child };
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
        const server = await start(runtime);
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
