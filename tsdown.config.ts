/**
 * The package build: one CommonJS build of the library from src/ (dist/index.cjs, with its
 * declarations in dist/index.d.cts) plus a small ES module wrapper over it (dist/index.mjs and
 * dist/index.d.mts), so `require()` and `import` load the same single copy of the library (no
 * dual-package hazard: a policy made through one is accepted by the other, and `instanceof
 * CorsConfigError` holds across both). Node's documentation calls this the "ES module wrapper".
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
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
