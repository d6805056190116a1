/**
 * Working from a clone is quiet: `npm run build` prints no "Node.js v20 is deprecated" line
 * (tsdown's command-line entry prints one under Node < 22.18; scripts/build.mjs calls its API),
 * yet a broken build still fails; and npm 11's install-scripts notice has nothing to list, because
 * package.json's `allowScripts` records the install scripts in the tree as reviewed and denied:
 * esbuild's optional postinstall, which only re-checks its platform binary, and those of `bun`,
 * `deno` and `workerd`, which link the binary of their platform package (test/fetch/runtimes.test.ts
 * runs that binary from the platform package directly).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scaled } from '../helpers/time.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-build-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const T = { timeout: scaled(120_000) };

describe('build output from a clone', () => {
  it('npm run build uses scripts/build.mjs, which builds without the deprecation line', T, async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.build, 'node scripts/build.mjs');
    const outDir = join(scratch, 'dist');
    const { stdout, stderr } = await run(process.execPath, ['scripts/build.mjs', outDir], { cwd: root });
    assert.doesNotMatch(stdout + stderr, /deprecated/i);
    for (const file of ['index.cjs', 'index.mjs', 'index.d.cts', 'index.d.mts', 'cli/main.cjs'])
      assert.ok(existsSync(join(outDir, file)), `${file} was built`);
  });

  it('a build error still fails the build, with the error shown', T, async () => {
    const config = join(scratch, 'broken.config.mjs');
    writeFileSync(config, "export default { entry: { index: 'src/does-not-exist.ts' }, outDir: 'unused' };\n");
    const script = `import { build } from 'tsdown'; await build({ config: ${JSON.stringify(config)} });`;
    // The same call scripts/build.mjs makes, on a configuration whose entry is missing.
    await assert.rejects(
      run(process.execPath, ['--input-type=module', '-e', script], { cwd: root }),
      (err: Error & { code?: number; stderr?: string }) => {
        assert.notEqual(err.code, 0);
        assert.match(String(err.stderr), /does-not-exist/);
        return true;
      },
    );
  });

  it('npm install-scripts ls: no unreviewed install script (npm 11 prints no notice)', T, async (t) => {
    const { stdout: version } = await run('npm', ['--version'], { cwd: root });
    if (Number(version.split('.')[0]) < 11) {
      t.skip(`npm ${version.trim()} has no install-scripts command`);
      return;
    }
    const { stdout } = await run('npm', ['install-scripts', 'ls', '--json'], { cwd: root });
    assert.deepEqual((JSON.parse(stdout) as { allowScripts: unknown[] }).allowScripts, []);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: unknown };
    assert.deepEqual(pkg.allowScripts, {
      bun: false,
      deno: false,
      edgedriver: false,
      esbuild: false,
      geckodriver: false,
      workerd: false,
    });
  });
});
