/**
 * WebSocket handshakes per second against a `ws` server (noServer mode) with and without
 * upgradeGuard(), refusals per second through the guard, and the sockets left open on the server
 * after a burst of refusals (must be zero).
 *
 * The servers run in child processes (bench/servers.ts `ws` and `ws-guard`). The load here is a
 * minimal raw-TCP client (one precomputed handshake request per connection, the 101 and its
 * Sec-WebSocket-Accept checked, then FIN), so the client stays cheaper than the server; the `ws`
 * client itself is used to verify both servers before anything is measured.
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { DENIED_ORIGIN, allowedOrigin, listLabel, withoutLog, type ListSpec } from './fixtures.js';
import { machineBusyMicros, otherCpuPercent, undisturbed, type RunCpu } from './machine.js';
import { startServer, type ServerProcess } from './server-process.js';

export type UpgradeRun = 'handshake-bare' | 'handshake-policy' | 'handshake-guard' | 'refusal-guard';
export const UPGRADE_RUNS: readonly UpgradeRun[] = [
  'handshake-bare',
  'handshake-policy',
  'handshake-guard',
  'refusal-guard',
];

export interface UpgradeSettings {
  readonly spec: ListSpec;
  readonly rounds: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  /** Handshakes in flight at once. */
  readonly concurrency: number;
  /** Times a run disturbed by other processes is measured again (see machine.ts). */
  readonly maxRetries: number;
  readonly log: (line: string) => void;
}

export interface UpgradeSample extends RunCpu {
  readonly run: UpgradeRun;
  readonly round: number;
  /** Completed handshakes (101) or refusals (403 + server close) per second. */
  readonly perSecond: number;
  readonly cpuMicrosPerAttempt: number;
  /** Attempts that ended otherwise: wrong status, bad accept key, or the server kept the socket open past the timeout. */
  readonly failures: number;
  /** `server.getConnections()` once the burst is over and every client socket has closed. */
  readonly openAfter: number;
}

export interface UpgradeResult {
  readonly settings: Omit<UpgradeSettings, 'log'>;
  readonly samples: readonly UpgradeSample[];
}

/** RFC 6455 §1.3's sample key and the accept value it must produce. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** A server that has not closed a refused socket by then has left it open. */
const CLOSE_TIMEOUT_MS = 3000;

