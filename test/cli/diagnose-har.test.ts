/**
 * `cors-safety doctor --har`: a HAR made by real Chromium (scripts/capture-diagnostics.ts builds it
 * from DevTools protocol Network events the way DevTools' exporter does, against a local server
 * with one failure per route), named with the live probe's codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeHar, HarFormatError } from '../../src/cli/har-input.js';
import { run } from '../../src/cli/run.js';
import { duplicateHeaderServer, PAGE_ORIGIN } from './servers.js';

const HAR = new URL('../fixtures/diagnose/chromium.har', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-har-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface HarDoc {
  log: { entries: { request: { url: string; headers: { name: string; value: string }[] }; response: unknown }[] };
}

function load(): HarDoc {
  return JSON.parse(readFileSync(HAR, 'utf8')) as HarDoc;
}

async function doctorHar(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['doctor', ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('doctor --har', () => {
  it("names every failure of Chromium's HAR, who answered, and what the HAR cannot tell", () => {
    const result = analyzeHar(load());
    assert.deepEqual(result.unsanitized, []);
    const lines = result.diagnoses.map(
      (d) =>
        `${d.method} ${new URL(d.url).pathname} ${d.findings.map((f) => `${f.code}:${f.detail ?? ''}`).join(',')}` +
        (d.cannotTell === undefined ? '' : ` | ${d.cannotTell.slice(0, 40)}`),
    );
    assert.deepEqual(lines, [
      'GET /error-401 no-allow-origin:error-status',
      'GET /nginx-502 no-allow-origin:proxy-error',
      'GET /duplicate allow-origin-duplicated:identical',
      'GET /mismatch allow-origin-mismatch:localhost-alias',
      'GET /wildcard-credentials wildcard-with-credentials:',
      'GET /no-credentials credentials-not-allowed:missing',
      'PUT /preflight-401  | not sent: its preflight (entry 10) faile',
      'OPTIONS /preflight-401 preflight-status:auth',
      'DELETE /preflight-redirect  | not sent: its preflight (entry 12) faile',
      'OPTIONS /preflight-redirect preflight-redirect:',
      'OPTIONS /method method-not-allowed:not-listed',
      'PATCH /method  | not sent: its preflight (entry 13) faile',
      'GET /header  | not sent: its preflight (entry 16) faile',
      'OPTIONS /header header-not-allowed:not-listed',
      'GET /list allow-origin-list:',
      'GET /ws ws-refused:origin-or-auth',
    ]);
    assert.equal(result.diagnoses[1]?.answeredBy, 'nginx');
  });

  it('a request with no response and no preflight in the HAR: says it cannot tell, and why', () => {
    const doc = load();
    // Keep only the PUT whose preflight came from the cache, as the HAR then shows it.
    doc.log.entries = doc.log.entries.filter((e) => e.request.url.endsWith('/preflight-401')).slice(0, 1);
    const [only] = analyzeHar(doc).diagnoses;
    assert.match(only?.cannotTell ?? '', /preflight cache.*blocked before it was sent/);
  });

  it('warns about an unsanitized HAR and never prints the secret values', async () => {
    const doc = load();
    const entry = doc.log.entries[2];
    assert.ok(entry);
    entry.request.headers.push({ name: 'Cookie', value: 'session=TOPSECRET1' });
    entry.request.headers.push({ name: 'Authorization', value: 'Bearer TOPSECRET2' });
    const file = join(scratch, 'unsanitized.har');
    writeFileSync(file, JSON.stringify(doc));
    for (const extra of [[], ['--json']]) {
      const { code, stdout } = await doctorHar(['--har', file, ...extra]);
      assert.equal(code, 1);
      assert.match(stdout, /not sanitized: it holds authorization header, cookie header/);
      assert.doesNotMatch(stdout, /TOPSECRET/);
    }
  });

  it('--replay probes each failed request live', async () => {
    const server = await duplicateHeaderServer();
    try {
      const doc = load();
      doc.log.entries = doc.log.entries.filter((e) => e.request.url.endsWith('/duplicate'));
      const text = JSON.stringify(doc).replaceAll('http://localhost:3000', server.url);
      const file = join(scratch, 'replay.har');
      writeFileSync(file, text.replaceAll('http://127.0.0.1:5173', PAGE_ORIGIN));
      const { stdout } = await doctorHar(['--har', file, '--replay', '--json']);
      const json = JSON.parse(stdout) as { diagnoses: { probe?: { verdict: string; findings: { code: string }[] } }[] };
      assert.equal(json.diagnoses[0]?.probe?.verdict, 'blocked');
      assert.equal(json.diagnoses[0]?.probe?.findings[0]?.code, 'allow-origin-duplicated');
    } finally {
      await server.close();
    }
  });

  it('refuses a file that is not a HAR with exit 2', async () => {
    const file = join(scratch, 'not.har');
    writeFileSync(file, '{"hello":1}');
    const { code, stderr } = await doctorHar(['--har', file]);
    assert.equal(code, 2);
    assert.match(stderr, /not a HAR file/);
    assert.throws(() => analyzeHar([]), HarFormatError);
  });
});

describe('doctor --har on an automation-made HAR', () => {
  it('a failed request with status -1 and no headers (Playwright recordHar): says the HAR cannot tell', () => {
    const doc = {
      log: {
        creator: { name: 'Playwright', version: '1.57' },
        entries: [
          {
            request: {
              method: 'GET',
              url: 'http://localhost:3000/api',
              headers: [{ name: 'Referer', value: 'http://127.0.0.1:5173/' }],
            },
            response: { status: -1, statusText: '', headers: [], _failureText: 'net::ERR_FAILED' },
          },
        ],
      },
    };
    const [only] = analyzeHar(doc).diagnoses;
    assert.equal(only?.origin, 'http://127.0.0.1:5173');
    assert.deepEqual(only?.findings, []);
    assert.match(only?.cannotTell ?? '', /no response and no preflight in the HAR/);
  });
});

describe('doctor --har leaves out what is not CORS', () => {
  it('an image from another site (no Origin, answered) and a cross-site form navigation are not reported', () => {
    const doc = {
      log: {
        entries: [
          {
            _resourceType: 'image',
            request: {
              method: 'GET',
              url: 'https://cdn.example.net/a.png',
              headers: [{ name: 'Referer', value: 'https://app.example.com/' }],
            },
            response: { status: 200, headers: [{ name: 'Content-Type', value: 'image/png' }] },
          },
          {
            _resourceType: 'document',
            request: {
              method: 'POST',
              url: 'https://pay.example.net/',
              headers: [{ name: 'Origin', value: 'https://app.example.com' }],
            },
            response: { status: 200, headers: [{ name: 'Content-Type', value: 'text/html' }] },
          },
        ],
      },
    };
    assert.deepEqual(analyzeHar(doc).diagnoses, []);
  });
});
