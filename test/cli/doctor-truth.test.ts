/**
 * Issue #22: every verdict right and every printed fix working, against real servers. Cases 1, 6,
 * 7, 8 and 10 (3, 4 and 5 need nginx: doctor-nginx.test.ts; 2 is explain: explain-fix.test.ts;
 * 9 is preflightCheck: cors-check.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import express from 'express';
import { corsErrorHandler, corsSafety, createCorsPolicy, type CorsSafetyOptions } from '../../src/index.js';
import type { DoctorOptions } from '../../src/cli/doctor.js';
import { runDoctor } from '../../src/cli/doctor.js';
import { ProbeError, type Transport } from '../../src/cli/probe.js';
import { formatDoctorText } from '../../src/cli/report.js';
import { run } from '../../src/cli/run.js';
import { startSocketIo } from '../helpers/socketio.js';
import { listen, type Running } from '../helpers/listen.js';
import { findingCodes, type DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN } from './servers.js';

const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-doctor-truth-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function doctor(args: readonly string[]): Promise<{ code: number; json: DoctorJson; text: string }> {
  let stdout = '';
  const code = await run(['doctor', '--json', '--timeout', '5000', ...args], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
  });
  let text = '';
  await run(['doctor', '--timeout', '5000', ...args], { stdout: (t) => (text += t), stderr: () => undefined });
  return { code, json: JSON.parse(stdout) as DoctorJson, text };
}

/** corsSafety() first, authentication after it, corsErrorHandler() last: the README's setup. */
function protectedApi(options: CorsSafetyOptions): Promise<Running> {
  const policy = createCorsPolicy({ credentials: true, env: {}, ...options });
  const app = express();
  app.use(corsSafety(policy));
  app.use((req, _res, next) => {
    if (req.headers.authorization === 'Bearer good') next();
    else next(Object.assign(new Error('Unauthorized'), { status: 401, expose: true }));
  });
  app.get('/api/me', (_req, res) => {
    res.json({ user: 'ada' });
  });
  app.use(corsErrorHandler(policy));
  return listen(http.createServer(app));
}

