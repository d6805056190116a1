/**
 * Turns benchmark results into the markdown written to bench/RESULTS.md: machine, settings,
 * the issue #7 targets as PASS/MISS lines with their numbers, and one table per benchmark.
 */
import {
  CASES,
  CASE_LABELS,
  EQUIVALENCE_NOTE,
  HTTP_VARIANTS,
  VARIANT_LABELS,
  listLabel,
  type CaseName,
  type HttpVariant,
  type ListSpec,
} from './fixtures.js';
import type { DecisionResult, DecisionSubject } from './decision.js';
import type { HttpResult } from './http.js';
import {
  formatCountSpread,
  formatMicros,
  formatPercent,
  formatPercentSpread,
  formatTimes,
  pairedRatio,
  summarize,
  type Summary,
} from './stats.js';
import type { UpgradeResult, UpgradeRun } from './upgrade.js';
import { DISTURBED_PERCENT } from './machine.js';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

export interface BenchReport {
  readonly date: Date;
  readonly command: string;
  readonly quick: boolean;
  /** Where the library code came from (bench/library.ts). */
  readonly library: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly lists: readonly ListSpec[];
  readonly http: HttpResult | undefined;
  readonly decision: DecisionResult | undefined;
  readonly upgrade: UpgradeResult | undefined;
}

export type TargetStatus = 'PASS' | 'MISS' | 'NOT RUN';

export interface TargetLine {
  readonly status: TargetStatus;
  readonly target: string;
  readonly detail: string;
}

// ---- HTTP helpers ----

function httpSeries(
  http: HttpResult,
  list: number,
  caseName: CaseName,
  variant: HttpVariant,
  pick: 'rps' | 'cpuMicrosPerRequest',
): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of http.samples)
    if (s.list === list && s.caseName === caseName && s.variant === variant) out.set(s.round, s[pick]);
  return out;
}

function httpSummary(
  http: HttpResult,
  list: number,
  caseName: CaseName,
  variant: HttpVariant,
  pick: 'rps' | 'cpuMicrosPerRequest',
): Summary {
  return summarize([...httpSeries(http, list, caseName, variant, pick).values()]);
}

function httpDisturbed(http: HttpResult, list: number, caseName: CaseName, variant: HttpVariant): boolean {
  return http.samples.some((s) => s.list === list && s.caseName === caseName && s.variant === variant && s.disturbed);
}

/** Appends † to a cell whose samples include a run still disturbed after its retries. */
function mark(cell: string, disturbed: boolean): string {
  return disturbed ? `${cell} †` : cell;
}

function httpRatio(
  http: HttpResult,
  list: number,
  num: [CaseName, HttpVariant],
  den: [CaseName, HttpVariant],
): Summary {
  return pairedRatio(httpSeries(http, list, num[0], num[1], 'rps'), httpSeries(http, list, den[0], den[1], 'rps'));
}

/** Extra server CPU per request of a variant over bare, median of per-round differences. */
function cpuOverhead(http: HttpResult, list: number, caseName: CaseName, variant: HttpVariant): number {
  const ours = httpSeries(http, list, caseName, variant, 'cpuMicrosPerRequest');
  const bare = httpSeries(http, list, caseName, 'bare', 'cpuMicrosPerRequest');
  const diffs: number[] = [];
  for (const [round, value] of ours) {
    const base = bare.get(round);
    if (base !== undefined) diffs.push(value - base);
  }
  return summarize(diffs).median;
}

function signedMicros(value: number): string {
  return `${value >= 0 ? '+' : '−'}${formatMicros(Math.abs(value))} µs`;
}

// ---- upgrade helpers ----

function upgradeSeries(
  upgrade: UpgradeResult,
  run: UpgradeRun,
  pick: 'perSecond' | 'cpuMicrosPerAttempt',
): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of upgrade.samples) if (s.run === run) out.set(s.round, s[pick]);
  return out;
}

// ---- targets ----

