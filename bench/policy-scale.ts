// Origin decisions per second as the allow-list grows: exact origins live in a Set and patterns
// are found by walking the request host's labels, so the rate should not fall with list size.
// Run: node --import tsx bench/policy-scale.ts   (measures and prints; asserts nothing)
import { createOriginValidator, type OriginValidator } from '../src/index.js';

const EXACT_COUNTS = [1, 100, 10_000];
const PATTERN_COUNT = 1_000;
const ROUNDS = 5;
const CHECKS_PER_ROUND = 100_000;
const WARMUP_CHECKS = 50_000;

interface Scenario {
  readonly name: string;
  readonly origin: string;
  readonly allowed: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'allowed exact', origin: 'https://app0.example.com', allowed: true },
  { name: 'allowed wildcard', origin: 'https://pr-42.preview.tenant999.example.net', allowed: true },
  { name: 'denied', origin: 'https://app0.example.com.evil.net', allowed: false },
];

function buildValidator(exactCount: number): OriginValidator {
  const origin: string[] = [];
  for (let i = 0; i < exactCount; i++) origin.push(`https://app${i}.example.com`);
  for (let i = 0; i < PATTERN_COUNT; i++) origin.push(`https://*.tenant${i}.example.net`);
  return createOriginValidator({ origin, env: {} });
}

/** Keeps results alive so the checks cannot be optimised away. */
let sink = 0;

function decisionsPerSecond(validator: OriginValidator, origin: string, checks: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < checks; i++) {
    const verdict = validator.check(origin);
    if (!(verdict instanceof Promise) && verdict.allowed) sink++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return checks / seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function format(rate: number): string {
  return `${(rate / 1e6).toFixed(2)} M/s`;
}

const rows: string[] = [];
for (const exactCount of EXACT_COUNTS) {
  const buildStart = process.hrtime.bigint();
  const validator = buildValidator(exactCount);
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  const cells: string[] = [];
  for (const scenario of SCENARIOS) {
    // Not an assertion: flag a cell whose origin did not get the intended answer.
    const verdict = validator.check(scenario.origin);
    const unexpected = verdict instanceof Promise || verdict.allowed !== scenario.allowed;
    decisionsPerSecond(validator, scenario.origin, WARMUP_CHECKS);
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++)
      rates.push(decisionsPerSecond(validator, scenario.origin, CHECKS_PER_ROUND));
    cells.push(unexpected ? `${format(median(rates))} (unexpected verdict!)` : format(median(rates)));
  }
  rows.push(
    `| ${exactCount.toLocaleString('en-US')} | ${PATTERN_COUNT.toLocaleString('en-US')} | ${buildMs.toFixed(1)} ms | ${cells.join(' | ')} |`,
  );
}

console.log(
  `Origin decisions per second (median of ${ROUNDS} rounds of ${CHECKS_PER_ROUND.toLocaleString('en-US')} checks, Node ${process.version})\n`,
);
console.log(`| exact origins | wildcard patterns | build | ${SCENARIOS.map((s) => s.name).join(' | ')} |`);
console.log(`|---:|---:|---:|${SCENARIOS.map(() => '---:').join('|')}|`);
for (const row of rows) console.log(row);
if (sink < 0) console.log(sink);
