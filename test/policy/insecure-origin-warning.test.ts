// With credentials on, plain-http origins on other machines are warned about once at
// construction (CORS_SAFETY_INSECURE_ORIGIN), naming the entries; loopback hosts stay quiet.
// The process warning is once per process, so every construction is also read from the debug
// log, where warnOnce() writes each time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCorsPolicy, type CorsSafetyOptions } from '../../src/index.js';
import { INSECURE_ORIGIN_CODE as CODE, insecureLines } from '../helpers/insecure-lines.js';

describe('CORS_SAFETY_INSECURE_ORIGIN', () => {
  test('the review input: http://*.example.com with credentials warns once, naming the entry', async () => {
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      // Loopback first: it must not use up the once-per-process warning.
      createCorsPolicy({ origin: ['http://localhost:3000', 'http://127.0.0.1:*'], credentials: true, env: {} });
      createCorsPolicy({ origin: ['https://app.example.com', 'http://*.example.com'], credentials: true, env: {} });
      createCorsPolicy({ origin: 'http://other.example', credentials: true, env: {} });
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => w.code === CODE);
      assert.equal(ours.length, 1);
      assert.match(ours[0]?.message ?? '', /"http:\/\/\*\.example\.com"/);
      assert.doesNotMatch(ours[0]?.message ?? '', /https:\/\/app\.example\.com/);
      assert.match(ours[0]?.message ?? '', /serve them over https/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('every kind of plain-http entry is named: exact, any port, wildcard, RegExp, environment', () => {
    const cases: [CorsSafetyOptions, string][] = [
      [{ origin: 'http://app.example.com', credentials: true }, '"http://app.example.com"'],
      [{ origin: 'http://app.example.com:*', credentials: true }, '"http://app.example.com:*"'],
      [{ origin: 'http://*.example.com:8080', credentials: true }, '"http://*.example.com:8080"'],
      [{ origin: 'http://10.0.0.5:3000', credentials: true }, '"http://10.0.0.5:3000"'],
      [{ origin: /^http:\/\/app\.example\.com$/, credentials: true }, 'app\\\\.example'],
      [{ origin: /^https?:\/\/app\.example\.com$/, credentials: true }, 'https?'],
      [{ origin: /^http:\/\/localhost\.evil\.com$/, credentials: true }, 'localhost'],
      [{ env: { CORS_ALLOWED_ORIGINS: 'http://intranet.example', CORS_CREDENTIALS: 'true' } }, 'intranet'],
    ];
    for (const [options, named] of cases) {
      const lines = insecureLines(options);
      assert.equal(
        lines.length,
        1,
        JSON.stringify(options, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v)),
      );
      assert.ok(lines[0]?.includes(named), `${lines[0] ?? ''} should name ${named}`);
    }
  });

  test('quiet: loopback over http, https, or no credentials', () => {
    const quiet: CorsSafetyOptions[] = [
      { origin: ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'], credentials: true },
      { origin: ['http://*.localhost', 'http://app.localhost:3000', 'http://127.0.0.2:8080'], credentials: true },
      { origin: /^http:\/\/localhost(:\d+)?$/, credentials: true },
      { origin: /^https?:\/\/127\.0\.0\.1:\d+$/, credentials: true },
      { origin: ['https://app.example.com', 'https://*.example.com'], credentials: true },
      { allowedHosts: ['.example.com', 'localhost:*'], credentials: true },
      { origin: ['http://app.example.com', 'http://*.example.com'], credentials: false },
      {},
    ];
    for (const options of quiet) assert.deepEqual(insecureLines(options), [], JSON.stringify(options));
  });
});
