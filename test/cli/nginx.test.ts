/**
 * `cors-safety nginx` as a user runs it (the real CLI in a child process): the two files written
 * where --out says, the same text as createNginxConfig() and the golden files, where each goes
 * printed; refusals and mistakes exit 2 with a message and write nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { formatNginxResult, runNginx } from '../../src/cli/nginx.js';
import { createNginxConfig } from '../../src/index.js';
import { cleanEnv, hasStackTrace, runCli } from './cli-helper.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-cli-nginx-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('cors-safety nginx', () => {
  it('writes both files (golden output) into a new directory and prints where each goes', async () => {
    const out = join(scratch, 'golden', 'nested');
    const result = await runCli(['nginx', '--config', `${FIXTURES}cli-nginx.mjs`, '--out', out], cleanEnv());
    assert.equal(result.code, 0, result.stderr);
    for (const name of ['cors-safety-http.conf', 'cors-safety-server.conf']) {
      assert.equal(readFileSync(join(out, name), 'utf8'), readFileSync(`${FIXTURES}nginx/${name}`, 'utf8'));
    }
    assert.match(
      result.stdout,
      /cors-safety-http\.conf\n {4}include inside http \{ \}:\n {6}include ".*cors-safety-http\.conf";/,
    );
    assert.match(result.stdout, /include inside the server \{ \} that proxies to the app/);
    assert.equal(result.stderr, '');
  });

  it('reads CORS_ALLOWED_ORIGINS when there is no --config, like explain', async () => {
    const out = join(scratch, 'env');
    const env = cleanEnv({ CORS_ALLOWED_ORIGINS: 'https://app.example.com', CORS_CREDENTIALS: 'true' });
    const result = await runCli(['nginx', '-o', out], env);
    assert.equal(result.code, 0, result.stderr);
    const expected = createNginxConfig({ origin: 'https://app.example.com', credentials: true });
    assert.equal(readFileSync(join(out, 'cors-safety-http.conf'), 'utf8'), expected.http);
    assert.match(result.stdout, /generated from environment \(CORS_ALLOWED_ORIGINS="https:\/\/app\.example\.com"/);
  });

  it('refuses an origin function with exit 2, naming the rule and what to do instead, and writes nothing', async () => {
    const out = join(scratch, 'refused');
    const result = await runCli(['nginx', '-c', `${FIXTURES}cli-nginx-function.mjs`, '-o', out], cleanEnv());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /nginx cannot enforce this policy exactly/);
    assert.match(result.stderr, /"function isTenant".*list the origins.*\[nginx-origin-function\]/);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(out), false);
    assert.ok(!hasStackTrace(result.stderr));
  });

  it('reports invalid options with exit 2', async () => {
    const result = await runCli(['nginx', '-c', `${FIXTURES}cli-explain-invalid.json`, '-o', scratch], cleanEnv());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid configuration/);
  });

  it('needs --out', async () => {
    const result = await runCli(['nginx', '-c', `${FIXTURES}cli-nginx.mjs`], cleanEnv());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--out is required/);
  });

  it('keeps control characters from a config out of the terminal', () => {
    const text = formatNginxResult({
      kind: 'unsupported',
      source: 'config file x',
      issues: [{ path: 'origin', code: 'nginx-regexp', message: 'the RegExp /\u001b[31m/ is bad' }],
    });
    assert.ok(!text.includes('\u001b'));
  });

  it('says so when no origin is configured (the development default)', async () => {
    const result = await runNginx(undefined, join(scratch, 'dev'), {});
    assert.match(formatNginxResult(result), /development default \(loopback origins\)/);
  });

  it('says so when the policy allows no cross-origin access', async () => {
    const result = await runNginx(undefined, join(scratch, 'off'), { NODE_ENV: 'production' });
    assert.equal(result.kind, 'written');
    assert.match(formatNginxResult(result), /allows no cross-origin access/);
  });
});
