/**
 * The layering of src/ (ARCHITECTURE.md, "Layers"), held as data: every import of every source
 * file is read with the TypeScript parser and checked against the rules below.
 *
 * - src/shared/ imports nothing else in src/.
 * - src/policy/ imports src/shared/ only.
 * - src/headers/ (the pure header plans) imports src/policy/ and src/shared/ only.
 * - an adapter imports src/policy/, src/shared/ and src/headers/, and another adapter only along an
 *   edge of ADAPTER_EDGES (each with its reason).
 * - src/cli/ imports the public entry (src/index.ts) and src/shared/ only.
 * - no Node module (`node:*` or another built-in, `debug`, `proxy-addr`) is imported at run time
 *   from src/policy/, src/shared/ or src/headers/: `cors-safety/fetch` runs on Workers and Deno.
 *   Type-only imports (`import type`) are erased and allowed.
 *
 * Temporary exceptions are named file by file in TEMPORARY; one that no longer occurs fails the
 * test, so it is deleted with the change that removed it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** What a folder of src/ is. A new folder fails the test until it is classified here. */
const FOLDERS = {
  shared: 'shared',
  policy: 'policy',
  headers: 'headers',
  http: 'adapter',
  express: 'adapter',
  fetch: 'adapter',
  websocket: 'adapter',
  proxy: 'adapter',
  events: 'adapter',
  redis: 'adapter',
  node: 'adapter',
  cli: 'cli',
} as const satisfies Record<string, 'shared' | 'policy' | 'headers' | 'adapter' | 'cli'>;

type Folder = keyof typeof FOLDERS;

/** The adapter-to-adapter imports ARCHITECTURE.md documents, `from -> to`, each with its reason. */
const ADAPTER_EDGES: Readonly<Record<string, string>> = {
  'http -> express': 'corsSafety() watches the Express router for its mount order (express/mount-order.ts)',
  'http -> events': 'the middleware delivers its decision events (events/decision-event.ts)',
  'http -> node': 'every Node adapter module calls installNodePlatform() (debug, the tldts loader, the channel)',
  'express -> http': 'corsErrorHandler() re-applies the writeHead guard and uses the node:http middleware types',
  'express -> events': 'corsErrorHandler() delivers decision events for the errors it answers',
  'express -> node': 'every Node adapter module calls installNodePlatform()',
  'fetch -> events': 'withCorsSafety() delivers decision events through the Node-free part of events/',
  'websocket -> events': 'the upgrade runner delivers decision events for handshakes',
  'websocket -> node': 'every Node adapter module calls installNodePlatform()',
  'node -> events': 'installNodePlatform() installs the decision channel as the events publisher',
};

/**
 * Imports that break a rule today, named file by file, each with why and who removes it.
 * `from -> to`: paths under src/; `to` is a package name for the Node-module rule.
 */
const TEMPORARY: Readonly<Record<string, string>> = {};

/** Packages the Node-free layers must not import at run time, besides Node's built-in modules. */
const NODE_PACKAGES = new Set(['debug', 'proxy-addr']);

/** One import of a source file. */
interface ImportEdge {
  /** The importing file, relative to src/ with forward slashes (`policy/policy.ts`). */
  readonly from: string;
  /** A file relative to src/ for a relative import, else the module specifier as written. */
  readonly to: string;
  readonly local: boolean;
  /** `import type` / `export type`: erased from the JavaScript. */
  readonly typeOnly: boolean;
}

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function srcPath(path: string): string {
  return relative(SRC, path).split(sep).join('/');
}

/** Every static import and re-export, every `import()` and every `import('x').T` type of one file. */
function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier)) return;
    const text = specifier.text;
    const local = text.startsWith('.');
    const to = local ? srcPath(resolve(dirname(file), text).replace(/\.js$/, '.ts')) : text;
    edges.push({ from: srcPath(file), to, local, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node))
      add(node.moduleSpecifier, node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword);
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node.arguments[0], false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The folder of a path under src/, or `index` for a file directly in src/. */
function folderOf(path: string): Folder | 'index' | undefined {
  const slash = path.indexOf('/');
  if (slash < 0) return 'index';
  const folder = path.slice(0, slash);
  return Object.hasOwn(FOLDERS, folder) ? (folder as Folder) : undefined;
}

function isNodeModule(specifier: string): boolean {
  const name = specifier.startsWith('@') ? specifier : (specifier.split('/')[0] ?? specifier);
  return isBuiltin(specifier) || NODE_PACKAGES.has(name);
}

/** Why a local import breaks the layering, or `undefined` when it is allowed. */
function localProblem(from: Folder, to: Folder | 'index', toPath: string): string | undefined {
  if (to === from) return undefined;
  const kind = FOLDERS[from];
  if (kind === 'cli')
    return to === 'index' || to === 'shared' ? undefined : 'the CLI imports only src/index.ts and src/shared/';
  if (to === 'index') return `src/${from}/ must not import the public entry (src/index.ts)`;
  if (kind === 'shared') return 'src/shared/ imports nothing else in src/';
  if (kind === 'policy') return to === 'shared' ? undefined : 'src/policy/ imports src/shared/ only';
  if (kind === 'headers')
    return to === 'shared' || to === 'policy' ? undefined : 'src/headers/ imports src/policy/ and src/shared/ only';
  // An adapter.
  if (to === 'shared' || to === 'policy' || to === 'headers') return undefined;
  if (Object.hasOwn(ADAPTER_EDGES, `${from} -> ${to}`)) return undefined;
  return `adapter ${from}/ imports adapter ${to}/ (${toPath}); not an edge of ADAPTER_EDGES`;
}

