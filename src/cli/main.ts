#!/usr/bin/env node
/**
 * The `cors-safety` executable: `cors-safety doctor <url> --origin <origin>` and
 * `cors-safety explain --origin <origin>`. See `run.ts`; this file only binds it to the process.
 */
import { run } from './run.js';

// No top-level await: the package ships this file as CommonJS (dist/cli/main.cjs).
void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
