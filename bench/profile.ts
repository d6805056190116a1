/**
 * Profiles one benchmark server under load: starts it with `node --cpu-prof`, drives one case
 * with autocannon, stops it (the profile is written on exit) and prints where the server's time
 * went, by function (self and inclusive) and by file.
 *
 *   node --import tsx bench/profile.ts <bare|cors-safety|cors> <allowed|denied|preflight>
 *   node --import tsx bench/profile.ts <ws|ws-guard> <handshake|refusal>
 *        [--exact 10000] [--patterns 1000] [--seconds 10] [--dir /tmp/cors-safety-prof] [--top 25]
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CASES,
  DENIED_ORIGIN,
  HTTP_VARIANTS,
  allowedOrigin,
  caseRequest,
  type CaseName,
  type HttpVariant,
  type ListSpec,
} from './fixtures.js';
import { load, verifyServer } from './http.js';
import { LIBRARY_ENV, compileLibrary } from './library.js';
import { startServer, type ServerProcess } from './server-process.js';
import { burst, handshakeRequest } from './upgrade.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds. */
  readonly startTime: number;
  readonly endTime: number;
}

interface Row {
  self: number;
  total: number;
}

function shortUrl(url: string): string {
  // The compiled library (bench/library.ts): name the source file, lines are the compiled file's.
  const lib = /node_modules\/\.cache\/cors-safety-bench\/\d+\/(.+)\.js$/.exec(url);
  if (lib !== null) return `src/${lib[1] ?? ''}.ts (compiled)`;
  const at = url.indexOf('/work/main/');
  if (at >= 0) return url.slice(at + '/work/main/'.length);
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm);
  return url === '' ? '(native)' : url.replace(/^file:\/\//, '');
}

/** Self and inclusive sample counts per function and self counts per file. */
function analyse(profile: CpuProfile): { functions: Map<string, Row>; files: Map<string, number>; samples: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, Row>();
  const files = new Map<string, number>();
  let samples = 0;
  const keyOf = (node: ProfileNode): string =>
    `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  // Inclusive counts: walk from the root, counting each function once per stack.
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id);
    if (node === undefined) return 0;
    const key = keyOf(node);
    const self = node.hitCount ?? 0;
    samples += self;
    let total = self;
    const nested = new Set(onStack).add(key);
    for (const child of node.children ?? []) total += walk(child, nested);
    const row = functions.get(key) ?? { self: 0, total: 0 };
    row.self += self;
    if (!onStack.has(key)) row.total += total;
    functions.set(key, row);
    const file = shortUrl(node.callFrame.url);
    files.set(file, (files.get(file) ?? 0) + self);
    return total;
  };
  const root = profile.nodes[0];
  if (root !== undefined) walk(root.id, new Set());
  return { functions, files, samples };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      exact: { type: 'string', default: '10000' },
      patterns: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      dir: { type: 'string', default: '/tmp/cors-safety-prof' },
      top: { type: 'string', default: '25' },
    },
  });
  const [variant, caseName] = positionals;
  const isHttp = HTTP_VARIANTS.includes(variant as HttpVariant) && CASES.includes(caseName as CaseName);
  const isWs =
    (variant === 'ws' || variant === 'ws-guard') &&
    (caseName === 'handshake' || (caseName === 'refusal' && variant === 'ws-guard'));
  if (variant === undefined || caseName === undefined || !(isHttp || isWs)) {
    throw new Error(
      `usage: bench/profile.ts <${HTTP_VARIANTS.join('|')}> <${CASES.join('|')}> | <ws|ws-guard> <handshake|refusal> [--exact n] [--patterns n] [--seconds s]`,
    );
  }
  const spec: ListSpec = { exact: Number(values.exact), patterns: Number(values.patterns) };
  const dir = join(values.dir, `${variant}-${caseName}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  let requests = 0;
  const build = compileLibrary();
  process.env[LIBRARY_ENV] = build.dir;
  try {
    const server: ServerProcess = await startServer(variant as ServerProcess['variant'], spec, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    try {
      const seconds = Number(values.seconds);
      if (isHttp) {
        await verifyServer(server, variant as HttpVariant, spec);
        const result = await load(server.port, caseRequest(caseName as CaseName, spec), seconds, 50);
        requests = result.requests;
        process.stdout.write(
          `${variant} ${caseName}: ${Math.round(result.requests / result.seconds)} req/s under the profiler\n`,
        );
      } else {
        const origin = caseName === 'refusal' ? DENIED_ORIGIN : allowedOrigin(spec);
        const result = await burst(
          server.port,
          handshakeRequest(server.port, origin),
          caseName === 'refusal' ? 'refusal' : 'upgrade',
          seconds,
          50,
        );
        if (result.failures > 0) throw new Error(`${result.failures} handshakes failed under the profiler`);
        requests = result.ok;
        process.stdout.write(
          `${variant} ${caseName}: ${Math.round(result.ok / result.seconds)}/s under the profiler\n`,
        );
      }
    } finally {
      await server.close();
    }
  } finally {
    build.remove();
  }
  const file = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    // One profile per thread (tsx's loader runs in a worker): the main thread's is the largest.
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { functions, files, samples } = analyse(profile);
  const top = Number(values.top);
  // Sampled time per request (the profiler itself adds overhead; compare rows, not absolutes).
  const microsPerSample = (profile.endTime - profile.startTime) / Math.max(1, samples);
  const perRequest = (n: number): string => ((n * microsPerSample) / Math.max(1, requests)).toFixed(2).padStart(6);
  const pct = (n: number): string => `${((n / samples) * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(
    `\nprofile: ${file} (${samples} samples, ${requests} requests; µs are sampled time per request, startup included in the process total)\n`,
  );
  process.stdout.write('\nTop functions by self time:\n   self  total   self%  function\n');
  for (const [key, row] of [...functions].sort((a, b) => b[1].self - a[1].self).slice(0, top)) {
    process.stdout.write(`${perRequest(row.self)} ${perRequest(row.total)}  ${pct(row.self)}  ${key}\n`);
  }
  process.stdout.write('\ncors-safety functions by inclusive time (µs per request):\n  total   self  function\n');
  for (const [key, row] of [...functions]
    .filter(([key]) => key.includes(' src/'))
    .sort((a, b) => b[1].total - a[1].total)
    .slice(0, top)) {
    process.stdout.write(`${perRequest(row.total)} ${perRequest(row.self)}  ${key}\n`);
  }
  process.stdout.write('\nSelf time by file (µs per request):\n');
  for (const [name, count] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15))
    process.stdout.write(`${perRequest(count)}  ${pct(count)}  ${name}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