export function handshakeRequest(port: number, origin: string): Buffer {
  return Buffer.from(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`,
    'latin1',
  );
}

type Outcome = 'upgraded' | 'refused' | 'failed';

/**
 * One handshake attempt on a fresh connection. `expect: 'upgrade'`: a 101 with the right accept
 * key, then the client closes and waits for the server to close too. `expect: 'refusal'`: a 403
 * and the server closing the socket within {@link CLOSE_TIMEOUT_MS}.
 */
function attempt(port: number, request: Buffer, expect: 'upgrade' | 'refusal'): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let head = '';
    let outcome: Outcome | undefined;
    const timer = setTimeout(() => {
      outcome = 'failed';
      socket.destroy();
    }, CLOSE_TIMEOUT_MS);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      if (outcome !== undefined) return;
      head += chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = head.slice(0, end).split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      if (expect === 'upgrade') {
        const accept = lines
          .find((line) => line.toLowerCase().startsWith('sec-websocket-accept:'))
          ?.slice(21)
          .trim();
        outcome = status === 101 && accept === ACCEPT ? 'upgraded' : 'failed';
        socket.end();
      } else if (status !== 403) {
        outcome = 'failed';
        socket.destroy();
      }
      // A 403: wait for the server to close the socket.
    });
    socket.on('end', () => {
      if (outcome === undefined)
        outcome = expect === 'refusal' && head.startsWith('HTTP/1.1 403 ') ? 'refused' : 'failed';
    });
    socket.on('error', () => {
      outcome ??= 'failed';
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(outcome ?? 'failed');
    });
  });
}

/** `concurrency` loops of attempts for `seconds`; returns successes per second and failures. */
export async function burst(
  port: number,
  request: Buffer,
  expect: 'upgrade' | 'refusal',
  seconds: number,
  concurrency: number,
): Promise<{ ok: number; failures: number; seconds: number }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ok = 0;
  let failures = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const outcome = await attempt(port, request, expect);
      if (outcome === 'failed') failures++;
      else ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ok, failures, seconds: (performance.now() - start) / 1000 };
}

/** Opens a real `ws` client; resolves with 'open' or the refusal status. */
function wsClient(port: number, origin: string): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { origin });
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

async function verify(
  bare: ServerProcess,
  holding: ServerProcess,
  guarded: ServerProcess,
  spec: ListSpec,
): Promise<void> {
  const allowed = allowedOrigin(spec);
  const checks: [string, Promise<'open' | number>, 'open' | number][] = [
    ['ws server, allowed origin', wsClient(bare.port, allowed), 'open'],
    ['ws server holding the policy, allowed origin', wsClient(holding.port, allowed), 'open'],
    ['guarded ws server, allowed origin', wsClient(guarded.port, allowed), 'open'],
    ['guarded ws server, denied origin', wsClient(guarded.port, DENIED_ORIGIN), 403],
  ];
  for (const [what, result, expected] of checks) {
    const got = await result;
    if (got !== expected)
      throw new Error(`misconfigured upgrade benchmark: ${what} answered ${got}, expected ${expected}; aborting`);
  }
  const raw: [string, Promise<Outcome>, Outcome][] = [
    ['raw client, ws server', attempt(bare.port, handshakeRequest(bare.port, allowed), 'upgrade'), 'upgraded'],
    [
      'raw client, ws server holding the policy',
      attempt(holding.port, handshakeRequest(holding.port, allowed), 'upgrade'),
      'upgraded',
    ],
    [
      'raw client, guarded server',
      attempt(guarded.port, handshakeRequest(guarded.port, allowed), 'upgrade'),
      'upgraded',
    ],
    ['raw client, refusal', attempt(guarded.port, handshakeRequest(guarded.port, DENIED_ORIGIN), 'refusal'), 'refused'],
  ];
  for (const [what, result, expected] of raw) {
    const got = await result;
    if (got !== expected)
      throw new Error(`misconfigured upgrade benchmark: ${what} ended ${got}, expected ${expected}; aborting`);
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Open connections once the server has had a moment to finish closing (polls up to 1 s). */
async function openConnections(server: ServerProcess): Promise<number> {
  let open = (await server.stats()).connections;
  for (let i = 0; i < 10 && open !== 0; i++) {
    await pause(100);
    open = (await server.stats()).connections;
  }
  return open;
}

/** Runs the upgrade benchmark: handshakes without and with the guard, and refusals, interleaved. */
export async function runUpgradeBench(settings: UpgradeSettings): Promise<UpgradeResult> {
  const { spec } = settings;
  settings.log(`upgrade: ${listLabel(spec)} origins: starting servers`);
  const [bare, holding, guarded] = await Promise.all([
    startServer('ws', spec),
    startServer('ws-policy', spec),
    startServer('ws-guard', spec),
  ]);
  const samples: UpgradeSample[] = [];
  try {
    await verify(bare, holding, guarded, spec);
    const plan: Record<UpgradeRun, { server: ServerProcess; request: Buffer; expect: 'upgrade' | 'refusal' }> = {
      'handshake-bare': { server: bare, request: handshakeRequest(bare.port, allowedOrigin(spec)), expect: 'upgrade' },
      'handshake-policy': {
        server: holding,
        request: handshakeRequest(holding.port, allowedOrigin(spec)),
        expect: 'upgrade',
      },
      'handshake-guard': {
        server: guarded,
        request: handshakeRequest(guarded.port, allowedOrigin(spec)),
        expect: 'upgrade',
      },
      'refusal-guard': { server: guarded, request: handshakeRequest(guarded.port, DENIED_ORIGIN), expect: 'refusal' },
    };
    if (settings.warmupSec > 0) {
      for (const run of UPGRADE_RUNS)
        await burst(
          plan[run].server.port,
          plan[run].request,
          plan[run].expect,
          settings.warmupSec,
          settings.concurrency,
        );
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const run of UPGRADE_RUNS) {
        const { server, request, expect } = plan[run];
        const label = `upgrade: ${run} | round ${round + 1}`;
        const measured = await undisturbed(
          async () => {
            await openConnections(server);
            const before = await server.stats();
            const busyBefore = machineBusyMicros();
            const clientBefore = process.cpuUsage();
            const result = await burst(server.port, request, expect, settings.durationSec, settings.concurrency);
            const client = process.cpuUsage(clientBefore);
            const busyAfter = machineBusyMicros();
            const after = await server.stats();
            const openAfter = await openConnections(server);
            const attempts = result.ok + result.failures;
            const serverMicros = after.cpuMicros - before.cpuMicros;
            const clientMicros = client.user + client.system;
            return {
              perSecond: result.ok / result.seconds,
              cpuMicrosPerAttempt: attempts > 0 ? serverMicros / attempts : 0,
              failures: result.failures,
              openAfter,
              serverCpuPercent: serverMicros / (result.seconds * 1e4),
              clientCpuPercent: clientMicros / (result.seconds * 1e4),
              otherCpuPercent: otherCpuPercent(busyBefore, busyAfter, serverMicros + clientMicros, result.seconds),
            };
          },
          label,
          settings.log,
          settings.maxRetries,
        );
        const sample: UpgradeSample = { run, round, ...measured };
        samples.push(sample);
        settings.log(
          `${label}: ${Math.round(sample.perSecond)}/s, ${sample.cpuMicrosPerAttempt.toFixed(1)} us CPU each, ${sample.failures} failures, ${sample.openAfter} open after, ` +
            `CPU server ${Math.round(sample.serverCpuPercent)}% client ${Math.round(sample.clientCpuPercent)}% other ${Math.round(sample.otherCpuPercent)}%${sample.disturbed ? ' (DISTURBED)' : ''}`,
        );
      }
    }
  } finally {
    await Promise.all([bare.close(), holding.close(), guarded.close()]);
  }
  return { settings: withoutLog(settings), samples };
}
