// `cors-safety explain` names, for a denied origin, the change that would allow it; applying that
// very change to the configuration must make explain say ALLOWED.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ExplainFix } from '../../src/cli/explain-fix.js';
import { runExplain, type ExplainResult } from '../../src/cli/explain.js';
import { cleanEnv, runCli } from './cli-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'cors-safety-explain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function writeConfig(options: Record<string, unknown>): string {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, JSON.stringify(options));
  return file;
}

type Setup = { config: Record<string, unknown> } | { env: Record<string, string> };

function decision(result: ExplainResult): Extract<ExplainResult, { kind: 'decision' }> {
  assert.equal(result.kind, 'decision', JSON.stringify(result));
  return result;
}

async function explain(origin: string, setup: Setup) {
  return 'config' in setup
    ? decision(await runExplain(origin, writeConfig({ env: {}, ...setup.config })))
    : decision(await runExplain(origin, undefined, setup.env));
}

/** Applies a fix to the setup it was given for, as a user following the message would. */
function apply(fix: ExplainFix, setup: Setup): Setup {
  if ('config' in setup) {
    const config = { ...setup.config };
    if (fix.kind === 'add-origin') {
      const current = config.origin;
      config.origin = [...(current === undefined ? [] : Array.isArray(current) ? current : [current]), fix.origin];
    } else if (fix.kind === 'set-option') {
      config[fix.option] = fix.value;
    } else {
      assert.fail(`a config file cannot apply ${fix.kind}`);
    }
    return { config };
  }
  assert.equal(fix.kind, 'set-env');
  assert.ok(fix.kind === 'set-env');
  return { env: { ...setup.env, [fix.name]: fix.value } };
}

