/**
 * `npm run build`: tsdown through its API, with the configuration in tsdown.config.ts. An
 * optional argument builds into another folder (test/package/build-output.test.ts uses it).
 *
 * tsdown's command-line entry (tsdown/dist/run.mjs) prints "Node.js v20 is deprecated" on every
 * run under Node < 22.18, with no option or variable to turn it off; its API prints nothing of
 * the kind. This package supports Node >= 20.19 (package.json "engines") and pins tsdown 0.21,
 * the last line that runs on Node 20, so that line says nothing anyone here can act on. Errors
 * still fail the build: build() rejects, and the rejection exits non-zero with its stack.
 */
import { build } from 'tsdown';

const outDir = process.argv[2];
await build({ config: 'tsdown.config.ts', ...(outDir === undefined ? {} : { outDir }) });
