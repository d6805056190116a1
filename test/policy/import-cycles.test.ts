/**
 * No import cycle under src/: every relative import of every source file, `import type` and
 * `export ... from` included (a type-only cycle still ties two modules together for a reader and
 * a bundler), walked as a graph whose strongly connected components must all be single files.
 * Imports are read with TypeScript's own scanner (`ts.preProcessFile`), not a regular expression.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

type Graph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

/** Every source file with the source files it imports, by path relative to src/ (forward slashes). */
function importGraph(): Graph {
  const graph = new Map<string, string[]>();
  const name = (path: string): string => relative(SRC, path).split('\\').join('/');
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets: string[] = [];
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      // Sources import each other as `./x.js` (NodeNext resolution); the file is `./x.ts`.
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      assert.ok(existsSync(target), `${name(file)} imports ${fileName}, which is no file under src/`);
      targets.push(name(target));
    }
    graph.set(name(file), targets);
  }
  return graph;
}

/** Strongly connected components with more than one file, or one file that imports itself (Tarjan). */
function findCycles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  test('the cycle finder finds cycles, long, short and of one file', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
    ]);
    assert.deepEqual(
      findCycles(graph)
        .map((cycle) => cycle.join(' <-> '))
        .sort(),
      ['a.ts <-> b.ts <-> c.ts', 'd.ts'],
    );
    assert.deepEqual(findCycles(new Map([['a.ts', ['b.ts']]])), []);
  });

  test('the graph holds the imports of src/, type-only ones included', () => {
    const graph = importGraph();
    assert.ok(graph.size > 50, `only ${graph.size} files under src/`);
    // `import type { ... } from './origin-types.js'`: a type-only edge is an edge.
    assert.ok(graph.get('policy/app-origin.ts')?.includes('policy/origin-types.ts'));
    // `export { ... } from './compiled-policy.js'`: a re-export is an edge.
    assert.ok(graph.get('policy/policy.ts')?.includes('policy/compiled-policy.ts'));
  });

  test('no module under src/ imports itself through others', () => {
    const found = findCycles(importGraph()).map((cycle) => cycle.join(' <-> '));
    assert.deepEqual(found, [], `import cycles under src/:\n${found.join('\n')}`);
  });
});
