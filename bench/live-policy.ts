/**
 * Live policy figures (issue #20): building a large policy against parsing the same entries with
 * WHATWG URL into a Set, heap bytes per entry, 1,000,000 exact origins, update() of one origin,
 * the event-loop stall of reconfigure() while a server answers requests, and a cached
 * originLookup answer against a list hit. Measures and prints; asserts nothing.
 *
 *   node --import tsx bench/live-policy.ts [--quick]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCorsPolicy, createLivePolicy, createOriginValidator, corsSafety } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface LiveBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

function entries(exact: number, patterns: number): string[] {
  const list: string[] = [];
  for (let i = 0; i < exact; i++) list.push(`https://app${i}.example.com`);
  for (let i = 0; i < patterns; i++) list.push(`https://*.tenant${i}.example.net`);
  return list;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timeMs(fn: () => unknown, rounds: number): { median: number; min: number; max: number } {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    gc();
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

function heapBytes(build: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (kept === undefined) throw new Error('nothing built');
  return after - before;
}

function nsPerCall(fn: () => unknown, calls: number): number {
  for (let i = 0; i < calls / 10; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Number(process.hrtime.bigint() - start) / calls;
}

/** Largest event-loop delay while `work` runs and a local server answers a steady stream of requests. */
async function stallDuring(work: (live: ReturnType<typeof createLivePolicy>) => Promise<void>, list: string[]) {
  const live = createLivePolicy({ origin: list, env: {} });
  const cors = corsSafety(live);
  const server = http.createServer((req, res) => cors(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let running = true;
  let served = 0;
  const client = async (): Promise<void> => {
    while (running) {
      const res = await fetch(url, { headers: { origin: 'https://app0.example.com' } });
      await res.arrayBuffer();
      served++;
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await work(live);
  await new Promise((resolve) => setTimeout(resolve, 100));
  histogram.disable();
  running = false;
  await Promise.all(clients);
  server.close();
  return { maxMs: histogram.max / 1e6, served };
}

/** Runs every measurement and returns the markdown section for bench/RESULTS.md. */
export async function runLiveBench(options: LiveBenchOptions): Promise<string> {
  const { quick, log } = options;
  const exact = quick ? 10_000 : 100_000;
  const patterns = quick ? 1_000 : 10_000;
  const million = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 1 : 5;
  const list = entries(exact, patterns);
  log(`live: building ${exact} + ${patterns} patterns`);
  const build = timeMs(() => createCorsPolicy({ origin: list, env: {} }), rounds);
  const url = timeMs(() => new Set(list.map((entry) => new URL(entry).href)), rounds);
  const policyBytes = heapBytes(() => createCorsPolicy({ origin: list, env: {} })) / list.length;
  const setBytes = heapBytes(() => new Set(list.map((entry) => new URL(entry).href))) / list.length;
  log(`live: building ${million} exact`);
  const bigList = entries(million, 0);
  const big = timeMs(() => createCorsPolicy({ origin: bigList, env: {} }), quick ? 1 : 3);

  log('live: update() and lookups');
  const live = createLivePolicy({ origin: list, env: {} });
  const updates: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const origin = `https://tenant${i}.customer.net`;
    const start = performance.now();
    live.update({ add: [origin] });
    live.update({ remove: [origin] });
    updates.push((performance.now() - start) / 2);
  }
  const lookupPolicy = createOriginValidator({
    origin: list,
    originLookup: { lookup: (origin) => origin === 'https://cached.customer.net' },
    env: {},
  });
  await lookupPolicy.check('https://cached.customer.net');
  const listHit = nsPerCall(() => lookupPolicy.check('https://app500.example.com'), 1_000_000);
  const patternHit = nsPerCall(() => lookupPolicy.check('https://pr-1.tenant5.example.net'), 1_000_000);
  const cached = nsPerCall(() => lookupPolicy.check('https://cached.customer.net'), 1_000_000);

  log('live: reconfigure() under load');
  const next = entries(exact, patterns).map((entry) => entry.replace('example', 'exemple'));
  const quiet = await stallDuring(() => new Promise((resolve) => setTimeout(resolve, 300)), list);
  const stall = await stallDuring((policy) => policy.reconfigure({ origin: next, env: {} }), list);
  const oneUpdate = await stallDuring((policy) => {
    policy.update({ add: ['https://new.customer.net'] });
    return Promise.resolve();
  }, list);

  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const range = (t: { median: number; min: number; max: number }): string =>
    `${ms(t.median)} [${t.min.toFixed(1)}–${t.max.toFixed(1)}]`;
  return [
    '',
    '## Live policy (issue #20)',
    '',
    `\`bench/live-policy.ts\`, in the bench process, src/ through tsx; medians of ${rounds} builds [min–max] after a GC each.`,
    '',
    '| Measure | Figure | Target |',
    '| --- | --- | --- |',
    `| createCorsPolicy(), ${exact.toLocaleString('en')} exact + ${patterns.toLocaleString('en')} patterns | ${range(build)} | no slower than the URL + Set line below |`,
    `| WHATWG \`new URL()\` of the same entries into a Set | ${range(url)} | (reference) |`,
    `| Build ÷ URL + Set | ${(build.median / url.median).toFixed(2)}× | ≤ 1× |`,
    `| Heap bytes per entry, compiled policy | ${policyBytes.toFixed(0)} | ≤ 100 |`,
    `| Heap bytes per entry, URL hrefs in a Set | ${setBytes.toFixed(0)} | (reference) |`,
    `| createCorsPolicy(), ${million.toLocaleString('en')} exact | ${range(big)} | ≤ 1.5 s on a quiet machine |`,
    `| update() of one origin on that policy (median of 4,000) | ${(median(updates) * 1000).toFixed(1)} µs (max ${(Math.max(...updates) * 1000).toFixed(0)} µs) | < 1 ms |`,
    `| Largest event-loop delay, server answering requests, reconfigure() of the whole policy | ${ms(stall.maxMs)} (${stall.served} requests served meanwhile) | ≤ 20 ms |`,
    `| …the same server with no change (baseline) | ${ms(quiet.maxMs)} | (reference) |`,
    `| …the same server, one update() | ${ms(oneUpdate.maxMs)} | (reference) |`,
    `| check(): exact list hit | ${listHit.toFixed(0)} ns | (reference) |`,
    `| check(): pattern hit | ${patternHit.toFixed(0)} ns | (reference) |`,
    `| check(): cached originLookup answer | ${cached.toFixed(0)} ns (+${(cached - listHit).toFixed(0)} ns over a list hit) | ≤ +1 µs |`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const quick = process.argv.includes('--quick');
  runLiveBench({ quick, log: (line) => process.stderr.write(`${line}\n`) }).then(
    (text) => process.stdout.write(text),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
