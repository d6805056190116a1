/**
 * The package build: one CommonJS build of the library from src/ (dist/index.cjs, with its
 * declarations in dist/index.d.cts) plus a small ES module wrapper over it (dist/index.mjs and
 * dist/index.d.mts), so `require()` and `import` load the same single copy of the library (no
 * dual-package hazard: a policy made through one is accepted by the other, and `instanceof
 * CorsConfigError` holds across both). Node's documentation calls this the "ES module wrapper".
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'tsdown';

/**
 * `require('cors-safety')` is the corsSafety() factory itself with every named export attached
 * (as helmet does), so `require('cors-safety')(options)` works beside
 * `const { corsSafety } = require('cors-safety')`; `.default` points at the factory too.
 */
const CJS_ENTRY_OUTRO = [
  'module.exports = Object.assign(exports.default, exports);',
  'Object.defineProperty(module.exports, "__esModule", { value: true });',
].join('\n');

/** An ES module entry: re-exports the CommonJS build's names (and the factory as default, for index). */
function esmWrapper(entry: string, names: readonly string[], withDefault: boolean): string {
  return [
    '// ES module entry: the library itself is the CommonJS build, so both entries share one copy.',
    `import cjs from './${entry}.cjs';`,
    `export const { ${names.join(', ')} } = cjs;`,
    ...(withDefault ? ['export default cjs.default;'] : []),
    '',
  ].join('\n');
}

/** fetch/package.json, for resolvers without "exports" (TypeScript's node10, old bundlers). */
const NODE10_FETCH = {
  private: true,
  main: '../dist/fetch.cjs',
  module: '../dist/fetch.mjs',
  types: '../dist/fetch.d.cts',
  sideEffects: false,
};

/**
 * The one Node type the policy core's declarations name, and what `cors-safety/fetch` passes in its
 * place: an origin function and `originLookup.lookup` get the fetch `Request` there (see
 * src/fetch/with-cors-safety.ts), where the Node adapters pass `node:http`'s `IncomingMessage`.
 */
const FETCH_TYPES: Readonly<Record<string, string>> = { IncomingMessage: 'Request' };
const NODE_MODULE_REFERENCE = /from "node:|import\("node:|<reference types="node"/;

/**
 * The fetch entry's declarations must not need `@types/node` (Deno and Workers projects have
 * none), but the chunks it shares with index import `node:http`. Each shared chunk that does, and
 * each chunk importing one, gets a `fetch-` copy in which the Node type is declared as what the
 * fetch entry passes (FETCH_TYPES); the fetch entry imports the copies. Any other Node type fails
 * the build. Returns the file name (without `.d.cts`) to import for `chunk`.
 */
async function fetchDeclarations(outDir: string, chunk: string, done: Map<string, string>): Promise<string> {
  const known = done.get(chunk);
  if (known !== undefined) return known;
  done.set(chunk, chunk);
  const file = join(outDir, `${chunk}.d.cts`);
  let text = await readFile(file, 'utf8');
  const original = text;
  text = text.replace(/^import \{ ([^}]*) \} from "node:([^"]+)";$/gm, (_line, names: string, module: string) =>
    names
      .split(',')
      .map((name) => name.trim())
      .map((name) => {
        const replacement = FETCH_TYPES[name];
        if (replacement === undefined)
          throw new Error(
            `build: ${chunk}.d.cts uses ${name} from node:${module}, which cors-safety/fetch cannot declare`,
          );
        return `type ${name} = ${replacement};`;
      })
      .join('\n'),
  );
  for (const [, imported] of text.matchAll(/from "\.\/([^"]+)\.cjs"/g)) {
    if (imported === undefined) continue;
    const target = await fetchDeclarations(outDir, imported, done);
    if (target !== imported) text = text.replaceAll(`from "./${imported}.cjs"`, `from "./${target}.cjs"`);
  }
  if (NODE_MODULE_REFERENCE.test(text)) throw new Error(`build: ${chunk}.d.cts still refers to a Node module`);
  if (text === original) return chunk;
  const copy = chunk === 'fetch' ? chunk : `fetch-${chunk}`;
  await writeFile(join(outDir, `${copy}.d.cts`), text);
  done.set(chunk, copy);
  return copy;
}

/** Entries with an ES module wrapper beside their CommonJS file: `cors-safety`, `cors-safety/fetch`, `cors-safety/redis`. */
const WRAPPED_ENTRIES = ['index', 'fetch', 'redis'] as const;

export default defineConfig({
  // cors-safety/redis and cors-safety/fetch are their own entries: the optional `redis` peer is loaded only
  // through the first, and both share the library's chunks with index (one copy of the policy registry).
  entry: {
    index: 'src/index.ts',
    redis: 'src/redis/index.ts',
    fetch: 'src/fetch/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  outDir: 'dist',
  clean: true,
  dts: true,
  // No source maps: a map would point at src/, which the package does not ship.
  sourcemap: false,
  hash: false,
  // CommonJS on purpose (see above); plugin timings are noise in a build this small.
  checks: { legacyCjs: false, pluginTimings: false },
  outputOptions: {
    // Named exports and a default export side by side; the outro below makes the default callable.
    exports: 'named',
    outro: (chunk) => (chunk.isEntry && chunk.name === 'index' ? CJS_ENTRY_OUTRO : ''),
  },
  hooks: {
    'build:done': async (ctx) => {
      const outDir = ctx.options.outDir;
      await fetchDeclarations(outDir, 'fetch', new Map());
      for (const entry of WRAPPED_ENTRIES) {
        const chunk = ctx.chunks.find((found) => found.type === 'chunk' && found.isEntry && found.name === entry);
        if (chunk === undefined || chunk.type !== 'chunk') throw new Error(`build: no ${entry} entry chunk`);
        const names = chunk.exports.filter((name) => name !== 'default');
        await writeFile(join(outDir, `${entry}.mjs`), esmWrapper(entry, names, chunk.exports.includes('default')));
        // The same declarations serve the ES module entry: both name the same exports.
        await copyFile(join(outDir, `${entry}.d.cts`), join(outDir, `${entry}.d.mts`));
      }
      // TypeScript's node10 resolution ignores "exports": it finds `cors-safety/fetch` through
      // a fetch/package.json in the package (shipped through "files"), pointing into dist/.
      await mkdir('fetch', { recursive: true });
      await writeFile(join('fetch', 'package.json'), `${JSON.stringify(NODE10_FETCH, null, 2)}\n`);
    },
  },
});
