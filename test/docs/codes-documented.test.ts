/**
 * Every stable code is documented: each CorsConfigError issue code raised anywhere in src/ (outside
 * the CLI, whose finding codes have their own table) appears in docs/config-errors.md, and each
 * reason code of the public types appears in docs/reasons.md. The codes are read from the source,
 * so a new code without documentation fails here. The code lists (src/policy/codes.ts,
 * src/cli/finding-codes.ts) are checked both ways: what src/ raises is listed, what is listed is
 * raised and documented.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FINDING_CODES } from '../../src/cli/finding-codes.js';
import { CONFIG_ISSUE_CODES, WARNING_CODES } from '../../src/policy/codes.js';
import { ROOT } from '../examples/child.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'cli' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const CODE = `'([a-z]+(?:-[a-z]+)+)'`;
/** `issues.add(path, 'code', ...)` and `{ code: 'code' }` anywhere; in src/policy also the syntax checks'
 * `problem('code', ...)` and `fail('code', ...)` (the WebSocket request parser's `problem()` gives reasons). */
const CONFIG_CODE_PATTERNS = [
  new RegExp(`\\.add\\(\\s*(?:'[^']*'|\`[^\`]*\`|[\\w.]+)\\s*,\\s*${CODE}`, 'g'),
  new RegExp(`\\bcode: ${CODE}`, 'g'),
];
const POLICY_CODE_PATTERN = new RegExp(`\\b(?:problem|fail)\\(\\s*${CODE}`, 'g');

function configCodes(): Set<string> {
  const codes = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const patterns = file.includes(join('src', 'policy'))
      ? [...CONFIG_CODE_PATTERNS, POLICY_CODE_PATTERN]
      : CONFIG_CODE_PATTERNS;
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) codes.add(match[1] ?? '');
  }
  return codes;
}

/** The string literals of the reason-code type aliases. */
function reasonCodes(): Set<string> {
  const codes = new Set<string>();
  const files = ['src/policy/reasons.ts', 'src/websocket/upgrade-types.ts', 'src/websocket/upgrade-request.ts'];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const alias of text.matchAll(/export type (\w*(?:Reason|Problem)) =([^;]+);/g)) {
      for (const literal of (alias[2] ?? '').matchAll(new RegExp(CODE, 'g'))) codes.add(literal[1] ?? '');
    }
  }
  return codes;
}

/** The process warning codes passed to warnOnce() in src/. */
function warningCodes(): Set<string> {
  const codes = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/warnOnce\(\s*'(CORS_SAFETY_[A-Z_]+)'/g)) codes.add(match[1] ?? '');
  }
  return codes;
}

function documented(doc: string, codes: Set<string>): string[] {
  const text = readFileSync(join(ROOT, 'docs', doc), 'utf8');
  return [...codes].filter((code) => !text.includes(`\`${code}\``)).sort();
}

describe('every stable code is documented', () => {
  const config = configCodes();
  const reasons = reasonCodes();
  it(`each of the ${config.size} CorsConfigError codes raised in src/ is in docs/config-errors.md`, () => {
    const codes = config;
    assert.ok(codes.size >= 60, `only ${codes.size} codes found in src/: the patterns no longer match the code`);
    assert.deepEqual(documented('config-errors.md', codes), []);
  });
  it(`each of the ${reasons.size} reason codes is in docs/reasons.md`, () => {
    const codes = reasons;
    assert.ok(codes.size >= 25, `only ${codes.size} reason codes found: the patterns no longer match the types`);
    assert.deepEqual(documented('reasons.md', codes), []);
  });
});

describe('the code lists match the source and the docs', () => {
  it('CONFIG_ISSUE_CODES lists exactly the CorsConfigError codes raised in src/', () => {
    assert.deepEqual(Object.keys(CONFIG_ISSUE_CODES).sort(), [...configCodes()].sort());
  });
  it('each listed CorsConfigError code is in docs/config-errors.md, with a doc line', () => {
    assert.deepEqual(documented('config-errors.md', new Set(Object.keys(CONFIG_ISSUE_CODES))), []);
    for (const [code, doc] of Object.entries(CONFIG_ISSUE_CODES)) assert.ok(doc.length > 5, code);
  });
  it('WARNING_CODES lists exactly the process warning codes emitted in src/, each in docs/config-errors.md', () => {
    const emitted = warningCodes();
    assert.ok(emitted.size >= 5, `only ${emitted.size} warning codes found: the pattern no longer matches the code`);
    assert.deepEqual(Object.keys(WARNING_CODES).sort(), [...emitted].sort());
    assert.deepEqual(documented('config-errors.md', emitted), []);
  });
  it('each doctor finding code is in the table of docs/troubleshooting.md with the same severity', () => {
    const text = readFileSync(join(ROOT, 'docs', 'troubleshooting.md'), 'utf8');
    for (const [code, doc] of Object.entries(FINDING_CODES)) {
      const row = text
        .split('\n')
        .find((line) => line.startsWith('| ') && line.split(' | ')[0]?.includes(`\`${code}\``));
      assert.ok(row !== undefined, `${code} has no row in docs/troubleshooting.md`);
      const severity = row.split(' | ')[1];
      assert.ok(
        doc.startsWith(`${severity ?? '?'}: `),
        `${code}: the table says ${severity ?? '?'}, the list says ${doc}`,
      );
    }
  });
});
