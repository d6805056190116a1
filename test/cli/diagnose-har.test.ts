/**
 * `cors-safety doctor --har` as a process-level command: the HAR exported by Chromium's own DevTools
 * (test/fixtures/diagnose/chromium-devtools.har, made by scripts/capture-devtools-har.ts), cut down
 * to the case under test, `--replay` against a live server, bad input. What each exporter's file
 * yields is in diagnose-har-exporters.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeHar, HarFormatError } from '../../src/cli/har-input.js';
import { run } from '../../src/cli/run.js';
import { duplicateHeaderServer, PAGE_ORIGIN } from './servers.js';

const HAR = new URL('../fixtures/diagnose/chromium-devtools.har', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-har-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface HarDoc {
  log: {
    entries: {
      request: { method: string; url: string; headers: { name: string; value: string }[] };
      response: unknown;
    }[];
  };
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
  it('a request with no response and no preflight in the HAR: says it cannot tell, and why', () => {
    const doc = load();
    // Keep only the PUT whose preflight came from the cache, as the HAR then shows it.
    doc.log.entries = doc.log.entries.filter(
      (e) => e.request.url.endsWith('/preflight-401') && e.request.method === 'PUT',
    );
    const [only] = analyzeHar(doc).diagnoses;
    assert.match(only?.cannotTell ?? '', /^no response \(net::ERR_FAILED\) and no preflight in the HAR/);
    assert.match(only?.cannotTell ?? '', /preflight cache.*blocked before it was sent/);
  });

  it('warns about secrets added to a sanitized HAR by hand and never prints their values', async () => {
    const doc = load();
    const entry = doc.log.entries.find((e) => e.request.url.endsWith('/duplicate'));
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
    assert.match(only?.cannotTell ?? '', /^no response \(net::ERR_FAILED\) and no preflight in the HAR/);
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
