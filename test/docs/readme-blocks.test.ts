/**
 * The README, examples/README.md and docs/*.md run as written, and their relative links resolve.
 *
 * Every fenced code block in README.md and docs/*.md is one of:
 * - ```js: a complete program. It is written to a temporary file inside the repository (so
 *   `import ... from 'cors-safety'` resolves through the package's self-reference to dist/, as
 *   for examples/) and run with `node`, with `PORT=0` and no CORS_* / NODE_ENV / DEBUG from the
 *   developer's shell.
 * - ```ts: a complete TypeScript program, type-checked (strict, module nodenext) with the
 *   project's TypeScript, not run.
 * - ```js fragment / ```ts fragment: part of a program; not run.
 * - any other language (sh, text, json, nginx, ...): not code to run. A bare ``` fence, or
 *   ```javascript, ```mjs, ```typescript and the like, is refused: say which kind it is.
 *
 * The convention a complete js block follows, so that what it claims is checked:
 * - A server listens on `process.env.PORT ?? 3000` and prints `listening on http://localhost:<port>`.
 *   It says how to try it in comments the test carries out, with the real port put in place of
 *   3000 (in the URL and the Origin alike):
 *     // curl -i -H 'Origin: https://app.example.com' http://localhost:3000/api/me   # allowed
 *     // curl -i -H 'Origin: https://evil.example' http://localhost:3000/api/me      # denied
 *     // wscat -c ws://localhost:3000/ws -o http://localhost:3000                    # allowed
 *   `# allowed` means the answer carries `Access-Control-Allow-Origin: <that origin>` (or `*` from a
 *   public policy; for wscat:
 *   the handshake opens); `# denied` means no `Access-Control-Allow-Origin` (for wscat: refused
 *   with 403). A status may precede it: `# 500 allowed`, and for wscat it replaces 101/403
 *   (`# 400 denied`: engine.io refuses upgrades with 400). curl understands -i, -H and -X.
 * - A program that prints ends by itself with exit code 0, and each `// -> text` comment is a
 *   line it must print, in that order.
 * - Every complete js block has at least one such claim; a block that claims nothing is refused.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ROOT, assertBuilt, killAll, request, startProgram } from '../examples/child.js';

/** The files checked; README_BLOCKS_ROOT points the test at another copy (to try an old README). */
const DOCS_ROOT = process.env.README_BLOCKS_ROOT ?? ROOT;
const FILES = [
  'README.md',
  'examples/README.md',
  ...(existsSync(join(DOCS_ROOT, 'docs'))
    ? readdirSync(join(DOCS_ROOT, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : []),
];

interface Block {
  readonly file: string;
  readonly line: number;
  readonly info: string;
  readonly code: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

function readBlocks(file: string): Block[] {
  const lines = readFileSync(join(DOCS_ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const marker = open[1] ?? '```';
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const close = FENCE.exec(line);
      if (close !== null && (close[1] ?? '').startsWith(marker) && (close[2] ?? '').trim() === '') break;
      body.push(line);
    }
    blocks.push({ file, line: start + 1, info: (open[2] ?? '').trim(), code: body.join('\n') + '\n' });
  }
  return blocks;
}

const ALL_BLOCKS = FILES.flatMap(readBlocks);
const where = (block: Block): string => `${block.file}:${block.line}`;
const JS_LIKE = /^(js|javascript|mjs|cjs|jsx|node|ts|typescript|mts|cts|tsx)\b/i;

// ---------------------------------------------------------------------------------------------
// Fences
// ---------------------------------------------------------------------------------------------

describe('every code block says what it is', () => {
  it('found the README and its blocks', () => {
    assert.ok(ALL_BLOCKS.length > 0, 'no code blocks found');
  });
  it('is ```js / ```ts (complete) or ```js fragment / ```ts fragment, or another language', () => {
    const wrong = ALL_BLOCKS.filter(
      (block) => block.info === '' || (JS_LIKE.test(block.info) && !/^(js|ts)( fragment)?$/.test(block.info)),
    ).map((block) => `${where(block)}: \`\`\`${block.info}`);
    assert.deepEqual(
      wrong,
      [],
      'write ```js or ```ts for complete programs, add " fragment" otherwise, or name the language',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Complete js blocks
// ---------------------------------------------------------------------------------------------

interface Claim {
  readonly tool: 'curl' | 'wscat';
  readonly url: string;
  readonly origin: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly expect: 'allowed' | 'denied';
  readonly status?: number;
  readonly text: string;
}

/** Splits a shell command line: whitespace-separated words, single or double quotes. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

function parseClaim(text: string, block: Block): Claim {
  const hash = text.lastIndexOf('#');
  const expectation = /^#\s*(?:(\d{3})\s+)?(allowed|denied)\s*$/.exec(hash === -1 ? '' : text.slice(hash));
  assert.ok(expectation !== null, `${where(block)}: "${text}" must end with "# allowed" or "# denied"`);
  const words = shellWords(text.slice(0, hash));
  const tool = words.shift();
  const headers: Record<string, string> = {};
  let method = 'GET';
  let url = '';
  let origin = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-i') continue;
    if (word === '-H') {
      const header = words[++i] ?? '';
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (word === '-X') method = words[++i] ?? '';
    else if (word === '-o') origin = words[++i] ?? '';
    else if (word === '-c') url = words[++i] ?? '';
    else if (!word.startsWith('-') && url === '') url = word;
    else assert.fail(`${where(block)}: "${word}" in "${text}" is not understood by the test`);
  }
  if (tool === 'curl') origin = headers.Origin ?? '';
  assert.ok(tool === 'curl' || tool === 'wscat', `${where(block)}: unknown tool in "${text}"`);
  assert.ok(
    /^(http|ws):\/\/localhost:3000\//.test(url),
    `${where(block)}: "${text}" must call http://localhost:3000/...`,
  );
  return {
    tool,
    url,
    origin,
    method,
    headers,
    expect: expectation[2] as 'allowed' | 'denied',
    ...(expectation[1] === undefined ? {} : { status: Number(expectation[1]) }),
    text,
  };
}

function claimsOf(block: Block): { claims: Claim[]; prints: string[] } {
  const claims: Claim[] = [];
  const prints: string[] = [];
  for (const line of block.code.split('\n')) {
    const command = /^\s*\/\/\s*((?:curl|wscat)\s.*)$/.exec(line);
    if (command !== null) claims.push(parseClaim(command[1] ?? '', block));
    const printed = /\/\/ -> (.*)$/.exec(line);
    if (printed !== null) prints.push((printed[1] ?? '').trim());
  }
  return { claims, prints };
}

/** `http://localhost:3000/x` with the real port, and the address to connect to. */
function withPort(text: string, port: number): string {
  return text.replaceAll('localhost:3000', `localhost:${port}`);
}

function openSocket(url: string, origin: string, host: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const socket = new WebSocket(url, { origin, headers: { Host: host }, handshakeTimeout: 10_000 });
    socket.once('open', () => {
      socket.terminate();
      resolvePromise(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      resolvePromise(res.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

async function checkClaim(claim: Claim, port: number, block: Block): Promise<void> {
  const url = withPort(claim.url, port);
  const connectTo = url.replace('//localhost:', '//127.0.0.1:');
  const host = `localhost:${port}`;
  const origin = withPort(claim.origin, port);
  const label = `${where(block)}: ${claim.text}`;
  if (claim.tool === 'wscat') {
    const status = await openSocket(connectTo, origin, host);
    const expected = claim.status ?? (claim.expect === 'allowed' ? 101 : 403);
    assert.equal(status, expected, `${label}: handshake answered ${status}`);
    return;
  }
  const headers: Record<string, string> = { Host: host };
  for (const [name, value] of Object.entries(claim.headers)) headers[name] = withPort(value, port);
  const res = await request(connectTo, { method: claim.method, headers });
  if (claim.status !== undefined) assert.equal(res.status, claim.status, `${label}: status ${res.status} ${res.body}`);
  const granted = res.headers['access-control-allow-origin'];
  // A public policy grants with `*`; any other grant must name the origin itself.
  if (claim.expect === 'allowed')
    assert.ok(
      granted === origin || granted === '*',
      `${label}: granted ${String(granted)} on ${res.status} ${res.body}`,
    );
  else assert.equal(granted, undefined, `${label}: granted ${String(granted)}`);
}

/** Runs `node file` to its end; resolves with its exit code and output. */
function runToEnd(file: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  for (const name of ['CORS_ALLOWED_ORIGINS', 'CORS_ALLOWED_HOSTS', 'CORS_CREDENTIALS', 'NODE_ENV', 'DEBUG']) {
    delete env[name];
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

let scratch = '';
before(() => {
  assertBuilt(['corsSafety', 'createCorsPolicy']);
  // Inside the repository, so that 'cors-safety' resolves to this package (self-reference).
  scratch = mkdtempSync(join(ROOT, '.readme-blocks-'));
});
after(() => {
  killAll();
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

const jsBlocks = ALL_BLOCKS.filter((block) => block.info === 'js');

describe('complete js blocks run as written', () => {
  it('there are complete js blocks to run', () => {
    assert.ok(jsBlocks.length > 0);
  });
  for (const [index, block] of jsBlocks.entries()) {
    const { claims, prints } = claimsOf(block);
    it(`${where(block)} (${claims.length > 0 ? `server, ${claims.length} requests` : `prints ${prints.length} lines`})`, async () => {
      const file = join(scratch, `block-${index}.mjs`);
      writeFileSync(file, block.code);
      if (claims.length > 0) {
        const program = await startProgram(file, {}, /listening on (http:\/\/localhost:(\d+))/);
        try {
          for (const claim of claims) await checkClaim(claim, program.port, block);
        } finally {
          await program.stop();
        }
        return;
      }
      const { code, output } = await runToEnd(file);
      assert.equal(code, 0, `${where(block)} exited with ${code}:\n${output}`);
      let from = 0;
      for (const expected of prints) {
        const at = output.indexOf(expected, from);
        assert.ok(at !== -1, `${where(block)} did not print "${expected}" (in order); it printed:\n${output}`);
        from = at + expected.length;
      }
      assert.ok(
        prints.length > 0,
        `${where(block)} claims nothing: add "// curl ... # allowed" for a server or "// -> output" for a program that prints`,
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Complete ts blocks
// ---------------------------------------------------------------------------------------------

const tsBlocks = ALL_BLOCKS.filter((block) => block.info === 'ts');

describe('complete ts blocks type-check', { skip: tsBlocks.length === 0 ? 'no ts blocks' : false }, () => {
  it(`${tsBlocks.length} blocks pass tsc --strict (module nodenext)`, () => {
    const dir = join(scratch, 'ts');
    execFileSync('mkdir', ['-p', dir]);
    const files = tsBlocks.map((block, index) => {
      const name = `block-${index}.mts`;
      writeFileSync(join(dir, name), block.code);
      return name;
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          skipLibCheck: true,
        },
        files,
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
    } catch (err) {
      const out = String((err as { stdout?: unknown }).stdout ?? err);
      const named = out.replace(/block-(\d+)\.mts\((\d+)/g, (_all, i: string, line: string) => {
        const block = tsBlocks[Number(i)];
        return block === undefined ? _all : `${block.file}:${block.line + Number(line)}`;
      });
      assert.fail(`ts blocks do not type-check:\n${named}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 for repeats. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

describe('relative links point at files and headings that exist', () => {
  for (const file of FILES) {
    it(file, () => {
      const text = readFileSync(join(DOCS_ROOT, file), 'utf8').replace(/^ {0,3}(`{3,})[\s\S]*?^ {0,3}\1\s*$/gm, '');
      const broken: string[] = [];
      for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? join(DOCS_ROOT, file) : resolve(dirname(join(DOCS_ROOT, file)), path);
        if (!existsSync(resolved)) {
          broken.push(`${target} (no ${relative(DOCS_ROOT, resolved)})`);
          continue;
        }
        if (anchor !== undefined && anchor !== '') {
          if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
            broken.push(`${target} (anchor on a non-markdown file)`);
          else if (!anchorsOf(resolved).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
        }
      }
      assert.deepEqual(broken, [], `${file} has broken links`);
    });
  }
});