export function computeTargets(report: BenchReport): TargetLine[] {
  const lines: TargetLine[] = [];
  const { http, upgrade } = report;
  const last = report.lists.length - 1;
  const lastLabel = listLabel(report.lists[last] ?? { exact: 0, patterns: 0 });
  const firstLabel = listLabel(report.lists[0] ?? { exact: 0, patterns: 0 });
  const notRun = (target: string, part: string): TargetLine => ({
    status: 'NOT RUN',
    target,
    detail: `the ${part} benchmark was not run (--only)`,
  });

  const t1 = `Allowed-origin GET through corsSafety() ≥ 97% of bare node:http at ${lastLabel} origins`;
  const t2 = `…and that figure does not fall as the list grows from ${firstLabel} to ${lastLabel}`;
  const t3 = 'Preflight answered by corsSafety() at least as fast as bare node:http serving a tiny response';
  if (http === undefined) {
    lines.push(notRun(t1, 'http'), notRun(t2, 'http'), notRun(t3, 'http'));
  } else {
    const caveat = http.samples.some((x) => x.disturbed) ? ' (some runs were disturbed by other processes, see †)' : '';
    const big = httpRatio(http, last, ['allowed', 'cors-safety'], ['allowed', 'bare']);
    lines.push({
      status: big.median >= 0.97 ? 'PASS' : 'MISS',
      target: t1,
      detail: `${formatPercentSpread(big)} of bare (median of per-round ratios [min–max]); server CPU ${signedMicros(cpuOverhead(http, last, 'allowed', 'cors-safety'))} per request over bare${caveat}`,
    });
    const small = httpRatio(http, 0, ['allowed', 'cors-safety'], ['allowed', 'bare']);
    lines.push({
      status: big.median >= small.min ? 'PASS' : 'MISS',
      target: t2,
      detail:
        `${firstLabel}: ${formatPercentSpread(small)}, ${lastLabel}: ${formatPercentSpread(big)}; counted as not falling when the larger list's median is within or above the smaller list's spread. ` +
        `Server CPU over bare: ${signedMicros(cpuOverhead(http, 0, 'allowed', 'cors-safety'))} → ${signedMicros(cpuOverhead(http, last, 'allowed', 'cors-safety'))} per request${caveat}`,
    });
    const vsGet = report.lists.map((_, list) =>
      httpRatio(http, list, ['preflight', 'cors-safety'], ['allowed', 'bare']),
    );
    const vsHand = report.lists.map((_, list) =>
      httpRatio(http, list, ['preflight', 'cors-safety'], ['preflight', 'bare']),
    );
    const worst = Math.min(...vsGet.map((s) => s.median));
    lines.push({
      status: worst >= 1 ? 'PASS' : 'MISS',
      target: t3,
      detail:
        `corsSafety() preflight req/s ÷ bare 200 "ok" GET req/s (same round): ${report.lists.map((spec, i) => `${listLabel(spec)}: ${formatTimes(vsGet[i]?.median ?? Number.NaN)}`).join(', ')}; ` +
        `for reference, ÷ a hand-written static 204 preflight on bare node:http: ${report.lists.map((spec, i) => `${listLabel(spec)}: ${formatTimes(vsHand[i]?.median ?? Number.NaN)}`).join(', ')}${caveat}`,
    });
  }

  const t4 = 'upgradeGuard() costs under 3% of ws handshake throughput';
  const t5 = 'Sockets left open after refused handshakes: zero';
  if (upgrade === undefined) {
    lines.push(notRun(t4, 'upgrade'), notRun(t5, 'upgrade'));
  } else {
    const ratio = pairedRatio(
      upgradeSeries(upgrade, 'handshake-guard', 'perSecond'),
      upgradeSeries(upgrade, 'handshake-bare', 'perSecond'),
    );
    const held = pairedRatio(
      upgradeSeries(upgrade, 'handshake-policy', 'perSecond'),
      upgradeSeries(upgrade, 'handshake-bare', 'perSecond'),
    );
    const own = pairedRatio(
      upgradeSeries(upgrade, 'handshake-guard', 'perSecond'),
      upgradeSeries(upgrade, 'handshake-policy', 'perSecond'),
    );
    const cost = 1 - ratio.median;
    lines.push({
      status: cost < 0.03 ? 'PASS' : 'MISS',
      target: t4,
      detail:
        `guarded / unguarded handshakes per second ${formatPercentSpread(ratio)}, a cost of ${formatPercent(cost)} (${listLabel(upgrade.settings.spec)} origins)` +
        (upgrade.samples.some((x) => x.disturbed) ? ' (some runs were disturbed by other processes, see †)' : '') +
        `. Of that, holding the compiled policy in the process (an unguarded server with the same policy loaded, unused): ${formatPercentSpread(held)} of unguarded; ` +
        `the guard's own work (guarded / unguarded holding the policy): ${formatPercentSpread(own)}`,
    });
    const refusals = upgrade.samples.filter((s) => s.run === 'refusal-guard');
    const open = Math.max(0, ...refusals.map((s) => s.openAfter));
    const failed = refusals.reduce((sum, s) => sum + s.failures, 0);
    lines.push({
      status: open === 0 && failed === 0 ? 'PASS' : 'MISS',
      target: t5,
      detail: `${open} open on the server after each burst (max over rounds); ${failed} refusals not answered 403 or not closed by the server within 3 s`,
    });
  }
  return lines;
}

