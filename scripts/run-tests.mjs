#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node's test runner (TypeScript through the tsx loader),
// under c8 for coverage of src/. Extra arguments are passed to the runner (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const filter = process.argv.slice(2);
const files = findTests(join(root, 'test')).filter(
  (file) => filter.length === 0 || filter.some((f) => file.includes(f)),
);
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
// One factor for every test timeout (test/helpers/time.ts reads it): CORS_SAFETY_TIME_SCALE when
// set, else measured once here from the load average per core, so all test files agree.
const perCore = loadavg()[0] / Math.max(1, availableParallelism());
const timeScale =
  process.env.CORS_SAFETY_TIME_SCALE || String(Math.min(4, Math.max(1, Math.round((1 + perCore) * 10) / 10)));
const c8 = join(root, 'node_modules', '.bin', 'c8');
const result = spawnSync(
  c8,
  [
    '--reporter=text-summary',
    '--reporter=text',
    '--include=src/**',
    process.execPath,
    '--import',
    'tsx',
    '--test',
    `--test-timeout=${Math.round(120000 * Number(timeScale))}`,
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0', CORS_SAFETY_TIME_SCALE: timeScale } },
);
process.exit(result.status ?? 1);