const cases: [name: string, origin: string, setup: Setup, kind: ExplainFix['kind'], text: RegExp][] = [
  [
    'an origin missing from the list',
    'https://new.example.com',
    { config: { origin: ['https://app.example.com'], credentials: true } },
    'add-origin',
    /^add "https:\/\/new\.example\.com" to origin in .*config-\d+\.json$/,
  ],
  [
    'a single-string origin',
    'https://b.example.com',
    { config: { origin: 'https://a.example.com' } },
    'add-origin',
    /^add "https:\/\/b\.example\.com" to origin/,
  ],
  [
    'allowedHosts only, over http (allowedHosts admits https except loopback)',
    'http://example.com',
    { config: { allowedHosts: ['example.com'] } },
    'add-origin',
    /^add "http:\/\/example\.com" to origin/,
  ],
  [
    'an app origin',
    'capacitor://localhost',
    { config: { origin: ['https://app.example.com'] } },
    'add-origin',
    /capacitor:\/\/localhost/,
  ],
  [
    'origin: false',
    'https://a.example.com',
    { config: { origin: false } },
    'set-option',
    /origin: \["https:\/\/a\.example\.com"\]/,
  ],
  [
    '"null" without credentials',
    'null',
    { config: { origin: ['https://a.example.com'] } },
    'set-option',
    /allowNullOrigin: true/,
  ],
  [
    'CORS_ALLOWED_ORIGINS',
    'https://c.example.com',
    { env: { CORS_ALLOWED_ORIGINS: 'https://a.example.com,https://b.example.com' } },
    'set-env',
    /^add "https:\/\/c\.example\.com" to CORS_ALLOWED_ORIGINS$/,
  ],
  [
    'the development default',
    'https://app.example.com',
    { env: {} },
    'set-env',
    /set CORS_ALLOWED_ORIGINS="https:\/\/app\.example\.com" \(it replaces the development default/,
  ],
  [
    'the production default',
    'https://app.example.com',
    { env: { NODE_ENV: 'production' } },
    'set-env',
    /set CORS_ALLOWED_ORIGINS="https:\/\/app\.example\.com"/,
  ],
];

describe('explain: the named change allows the denied origin', () => {
  for (const [name, origin, setup, kind, text] of cases) {
    it(name, async () => {
      const before = await explain(origin, setup);
      assert.equal(before.allowed, false);
      const fix = before.fix;
      assert.ok(fix !== undefined);
      assert.equal(fix.kind, kind);
      assert.match(fix.text, text);
      const after = await explain(origin, apply(fix, setup));
      assert.equal(after.allowed, true, `${fix.text} did not allow ${origin}: ${after.reason}`);
      assert.equal(after.fix, undefined);
    });
  }
});

describe('explain: an origin function decides', () => {
  it('the fix is to change the function', async () => {
    const file = join(dir, 'function.mjs');
    writeFileSync(file, "export default { origin: (origin) => origin === 'https://a.example.com', env: {} };\n");
    const result = decision(await runExplain('https://b.example.com', file));
    assert.equal(result.allowed, false);
    assert.deepEqual(result.fix, {
      kind: 'change-function',
      text: 'the origin function answered false: make it return true for "https://b.example.com"',
    });
  });
});

describe('explain: origins no change can allow say so and why', () => {
  const impossible: [origin: string, setup: Setup, text: RegExp][] = [
    [
      'null',
      { config: { origin: ['https://a.example.com'], credentials: true } },
      /cannot be allowed with credentials/,
    ],
    [
      'https://App.Example.com',
      { config: { origin: ['https://a.example.com'] } },
      /sends "https:\/\/app\.example\.com"/,
    ],
    ['https://app.example.com/page', { env: {} }, /sends "https:\/\/app\.example\.com"/],
    ['https://a.com, https://b.com', { env: {} }, /one origin/],
    ['chrome-extension://abc', { env: {} }, /not a serialized origin$/],
  ];
  for (const [origin, setup, text] of impossible) {
    it(origin, async () => {
      const result = await explain(origin, setup);
      assert.equal(result.allowed, false);
      assert.equal(result.fix?.kind, 'impossible');
      assert.match(result.fix?.text ?? '', text);
    });
  }
});

describe('explain: the real CLI prints the fix, and following it exits 0', () => {
  it('denied (exit 1) with "fix:", then allowed (exit 0) once the origin is added', async () => {
    const config = { origin: ['https://app.example.com'], env: {} };
    const file = writeConfig(config);
    const denied = await runCli(['explain', '--origin', 'https://admin.example.com', '--config', file]);
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(denied.stdout, /decision: DENIED/);
    assert.match(denied.stdout, /fix: +add "https:\/\/admin\.example\.com" to origin in /);
    writeFileSync(file, JSON.stringify({ ...config, origin: [...config.origin, 'https://admin.example.com'] }));
    const allowed = await runCli(['explain', '--origin', 'https://admin.example.com', '--config', file, '--json']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { decision: string; fix: unknown }).decision, 'allowed');
  });
});

describe('explain: origins from CORS_ALLOWED_ORIGINS with a config file that sets none (issue #22, case 2)', () => {
  it('says to add the origin to the variable, and following it keeps every origin of the variable', async () => {
    const file = join(dir, 'credentials-only.json');
    writeFileSync(file, JSON.stringify({ credentials: true }));
    const env = cleanEnv({ CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
    const denied = await runCli(['explain', '--origin', 'https://admin.example.com', '--config', file, '--json'], env);
    assert.equal(denied.code, 1, denied.stderr);
    const fix = (JSON.parse(denied.stdout) as { fix: ExplainFix }).fix;
    assert.equal(fix.kind, 'set-env');
    assert.ok(fix.kind === 'set-env');
    assert.match(fix.text, /^add "https:\/\/admin\.example\.com" to CORS_ALLOWED_ORIGINS \(.*sets no origin/);
    const followed = cleanEnv({ [fix.name]: fix.value });
    for (const origin of ['https://admin.example.com', 'https://app.example.com']) {
      const allowed = await runCli(['explain', '--origin', origin, '--config', file], followed);
      assert.equal(allowed.code, 0, `${origin}: ${allowed.stdout}`);
    }
    // What the old advice did: an origin written into the file replaces the variable's origins.
    writeFileSync(file, JSON.stringify({ credentials: true, origin: ['https://admin.example.com'] }));
    const dropped = await runCli(['explain', '--origin', 'https://app.example.com', '--config', file], env);
    assert.equal(dropped.code, 1);
  });
});