// ---- tables ----

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const HTTP_TABLE_HEADER = [
  'Allow-list',
  'Case',
  `${VARIANT_LABELS.bare} req/s`,
  `${VARIANT_LABELS['cors-safety']} req/s`,
  `${VARIANT_LABELS.cors} req/s`,
  'corsSafety() / bare',
  'cors / bare',
  'Server CPU µs/req (bare / corsSafety() / cors)',
];

function httpTable(http: HttpResult, lists: readonly ListSpec[]): string {
  const rows: string[][] = [];
  for (const [list, spec] of lists.entries()) {
    for (const caseName of CASES) {
      const rps = HTTP_VARIANTS.map((variant) =>
        mark(
          formatCountSpread(httpSummary(http, list, caseName, variant, 'rps')),
          httpDisturbed(http, list, caseName, variant),
        ),
      );
      const cpu = HTTP_VARIANTS.map((variant) =>
        formatMicros(httpSummary(http, list, caseName, variant, 'cpuMicrosPerRequest').median),
      ).join(' / ');
      rows.push([
        listLabel(spec),
        CASE_LABELS[caseName],
        ...rps,
        formatPercentSpread(httpRatio(http, list, [caseName, 'cors-safety'], [caseName, 'bare'])),
        formatPercentSpread(httpRatio(http, list, [caseName, 'cors'], [caseName, 'bare'])),
        cpu,
      ]);
    }
  }
  return table(HTTP_TABLE_HEADER, rows);
}

export const DECISION_TABLE_HEADER = [
  'Allow-list',
  'Case',
  'corsSafety() calls/s',
  'cors calls/s',
  'corsSafety() ÷ cors (calls/s)',
  'decideOrigin() alone calls/s',
  'headers set (corsSafety() / cors)',
  'corsSafety() with a cors-safety:decision subscriber calls/s',
];

function decisionSeries(
  decision: DecisionResult,
  list: number,
  caseName: CaseName,
  subject: DecisionSubject,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of decision.samples)
    if (s.list === list && s.caseName === caseName && s.subject === subject) out.set(s.round, s.callsPerSecond);
  return out;
}

function decisionTable(decision: DecisionResult, lists: readonly ListSpec[]): string {
  const rows: string[][] = [];
  for (const [list, spec] of lists.entries()) {
    for (const caseName of CASES) {
      const summary = (subject: DecisionSubject): Summary =>
        summarize([...decisionSeries(decision, list, caseName, subject).values()]);
      const calls = (subject: 'cors-safety' | 'cors'): number =>
        decision.setHeaderCalls.find((c) => c.list === list && c.caseName === caseName && c.subject === subject)
          ?.calls ?? Number.NaN;
      const ratio = pairedRatio(
        decisionSeries(decision, list, caseName, 'cors-safety'),
        decisionSeries(decision, list, caseName, 'cors'),
      );
      const disturbed = (subject: DecisionSubject): boolean =>
        decision.samples.some(
          (x) => x.list === list && x.caseName === caseName && x.subject === subject && x.disturbed,
        );
      rows.push([
        listLabel(spec),
        CASE_LABELS[caseName],
        mark(formatCountSpread(summary('cors-safety')), disturbed('cors-safety')),
        mark(formatCountSpread(summary('cors')), disturbed('cors')),
        formatTimes(ratio.median),
        mark(formatCountSpread(summary('decide-origin')), disturbed('decide-origin')),
        `${calls('cors-safety')} / ${calls('cors')}`,
        mark(formatCountSpread(summary('cors-safety-subscribed')), disturbed('cors-safety-subscribed')),
      ]);
    }
  }
  return table(DECISION_TABLE_HEADER, rows);
}

export const UPGRADE_TABLE_HEADER = ['Measure', 'Median [min–max]'];

