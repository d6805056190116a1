/**
 * Real nginx for the proxy tests: Debian's `nginx` package, started in the foreground with a
 * generated configuration in a temporary prefix, on a free loopback port, and stopped at the end.
 * When the executable is missing the nginx tests are skipped with a loud warning, unless
 * `CORS_SAFETY_REQUIRE_NGINX=1` (set by `.ci/run`), which turns the absence into a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { warnSkipped } from './skip-warning.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/nginx.conf', import.meta.url));

/** Settings a test changes in examples/nginx.conf. */
export interface ExampleSettings {
  readonly upstreamPort: number;
  /** nginx's `client_max_body_size` value, e.g. `1k`. */
  readonly maxBodySize?: string;
  /** nginx's `proxy_read_timeout` value, e.g. `2s`. */
  readonly readTimeout?: string;
}

/**
 * examples/nginx.conf as written, with only what a machine-specific install changes: the listen
 * port (loopback, no TLS), the upstream port, the directory of the generated files, and the
 * limits a test wants to reach quickly. Every replacement must apply exactly once, so the
 * example cannot drift away from what is tested.
 */
export function exampleSite(settings: ExampleSettings): HttpBlock {
  const text = readFileSync(EXAMPLE, 'utf8');
  return (dir, port) => {
    const replacements: [RegExp, string][] = [
      [/^ {4}listen 80;$/m, `    listen 127.0.0.1:${port};`],
      [/^ {4}server 127\.0\.0\.1:3000;$/m, `    server 127.0.0.1:${settings.upstreamPort};`],
      [/^ {4}client_max_body_size 1m;$/m, `    client_max_body_size ${settings.maxBodySize ?? '1m'};`],
      [/^ {8}proxy_read_timeout 1h;$/m, `        proxy_read_timeout ${settings.readTimeout ?? '1h'};`],
    ];
    let site = text;
    for (const [from, to] of replacements) {
      if (!from.test(site)) throw new Error(`examples/nginx.conf no longer contains ${String(from)}`);
      site = site.replace(from, to);
    }
    const includes = site.split('/etc/nginx/cors-safety/').length - 1;
    if (includes !== 2)
      throw new Error(`examples/nginx.conf should include the two generated files, found ${includes}`);
    return site.replaceAll('/etc/nginx/cors-safety/', `${dir}/`);
  };
}

/** Whether the nginx tests can run here, and what to do if not. */
export interface NginxSupport {
  readonly executablePath: string;
  /** `CORS_SAFETY_REQUIRE_NGINX=1`: a missing nginx is a failure, not a skip. */
  readonly required: boolean;
  /** Why the nginx tests are skipped; `undefined` when nginx is there. */
  readonly missing: string | undefined;
}

let warned = false;

/**
 * Finds nginx (`NGINX_PATH`, default `/usr/sbin/nginx`). When it is missing and not required,
 * prints a loud warning to stderr once per process.
 */
export function nginxSupport(suite: string): NginxSupport {
  const executablePath = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
  const required = process.env.CORS_SAFETY_REQUIRE_NGINX === '1';
  let missing: string | undefined;
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    missing = `nginx not found at ${executablePath}: install it (apt-get install -y nginx) or set NGINX_PATH`;
  }
  if (missing !== undefined && !required && !warned) {
    warned = true;
    warnSkipped(`NGINX TESTS SKIPPED (${suite})`, [
      `${missing}.`,
      'The real-proxy proof of the generated nginx configuration did NOT run on this machine.',
      'CI runs .ci/run, which installs nginx and sets CORS_SAFETY_REQUIRE_NGINX=1.',
    ]);
  }
  return { executablePath, required, missing };
}

/**
 * The `skip` option for a suite that needs nginx: a reason when nginx is missing and not
 * required, `false` otherwise (a required but missing nginx then fails in `before`).
 */
export function nginxSkip(support: NginxSupport): string | false {
  return support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;
}

/** Throws when nginx is required but missing; call it first in `before`. */
export function assertNginxPresent(support: NginxSupport): void {
  if (support.missing !== undefined) throw new Error(requiredNginxMessage(support));
}

/** The message a required-but-missing nginx fails with. */
export function requiredNginxMessage(support: NginxSupport): string {
  return `CORS_SAFETY_REQUIRE_NGINX=1 but the nginx tests cannot run: ${support.missing ?? 'unknown reason'}`;
}

/** A free loopback port: bound on port 0, then released for nginx to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What goes inside `http { }`, given the prefix directory and the port nginx listens on. */
export type HttpBlock = (dir: string, port: number) => string;

/** A running nginx started by {@link startNginx}. */
export interface RunningNginx {
  readonly port: number;
  readonly url: string;
  /** The prefix directory holding the configuration and logs. */
  readonly dir: string;
  /** Stops nginx (fast shutdown), waits for the master to exit and removes the prefix. */
  stop(): Promise<void>;
}

function mainConfig(dir: string, httpBlock: string): string {
  const temp = (name: string): string => `${name}_temp_path ${join(dir, 'temp', name)};`;
  return [
    // As root, workers would switch to "nobody", which cannot read a private temp directory.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    'daemon off;',
    `error_log ${join(dir, 'error.log')} warn;`,
    `pid ${join(dir, 'nginx.pid')};`,
    'events { worker_connections 256; }',
    'http {',
    '    access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `    ${temp(name)}`),
    httpBlock,
    '}',
    '',
  ].join('\n');
}

/** Resolves once `port` accepts a connection, rejects when nginx exits first. */
function waitUntilListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const onExit = (code: number | null): void => {
      if (done) return;
      done = true;
      reject(new Error(`nginx exited (${String(code)}) before listening: ${output()}`));
    };
    child.once('exit', onExit);
    const attempt = (delay: number): void => {
      if (done) return;
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        if (done) return;
        done = true;
        child.off('exit', onExit);
        resolve();
      });
      // Not listening yet: nginx writes no readiness signal, so try again a little later.
      socket.once('error', () => setTimeout(() => attempt(Math.min(delay * 2, 200)), delay));
    };
    attempt(10);
  });
}

/**
 * Starts nginx with `http { ... }` from `httpBlock` and the files in `files` (name -> text)
 * written into the prefix. Retries on a new port when another process took the port first.
 */
export async function startNginx(
  support: NginxSupport,
  httpBlock: HttpBlock,
  files: Readonly<Record<string, string>> = {},
): Promise<RunningNginx> {
  for (let attemptNo = 1; ; attemptNo++) {
    const dir = mkdtempSync(join(tmpdir(), 'cors-safety-nginx-'));
    const confPath = join(dir, 'nginx.conf');
    const port = await freePort();
    try {
      mkdirSync(join(dir, 'temp'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      writeFileSync(confPath, mainConfig(dir, httpBlock(dir, port)));
    } catch (err) {
      // A configuration that cannot be written (e.g. examples/nginx.conf changed) leaves nothing behind.
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const child = spawn(support.executablePath, ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const output = (): string => {
      let log = '';
      try {
        log = readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        // no log yet
      }
      return `${stderr}${log}`.trim();
    };
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitUntilListening(port, child, output);
    } catch (err) {
      const text = `${String(err)} ${output()}`;
      rmSync(dir, { recursive: true, force: true });
      if (attemptNo < 5 && text.includes('Address already in use')) continue;
      throw err;
    }
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      dir,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
