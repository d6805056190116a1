/**
 * `cors-safety explain --observed FILE`: a file recorded from a real server (corsSafety() and the
 * WebSocket guard writing onDecision events as NDJSON, under a permissive origin function) yields a
 * proposal that, replayed over the same events with createCorsPolicy(), allows every origin seen
 * allowed and refuses every origin seen refused; `*.` patterns appear only where no refused origin
 * falls under them, development origins apart; unreadable lines and hostile text are skipped.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { corsSafety, createCorsPolicy, createOriginValidator, type CorsSafetyOptions } from '../../src/index.js';
import type { ObservedProposal } from '../../src/cli/observed-policy.js';
import { run } from '../../src/cli/run.js';
import { listen } from '../helpers/frameworks.js';
import { call } from '../helpers/middleware-http.js';
import { startGuard, wsOutcome } from '../helpers/upgrade-harness.js';
import http from 'node:http';

const dir = mkdtempSync(join(tmpdir(), 'cors-observed-'));
const file = join(dir, 'decisions.ndjson');
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the permissive policy in production allowed (and the two it refused). */
const REFUSED = ['https://evil.staging.example.com', 'https://shop.other.co.uk'];
const ALLOWED: [string, number][] = [
  ['https://app.example.com', 3],
  ['https://example.com', 1],
  ['https://pr-1.preview.example.com', 2],
  ['https://pr-2.preview.example.com', 1],
  ['https://pr-3.preview.example.com', 1],
  ['https://a.staging.example.com', 1],
  ['https://b.staging.example.com', 1],
  ['https://c.staging.example.com', 1],
  ['https://partner.example.org', 2],
  ['http://localhost:5173', 2],
  ['http://127.0.0.1:8080', 1],
];

const permissive: CorsSafetyOptions = {
  env: {},
  origin: (origin: string) => !REFUSED.includes(origin),
  onDecision: (event) => appendFileSync(file, `${JSON.stringify(event)}\n`),
};

async function runText(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('explain --observed', () => {
  before(async () => {
    const cors = corsSafety(permissive);
    const running = await listen(http.createServer((req, res) => cors(req, res, () => res.end('ok'))));
    try {
      for (const [origin, times] of ALLOWED)
        for (let i = 0; i < times; i++) await call(`${running.url}/api?i=${i}`, { origin });
      for (const origin of REFUSED) await call(`${running.url}/api`, { origin });
      await call(`${running.url}/api`); // no Origin
      await call(`${running.url}/api`, { origin: 'https://bad.example/path' }); // malformed: origin null
    } finally {
      await running.close();
    }
    // Lines that are not events, and an event whose origin is not a serialized origin.
    appendFileSync(file, 'not json\n{"outcome":"allowed","origin":"https://*.evil.example"}\n[1,2]\n\n');
    appendFileSync(file, `${JSON.stringify({ outcome: 'allowed', origin: 'https://x.example\u001b[31m' })}\n`);
  });

  test('the recorded WebSocket handshakes count as well', async (t) => {
    const guard = await startGuard(t, permissive);
    assert.equal((await wsOutcome(guard.url, { origin: 'https://app.example.com' })).kind, 'open');
    assert.match(readFileSync(file, 'utf8'), /"transport":"websocket"/);
  });

  test('the proposal, replayed over the same events, allows what was allowed and refuses the rest', async () => {
    const { code, stdout, stderr } = await runText(['explain', '--observed', file, '--json']);
    assert.equal(code, 0, stderr);
    const proposal = JSON.parse(stdout) as ObservedProposal;
    const validator = createOriginValidator(createCorsPolicy({ ...proposal.config, env: {} }));
    let replayed = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      let event: { outcome?: unknown; origin?: unknown };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue;
      }
      if (typeof event.origin !== 'string' || (event.outcome !== 'allowed' && event.outcome !== 'denied')) continue;
      if (event.origin.includes('*') || event.origin.includes('\u001b')) continue;
      const verdict = await validator.check(event.origin);
      assert.equal(verdict.allowed, event.outcome === 'allowed', `${event.origin} was ${String(event.outcome)}`);
      replayed++;
    }
    assert.ok(replayed >= 18, `only ${replayed} events replayed`);

    // Patterns only where safe: *.preview (3 hosts, none refused); not *.staging (a refused host under it).
    const entries = Object.fromEntries(proposal.production.map((e) => [e.entry, e]));
    assert.deepEqual(entries['https://*.preview.example.com']?.origins, [
      'https://pr-1.preview.example.com',
      'https://pr-2.preview.example.com',
      'https://pr-3.preview.example.com',
    ]);
    assert.equal(entries['https://*.preview.example.com']?.requests, 4);
    assert.equal(entries['https://*.staging.example.com'], undefined);
    assert.equal(entries['https://a.staging.example.com']?.kind, 'exact');
    assert.equal(entries['https://app.example.com']?.site, 'example.com');
    assert.equal(entries['https://partner.example.org']?.requests, 2);
    assert.deepEqual(
      proposal.development.map((e) => e.entry),
      ['http://127.0.0.1:*', 'http://localhost:*'],
    );
    assert.deepEqual(
      proposal.refused.map((r) => r.origin),
      REFUSED,
    );
    assert.equal(proposal.observations.invalid, 2); // "not json" and [1,2]
    assert.ok(!stdout.includes('\u001b') && !stdout.includes('*.evil.example'));
  });

  test('the text output is a configuration file createCorsPolicy() accepts, development apart in production', async () => {
    const { code, stdout } = await runText(['explain', '--observed', file]);
    assert.equal(code, 0);
    assert.match(stdout, /"https:\/\/\*\.preview\.example\.com", \/\/ example\.com: 4 requests, 3 origins/);
    const config = join(dir, 'proposed.mjs');
    writeFileSync(config, stdout);
    const previous = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      const production = (await import(`${pathToFileURL(config).href}?production`)) as { default: CorsSafetyOptions };
      delete process.env.NODE_ENV;
      const development = (await import(`${pathToFileURL(config).href}?development`)) as { default: CorsSafetyOptions };
      const prod = createOriginValidator(createCorsPolicy({ ...production.default, env: {} }));
      const dev = createOriginValidator(createCorsPolicy({ ...development.default, env: {} }));
      assert.equal((await prod.check('http://localhost:5173')).allowed, false);
      assert.equal((await dev.check('http://localhost:5173')).allowed, true);
      assert.equal((await prod.check('https://pr-1.preview.example.com')).allowed, true);
    } finally {
      if (previous === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = previous;
    }
  });

  test('usage and unreadable files fail with exit code 2 and one line', async () => {
    const missing = await runText(['explain', '--observed', join(dir, 'missing.ndjson')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*missing\.ndjson.*ENOENT/);
    const both = await runText(['explain', '--observed', file, '--origin', 'https://a.example']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /without --origin/);
  });
});
