/**
 * The library code the benchmarks run: src/ compiled to plain JavaScript by TypeScript (the code
 * `npm run build` bundles), rather than src/ run through tsx. tsx (esbuild with `keepNames`)
 * wraps every function expression created at run time in a `__name()` call that redefines
 * its `name`, a per-request cost that the published package does not have and `cors` (plain
 * JavaScript) does not pay.
 *
 * The output goes to node_modules/.cache/cors-safety-bench/<pid>/ so that the compiled files
 * resolve `debug` from the project's node_modules; it is removed when the run ends.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import type * as FetchModule from '../src/fetch/index.js';
import type * as IndexModule from '../src/index.js';
import type * as OriginCheckModule from '../src/policy/origin-check.js';
import type * as PolicyModule from '../src/policy/policy.js';
import type * as UpgradeGuardModule from '../src/websocket/upgrade-guard.js';

/** Environment variable naming the compiled library directory for server children. */
export const LIBRARY_ENV = 'CORS_SAFETY_BENCH_LIB';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

export interface Library {
  readonly index: typeof IndexModule;
  /** `cors-safety/fetch`: withCorsSafety(). */
  readonly fetch: typeof FetchModule;
  readonly originCheck: typeof OriginCheckModule;
  readonly policy: typeof PolicyModule;
  readonly upgradeGuard: typeof UpgradeGuardModule;
  /** Where the code came from, for the report. */
  readonly source: string;
}

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/**
 * Compiles src/ with the compiler options of tsconfig.json (file by file: the project uses
 * `isolatedModules`, so this is the code the package's build bundles, without the bundling).
 */
export function compileLibrary(): { readonly dir: string; remove(): void } {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error !== undefined)
    throw new Error(
      `bench: cannot read tsconfig.json: ${ts.flattenDiagnosticMessageText(config.error.messageText, '\n')}`,
    );
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    // The package is ESM ("type": "module"); transpileModule cannot look that up per file.
    module: ts.ModuleKind.ESNext,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    noEmit: false,
  };
  const dir = join(ROOT, 'node_modules', '.cache', 'cors-safety-bench', String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  for (const file of sourceFiles(SRC)) {
    const output = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions,
      fileName: file,
      reportDiagnostics: false,
    });
    const target = join(dir, relative(SRC, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Loads the library from a compiled directory, or, without one, from src/ through tsx (for
 * running bench/servers.ts by hand; the figures then include tsx's overhead).
 */
export async function loadLibrary(dir: string | undefined): Promise<Library> {
  const load = async <T>(name: string): Promise<T> =>
    (await import(dir === undefined ? `../src/${name}` : pathToFileURL(join(dir, name)).href)) as T;
  return {
    index: await load<typeof IndexModule>('index.js'),
    fetch: await load<typeof FetchModule>('fetch/index.js'),
    originCheck: await load<typeof OriginCheckModule>('policy/origin-check.js'),
    policy: await load<typeof PolicyModule>('policy/policy.js'),
    upgradeGuard: await load<typeof UpgradeGuardModule>('websocket/upgrade-guard.js'),
    source:
      dir === undefined
        ? 'src/ through tsx'
        : 'src/ compiled to plain JavaScript by TypeScript, the code `npm run build` bundles (not run through tsx)',
  };
}
