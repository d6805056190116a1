/**
 * `npm run bench`: runs the HTTP, decision and upgrade benchmarks, prints the markdown report
 * and writes it to bench/RESULTS.md (which the README quotes).
 *
 *   node --import tsx bench/run.ts [--quick] [--only http|decision|upgrade|live|adapters[,...]] [--out <file>]
 *                                  [--rounds <n>] [--duration <seconds>]
 *
 * `--quick` is a smoke test of the harness (very short runs, 1 round, small lists); its figures
 * mean nothing. Progress goes to stderr, the report to stdout and the output file.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runDecisionBench } from './decision.js';
import { FULL_LISTS, QUICK_LISTS } from './fixtures.js';
import { runHttpBench } from './http.js';
import { LIBRARY_ENV, compileLibrary, loadLibrary } from './library.js';
import { MAX_RETRIES } from './machine.js';
import { formatReport, type BenchReport } from './report.js';
import { runUpgradeBench } from './upgrade.js';
import { runLiveBench } from './live-policy.js';
import { runAdapterBench } from './adapter-cost.js';

type Part = 'http' | 'decision' | 'upgrade' | 'live' | 'adapters';
const PARTS: readonly Part[] = ['http', 'decision', 'upgrade', 'live', 'adapters'];
const DEFAULT_OUT = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

interface Plan {
  readonly quick: boolean;
  readonly parts: ReadonlySet<Part>;
  readonly out: string;
  readonly rounds: number;
  readonly durationSec: number;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function readPlan(argv: readonly string[]): Plan {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const only = (values.only ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const part of only)
    if (!PARTS.includes(part as Part)) fail(`--only takes ${PARTS.join(', ')}; got ${JSON.stringify(part)}`);
  // Many short interleaved runs: the host's speed drifts over seconds (CPU time per request of
  // the same code varies up to 2x on this VM), so pairs close in time give steadier ratios.
  const rounds = values.rounds === undefined ? (quick ? 1 : 7) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) fail('--rounds takes an integer from 1 to 50');
  const durationSec = values.duration === undefined ? (quick ? 0.3 : 1) : Number(values.duration);
  if (!Number.isFinite(durationSec) || durationSec < 0.1 || durationSec > 60)
    fail('--duration takes seconds from 0.1 to 60');
  return {
    quick,
    parts: new Set(only.length === 0 ? PARTS : (only as Part[])),
    out: values.out ?? DEFAULT_OUT,
    rounds,
    durationSec,
  };
}

/** `abc1234`, plus a note when src/ differs from that commit; `unknown` outside a git checkout. */
function sourceRevision(): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? head : `${head} with uncommitted changes in src/`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const plan = readPlan(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const started = performance.now();
  const loadBefore = os.loadavg();
  if (loadBefore[0] !== undefined && loadBefore[0] > 1.5 && !plan.quick) {
    log(
      `bench: warning: 1-minute load average is ${loadBefore[0].toFixed(2)}; other work on this machine will distort the figures`,
    );
  }

  // Servers and the micro-benchmark run the compiled library, as users would (bench/library.ts).
  const build = compileLibrary();
  process.env[LIBRARY_ENV] = build.dir;
  try {
    await runParts(plan, log, started, loadBefore);
  } finally {
    build.remove();
  }
}

async function runParts(plan: Plan, log: (line: string) => void, started: number, loadBefore: number[]): Promise<void> {
  const lists = plan.quick ? QUICK_LISTS : FULL_LISTS;
  const largest = lists[lists.length - 1];
  if (largest === undefined) throw new Error('no list sizes');
  const lib = await loadLibrary(process.env[LIBRARY_ENV]);
  // A quick run measures nothing, so it never waits for a quiet machine.
  const maxRetries = plan.quick ? 0 : MAX_RETRIES;
  const http = plan.parts.has('http')
    ? await runHttpBench({
        lists,
        rounds: plan.rounds,
        durationSec: plan.durationSec,
        warmupSec: plan.quick ? 0.1 : 0.5,
        connections: plan.quick ? 10 : 50,
        maxRetries,
        log,
      })
    : undefined;
  const decision = plan.parts.has('decision')
    ? await runDecisionBench({ lib, lists, rounds: plan.rounds, durationMs: plan.quick ? 30 : 150, maxRetries, log })
    : undefined;
  const upgrade = plan.parts.has('upgrade')
    ? await runUpgradeBench({
        spec: largest,
        rounds: plan.rounds,
        durationSec: plan.durationSec,
        warmupSec: plan.quick ? 0.1 : 0.5,
        concurrency: plan.quick ? 10 : 50,
        maxRetries,
        log,
      })
    : undefined;

  // Live policy figures (issue #20): their own markdown section, appended to the report.
  const live = plan.parts.has('live') ? await runLiveBench({ quick: plan.quick, log }) : '';
  // Issue #25: what corsSafety() and withCorsSafety() add per request, side by side.
  const adapters = plan.parts.has('adapters')
    ? await runAdapterBench({ lib, lists, rounds: plan.rounds, durationMs: plan.quick ? 30 : 150, log })
    : '';

  const cpus = os.cpus();
  const report: BenchReport = {
    date: new Date(),
    command: [
      'npm run bench',
      ...(process.argv.length > 2
        ? ['--', ...process.argv.slice(2).map((a) => (a === plan.out ? relative(process.cwd(), a) : a))]
        : []),
    ].join(' '),
    quick: plan.quick,
    library: `${lib.source}; revision ${sourceRevision()}`,
    seconds: (performance.now() - started) / 1000,
    machine: {
      cpu: cpus[0]?.model.trim() ?? 'unknown',
      cores: cpus.length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadBefore,
      loadAfter: os.loadavg(),
    },
    lists,
    http,
    decision,
    upgrade,
  };
  const markdown = formatReport(report) + live + adapters;
  writeFileSync(plan.out, markdown);
  process.stdout.write(markdown);
  log(`bench: written to ${relative(process.cwd(), plan.out) || plan.out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
