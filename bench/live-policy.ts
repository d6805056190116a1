/**
 * Live policy figures (issue #20), each printed next to its target: building a large policy
 * against parsing the same entries with WHATWG URL into a Set, heap bytes per entry, 1,000,000
 * exact origins, update() of one origin, the event-loop stall of reconfigure() while a server in
 * this process answers a load generator in another, and a cached originLookup answer against a
 * list hit. Measures and prints; asserts nothing.
 *
 *   node --import tsx bench/live-policy.ts [--quick]
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LIBRARY_ENV, compileLibrary, loadLibrary, type Library } from './library.js';
import { formatLive } from './live-report.js';
import { summarize, type Summary } from './stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Lib = Library['index'];

export interface LiveBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/**
 * `exact` origins and `patterns` `*.` patterns, as a configuration read from a file holds them:
 * flat strings, never hashed (template literals would make rope strings, which cost more heap
 * and are flattened on first use).
 */
function entries(exact: number, patterns: number, domain = 'example'): string[] {
  const list: string[] = [];
  for (let i = 0; i < exact; i++) list.push(`https://app${i}.${domain}.com`);
  for (let i = 0; i < patterns; i++) list.push(`https://*.tenant${i}.${domain}.net`);
  return JSON.parse(JSON.stringify(list)) as string[];
}

/** createCorsPolicy() of `million` exact origins, ms; the list is dropped before the next part. */
function measureMillion(lib: Lib, million: number, rounds: number): Summary {
  const bigList = entries(million, 0);
  return summarize(
    Array.from({ length: rounds }, () => timed(() => lib.createCorsPolicy({ origin: bigList, env: {} }))),
  );
}

