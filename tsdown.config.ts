/**
 * The package build: one CommonJS build of the library from src/ (dist/index.cjs, with its
 * declarations in dist/index.d.cts) plus a small ES module wrapper over it (dist/index.mjs and
 * dist/index.d.mts), so `require()` and `import` load the same single copy of the library (no
 * dual-package hazard: a policy made through one is accepted by the other, and `instanceof
 * CorsConfigError` holds across both). Node's documentation calls this the "ES module wrapper".
 */
import { copyFile, writeFile } from 'node:fs/promises';
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

/** The ES module entry: re-exports the CommonJS build's names, and the factory as default. */
function esmWrapper(names: readonly string[], entry = 'index', withDefault = true): string {
  return [
    '// ES module entry: the library itself is the CommonJS build, so both entries share one copy.',
    `import cjs from './${entry}.cjs';`,
    `export const { ${names.join(', ')} } = cjs;`,
    ...(withDefault ? ['export default cjs.default;'] : []),
    '',
  ].join('\n');
}

export default defineConfig({
  // cors-safety/redis is its own entry: the optional `redis` peer is loaded only through it, and it
  // shares the library's chunks with index (one copy of the policy registry).
  entry: { index: 'src/index.ts', redis: 'src/redis/index.ts', 'cli/main': 'src/cli/main.ts' },
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
      const index = ctx.chunks.find((chunk) => chunk.type === 'chunk' && chunk.isEntry && chunk.name === 'index');
      if (index === undefined || index.type !== 'chunk') throw new Error('build: no index entry chunk');
      const names = index.exports.filter((name) => name !== 'default');
      const outDir = ctx.options.outDir;
      await writeFile(join(outDir, 'index.mjs'), esmWrapper(names));
      // The same declarations serve the ES module entry: both name the same exports.
      await copyFile(join(outDir, 'index.d.cts'), join(outDir, 'index.d.mts'));
      const redis = ctx.chunks.find((chunk) => chunk.type === 'chunk' && chunk.isEntry && chunk.name === 'redis');
      if (redis === undefined || redis.type !== 'chunk') throw new Error('build: no redis entry chunk');
      await writeFile(join(outDir, 'redis.mjs'), esmWrapper(redis.exports, 'redis', false));
      await copyFile(join(outDir, 'redis.d.cts'), join(outDir, 'redis.d.mts'));
    },
  },
});