/** Every import that breaks a rule, as `from -> to: why`, and the temporary exceptions that were used. */
function violations(edges: readonly ImportEdge[]): { problems: string[]; used: Set<string> } {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const edge of edges) {
    const from = folderOf(edge.from);
    if (from === 'index' || from === undefined) {
      if (from === undefined) problems.push(`${edge.from}: its folder is not classified in FOLDERS`);
      continue;
    }
    let problem: string | undefined;
    if (edge.local) {
      const to = folderOf(edge.to);
      problem = to === undefined ? `imports ${edge.to}, outside src/'s folders` : localProblem(from, to, edge.to);
    } else if (FOLDERS[from] === 'cli') {
      problem = undefined; // Node built-ins and tldts: the CLI runs on Node only.
    } else if (FOLDERS[from] !== 'adapter' && !edge.typeOnly && isNodeModule(edge.to)) {
      problem = `src/${from}/ must run without Node: no run-time import of ${edge.to}`;
    }
    if (problem === undefined) continue;
    const key = `${edge.from} -> ${edge.to}`;
    if (Object.hasOwn(TEMPORARY, key)) used.add(key);
    else problems.push(`${key}: ${problem}`);
  }
  return { problems, used };
}

const EDGES = sourceFiles(SRC).flatMap(importsOf);

describe('layering of src/ (ARCHITECTURE.md)', () => {
  test('the import reader sees the imports that exist', () => {
    // If parsing silently found nothing, every rule below would pass vacuously.
    const has = (from: string, to: string, typeOnly: boolean) =>
      EDGES.some((edge) => edge.from === from && edge.to === to && edge.typeOnly === typeOnly);
    assert.ok(has('cli/explain.ts', 'index.ts', false), 'cli/explain.ts imports the public entry');
    assert.ok(has('shared/log.ts', 'debug', true), "shared/log.ts's type-only import of debug");
    assert.ok(has('websocket/proxy-trust.ts', 'proxy-addr', false), 'websocket/proxy-trust.ts compiles trustProxy');
    assert.ok(has('cli/run.ts', 'cli/explain.ts', false), 'a dynamic import()');
    assert.ok(EDGES.length > 300, `${EDGES.length} imports read`);
  });

  test('every import follows the rules', () => {
    const { problems } = violations(EDGES);
    assert.deepEqual(problems, []);
  });

  test('every temporary exception still occurs (delete the ones that do not)', () => {
    const { used } = violations(EDGES);
    assert.deepEqual(
      Object.keys(TEMPORARY).filter((key) => !used.has(key)),
      [],
    );
  });

  test('every documented adapter edge is used', () => {
    const seen = new Set(
      EDGES.filter((edge) => edge.local).map((edge) => `${folderOf(edge.from) ?? ''} -> ${folderOf(edge.to) ?? ''}`),
    );
    assert.deepEqual(
      Object.keys(ADAPTER_EDGES).filter((edge) => !seen.has(edge)),
      [],
    );
  });

  test('each rule fails on an import that breaks it', () => {
    const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({
      from,
      to,
      local: !/^[a-z@]/.test(to) || to.endsWith('.ts'),
      typeOnly,
    });
    const cases: [ImportEdge, RegExp][] = [
      [edge('shared/escape.ts', 'policy/reasons.ts'), /src\/shared\/ imports nothing else/],
      [edge('policy/policy.ts', 'http/middleware.ts'), /src\/policy\/ imports src\/shared\/ only/],
      [edge('policy/policy.ts', 'headers/preflight.ts'), /src\/policy\/ imports src\/shared\/ only/],
      [edge('headers/preflight.ts', 'fetch/with-cors-safety.ts'), /src\/headers\/ imports/],
      [edge('headers/preflight.ts', 'cli/run.ts'), /src\/headers\/ imports/],
      [edge('fetch/with-cors-safety.ts', 'express/error-handler.ts'), /adapter fetch\/ imports adapter express\//],
      [edge('proxy/nginx-config.ts', 'http/middleware.ts'), /adapter proxy\/ imports adapter http\//],
      [edge('cli/doctor.ts', 'policy/policy.ts'), /the CLI imports only/],
      [edge('cli/doctor.ts', 'fetch/index.ts'), /the CLI imports only/],
      [edge('http/middleware.ts', 'index.ts'), /must not import the public entry/],
      [edge('policy/origin-check.ts', 'node:net'), /no run-time import of node:net/],
      [edge('shared/log.ts', 'debug'), /no run-time import of debug/],
      [edge('headers/vary.ts', 'http'), /no run-time import of http/],
      [edge('policy/proxy-trust.ts', 'proxy-addr/index.js'), /no run-time import of proxy-addr/],
      [edge('mystery/thing.ts', 'shared/log.ts'), /not classified/],
    ];
    for (const [bad, message] of cases) {
      const { problems } = violations([bad]);
      assert.equal(problems.length, 1, `${bad.from} -> ${bad.to}`);
      assert.match(problems[0] ?? '', message);
    }
    // And what the rules allow stays allowed.
    const allowed = [
      edge('policy/origin-check.ts', 'node:http', true),
      edge('cli/doctor.ts', 'shared/methods.ts'),
      edge('cli/explain.ts', 'index.ts'),
      edge('cli/probe.ts', 'node:net'),
      edge('http/middleware.ts', 'express/mount-order.ts'),
      edge('fetch/with-cors-safety.ts', 'headers/preflight.ts'),
      edge('events/decision-event.ts', 'headers/request-verdict.ts'),
      edge('node/platform.ts', 'events/decision-channel.ts'),
      edge('http/middleware.ts', 'node:http'),
    ];
    assert.deepEqual(violations(allowed).problems, []);
  });
});