function timed(fn: () => unknown): number {
  gc();
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Wall and CPU (process user + system) milliseconds of `fn`, after a full GC. */
function timedCpu(fn: () => unknown): { wall: number; cpu: number } {
  gc();
  const cpu = process.cpuUsage();
  const start = performance.now();
  fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/**
 * The policy build and the URL + Set reference, interleaved round by round, each on a fresh copy
 * of the entries (strings never hashed or flattened before, as a configuration read from a file
 * is); ratios per round, of wall time and of CPU time (steadier when the machine is shared).
 */
function measureBuild(lib: Lib, make: () => string[], rounds: number) {
  const build: number[] = [];
  const url: number[] = [];
  const ratio: number[] = [];
  const cpuRatio: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const forPolicy = make();
    const b = timedCpu(() => lib.createCorsPolicy({ origin: forPolicy, env: {} }));
    const forUrl = make();
    const u = timedCpu(() => new Set(forUrl.map((entry) => new URL(entry).href)));
    build.push(b.wall);
    url.push(u.wall);
    ratio.push(b.wall / u.wall);
    cpuRatio.push(b.cpu / u.cpu);
  }
  return { build: summarize(build), url: summarize(url), ratio: summarize(ratio), cpuRatio: summarize(cpuRatio) };
}

/** JavaScript heap plus ArrayBuffer memory (the exact-origin index is an Int32Array, held outside the heap). */
function memoryUsed(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Memory kept by what `build` returns, per entry, after full GCs (the list made inside and dropped). */
function heapPerEntry(count: number, build: () => unknown): number {
  gc();
  const before = memoryUsed();
  let kept: unknown = build();
  gc();
  const after = memoryUsed();
  if (kept === undefined) throw new Error('nothing built');
  kept = undefined;
  return (after - before) / count;
}

function nsPerCall(fn: () => unknown, calls: number): number {
  for (let i = 0; i < calls / 10; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Number(process.hrtime.bigint() - start) / calls;
}

/** update() adding then removing one origin, `count` times: µs per update(). */
function measureUpdate(lib: Lib, list: readonly string[], count: number): Summary & { p99: number } {
  const live = lib.createLivePolicy({ origin: list, env: {} });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const origin = i % 2 === 0 ? `https://tenant${i}.customer.net` : `https://*.tenant${i}.customer.net`;
    let start = performance.now();
    live.update({ add: [origin] });
    times.push((performance.now() - start) * 1000);
    start = performance.now();
    live.update({ remove: [origin] });
    times.push((performance.now() - start) * 1000);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { ...summarize(times), p99: sorted[Math.floor(sorted.length * 0.99)] ?? Number.NaN };
}

/** check() of a list hit, a pattern hit and a cached originLookup answer, ns per call. */
async function measureLookup(lib: Lib, list: readonly string[]) {
  const validator = lib.createOriginValidator({
    origin: list,
    originLookup: { lookup: (origin) => origin === 'https://cached.customer.net' },
    env: {},
  });
  await validator.check('https://cached.customer.net');
  const listHit = nsPerCall(() => validator.check('https://app500.example.com'), 1_000_000);
  const patternHit = nsPerCall(() => validator.check('https://pr-1.tenant5.example.net'), 1_000_000);
  const cached = nsPerCall(() => validator.check('https://cached.customer.net'), 1_000_000);
  return { listHit, patternHit, cached };
}

/** What one measured window of the loaded server saw. */
interface Window {
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly maxGcMs: number;
  readonly served: number;
  /** Wall time of each reconfigure() or update() in the window, ms. */
  readonly works: readonly number[];
}

const LOAD = new URL('./live-load.ts', import.meta.url);

function startLoad(url: string, origin: string, connections: number): Promise<ChildProcess> {
  const child = fork(LOAD, [url, origin, String(connections)], { execArgv: ['--import', 'tsx'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bench load generator exited (${String(code)})`)));
  });
}

function stopLoad(child: ChildProcess): Promise<{ completed: number; failed: number }> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as { completed: number; failed: number }));
    child.send('stop');
  });
}

/** A server in this process answering `connections` clients of another process through corsSafety(live). */
async function loadedServer(lib: Lib, list: readonly string[], connections: number) {
  const live = lib.createLivePolicy({ origin: list, env: {} });
  const cors = lib.corsSafety(live);
  let served = 0;
  const server = http.createServer((req, res) =>
    cors(req, res, () => {
      served++;
      res.end('ok');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const load = await startLoad(url, 'https://app0.example.com', connections);
  /** Runs `work` (repeatedly, `times`) with the event-loop delay and GC pauses recorded, plus `afterMs`. */
  const measure = async (work: () => Promise<void> | void, times: number, afterMs: number): Promise<Window> => {
    let maxGcMs = 0;
    const record = (items: readonly PerformanceEntry[]): void => {
      for (const item of items) maxGcMs = Math.max(maxGcMs, item.duration);
    };
    const gcs = new PerformanceObserver((items) => {
      record(items.getEntries());
    });
    gcs.observe({ entryTypes: ['gc'] });
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const servedBefore = served;
    histogram.enable();
    const works: number[] = [];
    for (let i = 0; i < times; i++) {
      const start = performance.now();
      await work();
      works.push(performance.now() - start);
    }
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    histogram.disable();
    // Entries are delivered asynchronously: take those not delivered yet.
    record(gcs.takeRecords());
    gcs.disconnect();
    const ms = (ns: number): number => ns / 1e6;
    return {
      maxMs: ms(histogram.max),
      p99Ms: ms(histogram.percentile(99)),
      maxGcMs,
      served: served - servedBefore,
      works,
    };
  };
  const close = async (): Promise<{ completed: number; failed: number }> => {
    const counts = await stopLoad(load);
    server.closeAllConnections();
    server.close();
    return counts;
  };
  return { live, measure, close };
}

/** The event-loop stall of reconfigure() and update() under load, against the same server left alone. */
async function measureStalls(lib: Lib, list: readonly string[], next: readonly string[], quick: boolean) {
  const server = await loadedServer(lib, list, 16);
  try {
    await server.measure(() => new Promise((resolve) => setTimeout(resolve, 1000)), 1, 0); // warm-up
    const times = quick ? 1 : 6;
    const quiet = await server.measure(() => new Promise((resolve) => setTimeout(resolve, 1000)), times, 500);
    let flip = false;
    const reconfigure = await server.measure(
      () => {
        flip = !flip;
        return server.live.reconfigure({ origin: flip ? next : list, env: {} });
      },
      times,
      500,
    );
    let n = 0;
    const update = await server.measure(
      async () => {
        n++;
        server.live.update({ add: [`https://new${n}.customer.net`] });
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
      times * 5,
      500,
    );
    return { quiet, reconfigure, update, load: await server.close() };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** Everything the live part measures. */
export interface LiveFigures {
  readonly quick: boolean;
  readonly exact: number;
  readonly patterns: number;
  readonly million: number;
  readonly rounds: number;
  readonly build: ReturnType<typeof measureBuild>;
  readonly bytes: { readonly policy: number; readonly policyShared: number; readonly urlSet: number };
  readonly big: Summary;
  readonly update: Summary & { p99: number };
  readonly lookup: Awaited<ReturnType<typeof measureLookup>>;
  readonly stalls: Awaited<ReturnType<typeof measureStalls>>;
  readonly load: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly library: string;
}

/** Runs every measurement, in the order least disturbed by the ones before it. */
export async function measureLive(options: LiveBenchOptions): Promise<LiveFigures> {
  const { quick, log } = options;
  const lib = await loadLibrary(process.env[LIBRARY_ENV]);
  const before = os.loadavg();
  const exact = quick ? 10_000 : 100_000;
  const patterns = quick ? 1_000 : 10_000;
  const million = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 1 : 7;
  const list = entries(exact, patterns);
  log(`live: building ${exact} + ${patterns} patterns, and the same entries as URLs into a Set (${rounds} rounds)`);
  // One build first: the Public Suffix List and the JIT warm up outside the measured rounds.
  lib.index.createCorsPolicy({ origin: entries(1000, 100), env: {} });
  const build = measureBuild(lib.index, () => entries(exact, patterns), rounds);
  const count = list.length;
  const bytes = {
    policy: heapPerEntry(count, () => lib.index.createCorsPolicy({ origin: entries(exact, patterns), env: {} })),
    policyShared: heapPerEntry(count, () => lib.index.createCorsPolicy({ origin: list, env: {} })),
    urlSet: heapPerEntry(count, () => new Set(entries(exact, patterns).map((entry) => new URL(entry).href))),
  };
  log(`live: building ${million} exact`);
  const big = measureMillion(lib.index, million, quick ? 1 : 3);
  log('live: update() and lookups');
  const update = measureUpdate(lib.index, list, quick ? 200 : 2000);
  const lookup = await measureLookup(lib.index, list);
  log('live: reconfigure() and update() under load');
  // The load generator's origin is in both lists, so every request is granted whichever is in force.
  const next = [...entries(exact, patterns, 'exemple'), 'https://app0.example.com'];
  const stalls = await measureStalls(lib.index, list, next, quick);
  return {
    quick,
    exact,
    patterns,
    million,
    rounds,
    build,
    bytes,
    big,
    update,
    lookup,
    stalls,
    load: { before, after: os.loadavg() },
    library: lib.source,
  };
}

/** Runs the live part and returns its markdown section for bench/RESULTS.md. */
export async function runLiveBench(options: LiveBenchOptions): Promise<string> {
  return formatLive(await measureLive(options));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const quick = process.argv.includes('--quick');
  // The compiled library, as `npm run bench` runs it (bench/library.ts).
  const build = compileLibrary();
  process.env[LIBRARY_ENV] = build.dir;
  runLiveBench({ quick, log: (line) => process.stderr.write(`${line}\n`) })
    .then(
      (text) => process.stdout.write(text),
      (err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exitCode = 1;
      },
    )
    .finally(() => build.remove());
}
