#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node's test runner (TypeScript through the tsx loader),
// under c8 for coverage of src/. Extra arguments are passed to the runner (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
    '--test-timeout=120000',
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } },
);
process.exit(result.status ?? 1);
