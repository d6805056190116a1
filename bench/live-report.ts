/**
 * The markdown section of the live-policy figures (bench/live-policy.ts): each target of issue
 * #20 on one line with its measurement and PASS or MISS, then the details, with the machine's
 * load average beside them (the figures are only as quiet as the machine was).
 */
import type { LiveFigures } from './live-policy.js';
import type { Summary } from './stats.js';

const TARGET = {
  buildRatio: 1,
  bytesPerEntry: 100,
  millionMs: 1500,
  updateMs: 1,
  stallMs: 20,
  lookupExtraNs: 1000,
};

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const spread = (s: Summary, unit: (v: number) => string): string => `${unit(s.median)} [${unit(s.min)}–${unit(s.max)}]`;
const count = (n: number): string => n.toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**MISS**');
const load = (values: readonly number[]): string => values.map((v) => v.toFixed(2)).join(' / ');

function targetLines(f: LiveFigures): string[] {
  const { stalls, lookup } = f;
  const extra = lookup.cached - lookup.listHit;
  const lines = [
    `- ${verdict(f.build.ratio.median <= TARGET.buildRatio)} ${count(f.exact)} exact + ${count(f.patterns)} patterns build no slower than the same entries through WHATWG \`URL\` into a \`Set\`: ${f.build.ratio.median.toFixed(2)}× [${f.build.ratio.min.toFixed(2)}–${f.build.ratio.max.toFixed(2)}] (median of per-round ratios; ${ms(f.build.build.median)} against ${ms(f.build.url.median)}); target ≤ ${TARGET.buildRatio}×`,
    `- ${verdict(f.bytes.policy <= TARGET.bytesPerEntry)} Heap per entry, the policy holding its own strings: ${f.bytes.policy.toFixed(0)} B (URL hrefs in a Set: ${f.bytes.urlSet.toFixed(0)} B); target ≤ ${TARGET.bytesPerEntry} B`,
    `- ${verdict(f.big.median <= TARGET.millionMs)} ${count(f.million)} exact origins: ${spread(f.big, ms)}; target ≤ ${TARGET.millionMs / 1000} s on a quiet machine (load average during this part: ${load(f.load.before)} before, ${load(f.load.after)} after)`,
    `- ${verdict(f.update.p99 < TARGET.updateMs * 1000)} update() of one origin on the ${count(f.exact)} + ${count(f.patterns)} policy: median ${f.update.median.toFixed(1)} µs, p99 ${f.update.p99.toFixed(1)} µs (judged), max ${f.update.max.toFixed(0)} µs (a GC or the machine taking the core); target < ${TARGET.updateMs} ms`,
    `- ${verdict(stalls.reconfigure.maxMs <= TARGET.stallMs)} Largest event-loop delay while reconfigure() replaces the whole policy, server under load: ${ms(stalls.reconfigure.maxMs)} over ${stalls.reconfigure.works.length} reconfigure() calls (the same server left alone: ${ms(stalls.quiet.maxMs)}); target ≤ ${TARGET.stallMs} ms`,
    `- ${verdict(extra <= TARGET.lookupExtraNs)} A cached originLookup answer against a list hit: ${lookup.cached.toFixed(0)} ns against ${lookup.listHit.toFixed(0)} ns (${extra >= 0 ? '+' : '−'}${Math.abs(extra).toFixed(0)} ns); target ≤ +1 µs`,
  ];
  if (stalls.quiet.maxMs > TARGET.stallMs)
    lines.push(
      `- Note: the server left alone already stalled ${ms(stalls.quiet.maxMs)} (other processes on the machine took its core); delays under that baseline say nothing about reconfigure().`,
    );
  return lines;
}