describe('the doctor tells the truth (issue #22)', () => {
  it('case 1: a refused origin on a 401 reads Cors-Safety-Reason, and its fix (allow the origin) works', async () => {
    const other = 'http://127.0.0.1:4200';
    const before = await protectedApi({ origin: [PAGE_ORIGIN] });
    try {
      const { json } = await doctor([`${before.url}/api/me`, '--origin', other, '--credentials']);
      assert.deepEqual(findingCodes(json), ['no-allow-origin:policy-denied']);
      const finding = json.findings[0];
      assert.match(finding?.cause ?? '', /Cors-Safety-Reason: origin-not-allowed.*the 401 itself is not the cause/);
      assert.doesNotMatch(finding?.fix ?? '', /mount corsSafety\(\) first/);
      assert.match(finding?.fix ?? '', new RegExp(`Allow ${other}.*cors-safety explain --origin ${other}`));
    } finally {
      await before.close();
    }
    const fixed = await protectedApi({ origin: [PAGE_ORIGIN, other] });
    try {
      const { json, code } = await doctor([`${fixed.url}/api/me`, '--origin', other, '--credentials']);
      assert.equal(json.verdict, 'allowed');
      assert.equal(code, 0);
      assert.deepEqual(findingCodes(json), ['error-status-readable:401']);
    } finally {
      await fixed.close();
    }
  });

  it('case 6: a readable 401 says the page can read it and the failure is authentication, not CORS', async () => {
    const api = await protectedApi({ origin: [PAGE_ORIGIN] });
    try {
      const { json, text } = await doctor([`${api.url}/api/me`, '--origin', PAGE_ORIGIN, '--credentials']);
      assert.equal(json.verdict, 'allowed');
      const finding = json.findings.find((f) => f.code === 'error-status-readable');
      assert.match(finding?.cause ?? '', /the page can read it.*authentication, not CORS/);
      assert.match(text, /Verdict: ALLOWED .* the page can read the 401: the failure is not CORS/);
      // Following the fix: send the credentials the server expects.
      const authed = await doctor([
        `${api.url}/api/me`,
        '--origin',
        PAGE_ORIGIN,
        '--credentials',
        '-H',
        'Authorization: Bearer good',
      ]);
      assert.deepEqual(findingCodes(authed.json), []);
    } finally {
      await api.close();
    }
  });

  it('case 6: a certain blocker (mixed content) ends as BLOCKED, not PROBE FAILED, when the network then fails', async () => {
    const unreachable: Transport = {
      request: () => Promise.reject(new ProbeError('ENOTFOUND', 'cannot reach http://api.example.com/: DNS')),
      upgrade: () => Promise.reject(new ProbeError('ENOTFOUND', 'cannot reach http://api.example.com/: DNS')),
    };
    const options: DoctorOptions = {
      url: new URL('http://api.example.com/v1'),
      origin: 'https://app.example.com',
      method: 'GET',
      headers: [],
      credentials: 'same-origin',
      ws: false,
      timeoutMs: 1000,
    };
    const result = await runDoctor(options, unreachable);
    assert.equal(result.verdict, 'blocked');
    assert.equal(result.findings[0]?.code, 'mixed-content');
    assert.match(formatDoctorText(result), /Verdict: BLOCKED/);
    let stdout = '';
    const code = await run(['doctor', 'http://api.example.invalid/v1', '--origin', 'https://app.example.com'], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
    });
    assert.equal(code, 1, stdout);
  });

  it('case 3: an unanswered foreign-origin check does not turn an answered request into PROBE FAILED', async () => {
    let calls = 0;
    const flaky: Transport = {
      request: () =>
        ++calls === 1
          ? Promise.resolve({ status: 200, statusText: 'OK', headers: [['Access-Control-Allow-Origin', PAGE_ORIGIN]] })
          : Promise.reject(new ProbeError('ECONNRESET', 'cannot reach http://127.0.0.1:1/: closed')),
      upgrade: () => Promise.reject(new ProbeError('EPROBE', 'unused')),
    };
    const result = await runDoctor(
      {
        url: new URL('http://127.0.0.1:1/api'),
        origin: PAGE_ORIGIN,
        method: 'GET',
        headers: [],
        credentials: 'same-origin',
        ws: false,
        timeoutMs: 1000,
      },
      flaky,
    );
    assert.equal(result.verdict, 'allowed');
    assert.equal(result.steps.at(-1)?.name, 'foreign-origin');
    assert.match(result.steps.at(-1)?.error ?? '', /closed/);
  });

  it('case 7: --socketio -H sends extraHeaders and probes their preflight; allowing the header fixes it', async (t) => {
    const strict = createCorsPolicy({ origin: PAGE_ORIGIN, allowedHosts: ['127.0.0.1:*'], env: {} });
    const before = await startSocketIo(t, strict);
    const refused = await doctor(['--socketio', before.url, '--origin', PAGE_ORIGIN, '-H', 'X-Tenant: acme']);
    assert.equal(refused.json.verdict, 'blocked');
    assert.deepEqual(refused.json.steps[0]?.name, 'preflight');
    const finding = refused.json.findings.find((f) => f.code === 'header-not-allowed');
    assert.match(finding?.fix ?? '', /extraHeaders.*allowedHeaders/);

    const allowing = createCorsPolicy({
      origin: PAGE_ORIGIN,
      allowedHosts: ['127.0.0.1:*'],
      allowedHeaders: ['X-Tenant'],
      env: {},
    });
    const fixed = await startSocketIo(t, allowing);
    const ok = await doctor(['--socketio', fixed.url, '--origin', PAGE_ORIGIN, '-H', 'X-Tenant: acme']);
    assert.deepEqual(findingCodes(ok.json), []);
    assert.equal(ok.code, 0);
    assert.equal(ok.json.steps[1]?.name, 'socketio-polling');
  });

  it('case 8: --resolve reaches a virtual host by address; --data-file sends a body; --cookie a cookie, never printed', async () => {
    const seen: { host?: string | undefined; length: number; cookie?: string | undefined }[] = [];
    const vhost = await listen(
      http.createServer((req, res) => {
        let length = 0;
        req.on('data', (chunk: Buffer) => (length += chunk.length));
        req.on('end', () => {
          seen.push({ host: req.headers.host, length, cookie: req.headers.cookie });
          const known = req.headers.host?.startsWith('staging.example.test:') === true;
          res.statusCode = !known ? 421 : length > 1024 ? 413 : 200;
          if (req.headers.origin === PAGE_ORIGIN) {
            res.setHeader('Access-Control-Allow-Origin', PAGE_ORIGIN);
            res.setHeader('Access-Control-Allow-Credentials', 'true');
            res.setHeader('Vary', 'Origin');
          }
          res.end();
        });
      }),
    );
    try {
      const file = join(scratch, 'big.json');
      writeFileSync(file, 'x'.repeat(4096));
      const url = `http://staging.example.test:${vhost.port}/upload`;
      const { json, text } = await doctor([
        url,
        '--origin',
        PAGE_ORIGIN,
        '--resolve',
        `staging.example.test:${vhost.port}:127.0.0.1`,
        '--data-file',
        file,
        '--cookie',
        'session=s3cr3t-value',
      ]);
      assert.equal(seen[0]?.host, `staging.example.test:${vhost.port}`);
      assert.equal(seen.find((s) => s.length > 0)?.length, 4096);
      assert.equal(seen.find((s) => s.cookie !== undefined)?.cookie, 'session=s3cr3t-value');
      assert.equal(json.steps[0]?.name, 'actual', 'a text/plain body is a simple request: no preflight');
      assert.equal(json.steps.find((s) => s.name === 'actual')?.response?.status, 413);
      // The page and the vhost are different sites, so a SameSite=Lax session cookie would stay behind.
      assert.deepEqual(findingCodes(json), ['cookies-cross-site:sites', 'error-status-readable:413']);
      assert.doesNotMatch(`${text}${JSON.stringify(json)}`, /s3cr3t/);
    } finally {
      await vhost.close();
    }
  });

  it('case 10: a public page calling loopback gets the Local Network Access finding with a client-side fix', async () => {
    const api = await protectedApi({ origin: ['https://app.example.com'] });
    try {
      const { json } = await doctor([
        `${api.url}/api/me`,
        '--origin',
        'https://app.example.com',
        '-H',
        'Authorization: Bearer good',
      ]);
      const finding = json.findings.find((f) => f.code === 'local-network-access');
      assert.equal(finding?.detail, 'public-to-loopback');
      assert.match(finding?.fix ?? '', /on the client side/);
      assert.match(finding?.cause ?? '', /no server header \(allowPrivateNetwork included\)/);
      // A page on loopback itself (the fix "same address space") draws no such finding.
      const local = await doctor([`${api.url}/api/me`, '--origin', PAGE_ORIGIN]);
      assert.equal(
        local.json.findings.some((f) => f.code === 'local-network-access'),
        false,
      );
    } finally {
      await api.close();
    }
  });
});
