/**
 * `cors-safety/fetch`'s declarations need no `@types/node`: a Deno or Workers project has none.
 * The built dist/fetch.d.cts and every declaration chunk it reaches refer to no `node:` module,
 * and a strict consumer compiled with `types: []` (Request and Response from the DOM library,
 * as such runtimes declare them) type-checks against them with `skipLibCheck` off, reads no file
 * of @types/node, and sees the fetch `Request` where an origin function gets its request.
 * Run after `npm run build` (the package tier builds first).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-fetch-types-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * An import, export or type reference naming a Node module, in declaration code (a TSDoc example
 * line starts with `*` and is prose, not a reference).
 */
const NODE_REFERENCE =
  /^\s*(?:import|export)\b[^\n]*\bfrom\s+["']node:|import\(\s*["']node:|^\/\/\/\s*<reference\s+types=["']node["']/m;

/** dist/fetch.d.cts and the declaration chunks it imports, transitively: file name -> text. */
function fetchDeclarations(): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const text = readFileSync(join(dist, file), 'utf8');
    files.set(file, text);
    for (const [, chunk] of text.matchAll(/from\s+"\.\/([^"]+)\.cjs"/g)) visit(`${chunk}.d.cts`);
  };
  visit('fetch.d.cts');
  return files;
}

const CONSUMER = `
import { createCorsPolicy, REASON_HEADER, withCorsSafety, type CorsDecisionEvent } from 'cors-safety/fetch';

interface Env { readonly ALLOWED: string }

const policy = createCorsPolicy({
  // The request an origin function gets is the fetch Request.
  origin: (origin, req) => req.headers.get('x-tenant') !== null && origin.endsWith('.example.com'),
  originLookup: { lookup: async (origin, req) => origin.length < 100 && req?.url !== undefined },
  onDecision: (event: CorsDecisionEvent) => void event.candidate,
  reportOnly: { origin: ['https://app.example.com'] },
});
const reason: 'Cors-Safety-Reason' = REASON_HEADER;

export default {
  fetch: withCorsSafety(policy, async (request: Request, env: Env) =>
    Response.json({ path: new URL(request.url).pathname, allowed: env.ALLOWED, reason }),
  ),
};

// node:http's IncomingMessage is not what the fetch entry passes: it has no socket.
// @ts-expect-error -- Request has no socket
createCorsPolicy({ origin: (_origin, req) => req.socket !== undefined });
`;

const execFileAsync = promisify(execFile);

test('dist/fetch.d.cts and its chunks refer to no node: module', () => {
  assert.ok(existsSync(join(dist, 'fetch.d.cts')), 'dist/fetch.d.cts is missing: run npm run build first');
  const files = fetchDeclarations();
  assert.ok(files.size >= 2, `the fetch declarations reach their chunks (${[...files.keys()].join(', ')})`);
  for (const [file, text] of files) assert.doesNotMatch(text, NODE_REFERENCE, `${file} refers to a Node module`);
  // And the premise: the Node entry's declarations do name node:http (so the check above can fail).
  assert.match(readFileSync(join(dist, 'index.d.cts'), 'utf8'), NODE_REFERENCE);
});

test('a consumer with types: [] (no @types/node) compiles against cors-safety/fetch', async () => {
  writeFileSync(join(scratch, 'worker.ts'), CONSUMER);
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: false,
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2022', 'dom', 'dom.iterable'],
    types: [],
    paths: { 'cors-safety/fetch': [join(dist, 'fetch.d.mts')] },
  };
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['worker.ts'] }));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let listed: string;
  try {
    ({ stdout: listed } = await execFileAsync(
      process.execPath,
      [tsc, '-p', 'tsconfig.json', '--listFiles', '--pretty', 'false'],
      { cwd: scratch, encoding: 'utf8', timeout: 240_000 },
    ));
  } catch (err) {
    const failed = err as Error & { stdout?: string };
    assert.fail(`tsc failed:\n${failed.stdout ?? failed.message}`);
  }
  const files = listed.split('\n').filter((line) => line.trim() !== '');
  assert.ok(
    files.some((file) => file.endsWith('dist/fetch-policy.d.cts') || file.endsWith('dist/fetch.d.mts')),
    'the consumer read the built declarations',
  );
  assert.deepEqual(
    files.filter((file) => file.includes('@types/node')),
    [],
  );
});