function upgradeTable(upgrade: UpgradeResult): string {
  const per = (run: UpgradeRun): string =>
    mark(
      formatCountSpread(summarize([...upgradeSeries(upgrade, run, 'perSecond').values()])),
      upgrade.samples.some((x) => x.run === run && x.disturbed),
    );
  const cpu = (run: UpgradeRun): string =>
    formatMicros(summarize([...upgradeSeries(upgrade, run, 'cpuMicrosPerAttempt').values()]).median);
  const ratio = pairedRatio(
    upgradeSeries(upgrade, 'handshake-guard', 'perSecond'),
    upgradeSeries(upgrade, 'handshake-bare', 'perSecond'),
  );
  const own = pairedRatio(
    upgradeSeries(upgrade, 'handshake-guard', 'perSecond'),
    upgradeSeries(upgrade, 'handshake-policy', 'perSecond'),
  );
  const refusals = upgrade.samples.filter((s) => s.run === 'refusal-guard');
  const failures = upgrade.samples.reduce((sum, s) => sum + s.failures, 0);
  return table(UPGRADE_TABLE_HEADER, [
    ['Handshakes/s, ws without guard', per('handshake-bare')],
    ['Handshakes/s, ws without guard, holding the same compiled policy', per('handshake-policy')],
    ['Handshakes/s, ws behind upgradeGuard()', per('handshake-guard')],
    ['Guarded / unguarded handshakes', formatPercentSpread(ratio)],
    ["Guarded / unguarded holding the policy (the guard's own work)", formatPercentSpread(own)],
    ['Refusals/s (403, socket closed by the server)', per('refusal-guard')],
    [
      'Server CPU µs per handshake (no guard / holding the policy / guard) and per refusal',
      `${cpu('handshake-bare')} / ${cpu('handshake-policy')} / ${cpu('handshake-guard')} and ${cpu('refusal-guard')}`,
    ],
    [
      'Sockets open on the server after a refusal burst (max)',
      String(Math.max(0, ...refusals.map((s) => s.openAfter))),
    ],
    ['Failed attempts (all runs)', String(failures)],
  ]);
}

/** How many runs were repeated because of other work on the machine, and how many stayed disturbed. */
function disturbanceNote(
  samples: readonly { retries: number; disturbed: boolean; otherCpuPercent: number }[],
  maxRetries: number,
): string {
  const retried = samples.reduce((sum, x) => sum + x.retries, 0);
  const disturbed = samples.filter((x) => x.disturbed).length;
  const other = samples.map((x) => x.otherCpuPercent).filter((x) => Number.isFinite(x));
  const measured =
    other.length === 0
      ? 'Other CPU on the machine could not be measured (no /proc/stat).'
      : `Other processes used ${cpuRange(other)} of a core during the kept runs.`;
  if (maxRetries === 0)
    return `${measured} Disturbed runs are not measured again in this run; ${disturbed} would have been.`;
  return (
    `${measured} A run during which other processes used more than ${DISTURBED_PERCENT}% of a core was measured again (up to ${maxRetries} times): ` +
    `${retried} repeat${retried === 1 ? '' : 's'} in this section; ` +
    (disturbed === 0
      ? 'no kept run was disturbed.'
      : `**${disturbed} run${disturbed === 1 ? ' was' : 's were'} still disturbed and kept; figures including them are marked †.**`)
  );
}

function cpuSpread(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  return `${formatMicros(Math.min(...values))}–${formatMicros(Math.max(...values))}`;
}

