import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ConfigLoadError, loadConfigFile, runExplain } from '../../src/cli/explain.js';
import { formatExplainText } from '../../src/cli/report.js';
import { cleanEnv, hasStackTrace, runCli } from './cli-helper.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (name: string): string => `${FIXTURES}${name}`;

describe('loadConfigFile', () => {
  it('reads a .json options object', async () => {
    assert.deepEqual(await loadConfigFile(fixture('cli-explain.json')), {
      origin: ['https://app.example.com', 'https://*.preview.example.com'],
      credentials: true,
    });
  });
  it('imports the default export of an .mjs file', async () => {
    assert.deepEqual(await loadConfigFile(fixture('cli-explain.mjs')), {
      origin: ['https://app.example.com'],
      allowedHosts: ['.example.org'],
    });
  });
  it('resolves a relative path against cwd', async () => {
    assert.ok(await loadConfigFile('cli-explain.json', FIXTURES));
  });
  const failures: [file: string, message: RegExp][] = [
    ['missing.json', /cannot read config file .*missing\.json: no such file/],
    ['cli-explain-no-default.mjs', /has no default export/],
    ['cli-explain.yaml', /use a \.json, \.js, \.mjs or \.cjs file/],
  ];
  for (const [file, message] of failures) {
    it(`fails clearly: ${file}`, async () => {
      await assert.rejects(
        loadConfigFile(fixture(file)),
        (err: unknown) => err instanceof ConfigLoadError && message.test(err.message),
      );
    });
  }
});

describe('runExplain', () => {
  it('names the rule that matched', async () => {
    const result = await runExplain('https://pr-7.preview.example.com', fixture('cli-explain.json'));
    assert.equal(result.kind, 'decision');
    if (result.kind !== 'decision') return;
    assert.equal(result.allowed, true);
    assert.equal(result.reason, 'allowed-pattern');
    assert.equal(result.rule, 'https://*.preview.example.com');
    assert.equal(result.policy.credentials, true);
  });

  it('gives the reason code of a denial', async () => {
    const result = await runExplain('https://evil.example', fixture('cli-explain.json'));
    assert.equal(result.kind === 'decision' && result.allowed, false);
    assert.equal(result.kind === 'decision' ? result.reason : '', 'origin-not-allowed');
    const text = formatExplainText(result);
    assert.match(text, /decision: DENIED/);
    assert.match(text, /reason: +origin-not-allowed/);
  });

  it('reads CORS_* from the environment without --config', async () => {
    const env = { CORS_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com' };
    const result = await runExplain('https://b.example.com', undefined, env);
    assert.equal(result.kind === 'decision' && result.allowed, true);
    assert.equal(result.kind === 'decision' ? result.policy.source : '', 'environment');
    assert.match(result.source, /CORS_ALLOWED_ORIGINS="https:\/\/a\.example\.com, https:\/\/b\.example\.com"/);
  });

  it('lists every configuration issue', async () => {
    const result = await runExplain('https://app.example.com', fixture('cli-explain-invalid.json'));
    assert.equal(result.kind, 'config-error');
    if (result.kind !== 'config-error') return;
    assert.deepEqual(result.issues.map((i) => `${i.path}:${i.code}`).sort(), [
      'credential:unknown-option',
      'origin[0]:origin-path',
      'origin[1]:origin-star-in-list',
    ]);
    const text = formatExplainText(result);
    assert.match(text, /INVALID \(3 problems\)/);
    assert.match(text, /did you mean "credentials"\?/);
  });

  it('reports an environment problem as a config error', async () => {
    const result = await runExplain('https://a.example.com', undefined, {
      CORS_ALLOWED_ORIGINS: 'https://a.example.com',
      CORS_CREDENTIALS: 'maybe',
    });
    assert.equal(result.kind, 'config-error');
    assert.deepEqual(result.kind === 'config-error' ? result.issues.map((i) => i.code) : [], ['env-not-boolean']);
  });
});

describe('cors-safety explain (real process)', () => {
  it('allowed by the environment: exit 0', async () => {
    const run = await runCli(
      ['explain', '--origin', 'https://app.example.com'],
      cleanEnv({ CORS_ALLOWED_ORIGINS: 'https://app.example.com' }),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /decision: ALLOWED/);
    assert.match(run.stdout, /rule: +https:\/\/app\.example\.com/);
  });

  it('denied: exit 1, with --json', async () => {
    const run = await runCli(
      ['explain', '--origin', 'https://evil.example', '--config', fixture('cli-explain.mjs'), '--json'],
      cleanEnv(),
    );
    assert.equal(run.code, 1, run.stderr);
    const json = JSON.parse(run.stdout) as { decision: string; reason: string; valid: boolean };
    assert.deepEqual([json.valid, json.decision, json.reason], [true, 'denied', 'origin-not-allowed']);
  });

  it('invalid configuration: exit 2 and every issue printed', async () => {
    const run = await runCli(
      ['explain', '--origin', 'https://app.example.com', '--config', fixture('cli-explain-invalid.json')],
      cleanEnv(),
    );
    assert.equal(run.code, 2);
    for (const code of ['unknown-option', 'origin-path', 'origin-star-in-list'])
      assert.match(run.stdout, new RegExp(`\\[${code}\\]`));
    assert.equal(hasStackTrace(run.stdout + run.stderr), false);
  });

  it('a config file that does not exist: exit 2, one line', async () => {
    const run = await runCli(['explain', '--origin', 'https://a.example', '--config', 'nope.json'], cleanEnv());
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'cors-safety: cannot read config file nope.json: no such file\n');
  });
});
