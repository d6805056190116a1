/**
 * The package as a consumer meets it: publint and arethetypeswrong on the packed tarball, then
 * the tarball installed into a scratch CommonJS project (require) and an ESM project (import,
 * plus a TypeScript type check against the shipped declarations).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-consumer-'));
let tarball = '';

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

function project(name: string, packageJson: object): string {
  const dir = join(scratch, name);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], dir);
  return dir;
}

before(() => {
  assert.ok(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
  run('npm', ['pack', '--pack-destination', scratch, '--loglevel=error'], root);
  const packed = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
  assert.ok(packed !== undefined, 'npm pack produced no tarball');
  tarball = join(scratch, packed);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

test('publint finds no problem in the package', () => {
  const out = run(bin('publint'), ['run', '--strict', tarball], root);
  assert.match(out, /All good/);
});

test('arethetypeswrong: types resolve for ESM, bundlers and node10; CJS uses require(esm)', () => {
  // Node >= 20.19 loads ESM with require(), so "CJS resolves to ESM" is expected here and is
  // proven at run time by the CommonJS test below.
  const out = run(bin('attw'), [tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii'], root);
  assert.doesNotMatch(out, /❌|💀|🐛|🥴|❗️/u);
});

test('a CommonJS project can require() the package and use it', () => {
  const dir = project('cjs', { name: 'cjs-consumer', version: '1.0.0', private: true, type: 'commonjs' });
  writeFileSync(
    join(dir, 'index.js'),
    `const { createOriginValidator, corsSafety, CorsConfigError } = require('cors-safety');
const v = createOriginValidator({ origin: 'https://app.example.com' });
let threw = false;
try { corsSafety({ origin: 'https://app.example.com/path' }); } catch (e) { threw = e instanceof CorsConfigError; }
console.log(JSON.stringify({ allowed: v.check('https://app.example.com').allowed, denied: v.check('https://evil.example').allowed, threw }));`,
  );
  const out = run(process.execPath, ['index.js'], dir);
  assert.deepEqual(JSON.parse(out), { allowed: true, denied: false, threw: true });
});

test('an ESM TypeScript project imports the package and type-checks against its declarations', () => {
  const dir = project('esm', { name: 'esm-consumer', version: '1.0.0', private: true, type: 'module' });
  writeFileSync(
    join(dir, 'index.ts'),
    `import { corsSafety, corsErrorHandler, createCorsPolicy, type CorsPolicy, type OriginVerdict } from 'cors-safety';
const policy: CorsPolicy = createCorsPolicy({ origin: ['https://app.example.com'], credentials: true });
const mw = corsSafety(policy);
const handler = corsErrorHandler(policy);
const verdict: OriginVerdict | Promise<OriginVerdict> = mw.policy === policy ? { allowed: false, reason: 'origin-missing' } : Promise.reject(new Error('no'));
// @ts-expect-error: unknown reason codes are a type error
const wrong: OriginVerdict = { allowed: false, reason: 'nope' };
console.log(typeof handler, typeof verdict, wrong === undefined);
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['node-types.d.ts', 'index.ts'],
    }),
  );
  // The consumer has no @types/node of its own; point TypeScript at ours so node:http resolves.
  writeFileSync(
    join(dir, 'node-types.d.ts'),
    `/// <reference path="${join(root, 'node_modules', '@types', 'node', 'index.d.ts')}" />\n`,
  );
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  writeFileSync(
    join(dir, 'run.mjs'),
    `import { createOriginValidator } from 'cors-safety';\nconsole.log(createOriginValidator({ origin: 'https://a.example' }).check('https://a.example').reason);\n`,
  );
  assert.equal(run(process.execPath, ['run.mjs'], dir).trim(), 'allowed-exact');
});
