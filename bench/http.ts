/**
 * HTTP throughput: autocannon in this process drives each server child over loopback. For each
 * allow-list size, the variants run interleaved (bare, corsSafety(), cors, bare, ...) for every
 * case, and the whole sequence is repeated for R rounds so slow drift hits all variants alike.
 */
import autocannon from 'autocannon';
import http from 'node:http';
import {
  BODY,
  CASES,
  HTTP_VARIANTS,
  caseRequest,
  listLabel,
  responseProblem,
  type CaseName,
  type CaseRequest,
  type HttpVariant,
  type ListSpec,
  withoutLog,
} from './fixtures.js';
import { machineBusyMicros, otherCpuPercent, undisturbed, type RunCpu } from './machine.js';
import { startServer, type ServerProcess } from './server-process.js';

export interface HttpSettings {
  readonly lists: readonly ListSpec[];
  readonly rounds: number;
  /** Seconds of load per measured run. */
  readonly durationSec: number;
  /** Seconds of load per case on a fresh server before measuring (JIT warm-up). */
  readonly warmupSec: number;
  readonly connections: number;
  /** Times a run disturbed by other processes is measured again (see machine.ts). */
  readonly maxRetries: number;
  readonly log: (line: string) => void;
}

/** One measured run. */
export interface HttpSample extends RunCpu {
  readonly list: number;
  readonly caseName: CaseName;
  readonly variant: HttpVariant;
  readonly round: number;
  /** Completed requests per second. */
  readonly rps: number;
  /** Server process CPU time (user + system) per completed request, microseconds. */
  readonly cpuMicrosPerRequest: number;
  readonly latencyP99Ms: number;
}

export interface HttpResult {
  readonly settings: Omit<HttpSettings, 'log'>;
  readonly samples: readonly HttpSample[];
}

interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly latencyP99Ms: number;
}

/** Fires `request` at the server for `seconds` with a fixed number of connections, pipelining 1. */
export async function load(
  port: number,
  request: CaseRequest,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const options: autocannon.Options & { sampleInt: number } = {
    url: `http://127.0.0.1:${port}/`,
    connections,
    pipelining: 1,
    duration: seconds,
    method: request.method,
    headers: { ...request.headers },
    // autocannon stops at the first sample tick after `duration`: sample often so runs end on time.
    sampleInt: 100,
  };
  const result = await autocannon(options);
  const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
  if (failures > 0) {
    throw new Error(
      `load on port ${port}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers; a benchmark with failing requests measures nothing`,
    );
  }
  return { requests: result.requests.total, seconds: result.duration, latencyP99Ms: result.latency.p99 };
}

/** Sends one request of a case and returns status, headers and body. */
export function probe(
  port: number,
  request: CaseRequest,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', method: request.method, headers: request.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Checks that a server answers every case as its variant must; throws naming the first problem. */
export async function verifyServer(server: ServerProcess, variant: HttpVariant, spec: ListSpec): Promise<void> {
  for (const caseName of CASES) {
    const answer = await probe(server.port, caseRequest(caseName, spec));
    let problem = responseProblem(variant, caseName, spec, { status: answer.status, headers: answer.headers });
    if (problem === undefined && caseName !== 'preflight' && answer.body !== BODY)
      problem = `body is ${JSON.stringify(answer.body)}, expected ${JSON.stringify(BODY)}`;
    if (problem !== undefined) {
      throw new Error(
        `misconfigured benchmark server ${variant} (${listLabel(spec)}), case ${caseName}: ${problem}; aborting`,
      );
    }
  }
}

/** One measured run: load plus the server's CPU time over it. */
async function measure(
  server: ServerProcess,
  request: CaseRequest,
  settings: HttpSettings,
): Promise<Omit<HttpSample, 'list' | 'caseName' | 'variant' | 'round' | 'retries' | 'disturbed'>> {
  const before = await server.stats();
  const busyBefore = machineBusyMicros();
  const clientBefore = process.cpuUsage();
  const result = await load(server.port, request, settings.durationSec, settings.connections);
  const client = process.cpuUsage(clientBefore);
  const busyAfter = machineBusyMicros();
  const after = await server.stats();
  const serverMicros = after.cpuMicros - before.cpuMicros;
  const clientMicros = client.user + client.system;
  return {
    rps: result.requests / result.seconds,
    cpuMicrosPerRequest: result.requests > 0 ? serverMicros / result.requests : 0,
    latencyP99Ms: result.latencyP99Ms,
    serverCpuPercent: serverMicros / (result.seconds * 1e4),
    clientCpuPercent: clientMicros / (result.seconds * 1e4),
    otherCpuPercent: otherCpuPercent(busyBefore, busyAfter, serverMicros + clientMicros, result.seconds),
  };
}

async function warmUp(server: ServerProcess, spec: ListSpec, settings: HttpSettings): Promise<void> {
  if (settings.warmupSec <= 0) return;
  for (const caseName of CASES)
    await load(server.port, caseRequest(caseName, spec), settings.warmupSec, settings.connections);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the HTTP benchmark. The bare server does no CORS work, so one instance serves every list
 * size; corsSafety() and cors get a fresh server per list size.
 */
export async function runHttpBench(settings: HttpSettings): Promise<HttpResult> {
  const samples: HttpSample[] = [];
  const first = settings.lists[0];
  if (first === undefined) throw new Error('no list sizes');
  const bare = await startServer('bare', first);
  try {
    await verifyServer(bare, 'bare', first);
    await warmUp(bare, first, settings);
    for (const [list, spec] of settings.lists.entries()) {
      settings.log(`http: ${listLabel(spec)} origins: starting servers`);
      const [ours, theirs] = await Promise.all([startServer('cors-safety', spec), startServer('cors', spec)]);
      try {
        const servers: Record<HttpVariant, ServerProcess> = { bare, 'cors-safety': ours, cors: theirs };
        for (const variant of HTTP_VARIANTS) await verifyServer(servers[variant], variant, spec);
        await warmUp(ours, spec, settings);
        await warmUp(theirs, spec, settings);
        for (let round = 0; round < settings.rounds; round++) {
          for (const caseName of CASES) {
            const request = caseRequest(caseName, spec);
            for (const variant of HTTP_VARIANTS) {
              const label = `http: ${listLabel(spec)} | ${caseName} | ${variant} | round ${round + 1}`;
              const run = await undisturbed(
                () => measure(servers[variant], request, settings),
                label,
                settings.log,
                settings.maxRetries,
              );
              samples.push({ list, caseName, variant, round, ...run });
              settings.log(
                `${label}: ${Math.round(run.rps)} req/s, ${run.cpuMicrosPerRequest.toFixed(1)} us CPU/req, CPU server ${Math.round(run.serverCpuPercent)}% client ${Math.round(run.clientCpuPercent)}% other ${Math.round(run.otherCpuPercent)}%${run.disturbed ? ' (DISTURBED)' : ''}`,
              );
              await pause(100);
            }
          }
        }
      } finally {
        await Promise.all([ours.close(), theirs.close()]);
      }
    }
  } finally {
    await bare.close();
  }
  return { settings: withoutLog(settings), samples };
}