function cpuRange(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}%`;
}

/** The whole report as markdown. */
export function formatReport(report: BenchReport): string {
  const { machine, http, decision, upgrade } = report;
  const out: string[] = [];
  out.push('# cors-safety benchmarks', '');
  out.push(
    `Generated by \`${report.command}\` on ${report.date.toISOString()} in ${Math.round(report.seconds)} s.`,
    '',
  );
  if (report.quick)
    out.push(
      '**Quick run** (`--quick`): durations far too short for real figures; this only checks that the harness works.',
      '',
    );
  out.push(
    table(
      ['Machine', ''],
      [
        ['CPU', `${machine.cpu}, ${machine.cores} cores`],
        ['Node', `${machine.node} (${machine.platform})`],
        ['cors-safety code', report.library],
        [
          'Load average (1 min) before / after',
          `${machine.loadBefore[0]?.toFixed(2) ?? 'n/a'} / ${machine.loadAfter[0]?.toFixed(2) ?? 'n/a'}`,
        ],
      ],
    ),
    '',
  );
  out.push(
    '> **Noise.** The load generator and the server run on the same machine over loopback, one process each on a 2-core box, ' +
      'so run-to-run noise is several percent. Every figure is the median of interleaved rounds with the spread [min–max]; ' +
      'ratios are taken per round against bare node:http measured in the same round, then the median. ' +
      "Server CPU µs per request (the server child's user + system time divided by completed requests) is the steadier measure of cost. " +
      `Runs during which other processes on the machine used more than ${DISTURBED_PERCENT}% of a core (from /proc/stat) are measured again.`,
    '',
  );

  out.push('## Targets (issue #7)', '');
  if (report.quick)
    out.push('Quick run: these lines only show that every target is computed; the figures mean nothing.', '');
  for (const line of computeTargets(report)) out.push(`- **${line.status}** ${line.target}: ${line.detail}`);
  out.push('');

  if (http !== undefined) {
    const s = http.settings;
    out.push('## HTTP throughput', '');
    out.push(
      `autocannon in the parent process, ${s.connections} connections, pipelining 1, ${s.durationSec} s per run after ${s.warmupSec} s warm-up per case, ` +
        `${s.rounds} round${s.rounds === 1 ? '' : 's'}; variants interleaved (bare, corsSafety(), cors, bare, ...) within each round. ` +
        'Each server is a plain node:http server in its own process (`NODE_ENV=production`) ending every request with a 2-byte 200 body; ' +
        'for OPTIONS, bare node:http answers a hand-written static 204 preflight. ' +
        'The allowed origin is the middle entry of the exact list; the denied origin matches no rule. Figures: req/s, median [min–max].',
      '',
    );
    out.push(httpTable(http, report.lists), '');
    out.push(
      `Server CPU during runs: ${cpuRange(http.samples.map((x) => x.serverCpuPercent))} of one core; load generator: ${cpuRange(http.samples.map((x) => x.clientCpuPercent))}. ` +
        'A server near 100% is the bottleneck, as intended. ' +
        `Bare node:http's own CPU time per request, the same code throughout, ranged ${cpuSpread(http.samples.filter((x) => x.variant === 'bare').map((x) => x.cpuMicrosPerRequest))} µs across runs: ` +
        'that is the drift of this machine, which the interleaving and medians are there to absorb.',
      '',
      disturbanceNote(http.samples, http.settings.maxRetries),
      '',
    );
    out.push(`Equivalence: ${EQUIVALENCE_NOTE}`, '');
  }

  if (decision !== undefined) {
    const s = decision.settings;
    out.push('## Per-request CORS work (micro-benchmark)', '');
    out.push(
      'Calls per second in one process, no sockets: one call is one request through the middleware with a fake request and a fresh fake response ' +
        '(a Map behind `setHeader`/`getHeader`, counting the headers set through `setHeader` or `writeHead`), followed by the head being written as `res.end()` would. ' +
        'For corsSafety() that is the origin decision, the CORS headers and their re-application at `writeHead`; for cors it is its per-request option merge, ' +
        'the scan of its origin array and its headers. `decideOrigin()` alone is the policy decision without any header work. ' +
        'The last column is corsSafety() again while a `cors-safety:decision` subscriber is listening: each request then also builds and publishes its decision event. ' +
        `${s.durationMs} ms per measurement, ${s.rounds} round${s.rounds === 1 ? '' : 's'}, subjects interleaved; median [min–max].`,
      '',
    );
    out.push(
      decisionTable(decision, report.lists),
      '',
      disturbanceNote(decision.samples, decision.settings.maxRetries),
      '',
    );
  }

  if (upgrade !== undefined) {
    const s = upgrade.settings;
    out.push('## WebSocket upgrade guard', '');
    out.push(
      `A \`ws\` WebSocketServer in noServer mode on node:http, in its own process, with and without \`upgradeGuard()\` (policy: ${listLabel(s.spec)} origins), and a third unguarded one that holds the same compiled policy unused, to separate the guard's own work from the cost of a large policy living in the process. ` +
        `The load is ${s.concurrency} concurrent raw-TCP handshakes on fresh connections (101 and Sec-WebSocket-Accept checked, then FIN; ` +
        'for refusals, the 403 and the server closing the socket), ' +
        `${s.durationSec} s per run, ${s.rounds} round${s.rounds === 1 ? '' : 's'}, interleaved. All servers were first checked with the \`ws\` client.`,
      '',
    );
    out.push(upgradeTable(upgrade), '');
    out.push(
      `Server CPU during runs: ${cpuRange(upgrade.samples.map((x) => x.serverCpuPercent))} of one core; load generator: ${cpuRange(upgrade.samples.map((x) => x.clientCpuPercent))}.`,
      '',
      disturbanceNote(upgrade.samples, upgrade.settings.maxRetries),
      '',
    );
  }
  out.push(
    `Regenerate with \`npm run bench\` (about 5 minutes; \`--only http|decision|upgrade\`, \`--quick\`, \`--out <file>\`).`,
    '',
  );
  return out.join('\n');
}
