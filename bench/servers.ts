/**
 * Server child process for the benchmarks: starts ONE plain node:http server on 127.0.0.1:0 and
 * prints its port on stdout. The load generator runs in another process, so the two never share
 * an event loop.
 *
 *   node --import tsx bench/servers.ts <variant> <exact origins> [wildcard patterns]
 *
 * Variants: `bare` (the ceiling: a tiny 200 body, and a hand-written static 204 for OPTIONS),
 * `cors-safety` (corsSafety() then the same handler), `cors` (the `cors` package with the
 * equivalent options, then the same handler), `ws` (ws handshakes, no guard), `ws-policy` (the
 * same, holding the compiled policy unused) and `ws-guard` (the same behind upgradeGuard()).
 *
 * The library comes from the compiled directory named by CORS_SAFETY_BENCH_LIB (set by
 * bench/run.ts, see bench/library.ts), or from src/ through tsx when it is not set.
 *
 * With an IPC channel (spawned by the benchmark) it answers `{ type: 'stats' }` with its CPU time
 * and open connection count, and exits when the parent goes away. SIGTERM and SIGINT exit
 * normally, so `node --cpu-prof` writes its profile.
 */
import cors from 'cors';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { BODY, MAX_AGE, METHODS, corsPackageOptions, corsSafetyOptions, type ListSpec } from './fixtures.js';
import { LIBRARY_ENV, loadLibrary, type Library } from './library.js';
import type { ServerStats, ServerVariant } from './server-process.js';

const SERVER_VARIANTS: readonly ServerVariant[] = ['bare', 'cors-safety', 'cors', 'ws', 'ws-policy', 'ws-guard'];

type Next = (err?: unknown) => void;

/** Keeps ws-policy's policy reachable for the life of the process. */
const policyHeld: unknown[] = [];
type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => void;

/** The application handler behind every variant: a tiny plain-text body. */
function tiny(res: http.ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end(BODY);
}

/** A preflight written by hand with static values, as an application without a library would. */
const HAND_WRITTEN_PREFLIGHT = {
  'Access-Control-Allow-Methods': METHODS,
  'Access-Control-Allow-Headers': 'content-type',
  'Access-Control-Max-Age': String(MAX_AGE),
  Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  'Content-Length': '0',
};

function bareHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...HAND_WRITTEN_PREFLIGHT, 'Access-Control-Allow-Origin': req.headers.origin ?? '*' });
    res.end();
    return;
  }
  tiny(res);
}

/** Runs one middleware, then the tiny handler; an error becomes a 500 (never expected here). */
function withMiddleware(middleware: Middleware): http.RequestListener {
  return (req, res) => {
    middleware(req, res, (err?: unknown) => {
      if (err !== undefined) {
        res.statusCode = 500;
        res.end();
        return;
      }
      tiny(res);
    });
  };
}

/** Builds the server of a variant (not yet listening). */
function createBenchServer(variant: ServerVariant, spec: ListSpec, lib: Library): http.Server {
  const { corsSafety } = lib.index;
  const { upgradeGuard } = lib.upgradeGuard;
  switch (variant) {
    case 'bare':
      return http.createServer(bareHandler);
    case 'cors-safety':
      return http.createServer(withMiddleware(corsSafety(corsSafetyOptions(spec))));
    case 'cors':
      return http.createServer(withMiddleware(cors(corsPackageOptions(spec)) as Middleware));
    case 'ws':
    case 'ws-policy':
    case 'ws-guard': {
      const server = http.createServer((_req, res) => tiny(res));
      const wss = new WebSocketServer({ noServer: true });
      const complete = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      };
      if (variant === 'ws') {
        server.on('upgrade', complete);
      } else {
        // ws-policy holds the same compiled policy without using it: what an application that
        // already shares the policy with corsSafety() pays before adding the guard.
        const policy = lib.index.createCorsPolicy(corsSafetyOptions(spec));
        server.on(
          'upgrade',
          variant === 'ws-policy' ? (policyHeld.push(policy), complete) : upgradeGuard(policy, complete),
        );
      }
      return server;
    }
  }
}

function parseArgs(argv: readonly string[]): { variant: ServerVariant; spec: ListSpec } {
  const [variant, exactText, patternsText = '0'] = argv;
  const exact = Number(exactText);
  const patterns = Number(patternsText);
  if (
    !SERVER_VARIANTS.includes(variant as ServerVariant) ||
    !Number.isInteger(exact) ||
    exact < 1 ||
    !Number.isInteger(patterns) ||
    patterns < 0
  ) {
    throw new Error(
      `usage: node --import tsx bench/servers.ts <${SERVER_VARIANTS.join('|')}> <exact origins >= 1> [wildcard patterns]`,
    );
  }
  return { variant: variant as ServerVariant, spec: { exact, patterns } };
}

async function main(): Promise<void> {
  const { variant, spec } = parseArgs(process.argv.slice(2));
  const libraryDir = process.env[LIBRARY_ENV];
  if (libraryDir === undefined)
    process.stderr.write(
      `bench server: ${LIBRARY_ENV} is not set: running src/ through tsx, which adds per-request overhead\n`,
    );
  const server = createBenchServer(variant, spec, await loadLibrary(libraryDir));
  // The load generator opens its connections at once; keep-alive must outlast a run.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const exit = (): void => {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  if (process.send !== undefined) {
    process.on('disconnect', exit);
    process.on('message', (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== 'stats') return;
      server.getConnections((err, connections) => {
        const cpu = process.cpuUsage();
        const stats: ServerStats = {
          type: 'stats',
          cpuMicros: cpu.user + cpu.system,
          connections: err ? -1 : connections,
        };
        process.send?.(stats);
      });
    });
  }
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
}

await main();