function detailRows(f: LiveFigures): string[] {
  const { stalls } = f;
  const works = (values: readonly number[]): string => `${ms(Math.min(...values))}–${ms(Math.max(...values))} each`;
  return [
    '| Measure | Figure | Target |',
    '| --- | --- | --- |',
    `| createCorsPolicy(), ${count(f.exact)} exact + ${count(f.patterns)} patterns | ${spread(f.build.build, ms)} | no slower than the next line |`,
    `| WHATWG \`new URL()\` of the same entries, hrefs into a Set | ${spread(f.build.url, ms)} | (reference) |`,
    `| Build ÷ URL + Set, per round | ${f.build.ratio.median.toFixed(2)}× [${f.build.ratio.min.toFixed(2)}–${f.build.ratio.max.toFixed(2)}] | ≤ ${TARGET.buildRatio}× |`,
    `| …the same ratio in CPU time (process user + system) | ${f.build.cpuRatio.median.toFixed(2)}× [${f.build.cpuRatio.min.toFixed(2)}–${f.build.cpuRatio.max.toFixed(2)}] | (reference) |`,
    `| Heap bytes per entry, policy holding its own strings (the list dropped) | ${f.bytes.policy.toFixed(0)} | ≤ ${TARGET.bytesPerEntry} |`,
    `| Heap bytes per entry, policy beside the caller's list (strings shared) | ${f.bytes.policyShared.toFixed(0)} | (reference) |`,
    `| Heap bytes per entry, URL hrefs in a Set (the list dropped) | ${f.bytes.urlSet.toFixed(0)} | (reference) |`,
    `| createCorsPolicy(), ${count(f.million)} exact | ${spread(f.big, ms)} | ≤ ${TARGET.millionMs} ms, quiet machine |`,
    `| update() of one origin (add, then remove; exact and \`*.\` alternately), µs | median ${f.update.median.toFixed(1)}, p99 ${f.update.p99.toFixed(1)}, max ${f.update.max.toFixed(0)} | < ${TARGET.updateMs * 1000} |`,
    `| Largest event-loop delay, reconfigure() of the whole policy under load | ${ms(stalls.reconfigure.maxMs)} (p99 ${ms(stalls.reconfigure.p99Ms)}; longest GC pause ${ms(stalls.reconfigure.maxGcMs)}; reconfigure() took ${works(stalls.reconfigure.works)}; ${count(stalls.reconfigure.served)} requests served in the window) | ≤ ${TARGET.stallMs} ms |`,
    `| …the same server left alone (baseline) | ${ms(stalls.quiet.maxMs)} (p99 ${ms(stalls.quiet.p99Ms)}; longest GC pause ${ms(stalls.quiet.maxGcMs)}; ${count(stalls.quiet.served)} requests) | (reference) |`,
    `| …the same server, update() of one origin every 100 ms | ${ms(stalls.update.maxMs)} (p99 ${ms(stalls.update.p99Ms)}; longest GC pause ${ms(stalls.update.maxGcMs)}) | (reference) |`,
    `| check(): exact list hit | ${f.lookup.listHit.toFixed(0)} ns | (reference) |`,
    `| check(): pattern hit | ${f.lookup.patternHit.toFixed(0)} ns | (reference) |`,
    `| check(): cached originLookup answer | ${f.lookup.cached.toFixed(0)} ns | ≤ list hit + 1 µs |`,
  ];
}

/** The section appended to bench/RESULTS.md. */
export function formatLive(f: LiveFigures): string {
  const { stalls } = f;
  return [
    '',
    '## Live policy (issue #20)',
    '',
    `\`bench/live-policy.ts\` in the bench process, ${f.library}. Builds: ${f.rounds} rounds, the policy and the URL + Set reference interleaved, a full GC before each; median [min–max]. Heap: \`process.memoryUsage()\` \`heapUsed\` + \`arrayBuffers\` after full GCs, before and after building, divided by the entries. Event-loop delay: \`perf_hooks.monitorEventLoopDelay\` (1 ms resolution) in the process whose node:http server answers, through corsSafety() of a live policy, 16 keep-alive clients of a load generator in another process (bench/live-load.ts); GC pauses from \`PerformanceObserver\` \`gc\` entries. Load average (1, 5, 15 min) when this part started: ${load(f.load.before)}; when it ended: ${load(f.load.after)}.${f.quick ? ' **--quick: smaller lists, one round; the figures mean nothing.**' : ''}`,
    '',
    '### Targets',
    '',
    ...targetLines(f),
    '',
    '### Figures',
    '',
    ...detailRows(f),
    '',
    `The load generator completed ${count(stalls.load.completed)} requests; ${count(stalls.load.failed)} got no 200 with the allowed origin's grant.`,
    '',
  ].join('\n');
}
