/**
 * Smoke test of the benchmark harness: `bench/run.ts --quick` in a child process must produce a
 * well-formed report with every variant, case and list size present and non-zero figures. It
 * asserts the shape of the output, never a speed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { CASES, CASE_LABELS, QUICK_LISTS, listLabel } from '../../bench/fixtures.js';
import { DECISION_TABLE_HEADER, HTTP_TABLE_HEADER, UPGRADE_TABLE_HEADER } from '../../bench/report.js';
import { scaled } from '../helpers/time.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runQuick(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The benchmark is not under test for coverage, and instrumenting it only slows it down.
  delete env.NODE_V8_COVERAGE;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      cwd: ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), scaled(150_000));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The markdown table that follows `heading`: header cells and body rows. */
function tableAfter(markdown: string, heading: string): { header: string[]; rows: string[][] } {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `section ${heading} is missing`);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  assert.ok(first >= 0, `no table under ${heading}`);
  const block: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    block.push(line);
  }
  const cells = (line: string): string[] =>
    line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
  assert.match(block[1] ?? '', /^\| (--- \| )*--- \|$/, `${heading}: second line is not a separator`);
  return { header: cells(block[0] ?? ''), rows: block.slice(2).map(cells) };
}

/** The leading number of a cell such as `12,345 [11,000–13,000]`, `97.1% [...]` or `0.42×`. */
function leadingNumber(cell: string | undefined): number {
  const match = /^[0-9][0-9,]*(\.[0-9]+)?/.exec(cell ?? '');
  assert.ok(match, `${JSON.stringify(cell)} does not start with a number`);
  return Number(match[0].replaceAll(',', ''));
}

function assertPositive(cell: string | undefined, what: string): void {
  assert.ok(leadingNumber(cell) > 0, `${what}: ${JSON.stringify(cell)} is not a positive number`);
}

describe('npm run bench -- --quick', () => {
  test('writes a complete, well-formed report', { timeout: scaled(160_000) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-safety-bench-'));
    try {
      const out = join(dir, 'results.md');
      const result = await runQuick(out);
      assert.equal(result.code, 0, `bench exited ${result.code}:\n${result.stderr.slice(-2000)}`);
      const markdown = readFileSync(out, 'utf8');
      assert.equal(result.stdout, markdown, 'the printed table differs from the written file');

      assert.match(markdown, /^# cors-safety benchmarks\n/);
      assert.match(markdown, /\| CPU \| .+, \d+ cores \|/);
      assert.ok(markdown.includes(`| Node | ${process.version} (`), 'Node version missing');
      assert.match(markdown, /\*\*Quick run\*\*/);

      const targetLines = (text: string): string[] =>
        text.split('\n').filter((line) => /^- \*\*(PASS|MISS|NOT RUN)\*\* /.test(line));
      const liveAt = markdown.indexOf('\n## Live policy (issue #20)\n');
      assert.ok(liveAt >= 0, 'the live policy section is missing');
      const targets = targetLines(markdown.slice(0, liveAt));
      assert.equal(targets.length, 5, `expected 5 target lines, got:\n${targets.join('\n')}`);
      for (const line of targets) assert.match(line, /^- \*\*(PASS|MISS)\*\* .+: .*\d/, `target not measured: ${line}`);
      // Issue #20: build vs URL + Set, bytes per entry, 1M build, update(), reconfigure() stall, cached lookup.
      const liveTargets = targetLines(markdown.slice(liveAt));
      assert.equal(liveTargets.length, 6, `expected 6 live targets, got:\n${liveTargets.join('\n')}`);
      for (const line of liveTargets) assert.match(line, /^- \*\*(PASS|MISS)\*\* .+: .*\d.*; target/, line);
      assert.match(markdown.slice(liveAt), /Load average \(1, 5, 15 min\) when this part started: \d/);

      const expectedRows = QUICK_LISTS.flatMap((spec) => CASES.map((name) => [listLabel(spec), CASE_LABELS[name]]));

      const http = tableAfter(markdown, '## HTTP throughput');
      assert.deepEqual(http.header, HTTP_TABLE_HEADER);
      assert.deepEqual(
        http.rows.map((row) => row.slice(0, 2)),
        expectedRows,
      );
      for (const row of http.rows) {
        const where = row.slice(0, 2).join(', ');
        for (const i of [2, 3, 4, 5, 6]) assertPositive(row[i], `${where}, ${http.header[i]}`);
        const cpu = (row[7] ?? '').split(' / ');
        assert.equal(cpu.length, 3, `${where}: CPU column ${row[7]}`);
        for (const value of cpu) assertPositive(value, `${where}, server CPU`);
      }

      const decision = tableAfter(markdown, '## Per-request CORS work (micro-benchmark)');
      assert.deepEqual(decision.header, DECISION_TABLE_HEADER);
      assert.deepEqual(
        decision.rows.map((row) => row.slice(0, 2)),
        expectedRows,
      );
      for (const row of decision.rows) {
        const where = row.slice(0, 2).join(', ');
        for (const i of [2, 3, 4, 5, 7]) assertPositive(row[i], `${where}, ${decision.header[i]}`);
        assert.match(row[6] ?? '', /^[1-9]\d* \/ [1-9]\d*$/, `${where}: setHeader counts ${row[6]}`);
      }

      // Issue #25: what each adapter adds, side by side (a quick run's differences may be negative).
      const adapters = tableAfter(
        markdown,
        '## Adapter cost: corsSafety() and withCorsSafety() side by side (issue #25)',
      );
      assert.deepEqual(
        adapters.rows.map((row) => row.slice(0, 2)),
        expectedRows,
      );
      for (const row of adapters.rows) {
        const where = row.slice(0, 2).join(', ');
        for (const i of [2, 3]) assert.match(row[i] ?? '', /^-?\d+\.\d\d\b/, `${where}, ${adapters.header[i]}`);
        for (const i of [4, 5]) assertPositive(row[i], `${where}, ${adapters.header[i]}`);
      }

      const upgrade = tableAfter(markdown, '## WebSocket upgrade guard');
      assert.deepEqual(upgrade.header, UPGRADE_TABLE_HEADER);
      const measure = new Map(upgrade.rows.map((row) => [row[0], row[1]]));
      for (const name of [
        'Handshakes/s, ws without guard',
        'Handshakes/s, ws without guard, holding the same compiled policy',
        'Handshakes/s, ws behind upgradeGuard()',
        'Guarded / unguarded handshakes',
        "Guarded / unguarded holding the policy (the guard's own work)",
        'Refusals/s (403, socket closed by the server)',
      ]) {
        assertPositive(measure.get(name), name);
      }
      assert.match(
        measure.get('Server CPU µs per handshake (no guard / holding the policy / guard) and per refusal') ?? '',
        /^\d+\.\d \/ \d+\.\d \/ \d+\.\d and \d+\.\d$/,
      );
      assert.match(measure.get('Sockets open on the server after a refusal burst (max)') ?? '', /^\d+$/);
      assert.match(measure.get('Failed attempts (all runs)') ?? '', /^\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
