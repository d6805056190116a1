/**
 * The types suite: test/types/origin-functions.ts and frameworks.ts type-checked by TypeScript 5
 * (`typescript`) and TypeScript 7 (`typescript7`, an npm alias of typescript@7), each under the
 * project's settings (for TypeScript 5, that is `npm run typecheck`) and under plain `strict`. A misuse that compiles fails the run through its
 * unused `@ts-expect-error` directive (TS2578).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);

const COMPILERS = [
  { name: 'TypeScript 5', tsc: join(root, 'node_modules', 'typescript', 'bin', 'tsc'), major: '5' },
  { name: 'TypeScript 7', tsc: join(root, 'node_modules', 'typescript7', 'bin', 'tsc'), major: '7' },
] as const;

async function tsc(compiler: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [compiler, ...args], { cwd: here, timeout: 240_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout}${failed.stderr}` };
  }
}

describe('types suite', () => {
  for (const { name, tsc: compiler, major } of COMPILERS) {
    it(`${name} is the compiler that runs`, async () => {
      const { output } = await tsc(compiler, ['--version']);
      assert.match(output, new RegExp(`^Version ${major}\\.`), output);
    });
    // TypeScript 5 under the project's settings is `npm run typecheck` (tsconfig.json includes test/).
    const projects = major === '5' ? ['tsconfig.strict-only.json'] : ['tsconfig.json', 'tsconfig.strict-only.json'];
    for (const project of projects) {
      it(`${name}: every form compiles and every misuse is refused (${project})`, async () => {
        const { code, output } = await tsc(compiler, ['-p', project, '--pretty', 'false']);
        assert.equal(output.trim(), '', `tsc reported:\n${output}`);
        assert.equal(code, 0);
      });
    }
  }

  it('each misuse line is a checked @ts-expect-error, not a comment', () => {
    // Guards against a directive turned into prose (`// ts-expect-error`), which tsc would ignore.
    for (const file of ['origin-functions.ts', 'frameworks.ts']) {
      const text = readFileSync(join(here, file), 'utf8');
      const misuses = text.slice(text.indexOf('// ---- Misuses'));
      const directives = misuses.match(/^\/\/ @ts-expect-error -- /gm) ?? [];
      assert.ok(directives.length >= 8, `${file}: ${directives.length} misuse directives`);
    }
  });
});
