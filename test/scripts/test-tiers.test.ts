/**
 * The test tiers (scripts/test-tiers.mjs) split the suite for development: `npm run test:unit` in
 * seconds, `test:integration`, `test:package`. Every test file must land in exactly one tier (so
 * `npm test`, which runs them all, and the three tiers run the same files), no tier path may be
 * stale, and a unit test starts no process, browser or proxy.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Listing {
  readonly files: readonly { readonly file: string; readonly tier: string }[];
  readonly stale: readonly string[];
}

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) found.push(relative(ROOT, path).split('\\').join('/'));
  }
  return found.sort();
}

function listing(...args: string[]): Listing {
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs'), '--list', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Listing;
}

describe('test tiers', () => {
  const { files, stale } = listing();
  const tierOf = new Map(files.map(({ file, tier }) => [file.split('\\').join('/'), tier]));

  test('every test file is in exactly one of unit, integration, package', () => {
    const onDisk = testFiles(join(ROOT, 'test'));
    assert.deepEqual([...tierOf.keys()].sort(), onDisk);
    assert.equal(files.length, onDisk.length, 'no file listed twice');
    for (const [file, tier] of tierOf) assert.ok(['unit', 'integration', 'package'].includes(tier), `${file}: ${tier}`);
    for (const tier of ['unit', 'integration', 'package'])
      assert.ok([...tierOf.values()].includes(tier), `the ${tier} tier has files`);
  });

  test('no tier path names a file or folder that is gone', () => {
    assert.deepEqual(stale, []);
  });

  test('the slow consumers are in the package tier, the policy core in the unit tier', () => {
    assert.equal(tierOf.get('test/package/consumer.test.ts'), 'package');
    assert.equal(tierOf.get('test/bench/bench-smoke.test.ts'), 'package');
    assert.equal(tierOf.get('test/policy/policy-rules.test.ts'), 'unit');
    assert.equal(tierOf.get('test/browser/browser.test.ts'), 'integration');
  });

  test('a unit test starts no child process, browser, proxy or framework server', () => {
    const slow =
      /from '(node:child_process|express|express4|connect|socket\.io|playwright-core|puppeteer-core|webdriverio)'|helpers\/(listen|nginx|browser-chromium|frameworks|middleware-http|upgrade-harness|socketio|error-handler-servers)\.js/;
    for (const [file, tier] of tierOf) {
      if (tier !== 'unit' || file === 'test/scripts/test-tiers.test.ts') continue;
      const match = slow.exec(readFileSync(join(ROOT, file), 'utf8'));
      assert.equal(match, null, `${file} is in the unit tier but imports ${match?.[1] ?? match?.[0]}`);
    }
  });

  test('run-tests rejects an unknown tier instead of running nothing', () => {
    assert.throws(
      () =>
        execFileSync(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs'), '--tier=fast'], {
          cwd: ROOT,
          stdio: 'pipe',
        }),
      (err: Error & { status?: number; stderr?: Buffer }) =>
        err.status === 2 && /unknown tier "fast"/.test(String(err.stderr)),
    );
  });
});
