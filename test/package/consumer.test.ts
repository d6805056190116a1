/**
 * The package as a consumer meets it, from a tarball packed in a copy of the repository that has
 * no dist/ (so `prepack` must build it): publint and arethetypeswrong with no ignored rule, the
 * tarball's contents and source maps, one library in the process whether it is reached by
 * require() or import (the dual-package hazard), the CLI bin, and consumer projects for every
 * module setting (test/package/projects.ts) compiled by TypeScript 5 and 7 and then run.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PROJECTS, PROGRAM_CHECKS, type ConsumerProject } from './projects.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-consumer-'));
const consumers = join(scratch, 'consumers');
const execFileAsync = promisify(execFile);

const COMPILERS = [
  { name: 'TypeScript 5', tsc: join(root, 'node_modules', 'typescript', 'bin', 'tsc'), out: 'out-ts5' },
  { name: 'TypeScript 7', tsc: join(root, 'node_modules', 'typescript7', 'bin', 'tsc'), out: 'out-ts7' },
] as const;

let tarball = '';
/** Every file in the tarball, by path inside `package/`. */
const packed = new Map<string, string>();

async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });
    return stdout;
  } catch (err) {
    const failed = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`, {
      cause: err,
    });
  }
}

/**
 * What a fresh clone has of the files a pack reads (the build's inputs and the package's own
 * files; tests and their scratch folders left out): tracked and unignored files, and no dist/.
 */
function freshCopy(): string {
  const dir = join(scratch, 'clone');
  const paths = [
    'package.json',
    'package-lock.json',
    'README.md',
    'LICENSE',
    'tsconfig.json',
    'tsdown.config.ts',
    'scripts/build.mjs',
    'src',
    // The node10 entry of the cors-safety/redis subpath (package.json "files").
    'redis',
  ];
  const files = execFileSyncList(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...paths],
    root,
  );
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function execFileSyncList(command: string, args: string[], cwd: string): string[] {
  return execFileSync(command, args, { cwd, encoding: 'utf8' })
    .split('\0')
    .filter((name) => name !== '');
}

before(async () => {
  const clone = freshCopy();
  assert.ok(!existsSync(join(clone, 'dist')), 'the copy has no dist/');
  await run('npm', ['pack', '--pack-destination', scratch, '--loglevel=error'], clone);
  const name = readdirSync(scratch).find((file) => file.endsWith('.tgz'));
  assert.ok(name !== undefined, 'npm pack produced no tarball');
  tarball = join(scratch, name);
  const unpacked = join(scratch, 'unpacked');
  mkdirSync(unpacked);
  await run('tar', ['xzf', tarball, '-C', unpacked], scratch);
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else packed.set(path, readFileSync(join(dir, entry.name), 'utf8'));
    }
  };
  walk(join(unpacked, 'package'), '');

  // One install of the tarball; every project is a folder below it and resolves it from there.
  mkdirSync(consumers);
  writeFileSync(join(consumers, 'package.json'), JSON.stringify({ name: 'consumers', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], consumers);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('was built by prepack in a copy without dist/: both entries, their types and the CLI', () => {
    for (const file of [
      'dist/index.cjs',
      'dist/index.mjs',
      'dist/index.d.cts',
      'dist/index.d.mts',
      'dist/fetch.cjs',
      'dist/fetch.mjs',
      'dist/fetch.d.cts',
      'dist/fetch.d.mts',
      'dist/cli/main.cjs',
    ]) {
      assert.ok(packed.has(file), `${file} is in the tarball (files: ${[...packed.keys()].join(', ')})`);
    }
    assert.ok(!packed.has('src/index.ts') && ![...packed.keys()].some((file) => file.startsWith('test/')));
  });

  it('no source map points at a file the tarball does not contain', () => {
    for (const [file, text] of packed) {
      for (const match of text.matchAll(/^\/\/# sourceMappingURL=(\S+)$/gm)) {
        const map = join(dirname(file), match[1] ?? '').replaceAll('\\', '/');
        assert.ok(packed.has(map), `${file} names ${map}, which is not in the tarball`);
      }
      if (!file.endsWith('.map')) continue;
      const { sources } = JSON.parse(text) as { sources: string[] };
      for (const source of sources) {
        const target = join(dirname(file), source).replaceAll('\\', '/');
        assert.ok(packed.has(target), `${file} points at ${target}, which is not in the tarball`);
      }
    }
  });

  it('publint finds no problem', async () => {
    assert.match(await run(bin('publint'), ['run', '--strict', tarball], root), /All good/);
  });

  it('arethetypeswrong finds no problem for node10, node16 (CJS and ESM) and bundlers, with no rule ignored', async () => {
    const out = await run(bin('attw'), [tarball, '--format', 'ascii'], root);
    assert.match(out, /No problems found/);
    assert.doesNotMatch(out, /❌|💀|🐛|🥴|❗️|⚠️/u);
  });

  it('one library in the process: require() and import share policies, validators and CorsConfigError', async () => {
    writeFileSync(
      join(consumers, 'one-copy.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from 'cors-safety';
import esmDefault from 'cors-safety';
const cjs = createRequire(import.meta.url)('cors-safety');
const fromRequire = cjs.createCorsPolicy({ origin: 'https://app.example.com' });
const fromImport = esm.createCorsPolicy({ origin: 'https://app.example.com' });
const thrown = (make) => { try { make(); } catch (err) { return err; } };
const errFromRequire = thrown(() => cjs.createCorsPolicy({ origin: 'https://app.example.com/path' }));
const errFromImport = thrown(() => esm.corsSafety({ origin: 'https://app.example.com/path' }));
console.log(JSON.stringify({
  sameFactory: cjs === esmDefault && cjs.corsSafety === esm.corsSafety && esm.default === esm.corsSafety,
  importAcceptsRequired: esm.corsSafety(fromRequire).policy === fromRequire,
  requireAcceptsImported: cjs.corsSafety(fromImport).policy === fromImport,
  validatorAcrossCopies: esm.createOriginValidator(fromRequire).check('https://app.example.com').allowed
    && cjs.createOriginValidator(fromImport).check('https://app.example.com').allowed,
  isCorsPolicy: esm.isCorsPolicy(fromRequire) && cjs.isCorsPolicy(fromImport),
  errorFromRequireIsImportedClass: errFromRequire instanceof esm.CorsConfigError,
  errorFromImportIsRequiredClass: errFromImport instanceof cjs.CorsConfigError,
}));
`,
    );
    assert.deepEqual(JSON.parse(await run(process.execPath, ['one-copy.mjs'], consumers)), {
      sameFactory: true,
      importAcceptsRequired: true,
      requireAcceptsImported: true,
      validatorAcrossCopies: true,
      isCorsPolicy: true,
      errorFromRequireIsImportedClass: true,
      errorFromImportIsRequiredClass: true,
    });
  });

  it('cors-safety/fetch loads no Node module: its files require only each other, tldts (and its rule trie) and ret', () => {
    // Walk the CommonJS graph from the entry: every require() and import is listed, and only the
    // package's own chunks and the two pure-JavaScript dependencies may appear (no node:*, no
    // builtin without the prefix, no debug, no proxy-addr), nor a way around a static require.
    const seen = new Set<string>();
    const pending = ['dist/fetch.cjs', 'dist/fetch.mjs'];
    const external = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = packed.get(file);
      assert.ok(text !== undefined, `${file} is in the tarball`);
      assert.doesNotMatch(text, /getBuiltinModule|createRequire|\bimport\(|process\.binding/, file);
      // Statements only: doc comments in the bundle quote `import ... from 'cors-safety/fetch'`.
      const statements = /\brequire\(\s*(["'`])([^"'`]*)\1\s*\)|^(?:import|export)\b[^;]*?\bfrom\s+(["'])([^"']*)\3/gm;
      for (const match of text.matchAll(statements)) {
        const specifier = match[2] ?? match[4] ?? '';
        if (specifier.startsWith('./') || specifier.startsWith('../'))
          pending.push(join(dirname(file), specifier).replaceAll('\\', '/'));
        else external.add(specifier);
      }
      // Any other form of require (a variable, a concatenation) would escape the check above.
      const requires = text.match(/\brequire\(/g)?.length ?? 0;
      const literal = text.match(/\brequire\(\s*["'`][^"'`]*["'`]\s*\)/g)?.length ?? 0;
      assert.equal(requires, literal, `${file}: every require() names a literal module`);
    }
    assert.ok(seen.size >= 3, `the entry and its chunks were read: ${[...seen].join(', ')}`);
    assert.deepEqual([...external].sort(), ['ret', 'tldts', 'tldts/dist/cjs/src/data/trie.js']);
  });

  it('cors-safety/fetch: import and require share the policy core with cors-safety', async () => {
    writeFileSync(
      join(consumers, 'fetch-entry.mjs'),
      `import { createRequire } from 'node:module';
import { corsSafety, createCorsPolicy } from 'cors-safety';
import * as fetchEntry from 'cors-safety/fetch';
const cjs = createRequire(import.meta.url)('cors-safety/fetch');
const policy = createCorsPolicy({ origin: 'https://app.example.com' });
const handler = fetchEntry.withCorsSafety(policy, () => new Response('ok'));
const response = await handler(new Request('http://localhost/', { headers: { Origin: 'https://app.example.com' } }));
console.log(JSON.stringify({
  sameFunctions: cjs.withCorsSafety === fetchEntry.withCorsSafety && cjs.createCorsPolicy === createCorsPolicy,
  policyAcrossEntries: corsSafety(fetchEntry.createCorsPolicy({ origin: 'https://a.example' })).policy !== undefined
    && handler.policy === policy,
  granted: response.headers.get('access-control-allow-origin'),
}));
`,
    );
    assert.deepEqual(JSON.parse(await run(process.execPath, ['fetch-entry.mjs'], consumers)), {
      sameFunctions: true,
      policyAcrossEntries: true,
      granted: 'https://app.example.com',
    });
  });

  it('the cors-safety bin runs from the installed package', async () => {
    const out = await run(
      join(consumers, 'node_modules', '.bin', 'cors-safety'),
      ['explain', '--origin', 'http://localhost:5173'],
      consumers,
    );
    assert.match(out, /decision: ALLOWED/);
  });
});

type Compiler = (typeof COMPILERS)[number];

/** Writes a project's folder (package.json and its program) and returns it. */
function writeProject(project: ConsumerProject, compiler: Compiler | undefined): string {
  const dir = join(consumers, compiler === undefined ? project.name : `${project.name}-${compiler.out}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: project.type }));
  writeFileSync(join(dir, project.file), project.source);
  if (compiler !== undefined) {
    const compilerOptions = {
      ...project.compilerOptions,
      strict: true,
      target: 'ES2022',
      outDir: 'out',
      // As most projects have it (tsc --init's default); the declarations are checked below.
      skipLibCheck: true,
      // The consumer has no @types/node of its own: ours, for node:http.
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [project.file] }));
  }
  return dir;
}

/**
 * Every TypeScript project compiled by one `tsc -b` per compiler: one process reads @types/node
 * once for all of them (separate runs cost TypeScript 5 several seconds each on a loaded machine).
 * Resolves with tsc's output; errors are told apart by each project's folder name.
 */
const compilations = new Map<string, Promise<string>>();
function compileAll(compiler: Compiler): Promise<string> {
  let compiled = compilations.get(compiler.name);
  if (compiled === undefined) {
    const dirs = PROJECTS.filter((project) => project.compilerOptions !== undefined).map((project) =>
      writeProject(project, compiler),
    );
    compiled = execFileAsync(process.execPath, [compiler.tsc, '-b', ...dirs, '--pretty', 'false'], {
      cwd: consumers,
      encoding: 'utf8',
      timeout: 240_000,
    }).then(
      ({ stdout, stderr }) => stdout + stderr,
      (reason: unknown) => {
        const err = reason as Error & { stdout?: string; stderr?: string };
        return `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
      },
    );
    compilations.set(compiler.name, compiled);
  }
  return compiled;
}

async function compileAndRun(project: ConsumerProject, compiler: Compiler | undefined): Promise<void> {
  let dir: string;
  let entry = project.file;
  if (compiler === undefined) {
    dir = writeProject(project, undefined);
  } else {
    const output = await compileAll(compiler);
    dir = join(consumers, `${project.name}-${compiler.out}`);
    const mine = output.split('\n').filter((line) => line.includes(`${project.name}-${compiler.out}/`));
    assert.deepEqual(mine, [], `${compiler.name} reported for ${project.name}:\n${output}`);
    entry = join('out', project.file.replace(/\.ts$/, '.js'));
    assert.ok(existsSync(join(dir, entry)), `${compiler.name} wrote no ${entry} for ${project.name}:\n${output}`);
  }
  const out = JSON.parse(await run(process.execPath, [entry], dir)) as unknown;
  assert.deepEqual(out, PROGRAM_CHECKS);
}

describe('consumer projects installed from the tarball compile and run', { concurrency: 2 }, () => {
  it('the shipped declarations themselves type-check (skipLibCheck off), for require and for import', async () => {
    // One nodenext project with a .cts and an .mts file reads dist/index.d.cts and dist/index.d.mts.
    // TypeScript 7 only: TypeScript 5 spends half a minute on @types/node here for the same verdict.
    const dir = join(consumers, 'declarations');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    const use = 'corsSafety(createCorsPolicy({ origin: (origin, req) => origin === req.headers.host }));\n';
    writeFileSync(join(dir, 'required.cts'), `import corsSafety, { createCorsPolicy } from 'cors-safety';\n${use}`);
    writeFileSync(join(dir, 'imported.mts'), `import corsSafety, { createCorsPolicy } from 'cors-safety';\n${use}`);
    const compilerOptions = {
      module: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    };
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['required.cts', 'imported.mts'] }),
    );
    const listed = await run(process.execPath, [COMPILERS[1].tsc, '-p', 'tsconfig.json', '--listFiles'], dir);
    assert.match(listed, /cors-safety\/dist\/index\.d\.cts/);
    assert.match(listed, /cors-safety\/dist\/index\.d\.mts/);
  });

  for (const project of PROJECTS) {
    if (project.compilerOptions === undefined) {
      it(project.name, () => compileAndRun(project, undefined));
      continue;
    }
    for (const compiler of COMPILERS) {
      it(`${project.name} with ${compiler.name}`, () => compileAndRun(project, compiler));
    }
  }
});
